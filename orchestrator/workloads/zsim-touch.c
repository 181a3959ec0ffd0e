/* zsim-touch: the memory-touch workload run inside the target, the old
 * runner's time_mmap_touch (0sim-experiments, src/bin/time_mmap_touch.rs)
 * to the record:
 *
 *   zsim-touch PAGES (-z|-c) [-p] [--stats-gb G] [-o FILE]
 *
 * The record buffer (G GiB, 16 by default) is reserved out of the PAGES:
 * PAGES - G*2^18 pages are mapped (prefaulted with -p) and one byte is
 * written into each (zeros, or a counter that wraps at 256). The buffer
 * holds G*2^30/8 TSC values (2^31 by default): one is taken every page
 * while the touched pages fit, else every touched/(G*2^30/8) + 1 pages.
 * Output: "First: <tsc>", "Last: <tsc>", then one TSC value per line.
 *
 * Where time_mmap_touch could not run (PAGES at most the reservation: its
 * PAGES - G*2^18 wrapped around), zsim-touch reserves only what one record
 * per page needs: 1 page of records per 512 touched.
 *
 * What it will do goes to stderr first:
 *   zsim-touch: PAGES pages: touching T, R reserved for N records (one every F)
 * and with -o, once the file is written (and synced: FILE may be a raw
 * disk the host reads):
 *   zsim-touch: wrote B bytes to FILE
 *
 * Built static so it runs in any target without its libraries. Built with
 * -DZSIM_TOUCH_STUB (zsim-touch-stub, for tests only, never installed) it
 * maps and touches nothing, its "TSC" reads the page index, and instead
 * of the records it prints how many there were and which pages they
 * fell on: the density rule checked at 2^31 pages without 8 TiB. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"

#define PAGE WL_PAGE

struct plan {
	uint64_t pages;    /* asked for */
	uint64_t reserved; /* pages set aside for the records */
	uint64_t touched;  /* pages - reserved */
	uint64_t nstats;   /* records the buffer holds */
	uint64_t freq;     /* one record every freq pages */
	uint64_t records;  /* records taken */
};

/* time_mmap_touch.rs:49-73. */
static void make_plan(uint64_t pages, uint64_t stats_gb, struct plan *p)
{
	p->pages = pages;
	p->nstats = (stats_gb << 30) / sizeof(uint64_t);
	p->reserved = stats_gb << 18;
	if (pages > p->reserved) {
		p->touched = pages - p->reserved;
		p->freq = p->touched < p->nstats ? 1 : p->touched / p->nstats + 1;
	} else {
		/* one 8-byte record per touched page, 512 to a reserved page */
		p->touched = pages * 512 / 513;
		p->reserved = pages - p->touched;
		p->nstats = p->reserved * 512;
		p->freq = 1;
	}
	p->records = p->touched ? (p->touched - 1) / p->freq + 1 : 0;
}

#ifdef ZSIM_TOUCH_STUB
static uint64_t stub_page;

static inline uint64_t tsc(void)
{
	return stub_page;
}

static inline void touch(unsigned char *mem, uint64_t p, unsigned char val)
{
	(void)mem;
	(void)val;
	stub_page = p;
}
#else
static inline uint64_t tsc(void)
{
	/* the workloads' one TSC read: a compiler barrier keeps the page
	 * write on its side of it */
	return wl_rdtsc();
}

static inline void touch(unsigned char *mem, uint64_t p, unsigned char val)
{
	((volatile unsigned char *)mem)[p * PAGE] = val;
}
#endif

/* Where the records go: the buffer, or (stub) a count and a few of them. */
struct records {
	uint64_t *v;
	uint64_t n;
	uint64_t head[3], tail;
};

static inline void record(struct records *r, uint64_t t)
{
#ifdef ZSIM_TOUCH_STUB
	if (r->n < 3)
		r->head[r->n] = t;
	r->tail = t;
#else
	r->v[r->n] = t;
#endif
	r->n++;
}

static int usage(const char *why)
{
	fprintf(stderr,
		"zsim-touch: %s\n"
		"usage: zsim-touch PAGES (-z|-c) [-p] [--stats-gb G] [-o FILE]\n"
		"  -z  fill with zeros    -c  fill with a counter\n"
		"  -p  prefault the mapping before timing\n"
		"  --stats-gb G  GiB for the records, taken out of PAGES (default 16)\n"
		"  -o  write the timings to FILE instead of stdout\n",
		why);
	return 2;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*ret = v;
	return 0;
}

/* Decimal lines into a big buffer: 2^31 of them must not take longer
 * than the touching did. */
struct out {
	FILE *f;
	char buf[1 << 20];
	size_t len;
	uint64_t total;
	int err;
};

static void out_flush(struct out *o)
{
	if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
		o->err = 1;
	o->total += o->len;
	o->len = 0;
}

static void out_line(struct out *o, const char *prefix, uint64_t v)
{
	char digits[24];
	int n = 0;

	if (o->len + 48 > sizeof(o->buf))
		out_flush(o);
	while (*prefix)
		o->buf[o->len++] = *prefix++;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		o->buf[o->len++] = digits[--n];
	o->buf[o->len++] = '\n';
}

static struct out out_state;

int main(int argc, char **argv)
{
	const char *out_path = NULL, *pages_arg = NULL;
	uint64_t pages = 0, stats_gb = 16, first, last, p, next = 0, i;
	int pattern = 0, prefault = 0, k;
	struct records rec = { NULL, 0, { 0, 0, 0 }, 0 };
	struct out *o = &out_state;
	unsigned char *mem = NULL, val = 0;
	struct plan plan;

	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "-z") || !strcmp(argv[k], "-c")) {
			if (pattern)
				return usage("give one of -z and -c");
			pattern = argv[k][1];
		} else if (!strcmp(argv[k], "-p") || !strcmp(argv[k], "--prefault")) {
			prefault = 1;
		} else if (!strcmp(argv[k], "-o") && k + 1 < argc) {
			out_path = argv[++k];
		} else if ((!strcmp(argv[k], "--stats-gb") || !strcmp(argv[k], "--stats_gb")) &&
			   k + 1 < argc) {
			/* the buffer's bytes must fit in 64 bits */
			if (parse_u64(argv[++k], 1ULL << 30, &stats_gb) < 0 || stats_gb == 0)
				return usage("--stats-gb must be a whole number of GiB from 1");
		} else if (argv[k][0] == '-' || pages_arg) {
			return usage("unexpected argument");
		} else {
			pages_arg = argv[k];
		}
	}
	if (!pages_arg || !pattern)
		return usage("give PAGES and one of -z and -c");
	if (parse_u64(pages_arg, (uint64_t)(SIZE_MAX / PAGE), &pages) < 0)
		return usage("PAGES must be a whole number of pages");
	make_plan(pages, stats_gb, &plan);
	fprintf(stderr,
		"zsim-touch: %" PRIu64 " pages: touching %" PRIu64 ", %" PRIu64 " reserved for %" PRIu64
		" records (one every %" PRIu64 ")\n",
		plan.pages, plan.touched, plan.reserved, plan.records, plan.freq);

#ifndef ZSIM_TOUCH_STUB
	rec.v = plan.records ? malloc(plan.records * sizeof(uint64_t)) : NULL;
	if (plan.records && !rec.v) {
		perror("zsim-touch: record buffer");
		return 1;
	}
	if (plan.touched) {
		mem = mmap(NULL, plan.touched * PAGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | (prefault ? MAP_POPULATE : 0), -1, 0);
		if (mem == MAP_FAILED) {
			perror("zsim-touch: mmap");
			return 1;
		}
	}
#else
	(void)prefault;
#endif
	o->f = stdout;
	if (out_path && !(o->f = fopen(out_path, "w"))) {
		perror(out_path);
		return 1;
	}

	first = tsc();
	for (p = 0; p < plan.touched; p++) {
		touch(mem, p, val);
		if (next-- == 0) {
			record(&rec, tsc());
			next = plan.freq - 1;
		}
		if (pattern == 'c')
			val++;
	}
	last = tsc();

	out_line(o, "First: ", first);
	out_line(o, "Last: ", last);
#ifdef ZSIM_TOUCH_STUB
	out_line(o, "pages: ", plan.pages);
	out_line(o, "touched: ", plan.touched);
	out_line(o, "reserved: ", plan.reserved);
	out_line(o, "freq: ", plan.freq);
	out_line(o, "records: ", rec.n);
	for (i = 0; i < rec.n && i < 3; i++)
		out_line(o, "record page: ", rec.head[i]);
	if (rec.n)
		out_line(o, "last record page: ", rec.tail);
#else
	for (i = 0; i < rec.n; i++)
		out_line(o, "", rec.v[i]);
#endif
	out_flush(o);
	/* -o may name a raw disk (zsim's results disk, read by the host): on
	 * it before saying it is written (/dev/null cannot sync: EINVAL) */
	if (o->err || fflush(o->f) || ferror(o->f) ||
	    (o->f != stdout && ((fsync(fileno(o->f)) && errno != EINVAL) || fclose(o->f)))) {
		perror("zsim-touch: writing the timings");
		return 1;
	}
	if (out_path)
		fprintf(stderr, "zsim-touch: wrote %" PRIu64 " bytes to %s\n", o->total, out_path);
	return 0;
}
