/* locality_mem_access: the cost of memory accesses with strong and with
 * poor spatial locality, in TSC cycles. Same arguments and output as the
 * old 0sim-experiments src/bin/locality_mem_access.rs (its lines 22-126):
 *
 *   locality_mem_access (-l|-n) N [-t THREADS] [--region-mib MIB]
 *
 * Each worker pins itself to a CPU, maps a 4 GiB anonymous region with
 * MAP_POPULATE, writes the first word of its first 8 pages, then prints one
 * end-start cycle count per timed one-byte write:
 *   -l  N/8 rounds over those 8 pages (N rounded down to a multiple of 8)
 *   -n  N writes to pages drawn at random from the whole region.
 * Without -t one worker runs on CPU 0; with -t T, T threads each do all N
 * accesses in a region of their own, thread i on CPU i modulo the number of
 * CPUs. "CPU i" counts the CPUs this process may run on: CPU i itself when
 * it may run anywhere, as in the original, and no failure under taskset.
 * --region-mib is not in the original: it shrinks the region, for tests.
 *
 * Each line is written as soon as it is measured (a write(2) per line),
 * as the original's line-buffered Rust stdout did between accesses; the
 * caches and TLB the next access sees depend on it.
 *
 * Built static so it runs in any target without its libraries. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common.h"

#define PROG "locality_mem_access"
#define LOCAL_PAGES 8

static const char usage[] =
	"usage: " PROG " (-l|-n) N [-t THREADS] [--region-mib MIB]\n"
	"  -l  time N writes to 8 warm pages (N/8 rounds)\n"
	"  -n  time N writes to random pages of a 4 GiB region\n"
	"  -t  run THREADS threads, each with a region of its own, on CPUs 0, 1, ...\n"
	"  --region-mib  the region's size (4096)\n";

struct worker {
	pthread_t thread;
	int local, cpu;
	unsigned long long n, index;
	size_t region_pages;
};

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void fail(int err, const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	exit(1);
}

/* The first error writing a count, from whichever thread met it (errno
 * is each thread's own). */
static int write_error;

static void count(uint64_t cycles)
{
	if (printf("%" PRIu64 "\n", cycles) < 0)
		__sync_val_compare_and_swap(&write_error, 0, errno ? errno : EIO);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	volatile unsigned char *mem;
	uint64_t start, end, seed = wl_rdtsc() ^ (w->index << 32);
	unsigned long long k;
	cpu_set_t set;
	size_t i;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fail(errno, "cannot pin to CPU %d", w->cpu);
	mem = mmap(NULL, w->region_pages * WL_PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED)
		fail(errno, "cannot map a %zu MiB region", w->region_pages * WL_PAGE >> 20);
	for (i = 0; i < LOCAL_PAGES; i++)
		mem[i * WL_PAGE] = 7;
	if (w->local) {
		for (k = 0; k < w->n / LOCAL_PAGES; k++)
			for (i = 0; i < LOCAL_PAGES; i++) {
				start = wl_rdtsc();
				mem[i * WL_PAGE] = 8;
				end = wl_rdtsc();
				count(end - start);
			}
	} else {
		for (k = 0; k < w->n; k++) {
			i = splitmix64(&seed) % w->region_pages;
			start = wl_rdtsc();
			mem[i * WL_PAGE] = 9;
			end = wl_rdtsc();
			count(end - start);
		}
	}
	return NULL;
}

/* The CPUs this process may run on, in order; their count or -errno. */
static int allowed_cpus(int *cpus)
{
	cpu_set_t set;
	int c, n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	for (c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	return n;
}

/* Fills *proto; *threads is -1 without -t. Returns 0 or the exit code. */
static int parse(int argc, char **argv, struct worker *proto, long long *threads)
{
	static const struct option longopts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "region-mib", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long mib = 4096, nthreads;
	int c, mode = 0;

	*threads = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":lnt:", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
		case 'n':
			if (mode && mode != c)
				return wl_usage_error(PROG, usage, "give one of -l and -n");
			mode = c;
			break;
		case 't':
			if (wl_parse_count(optarg, 1ULL << 16, &nthreads) < 0)
				return wl_usage_error(PROG, usage, "-t %s is not a number of threads",
						      optarg);
			*threads = (long long)nthreads;
			break;
		case 'r':
			if (wl_parse_count(optarg, 1ULL << 30, &mib) < 0 || mib == 0)
				return wl_usage_error(PROG, usage, "--region-mib %s is not a size in MiB",
						      optarg);
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		case ':':
			return wl_usage_error(PROG, usage, "%s needs a value", argv[optind - 1]);
		default:
			return wl_usage_error(PROG, usage, "unknown option %s", argv[optind - 1]);
		}
	}
	if (!mode)
		return wl_usage_error(PROG, usage, "give one of -l and -n");
	if (optind + 1 != argc)
		return wl_usage_error(PROG, usage, "give N, the number of accesses, once");
	if (wl_parse_count(argv[optind], SIZE_MAX, &proto->n) < 0)
		return wl_usage_error(PROG, usage, "N %s is not a whole number", argv[optind]);
	proto->local = mode == 'l';
	proto->region_pages = (size_t)(mib << 20) / WL_PAGE;
	return 0;
}

int main(int argc, char **argv)
{
	static int cpus[CPU_SETSIZE];
	struct worker proto = { 0 }, *workers;
	unsigned long long t;
	long long threads;
	int ncpus, r;

	r = parse(argc, argv, &proto, &threads);
	if (r)
		return r;
	ncpus = allowed_cpus(cpus);
	if (ncpus <= 0)
		fail(ncpus < 0 ? -ncpus : ESRCH, "cannot read the CPUs it may run on");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (threads < 0) {
		proto.cpu = cpus[0];
		work(&proto);
	} else {
		/* -t 0 starts no thread and prints nothing, as in the original */
		workers = calloc(threads ? threads : 1, sizeof(*workers));
		if (!workers)
			fail(ENOMEM, "cannot start %lld threads", threads);
		for (t = 0; t < (unsigned long long)threads; t++) {
			workers[t] = proto;
			workers[t].index = t;
			workers[t].cpu = cpus[t % ncpus];
			r = pthread_create(&workers[t].thread, NULL, work, &workers[t]);
			if (r)
				fail(r, "cannot start thread %llu", t);
		}
		for (t = 0; t < (unsigned long long)threads; t++)
			pthread_join(workers[t].thread, NULL);
		free(workers);
	}
	if (fflush(stdout) || ferror(stdout) || write_error) {
		fprintf(stderr, PROG ": writing the cycle counts: %s\n",
			strerror(write_error ? write_error : errno));
		return 1;
	}
	return 0;
}
