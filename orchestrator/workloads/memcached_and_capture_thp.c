/* memcached_and_capture_thp: memcached puts and deletes while the kernel's
 * THP compaction counters are sampled. Same arguments and output as the
 * old 0sim-experiments src/bin/memcached_and_capture_thp.rs (its lines
 * 117-204, and src/lib.rs:92-130 for the /proc files):
 *
 *   memcached_and_capture_thp ADDR GB INTERVAL OUTFILE [--continual_compaction]
 *
 * N = GB GiB / 2^19 puts of 2^19-byte zero values (keys "0".."N-1",
 * expiry 1,000,000 s), then N/3 deletes (keys 0..N/3-1), then N/2 more
 * puts (keys N..N+N/2-1). OUTFILE gets each operation's TSC delta, one per
 * line, and "NEXT!" after the first and the second stage. stdout gets
 * "NEXT!", "NEXT!" and "DONE!" at the same points (after the third), and,
 * every INTERVAL seconds, "<ops> <undos>" read from
 * /proc/compact_instrumentation (an instrumented 0sim kernel's,
 * markm_instrumented); once the work is done, sampling goes on until
 * <ops> stops changing, and that last sample is not printed. With
 * --continual_compaction, 512 compaction attempts are triggered again and
 * again through /proc/compact_trigger until the work is done.
 *
 * A failed operation prints "unexpected error: <why>" and is tried once
 * more; failing again ends the run (exit 1), as the original's try_again!
 * did (it exited 0). A delete of a key memcached already evicted is no
 * error (the memcache crate's Ok(false)).
 *
 * The /proc paths are taken under $ZSIM_ROOT when it is set (zsim's path
 * seam): the tests give a fake /proc/compact_instrumentation that way.
 * Speaks memcached's text protocol (the original used the memcache crate's
 * binary protocol). Built static so it runs in any target. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "gendata.h"

#define PROG "memcached_and_capture_thp"
#define VAL_SIZE (1UL << 19)
#define EXPIRATION 1000000
#define INSTRUMENTATION "/proc/compact_instrumentation"
#define TRIGGER "/proc/compact_trigger"

static const char usage[] =
	"usage: " PROG " ADDR GB INTERVAL OUTFILE [--continual_compaction]\n"
	"  put GB GiB of 2^19-byte zero values into the memcached at ADDR (IP:PORT),\n"
	"  delete a third, put half as many again; each operation's TSC cycles into\n"
	"  OUTFILE; every INTERVAL s \"<ops> <undos>\" of " INSTRUMENTATION "\n"
	"  --continual_compaction  trigger compaction through " TRIGGER " meanwhile\n";

struct shared {
	pthread_mutex_t lock;
	bool stop;
	unsigned long long interval;
	char instrumentation[4096], trigger[4096];
};

static void proc_path(char *buf, size_t len, const char *path)
{
	const char *root = getenv("ZSIM_ROOT");

	snprintf(buf, len, "%s%s", root && strcmp(root, "/") ? root : "", path);
}

/* "<ops> <undos>" from the instrumentation file: 0, or -1 once said why. */
static int read_stats(const char *path, unsigned long long *ops, unsigned long long *undos)
{
	FILE *f = fopen(path, "re");
	int n;

	if (!f) {
		fprintf(stderr, PROG ": cannot read %s: %s (it needs a kernel from 0sim's "
				"markm_instrumented branch)\n",
			path, strerror(errno));
		return -1;
	}
	n = fscanf(f, "%llu %llu", ops, undos);
	fclose(f);
	if (n != 2) {
		fprintf(stderr, PROG ": %s does not hold \"<ops> <undos>\"\n", path);
		return -1;
	}
	return 0;
}

static bool stopped(struct shared *s)
{
	bool stop;

	pthread_mutex_lock(&s->lock);
	stop = s->stop;
	pthread_mutex_unlock(&s->lock);
	return stop;
}

static void *measure(void *arg)
{
	struct shared *s = arg;
	unsigned long long prev = 0, ops, undos;

	for (;;) {
		sleep((unsigned)s->interval);
		if (read_stats(s->instrumentation, &ops, &undos) < 0)
			exit(1);
		/* once the work is done, until the counter settles */
		if (stopped(s) && ops == prev)
			break;
		prev = ops;
		printf("%llu %llu\n", ops, undos);
		fflush(stdout);
	}
	return NULL;
}

static void *compact(void *arg)
{
	struct shared *s = arg;
	while (!stopped(s)) {
		int fd = open(s->trigger, O_WRONLY | O_CLOEXEC);

		/* the original wrote "512" with its NUL */
		if (fd < 0 || write(fd, "512", 4) != 4) {
			fprintf(stderr, PROG ": trigger compaction failed: %s: %s\n", s->trigger,
				strerror(errno));
			exit(1);
		}
		close(fd);
	}
	return NULL;
}

struct mc {
	struct wl_reader rd;
	FILE *lat;
};

static int request(struct mc *mc, struct iovec *iov, int n, char *reply, size_t len)
{
	int r = wl_send_all(mc->rd.fd, iov, n);

	if (r == 0)
		r = wl_read_line(&mc->rd, reply, len);
	if (r < 0)
		snprintf(reply, len, "%s", wl_io_error(-r));
	return r < 0 ? r : 0;
}

/* One put or delete: 0 when it succeeded. */
static int op_once(struct mc *mc, bool put, unsigned long long key, const void *value)
{
	char cmd[96], reply[512];
	struct iovec iov[3];
	int n, r;

	if (put)
		n = snprintf(cmd, sizeof(cmd), "set %llu 0 %d %lu\r\n", key, EXPIRATION, VAL_SIZE);
	else
		n = snprintf(cmd, sizeof(cmd), "delete %llu\r\n", key);
	iov[0].iov_base = cmd;
	iov[0].iov_len = (size_t)n;
	iov[1].iov_base = (void *)value;
	iov[1].iov_len = VAL_SIZE;
	iov[2].iov_base = (void *)"\r\n";
	iov[2].iov_len = 2;
	r = request(mc, iov, put ? 3 : 1, reply, sizeof(reply));
	if (r == 0 && (put ? strcmp(reply, "STORED")
			   : strcmp(reply, "DELETED") && strcmp(reply, "NOT_FOUND")))
		r = -EPROTO;
	if (r < 0) {
		printf("unexpected error: %s\n", reply);
		fflush(stdout);
	}
	return r;
}

/* Keys [from, to): each timed into the latency file. */
static int stage(struct mc *mc, bool put, unsigned long long from, unsigned long long to,
		 const void *value)
{
	unsigned long long k;

	for (k = from; k < to; k++) {
		uint64_t start = wl_rdtsc();

		if (op_once(mc, put, k, value) < 0 && op_once(mc, put, k, value) < 0)
			return 1;
		fprintf(mc->lat, "%llu\n", (unsigned long long)(wl_rdtsc() - start));
	}
	return 0;
}

static int work(struct mc *mc, unsigned long long nputs)
{
	static const char zeros[VAL_SIZE];
	int r = stage(mc, true, 0, nputs, zeros);

	if (r == 0) {
		puts("NEXT!");
		fflush(stdout);
		fputs("NEXT!\n", mc->lat);
		r = stage(mc, false, 0, nputs / 3, zeros);
	}
	if (r == 0) {
		puts("NEXT!");
		fflush(stdout);
		fputs("NEXT!\n", mc->lat);
		r = stage(mc, true, nputs, nputs + nputs / 2, zeros);
	}
	if (r == 0) {
		puts("DONE!");
		fflush(stdout);
	}
	return r;
}

static int parse(int argc, char **argv, struct wl_addr *a, unsigned long long *gb,
		 unsigned long long *interval, bool *continual)
{
	char *pos[4] = { NULL, NULL, NULL, NULL };
	int i, n = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			exit(0);
		} else if (!strcmp(argv[i], "--continual_compaction")) {
			*continual = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return wl_usage_error(PROG, usage, "unknown option %s", argv[i]);
		} else if (n < 4) {
			pos[n++] = argv[i];
		} else {
			return wl_usage_error(PROG, usage, "unexpected argument %s", argv[i]);
		}
	}
	if (n < 4)
		return wl_usage_error(PROG, usage, "give ADDR, GB, INTERVAL and OUTFILE");
	if (wl_addr_tcp(a, pos[0], 0) < 0)
		return wl_usage_error(PROG, usage, "ADDR %s is not an IP:PORT", pos[0]);
	if (wl_parse_count(pos[1], 1ULL << 30, gb) < 0)
		return wl_usage_error(PROG, usage, "GB %s is not a whole number", pos[1]);
	if (wl_parse_count(pos[2], 86400, interval) < 0 || *interval == 0)
		return wl_usage_error(PROG, usage, "INTERVAL %s is not a number of seconds "
						   "from 1 to 86400",
				      pos[2]);
	argv[0] = pos[3]; /* OUTFILE and ADDR, for main */
	argv[1] = pos[0];
	return 0;
}

int main(int argc, char **argv)
{
	static struct shared s = { PTHREAD_MUTEX_INITIALIZER, false, 0, "", "" };
	unsigned long long gb = 0, ops, undos;
	pthread_t measurer, compactor;
	bool continual = false;
	struct wl_addr a;
	struct mc mc;
	int r;

	r = parse(argc, argv, &a, &gb, &s.interval, &continual);
	if (r)
		return r;
	proc_path(s.instrumentation, sizeof(s.instrumentation), INSTRUMENTATION);
	proc_path(s.trigger, sizeof(s.trigger), TRIGGER);
	/* refuse at once on a kernel without the counters */
	if (read_stats(s.instrumentation, &ops, &undos) < 0)
		return 1;
	mc.lat = fopen(argv[0], "we");
	if (!mc.lat) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", argv[0], strerror(errno));
		return 1;
	}
	mc.rd.fd = wl_connect(&a);
	mc.rd.len = 0;
	if (mc.rd.fd < 0) {
		fprintf(stderr, PROG ": cannot connect to memcached at %s: %s\n", argv[1],
			strerror(-mc.rd.fd));
		return 1;
	}
	if (pthread_create(&measurer, NULL, measure, &s) ||
	    (continual && pthread_create(&compactor, NULL, compact, &s))) {
		fprintf(stderr, PROG ": cannot start a thread\n");
		return 1;
	}
	r = work(&mc, (gb << 30) / VAL_SIZE);
	if (fclose(mc.lat) != 0 && r == 0) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", argv[0], strerror(errno));
		r = 1;
	}
	if (r)
		return r; /* as the original: the threads end with the process */
	pthread_mutex_lock(&s.lock);
	s.stop = true;
	pthread_mutex_unlock(&s.lock);
	pthread_join(measurer, NULL);
	if (continual)
		pthread_join(compactor, NULL);
	return 0;
}
