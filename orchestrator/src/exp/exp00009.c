/* exp00009: exp00000's workload in a target (zsim-touch -z or -c, or
 * memcached -m) while the host builds a Linux kernel with all its CPUs, as
 * the old runner's exp00009 tested TSC offsetting under host load
 * (runner/src/exp00009.rs): its command line (VMSIZE CORES (-z|-c|-m) [-w]
 * [-p] [-s GB]), settings and file names. The build (ops/kbuild.h: the
 * [kbuild] source tree or Debian's linux-source, `make clean` first) is
 * configured before the workload and starts right before it, as the
 * runner's did after the warmup; it is stopped and reaped when the
 * workload ends (the runner left its build thread behind when it exited).
 * Its output goes to .kbuild; its source, start, end and outcome to
 * .params. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/experiment.h"
#include "exp/bmk.h"
#include "ops/kbuild.h"
#include "ops/run.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

#define MAX_VM_GB (1024ULL * 1024)

static const struct zo_param params[] = {
	{ "vm_size", NULL, "VMSIZE", ZO_PARAM_UINT, true, 1, MAX_VM_GB, NULL, NULL, true,
	  "target memory in GB" },
	{ "cores", NULL, "CORES", ZO_PARAM_UINT, true, 1, 4096, NULL, NULL, true,
	  "target vCPUs, pinned 1:1 to host CPUs" },
	{ "zeros", "--zeros", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "touch every page with zeros (time_mmap_touch -z)" },
	{ "counter", "--counter", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "touch every page with a counter (time_mmap_touch -c)" },
	{ "memcached", "--memcached", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "fill memcached (needs memcached in the target)" },
	{ "warmup", "--warmup", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, NULL, false,
	  "touch the workload's size once (zeros) before the workload" },
	{ "prefault", "--prefault", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, NULL, false,
	  "prefault the workload's memory before timing (not for memcached)" },
	{ "size", "--size", "GB", ZO_PARAM_UINT, false, 1, MAX_VM_GB, NULL, NULL, true,
	  "workload size in GB (default: the target's MemAvailable in whole GB, rounded down)" },
};

static const struct zo_param_runner runner[] = {
	{ "zeros", "-z", NULL },   { "counter", "-c", NULL },  { "memcached", "-m", NULL },
	{ "warmup", "-w", NULL },  { "prefault", "-p", NULL }, { "size", "-s", NULL },
};

static int check(const struct zo_exp_args *a, char **ret_error)
{
	if (zo_texp_one_workload(zo_exp_choice(a, "workload") != NULL,
				 "-z (zeros), -c (counter) or -m (memcached)", ret_error) < 0)
		return -EINVAL;
	return zo_bmk_check_size(a, ret_error);
}

static const char *workload(const struct zo_exp_args *a)
{
	return zo_exp_flag(a, "memcached") ? "memcached_gen_data" : "time_mmap_touch";
}

static const char *files(const struct zo_exp_args *a)
{
	(void)a;
	return "params,out,kbuild,time,sim";
}

/* The runner's settings! block, in its order. */
static int settings(const struct zo_exp_args *a, struct zo_exp_settings *s)
{
	unsigned long long cores = zo_exp_get_uint(a, "cores");
	int r = 0;

	r |= zo_exp_settings_str(s, "workload", true,
				 zo_exp_flag(a, "memcached") ? "memcached_gen_data_host_kbuild"
							     : "time_mmap_touch_host_kbuild");
	r |= zo_exp_settings_uint(s, "exp", false, 9);
	r |= zo_exp_settings_uint(s, "vm_size", true, zo_exp_get_uint(a, "vm_size"));
	r |= zo_exp_settings_uint(s, "cores", cores > 1, cores);
	if (zo_exp_flag(a, "memcached"))
		r |= zo_exp_settings_null(s, "pattern", false);
	else
		r |= zo_exp_settings_str(s, "pattern", false,
					 zo_exp_flag(a, "zeros") ? "Zeros" : "Counter");
	r |= zo_exp_settings_bool(s, "prefault", false, zo_exp_flag(a, "prefault"));
	if (zo_exp_get(a, "size"))
		r |= zo_exp_settings_uint(s, "size", true, zo_exp_get_uint(a, "size"));
	r |= zo_exp_settings_bool(s, "calibrated", false, false);
	r |= zo_exp_settings_bool(s, "warmup", false, zo_exp_flag(a, "warmup"));
	r |= zo_exp_settings_uint(s, "zswap_max_pool_percent", false, 50);
	return r < 0 ? -ENOMEM : 0;
}

struct exp {
	struct zo_bmk b; /* first: exp00000's phases get &x->b.t */
	struct zo_kbuild kb;
	int log_fd; /* .kbuild */
};

static int plan(struct zo_run *run)
{
	struct zo_kbuild kb;
	int r;

	memset(&kb, 0, sizeof(kb));
	r = zo_kbuild_find(run->ctx, &kb);
	if (r == 0)
		zo_kbuild_plan(run->ctx, &kb);
	zo_kbuild_release(&kb);
	return r;
}

/* A source tree to build, before anything boots: else refused (exit 3). */
static int phase_preflight(struct zo_texp *t)
{
	struct exp *x = (struct exp *)t;
	_cleanup_free_ char *make = NULL;
	int r = zo_kbuild_find(t->run->ctx, &x->kb);

	if (r < 0)
		return zo_texp_failed(t, r);
	make = zo_asprintf("make -j%ld %s", x->kb.jobs, x->kb.target);
	zo_run_add_fact(t->run, "kbuild_source", x->kb.source);
	zo_run_add_fact(t->run, "kbuild_tree", x->kb.tree);
	zo_run_add_fact(t->run, "kbuild_config", x->kb.config);
	zo_run_add_fact(t->run, "kbuild_make", make);
	return 0;
}

/* exp00000's setup, then the tree unpacked (once), cleaned and configured. */
static int phase_setup(struct zo_texp *t)
{
	struct exp *x = (struct exp *)t;
	uint64_t start;
	_cleanup_free_ char *secs = NULL;
	int r = zo_bmk_setup(t);

	if (r < 0)
		return r;
	x->log_fd = zo_run_create(t->run, "kbuild");
	if (x->log_fd < 0)
		return x->log_fd;
	start = zo_now_ms();
	r = zo_kbuild_prepare(t->run->ctx, &x->kb, x->log_fd, zo_run_stop_flag());
	if (r < 0)
		return zo_texp_failed(t, r);
	secs = zo_asprintf("%.3f", (double)(zo_now_ms() - start) / 1000);
	zo_run_add_fact(t->run, "kbuild_prepare_seconds", secs);
	return 0;
}

static char *iso_time(uint64_t ms)
{
	time_t s = (time_t)(ms / 1000);
	char buf[40];
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return zo_asprintf("%s.%03uZ", buf, (unsigned)(ms % 1000));
}

/* Stop the build if it runs, and record how it went. */
static int end_build(struct exp *x)
{
	struct zo_run *run = x->b.t.run;
	char outcome[80];
	_cleanup_free_ char *start = NULL, *end = NULL, *secs = NULL, *status = NULL;
	bool started = x->kb.started;
	int r = zo_kbuild_stop(run->ctx, &x->kb);

	if (!started)
		return r;
	start = iso_time(x->kb.start_ms);
	end = iso_time(x->kb.end_ms);
	secs = zo_asprintf("%.3f", (double)(x->kb.end_ms - x->kb.start_ms) / 1000);
	status = zo_asprintf("%d", x->kb.status);
	zo_run_add_fact(run, "kbuild_start", start);
	zo_run_add_fact(run, "kbuild_end", end);
	zo_run_add_fact(run, "kbuild_seconds", secs);
	zo_run_add_fact(run, "kbuild_exit_status", status);
	zo_run_add_fact(run, "kbuild_outcome", zo_kbuild_outcome(&x->kb, outcome, sizeof(outcome)));
	if (x->log_fd >= 0)
		dprintf(x->log_fd, "zsim-orch: the build %s\n", outcome);
	return r;
}

/* The build starts, then exp00000's workload runs; the build is stopped
 * when the workload ends (or has ended by itself). */
static int phase_workload(struct zo_texp *t)
{
	struct exp *x = (struct exp *)t;
	int r = zo_kbuild_start(t->run->ctx, &x->kb, x->log_fd), s;

	if (r < 0)
		return zo_texp_failed(t, r);
	r = zo_bmk_workload(t);
	s = end_build(x);
	if (r == 0 && s < 0)
		r = zo_texp_failed(t, s);
	return r;
}

static int run(struct zo_run *run)
{
	static const struct zo_texp_steps steps = {
		.setup = phase_setup,
		.warmup = zo_bmk_warmup,
		.workload = phase_workload,
		.collect = zo_bmk_collect,
	};
	struct exp x;
	int r, s;

	memset(&x, 0, sizeof(x));
	zo_bmk_init(&x.b, run);
	x.log_fd = -1;
	x.b.t.preflight = phase_preflight;
	r = zo_texp_run(&x.b.t, &steps);
	/* a failed or stopped run leaves no build behind */
	s = end_build(&x);
	if (s < 0 && r == 0)
		r = zo_run_fail(run, s, "%s", run->ctx->error);
	else if (s < 0)
		zo_warn(&run->ctx->log, "%s", run->ctx->error);
	if (x.log_fd >= 0)
		close(x.log_fd);
	zo_kbuild_release(&x.kb);
	return r;
}

const struct zo_experiment zo_exp_exp00009 = {
	.name = "exp00009",
	.summary = "exp00000's workload in a target while the host builds a Linux kernel",
	.params = params,
	.n_params = ZO_ARRAY_SIZE(params),
	.runner = runner,
	.n_runner = ZO_ARRAY_SIZE(runner),
	.phases = zo_texp_phases,
	.records_tsc = true,
	.check = check,
	.workload = workload,
	.settings = settings,
	.files = files,
	.plan = plan,
	.run = run,
};
