/* time_loop: reads the TSC N times as fast as it can, then prints the N
 * absolute values, one per line. Same arguments and output as the old
 * 0sim-experiments src/bin/time_loop.rs (its lines 17-46): the values are
 * kept in memory while timing and printed afterwards.
 *
 *   time_loop N
 *
 * Built static so it runs in any target without its libraries. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

static const char usage[] = "usage: time_loop N\n"
			    "  read the TSC N times, then print the N values, one per line\n";

int main(int argc, char **argv)
{
	unsigned long long n, i;
	uint64_t *stamps;
	int r;

	r = wl_single_count(argc, argv, "time_loop", usage, SIZE_MAX / sizeof(*stamps), &n);
	if (r)
		return r;
	/* like the old program's Vec::with_capacity: reserved, not touched,
	 * so first-touch faults fall in the loop as they did there */
	stamps = malloc(n ? n * sizeof(*stamps) : 1);
	if (!stamps) {
		fprintf(stderr, "time_loop: no memory for %llu values\n", n);
		return 1;
	}
	for (i = 0; i < n; i++)
		stamps[i] = wl_rdtsc();
	for (i = 0; i < n; i++)
		printf("%" PRIu64 "\n", stamps[i]);
	if (fflush(stdout) || ferror(stdout)) {
		perror("time_loop: writing the values");
		return 1;
	}
	return 0;
}
