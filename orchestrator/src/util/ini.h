/* The one place that talks to iniparser. Its API changed between 3.1
 * (CentOS 7) and 4.x (Debian 12): getstring/getseckeys lost or gained
 * const and getseckeys gained an output array. We avoid both by reading the
 * dictionary's public arrays, whose layout is the same in both. */
#ifndef ZO_UTIL_INI_H
#define ZO_UTIL_INI_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

struct zo_ini_entry {
	char *section; /* lower-case, "" for a key outside any section */
	char *key;     /* lower-case */
	char *value;
	/* the text after '=' as written: iniparser drops everything after a
	 * closing quote or from a ';' or '#' on, which is fine for a number or
	 * a name but not for an argument list. NULL for a continued value. */
	char *raw;
	unsigned line;
};

struct zo_ini_section {
	char *name;
	unsigned line;
};

struct zo_ini {
	struct zo_ini_entry *entries;
	size_t n_entries;
	struct zo_ini_section *sections;
	size_t n_sections;
	/* Lines of values that open a quote and never close it ("abc), which
	 * iniparser keeps in the value (cut at a ';' or '#'): left for the
	 * reader to judge (a config refuses them; a job's args have quoting
	 * of their own). */
	unsigned *open_quotes;
	size_t n_open_quotes;
};

/* Larger config or job files are a mistake (a log or an image given by
 * accident), not something to parse. */
#define ZO_INI_MAX_BYTES (1024 * 1024)

/* Parse `path`. Structural problems (binary content, a line that is neither
 * a section, a comment nor key = value, over-long lines) are added to
 * `diags` and make it return -EINVAL; a file that cannot be read returns
 * its -errno (-EFBIG when over ZO_INI_MAX_BYTES) without a diagnostic.
 * Repeated keys are warnings; the last value wins, as in iniparser, and
 * the entry's line is that of the last. */
int zo_ini_load(const char *path, struct zo_ini **ret, struct zo_diags *diags);
struct zo_ini *zo_ini_free(struct zo_ini *ini);
const struct zo_ini_entry *zo_ini_find(const struct zo_ini *ini,
				       const char *section, const char *key);

/* Set `key` in `section` of the INI file at `path`, keeping every other
 * line (comments included) as it was: the key's line is replaced, or the
 * key is added at the end of its section, or the section is appended. The
 * file and its parent directory are created if missing. Written to a
 * temporary file, fsync'ed and renamed over the old one, so a crash leaves
 * either the old or the new file. */
int zo_ini_set(const char *path, const char *section, const char *key,
	       const char *value);

/* Whether zo_ini_set writes `value` in quotes: a ';' or '#' (a comment
 * otherwise), blanks at either end, a quote first or a '\' last. */
bool zo_ini_needs_quotes(const char *value);
/* Why "key = value" cannot be written so that zo_ini_load reads `value`
 * back, or NULL when it can: a line break or another control character
 * (it would end the line and could start another setting), a line over
 * the 1000 characters a file's line may have, or a '"' in a value that
 * needs quotes (iniparser has no escapes). zo_ini_set refuses such values with -EINVAL. */
const char *zo_ini_value_problem(const char *key, const char *value);

#endif
