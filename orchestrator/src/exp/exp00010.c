/* exp00010: the bare-metal baseline, as the old runner's exp00010 ran it
 * (runner/src/exp00010.rs): one of zsim's workload programs on the host
 * itself (no target), pinned round-robin over the host's CPUs:
 *   time_loop N | locality_mem_access N | time_mmap_touch SIZE (-z|-c) |
 *   memcached SIZE
 * time_loop and time_mmap_touch write .out, locality_mem_access .local and
 * .nonlocal. The runner recorded THP settings it never applied; so do we
 * (as settings), and we do not change the host either. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/experiment.h"
#include "exp/kinst.h"
#include "ops/hostwork.h"
#include "ops/run.h"
#include "sys/sysfs.h"
#include "util/spawn.h"
#include "util/str.h"

#include "util/banned.h"

static const struct zo_param params[] = {
	{ "time_loop", "--time-loop", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "time_loop N, into .out" },
	{ "locality_mem_access", "--locality", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload",
	  false, "locality_mem_access -l and -n N, into .local and .nonlocal" },
	{ "time_mmap_touch", "--touch", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "time_mmap_touch (zsim-touch) of SIZE GB with -z or -c, into .out" },
	{ "memcached", "--memcached", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "workload", false,
	  "fill a SIZE GB memcached on the host (needs memcached), into .out" },
	{ "count", NULL, "N|SIZE", ZO_PARAM_UINT, true, 1, 1ULL << 40, NULL, NULL, false,
	  "iterations (time_loop, locality_mem_access) or GB (time_mmap_touch, memcached)" },
	{ "zeros", "--zeros", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "pattern", false,
	  "time_mmap_touch: touch with zeros" },
	{ "counter", "--counter", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, "pattern", false,
	  "time_mmap_touch: touch with a counter" },
	{ "region_mib", "--region-mib", "MIB", ZO_PARAM_UINT, false, 1, 1ULL << 30, NULL, NULL,
	  false, "locality_mem_access's region in MiB (default: the program's 4 GiB; not the "
		 "runner's: for small hosts)" },
};

/* The runner's subcommands are words where zsim has options. */
static const struct zo_param_runner runner[] = {
	{ "time_loop", "time_loop", NULL },
	{ "locality_mem_access", "locality_mem_access", NULL },
	{ "time_mmap_touch", "time_mmap_touch", NULL },
	{ "memcached", "memcached", NULL },
	{ "zeros", "-z", "time_mmap_touch" },
	{ "counter", "-c", "time_mmap_touch" },
};

static const char *const phases[] = { "preflight", "workload", "collect", NULL };

static const char *workload(const struct zo_exp_args *a)
{
	return zo_exp_choice(a, "workload");
}

static bool by_size(const struct zo_exp_args *a)
{
	return zo_exp_flag(a, "time_mmap_touch") || zo_exp_flag(a, "memcached");
}

static int check(const struct zo_exp_args *a, char **ret_error)
{
	if (zo_texp_one_workload(workload(a) != NULL,
				 "time_loop N, locality_mem_access N, time_mmap_touch SIZE (-z|-c) "
				 "or memcached SIZE",
				 ret_error) < 0)
		return -EINVAL;
	if (zo_exp_flag(a, "time_mmap_touch") && !zo_exp_choice(a, "pattern")) {
		*ret_error = zo_asprintf("time_mmap_touch needs -z or -c");
		return -EINVAL;
	}
	return 0;
}

static const char *files(const struct zo_exp_args *a)
{
	return zo_exp_flag(a, "locality_mem_access") ? "params,local,nonlocal,time,sim"
						     : "params,out,time,sim";
}

/* The runner's settings! block, in its order. */
static int settings(const struct zo_exp_args *a, struct zo_exp_settings *s)
{
	const char *w = workload(a), *pattern = zo_exp_choice(a, "pattern");
	unsigned long long count = zo_exp_get_uint(a, "count");
	bool size = by_size(a);
	_cleanup_free_ char *ws = NULL;
	int r = 0;

	r |= zo_exp_settings_str(s, "workload", true, "bare_metal");
	r |= zo_exp_settings_str(s, "app", true, w ? w : "");
	r |= zo_exp_settings_uint(s, "exp", false, 10);
	/* (n > 0) n, (size > 0) size, (pattern.is_some()) pattern: always
	 * recorded, in the name when the condition holds */
	r |= zo_exp_settings_uint(s, "n", !size, size ? 0 : count);
	r |= zo_exp_settings_uint(s, "size", size, size ? count : 0);
	r |= zo_exp_settings_str(s, "pattern", pattern != NULL, pattern ? pattern : "n/a");
	/* serde's form of the runner's Workload enum */
	if (zo_exp_flag(a, "time_loop"))
		ws = zo_asprintf("{\"TimeLoop\":{\"n\":%llu}}", count);
	else if (zo_exp_flag(a, "locality_mem_access"))
		ws = zo_asprintf("{\"LocalityMemAccess\":{\"n\":%llu}}", count);
	else if (zo_exp_flag(a, "time_mmap_touch"))
		ws = zo_asprintf("{\"TimeMmapTouch\":{\"size\":%llu,\"pattern\":\"%s\"}}", count,
				 pattern && !strcmp(pattern, "counter") ? "Counter" : "Zeros");
	else
		ws = zo_asprintf("{\"Memcached\":{\"size\":%llu}}", count);
	r |= ws ? zo_exp_settings_json(s, "workload_settings", false, ws) : -ENOMEM;
	r |= zo_kinst_thp_settings(s);
	return r < 0 ? -ENOMEM : 0;
}

struct exp {
	struct zo_texp t; /* first: the phases get &x->t (no target) */
	char *dir; /* the workload programs */
	long ncpus;
	long next_cpu; /* the runner's TasksetCtx over the host's CPUs */
};

static char *program(struct exp *x, const char *name)
{
	return zo_asprintf("%s/%s", x->dir, name);
}

static int phase_preflight(struct zo_texp *t)
{
	struct exp *x = (struct exp *)t;
	static const struct zo_texp_name programs[] = {
		{ "time_mmap_touch", "zsim-touch" },
		{ "memcached", "memcached_gen_data" },
		{ NULL, NULL },
	};
	const char *w = workload(x->t.run->args), *name = zo_texp_name(w, programs);
	_cleanup_free_ char *path = NULL;

	x->dir = zo_workloads_dir(NULL);
	path = x->dir ? program(x, name) : NULL;
	if (!path)
		return zo_run_fail(x->t.run, -ENOMEM, "out of memory");
	zo_run_add_fact(x->t.run, "workload_dir", x->dir);
	if (zo_host_workload_check(x->t.run->ctx, path) < 0)
		return zo_run_fail(x->t.run, -EPERM, "%s", x->t.run->ctx->error);
	if (!strcmp(w, "memcached") && !zo_have_program("memcached"))
		return zo_run_fail(x->t.run, -EPERM,
				   "exp00010 memcached: this host has no memcached; install the "
				   "memcached package (CentOS and Debian)");
	x->ncpus = zo_host_ncpus();
	return 0;
}

static int host(struct exp *x, char *const argv[], int cpu, const char *ext)
{
	_cleanup_free_ char *out = ext ? zo_run_file(x->t.run, ext) : NULL;
	int r;

	if (ext && !out)
		return zo_run_fail(x->t.run, -ENOMEM, "out of memory");
	if (cpu >= 0) {
		_cleanup_free_ char *c = zo_asprintf("%d", cpu);

		zo_run_add_fact(x->t.run, "workload_cpu", c);
	}
	r = zo_host_workload(x->t.run->ctx, argv, cpu, out, zo_run_stop_flag());
	return r < 0 ? zo_run_fail(x->t.run, r, "%s", x->t.run->ctx->error) : 0;
}

static int next_cpu(struct exp *x)
{
	int c = (int)x->next_cpu;

	x->next_cpu = (x->next_cpu + 1) % x->ncpus;
	return c;
}

/* The frequency memcached_gen_data times with: the TSC's (the runner's
 * was lscpu's CPU max MHz). */
static char *freq_mhz(struct exp *x)
{
	unsigned long long khz = 0;
	const char *source = NULL;

	if (zo_tsc_khz(x->t.run->ctx->root, &khz, &source) < 0 || khz < 1000)
		return NULL;
	return zo_asprintf("%llu", khz / 1000);
}

/* memcached -M -m <size GB in MB> -d -f 1.11 on 127.0.0.1:11211 (as root,
 * -u root), filled with SIZE GB by memcached_gen_data pinned to the next
 * CPU (OOM allowed: errors are lines of .out); the server stopped after. */
static int memcached(struct exp *x)
{
	unsigned long long gb = zo_exp_get_uint(x->t.run->args, "count");
	_cleanup_free_ char *mb = zo_asprintf("%llu", gb << 10), *freq = freq_mhz(x);
	_cleanup_free_ char *pidfile = zo_run_file(x->t.run, "memcached-pid");
	_cleanup_free_ char *client = program(x, "memcached_gen_data");
	char *server[] = { (char *)"memcached", (char *)"-M", (char *)"-m", mb, (char *)"-d",
			   (char *)"-u", (char *)"root", (char *)"-f", (char *)"1.11", (char *)"-l",
			   (char *)"127.0.0.1", (char *)"-p", (char *)"11211", (char *)"-P", pidfile,
			   NULL };
	char *argv[] = { client, (char *)"localhost:11211", (char *)zo_exp_get(x->t.run->args, "count"),
			 freq ? (char *)"--freq" : NULL, freq, NULL };
	int r, s;

	if (!mb || !pidfile || !client)
		return zo_run_fail(x->t.run, -ENOMEM, "out of memory");
	r = host(x, server, -1, NULL);
	if (r < 0)
		return r;
	/* memcached -d detaches before it listens */
	r = zo_host_wait_listening(x->t.run->ctx, 11211, 10000);
	if (r < 0)
		r = zo_run_fail(x->t.run, r, "%s", x->t.run->ctx->error);
	if (r == 0)
		r = host(x, argv, next_cpu(x), "out");
	s = zo_host_daemon_stop(x->t.run->ctx, pidfile);
	if (s < 0 && r == 0)
		r = zo_run_fail(x->t.run, s, "%s", x->t.run->ctx->error);
	return r;
}

static int phase_workload(struct zo_texp *t)
{
	struct exp *x = (struct exp *)t;
	const struct zo_exp_args *a = x->t.run->args;
	const char *count = zo_exp_get(a, "count"), *region = zo_exp_get(a, "region_mib");
	_cleanup_free_ char *prog = NULL, *pages = NULL;
	int r;

	if (zo_exp_flag(a, "time_loop")) {
		char *argv[] = { prog = program(x, "time_loop"), (char *)count, NULL };

		return prog ? host(x, argv, next_cpu(x), "out") : -ENOMEM;
	}
	if (zo_exp_flag(a, "locality_mem_access")) {
		char *argv[] = { prog = program(x, "locality_mem_access"), (char *)"-l",
				 (char *)count, region ? (char *)"--region-mib" : NULL,
				 (char *)region, NULL };

		if (!prog)
			return -ENOMEM;
		/* it pins itself to CPU 0, as the runner's did (threads: None) */
		r = host(x, argv, -1, "local");
		argv[1] = (char *)"-n";
		return r < 0 ? r : host(x, argv, -1, "nonlocal");
	}
	if (zo_exp_flag(a, "memcached"))
		return memcached(x);
	{
		char *argv[] = { prog = program(x, "zsim-touch"),
				 pages = zo_asprintf("%llu",
						     (zo_exp_get_uint(a, "count") << 30) >> 12),
				 zo_exp_flag(a, "counter") ? (char *)"-c" : (char *)"-z", NULL };

		return prog && pages ? host(x, argv, next_cpu(x), "out") : -ENOMEM;
	}
}

static int phase_collect(struct zo_texp *t)
{
	return zo_run_write_host_sim(t->run, NULL);
}

static int run(struct zo_run *run)
{
	static const struct zo_texp_phase_fn steps[] = {
		{ "preflight", phase_preflight },
		{ "workload", phase_workload },
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

const struct zo_experiment zo_exp_exp00010 = {
	.name = "exp00010",
	.summary = "bare-metal baseline: a workload program on the host itself, no target",
	.params = params,
	.n_params = ZO_ARRAY_SIZE(params),
	.runner = runner,
	.n_runner = ZO_ARRAY_SIZE(runner),
	.phases = phases,
	.records_tsc = true,
	.check = check,
	.workload = workload,
	.settings = settings,
	.files = files,
	.run = run,
};
