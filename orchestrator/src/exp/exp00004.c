/* exp00004: exp00003 on bare metal, as the old runner's exp00004 ran it
 * (runner/src/exp00004.rs): on the host itself, whose kernel comes from
 * 0sim's markm_instrumented branch (the runner's header names
 * markm_instrument_thp_compaction), the host's swap from the config (the
 * runner's hard-coded `swapon /dev/sda3` is not copied), THP
 * always/always/1/1000/1000 and /proc/compact_spurious_fail 0 (recorded and
 * put back), then memcached -M and memcached_and_capture_thp of SIZE GB,
 * sampling every 60 s into .out (the latencies go to /dev/null, as the
 * runner's). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/experiment.h"
#include "exp/kinst.h"
#include "ops/hostwork.h"
#include "ops/run.h"
#include "util/spawn.h"
#include "util/str.h"

#include "util/banned.h"

#define INTERVAL "60"
#define PROG "memcached_and_capture_thp"

static const struct zo_param params[] = {
	{ "size", NULL, "SIZE", ZO_PARAM_UINT, true, 1, 1ULL << 30, NULL, NULL, true,
	  "GB memcached is filled with" },
};

static const char *const phases[] = {
	"preflight", "storage", "condition host", "workload", "collect", "restore host", NULL,
};

static const char *workload(const struct zo_exp_args *a)
{
	(void)a;
	return PROG;
}

static const char *files(const struct zo_exp_args *a)
{
	(void)a;
	return "params,out,time,sim";
}

/* The runner's settings! block, in its order. */
static int settings(const struct zo_exp_args *a, struct zo_exp_settings *s)
{
	int r = 0;

	r |= zo_exp_settings_str(s, "workload", true, "memcached_thp_ops_per_page_bare_metal");
	r |= zo_exp_settings_uint(s, "exp", false, 4);
	r |= zo_exp_settings_uint(s, "size", true, zo_exp_get_uint(a, "size"));
	r |= zo_kinst_thp_settings(s);
	return r < 0 ? -ENOMEM : 0;
}

struct exp {
	struct zo_texp t; /* first: the phases get &x->t (no target) */
	char *dir; /* the workload programs */
};

static int phase_preflight(struct zo_texp *t)
{
	struct exp *x = (struct exp *)t;
	const char *const need[] = { "/proc/compact_instrumentation", "/proc/compact_spurious_fail",
				     NULL };
	_cleanup_free_ char *path = NULL;
	int r = zo_kinst_require_host(x->t.run, need);

	if (r < 0)
		return r;
	x->dir = zo_workloads_dir(NULL);
	path = x->dir ? zo_asprintf("%s/" PROG, x->dir) : NULL;
	if (!path)
		return zo_run_fail(x->t.run, -ENOMEM, "out of memory");
	zo_run_add_fact(x->t.run, "workload_dir", x->dir);
	if (zo_host_workload_check(x->t.run->ctx, path) < 0)
		return zo_run_fail(x->t.run, -EPERM, "%s", x->t.run->ctx->error);
	if (!zo_have_program("memcached"))
		return zo_run_fail(x->t.run, -EPERM, "exp00004: this host has no memcached; install the "
						   "memcached package (CentOS and Debian)");
	return 0;
}

/* The host's swap as the config records it ([host] swap, the thin pool). */
static int phase_storage(struct zo_texp *t)
{
	return zo_texp_storage_for(t->run, "memcached");
}

static int phase_condition(struct zo_texp *t)
{
	int r = zo_kinst_host_thp(t->run);

	if (r == 0)
		r = zo_run_set_knob(t->run, "/proc/compact_spurious_fail", "0");
	return r < 0 ? zo_texp_failed(t, r) : 0;
}

/* memcached -M -m <SIZE GB in MB> -d -f 1.11 on 127.0.0.1:11211 (the
 * runner's allow_oom), the client pinned to CPU 0, the server stopped
 * after. */
static int phase_workload(struct zo_texp *t)
{
	struct exp *x = (struct exp *)t;
	const char *size = zo_exp_get(x->t.run->args, "size");
	_cleanup_free_ char *mb = zo_asprintf("%llu", zo_exp_get_uint(x->t.run->args, "size") << 10);
	_cleanup_free_ char *pidfile = zo_run_file(x->t.run, "memcached-pid");
	_cleanup_free_ char *client = zo_asprintf("%s/" PROG, x->dir);
	_cleanup_free_ char *out = zo_run_file(x->t.run, "out");
	char *server[] = { (char *)"memcached", (char *)"-M", (char *)"-m", mb, (char *)"-d",
			   (char *)"-u", (char *)"root", (char *)"-f", (char *)"1.11", (char *)"-l",
			   (char *)"127.0.0.1", (char *)"-p", (char *)"11211", (char *)"-P", pidfile,
			   NULL };
	char *argv[] = { client, (char *)"localhost:11211", (char *)size, (char *)INTERVAL,
			 (char *)"/dev/null", NULL };
	int r, s;

	if (!mb || !pidfile || !client || !out)
		return zo_run_fail(x->t.run, -ENOMEM, "out of memory");
	r = zo_host_workload(x->t.run->ctx, server, -1, NULL, zo_run_stop_flag());
	if (r == 0)
		r = zo_host_wait_listening(x->t.run->ctx, 11211, 10000);
	if (r == 0) {
		zo_run_add_fact(x->t.run, "workload_cpu", "0");
		r = zo_host_workload(x->t.run->ctx, argv, 0, out, zo_run_stop_flag());
		/* the runner's allow_oom: a memcached -M of SIZE GB fills up
		 * before SIZE GB of values are in, and the client's end is
		 * not the run's (its errors are lines of .out) */
		if (r == -EIO) {
			zo_warn(&x->t.run->ctx->log, "%s", x->t.run->ctx->error);
			zo_run_add_fact(x->t.run, "workload_note", x->t.run->ctx->error);
			zo_clear_error(x->t.run->ctx);
			r = 0;
		}
	}
	s = zo_host_daemon_stop(x->t.run->ctx, pidfile);
	if (r == 0)
		r = s;
	return r < 0 ? zo_run_fail(x->t.run, r, "%s", x->t.run->ctx->error) : 0;
}

static int phase_collect(struct zo_texp *t)
{
	return zo_run_write_host_sim(t->run, NULL);
}

static int run(struct zo_run *run)
{
	static const struct zo_texp_phase_fn steps[] = {
		{ "preflight", phase_preflight },   { "storage", phase_storage },
		{ "condition host", phase_condition }, { "workload", phase_workload },
		{ "collect", phase_collect },
	};
	struct exp x;
	int r;

	memset(&x, 0, sizeof(x));
	x.t.run = run;
	r = zo_texp_run_phases(&x.t, steps, ZO_ARRAY_SIZE(steps));
	free(x.dir);
	return r;
}

const struct zo_experiment zo_exp_exp00004 = {
	.name = "exp00004",
	.summary = "exp00003 on bare metal: memcached under aggressive compaction on the host "
		   "(needs a markm_instrumented host kernel)",
	.params = params,
	.n_params = ZO_ARRAY_SIZE(params),
	.phases = phases,
	.records_tsc = true,
	.workload = workload,
	.settings = settings,
	.files = files,
	.run = run,
};
