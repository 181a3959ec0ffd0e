/* exp00005: NAS CG in a target, as the old runner's exp00005 ran it
 * (runner/src/exp00005.rs): cg.<class>.x pinned to vCPU 0 into .out, the
 * target's /proc/vmstat appended to .vmstat and the host's zswap debugfs
 * counters to .zswapstats every second, for DURATION seconds. The runner
 * named it class E and ran class F: --class (default F) says which, and
 * .params records it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/experiment.h"
#include "exp/texp.h"
#include "ops/run.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

#define MAX_VM_GB (1024ULL * 1024)
#define TOUCH "/usr/bin/zsim-touch"
#define GUEST_OUT "/results/exp00005.out"
#define GUEST_VMSTAT "/results/exp00005.vmstat"

static const struct zo_param params[] = {
	{ "duration", NULL, "DURATION", ZO_PARAM_UINT, true, 1, 30 * 86400ULL, NULL, NULL, true,
	  "seconds to let NAS CG run and to sample" },
	{ "vm_size", NULL, "VMSIZE", ZO_PARAM_UINT, false, 1, MAX_VM_GB, "2048", NULL, true,
	  "target memory in GB" },
	{ "cores", "--cores", "N", ZO_PARAM_UINT, false, 1, 4096, "1", NULL, true,
	  "target vCPUs, pinned 1:1 to host CPUs" },
	{ "warmup", "--warmup", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, NULL, false,
	  "touch the whole target (zeros) before the workload" },
	{ "class_e", "--class-e", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "class", false,
	  "run cg.E.x (the runner's name for it; it ran class F)" },
	{ "class_f", "--class-f", NULL, ZO_PARAM_FLAG, false, 0, 0, "yes", "class", false,
	  "run cg.F.x (what the runner ran; the default)" },
};

static const struct zo_param_runner runner[] = {
	{ "cores", "-C", NULL },
	{ "warmup", "-w", NULL },
};

static const char *cg(const struct zo_exp_args *a)
{
	return zo_exp_flag(a, "class_e") ? "cg.E.x" : "cg.F.x";
}

static const char *workload(const struct zo_exp_args *a)
{
	(void)a;
	return "nas_cg";
}

static const char *files(const struct zo_exp_args *a)
{
	(void)a;
	return "params,out,vmstat,zswapstats,time,sim";
}

/* The runner's settings! block, in its order, and the class that ran. */
static int settings(const struct zo_exp_args *a, struct zo_exp_settings *s)
{
	int r = 0;

	r |= zo_exp_settings_str(s, "workload", true, "nas_cg_class_e");
	r |= zo_exp_settings_uint(s, "exp", false, 5);
	r |= zo_exp_settings_bool(s, "calibrated", false, false);
	r |= zo_exp_settings_bool(s, "warmup", false, zo_exp_flag(a, "warmup"));
	r |= zo_exp_settings_uint(s, "vm_size", true, zo_exp_get_uint(a, "vm_size"));
	r |= zo_exp_settings_uint(s, "cores", true, zo_exp_get_uint(a, "cores"));
	r |= zo_exp_settings_uint(s, "duration", false, zo_exp_get_uint(a, "duration"));
	r |= zo_exp_settings_str(s, "nas_class", false, zo_exp_flag(a, "class_e") ? "E" : "F");
	r |= zo_exp_settings_uint(s, "zswap_max_pool_percent", false, 50);
	return r < 0 ? -ENOMEM : 0;
}

struct exp {
	struct zo_texp t; /* first: the shared phases get &x->t */
	char *cg;	  /* the program's path in the target */
};

/* cg.<class>.x in the target, or a refusal saying how to get it. */
static int phase_setup(struct zo_texp *t)
{
	const char *const names[] = { cg(t->run->args), NULL };

	return zo_texp_nas_cg(t, names, &((struct exp *)t)->cg);
}

/* The runner's warmup: the whole target, (vm_size << 30) >> 12 pages. */
static int phase_warmup(struct zo_texp *t)
{
	_cleanup_free_ char *sh = zo_asprintf(TOUCH " %llu -z -o /dev/null",
					      (zo_exp_get_uint(t->run->args, "vm_size") << 30) >> 12);

	return zo_texp_sh(t, "zsim-touch", sh);
}

/* CG and the target's sampler start on their own; the host samples zswap
 * each second until DURATION has passed. */
static int phase_workload(struct zo_texp *t)
{
	struct exp *x = (struct exp *)t;
	unsigned long long duration = zo_exp_get_uint(t->run->args, "duration"), i;
	_cleanup_free_ char *start = zo_asprintf(
		"rm -f " GUEST_VMSTAT "; "
		"(i=0; while [ $i -lt %llu ]; do cat /proc/vmstat >> " GUEST_VMSTAT "; sleep 1; "
		"i=$((i+1)); done) </dev/null >/dev/null 2>&1 & "
		"(cd /results && exec taskset -c 0 %s) </dev/null > " GUEST_OUT " 2>&1 &",
		duration, x->cg);
	struct zo_strbuf sb = { 0 };
	uint64_t t0 = zo_now_ms();
	int r = zo_texp_sh(t, "NAS CG", start);

	for (i = 0; r == 0 && i < duration; i++) {
		uint64_t due = t0 + (i + 1) * 1000, now;

		zo_run_zswap_stats(t->run, &sb);
		now = zo_now_ms();
		zo_sleep_ms(due > now ? due - now : 0, zo_run_stop_flag());
		if (*zo_run_stop_flag())
			r = zo_run_fail(t->run, -EINTR, "stopped by signal %d",
					(int)*zo_run_stop_flag());
	}
	if (r == 0)
		r = zo_run_write(t->run, "zswapstats", sb.buf ? sb.buf : "");
	zo_strbuf_release(&sb);
	return r;
}

static int phase_collect(struct zo_texp *t)
{
	static const char *const files[] = { GUEST_OUT, "out", GUEST_VMSTAT, "vmstat", NULL };

	return zo_texp_collect(t, files);
}

static int run(struct zo_run *run)
{
	static const struct zo_texp_steps steps = {
		phase_setup, phase_warmup, phase_workload, phase_collect,
	};
	struct exp x;
	int r;

	r = zo_texp_run_new(run, &x, sizeof(x), &steps);
	free(x.cg);
	return r;
}

const struct zo_experiment zo_exp_exp00005 = {
	.name = "exp00005",
	.summary = "NAS CG in a target for DURATION s, with the target's vmstat and the host's "
		   "zswap counters every second",
	.params = params,
	.n_params = ZO_ARRAY_SIZE(params),
	.runner = runner,
	.n_runner = ZO_ARRAY_SIZE(runner),
	.phases = zo_texp_phases,
	.workload = workload,
	.settings = settings,
	.files = files,
	.run = run,
};
