/* exp00000: boot a VMSIZE GB target and time touching its memory with
 * zsim-touch (the old runner's time_mmap_touch experiment). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/config.h"
#include "core/experiment.h"
#include "core/procfs.h"
#include "ops/preflight.h"
#include "ops/run.h"
#include "ops/storage.h"
#include "ops/target.h"
#include "sys/hostinfo.h"
#include "sys/sysfs.h"
#include "sys/virt.h"
#include "util/str.h"

#include "util/banned.h"

/* What this experiment needs from other operations, each behind one small
 * function returning 0 or -errno with ctx->error set. */

static int preflight_for_run(struct zo_ctx *ctx, uint64_t vm_gb, unsigned cores)
{
	return zo_preflight_for_run(ctx, vm_gb, cores, true);
}

static int target_check_base(struct zo_ctx *ctx)
{
	return zo_target_check_base(ctx);
}

static int thin_activate(struct zo_ctx *ctx)
{
	return zo_thin_activate(ctx);
}

static int swap_on_recorded(struct zo_ctx *ctx)
{
	return zo_swap_on_recorded(ctx);
}

static int target_open(struct zo_ctx *ctx, struct zo_target *t)
{
	int r = zo_target_open(ctx, t);

	t->progress = ctx->progress;
	t->progress_userdata = ctx->progress_userdata;
	return r;
}

static int target_start(struct zo_target *t, const char *memory_gb, long long vcpus,
			volatile sig_atomic_t *stop)
{
	return zo_target_start(t, memory_gb, vcpus, stop);
}

/* The largest target anyone simulates with 0sim is tens of TB; 1 PB keeps
 * typos like 40960000 out. */
#define MAX_VM_GB (1024ULL * 1024)

#define TOUCH "/usr/bin/zsim-touch"
#define GUEST_OUT "/results/zsim-touch.out"

static const struct zo_param params[] = {
	{ "vm_size", NULL, "VMSIZE", ZO_PARAM_UINT, true, 1, MAX_VM_GB, NULL, NULL, true,
	  "target memory in GB" },
	{ "cores", NULL, "CORES", ZO_PARAM_UINT, false, 1, 4096, "1", NULL, true,
	  "target vCPUs, pinned 1:1 to host CPUs" },
	{ "zeros", "--zeros", NULL, ZO_PARAM_FLAG, false, 0, 0, "yes", "workload", false,
	  "touch every page with zeros (time_mmap_touch -z; the default)" },
	{ "counter", "--counter", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "touch every page with a counter (time_mmap_touch -c)" },
	{ "memcached", "--memcached", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "fill memcached (needs memcached in the target)" },
	{ "redis", "--redis", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "fill redis (needs redis-server in the target)" },
	{ "matrixmult", "--matrixmult", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload",
	  false, "matrix multiplication (needs matrixmult in the target)" },
	{ "warmup", "--warmup", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, NULL, false,
	  "touch half the target's memory before the workload" },
	{ "prefault", "--prefault", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, NULL, false,
	  "prefault the workload's memory before timing" },
	{ "size", "--size", "GB", ZO_PARAM_UINT, false, 1, MAX_VM_GB, NULL, NULL, true,
	  "workload size in GB (default: the target's MemAvailable)" },
	{ "disable_zswap", "--disable-zswap", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, NULL,
	  false, "leave zswap off" },
	{ "multicore_offsetting", "--multicore-offsetting", NULL, ZO_PARAM_FLAG, false, 0, 0,
	  NULL, NULL, false, "turn on 0sim's multicore TSC offsetting" },
	{ "drift_thresh", "--drift-thresh", "N", ZO_PARAM_UINT, false, 0, 1ULL << 62, NULL, NULL,
	  false, "0sim's drift threshold (/proc/zerosim_drift_threshold)" },
	{ "delay", "--delay", "N", ZO_PARAM_UINT, false, 0, 1ULL << 62, NULL, NULL, false,
	  "0sim's delay (/proc/zerosim_delay)" },
};

/* The old runner's spellings and rules (exp00000.rs, cli_options). */
static const struct zo_param_runner runner[] = {
	{ "zeros", "-z", NULL },
	{ "counter", "-c", NULL },
	{ "memcached", "-m", NULL },
	{ "redis", "-r", NULL },
	{ "matrixmult", "-M", NULL },
	{ "warmup", "-w", NULL },
	{ "prefault", "-p", NULL },
	{ "size", "-s", NULL },
	{ "disable_zswap", "--disable_zswap", NULL },
	{ "multicore_offsetting", "--multicore_offsetting", NULL },
	{ "drift_thresh", "--drift_thresh", "multicore_offsetting" },
	{ "delay", NULL, "multicore_offsetting" },
};

static const char *const phases[] = {
	"preflight", "storage", "knobs",   "target start", "warmup",
	"workload",  "collect", "target stop", "restore knobs", NULL,
};

static int check(const struct zo_exp_args *a, char **ret_error)
{
	unsigned long long vm = zo_exp_get_uint(a, "vm_size");

	if (zo_exp_get(a, "size") && zo_exp_get_uint(a, "size") > vm) {
		*ret_error = zo_asprintf("%s %s is larger than the target (%llu GB)",
					 zo_exp_spelling(a, "size"), zo_exp_get(a, "size"), vm);
		return -EINVAL;
	}
	return 0;
}

/* The old runner's program names, which its result names carry. */
static const char *workload(const struct zo_exp_args *a)
{
	const char *c = zo_exp_choice(a, "workload");

	if (!c)
		return NULL;
	if (!strcmp(c, "zeros") || !strcmp(c, "counter"))
		return "time_mmap_touch";
	if (!strcmp(c, "memcached"))
		return "memcached_gen_data";
	return c;
}

/* The runner's settings! block, in its order: the important ones name the
 * files (workload, app, vm_size, cores > 1, size when given, and the
 * offsetting and zswap switches when set). */
static int settings(const struct zo_exp_args *a, struct zo_exp_settings *s)
{
	const char *c = zo_exp_choice(a, "workload");
	const char *app = !c				? "TimeMmapTouch"
			  : !strcmp(c, "memcached")	? "Memcached"
			  : !strcmp(c, "redis")		? "Redis"
			  : !strcmp(c, "matrixmult")	? "MatrixMult2"
							: "TimeMmapTouch";
	unsigned long long cores = zo_exp_get_uint(a, "cores");
	bool disable = zo_exp_flag(a, "disable_zswap");
	bool multicore = zo_exp_flag(a, "multicore_offsetting");
	int r = 0;

	r |= zo_exp_settings_str(s, "workload", true, "bmk");
	r |= zo_exp_settings_str(s, "app", true, app);
	r |= zo_exp_settings_uint(s, "exp", false, 0);
	r |= zo_exp_settings_uint(s, "vm_size", true, zo_exp_get_uint(a, "vm_size"));
	r |= zo_exp_settings_uint(s, "cores", cores > 1, cores);
	if (zo_exp_flag(a, "zeros") || zo_exp_flag(a, "counter"))
		r |= zo_exp_settings_str(s, "pattern", false,
					 zo_exp_flag(a, "zeros") ? "Zeros" : "Counter");
	else
		r |= zo_exp_settings_null(s, "pattern", false);
	r |= zo_exp_settings_bool(s, "prefault", false, zo_exp_flag(a, "prefault"));
	if (zo_exp_get(a, "size"))
		r |= zo_exp_settings_uint(s, "size", true, zo_exp_get_uint(a, "size"));
	else
		r |= zo_exp_settings_null(s, "size", false);
	r |= zo_exp_settings_bool(s, "calibrated", false, false);
	r |= zo_exp_settings_bool(s, "warmup", false, zo_exp_flag(a, "warmup"));
	r |= zo_exp_settings_bool(s, "disable_zswap", disable, disable);
	r |= zo_exp_settings_bool(s, "multicore_offsetting", multicore, multicore);
	r |= zo_exp_settings_uint(s, "zswap_max_pool_percent", false, 50);
	if (zo_exp_get(a, "drift_thresh"))
		r |= zo_exp_settings_uint(s, "zerosim_drift_threshold", true,
					  zo_exp_get_uint(a, "drift_thresh"));
	else
		r |= zo_exp_settings_null(s, "zerosim_drift_threshold", false);
	if (zo_exp_get(a, "delay"))
		r |= zo_exp_settings_uint(s, "zerosim_delay", true, zo_exp_get_uint(a, "delay"));
	else
		r |= zo_exp_settings_null(s, "zerosim_delay", false);
	return r < 0 ? -ENOMEM : 0;
}

struct exp {
	struct zo_run *run;
	struct zo_target target;
	bool target_open, started;
	bool lenient; /* [host] require_0sim = no: a stock kernel stands in */
};

/* The reason an operation left in ctx->error becomes the run's. */
static int failed(struct exp *x, int r)
{
	return zo_run_fail(x->run, r, "%s", x->run->ctx->error);
}

/* One knob of the experiment: fatal on a real node, a warning when a
 * stock kernel stands in for 0sim. */
static int knob(struct exp *x, const char *path, const char *value)
{
	int r = zo_run_set_knob(x->run, path, value);

	if (r == 0)
		return 0;
	if (x->lenient) {
		zo_warn(&x->run->ctx->log, "not set: %s = %s (%s)", path, value, strerror(-r));
		return 0;
	}
	return zo_run_fail(x->run, r, "cannot set %s to %s: %s", path, value, strerror(-r));
}

static int phase_preflight(struct exp *x)
{
	struct zo_ctx *ctx = x->run->ctx;
	bool require = true;
	int n, r;

	zo_config_get_bool(ctx->config, "host", "require_0sim", &require);
	x->lenient = !require;
	n = zo_host_zerosim(ctx->root, NULL);
	zo_run_add_fact(x->run, "zerosim_kernel", n > 0 ? "yes" : "no");
	r = preflight_for_run(ctx, zo_exp_get_uint(x->run->args, "vm_size"),
			      (unsigned)zo_exp_get_uint(x->run->args, "cores"));
	if (r == 0)
		r = target_check_base(ctx);
	if (r < 0)
		return failed(x, r);
	if (n <= 0)
		zo_warn(&ctx->log, "not a 0sim kernel: a stock kernel stands in (require_0sim = "
				   "no); these results are not a 0sim simulation");
	return 0;
}

static int phase_storage(struct exp *x)
{
	struct zo_ctx *ctx = x->run->ctx;
	const char *data = zo_config_get(ctx->config, "thin", "data");
	const char *swap = zo_config_get(ctx->config, "host", "swap");
	int r = 0;

	if (data && *data)
		r = thin_activate(ctx);
	if (r == 0 && swap && *swap)
		r = swap_on_recorded(ctx);
	if (r < 0)
		return failed(x, r);
	if ((!data || !*data) && (!swap || !*swap))
		zo_warn(&ctx->log, "no swap or thin pool in %s: a target larger than RAM will "
				   "not fit (zsim-orch setup)", ctx->config_path);
	return 0;
}

static int phase_knobs(struct exp *x)
{
	const struct zo_exp_args *a = x->run->args;
	struct zo_ctx *ctx = x->run->ctx;
	const char *zpool = zo_config_get(ctx->config, "zswap", "zpool");
	const char *pct = zo_config_get(ctx->config, "zswap", "max_pool_percent");
	int r;

	if (zo_exp_flag(a, "disable_zswap")) {
		r = knob(x, "/sys/module/zswap/parameters/enabled", "N");
	} else {
		r = knob(x, "/sys/module/zswap/parameters/zpool", zpool);
		if (r == 0)
			r = knob(x, "/sys/module/zswap/parameters/max_pool_percent", pct);
		if (r == 0)
			r = knob(x, "/sys/module/zswap/parameters/enabled", "Y");
	}
	if (r == 0 && zo_exp_get(a, "drift_thresh"))
		r = knob(x, "/proc/zerosim_drift_threshold", zo_exp_get(a, "drift_thresh"));
	if (r == 0 && zo_exp_get(a, "delay"))
		r = knob(x, "/proc/zerosim_delay", zo_exp_get(a, "delay"));
	if (r == 0 && zo_exp_flag(a, "multicore_offsetting"))
		r = knob(x, "/proc/zerosim_multicore_sync", "1");
	return r;
}

static int guest(struct exp *x, char *const *argv, struct zo_guest_exec *e)
{
	int r = zo_virt_guest_exec(x->target.virt, x->target.name, argv, zo_run_stop_flag(), e);

	if (r == -EINTR)
		return zo_run_fail(x->run, r, "stopped by signal %d", zo_run_stop_signal());
	if (r < 0)
		return zo_run_fail(x->run, r, "cannot run %s in the target: %s", argv[0],
				   zo_virt_error(x->target.virt));
	return 0;
}

static int phase_target_start(struct exp *x)
{
	const struct zo_exp_args *a = x->run->args;
	int r;

	r = target_open(x->run->ctx, &x->target);
	if (r < 0)
		return failed(x, r);
	x->target_open = true;
	x->started = true;
	r = target_start(&x->target, zo_exp_get(a, "vm_size"),
			 (long long)zo_exp_get_uint(a, "cores"), zo_run_stop_flag());
	if (zo_run_stop_signal())
		return zo_run_fail(x->run, -EINTR, "stopped by signal %d while booting",
				   zo_run_stop_signal());
	return r < 0 ? failed(x, r) : 0;
}

/* The workload's program must be in the target before anything runs. */
static int check_workload_program(struct exp *x, const char **ret_path)
{
	static const struct {
		const char *choice, *program;
	} programs[] = {
		{ "zeros", TOUCH },		 { "counter", TOUCH },
		{ "memcached", "memcached" },	 { "redis", "redis-server" },
		{ "matrixmult", "matrixmult" },
	};
	const char *choice = zo_exp_choice(x->run->args, "workload");
	const char *program = TOUCH;
	struct zo_guest_exec e;
	size_t i;
	int r;

	for (i = 0; i < ZO_ARRAY_SIZE(programs); i++)
		if (choice && !strcmp(programs[i].choice, choice))
			program = programs[i].program;
	{
		char *const argv[] = { (char *)"sh", (char *)"-c", (char *)"command -v \"$0\"",
				       (char *)program, NULL };

		r = guest(x, argv, &e);
	}
	if (r < 0)
		return r;
	r = e.exit_code;
	zo_guest_exec_release(&e);
	if (r != 0)
		return zo_run_fail(x->run, -EPERM,
				   "the target has no %s for --%s; a target prepared with "
				   "'zsim-orch target prepare' installs it",
				   program, choice ? choice : "zeros");
	if (strcmp(program, TOUCH))
		return zo_run_fail(x->run, -ENOTSUP,
				   "--%s: running %s is not part of this zsim-orch yet; "
				   "--zeros and --counter are",
				   choice, program);
	*ret_path = program;
	return 0;
}

static int mem_available_kb(struct exp *x, unsigned long long *ret)
{
	char *const argv[] = { (char *)"cat", (char *)"/proc/meminfo", NULL };
	struct zo_guest_exec e;
	struct zo_meminfo m;
	int r = guest(x, argv, &e);

	if (r < 0)
		return r;
	r = zo_parse_meminfo(e.out, &m);
	zo_guest_exec_release(&e);
	if (r < 0)
		return zo_run_fail(x->run, r, "cannot read the target's /proc/meminfo");
	*ret = m.mem_available / 1024;
	return 0;
}

static int touch(struct exp *x, unsigned long long pages, const char *pattern, bool prefault,
		 const char *out)
{
	_cleanup_free_ char *n = zo_asprintf("%llu", pages);
	char *argv[8];
	struct zo_guest_exec e;
	int k = 0, r;

	argv[k++] = (char *)TOUCH;
	argv[k++] = n;
	argv[k++] = (char *)pattern;
	if (prefault)
		argv[k++] = (char *)"-p";
	argv[k++] = (char *)"-o";
	argv[k++] = (char *)out;
	argv[k] = NULL;
	r = guest(x, argv, &e);
	if (r < 0)
		return r;
	if (e.exit_code != 0)
		r = zo_run_fail(x->run, -EIO, "zsim-touch exited %d: %.*s", e.exit_code,
				(int)(e.err_len > 300 ? 300 : e.err_len), e.err);
	zo_guest_exec_release(&e);
	return r;
}

static long cpu_ms(const struct rusage *before, const struct rusage *after)
{
	return (after->ru_utime.tv_sec - before->ru_utime.tv_sec) * 1000 +
	       (after->ru_utime.tv_usec - before->ru_utime.tv_usec) / 1000 +
	       (after->ru_stime.tv_sec - before->ru_stime.tv_sec) * 1000 +
	       (after->ru_stime.tv_usec - before->ru_stime.tv_usec) / 1000;
}

/* The files: .out from the target, .sim with the target's kernel log. */
static int collect(struct exp *x)
{
	char *const dmesg[] = { (char *)"dmesg", NULL };
	_cleanup_free_ char *text = NULL, *extra = NULL;
	struct zo_guest_exec e;
	size_t len = 0;
	int r;

	r = zo_virt_guest_read(x->target.virt, x->target.name, GUEST_OUT, &text, &len);
	if (r < 0)
		return zo_run_fail(x->run, r, "cannot fetch %s: %s", GUEST_OUT,
				   zo_virt_error(x->target.virt));
	r = zo_run_write(x->run, "out", text);
	if (r < 0)
		return r;
	if (guest(x, dmesg, &e) == 0) {
		const char *tail = e.out_len > 8192 ? e.out + e.out_len - 8192 : e.out;

		extra = zo_asprintf("==> target dmesg (tail) <==\n%s", tail);
		zo_guest_exec_release(&e);
	}
	return zo_run_write_host_sim(x->run, extra);
}

static int phase_workload(struct exp *x)
{
	const struct zo_exp_args *a = x->run->args;
	unsigned long long avail_kb = 0, bytes, pages;
	const char *program = NULL;
	struct rusage before, after;
	_cleanup_free_ char *fact = NULL, *cpu = NULL;
	int r;

	r = check_workload_program(x, &program);
	if (r < 0)
		return r;
	r = mem_available_kb(x, &avail_kb);
	if (r < 0)
		return r;
	fact = zo_asprintf("%llu", avail_kb);
	zo_run_add_fact(x->run, "target_mem_available_kb", fact);
	if (zo_exp_flag(a, "warmup")) {
		zo_run_phase_end(x->run);
		zo_run_phase_begin(x->run, "warmup");
		r = touch(x, (zo_exp_get_uint(a, "vm_size") << 30 >> 12) / 2, "-z", false,
			  "/dev/null");
		if (r < 0)
			return r;
		zo_run_phase_end(x->run);
		zo_run_phase_begin(x->run, "workload");
	}
	bytes = zo_exp_get(a, "size") ? zo_exp_get_uint(a, "size") << 30 : avail_kb * 1024;
	pages = bytes / 4096;
	getrusage(RUSAGE_SELF, &before);
	r = touch(x, pages, zo_exp_flag(a, "counter") ? "-c" : "-z", zo_exp_flag(a, "prefault"),
		  GUEST_OUT);
	getrusage(RUSAGE_SELF, &after);
	if (r < 0)
		return r;
	/* zsim-orch's own CPU while the target works: it must wait, not spin */
	cpu = zo_asprintf("%ld", cpu_ms(&before, &after));
	zo_run_add_fact(x->run, "orch_cpu_ms_during_workload", cpu);
	fact = (free(fact), zo_asprintf("%llu", pages));
	zo_run_add_fact(x->run, "pages_touched", fact);
	zo_run_phase_end(x->run);
	zo_run_phase_begin(x->run, "collect");
	return collect(x);
}

static int run(struct zo_run *run)
{
	static int (*const steps[])(struct exp *x) = {
		phase_preflight, phase_storage, phase_knobs, phase_target_start, phase_workload,
	};
	static const char *const names[] = {
		"preflight", "storage", "knobs", "target start", "workload",
	};
	struct exp x = { .run = run };
	size_t i;
	int r = 0, s;

	for (i = 0; i < ZO_ARRAY_SIZE(steps) && r == 0; i++) {
		zo_run_phase_begin(run, names[i]);
		r = steps[i](&x);
		if (r == 0)
			zo_run_phase_end(run);
	}
	/* clean up whatever happened: the target off (the harness puts the
	 * knobs back) */
	if (x.started) {
		if (r == 0)
			zo_run_phase_begin(run, "target stop");
		s = zo_target_stop(&x.target, r == 0 ? 60 : 5);
		if (s < 0)
			zo_warn(&run->ctx->log, "could not stop the target: %s",
				zo_virt_error(x.target.virt));
		if (r == 0)
			zo_run_phase_end(run);
	}
	if (x.target_open)
		zo_target_release(&x.target);
	return r;
}

const struct zo_experiment zo_exp_exp00000 = {
	.name = "exp00000",
	.summary = "boot a VMSIZE GB target and time touching its memory (time_mmap_touch)",
	.params = params,
	.n_params = ZO_ARRAY_SIZE(params),
	.runner = runner,
	.n_runner = ZO_ARRAY_SIZE(runner),
	.phases = phases,
	.records_tsc = true,
	.check = check,
	.workload = workload,
	.settings = settings,
	.run = run,
};
