/* zsim-touch: the memory-touch workload run inside the target. Same
 * arguments and output as the old runner's time_mmap_touch, so existing
 * plotting scripts read its results unchanged:
 *
 *   zsim-touch PAGES (-z|-c) [-p] [-o FILE]
 *
 * maps PAGES anonymous pages, writes one byte into each (zeros, or a
 * counter that wraps at 256), and prints "First: <tsc>", "Last: <tsc>" and
 * then one TSC value per line, taken every K pages: K = 1 while the record
 * buffer stays within 1 GiB (2^27 values), else PAGES / 2^27.
 *
 * Built static so it runs in any target without its libraries. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"

#define PAGE WL_PAGE
#define MAX_RECORDS ((1UL << 30) / sizeof(uint64_t))

static int usage(const char *why)
{
	return wl_usage_error("zsim-touch",
			      "usage: zsim-touch PAGES (-z|-c) [-p] [-o FILE]\n"
			      "  -z  fill with zeros    -c  fill with a counter\n"
			      "  -p  prefault the mapping before timing\n"
			      "  -o  write the timings to FILE instead of stdout\n",
			      "%s", why);
}

int main(int argc, char **argv)
{
	const char *out_path = NULL, *pages_arg = NULL;
	int pattern = 0, prefault = 0, i;
	unsigned long long npages;
	uint64_t *records, first, last;
	size_t nrecords = 0, capacity, freq;
	unsigned char *mem, val = 0;
	FILE *out = stdout;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-z") || !strcmp(argv[i], "-c")) {
			if (pattern)
				return usage("give one of -z and -c");
			pattern = argv[i][1];
		} else if (!strcmp(argv[i], "-p")) {
			prefault = 1;
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out_path = argv[++i];
		} else if (argv[i][0] == '-' || pages_arg) {
			return usage("unexpected argument");
		} else {
			pages_arg = argv[i];
		}
	}
	if (!pages_arg || !pattern)
		return usage("give PAGES and one of -z and -c");
	if (wl_parse_count(pages_arg, SIZE_MAX / PAGE, &npages) < 0)
		return usage("PAGES must be a whole number of pages");

	freq = npages < MAX_RECORDS ? 1 : npages / MAX_RECORDS;
	capacity = npages / freq + 1;
	records = malloc(capacity * sizeof(*records));
	if (!records) {
		perror("zsim-touch: record buffer");
		return 1;
	}
	mem = npages ? mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | (prefault ? MAP_POPULATE : 0), -1, 0)
		     : NULL;
	if (mem == MAP_FAILED) {
		perror("zsim-touch: mmap");
		return 1;
	}
	if (out_path && !(out = fopen(out_path, "w"))) {
		perror(out_path);
		return 1;
	}

	first = wl_rdtsc();
	for (size_t p = 0; p < npages; p++) {
		mem[p * PAGE] = val;
		if (p % freq == 0)
			records[nrecords++] = wl_rdtsc();
		if (pattern == 'c')
			val++;
	}
	last = wl_rdtsc();

	fprintf(out, "First: %" PRIu64 "\nLast: %" PRIu64 "\n", first, last);
	for (size_t r = 0; r < nrecords; r++)
		fprintf(out, "%" PRIu64 "\n", records[r]);
	if (fflush(out) || ferror(out) || (out != stdout && fclose(out))) {
		perror("zsim-touch: writing the timings");
		return 1;
	}
	return 0;
}
