/* exp00000: boot a VMSIZE GB target and time touching its memory with
 * zsim-touch, as the old runner's exp00000 did (runner/src/exp00000.rs):
 * its command line (positional VMSIZE CORES, -z -c -m -r -M -w -p -s GB,
 * --multicore_offsetting --drift_thresh --delay --disable_zswap), its host
 * conditioning, its settings, file names and files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/experiment.h"
#include "core/procfs.h"
#include "exp/texp.h"
#include "ops/run.h"
#include "ops/target.h"
#include "sys/sysfs.h"
#include "util/str.h"

#include "util/banned.h"

/* The largest target anyone simulates with 0sim is tens of TB; 1 PB keeps
 * typos like 40960000 out. */
#define MAX_VM_GB (1024ULL * 1024)

#define TOUCH "/usr/bin/zsim-touch"
#define GUEST_OUT "/results/zsim-touch.out"
#define SERVER_OUT "/results/exp00000.out" /* the memcached and redis clients' */
#define REDIS_SOCK "/tmp/redis.sock"
/* where redis dumps: a tiny tmpfs its dumps do not fit in, as the runner's
 * nullfs threw them away */
#define REDIS_DIR "/mnt/zsim-redis"

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

static const char *const phases[] = {
	"preflight", "storage",	 "condition host", "target start", "setup",
	"warmup",    "workload", "collect",	   "target stop",  "restore host",
	NULL,
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

/* The workload program the choice runs, as zsim's settings name it. */
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
	struct zo_texp t; /* first: the shared phases get &x->t */
	unsigned long long pages;
	unsigned long long size_gb; /* the workload's size */
	const char *out_dev;      /* the results disk in the target, or "" */
	unsigned long long out_len; /* what zsim-touch wrote onto it */
};

static int failed(struct exp *x, int r)
{
	return zo_texp_failed(&x->t, r);
}

static int guest(struct exp *x, char *const *argv, struct zo_guest_exec *e)
{
	return zo_texp_guest(&x->t, argv, e);
}

/* The workload's programs, what they come with, and taskset must be in
 * the target: else refused (exit 3) saying how to get them. */
static int check_workload_program(struct exp *x)
{
	static const struct {
		const char *choice, *program, *client, *how;
	} programs[] = {
		{ "zeros", TOUCH, TOUCH, "a target prepared with 'zsim-orch target prepare' "
					 "installs it" },
		{ "counter", TOUCH, TOUCH, "a target prepared with 'zsim-orch target prepare' "
					   "installs it" },
		{ "memcached", "memcached", "/usr/bin/memcached_gen_data",
		  "the memcached package (CentOS and Debian): install it in the target" },
		{ "redis", "redis-server", "/usr/bin/redis_gen_data",
		  "the redis package (CentOS; redis-server in Debian): install it in the target" },
		{ "matrixmult", "matrix_mult2", "matrix_mult2",
		  "Metis is not packaged anywhere; " ZO_TEXP_BUILD_HOW("metis") " (zsim pins no "
		  "SHA-256 for the Metis archive yet: give one you checked as METIS_SHA256)" },
	};
	const char *choice = zo_exp_choice(x->t.run->args, "workload");
	char *argv[] = { (char *)"sh", (char *)"-c",
			 (char *)"command -v \"$0\" >/dev/null || exit 1; "
				 "command -v \"$1\" >/dev/null || exit 3; "
				 "command -v taskset >/dev/null || exit 2",
			 NULL, NULL, NULL };
	struct zo_guest_exec e;
	size_t i, k = 0;
	int r;

	for (i = 0; i < ZO_ARRAY_SIZE(programs); i++)
		if (choice && !strcmp(programs[i].choice, choice))
			k = i;
	argv[3] = (char *)programs[k].program;
	argv[4] = (char *)programs[k].client;
	r = guest(x, argv, &e);
	if (r < 0)
		return r;
	r = e.exit_code;
	zo_guest_exec_release(&e);
	if (r == 2)
		return zo_run_fail(x->t.run, -EPERM,
				   "the target has no taskset (util-linux) for --%s; a target "
				   "prepared with 'zsim-orch target prepare' installs it",
				   choice ? choice : "zeros");
	if (r != 0)
		return zo_run_fail(x->t.run, -EPERM, "the target has no %s for --%s; %s",
				   r == 3 ? programs[k].client : programs[k].program,
				   choice ? choice : "zeros",
				   r == 3 ? "a target prepared with 'zsim-orch target prepare' "
					    "installs it"
					  : programs[k].how);
	return 0;
}

/* The runner's size: --size, else the target's MemAvailable in whole GB,
 * rounded down (exp00000.rs: MemAvailable KB >> 20). */
static int workload_size(struct exp *x)
{
	const struct zo_exp_args *a = x->t.run->args;
	char *const argv[] = { (char *)"cat", (char *)"/proc/meminfo", NULL };
	_cleanup_free_ char *kb = NULL, *gb = NULL;
	unsigned long long size;
	struct zo_guest_exec e;
	struct zo_meminfo m;
	int r = guest(x, argv, &e);

	if (r < 0)
		return r;
	r = zo_parse_meminfo(e.out, &m);
	zo_guest_exec_release(&e);
	if (r < 0)
		return zo_run_fail(x->t.run, r, "cannot read the target's /proc/meminfo");
	kb = zo_asprintf("%llu", (unsigned long long)(m.mem_available / 1024));
	zo_run_add_fact(x->t.run, "target_mem_available_kb", kb);
	size = zo_exp_get(a, "size") ? zo_exp_get_uint(a, "size") : m.mem_available >> 30;
	gb = zo_asprintf("%llu", size);
	zo_run_add_fact(x->t.run, "workload_size_gb", gb);
	x->pages = (size << 30) >> 12;
	x->size_gb = size;
	if (size == 0)
		zo_warn(&x->t.run->ctx->log, "the target has less than 1 GB available and no --size "
					   "was given: the workload touches nothing (the runner's "
					   "rule: MemAvailable in whole GB)");
	return 0;
}

static bool touching(const struct exp *x)
{
	const char *c = zo_exp_choice(x->t.run->args, "workload");

	return !c || !strcmp(c, "zeros") || !strcmp(c, "counter");
}

static int phase_setup(struct zo_texp *t)
{
	struct exp *x = (struct exp *)t;
	int r = check_workload_program(x);

	if (r == 0)
		r = workload_size(x);
	/* .out straight onto the results disk, where the host reads it at
	 * disk speed and the target's RAM never holds it */
	if (r == 0 && touching(x) && zo_target_results_device(&x->t.target, &x->out_dev) < 0)
		r = failed(x, -EIO);
	return r;
}

/* `zsim-touch PAGES PATTERN [-p] -o OUT` pinned to the next vCPU, as the
 * runner ran time_mmap_touch under `taskset -c`. */
static int touch(struct exp *x, const char *pattern, bool prefault, const char *out)
{
	_cleanup_free_ char *n = zo_asprintf("%llu", x->pages);
	_cleanup_free_ char *core = zo_texp_next_core(&x->t);
	char *argv[12], *touching;
	struct zo_guest_exec e;
	int k = 0, r;

	zo_run_add_fact(x->t.run, strcmp(out, "/dev/null") ? "workload_cpu" : "warmup_cpu", core);
	argv[k++] = (char *)"taskset";
	argv[k++] = (char *)"-c";
	argv[k++] = core;
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
		r = zo_run_fail(x->t.run, -EIO, "zsim-touch exited %d: %.*s", e.exit_code,
				(int)(e.err_len > 300 ? 300 : e.err_len), e.err);
	/* its plan line: "...: touching T, R reserved for N records ..." */
	else if (strcmp(out, "/dev/null") && (touching = strstr(e.err, "touching "))) {
		_cleanup_free_ char *t = strndup(touching + 9, strcspn(touching + 9, ","));
		const char *wrote = strstr(e.err, "zsim-touch: wrote ");

		zo_run_add_fact(x->t.run, "pages_touched", t);
		if (wrote)
			x->out_len = strtoull(wrote + strlen("zsim-touch: wrote "), NULL, 10);
		else if (*x->out_dev)
			r = zo_run_fail(x->t.run, -EIO, "zsim-touch in the target did not say how much "
						      "it wrote onto the results disk: it is older than "
						      "this zsim-orch; 'zsim-orch target prepare' "
						      "installs the new one");
	}
	zo_guest_exec_release(&e);
	return r;
}

static int phase_warmup(struct zo_texp *t)
{
	struct exp *x = (struct exp *)t;

	return touch(x, "-z", false, "/dev/null");
}

static long cpu_ms(const struct rusage *before, const struct rusage *after)
{
	return (after->ru_utime.tv_sec - before->ru_utime.tv_sec) * 1000 +
	       (after->ru_utime.tv_usec - before->ru_utime.tv_usec) / 1000 +
	       (after->ru_stime.tv_sec - before->ru_stime.tv_sec) * 1000 +
	       (after->ru_stime.tv_usec - before->ru_stime.tv_usec) / 1000;
}

/* The frequency the clients time with (--freq MHz): the runner's was the
 * CPU's max MHz from lscpu; the TSC's is what the cycles count. */
static unsigned long long freq_mhz(struct exp *x)
{
	unsigned long long khz = 0;
	const char *source = NULL;

	if (zo_tsc_khz(x->t.run->ctx->root, &khz, &source) < 0 || khz < 1000)
		return 0;
	return khz / 1000;
}

/* The client, pinned to the next vCPU, its output into SERVER_OUT. */
static int client(struct exp *x, const char *what, const char *cmdline)
{
	_cleanup_free_ char *core = zo_texp_next_core(&x->t);
	unsigned long long mhz = freq_mhz(x);
	_cleanup_free_ char *freq = mhz ? zo_asprintf(" --freq %llu", mhz) : strdup("");
	_cleanup_free_ char *sh = zo_asprintf("taskset -c %s %s%s > " SERVER_OUT, core, cmdline,
					      freq ? freq : "");

	zo_run_add_fact(x->t.run, "workload_cpu", core);
	return sh ? zo_texp_sh(&x->t, what, sh) : -ENOMEM;
}

/* memcached -M -m <size MB> -f 1.11, filled with size-1 GB as the runner
 * did (OOM allowed: errors are lines in .out); the client starts once the
 * server listens. */
static int memcached(struct exp *x)
{
	unsigned long long gb = x->size_gb;
	_cleanup_free_ char *server = zo_asprintf(
		"echo 1000000000 > /proc/sys/vm/max_map_count && "
		"memcached -M -m %llu -d -u root -f 1.11 && "
		/* -d detaches before it listens: wait for port 11211 (2BCB) */
		"n=0; while ! cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | "
		"grep -q ':2BCB 0*:0000 0A' && [ $n -lt 300 ]; do sleep 0.1; "
		"n=$((n+1)); done; [ $n -lt 300 ]",
		gb << 10);
	_cleanup_free_ char *cmd = zo_asprintf("/usr/bin/memcached_gen_data localhost:11211 %llu",
					       gb ? gb - 1 : 0);
	int r = zo_texp_sh(&x->t, "memcached", server);

	return r < 0 ? r : client(x, "memcached_gen_data", cmd);
}

/* redis-server on a unix socket, allkeys-random, maxmemory <size> MB, its
 * dumps into a tmpfs too small for them (the runner's nullfs). */
static int redis(struct exp *x)
{
	unsigned long long gb = x->size_gb;
	_cleanup_free_ char *server = zo_asprintf(
		"echo 1 > /proc/sys/vm/overcommit_memory && rm -f /tmp/dump.rdb && "
		"mkdir -p " REDIS_DIR " && { mountpoint -q " REDIS_DIR " || "
		"mount -t tmpfs -o size=1m zsim-redis " REDIS_DIR "; } && "
		"redis-server --port 0 --unixsocket " REDIS_SOCK " --daemonize yes "
		"--dir " REDIS_DIR " --save '300 1' --stop-writes-on-bgsave-error no "
		"--maxmemory-policy allkeys-random --maxmemory %llumb && "
		"n=0; while [ ! -S " REDIS_SOCK " ] && [ $n -lt 300 ]; do sleep 0.1; "
		"n=$((n+1)); done; [ -S " REDIS_SOCK " ]",
		gb << 10);
	_cleanup_free_ char *cmd = zo_asprintf("/usr/bin/redis_gen_data unix:" REDIS_SOCK " %llu",
					       gb);
	int r = zo_texp_sh(&x->t, "redis-server", server);

	return r < 0 ? r : client(x, "redis_gen_data", cmd);
}

/* Metis: matrix_mult2 -q -o -l sqrt(size << 27), pinned; no .out. */
static int metis(struct exp *x)
{
	unsigned long long n = x->size_gb << 27, dim = 0, bit = 1ULL << 62;
	_cleanup_free_ char *core = zo_texp_next_core(&x->t), *sh = NULL;

	/* the integer square root */
	while (bit > n)
		bit >>= 2;
	for (; bit; bit >>= 2)
		if (n >= dim + bit) {
			n -= dim + bit;
			dim = (dim >> 1) + bit;
		} else {
			dim >>= 1;
		}
	sh = zo_asprintf("taskset -c %s matrix_mult2 -q -o -l %llu > /dev/null", core, dim);
	zo_run_add_fact(x->t.run, "workload_cpu", core);
	return zo_texp_sh(&x->t, "matrix_mult2", sh);
}

static int servers(struct exp *x)
{
	const char *c = zo_exp_choice(x->t.run->args, "workload");

	if (!strcmp(c, "memcached"))
		return memcached(x);
	if (!strcmp(c, "redis"))
		return redis(x);
	return metis(x);
}

static int phase_workload(struct zo_texp *t)
{
	struct exp *x = (struct exp *)t;
	const struct zo_exp_args *a = x->t.run->args;
	struct rusage before, after;
	_cleanup_free_ char *cpu = NULL, *pages = zo_asprintf("%llu", x->pages);
	int r;

	zo_run_add_fact(x->t.run, "pages", pages);
	getrusage(RUSAGE_SELF, &before);
	if (touching(x))
		r = touch(x, zo_exp_flag(a, "counter") ? "-c" : "-z", zo_exp_flag(a, "prefault"),
			  *x->out_dev ? x->out_dev : GUEST_OUT);
	else
		r = servers(x);
	getrusage(RUSAGE_SELF, &after);
	if (r < 0)
		return r;
	/* zsim-orch's own CPU while the target works: it must wait, not spin */
	cpu = zo_asprintf("%ld", cpu_ms(&before, &after));
	zo_run_add_fact(x->t.run, "orch_cpu_ms_during_workload", cpu);
	return 0;
}

/* .out streamed from the target into the results; .sim with the target's
 * meminfo and kernel log, taken while it still runs. */
static int phase_collect(struct zo_texp *t)
{
	struct exp *x = (struct exp *)t;
	_cleanup_free_ char *out = zo_run_file(x->t.run, "out"), *bytes = NULL;
	size_t len = 0;
	int fd, r;

	if (!out)
		return zo_run_fail(x->t.run, -ENOMEM, "out of memory");
	if (zo_exp_flag(x->t.run->args, "matrixmult")) {
		r = 0; /* Metis writes none */
	} else {
		/* new, in the directory the run opened: never through a link */
		fd = zo_run_create(x->t.run, "out");
		if (fd < 0)
			return fd;
		if (*x->out_dev) {
			r = zo_target_copy_results_fd(&x->t.target, x->out_len, fd, out);
			len = (size_t)x->out_len;
		} else {
			r = zo_target_fetch_fd(&x->t.target, touching(x) ? GUEST_OUT : SERVER_OUT, fd,
					       out, &len);
		}
	}
	if (r < 0)
		return failed(x, r);
	zo_run_add_fact(x->t.run, "out_via", *x->out_dev ? "results disk" : "guest agent");
	bytes = zo_asprintf("%zu", len);
	zo_run_add_fact(x->t.run, "out_bytes", bytes);
	return zo_texp_write_sim(&x->t);
}

static int run(struct zo_run *run)
{
	static const struct zo_texp_steps steps = {
		phase_setup, phase_warmup, phase_workload, phase_collect,
	};
	struct exp x;

	memset(&x, 0, sizeof(x));
	x.t.run = run;
	x.out_dev = "";
	return zo_texp_run(&x.t, &steps);
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
