#ifndef ZO_UTIL_STR_H
#define ZO_UTIL_STR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "macros.h"

/* A growable string; `buf` is always NUL-terminated once anything was
 * appended. Functions return 0 or -ENOMEM. */
struct zo_strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

int zo_strbuf_append(struct zo_strbuf *sb, const char *s);
int zo_strbuf_appendf(struct zo_strbuf *sb, const char *fmt, ...)
	ZO_PRINTF(2, 3);
int zo_strbuf_vappendf(struct zo_strbuf *sb, const char *fmt, va_list ap);
char *zo_strbuf_steal(struct zo_strbuf *sb);
void zo_strbuf_release(struct zo_strbuf *sb);

char *zo_asprintf(const char *fmt, ...) ZO_PRINTF(1, 2);

/* Trim leading and trailing whitespace in place; returns the new start. */
char *zo_strstrip(char *s);
bool zo_startswith(const char *s, const char *prefix);
bool zo_streq_ci(const char *a, const char *b);

/* NULL-terminated string vectors. */
char **zo_strv_free(char **v);
size_t zo_strv_length(char *const *v);
/* Split on `sep`, trimming each item and dropping empty ones. */
int zo_strv_split(const char *s, char sep, char ***ret);

/* A copy of the `len` bytes at `s` that is valid UTF-8 (for JSON): each
 * byte that does not belong to a well-formed sequence, and each NUL,
 * becomes U+FFFD. NULL on allocation failure. */
char *zo_utf8_copy(const char *s, size_t len);

size_t zo_edit_distance(const char *a, const char *b);
/* The candidate closest to `word`, or NULL if none is plausibly a typo of
 * it. */
const char *zo_closest(const char *word, const char *const *candidates,
		       size_t n);

#endif
