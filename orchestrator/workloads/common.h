/* What every workload program shares: reading the TSC, whole-number
 * arguments, usage errors. The programs are static and run in targets
 * whose C library we do not control, so this uses nothing but libc. */
#ifndef ZSIM_WORKLOADS_COMMON_H
#define ZSIM_WORKLOADS_COMMON_H

#include <stdint.h>

#define WL_PAGE 4096UL

/* rdtsc, like the old programs' bmk_linux::timing::rdtsc: no fence. The
 * "memory" clobber only keeps the compiler from moving a timed access
 * across it. */
static inline uint64_t wl_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return (uint64_t)hi << 32 | lo;
}

/* A whole decimal number no larger than `max` (strtoull's syntax, no
 * sign): 0 and *ret set, or -1. */
int wl_parse_count(const char *s, unsigned long long max, unsigned long long *ret);

/* Prints "PROG: WHY" (printf-style) and `usage` to stderr; returns 2, the
 * exit code for bad arguments. */
int wl_usage_error(const char *prog, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* For a program whose only argument is a count: "--help" prints `usage`
 * and exits 0; anything but exactly one whole number up to `max` is a
 * usage error. Returns 0 with *ret set, or 2. */
int wl_single_count(int argc, char **argv, const char *prog, const char *usage,
		    unsigned long long max, unsigned long long *ret);

#endif
