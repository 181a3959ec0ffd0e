/* Diagnostics collected while checking input, so that a command can report
 * every problem at once instead of stopping at the first. */
#ifndef ZO_UTIL_DIAG_H
#define ZO_UTIL_DIAG_H

#include <stddef.h>

#include "macros.h"

enum zo_severity {
	ZO_WARNING,
	ZO_ERROR,
};

struct zo_diag {
	enum zo_severity severity;
	unsigned line; /* 0: not tied to a line */
	char *section; /* NULL: not tied to a key */
	char *key;
	char *message;
};

struct zo_diags {
	struct zo_diag *v;
	size_t n;
};

int zo_diags_add(struct zo_diags *d, enum zo_severity severity, unsigned line,
		 const char *section, const char *key, const char *fmt, ...)
	ZO_PRINTF(6, 7);
/* Stable sort by line, so reports read top to bottom like the file. */
void zo_diags_sort(struct zo_diags *d);
size_t zo_diags_count(const struct zo_diags *d, enum zo_severity severity);
void zo_diags_release(struct zo_diags *d);

#endif
