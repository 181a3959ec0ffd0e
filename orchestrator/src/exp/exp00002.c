/* exp00002: the TSC-offsetting microbenchmarks in a target, as the old
 * runner's exp00002 ran them (runner/src/exp00002.rs): time_loop N pinned
 * to a vCPU into .out, or locality_mem_access -l and -n N [-t THREADS]
 * into .local and .nonlocal; -w first touches half the target. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/experiment.h"
#include "exp/texp.h"
#include "ops/run.h"
#include "util/str.h"

#include "util/banned.h"

#define MAX_VM_GB (1024ULL * 1024)

#define TOUCH "/usr/bin/zsim-touch"
#define TIME_LOOP "/usr/bin/time_loop"
#define LOCALITY "/usr/bin/locality_mem_access"
#define GUEST_DIR "/results"

static const struct zo_param params[] = {
	{ "n", NULL, "N", ZO_PARAM_UINT, true, 1, 1ULL << 40, NULL, NULL, true,
	  "iterations (time_loop) or accesses (locality_mem_access)" },
	{ "time_loop", "--time-loop", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "time_loop N pinned to a vCPU, into .out" },
	{ "locality", "--locality", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "locality_mem_access -l and -n N, into .local and .nonlocal" },
	{ "threads", "--threads", "THREADS", ZO_PARAM_UINT, false, 1, 4096, NULL, "workload",
	  false, "locality_mem_access with THREADS threads" },
	{ "vm_size", "--vm-size", "GB", ZO_PARAM_UINT, false, 1, MAX_VM_GB, "1024", NULL, true,
	  "target memory in GB" },
	{ "cores", "--cores", "N", ZO_PARAM_UINT, false, 1, 4096, "1", NULL, false,
	  "target vCPUs, pinned 1:1 to host CPUs" },
	{ "warmup", "--warmup", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, NULL, false,
	  "touch half the target (zeros) before the workload" },
	{ "region_mib", "--region-mib", "MIB", ZO_PARAM_UINT, false, 1, 1ULL << 30, NULL, NULL,
	  false, "locality's non-local region in MiB (default: the program's 4 GiB; not the "
		 "runner's: for small targets)" },
};

static const struct zo_param_runner runner[] = {
	{ "time_loop", "-t", NULL },
	{ "locality", "-l", NULL },
	{ "threads", "-L", NULL },
	{ "vm_size", "-v --vm_size", NULL },
	{ "cores", "-C", NULL },
	{ "warmup", "-w", NULL },
};

static bool is_locality(const struct zo_exp_args *a)
{
	return zo_exp_flag(a, "locality") || zo_exp_get(a, "threads");
}

static int check(const struct zo_exp_args *a, char **ret_error)
{
	return zo_texp_one_workload(zo_exp_flag(a, "time_loop") || is_locality(a),
				    "-t (time_loop), -l (locality_mem_access) or -L THREADS",
				    ret_error);
}

static const char *workload(const struct zo_exp_args *a)
{
	return is_locality(a) ? "locality_mem_access" : "time_loop";
}

static unsigned long long threads(const struct zo_exp_args *a)
{
	return zo_exp_get(a, "threads") ? zo_exp_get_uint(a, "threads") : 1;
}

static const char *files(const struct zo_exp_args *a)
{
	return is_locality(a) ? "params,local,nonlocal,time,sim" : "params,out,time,sim";
}

/* The runner's settings! block, in its order. */
static int settings(const struct zo_exp_args *a, struct zo_exp_settings *s)
{
	unsigned long long t = threads(a);
	int r = 0;

	r |= zo_exp_settings_str(s, "workload", true, workload(a));
	r |= zo_exp_settings_uint(s, "exp", false, 2);
	r |= zo_exp_settings_bool(s, "warmup", false, zo_exp_flag(a, "warmup"));
	r |= zo_exp_settings_bool(s, "calibrated", false, false);
	r |= zo_exp_settings_uint(s, "n", true, zo_exp_get_uint(a, "n"));
	if (t > 1)
		r |= zo_exp_settings_uint(s, "threads", true, t);
	r |= zo_exp_settings_uint(s, "vm_size", true, zo_exp_get_uint(a, "vm_size"));
	r |= zo_exp_settings_uint(s, "cores", false, zo_exp_get_uint(a, "cores"));
	r |= zo_exp_settings_uint(s, "zswap_max_pool_percent", false, 50);
	r |= zo_exp_settings_str(s, "workload_mr", false,
				 is_locality(a) ? "LocalityMemAccess" : "TimeLoop");
	return r < 0 ? -ENOMEM : 0;
}

/* The workload's program, zsim-touch for -w and taskset must be in the
 * target. */
static int phase_setup(struct zo_texp *x)
{
	const struct zo_exp_args *a = x->run->args;
	const char *program = is_locality(a) ? LOCALITY : TIME_LOOP;
	char *argv[] = { (char *)"sh", (char *)"-c",
			 (char *)"command -v \"$0\" >/dev/null || exit 1; "
				 "command -v taskset >/dev/null || exit 2; "
				 "command -v \"$1\" >/dev/null || exit 3",
			 (char *)program, (char *)TOUCH, NULL };
	int r = zo_texp_guest_status(x, argv, NULL);

	if (r > 0)
		return zo_run_fail(x->run, -EPERM,
				   "the target has no %s; a target prepared with "
				   "'zsim-orch target prepare' installs it",
				   r == 2 ? "taskset (util-linux)" : r == 3 ? TOUCH : program);
	return r;
}

/* time_mmap_touch of half the target, as the runner's warmup. */
static int phase_warmup(struct zo_texp *x)
{
	unsigned long long vm = zo_exp_get_uint(x->run->args, "vm_size");
	_cleanup_free_ char *core = zo_texp_next_core(x);
	_cleanup_free_ char *sh = zo_asprintf("taskset -c %s " TOUCH " %llu -z -o /dev/null",
					      core, ((vm << 30) >> 12) >> 1);

	zo_run_add_fact(x->run, "warmup_cpu", core);
	return zo_texp_sh(x, "zsim-touch", sh);
}

static int phase_workload(struct zo_texp *x)
{
	const struct zo_exp_args *a = x->run->args;
	unsigned long long n = zo_exp_get_uint(a, "n");
	_cleanup_free_ char *core = NULL, *sh = NULL, *opts = NULL;
	int r;

	if (!is_locality(a)) {
		core = zo_texp_next_core(x);
		zo_run_add_fact(x->run, "workload_cpu", core);
		sh = zo_asprintf("taskset -c %s " TIME_LOOP " %llu > " GUEST_DIR "/time_loop.out",
				 core, n);
		return zo_texp_sh(x, "time_loop", sh);
	}
	/* locality_mem_access pins its own threads */
	opts = zo_asprintf("%llu%s%s%s%s", n, zo_exp_get(a, "threads") ? " -t " : "",
			   zo_exp_get(a, "threads") ? zo_exp_get(a, "threads") : "",
			   zo_exp_get(a, "region_mib") ? " --region-mib " : "",
			   zo_exp_get(a, "region_mib") ? zo_exp_get(a, "region_mib") : "");
	sh = zo_asprintf(LOCALITY " -l %s > " GUEST_DIR "/locality.local", opts);
	r = zo_texp_sh(x, "locality_mem_access -l", sh);
	free(sh);
	sh = NULL;
	if (r == 0) {
		sh = zo_asprintf(LOCALITY " -n %s > " GUEST_DIR "/locality.nonlocal", opts);
		r = zo_texp_sh(x, "locality_mem_access -n", sh);
	}
	return r;
}

/* The data files from the target; .sim. */
static int phase_collect(struct zo_texp *x)
{
	static const char *const locality[] = { GUEST_DIR "/locality.local", "local",
						GUEST_DIR "/locality.nonlocal", "nonlocal", NULL };
	static const char *const time_loop[] = { GUEST_DIR "/time_loop.out", "out", NULL };

	return zo_texp_collect(x, is_locality(x->run->args) ? locality : time_loop);
}

static int run(struct zo_run *run)
{
	static const struct zo_texp_steps steps = {
		phase_setup, phase_warmup, phase_workload, phase_collect,
	};
	struct zo_texp x;

	return zo_texp_run_new(run, &x, sizeof(x), &steps);
}

const struct zo_experiment zo_exp_exp00002 = {
	.name = "exp00002",
	.summary = "TSC-offsetting microbenchmarks in a target: time_loop or locality_mem_access",
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
	.run = run,
};
