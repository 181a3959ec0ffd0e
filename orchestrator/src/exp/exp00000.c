/* exp00000: boot a VMSIZE GB target and time touching its memory with
 * zsim-touch, as the old runner's exp00000 did (runner/src/exp00000.rs):
 * its command line (positional VMSIZE CORES, -z -c -m -r -M -w -p -s GB,
 * --multicore_offsetting --drift_thresh --delay --disable_zswap), its host
 * conditioning, its settings, file names and files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/experiment.h"
#include "exp/bmk.h"
#include "ops/run.h"
#include "util/str.h"

#include "util/banned.h"

/* The largest target anyone simulates with 0sim is tens of TB; 1 PB keeps
 * typos like 40960000 out. */
#define MAX_VM_GB (1024ULL * 1024)

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
	  "touch the workload's size once (zeros) before the workload" },
	{ "prefault", "--prefault", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, NULL, false,
	  "prefault the workload's memory before timing" },
	{ "size", "--size", "GB", ZO_PARAM_UINT, false, 1, MAX_VM_GB, NULL, NULL, true,
	  "workload size in GB (default: the target's MemAvailable in whole GB, rounded down)" },
	{ "disable_zswap", "--disable-zswap", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, NULL,
	  false, "leave zswap off (and the swap devices unmarked)" },
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

/* as exp00000.rs timed them: connect_and_setup_host_and_vagrant, the
 * warmup (--warmup only), the workload */
static const char *const setup_phases[] = { "preflight", "storage", "condition host",
					    "target start", NULL };
static const char *const warmup_phases[] = { "warmup", NULL };
static const char *const workload_phases[] = { "workload", NULL };
static const struct zo_exp_timing runner_timings[] = {
	{ "Setup host and start VM", setup_phases },
	{ "Warmup", warmup_phases },
	{ "Workload", workload_phases },
	{ NULL, NULL },
};

/* The workload program the choice runs, as zsim's settings name it. */
static const char *workload(const struct zo_exp_args *a)
{
	static const struct zo_texp_name names[] = {
		{ "zeros", "time_mmap_touch" },
		{ "counter", "time_mmap_touch" },
		{ "memcached", "memcached_gen_data" },
		{ NULL, NULL },
	};

	return zo_texp_name(zo_exp_choice(a, "workload"), names);
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

static int run(struct zo_run *run)
{
	static const struct zo_texp_steps steps = {
		zo_bmk_setup, zo_bmk_warmup, zo_bmk_workload, zo_bmk_collect,
	};
	struct zo_bmk x;

	zo_bmk_init(&x, run);
	return zo_texp_run(&x.t, &steps);
}

const struct zo_experiment zo_exp_exp00000 = {
	.name = "exp00000",
	.summary = "boot a VMSIZE GB target and time touching its memory (time_mmap_touch)",
	.params = params,
	.n_params = ZO_ARRAY_SIZE(params),
	.runner = runner,
	.n_runner = ZO_ARRAY_SIZE(runner),
	.phases = zo_texp_phases,
	.runner_timings = runner_timings,
	.records_tsc = true,
	.check = zo_bmk_check_size,
	.workload = workload,
	.settings = settings,
	.run = run,
};
