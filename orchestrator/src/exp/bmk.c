/* exp00000's workloads in a target (exp/bmk.h), as the old runner's
 * workloads.rs ran them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/experiment.h"
#include "core/procfs.h"
#include "exp/bmk.h"
#include "ops/run.h"
#include "ops/target.h"
#include "sys/sysfs.h"
#include "util/str.h"

#include "util/banned.h"

#define GUEST_OUT "/results/zsim-touch.out"
#define SERVER_OUT "/results/exp00000.out" /* the memcached and redis clients' */
#define REDIS_SOCK "/tmp/redis.sock"
/* where redis dumps: a tiny tmpfs its dumps do not fit in, as the runner's
 * nullfs threw them away */
#define REDIS_DIR "/mnt/zsim-redis"
#define PREPARED "a target prepared with 'zsim-orch target prepare' installs it"

const struct zo_bmk_prog zo_bmk_prog_touch = { ZO_BMK_TOUCH, NULL, PREPARED };
const struct zo_bmk_prog zo_bmk_prog_memcached = {
	"memcached", "/usr/bin/memcached_gen_data",
	"the memcached package (CentOS and Debian): install it in the target"
};
const struct zo_bmk_prog zo_bmk_prog_redis = {
	"redis-server", "/usr/bin/redis_gen_data",
	"the redis package (CentOS; redis-server in Debian): install it in the target"
};
const struct zo_bmk_prog zo_bmk_prog_metis = {
	"matrix_mult2", NULL,
	"Metis is not packaged anywhere; " ZO_TEXP_BUILD_HOW("metis") " (zsim pins no "
	"SHA-256 for the Metis archive yet: give one you checked as METIS_SHA256)"
};
const struct zo_bmk_prog zo_bmk_prog_memhog = {
	"memhog", NULL,
	"it comes with numactl (the numactl package in CentOS and Debian); install it in the "
	"target"
};

int zo_bmk_check(struct zo_texp *t, const char *flag, const struct zo_bmk_prog *p)
{
	char *argv[] = { (char *)"sh", (char *)"-c",
			 (char *)"command -v \"$0\" >/dev/null || exit 1; "
				 "[ -z \"$1\" ] || command -v \"$1\" >/dev/null || exit 3; "
				 "command -v taskset >/dev/null || exit 2",
			 (char *)p->program, (char *)(p->client ? p->client : ""), NULL };
	int r = zo_texp_guest_status(t, argv, NULL);

	if (r < 0)
		return r;
	if (r == 2)
		return zo_run_fail(t->run, -EPERM,
				   "the target has no taskset (util-linux) for %s; " PREPARED, flag);
	if (r != 0)
		return zo_run_fail(t->run, -EPERM, "the target has no %s for %s; %s",
				   r == 3 ? p->client : p->program, flag, r == 3 ? PREPARED : p->how);
	return 0;
}

/* The frequency the clients time with (--freq MHz): the runner's was the
 * CPU's max MHz from lscpu; the TSC's is what the cycles count. */
static unsigned long long freq_mhz(struct zo_texp *t)
{
	unsigned long long khz = 0;
	const char *source = NULL;

	if (zo_tsc_khz(t->run->ctx->root, &khz, &source) < 0 || khz < 1000)
		return 0;
	return khz / 1000;
}

/* A client, pinned to the next vCPU, its output into `out`. */
static int client(struct zo_texp *t, const char *what, const char *cmdline, const char *out)
{
	_cleanup_free_ char *core = zo_texp_next_core(t);
	unsigned long long mhz = freq_mhz(t);
	_cleanup_free_ char *freq = mhz ? zo_asprintf(" --freq %llu", mhz) : strdup("");
	_cleanup_free_ char *sh = zo_asprintf("taskset -c %s %s%s > %s", core, cmdline,
					      freq ? freq : "", out);

	zo_run_add_fact(t->run, "workload_cpu", core);
	return sh ? zo_texp_sh(t, what, sh) : -ENOMEM;
}

int zo_bmk_memcached(struct zo_texp *t, unsigned long long server_mb,
		     unsigned long long client_gb, const char *out)
{
	_cleanup_free_ char *cmd = zo_asprintf("/usr/bin/memcached_gen_data localhost:11211 %llu",
					       client_gb);
	int r = zo_texp_memcached(t, server_mb, true);

	return r < 0 ? r : client(t, "memcached_gen_data", cmd, out);
}

int zo_bmk_redis_server(struct zo_texp *t, unsigned long long server_mb)
{
	_cleanup_free_ char *server = zo_asprintf(
		"echo 1 > /proc/sys/vm/overcommit_memory && rm -f /tmp/dump.rdb && "
		"mkdir -p " REDIS_DIR " && { mountpoint -q " REDIS_DIR " || "
		"mount -t tmpfs -o size=1m zsim-redis " REDIS_DIR "; } && "
		"redis-server --port 0 --unixsocket " REDIS_SOCK " --daemonize yes "
		"--dir " REDIS_DIR " --save '300 1' --stop-writes-on-bgsave-error no "
		"--maxmemory-policy allkeys-random --maxmemory %llumb && "
		"n=0; while [ ! -S " REDIS_SOCK " ] && [ $n -lt 300 ]; do sleep 0.1; "
		"n=$((n+1)); done; [ -S " REDIS_SOCK " ]",
		server_mb);

	return server ? zo_texp_sh(t, "redis-server", server) : -ENOMEM;
}

int zo_bmk_redis_client(struct zo_texp *t, unsigned long long client_gb, const char *out)
{
	_cleanup_free_ char *cmd = zo_asprintf("/usr/bin/redis_gen_data unix:" REDIS_SOCK " %llu",
					       client_gb);

	return cmd ? client(t, "redis_gen_data", cmd, out) : -ENOMEM;
}

unsigned long long zo_bmk_isqrt(unsigned long long n)
{
	unsigned long long root = 0, bit = 1ULL << 62;

	while (bit > n)
		bit >>= 2;
	for (; bit; bit >>= 2)
		if (n >= root + bit) {
			n -= root + bit;
			root = (root >> 1) + bit;
		} else {
			root >>= 1;
		}
	return root;
}

int zo_bmk_metis(struct zo_texp *t, unsigned long long dim)
{
	_cleanup_free_ char *core = zo_texp_next_core(t);
	_cleanup_free_ char *sh =
		zo_asprintf("taskset -c %s matrix_mult2 -q -o -l %llu > /dev/null", core, dim);

	zo_run_add_fact(t->run, "workload_cpu", core);
	return sh ? zo_texp_sh(t, "matrix_mult2", sh) : -ENOMEM;
}

int zo_bmk_background(struct zo_texp *t, const char *what, const char *pidfile,
		      const char *script)
{
	/* a non-interactive shell's background job leads no process group,
	 * so setsid makes it a session (and group) of its own, pid = sid */
	char *argv[] = { (char *)"sh", (char *)"-c",
			 (char *)"rm -f \"$1\"; setsid sh -c \"$0\" </dev/null >/dev/null 2>&1 & "
				 "echo $! > \"$1\"",
			 (char *)script, (char *)pidfile, NULL };
	struct zo_guest_exec e;
	int r = zo_texp_guest(t, argv, &e);

	if (r < 0)
		return r;
	if (e.exit_code != 0)
		r = zo_run_fail(t->run, -EIO, "cannot start %s in the target: exit %d: %.*s", what,
				e.exit_code, (int)(e.err_len > 300 ? 300 : e.err_len), e.err);
	zo_guest_exec_release(&e);
	return r;
}

int zo_bmk_background_stop(struct zo_texp *t, const char *pidfile)
{
	char *argv[] = { (char *)"sh", (char *)"-c",
			 (char *)"[ -e \"$0\" ] || exit 0; p=$(cat \"$0\") && [ -n \"$p\" ] || exit 1; "
				 "kill -TERM -$p 2>/dev/null; n=0; "
				 "while kill -0 -$p 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; "
				 "n=$((n+1)); done; kill -KILL -$p 2>/dev/null; rm -f \"$0\"",
			 (char *)pidfile, NULL };

	struct zo_guest_exec e;
	int r = zo_texp_guest(t, argv, &e);

	if (r < 0)
		return r;
	zo_guest_exec_release(&e);
	return 0;
}

int zo_bmk_check_size(const struct zo_exp_args *a, char **ret_error)
{
	unsigned long long vm = zo_exp_get_uint(a, "vm_size");

	if (zo_exp_get(a, "size") && zo_exp_get_uint(a, "size") > vm) {
		*ret_error = zo_asprintf("%s %s is larger than the target (%llu GB)",
					 zo_exp_spelling(a, "size"), zo_exp_get(a, "size"), vm);
		return -EINVAL;
	}
	return 0;
}

void zo_bmk_init(struct zo_bmk *x, struct zo_run *run)
{
	memset(x, 0, sizeof(*x));
	x->t.run = run;
	x->out_dev = "";
}

static const char *choice(const struct zo_bmk *x)
{
	const char *c = zo_exp_choice(x->t.run->args, "workload");

	return c ? c : "zeros";
}

static bool touching(const struct zo_bmk *x)
{
	return !strcmp(choice(x), "zeros") || !strcmp(choice(x), "counter");
}

static int check_programs(struct zo_bmk *x)
{
	const char *c = choice(x);
	_cleanup_free_ char *flag = zo_asprintf("--%s", c);
	const struct zo_bmk_prog *p = !strcmp(c, "memcached") ? &zo_bmk_prog_memcached
				      : !strcmp(c, "redis")   ? &zo_bmk_prog_redis
				      : !strcmp(c, "matrixmult") ? &zo_bmk_prog_metis
								 : &zo_bmk_prog_touch;

	return flag ? zo_bmk_check(&x->t, flag, p) : -ENOMEM;
}

/* The runner's size: --size, else the target's MemAvailable in whole GB,
 * rounded down (exp00000.rs: MemAvailable KB >> 20). */
static int workload_size(struct zo_bmk *x)
{
	const struct zo_exp_args *a = x->t.run->args;
	_cleanup_free_ char *kb = NULL, *gb = NULL;
	unsigned long long size;
	struct zo_meminfo m;
	int r = zo_texp_meminfo(&x->t, NULL, &m);

	if (r < 0)
		return r;
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

int zo_bmk_setup(struct zo_texp *t)
{
	struct zo_bmk *x = (struct zo_bmk *)t;
	int r = check_programs(x);

	if (r == 0)
		r = workload_size(x);
	/* .out straight onto the results disk, where the host reads it at
	 * disk speed and the target's RAM never holds it */
	if (r == 0 && touching(x) && zo_target_results_device(&x->t.target, &x->out_dev) < 0)
		r = zo_texp_failed(t, -EIO);
	return r;
}

/* `zsim-touch PAGES PATTERN [-p] -o OUT` pinned to the next vCPU, as the
 * runner ran time_mmap_touch under `taskset -c`. */
static int touch(struct zo_bmk *x, const char *pattern, bool prefault, const char *out)
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
	argv[k++] = (char *)ZO_BMK_TOUCH;
	argv[k++] = n;
	argv[k++] = (char *)pattern;
	if (prefault)
		argv[k++] = (char *)"-p";
	argv[k++] = (char *)"-o";
	argv[k++] = (char *)out;
	argv[k] = NULL;
	r = zo_texp_guest(&x->t, argv, &e);
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

int zo_bmk_warmup(struct zo_texp *t)
{
	return touch((struct zo_bmk *)t, "-z", false, "/dev/null");
}

static long cpu_ms(const struct rusage *before, const struct rusage *after)
{
	return (after->ru_utime.tv_sec - before->ru_utime.tv_sec) * 1000 +
	       (after->ru_utime.tv_usec - before->ru_utime.tv_usec) / 1000 +
	       (after->ru_stime.tv_sec - before->ru_stime.tv_sec) * 1000 +
	       (after->ru_stime.tv_usec - before->ru_stime.tv_usec) / 1000;
}

/* memcached -M -m <size MB>, filled with size-1 GB; redis with size GB;
 * Metis of sqrt(size << 27), as the runner's exp00000 sized them. */
static int servers(struct zo_bmk *x)
{
	const char *c = choice(x);
	unsigned long long gb = x->size_gb;
	int r;

	if (!strcmp(c, "memcached"))
		return zo_bmk_memcached(&x->t, gb << 10, gb ? gb - 1 : 0, SERVER_OUT);
	if (!strcmp(c, "redis")) {
		r = zo_bmk_redis_server(&x->t, gb << 10);
		return r < 0 ? r : zo_bmk_redis_client(&x->t, gb, SERVER_OUT);
	}
	return zo_bmk_metis(&x->t, zo_bmk_isqrt(gb << 27));
}

int zo_bmk_workload(struct zo_texp *t)
{
	struct zo_bmk *x = (struct zo_bmk *)t;
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
int zo_bmk_collect(struct zo_texp *t)
{
	struct zo_bmk *x = (struct zo_bmk *)t;
	_cleanup_free_ char *out = zo_run_file(x->t.run, "out"), *bytes = NULL;
	size_t len = 0;
	int fd, r;

	if (!out)
		return zo_run_fail(x->t.run, -ENOMEM, "out of memory");
	if (!strcmp(choice(x), "matrixmult")) {
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
		return zo_texp_failed(t, r);
	zo_run_add_fact(x->t.run, "out_via", *x->out_dev ? "results disk" : "guest agent");
	bytes = zo_asprintf("%zu", len);
	zo_run_add_fact(x->t.run, "out_bytes", bytes);
	return zo_texp_write_sim(&x->t);
}
