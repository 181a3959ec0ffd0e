#include "diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"

#include "banned.h"

int zo_diags_add(struct zo_diags *d, enum zo_severity severity, unsigned line,
		 const char *section, const char *key, const char *fmt, ...)
{
	struct zo_strbuf sb = { 0 };
	struct zo_diag *nv, *e;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = zo_strbuf_vappendf(&sb, fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	nv = realloc(d->v, (d->n + 1) * sizeof(*nv));
	if (!nv) {
		zo_strbuf_release(&sb);
		return -ENOMEM;
	}
	d->v = nv;
	e = &d->v[d->n];
	memset(e, 0, sizeof(*e));
	e->severity = severity;
	e->line = line;
	e->message = zo_strbuf_steal(&sb);
	e->section = section ? strdup(section) : NULL;
	e->key = key ? strdup(key) : NULL;
	if (!e->message || (section && !e->section) || (key && !e->key)) {
		free(e->message);
		free(e->section);
		free(e->key);
		return -ENOMEM;
	}
	d->n++;
	return 0;
}

void zo_diags_sort(struct zo_diags *d)
{
	size_t i, j;

	for (i = 1; i < d->n; i++) {
		struct zo_diag e = d->v[i];

		for (j = i; j > 0 && d->v[j - 1].line > e.line; j--)
			d->v[j] = d->v[j - 1];
		d->v[j] = e;
	}
}

size_t zo_diags_count(const struct zo_diags *d, enum zo_severity severity)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		if (d->v[i].severity == severity)
			n++;
	return n;
}

void zo_diags_release(struct zo_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].section);
		free(d->v[i].key);
		free(d->v[i].message);
	}
	free(d->v);
	d->v = NULL;
	d->n = 0;
}
