/* time_mmap_touch's .out (zsim-touch writes the same): "First: <tsc>",
 * "Last: <tsc>", then one TSC value per line, taken after every K-th page
 * (K = 1 up to at least 2^27 pages). Streamed in chunks; memory stays the
 * same whatever the file's size:
 *
 * - the per-page times go into a histogram of log-spaced buckets (128 per
 *   power of two, exact below 256 cycles): percentiles and the CDF within
 *   0.4 % of the exact value, in 58 KiB, deterministic, and it keeps the
 *   tail (p99, the max) that a reservoir sample would mostly miss;
 * - the curves keep every s-th record (s doubles whenever 2048 points are
 *   held, so 1024..2048 points remain) plus the last: the elapsed time at
 *   those records is exact, and the time per page between two of them is
 *   the mean over the s records in between (the old per-op plot took
 *   every 100th record the same way). */
#include "core/results.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/macros.h"
#include "util/str.h"

#include "util/banned.h"

#define KEEP 2048
#define LINE_MAX_LEN 40
#define PAGE_BYTES 4096.0
#define GIB (1024.0 * 1024 * 1024)

enum { HEAD_RATE, HEAD_P50, HEAD_P99 };

static const struct zo_rhead_def heads[] = {
	{ "pages_per_s", "pages per second", "pages/s" },
	{ "page_p50_ns", "time per 4 KiB page, p50", "ns" },
	{ "page_p99_ns", "time per 4 KiB page, p99", "ns" },
};

static const struct zo_rfigure figures[] = {
	{ "elapsed", "elapsed time vs memory touched", "memory touched (GiB)", "elapsed time (s)",
	  false, false, "top left", false },
	{ "per-page", "time per 4 KiB page vs memory touched", "memory touched (GiB)",
	  "time per page (us, mean between plotted points)", false, true, "top left", false },
	{ "cdf", "CDF of the time per 4 KiB page", "time per page (us)", "fraction of pages",
	  true, false, "bottom right", false },
};

struct touch {
	uint64_t line; /* complete lines seen */
	char part[LINE_MAX_LEN];
	size_t part_len;
	bool part_long;
	char *error;
	uint64_t first, last;
	uint64_t n; /* records */
	uint64_t prev, d0;
	uint64_t stride;
	size_t nkeep;
	uint64_t keep_tsc[KEEP], keep_idx[KEEP];
	struct zo_rhist hist;
	uint64_t k; /* pages per record, known at finish */
};

static bool parse_tsc(const char *s, size_t len, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (!len || len > 20)
		return false;
	for (i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*ret = v;
	return true;
}

static void record(struct touch *t, uint64_t v)
{
	uint64_t i = t->n++;
	uint64_t d = v >= t->prev ? v - t->prev : 0; /* a TSC step back counts as 0 */
	size_t j;

	t->prev = v;
	if (i == 0)
		t->d0 = d; /* page 0 alone: added at finish, when K is known */
	else
		zo_rhist_add(&t->hist, d);
	if ((i + 1) % t->stride)
		return;
	if (t->nkeep == KEEP) {
		for (j = 0; j < KEEP / 2; j++) {
			t->keep_tsc[j] = t->keep_tsc[2 * j + 1];
			t->keep_idx[j] = t->keep_idx[2 * j + 1];
		}
		t->nkeep = KEEP / 2;
		t->stride *= 2;
		if ((i + 1) % t->stride)
			return;
	}
	t->keep_tsc[t->nkeep] = v;
	t->keep_idx[t->nkeep++] = i;
}

static void line(struct touch *t, const char *s, size_t len)
{
	static const char *const prefix[] = { "First: ", "Last: " };
	uint64_t v;
	size_t skip = 0;

	t->line++;
	if (t->error)
		return;
	if (t->line <= 2) {
		skip = strlen(prefix[t->line - 1]);
		if (len < skip || memcmp(s, prefix[t->line - 1], skip)) {
			t->error = zo_asprintf("line %llu should start with '%s'",
					       (unsigned long long)t->line, prefix[t->line - 1]);
			return;
		}
	}
	if (!parse_tsc(s + skip, len - skip, &v)) {
		t->error = zo_asprintf("line %llu: '%.*s%s' is not a TSC value",
				       (unsigned long long)t->line, (int)(len > 24 ? 24 : len), s,
				       len > 24 ? "..." : "");
		return;
	}
	if (t->line == 1)
		t->first = t->prev = v;
	else if (t->line == 2)
		t->last = v;
	else
		record(t, v);
}

static void *touch_open(void)
{
	struct touch *t = calloc(1, sizeof(*t));

	if (t)
		t->stride = 1;
	return t;
}

static void touch_feed(void *acc, size_t file, const char *buf, size_t len)
{
	struct touch *t = acc;

	(void)file;
	const char *nl;

	while (len) {
		size_t take;

		nl = memchr(buf, '\n', len);
		take = nl ? (size_t)(nl - buf) : len;
		if (!t->part_len && !t->part_long && nl) {
			line(t, buf, take);
		} else {
			/* a line split between two chunks */
			if (t->part_len + take < sizeof(t->part)) {
				memcpy(t->part + t->part_len, buf, take);
				t->part_len += take;
			} else {
				t->part_long = true;
			}
			if (nl && t->part_long && !t->error)
				t->error = zo_asprintf("line %llu is too long for a TSC value",
						       (unsigned long long)t->line + 1);
			if (nl && t->part_long)
				t->line++;
			else if (nl)
				line(t, t->part, t->part_len);
			if (nl)
				t->part_len = 0, t->part_long = false;
		}
		if (!nl)
			return;
		len -= take + 1;
		buf = nl + 1;
	}
}

static void touch_finish(void *acc, struct zo_rset *s)
{
	struct touch *t = acc;
	double pages, secs;

	if (t->error || t->part_len || t->part_long || t->line < 2 || !t->n) {
		if (t->error)
			zo_rset_break(s, "%s.%s: %s", s->base, s->fmt->data_ext, t->error);
		else if (t->part_len || t->part_long)
			zo_rset_break(s, "%s.%s ends in the middle of line %llu: truncated", s->base,
				      s->fmt->data_ext, (unsigned long long)t->line + 1);
		else if (t->line < 2)
			zo_rset_break(s, "%s.%s has no 'First:' and 'Last:' lines: %s", s->base,
				      s->fmt->data_ext, t->line ? "truncated" : "empty");
		else
			zo_rset_break(s, "%s.%s has no TSC records", s->base, s->fmt->data_ext);
		return;
	}
	if (t->last < t->first || t->prev > t->last)
		zo_rset_break(s, "%s.%s: 'Last:' is before the records it should follow", s->base,
			      s->fmt->data_ext);
	else if (s->pages && t->n > s->pages)
		zo_rset_break(s, "%s.%s has %llu records for %llu pages touched", s->base,
			      s->fmt->data_ext, (unsigned long long)t->n, s->pages);
	/* Every writer records each page below 2^27 pages. */
	else if (!s->pages_per_record && s->pages && s->pages < (1ULL << 27) && t->n < s->pages)
		zo_rset_break(s, "%s.%s has %llu records for %llu pages touched (one a page): "
				 "truncated",
			      s->base, s->fmt->data_ext, (unsigned long long)t->n, s->pages);
	if (s->broken)
		return;
	t->k = s->pages_per_record ? s->pages_per_record
	       : s->pages > t->n   ? (s->pages + t->n - 1) / t->n
				   : 1;
	zo_rhist_add(&t->hist, t->d0 * t->k);
	if (!(s->tsc_khz > 0))
		return; /* cycles cannot become time */
	pages = s->pages ? (double)s->pages : (double)t->n * (double)t->k;
	secs = (double)(t->last - t->first) / (s->tsc_khz * 1000);
	if (secs > 0) {
		s->head[HEAD_RATE] = pages / secs;
		s->have_head[HEAD_RATE] = true;
	}
	s->head[HEAD_P50] = zo_rhist_quantile(&t->hist, 0.50) / (double)t->k / s->tsc_khz * 1e6;
	s->head[HEAD_P99] = zo_rhist_quantile(&t->hist, 0.99) / (double)t->k / s->tsc_khz * 1e6;
	s->have_head[HEAD_P50] = s->have_head[HEAD_P99] = true;
}

/* The first and last bytes are enough for pages per second and to see a
 * file cut in the middle of a line. */
static void touch_quick(struct zo_rset *s, const char *head, size_t head_len, const char *tail,
			size_t tail_len, uint64_t size)
{
	struct touch *t = touch_open();

	if (!t)
		return;
	if (!size)
		zo_rset_break(s, "%s.%s is empty", s->base, s->fmt->data_ext);
	else if (!tail_len || tail[tail_len - 1] != '\n')
		zo_rset_break(s, "%s.%s ends in the middle of a line: truncated", s->base,
			      s->fmt->data_ext);
	touch_feed(t, 0, head, head_len);
	if (!s->broken && t->error)
		zo_rset_break(s, "%s.%s: %s", s->base, s->fmt->data_ext, t->error);
	else if (!s->broken && t->line < 2)
		zo_rset_break(s, "%s.%s has no 'First:' and 'Last:' lines", s->base,
			      s->fmt->data_ext);
	if (!s->broken && s->pages && s->tsc_khz > 0 && t->last > t->first) {
		s->head[HEAD_RATE] =
			(double)s->pages / ((double)(t->last - t->first) / (s->tsc_khz * 1000));
		s->have_head[HEAD_RATE] = true;
	}
	free(t->error);
	free(t);
}

/* Pages written once record `idx` was taken: page 0 first, then K more
 * per record. */
static double pages_at(const struct touch *t, uint64_t idx)
{
	return (double)idx * (double)t->k + 1;
}

static int touch_series(void *acc, const struct zo_rset *s, size_t figure,
			struct zo_rcurves *c)
{
	const struct touch *t = acc;
	double ms_per_cycle = s->tsc_khz > 0 ? 1 / s->tsc_khz : 0;
	double prev_tsc = (double)t->first, prev_pages = 0;
	bool last_kept = t->nkeep && t->keep_idx[t->nkeep - 1] == t->n - 1;
	size_t i, npts = t->nkeep + (last_kept ? 0 : 1);
	struct zo_rseries *ret;

	if (!(ms_per_cycle > 0))
		return -EDOM;
	if (figure == 2) {
		if (zo_rcurves_alloc(c, 1, 0) < 0)
			return -ENOMEM;
		free(c->v[0].x);
		free(c->v[0].y);
		return zo_rhist_cdf(&t->hist, ms_per_cycle * 1000 / (double)t->k, &c->v[0]);
	}
	if (zo_rcurves_alloc(c, 1, npts + 1) < 0)
		return -ENOMEM;
	ret = &c->v[0];
	if (figure == 0) {
		ret->x[0] = ret->y[0] = 0;
		ret->n = 1;
	}
	for (i = 0; i < npts; i++) {
		uint64_t idx = i < t->nkeep ? t->keep_idx[i] : t->n - 1;
		double tsc = i < t->nkeep ? (double)t->keep_tsc[i] : (double)t->prev;
		double pages = pages_at(t, idx);

		ret->x[ret->n] = pages * PAGE_BYTES / GIB;
		if (figure == 0)
			ret->y[ret->n++] = (tsc - (double)t->first) * ms_per_cycle / 1000;
		else
			ret->y[ret->n++] = (tsc - prev_tsc) / (pages - prev_pages) * ms_per_cycle *
					   1000;
		prev_tsc = tsc;
		prev_pages = pages;
	}
	return 0;
}

static void touch_close(void *acc)
{
	struct touch *t = acc;

	if (t)
		free(t->error);
	free(t);
}

const struct zo_rformat zo_rformat_touch = {
	.name = "time_mmap_touch",
	.data_ext = "out",
	.exts = { "out" },
	.needs_tsc = true,
	.heads = heads,
	.n_heads = ZO_ARRAY_SIZE(heads),
	.figures = figures,
	.n_figures = ZO_ARRAY_SIZE(figures),
	.quick = touch_quick,
	.open = touch_open,
	.feed = touch_feed,
	.finish = touch_finish,
	.series = touch_series,
	.close = touch_close,
};
