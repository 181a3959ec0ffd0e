/* What the data formats share while they stream: a log-spaced histogram
 * (percentiles and CDFs in fixed memory), a curve thinned as it grows,
 * and a line splitter that does not care how the file was chunked. */
#include "core/results.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/macros.h"
#include "util/str.h"

#include "util/banned.h"

#define SUB ZO_RHIST_SUB_BITS

/* ---- histogram ------------------------------------------------------- */

size_t zo_rhist_index(uint64_t v)
{
	unsigned e, k;

	if (v < (2u << SUB))
		return (size_t)v;
	e = 63u - (unsigned)__builtin_clzll(v);
	k = e - SUB;
	return ((size_t)(k + 1) << SUB) + (size_t)((v >> k) - (1u << SUB));
}

uint64_t zo_rhist_low(size_t i)
{
	unsigned k;

	if (i < (2u << SUB))
		return i;
	k = (unsigned)(i >> SUB) - 1;
	return ((uint64_t)(1u << SUB) + (i & ((1u << SUB) - 1))) << k;
}

uint64_t zo_rhist_width(size_t i)
{
	return i < (2u << SUB) ? 1 : (uint64_t)1 << ((i >> SUB) - 1);
}

void zo_rhist_add(struct zo_rhist *h, uint64_t v)
{
	h->count[zo_rhist_index(v)]++;
	h->total++;
	if (v > h->max)
		h->max = v;
}

double zo_rhist_quantile(const struct zo_rhist *h, double frac)
{
	uint64_t rank = (uint64_t)((double)h->total * frac), cum = 0;
	size_t i;

	if ((double)rank < (double)h->total * frac)
		rank++;
	if (!rank)
		rank = 1;
	for (i = 0; i < ZO_RHIST_N; i++) {
		cum += h->count[i];
		if (cum >= rank)
			return (double)zo_rhist_low(i) + (double)(zo_rhist_width(i) - 1) / 2;
	}
	return 0;
}

static int series_alloc(struct zo_rseries *r, size_t n)
{
	r->x = calloc(n ? n : 1, sizeof(double));
	r->y = calloc(n ? n : 1, sizeof(double));
	r->n = 0;
	if (r->x && r->y)
		return 0;
	free(r->x);
	free(r->y);
	r->x = r->y = NULL;
	return -ENOMEM;
}

int zo_rhist_cdf(const struct zo_rhist *h, double scale, struct zo_rseries *ret)
{
	double cum = 0;
	size_t i, n = 0;

	for (i = 0; i < ZO_RHIST_N; i++)
		n += h->count[i] != 0;
	if (series_alloc(ret, n) < 0)
		return -ENOMEM;
	for (i = 0; i < ZO_RHIST_N; i++) {
		if (!h->count[i])
			continue;
		cum += (double)h->count[i];
		ret->x[ret->n] = (double)(zo_rhist_low(i) + zo_rhist_width(i) - 1) * scale;
		ret->y[ret->n++] = cum / (double)h->total;
	}
	return 0;
}

/* ---- curves ---------------------------------------------------------- */

void zo_rcurves_release(struct zo_rcurves *c)
{
	size_t i;

	for (i = 0; c->v && i < c->n; i++) {
		free(c->v[i].x);
		free(c->v[i].y);
		free(c->v[i].label);
	}
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

int zo_rcurves_alloc(struct zo_rcurves *c, size_t n, size_t points)
{
	size_t i;

	c->v = calloc(n ? n : 1, sizeof(*c->v));
	c->n = c->v ? n : 0;
	for (i = 0; c->v && i < n; i++)
		if (series_alloc(&c->v[i], points) < 0)
			break;
	if (c->v && i == n)
		return 0;
	zo_rcurves_release(c);
	return -ENOMEM;
}

void zo_rkeep_init(struct zo_rkeep *k, bool peak)
{
	k->n = 0;
	k->stride = 1;
	k->in_window = 0;
	k->peak = peak;
}

void zo_rkeep_add(struct zo_rkeep *k, double x, double y)
{
	size_t j;

	if (k->in_window) {
		/* the window's point so far is the last one kept */
		if (!k->peak || y > k->y[k->n - 1]) {
			k->x[k->n - 1] = x;
			k->y[k->n - 1] = y;
		}
	} else {
		if (k->n == ZO_RKEEP_MAX) {
			/* merge pairs: each window twice as long */
			for (j = 0; j < ZO_RKEEP_MAX / 2; j++) {
				size_t a = 2 * j, b = 2 * j + 1;
				size_t w = k->peak && k->y[a] > k->y[b] ? a : b;

				k->x[j] = k->x[w];
				k->y[j] = k->y[w];
			}
			k->n = ZO_RKEEP_MAX / 2;
			k->stride *= 2;
		}
		k->x[k->n] = x;
		k->y[k->n++] = y;
	}
	if (++k->in_window == k->stride)
		k->in_window = 0;
}

int zo_rkeep_series(const struct zo_rkeep *k, double xs, double ys, struct zo_rseries *ret)
{
	size_t i;

	if (series_alloc(ret, k->n) < 0)
		return -ENOMEM;
	for (i = 0; i < k->n; i++) {
		ret->x[i] = k->x[i] * xs;
		ret->y[i] = k->y[i] * ys;
	}
	ret->n = k->n;
	return 0;
}

/* ---- lines ----------------------------------------------------------- */

void zo_rlines_error(struct zo_rlines *l, const char *fmt, ...)
{
	struct zo_strbuf sb = { 0 };
	va_list ap;

	if (l->error)
		return;
	zo_strbuf_appendf(&sb, "line %llu: ", (unsigned long long)l->line);
	va_start(ap, fmt);
	zo_strbuf_vappendf(&sb, fmt, ap);
	va_end(ap);
	l->error = sb.buf ? zo_strbuf_steal(&sb) : strdup("?");
}

static void one_line(struct zo_rlines *l, const char *s, size_t len, zo_rline_fn fn, void *acc)
{
	l->line++;
	if (!l->error)
		fn(acc, l, s, len);
}

void zo_rlines_feed(struct zo_rlines *l, const char *buf, size_t len, zo_rline_fn fn, void *acc)
{
	while (len) {
		const char *nl = memchr(buf, '\n', len);
		size_t take = nl ? (size_t)(nl - buf) : len;

		if (!l->part_len && !l->part_long && nl) {
			one_line(l, buf, take, fn, acc);
		} else {
			/* a line split between two chunks */
			if (!l->part_long && l->part_len + take < sizeof(l->part)) {
				memcpy(l->part + l->part_len, buf, take);
				l->part_len += take;
			} else {
				l->part_long = true;
			}
			if (nl && l->part_long) {
				l->line++;
				zo_rlines_error(l, "longer than %d bytes: not a line this file has",
						ZO_RLINE_MAX);
			} else if (nl) {
				one_line(l, l->part, l->part_len, fn, acc);
			}
			if (nl)
				l->part_len = 0, l->part_long = false;
		}
		if (!nl)
			return;
		len -= take + 1;
		buf = nl + 1;
	}
}

bool zo_rlines_check(struct zo_rlines *l, struct zo_rset *s, const char *ext, bool empty_ok)
{
	if (l->error)
		zo_rset_break(s, "%s.%s %s", s->base, ext, l->error);
	else if (l->part_len || l->part_long)
		zo_rset_break(s, "%s.%s ends in the middle of a line (line %llu): truncated", s->base,
			      ext, (unsigned long long)l->line + 1);
	else if (!l->line && !empty_ok)
		zo_rset_break(s, "%s.%s is empty", s->base, ext);
	else
		return true;
	return false;
}

void zo_rlines_release(struct zo_rlines *l)
{
	free(l->error);
	l->error = NULL;
}
