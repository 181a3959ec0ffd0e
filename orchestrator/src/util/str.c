#include "str.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "banned.h"

static int strbuf_grow(struct zo_strbuf *sb, size_t extra)
{
	size_t want = sb->len + extra + 1;
	size_t cap = sb->cap ? sb->cap : 64;
	char *n;

	if (want <= sb->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	n = realloc(sb->buf, cap);
	if (!n)
		return -ENOMEM;
	sb->buf = n;
	sb->cap = cap;
	return 0;
}

int zo_strbuf_append(struct zo_strbuf *sb, const char *s)
{
	size_t l = strlen(s);
	int r = strbuf_grow(sb, l);

	if (r < 0)
		return r;
	memcpy(sb->buf + sb->len, s, l + 1);
	sb->len += l;
	return 0;
}

int zo_strbuf_vappendf(struct zo_strbuf *sb, const char *fmt, va_list ap)
{
	va_list aq;
	int n, r;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return -EINVAL;
	r = strbuf_grow(sb, (size_t)n);
	if (r < 0)
		return r;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int zo_strbuf_appendf(struct zo_strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = zo_strbuf_vappendf(sb, fmt, ap);
	va_end(ap);
	return r;
}

char *zo_strbuf_steal(struct zo_strbuf *sb)
{
	char *s = sb->buf ? sb->buf : strdup("");

	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return s;
}

void zo_strbuf_release(struct zo_strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

char *zo_asprintf(const char *fmt, ...)
{
	struct zo_strbuf sb = { 0 };
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = zo_strbuf_vappendf(&sb, fmt, ap);
	va_end(ap);
	if (r < 0) {
		zo_strbuf_release(&sb);
		return NULL;
	}
	return zo_strbuf_steal(&sb);
}

char *zo_strstrip(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

bool zo_startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool zo_streq_ci(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

char **zo_strv_free(char **v)
{
	size_t i;

	if (!v)
		return NULL;
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
	return NULL;
}

size_t zo_strv_length(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

int zo_strv_split(const char *s, char sep, char ***ret)
{
	_cleanup_free_ char *copy = strdup(s);
	char **v;
	size_t n = 0, max = 1;
	char *p, *item;

	if (!copy)
		return -ENOMEM;
	for (p = copy; *p; p++)
		if (*p == sep)
			max++;
	v = calloc(max + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	item = copy;
	for (;;) {
		char *next = strchr(item, sep);
		char *stripped;

		if (next)
			*next = '\0';
		stripped = zo_strstrip(item);
		if (*stripped) {
			v[n] = strdup(stripped);
			if (!v[n]) {
				zo_strv_free(v);
				return -ENOMEM;
			}
			n++;
		}
		if (!next)
			break;
		item = next + 1;
	}
	*ret = v;
	return (int)n;
}

/* Optimal string alignment distance: Levenshtein plus adjacent
 * transpositions, the most common typo ("stauts"). */
size_t zo_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, w = lb + 1, result;
	size_t *d = calloc((la + 1) * w, sizeof(*d));

	if (!d)
		return (size_t)-1;
	for (i = 0; i <= la; i++)
		d[i * w] = i;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = d[(i - 1) * w + j - 1] + cost;

			if (d[(i - 1) * w + j] + 1 < best)
				best = d[(i - 1) * w + j] + 1;
			if (d[i * w + j - 1] + 1 < best)
				best = d[i * w + j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[(i - 2) * w + j - 2] + 1 < best)
				best = d[(i - 2) * w + j - 2] + 1;
			d[i * w + j] = best;
		}
	}
	result = d[la * w + lb];
	free(d);
	return result;
}

const char *zo_closest(const char *word, const char *const *candidates,
		       size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, i;
	/* A third of the word's length catches a transposition or a dropped
	 * letter without suggesting unrelated short words. */
	size_t limit = strlen(word) / 3 ? strlen(word) / 3 : 1;

	for (i = 0; i < n; i++) {
		size_t d = zo_edit_distance(word, candidates[i]);

		if (zo_startswith(candidates[i], word) && *word)
			d = d < 1 ? d : 1;
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best_d <= limit ? best : NULL;
}

/* The length of the well-formed UTF-8 sequence at s (at most n bytes),
 * or 0 (RFC 3629: no overlong forms, surrogates or code points past
 * U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned lo = 0x80, hi = 0xbf;

	if (s[0] > 0 && s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

char *zo_utf8_copy(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	/* at worst each byte becomes the 3 bytes of U+FFFD */
	char *out = len < ((size_t)-1 - 1) / 3 ? malloc(len * 3 + 1) : NULL;
	size_t i = 0, o = 0, n;

	if (!out)
		return NULL;
	while (i < len) {
		n = utf8_seq(u + i, len - i);
		if (n) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	return out;
}
