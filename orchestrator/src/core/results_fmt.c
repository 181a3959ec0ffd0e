/* The data formats of the experiment library beyond time_mmap_touch
 * (results_touch.c): each one's lines as the old 0sim plotting scripts
 * (and their data-converter) parse them, its headline figures and its
 * figures. A line those scripts would reject breaks the set, naming the
 * file and the line; nothing is skipped silently. Everything streams:
 * percentiles come from zo_rhist, curves from zo_rkeep.
 *
 * - memcached_gen_data / redis_gen_data .out: "DONE <i> Duration { secs:
 *   S, nanos: N }( <h>)?" every 100th put (plot-memcached_gen_data-*.py's
 *   regex), the time since the previous DONE line; the clients' own
 *   error lines ("memcached returned error: ...", "Error ...") are what
 *   a full server answers (OOM is allowed) and are counted.
 * - time_loop .out: one TSC value per line ("^(\d+)$", data-converter);
 *   the figures are of the gaps between consecutive reads
 *   (plot-time-elapsed-deriv-cycles*.py).
 * - locality_mem_access .local and .nonlocal: cycles per access, one a
 *   line (plot-time-elapsed-cycles-cdf.py).
 * - exp00007 .out: /proc/buddyinfo samples, "Node N, zone (DMA|DMA32|
 *   Normal) <count per order>..." (plot-buddyinfo-over-time.py; a sample
 *   ends where a node and zone come again), every stats_interval s (the
 *   script's hard-coded 30 s is the setting here).
 * - exp00005 .vmstat (/proc/vmstat, "name value", a sample ends where
 *   its first name comes again) and .zswapstats (tail's "==> FILE <=="
 *   and the value, per debugfs file), a sample a second. */
#include "core/results.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/macros.h"
#include "util/str.h"

#include "util/banned.h"

#define GIB (1024.0 * 1024 * 1024)
#define PAGE 4096.0
#define HUGE_ORDER 9 /* 2 MiB of 4 KiB pages */
#define MAX_ORDERS 16
#define MAX_ZONES 64
#define SHOW 40

/* ---- lexing ---------------------------------------------------------- */

struct cur {
	const char *p, *end;
};

static bool lit(struct cur *c, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n))
		return false;
	c->p += n;
	return true;
}

static bool digits(struct cur *c, uint64_t *ret)
{
	uint64_t v = 0;
	const char *start = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned d = (unsigned)(*c->p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		c->p++;
	}
	*ret = v;
	return c->p > start;
}

static bool spaces(struct cur *c)
{
	const char *start = c->p;

	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
	return c->p > start;
}

static bool whole_number(const char *s, size_t len, uint64_t *ret)
{
	struct cur c = { s, s + len };

	return digits(&c, ret) && c.p == c.end;
}

static void bad_line(struct zo_rlines *l, const char *s, size_t len, const char *want)
{
	zo_rlines_error(l, "'%.*s%s' is not %s", (int)(len > SHOW ? SHOW : len), s,
			len > SHOW ? "..." : "", want);
}

static bool starts(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(s, prefix, n);
}

static void set_head(struct zo_rset *s, size_t i, double v)
{
	s->head[i] = v;
	s->have_head[i] = true;
}

static int one_curve(struct zo_rcurves *c, const char *label)
{
	if (zo_rcurves_alloc(c, 1, 0) < 0)
		return -ENOMEM;
	if (label && !(c->v[0].label = strdup(label)))
		return -ENOMEM;
	return 0;
}

/* Replace curve i's points with the kept ones. */
static int kept(struct zo_rcurves *c, size_t i, const struct zo_rkeep *k, double xs, double ys)
{
	free(c->v[i].x);
	free(c->v[i].y);
	c->v[i].x = c->v[i].y = NULL;
	return zo_rkeep_series(k, xs, ys, &c->v[i]);
}

static int cdf(struct zo_rcurves *c, size_t i, const struct zo_rhist *h, double scale)
{
	free(c->v[i].x);
	free(c->v[i].y);
	c->v[i].x = c->v[i].y = NULL;
	return zo_rhist_cdf(h, scale, &c->v[i]);
}

/* ---- memcached_gen_data, redis_gen_data ------------------------------ */

enum { KV_OPS, KV_P50, KV_P99, KV_ERRORS };

static const struct zo_rhead_def kv_heads[] = {
	{ "puts_per_s", "puts per second", "puts/s" },
	{ "put_p50_ns", "time per put, p50 (mean over 100 puts)", "ns" },
	{ "put_p99_ns", "time per put, p99 (mean over 100 puts)", "ns" },
	{ "put_errors", "puts the server refused", "errors" },
};

static const struct zo_rfigure kv_figures[] = {
	{ "per-op", "time per 100 puts vs data stored", "data stored (GiB)",
	  "time for the last 100 puts (ms)", false, true, "top left", true },
	{ "elapsed", "elapsed time vs data stored", "data stored (GiB)", "elapsed time (s)", false,
	  false, "top left", false },
	{ "cdf", "CDF of the time per 100 puts", "time for 100 puts (ms)", "fraction of DONE lines",
	  true, false, "bottom right", false },
};

struct kv {
	struct zo_rlines lines;
	const char *error_prefix;
	double value_bytes;
	int64_t last; /* the last DONE index, -1 before the first */
	uint64_t errors, done;
	double total_ns;
	struct zo_rhist per_put, window;
	struct zo_rkeep per_op, elapsed;
};

static void *kv_open(const char *error_prefix, double value_bytes)
{
	struct kv *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->error_prefix = error_prefix;
	k->value_bytes = value_bytes;
	k->last = -1;
	zo_rkeep_init(&k->per_op, true);
	zo_rkeep_init(&k->elapsed, false);
	return k;
}

static void *memcached_open(void)
{
	return kv_open("memcached returned error: ", 523800);
}

static void *redis_open(void)
{
	return kv_open("Error ", 1 << 19);
}

static void kv_line(void *acc, struct zo_rlines *l, const char *s, size_t len)
{
	struct kv *k = acc;
	struct cur c = { s, s + len };
	uint64_t i, secs, nanos, h, ns, puts;

	if (starts(s, len, k->error_prefix)) {
		k->errors++;
		return;
	}
	if (!lit(&c, "DONE ") || !digits(&c, &i) || !lit(&c, " Duration { secs: ") ||
	    !digits(&c, &secs) || !lit(&c, ", nanos: ") || !digits(&c, &nanos) || !lit(&c, " }") ||
	    (c.p < c.end && (!lit(&c, " ") || !digits(&c, &h))) || c.p != c.end ||
	    secs > UINT64_MAX / 2000000000ULL) {
		bad_line(l, s, len,
			 "a 'DONE <i> Duration { secs: S, nanos: N } 0' line or the client's error "
			 "line");
		return;
	}
	if ((int64_t)i <= k->last) {
		zo_rlines_error(l, "DONE %llu after DONE %lld: the puts go back",
				(unsigned long long)i, (long long)k->last);
		return;
	}
	ns = secs * 1000000000ULL + nanos;
	puts = i - (uint64_t)(k->last + 1) + 1;
	k->last = (int64_t)i;
	k->done++;
	k->total_ns += (double)ns;
	zo_rhist_add(&k->per_put, ns / puts);
	zo_rhist_add(&k->window, ns);
	zo_rkeep_add(&k->per_op, (double)(i + 1), (double)ns);
	zo_rkeep_add(&k->elapsed, (double)(i + 1), k->total_ns);
}

static void kv_feed(void *acc, size_t file, const char *buf, size_t len)
{
	(void)file;
	zo_rlines_feed(&((struct kv *)acc)->lines, buf, len, kv_line, acc);
}

static void kv_finish(void *acc, struct zo_rset *s)
{
	struct kv *k = acc;

	if (!zo_rlines_check(&k->lines, s, s->fmt->data_ext, false))
		return;
	set_head(s, KV_ERRORS, (double)k->errors);
	if (!k->done) {
		zo_rset_break(s, "%s.%s has no DONE lines: no put was timed", s->base,
			      s->fmt->data_ext);
		return;
	}
	if (k->total_ns > 0)
		set_head(s, KV_OPS, (double)(k->last + 1) / (k->total_ns / 1e9));
	set_head(s, KV_P50, zo_rhist_quantile(&k->per_put, 0.50));
	set_head(s, KV_P99, zo_rhist_quantile(&k->per_put, 0.99));
}

static int kv_series(void *acc, const struct zo_rset *s, size_t figure, struct zo_rcurves *c)
{
	const struct kv *k = acc;

	(void)s;
	if (one_curve(c, NULL) < 0)
		return -ENOMEM;
	if (figure == 2)
		return cdf(c, 0, &k->window, 1e-6);
	return kept(c, 0, figure == 0 ? &k->per_op : &k->elapsed, k->value_bytes / GIB,
		    figure == 0 ? 1e-6 : 1e-9);
}

static void kv_close(void *acc)
{
	struct kv *k = acc;

	if (k)
		zo_rlines_release(&k->lines);
	free(k);
}

#define KV_FORMAT(id, fname)                                              \
	const struct zo_rformat zo_rformat_##id = {                       \
		.name = fname,                                            \
		.data_ext = "out",                                        \
		.exts = { "out" },                                        \
		.heads = kv_heads,                                        \
		.n_heads = ZO_ARRAY_SIZE(kv_heads),                       \
		.figures = kv_figures,                                    \
		.n_figures = ZO_ARRAY_SIZE(kv_figures),                   \
		.open = id##_open,                                        \
		.feed = kv_feed,                                          \
		.finish = kv_finish,                                      \
		.series = kv_series,                                      \
		.close = kv_close,                                        \
	}

KV_FORMAT(memcached, "memcached_gen_data");
KV_FORMAT(redis, "redis_gen_data");

/* ---- one whole number a line: time_loop, locality_mem_access --------- */

enum { TL_MAX, TL_P50, TL_P99, TL_MAX_NS };

static const struct zo_rhead_def tl_heads[] = {
	{ "gap_max_cycles", "longest gap between two TSC reads", "cycles" },
	{ "gap_p50_cycles", "gap between two TSC reads, p50", "cycles" },
	{ "gap_p99_cycles", "gap between two TSC reads, p99", "cycles" },
	{ "gap_max_ns", "longest gap, as time", "ns" },
};

static const struct zo_rfigure tl_figures[] = {
	{ "gaps", "gap between consecutive TSC reads", "read number",
	  "gap (cycles; the largest of each plotted stretch)", false, true, "top left", true },
	{ "cdf", "CDF of the gap between consecutive TSC reads", "gap (us)",
	  "fraction of gaps", true, false, "bottom right", false },
};

enum { LO_NONLOCAL_P50, LO_LOCAL_P50, LO_LOCAL_P99, LO_NONLOCAL_P99 };

static const struct zo_rhead_def lo_heads[] = {
	{ "nonlocal_p50_cycles", "non-local access, p50", "cycles" },
	{ "local_p50_cycles", "local access, p50", "cycles" },
	{ "local_p99_cycles", "local access, p99", "cycles" },
	{ "nonlocal_p99_cycles", "non-local access, p99", "cycles" },
};

static const struct zo_rfigure lo_figures[] = {
	{ "cdf", "CDF of the time per memory access", "time per access (us)",
	  "fraction of accesses", true, false, "bottom right", false },
};

struct numbers {
	struct zo_rlines lines[2];
	size_t file;
	uint64_t n[2], prev;
	struct zo_rhist hist[2];
	struct zo_rkeep gaps; /* time_loop */
};

static void *numbers_open(void)
{
	struct numbers *t = calloc(1, sizeof(*t));

	if (t)
		zo_rkeep_init(&t->gaps, true);
	return t;
}

static void tl_line(void *acc, struct zo_rlines *l, const char *s, size_t len)
{
	struct numbers *t = acc;
	uint64_t v;

	if (!whole_number(s, len, &v)) {
		bad_line(l, s, len, "a TSC value (one whole number a line)");
		return;
	}
	if (t->n[0]++) {
		/* a TSC step back counts as 0, as the old CDF left out x <= 0 */
		uint64_t d = v >= t->prev ? v - t->prev : 0;

		zo_rhist_add(&t->hist[0], d);
		zo_rkeep_add(&t->gaps, (double)(t->n[0] - 1), (double)d);
	}
	t->prev = v;
}

static void lo_line(void *acc, struct zo_rlines *l, const char *s, size_t len)
{
	struct numbers *t = acc;
	uint64_t v;

	if (!whole_number(s, len, &v)) {
		bad_line(l, s, len, "a cycle count (one whole number a line)");
		return;
	}
	t->n[t->file]++;
	zo_rhist_add(&t->hist[t->file], v);
}

static void tl_feed(void *acc, size_t file, const char *buf, size_t len)
{
	(void)file;
	zo_rlines_feed(&((struct numbers *)acc)->lines[0], buf, len, tl_line, acc);
}

static void lo_feed(void *acc, size_t file, const char *buf, size_t len)
{
	struct numbers *t = acc;

	t->file = file ? 1 : 0;
	zo_rlines_feed(&t->lines[t->file], buf, len, lo_line, acc);
}

static void tl_finish(void *acc, struct zo_rset *s)
{
	struct numbers *t = acc;

	if (!zo_rlines_check(&t->lines[0], s, s->fmt->data_ext, false))
		return;
	if (t->n[0] < 2) {
		zo_rset_break(s, "%s.%s has %llu TSC value: no gap to measure", s->base,
			      s->fmt->data_ext, (unsigned long long)t->n[0]);
		return;
	}
	set_head(s, TL_MAX, (double)t->hist[0].max);
	set_head(s, TL_P50, zo_rhist_quantile(&t->hist[0], 0.50));
	set_head(s, TL_P99, zo_rhist_quantile(&t->hist[0], 0.99));
	if (s->tsc_khz > 0)
		set_head(s, TL_MAX_NS, (double)t->hist[0].max / s->tsc_khz * 1e6);
}

static void lo_finish(void *acc, struct zo_rset *s)
{
	struct numbers *t = acc;

	if (!zo_rlines_check(&t->lines[0], s, s->fmt->exts[0], false) ||
	    !zo_rlines_check(&t->lines[1], s, s->fmt->exts[1], false))
		return;
	set_head(s, LO_LOCAL_P50, zo_rhist_quantile(&t->hist[0], 0.50));
	set_head(s, LO_LOCAL_P99, zo_rhist_quantile(&t->hist[0], 0.99));
	set_head(s, LO_NONLOCAL_P50, zo_rhist_quantile(&t->hist[1], 0.50));
	set_head(s, LO_NONLOCAL_P99, zo_rhist_quantile(&t->hist[1], 0.99));
}

static int tl_series(void *acc, const struct zo_rset *s, size_t figure, struct zo_rcurves *c)
{
	const struct numbers *t = acc;

	if (!(s->tsc_khz > 0))
		return -EDOM;
	if (one_curve(c, NULL) < 0)
		return -ENOMEM;
	if (figure == 0)
		return kept(c, 0, &t->gaps, 1, 1);
	return cdf(c, 0, &t->hist[0], 1000 / s->tsc_khz);
}

static int lo_series(void *acc, const struct zo_rset *s, size_t figure, struct zo_rcurves *c)
{
	const struct numbers *t = acc;
	size_t i;
	int r = 0;

	(void)figure;
	if (!(s->tsc_khz > 0))
		return -EDOM;
	if (zo_rcurves_alloc(c, 2, 0) < 0)
		return -ENOMEM;
	for (i = 0; i < 2 && r == 0; i++) {
		c->v[i].label = strdup(s->fmt->exts[i]);
		r = c->v[i].label ? cdf(c, i, &t->hist[i], 1000 / s->tsc_khz) : -ENOMEM;
	}
	return r;
}

static void numbers_close(void *acc)
{
	struct numbers *t = acc;

	if (t) {
		zo_rlines_release(&t->lines[0]);
		zo_rlines_release(&t->lines[1]);
	}
	free(t);
}

const struct zo_rformat zo_rformat_time_loop = {
	.name = "time_loop",
	.data_ext = "out",
	.exts = { "out" },
	.needs_tsc = true,
	.heads = tl_heads,
	.n_heads = ZO_ARRAY_SIZE(tl_heads),
	.figures = tl_figures,
	.n_figures = ZO_ARRAY_SIZE(tl_figures),
	.open = numbers_open,
	.feed = tl_feed,
	.finish = tl_finish,
	.series = tl_series,
	.close = numbers_close,
};

const struct zo_rformat zo_rformat_locality = {
	.name = "locality_mem_access",
	.data_ext = "local",
	.exts = { "local", "nonlocal" },
	.needs_tsc = true,
	.heads = lo_heads,
	.n_heads = ZO_ARRAY_SIZE(lo_heads),
	.figures = lo_figures,
	.n_figures = ZO_ARRAY_SIZE(lo_figures),
	.open = numbers_open,
	.feed = lo_feed,
	.finish = lo_finish,
	.series = lo_series,
	.close = numbers_close,
};

/* ---- buddyinfo samples (exp00007) ------------------------------------ */

enum { BI_HUGE_LAST, BI_HUGE_MIN, BI_FREE_LAST, BI_SAMPLES };

static const struct zo_rhead_def bi_heads[] = {
	{ "free_huge_pct_last", "free memory in blocks of 2 MiB or more, at the end", "%" },
	{ "free_huge_pct_min", "free memory in blocks of 2 MiB or more, lowest", "%" },
	{ "free_gib_last", "free memory at the end", "GiB" },
	{ "samples", "buddyinfo samples", "samples" },
};

static const struct zo_rfigure bi_figures[] = {
	{ "free-per-order", "free memory per block order over time", "time (s)",
	  "free memory in blocks of this order (GiB)", false, false, "top right", false },
	{ "free-huge", "free memory in blocks of 2 MiB or more over time", "time (s)",
	  "share of free memory in blocks of order 9 or more (%)", false, false, "bottom left",
	  false },
};

struct buddy {
	struct zo_rlines lines;
	size_t norders;
	unsigned seen[MAX_ZONES]; /* node * 4 + zone of the open sample */
	size_t nseen;
	uint64_t sum[MAX_ORDERS];
	uint64_t samples;
	double huge_last, huge_min, free_last;
	struct zo_rkeep order[MAX_ORDERS], huge;
};

static void *buddy_open(void)
{
	struct buddy *b = calloc(1, sizeof(*b));
	size_t i;

	if (!b)
		return NULL;
	for (i = 0; i < MAX_ORDERS; i++)
		zo_rkeep_init(&b->order[i], false);
	zo_rkeep_init(&b->huge, false);
	b->huge_min = 101;
	return b;
}

static void buddy_close_sample(struct buddy *b)
{
	uint64_t pages = 0, huge = 0;
	size_t i;

	if (!b->nseen)
		return;
	for (i = 0; i < b->norders; i++) {
		pages += b->sum[i] << i;
		if (i >= HUGE_ORDER)
			huge += b->sum[i] << i;
		zo_rkeep_add(&b->order[i], (double)b->samples, (double)(b->sum[i] << i));
	}
	b->free_last = (double)pages * PAGE / GIB;
	b->huge_last = pages ? 100.0 * (double)huge / (double)pages : 0;
	if (b->huge_last < b->huge_min)
		b->huge_min = b->huge_last;
	zo_rkeep_add(&b->huge, (double)b->samples, b->huge_last);
	b->samples++;
	b->nseen = 0;
	memset(b->sum, 0, sizeof(b->sum));
}

static void buddy_line(void *acc, struct zo_rlines *l, const char *s, size_t len)
{
	static const char *const zones[] = { "DMA32", "DMA", "Normal" };
	struct buddy *b = acc;
	struct cur c = { s, s + len };
	uint64_t node, v, counts[MAX_ORDERS + 1];
	size_t z, n = 0, i;
	unsigned key;

	if (!lit(&c, "Node") || !spaces(&c) || !digits(&c, &node) || !lit(&c, ",") ||
	    !spaces(&c) || !lit(&c, "zone") || !spaces(&c))
		goto bad;
	for (z = 0; z < ZO_ARRAY_SIZE(zones) && !lit(&c, zones[z]); z++)
		;
	if (z == ZO_ARRAY_SIZE(zones))
		goto bad;
	while (spaces(&c) && n <= MAX_ORDERS && digits(&c, &v))
		counts[n++] = v;
	if (!n || c.p != c.end || n > MAX_ORDERS)
		goto bad;
	if (b->norders && n != b->norders) {
		zo_rlines_error(l, "%zu free-list orders where the lines before have %zu", n,
				b->norders);
		return;
	}
	b->norders = n;
	key = (unsigned)(node * 4 + z);
	for (i = 0; i < b->nseen && b->seen[i] != key; i++)
		;
	/* a zone again: the next sample has begun */
	if (i < b->nseen || b->nseen == MAX_ZONES)
		buddy_close_sample(b);
	b->seen[b->nseen++] = key;
	for (i = 0; i < n; i++)
		b->sum[i] += counts[i];
	return;
bad:
	bad_line(l, s, len,
		 "a /proc/buddyinfo line 'Node N, zone (DMA|DMA32|Normal) <free blocks per "
		 "order>...'");
}

static void buddy_feed(void *acc, size_t file, const char *buf, size_t len)
{
	(void)file;
	zo_rlines_feed(&((struct buddy *)acc)->lines, buf, len, buddy_line, acc);
}

static void buddy_finish(void *acc, struct zo_rset *s)
{
	struct buddy *b = acc;

	if (!zo_rlines_check(&b->lines, s, s->fmt->data_ext, false))
		return;
	buddy_close_sample(b);
	set_head(s, BI_HUGE_LAST, b->huge_last);
	set_head(s, BI_HUGE_MIN, b->huge_min);
	set_head(s, BI_FREE_LAST, b->free_last);
	set_head(s, BI_SAMPLES, (double)b->samples);
}

static bool interval_of(const struct zo_rset *s, double *ret)
{
	/* the runner's name for it, or zsim's argument */
	const char *v = zo_rkvs_get(&s->settings, "stats_interval");
	uint64_t n;

	if (!v)
		v = zo_rkvs_get(&s->settings, "interval");
	if (!v || !whole_number(v, strlen(v), &n) || !n)
		return false;
	*ret = (double)n;
	return true;
}

static const char *buddy_unplottable(const struct zo_rset *s)
{
	double iv;

	return interval_of(s, &iv) ? NULL
				   : "its .params records no stats_interval (the seconds between "
				     "two buddyinfo samples), so the samples cannot be put on a "
				     "time axis";
}

static int buddy_series(void *acc, const struct zo_rset *s, size_t figure, struct zo_rcurves *c)
{
	const struct buddy *b = acc;
	double iv;
	size_t i;
	int r = 0;

	if (!interval_of(s, &iv))
		return -EDOM;
	if (figure == 1)
		return one_curve(c, NULL) < 0 ? -ENOMEM : kept(c, 0, &b->huge, iv, 1);
	if (zo_rcurves_alloc(c, b->norders, 0) < 0)
		return -ENOMEM;
	for (i = 0; i < b->norders && r == 0; i++) {
		c->v[i].label = zo_asprintf("order %zu", i);
		r = c->v[i].label ? kept(c, i, &b->order[i], iv, PAGE / GIB) : -ENOMEM;
	}
	return r;
}

static void buddy_close(void *acc)
{
	struct buddy *b = acc;

	if (b)
		zo_rlines_release(&b->lines);
	free(b);
}

const struct zo_rformat zo_rformat_buddyinfo = {
	.name = "buddyinfo",
	.data_ext = "out",
	.exts = { "out" },
	.heads = bi_heads,
	.n_heads = ZO_ARRAY_SIZE(bi_heads),
	.figures = bi_figures,
	.n_figures = ZO_ARRAY_SIZE(bi_figures),
	.open = buddy_open,
	.feed = buddy_feed,
	.finish = buddy_finish,
	.series = buddy_series,
	.close = buddy_close,
	.unplottable = buddy_unplottable,
};

/* ---- vmstat and zswap counters (exp00005) ---------------------------- */

enum { VM_PSWPOUT, VM_PSWPIN, VM_ZSTORED, VM_ZRATIO };

static const struct zo_rhead_def vm_heads[] = {
	{ "pswpout_per_s", "pages swapped out per second (target)", "pages/s" },
	{ "pswpin_per_s", "pages swapped in per second (target)", "pages/s" },
	{ "zswap_stored_gib_max", "most memory zswap held (host)", "GiB" },
	{ "zswap_ratio", "zswap compression then (stored / pool)", "x" },
};

static const struct zo_rfigure vm_figures[] = {
	{ "swap", "target's swapping over time (vmstat)", "time (s)", "pages per second", false,
	  false, "top left", false },
	{ "free", "target's free memory over time (vmstat nr_free_pages)", "time (s)",
	  "free memory (GiB)", false, false, "top right", false },
	{ "zswap", "host's zswap over time", "time (s)", "GiB", false, false, "top left", false },
};

enum { C_PSWPIN, C_PSWPOUT, C_FREE, N_VMC };
static const char *const vm_counters[N_VMC] = { "pswpin", "pswpout", "nr_free_pages" };
enum { Z_STORED, Z_POOL, N_ZC };
static const char *const z_counters[N_ZC] = { "stored_pages", "pool_total_size" };

struct vmstat {
	struct zo_rlines lines[2];
	size_t file;
	/* .vmstat */
	char first[64];
	int64_t cur[N_VMC], prev[N_VMC], start[N_VMC];
	bool have[N_VMC], have_prev;
	uint64_t samples;
	struct zo_rkeep vm[N_VMC];
	/* .zswapstats */
	char zfirst[64], zname[64];
	bool want_value;
	int64_t zcur[N_ZC];
	uint64_t zsamples;
	double zmax, zratio;
	struct zo_rkeep z[N_ZC];
};

static void *vmstat_open(void)
{
	struct vmstat *v = calloc(1, sizeof(*v));
	size_t i;

	if (!v)
		return NULL;
	for (i = 0; i < N_VMC; i++)
		zo_rkeep_init(&v->vm[i], i != C_FREE);
	for (i = 0; i < N_ZC; i++)
		zo_rkeep_init(&v->z[i], false);
	return v;
}

static bool signed_number(struct cur *c, int64_t *ret)
{
	bool neg = lit(c, "-");
	uint64_t u;

	if (!digits(c, &u) || u > INT64_MAX)
		return false;
	*ret = neg ? -(int64_t)u : (int64_t)u;
	return true;
}

static void vm_close_sample(struct vmstat *v)
{
	size_t i;

	for (i = 0; i < N_VMC; i++) {
		if (!v->have[i])
			continue;
		if (!v->samples)
			v->start[i] = v->cur[i];
		if (i == C_FREE)
			zo_rkeep_add(&v->vm[i], (double)v->samples, (double)v->cur[i]);
		else if (v->have_prev)
			zo_rkeep_add(&v->vm[i], (double)v->samples, (double)(v->cur[i] - v->prev[i]));
		v->prev[i] = v->cur[i];
	}
	v->have_prev = true;
	v->samples++;
}

static void vm_line(void *acc, struct zo_rlines *l, const char *s, size_t len)
{
	struct vmstat *v = acc;
	struct cur c = { s, s + len };
	const char *name = s;
	size_t nlen, i;
	int64_t val;

	while (c.p < c.end && ((*c.p >= 'a' && *c.p <= 'z') || (*c.p >= '0' && *c.p <= '9') ||
			       *c.p == '_'))
		c.p++;
	nlen = (size_t)(c.p - name);
	if (!nlen || nlen >= sizeof(v->first) || !lit(&c, " ") || !signed_number(&c, &val) ||
	    c.p != c.end) {
		bad_line(l, s, len, "a /proc/vmstat line 'name value'");
		return;
	}
	if (!v->first[0]) {
		memcpy(v->first, name, nlen);
	} else if (strlen(v->first) == nlen && !memcmp(v->first, name, nlen)) {
		vm_close_sample(v);
		memset(v->have, 0, sizeof(v->have));
	}
	for (i = 0; i < N_VMC; i++)
		if (strlen(vm_counters[i]) == nlen && !memcmp(vm_counters[i], name, nlen)) {
			v->cur[i] = val;
			v->have[i] = true;
		}
}

static void z_close_sample(struct vmstat *v)
{
	double stored = (double)v->zcur[Z_STORED] * PAGE, pool = (double)v->zcur[Z_POOL];

	zo_rkeep_add(&v->z[Z_STORED], (double)v->zsamples, stored);
	zo_rkeep_add(&v->z[Z_POOL], (double)v->zsamples, pool);
	if (stored > v->zmax || !v->zsamples) {
		v->zmax = stored;
		v->zratio = pool > 0 ? stored / pool : 0;
	}
	v->zsamples++;
}

static void z_line(void *acc, struct zo_rlines *l, const char *s, size_t len)
{
	struct vmstat *v = acc;
	struct cur c = { s, s + len };
	const char *base;
	int64_t val;
	size_t i;

	if (!len || starts(s, len, "(no /sys/kernel/debug/zswap"))
		return;
	if (lit(&c, "==> ") && len > 8 && !memcmp(s + len - 4, " <==", 4)) {
		for (base = s + len - 4; base > s + 4 && base[-1] != '/'; base--)
			;
		if ((size_t)(s + len - 4 - base) >= sizeof(v->zname)) {
			bad_line(l, s, len, "a zswap debugfs file's header");
			return;
		}
		snprintf(v->zname, sizeof(v->zname), "%.*s", (int)(s + len - 4 - base), base);
		if (!v->zfirst[0])
			snprintf(v->zfirst, sizeof(v->zfirst), "%s", v->zname);
		else if (!strcmp(v->zfirst, v->zname))
			z_close_sample(v);
		v->want_value = true;
		return;
	}
	if (!v->want_value || !signed_number(&c, &val) || c.p != c.end) {
		bad_line(l, s, len,
			 v->want_value ? "the value of a zswap debugfs file"
				       : "a '==> FILE <==' header (tail's) before a value");
		return;
	}
	v->want_value = false;
	for (i = 0; i < N_ZC; i++)
		if (!strcmp(v->zname, z_counters[i]))
			v->zcur[i] = val;
}

static void vmstat_feed(void *acc, size_t file, const char *buf, size_t len)
{
	struct vmstat *v = acc;

	v->file = file ? 1 : 0;
	zo_rlines_feed(&v->lines[v->file], buf, len, v->file ? z_line : vm_line, acc);
}

static void vmstat_finish(void *acc, struct zo_rset *s)
{
	struct vmstat *v = acc;

	if (!zo_rlines_check(&v->lines[0], s, s->fmt->exts[0], false) ||
	    !zo_rlines_check(&v->lines[1], s, s->fmt->exts[1], true))
		return;
	vm_close_sample(v);
	if (v->zfirst[0])
		z_close_sample(v);
	if (v->samples > 1 && v->have[C_PSWPOUT])
		set_head(s, VM_PSWPOUT,
			 (double)(v->cur[C_PSWPOUT] - v->start[C_PSWPOUT]) / (double)(v->samples - 1));
	if (v->samples > 1 && v->have[C_PSWPIN])
		set_head(s, VM_PSWPIN,
			 (double)(v->cur[C_PSWPIN] - v->start[C_PSWPIN]) / (double)(v->samples - 1));
	if (v->zsamples) {
		set_head(s, VM_ZSTORED, v->zmax / GIB);
		if (v->zratio > 0)
			set_head(s, VM_ZRATIO, v->zratio);
	}
}

static int vmstat_series(void *acc, const struct zo_rset *s, size_t figure,
			 struct zo_rcurves *c)
{
	const struct vmstat *v = acc;
	size_t i, n = figure == 0 ? 2 : figure == 1 ? 1 : N_ZC;
	int r = 0;

	(void)s;
	if (zo_rcurves_alloc(c, n, 0) < 0)
		return -ENOMEM;
	for (i = 0; i < n && r == 0; i++) {
		const struct zo_rkeep *k = figure == 0 ? &v->vm[i] : figure == 1 ? &v->vm[C_FREE]
										 : &v->z[i];
		const char *label = figure == 0 ? vm_counters[i] : figure == 1 ? NULL
					      : i == Z_STORED ? "stored (pages held)"
							      : "pool (compressed)";

		if (label && !(c->v[i].label = strdup(label)))
			return -ENOMEM;
		r = kept(c, i, k, 1, figure == 0 ? 1 : figure == 1 ? PAGE / GIB : 1 / GIB);
	}
	return r;
}

static void vmstat_close(void *acc)
{
	struct vmstat *v = acc;

	if (v) {
		zo_rlines_release(&v->lines[0]);
		zo_rlines_release(&v->lines[1]);
	}
	free(v);
}

const struct zo_rformat zo_rformat_vmstat = {
	.name = "vmstat",
	.data_ext = "vmstat",
	.exts = { "vmstat", "zswapstats" },
	.heads = vm_heads,
	.n_heads = ZO_ARRAY_SIZE(vm_heads),
	.figures = vm_figures,
	.n_figures = ZO_ARRAY_SIZE(vm_figures),
	.open = vmstat_open,
	.feed = vmstat_feed,
	.finish = vmstat_finish,
	.series = vmstat_series,
	.close = vmstat_close,
};

/* ---- memcached under compaction (exp00003, exp00004) ----------------- */

/* memcached_and_capture_thp's .out: every interval "<ops> <undos>" (the
 * instrumented kernel's /proc/compact_instrumentation), "NEXT!" between
 * its insert, delete and insert phases, "DONE!" at the end; exp00003's
 * .memcached_latency: the TSC cycles of each operation, one a line, the
 * phases "NEXT!" apart. The counters are plotted as read, per sample. */

enum { TH_P50, TH_P99, TH_OPS, TH_UNDOS };
enum { T4_OPS, T4_UNDOS, T4_SAMPLES };
#define PHASES 3

static const struct zo_rhead_def th_heads[] = {
	{ "op_p50_ns", "time per memcached operation, p50", "ns" },
	{ "op_p99_ns", "time per memcached operation, p99", "ns" },
	{ "compact_ops_last", "compaction operations, last read", "ops" },
	{ "compact_undos_last", "compaction undos, last read", "undos" },
};

static const struct zo_rhead_def t4_heads[] = {
	{ "compact_ops_last", "compaction operations, last read", "ops" },
	{ "compact_undos_last", "compaction undos, last read", "undos" },
	{ "samples", "compaction samples", "samples" },
};

static const struct zo_rfigure th_figures[] = {
	{ "compaction", "compaction counters as read", "sample (one per interval)",
	  "/proc/compact_instrumentation", false, false, "top left", false },
	{ "latency-cdf", "CDF of the time per memcached operation", "time per operation (us)",
	  "fraction of operations", true, false, "bottom right", false },
};

static const char *const phase_names[PHASES] = { "insert", "delete", "insert again" };

struct thp {
	struct zo_rlines lines[2];
	size_t file;
	uint64_t samples, ops, undos;
	bool finished; /* DONE! seen */
	struct zo_rkeep k_ops, k_undos;
	size_t phase;
	uint64_t nops;
	struct zo_rhist all, ph[PHASES];
};

static void *thp_open(void)
{
	struct thp *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	zo_rkeep_init(&t->k_ops, false);
	zo_rkeep_init(&t->k_undos, false);
	return t;
}

static void thp_out_line(void *acc, struct zo_rlines *l, const char *s, size_t len)
{
	struct thp *t = acc;
	struct cur c = { s, s + len };
	uint64_t ops, undos;

	if (t->finished) {
		bad_line(l, s, len, "anything: it follows 'DONE!'");
		return;
	}
	if (len == 5 && !memcmp(s, "NEXT!", 5))
		return;
	if (len == 5 && !memcmp(s, "DONE!", 5)) {
		t->finished = true;
		return;
	}
	if (!digits(&c, &ops) || !lit(&c, " ") || !digits(&c, &undos) || c.p != c.end) {
		bad_line(l, s, len, "'<ops> <undos>', 'NEXT!' or 'DONE!'");
		return;
	}
	t->ops = ops;
	t->undos = undos;
	zo_rkeep_add(&t->k_ops, (double)t->samples, (double)ops);
	zo_rkeep_add(&t->k_undos, (double)t->samples, (double)undos);
	t->samples++;
}

static void thp_lat_line(void *acc, struct zo_rlines *l, const char *s, size_t len)
{
	struct thp *t = acc;
	uint64_t v;

	if (len == 5 && !memcmp(s, "NEXT!", 5)) {
		if (++t->phase == PHASES)
			zo_rlines_error(l, "a fourth phase: memcached_and_capture_thp has three");
		return;
	}
	if (!whole_number(s, len, &v)) {
		bad_line(l, s, len, "an operation's cycles (one whole number a line) or 'NEXT!'");
		return;
	}
	t->nops++;
	zo_rhist_add(&t->all, v);
	zo_rhist_add(&t->ph[t->phase], v);
}

static void thp_feed(void *acc, size_t file, const char *buf, size_t len)
{
	struct thp *t = acc;

	t->file = file ? 1 : 0;
	zo_rlines_feed(&t->lines[t->file], buf, len, t->file ? thp_lat_line : thp_out_line, acc);
}

static bool thp_check(struct thp *t, struct zo_rset *s)
{
	size_t i;

	for (i = 0; i < zo_rformat_nfiles(s->fmt); i++)
		if (!zo_rlines_check(&t->lines[i], s, s->fmt->exts[i], false))
			return false;
	return true;
}

static void thp_finish(void *acc, struct zo_rset *s)
{
	struct thp *t = acc;

	if (!thp_check(t, s))
		return;
	if (s->fmt->heads == t4_heads) {
		set_head(s, T4_SAMPLES, (double)t->samples);
		if (t->samples)
			set_head(s, T4_OPS, (double)t->ops), set_head(s, T4_UNDOS, (double)t->undos);
		return;
	}
	if (t->samples)
		set_head(s, TH_OPS, (double)t->ops), set_head(s, TH_UNDOS, (double)t->undos);
	if (t->nops && s->tsc_khz > 0) {
		set_head(s, TH_P50, zo_rhist_quantile(&t->all, 0.50) / s->tsc_khz * 1e6);
		set_head(s, TH_P99, zo_rhist_quantile(&t->all, 0.99) / s->tsc_khz * 1e6);
	}
}

static int thp_series(void *acc, const struct zo_rset *s, size_t figure, struct zo_rcurves *c)
{
	const struct thp *t = acc;
	size_t i, n = 0;
	int r = 0;

	if (figure == 0) {
		if (zo_rcurves_alloc(c, 2, 0) < 0)
			return -ENOMEM;
		c->v[0].label = strdup("ops");
		c->v[1].label = strdup("undos");
		if (!c->v[0].label || !c->v[1].label)
			return -ENOMEM;
		r = kept(c, 0, &t->k_ops, 1, 1);
		return r ? r : kept(c, 1, &t->k_undos, 1, 1);
	}
	if (!(s->tsc_khz > 0))
		return -EDOM;
	for (i = 0; i < PHASES; i++)
		n += t->ph[i].total != 0;
	if (zo_rcurves_alloc(c, n, 0) < 0)
		return -ENOMEM;
	for (i = 0, n = 0; i < PHASES && r == 0; i++) {
		if (!t->ph[i].total)
			continue;
		c->v[n].label = strdup(phase_names[i]);
		r = c->v[n].label ? cdf(c, n, &t->ph[i], 1000 / s->tsc_khz) : -ENOMEM;
		n++;
	}
	return r;
}

static void thp_close(void *acc)
{
	struct thp *t = acc;

	if (t) {
		zo_rlines_release(&t->lines[0]);
		zo_rlines_release(&t->lines[1]);
	}
	free(t);
}

const struct zo_rformat zo_rformat_compaction = {
	.name = "memcached_compaction",
	.data_ext = "out",
	.exts = { "out", "memcached_latency" },
	.needs_tsc = true,
	.heads = th_heads,
	.n_heads = ZO_ARRAY_SIZE(th_heads),
	.figures = th_figures,
	.n_figures = ZO_ARRAY_SIZE(th_figures),
	.open = thp_open,
	.feed = thp_feed,
	.finish = thp_finish,
	.series = thp_series,
	.close = thp_close,
};

/* exp00004, bare metal: the latencies went to /dev/null */
const struct zo_rformat zo_rformat_compaction_bare = {
	.name = "memcached_compaction_bare",
	.data_ext = "out",
	.exts = { "out" },
	.heads = t4_heads,
	.n_heads = ZO_ARRAY_SIZE(t4_heads),
	.figures = th_figures,
	.n_figures = 1,
	.open = thp_open,
	.feed = thp_feed,
	.finish = thp_finish,
	.series = thp_series,
	.close = thp_close,
};
