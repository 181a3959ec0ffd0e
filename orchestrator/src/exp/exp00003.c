/* exp00003: memcached under aggressive compaction, as the old runner's
 * exp00003 ran it (runner/src/exp00003.rs): a target whose kernel comes
 * from 0sim's markm_instrumented branch, its swap file on, THP
 * always/always/1/1000/1000, /proc/compact_spurious_fail <- MODE (or 0),
 * then memcached and memcached_and_capture_thp (SIZE GB, samples of
 * /proc/compact_instrumentation every 60 s into .out, each operation's
 * TSC cycles into .memcached_latency). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/experiment.h"
#include "exp/kinst.h"
#include "exp/texp.h"
#include "ops/run.h"
#include "util/str.h"

#include "util/banned.h"

#define MAX_VM_GB (1024ULL * 1024)
#define GUEST_OUT "/results/exp00003.out"
#define GUEST_LAT "/results/exp00003.memcached_latency"
/* the runner's sampling interval (exp00003.rs: INTERVAL) */
#define INTERVAL 60
/* its default size: VMSIZE + GUEST_SWAP_GBS (10) - 1 */
#define SIZE_OVER_VM 9

static const struct zo_param params[] = {
	{ "vm_size", NULL, "VMSIZE", ZO_PARAM_UINT, true, 1, MAX_VM_GB, NULL, NULL, true,
	  "target memory in GB" },
	{ "cores", "--cores", "N", ZO_PARAM_UINT, false, 1, 4096, "1", NULL, false,
	  "target vCPUs, pinned 1:1 to host CPUs" },
	{ "size", "--size", "GB", ZO_PARAM_UINT, false, 1, MAX_VM_GB + 1024, NULL, NULL, true,
	  "GB memcached is filled with (default VMSIZE + 9: the runner's, with its 10 GB guest "
	  "swap)" },
	{ "continual_compaction", "--continual-compaction", "MODE", ZO_PARAM_UINT, false, 0,
	  1000000, NULL, NULL, true,
	  "spurious compaction failures of this mode (/proc/compact_spurious_fail), and "
	  "compaction triggered continually" },
};

static const struct zo_param_runner runner[] = {
	{ "cores", "-C", NULL },
	{ "size", "-s", NULL },
	{ "continual_compaction", "--continual_compaction", NULL },
};

static const char *workload(const struct zo_exp_args *a)
{
	(void)a;
	return "memcached_and_capture_thp";
}

static const char *files(const struct zo_exp_args *a)
{
	(void)a;
	return "params,out,memcached_latency,time,sim";
}

static unsigned long long size_gb(const struct zo_exp_args *a)
{
	return zo_exp_get(a, "size") ? zo_exp_get_uint(a, "size")
				     : zo_exp_get_uint(a, "vm_size") + SIZE_OVER_VM;
}

/* The runner's settings! block, in its order. */
static int settings(const struct zo_exp_args *a, struct zo_exp_settings *s)
{
	const char *mode = zo_exp_get(a, "continual_compaction");
	int r = 0;

	r |= zo_exp_settings_str(s, "workload", true, "memcached_per_page_thp_ops");
	if (mode)
		r |= zo_exp_settings_uint(s, "continual_compaction", true,
					  zo_exp_get_uint(a, "continual_compaction"));
	else
		r |= zo_exp_settings_null(s, "continual_compaction", true);
	r |= zo_exp_settings_uint(s, "exp", false, 3);
	r |= zo_exp_settings_uint(s, "size", true, size_gb(a));
	r |= zo_exp_settings_bool(s, "calibrated", false, false);
	r |= zo_exp_settings_uint(s, "vm_size", true, zo_exp_get_uint(a, "vm_size"));
	r |= zo_exp_settings_uint(s, "cores", false, zo_exp_get_uint(a, "cores"));
	r |= zo_exp_settings_uint(s, "zswap_max_pool_percent", false, 50);
	r |= zo_kinst_thp_settings(s);
	return r < 0 ? -ENOMEM : 0;
}

/* The swap file on (the runner's first step), the kernel's files, the
 * programs, THP and the failure mode. */
static int phase_setup(struct zo_texp *t)
{
	const char *mode = zo_exp_get(t->run->args, "continual_compaction");
	const char *const need[] = { "/proc/compact_instrumentation", "/proc/compact_spurious_fail",
				     mode ? "/proc/compact_trigger" : NULL, NULL };
	_cleanup_free_ char *sh = NULL;
	int r, swap;

	swap = zo_kinst_guest_swap_try(t);
	if (swap < 0)
		return swap;
	r = zo_kinst_require_guest(t, need);
	if (r == 0)
		r = zo_kinst_guest_programs(t, "memcached memcached_and_capture_thp taskset");
	if (r == 0 && swap)
		r = zo_kinst_guest_swap_missing(t);
	if (r == 0)
		r = zo_kinst_guest_thp(t);
	if (r < 0)
		return r;
	sh = zo_asprintf("echo %s > /proc/compact_spurious_fail", mode ? mode : "0");
	return sh ? zo_texp_sh(t, "/proc/compact_spurious_fail", sh) : -ENOMEM;
}

static int phase_workload(struct zo_texp *t)
{
	const struct zo_exp_args *a = t->run->args;
	unsigned long long gb = size_gb(a);
	_cleanup_free_ char *core = zo_texp_next_core(t), *sh = NULL;
	int r = zo_texp_memcached(t, gb << 10, false);

	if (r < 0)
		return r;
	sh = zo_asprintf("taskset -c %s memcached_and_capture_thp localhost:11211 %llu %d " GUEST_LAT
			 "%s > " GUEST_OUT,
			 core, gb, INTERVAL,
			 zo_exp_get(a, "continual_compaction") ? " --continual_compaction" : "");
	zo_run_add_fact(t->run, "workload_cpu", core);
	return sh ? zo_texp_sh(t, "memcached_and_capture_thp", sh) : -ENOMEM;
}

static int phase_collect(struct zo_texp *t)
{
	static const char *const files[] = { GUEST_OUT, "out", GUEST_LAT, "memcached_latency",
					     NULL };

	return zo_texp_collect(t, files);
}

static int run(struct zo_run *run)
{
	static const struct zo_texp_steps steps = { phase_setup, NULL, phase_workload,
						    phase_collect };
	struct zo_texp x;

	return zo_texp_run_new(run, &x, sizeof(x), &steps);
}

const struct zo_experiment zo_exp_exp00003 = {
	.name = "exp00003",
	.summary = "memcached under aggressive compaction (needs a markm_instrumented target "
		   "kernel)",
	.params = params,
	.n_params = ZO_ARRAY_SIZE(params),
	.runner = runner,
	.n_runner = ZO_ARRAY_SIZE(runner),
	.phases = zo_texp_phases_no_warmup,
	.records_tsc = true,
	.workload = workload,
	.settings = settings,
	.files = files,
	.run = run,
};
