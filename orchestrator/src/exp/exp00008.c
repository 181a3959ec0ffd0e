/* exp00008: reclaim, as the old runner's exp00008 measured it
 * (runner/src/exp00008.rs): a target whose kernel comes from 0sim's
 * markm_instrument_swap branch, its swap file on; size = MemAvailable +
 * 0.8 SwapFree (KB); /proc/swap_extra_factor <- FACTOR when not 0;
 * /proc/swap_instrumentation appended to .out every INTERVAL s and once at
 * the end; a hog of size/4 pages (the runner's size was in KB: the hog
 * takes the whole size, "give it all memory"), then the workload: memcached
 * filled with size >> 20 GB (-m) or memhog of size KB, 10 times (-h).
 * .guest_mem is the target's /proc/meminfo. NAS CG (-c) is refused for
 * now. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/experiment.h"
#include "core/procfs.h"
#include "exp/kinst.h"
#include "exp/texp.h"
#include "ops/run.h"
#include "util/str.h"

#include "util/banned.h"

#define MAX_VM_GB (1024ULL * 1024)
#define GUEST_OUT "/results/exp00008.out"
#define HOG_PID "/tmp/zsim-hog.pid"
#define MEMHOG_R 10

static const struct zo_param params[] = {
	{ "interval", NULL, "INTERVAL", ZO_PARAM_UINT, true, 1, 86400, NULL, NULL, true,
	  "seconds between two /proc/swap_instrumentation samples" },
	{ "memcached", "--memcached", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "fill memcached with the size (needs memcached in the target)" },
	{ "cg", "--cg", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "NAS CG (not part of this zsim-orch's exp00008 yet)" },
	{ "memhog", "--memhog", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "memhog of the size, 10 times (numactl)" },
	{ "warmup", "--warmup", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, NULL, false,
	  "touch the size (zeros) before the workload" },
	{ "vm_size", "--vm-size", "GB", ZO_PARAM_UINT, false, 1, MAX_VM_GB, "2048", NULL, true,
	  "target memory in GB" },
	{ "cores", "--cores", "N", ZO_PARAM_UINT, false, 1, 4096, "1", NULL, true,
	  "target vCPUs, pinned 1:1 to host CPUs" },
	{ "factor", "--factor", "N", ZO_PARAM_UINT, false, 0, 1000000, "0", NULL, true,
	  "/proc/swap_extra_factor, the reclaim order's extra factor (0: left alone; the "
	  "runner's negative values are not taken)" },
};

static const struct zo_param_runner runner[] = {
	{ "memcached", "-m", NULL }, { "cg", "-c", NULL },	      { "memhog", "-h", NULL },
	{ "warmup", "-w", NULL },    { "vm_size", "--vm_size", NULL }, { "cores", "-C", NULL },
	{ "factor", "-f", NULL },
};

static int check(const struct zo_exp_args *a, char **ret_error)
{
	return zo_texp_one_workload(zo_exp_choice(a, "workload") != NULL,
				    "-m (memcached), -c (NAS CG) or -h (memhog)", ret_error);
}

/* The runner's names (exp00008.rs Workload::to_str; memhog is its own). */
static const char *workload(const struct zo_exp_args *a)
{
	static const struct zo_texp_name names[] = {
		{ "memcached", "memcached_gen_data" },
		{ "cg", "nas_cg" },
		{ NULL, NULL },
	};

	return zo_texp_name(zo_exp_choice(a, "workload"), names);
}

static const char *files(const struct zo_exp_args *a)
{
	(void)a;
	return "params,out,guest_mem,time,sim";
}

/* The runner's settings! block, in its order. */
static int settings(const struct zo_exp_args *a, struct zo_exp_settings *s)
{
	const char *w = workload(a);
	_cleanup_free_ char *name = zo_asprintf("swap_%s", w ? w : "");
	int r = name ? 0 : -ENOMEM;

	r |= zo_exp_settings_str(s, "workload", true, name ? name : "");
	r |= zo_exp_settings_uint(s, "exp", false, 8);
	r |= zo_exp_settings_bool(s, "calibrated", false, false);
	r |= zo_exp_settings_bool(s, "warmup", false, zo_exp_flag(a, "warmup"));
	r |= zo_exp_settings_uint(s, "vm_size", true, zo_exp_get_uint(a, "vm_size"));
	r |= zo_exp_settings_uint(s, "cores", true, zo_exp_get_uint(a, "cores"));
	r |= zo_exp_settings_uint(s, "factor", true, zo_exp_get_uint(a, "factor"));
	r |= zo_exp_settings_uint(s, "stats_interval", false, zo_exp_get_uint(a, "interval"));
	r |= zo_exp_settings_uint(s, "zswap_max_pool_percent", false, 50);
	return r < 0 ? -ENOMEM : 0;
}

struct exp {
	struct zo_texp t; /* first: the shared phases get &x->t */
	unsigned long long size_kb;
};

/* .guest_mem, and the size: MemAvailable + 0.8 SwapFree (KB). */
static int meminfo(struct exp *x)
{
	_cleanup_free_ char *kb = NULL;
	struct zo_meminfo m;
	int r = zo_texp_meminfo(&x->t, "guest_mem", &m);

	if (r < 0)
		return r;
	x->size_kb = m.mem_available / 1024 + 8 * (m.swap_free / 1024) / 10;
	kb = zo_asprintf("%llu", x->size_kb);
	zo_run_add_fact(x->t.run, "size_kb", kb);
	return 0;
}

static int phase_setup(struct zo_texp *t)
{
	struct exp *x = (struct exp *)t;
	const struct zo_exp_args *a = t->run->args;
	unsigned long long factor = zo_exp_get_uint(a, "factor");
	const char *const need[] = { "/proc/swap_instrumentation",
				     factor ? "/proc/swap_extra_factor" : NULL, NULL };
	_cleanup_free_ char *sh = NULL;
	int r, swap;

	if (zo_exp_flag(a, "cg"))
		return zo_run_fail(t->run, -EPERM, "exp00008 -c: NAS CG is not part of this "
						   "zsim-orch's exp00008 yet; -m (memcached) and -h "
						   "(memhog) are");
	/* the runner's first step; a target without the file is refused
	 * after the kernel check */
	swap = zo_kinst_guest_swap_try(t);
	if (swap < 0)
		return swap;
	r = zo_kinst_require_guest(t, need);
	if (r == 0)
		r = zo_kinst_guest_programs(t, zo_exp_flag(a, "memcached")
						       ? "hog zsim-touch memcached memcached_gen_data "
							 "taskset"
						       : "hog zsim-touch memhog");
	if (r == 0 && swap)
		r = zo_kinst_guest_swap_missing(t);
	if (r == 0)
		r = meminfo(x);
	if (r < 0 || !factor)
		return r;
	sh = zo_asprintf("echo %llu > /proc/swap_extra_factor", factor);
	return sh ? zo_texp_sh(t, "/proc/swap_extra_factor", sh) : -ENOMEM;
}

/* The runner touched (KB >> 12) pages, 1/1024 of what it meant: this
 * touches the size, as -w says. */
static int phase_warmup(struct zo_texp *t)
{
	struct exp *x = (struct exp *)t;
	_cleanup_free_ char *sh = zo_asprintf("zsim-touch %llu -z -o /dev/null", x->size_kb >> 2);

	zo_run_add_fact(t->run, "warmup_note", "the runner touched 1/1024 of the size (KB >> 12)");
	return sh ? zo_texp_sh(t, "zsim-touch", sh) : -ENOMEM;
}

/* The hog, until it says it has its memory (or dies trying). */
static int hog(struct exp *x)
{
	_cleanup_free_ char *sh = zo_asprintf(
		"rm -f /tmp/hog_ready; hog %llu </dev/null >/dev/null 2>&1 & echo $! > " HOG_PID "; "
		"while [ ! -e /tmp/hog_ready ]; do kill -0 $(cat " HOG_PID ") 2>/dev/null || "
		"{ echo 'hog ended before it had its memory (OOM?)' >&2; exit 1; }; sleep 1; done",
		x->size_kb / 4);

	return sh ? zo_texp_sh(&x->t, "hog", sh) : -ENOMEM;
}

static int work(struct exp *x)
{
	_cleanup_free_ char *sh = NULL, *core = NULL;
	int r;

	if (zo_exp_flag(x->t.run->args, "memhog")) {
		sh = zo_asprintf("i=0; while [ $i -lt %d ]; do memhog -r1 %lluk >/dev/null || "
				 "exit; i=$((i+1)); done",
				 MEMHOG_R, x->size_kb);
		return sh ? zo_texp_sh(&x->t, "memhog", sh) : -ENOMEM;
	}
	r = zo_texp_memcached(&x->t, x->size_kb >> 10, false);
	if (r < 0)
		return r;
	core = zo_texp_next_core(&x->t);
	sh = zo_asprintf("taskset -c %s memcached_gen_data localhost:11211 %llu > /dev/null", core,
			 x->size_kb >> 20);
	zo_run_add_fact(x->t.run, "workload_cpu", core);
	return sh ? zo_texp_sh(&x->t, "memcached_gen_data", sh) : -ENOMEM;
}

static int phase_workload(struct zo_texp *t)
{
	struct exp *x = (struct exp *)t;
	unsigned long long interval = zo_exp_get_uint(t->run->args, "interval");
	int r, s;

	r = zo_kinst_sampler_start(t, "/proc/swap_instrumentation", GUEST_OUT, interval);
	if (r == 0)
		r = hog(x);
	if (r == 0)
		r = work(x);
	s = zo_kinst_sampler_stop(t, interval);
	if (r == 0)
		r = s;
	s = zo_texp_sh(t, "stopping the hog", "kill $(cat " HOG_PID ") 2>/dev/null; :");
	return r < 0 ? r : s;
}

static int phase_collect(struct zo_texp *t)
{
	static const char *const files[] = { GUEST_OUT, "out", NULL };

	return zo_texp_collect(t, files);
}

static int run(struct zo_run *run)
{
	static const struct zo_texp_steps steps = {
		phase_setup, phase_warmup, phase_workload, phase_collect,
	};
	struct exp x;

	return zo_texp_run_new(run, &x, sizeof(x), &steps);
}

const struct zo_experiment zo_exp_exp00008 = {
	.name = "exp00008",
	.summary = "reclaim: /proc/swap_instrumentation every INTERVAL s under a hog and a "
		   "workload (needs a markm_instrument_swap target kernel)",
	.params = params,
	.n_params = ZO_ARRAY_SIZE(params),
	.runner = runner,
	.n_runner = ZO_ARRAY_SIZE(runner),
	.phases = zo_texp_phases,
	.check = check,
	.workload = workload,
	.settings = settings,
	.files = files,
	.run = run,
};
