/* exp00007: fragmentation, as the old runner's exp00007 measured it
 * (runner/src/exp00007.rs): the target's /proc/buddyinfo appended to .out
 * every INTERVAL seconds while a workload runs; .guest_mem is the target's
 * /proc/meminfo. Workloads, sized by the target's MemAvailable as the
 * runner sized them: memcached (-m), NAS CG (-c, cg.F.x or cg.E.x from
 * NPB 3.4), memhog x10 (-h, numactl's), redis (-r), Metis matrix_mult2
 * (-M) and the mix (-x: redis, Metis and memhog a third each, until the
 * redis client is done). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/experiment.h"
#include "core/procfs.h"
#include "exp/bmk.h"
#include "ops/run.h"
#include "util/str.h"

#include "util/banned.h"

#define MAX_VM_GB (1024ULL * 1024)
#define GUEST_OUT "/results/exp00007.out"
#define STOP "/tmp/exp-stop"
#define STOPPED "/tmp/exp-stopped"
#define MEMHOG_R 10
/* the mix's Metis and memhog, which run until its redis client is done */
#define MIX_METIS "/tmp/zsim-mix-metis.pid"
#define MIX_MEMHOG "/tmp/zsim-mix-memhog.pid"
/* the runner let NAS CG run this long (NAS_CG_HOURS) */
#define NAS_CG_SECONDS (6 * 3600)

static const struct zo_param params[] = {
	{ "interval", NULL, "INTERVAL", ZO_PARAM_UINT, true, 1, 86400, NULL, NULL, true,
	  "seconds between two /proc/buddyinfo samples" },
	{ "memcached", "--memcached", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "fill memcached (memcached in the target)" },
	{ "cg", "--cg", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "NAS CG (cg.F.x or cg.E.x of NPB 3.4 in the target's PATH)" },
	{ "memhog", "--memhog", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "memhog of the target's available memory, 10 times (numactl)" },
	{ "redis", "--redis", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "fill redis (redis-server in the target)" },
	{ "metis", "--metis", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "Metis matrix_mult2 (built from its sources into the target)" },
	{ "mix", "--mix", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "redis, Metis and memhog, a third of the memory each, until redis is filled" },
	{ "warmup", "--warmup", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, NULL, false,
	  "touch the target's available memory (zeros) before the workload" },
	{ "vm_size", "--vm-size", "GB", ZO_PARAM_UINT, false, 1, MAX_VM_GB, "2048", NULL, true,
	  "target memory in GB" },
	{ "cores", "--cores", "N", ZO_PARAM_UINT, false, 1, 4096, "1", NULL, true,
	  "target vCPUs, pinned 1:1 to host CPUs" },
};

static const struct zo_param_runner runner[] = {
	{ "memcached", "-m", NULL }, { "cg", "-c", NULL },	   { "memhog", "-h", NULL },
	{ "redis", "-r", NULL },     { "metis", "-M", NULL },	   { "mix", "-x", NULL },
	{ "warmup", "-w", NULL },    { "vm_size", "--vm_size", NULL }, { "cores", "-C", NULL },
};

static int check(const struct zo_exp_args *a, char **ret_error)
{
	return zo_texp_one_workload(zo_exp_choice(a, "workload") != NULL,
				    "-m (memcached), -c (NAS CG), -h (memhog), -r (redis), -M "
				    "(Metis) or -x (the mix)",
				    ret_error);
}

/* The runner's names of the workloads. */
static const struct zo_texp_name names[] = {
	{ "memcached", "memcached_gen_data" },
	{ "cg", "nas_cg" },
	{ NULL, NULL },
};

static const char *workload(const struct zo_exp_args *a)
{
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
	int r = 0;

	r |= zo_exp_settings_str(s, "workload", true, "fragmentation");
	r |= zo_exp_settings_str(s, "app", true, w ? w : "");
	r |= zo_exp_settings_uint(s, "exp", false, 7);
	r |= zo_exp_settings_bool(s, "calibrated", false, false);
	r |= zo_exp_settings_bool(s, "warmup", zo_exp_flag(a, "warmup"), zo_exp_flag(a, "warmup"));
	r |= zo_exp_settings_uint(s, "vm_size", true, zo_exp_get_uint(a, "vm_size"));
	r |= zo_exp_settings_uint(s, "cores", true, zo_exp_get_uint(a, "cores"));
	r |= zo_exp_settings_uint(s, "stats_interval", false, zo_exp_get_uint(a, "interval"));
	r |= zo_exp_settings_uint(s, "zswap_max_pool_percent", false, 50);
	return r < 0 ? -ENOMEM : 0;
}

struct exp {
	struct zo_texp t; /* first: the shared phases get &x->t */
	unsigned long long avail_kb; /* the target's MemAvailable */
	char *cg;		     /* the NAS CG program found in the target */
};

/* NAS CG in the target: cg.F.x, else cg.E.x; else refused saying how to
 * get it (exit 3). */
static int find_cg(struct exp *x)
{
	static const char *const names[] = { "cg.F.x", "cg.E.x", NULL };

	return zo_texp_nas_cg(&x->t, names, &x->cg);
}

/* The workload's programs in the target, or a refusal that says how to
 * get them (exit 3). */
static int phase_setup(struct zo_texp *t)
{
	const char *c = zo_exp_choice(t->run->args, "workload");
	_cleanup_free_ char *flag = zo_asprintf("--%s", c);
	int r = 0;

	if (!flag)
		return -ENOMEM;
	if (!strcmp(c, "cg"))
		return find_cg((struct exp *)t);
	if (!strcmp(c, "memcached"))
		return zo_bmk_check(t, flag, &zo_bmk_prog_memcached);
	if (!strcmp(c, "redis") || !strcmp(c, "mix"))
		r = zo_bmk_check(t, flag, &zo_bmk_prog_redis);
	if (r == 0 && (!strcmp(c, "metis") || !strcmp(c, "mix")))
		r = zo_bmk_check(t, flag, &zo_bmk_prog_metis);
	if (r == 0 && (!strcmp(c, "memhog") || !strcmp(c, "mix")))
		r = zo_bmk_check(t, flag, &zo_bmk_prog_memhog);
	return r;
}

/* .guest_mem, and the size the runner gave the workloads: MemAvailable. */
static int meminfo(struct exp *x)
{
	_cleanup_free_ char *kb = NULL;
	struct zo_meminfo m;
	int r = zo_texp_meminfo(&x->t, "guest_mem", &m);

	if (r < 0)
		return r;
	x->avail_kb = m.mem_available / 1024;
	kb = zo_asprintf("%llu", x->avail_kb);
	zo_run_add_fact(x->t.run, "target_mem_available_kb", kb);
	return 0;
}

static int phase_setup_all(struct zo_texp *t)
{
	int r = phase_setup(t);

	return r < 0 ? r : meminfo((struct exp *)t);
}

/* The runner touched (KB >> 12) pages, 1/1024 of what it meant (a shift
 * mistake): this touches the available memory, as -w says. */
static int phase_warmup(struct zo_texp *t)
{
	struct exp *x = (struct exp *)t;
	_cleanup_free_ char *sh = zo_asprintf(ZO_BMK_TOUCH " %llu -z -o /dev/null",
					      x->avail_kb >> 2);

	zo_run_add_fact(t->run, "warmup_pages", sh + strlen(ZO_BMK_TOUCH " "));
	zo_run_add_fact(t->run, "warmup_note", "the runner touched 1/1024 of this (KB >> 12)");
	return zo_texp_sh(t, "zsim-touch", sh);
}

/* The mix (workloads.rs run_mix): of size GB, a third each to a redis
 * server and client, Metis and memhog (-r1, again and again), each pinned
 * to the next vCPU in the runner's order (redis's client, Metis, memhog),
 * until the redis client is done; then Metis and memhog are stopped. */
static int mix(struct exp *x)
{
	unsigned long long gb = x->avail_kb >> 20;
	_cleanup_free_ char *redis_core = zo_texp_next_core(&x->t);
	_cleanup_free_ char *metis_core = zo_texp_next_core(&x->t);
	_cleanup_free_ char *memhog_core = zo_texp_next_core(&x->t);
	_cleanup_free_ char *metis = zo_asprintf("taskset -c %s matrix_mult2 -q -o -l %llu",
						 metis_core, zo_bmk_isqrt((gb / 3) << 27));
	_cleanup_free_ char *memhog = zo_asprintf("while :; do taskset -c %s memhog -r1 %lluk "
						  ">/dev/null || sleep 1; done",
						  memhog_core, (gb << 20) / 3);
	int r, s;

	if (!metis || !memhog)
		return -ENOMEM;
	/* the client, started last, gets the first of the three */
	x->t.next_core = (unsigned)strtoul(redis_core, NULL, 10);
	zo_run_add_fact(x->t.run, "metis_cpu", metis_core);
	zo_run_add_fact(x->t.run, "memhog_cpu", memhog_core);
	r = zo_bmk_redis_server(&x->t, (gb << 10) / 3);
	if (r == 0)
		r = zo_bmk_background(&x->t, "Metis", MIX_METIS, metis);
	if (r == 0)
		r = zo_bmk_background(&x->t, "memhog", MIX_MEMHOG, memhog);
	if (r == 0)
		r = zo_bmk_redis_client(&x->t, gb / 3, "/dev/null");
	s = zo_bmk_background_stop(&x->t, MIX_METIS);
	if (s == 0)
		s = zo_bmk_background_stop(&x->t, MIX_MEMHOG);
	return r < 0 ? r : s;
}

/* The workload, sized as the runner's exp00007 sized it from MemAvailable
 * (KB): memcached -m KB>>10 MB filled with (KB>>20)-1 GB, redis KB>>10 MB
 * with KB>>20 GB, Metis sqrt(KB << 7); their output thrown away, as the
 * runner's was (.out is the buddyinfo samples). */
static int work(struct exp *x)
{
	const char *c = zo_exp_choice(x->t.run->args, "workload");
	unsigned long long kb = x->avail_kb, gb = kb >> 20;
	_cleanup_free_ char *sh = NULL, *core = NULL;
	int r;

	if (!strcmp(c, "memcached"))
		return zo_bmk_memcached(&x->t, kb >> 10, gb ? gb - 1 : 0, "/dev/null");
	if (!strcmp(c, "redis")) {
		r = zo_bmk_redis_server(&x->t, kb >> 10);
		return r < 0 ? r : zo_bmk_redis_client(&x->t, gb, "/dev/null");
	}
	if (!strcmp(c, "metis"))
		return zo_bmk_metis(&x->t, zo_bmk_isqrt(kb << 7));
	if (!strcmp(c, "mix"))
		return mix(x);
	if (!strcmp(c, "memhog")) {
		core = zo_texp_next_core(&x->t);
		zo_run_add_fact(x->t.run, "workload_cpu", core);
		sh = zo_asprintf("i=0; while [ $i -lt %d ]; do taskset -c %s memhog -r1 %lluk "
				 ">/dev/null || exit; i=$((i+1)); done",
				 MEMHOG_R, core, kb);
		return sh ? zo_texp_sh(&x->t, "memhog", sh) : -ENOMEM;
	}
	sh = zo_asprintf("cd /results && timeout %d %s >/dev/null; s=$?; [ $s = 124 ] || exit $s",
			 NAS_CG_SECONDS, x->cg);
	return sh ? zo_texp_sh(&x->t, "NAS CG", sh) : -ENOMEM;
}

static int phase_workload(struct zo_texp *t)
{
	struct exp *x = (struct exp *)t;
	unsigned long long interval = zo_exp_get_uint(t->run->args, "interval");
	_cleanup_free_ char *loop = NULL, *stop = NULL;
	int r, s;

	/* the sampler runs on its own in the target until STOP appears */
	loop = zo_asprintf("rm -f " STOP " " STOPPED " " GUEST_OUT "; "
			   "(while [ ! -e " STOP " ]; do cat /proc/buddyinfo >> " GUEST_OUT
			   "; sleep %llu; done; touch " STOPPED ") </dev/null >/dev/null "
			   "2>&1 &",
			   interval);
	r = zo_texp_sh(t, "the buddyinfo sampler", loop);
	if (r < 0)
		return r;
	r = work(x);
	stop = zo_asprintf("touch " STOP "; n=0; while [ ! -e " STOPPED " ] && "
			   "[ $n -lt %llu ]; do sleep 1; n=$((n+1)); done",
			   interval + 5);
	s = zo_texp_sh(t, "stopping the buddyinfo sampler", stop);
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
		phase_setup_all, phase_warmup, phase_workload, phase_collect,
	};
	struct exp x;
	int r;

	r = zo_texp_run_new(run, &x, sizeof(x), &steps);
	free(x.cg);
	return r;
}

const struct zo_experiment zo_exp_exp00007 = {
	.name = "exp00007",
	.summary = "fragmentation: the target's /proc/buddyinfo every INTERVAL s while a "
		   "workload runs",
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
