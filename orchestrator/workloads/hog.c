/* hog: takes PAGES pages of memory, says so by creating /tmp/hog_ready,
 * and sits on them until killed. Same arguments and behaviour as the old
 * 0sim-experiments src/bin/hog.rs (its lines 22-60): an anonymous
 * MAP_POPULATE mapping, then the ready file.
 *
 *   hog PAGES
 *
 * Built static so it runs in any target without its libraries. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"

#define READY "/tmp/hog_ready"

static const char usage[] = "usage: hog PAGES\n"
			    "  take PAGES pages of memory, create " READY ", sleep until killed\n";

int main(int argc, char **argv)
{
	unsigned long long npages, p;
	volatile unsigned char *mem;
	int r, fd;

	r = wl_single_count(argc, argv, "hog", usage, SIZE_MAX / WL_PAGE, &npages);
	if (r)
		return r;
	mem = mmap(NULL, npages * WL_PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED) {
		fprintf(stderr, "hog: cannot map %llu pages: %s\n", npages, strerror(errno));
		return 1;
	}
	/* MAP_POPULATE gives up quietly under memory pressure; a write to
	 * each page makes sure every one is really there */
	for (p = 0; p < npages; p++)
		mem[p * WL_PAGE] = 1;
	fd = open(READY, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		fprintf(stderr, "hog: cannot create " READY ": %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	for (;;)
		pause();
}
