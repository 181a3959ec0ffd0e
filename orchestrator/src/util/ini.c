#include "ini.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iniparser.h>

#include "file.h"
#include "str.h"

#include "banned.h"

/* iniparser's own limit (ASCIILINESZ) is 1024 including the newline;
 * longer lines are rejected by it with a message on stderr. */
#define INI_MAX_LINE 1000

#ifdef HAVE_INIPARSER_SET_ERROR_CALLBACK
/* The pre-scan reports structural errors with line numbers; whatever
 * iniparser would add on stderr is redundant. */
static int ini_quiet(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}
#endif

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

struct scan_key {
	char *section;
	char *key;
	char *raw; /* NULL for a value continued over several lines */
	unsigned line;
};

struct scan {
	struct scan_key *keys;
	size_t n_keys;
	struct zo_ini_section *sections;
	size_t n_sections;
};

static void scan_release(struct scan *s)
{
	size_t i;

	for (i = 0; i < s->n_keys; i++) {
		free(s->keys[i].section);
		free(s->keys[i].key);
		free(s->keys[i].raw);
	}
	free(s->keys);
	for (i = 0; i < s->n_sections; i++)
		free(s->sections[i].name);
	free(s->sections);
}

static struct scan_key *scan_key_find(const struct scan *s, const char *section,
				      const char *key)
{
	size_t i;

	for (i = 0; i < s->n_keys; i++)
		if (!strcmp(s->keys[i].section, section) &&
		    !strcmp(s->keys[i].key, key))
			return &s->keys[i];
	return NULL;
}

static int check_text(const char *buf, size_t len, struct zo_diags *diags)
{
	unsigned line = 1;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n')
			line++;
		else if (c == 0 || (c < 0x20 && c != '\t' && c != '\r'))
			return zo_diags_add(diags, ZO_ERROR, line, NULL, NULL,
					    "not a text file: byte 0x%02x at offset %zu; "
					    "give the path of an INI file",
					    c, i);
	}
	return 0;
}

/* Classify each line the way iniparser does, remembering where every
 * section and key is, so that later errors can name a line. */
static int scan_lines(char *buf, struct scan *s, struct zo_diags *diags)
{
	_cleanup_free_ char *section = strdup("");
	unsigned lineno = 0, continued_from = 0;
	bool continued = false;
	char *line = buf;

	if (!section)
		return -ENOMEM;
	while (line) {
		char *next = strchr(line, '\n');
		char *t, *eq;
		size_t len;
		int r;

		if (next)
			*next++ = '\0';
		else if (!*line)
			break; /* after the last newline: not a line */
		lineno++;
		len = strlen(line);
		if (len > INI_MAX_LINE) {
			r = zo_diags_add(diags, ZO_ERROR, lineno, NULL, NULL,
					 "line is %zu characters long; the limit is %d",
					 len, INI_MAX_LINE);
			if (r < 0)
				return r;
			line = next;
			continue;
		}
		t = zo_strstrip(line);
		len = strlen(t);
		if (continued) {
			/* a value continued with a trailing backslash */
			continued = len > 0 && t[len - 1] == '\\';
			line = next;
			continue;
		}
		if (len == 0 || t[0] == '#' || t[0] == ';') {
			line = next;
			continue;
		}
		continued = t[len - 1] == '\\';
		continued_from = lineno;
		if (t[0] == '[') {
			struct zo_ini_section *ns;
			char *name;

			if (t[len - 1] != ']') {
				r = zo_diags_add(diags, ZO_ERROR, lineno, NULL, NULL,
						 "section header \"%s\" has no closing ']'",
						 t);
				if (r < 0)
					return r;
				line = next;
				continue;
			}
			t[len - 1] = '\0';
			name = strdup(zo_strstrip(t + 1));
			if (!name)
				return -ENOMEM;
			lower(name);
			free(section);
			section = strdup(name);
			ns = realloc(s->sections,
				     (s->n_sections + 1) * sizeof(*ns));
			if (!section || !ns) {
				free(name);
				if (ns)
					s->sections = ns;
				return -ENOMEM;
			}
			s->sections = ns;
			ns[s->n_sections].name = name;
			ns[s->n_sections].line = lineno;
			s->n_sections++;
		} else if ((eq = strchr(t, '=')) && eq != t) {
			struct scan_key *nk, *seen;
			char *key, *raw;

			*eq = '\0';
			key = strdup(zo_strstrip(t));
			raw = continued ? NULL : strdup(zo_strstrip(eq + 1));
			if (!key || (!continued && !raw)) {
				free(key);
				free(raw);
				return -ENOMEM;
			}
			lower(key);
			seen = scan_key_find(s, section, key);
			if (seen) {
				r = zo_diags_add(diags, ZO_WARNING, lineno, section, key,
						 "set again (first on line %u); the last value wins",
						 seen->line);
				free(seen->raw);
				seen->raw = raw;
				free(key);
				if (r < 0)
					return r;
				line = next;
				continue;
			}
			nk = realloc(s->keys, (s->n_keys + 1) * sizeof(*nk));
			if (!nk) {
				free(key);
				free(raw);
				return -ENOMEM;
			}
			s->keys = nk;
			nk[s->n_keys].key = key;
			nk[s->n_keys].raw = raw;
			nk[s->n_keys].section = strdup(section);
			nk[s->n_keys].line = lineno;
			s->n_keys++;
			if (!nk[s->n_keys - 1].section)
				return -ENOMEM;
		} else {
			r = zo_diags_add(diags, ZO_ERROR, lineno, NULL, NULL,
					 "expected \"[section]\" or \"key = value\", found \"%.60s\"",
					 t);
			if (r < 0)
				return r;
		}
		line = next;
	}
	/* iniparser drops a value continued onto nothing: the key vanished */
	if (continued)
		return zo_diags_add(diags, ZO_ERROR, continued_from, NULL, NULL,
				    "the value ends with '\\' on the last line, continuing it "
				    "onto nothing; remove the '\\' or add the rest of the value");
	return 0;
}

static int collect(dictionary *d, const struct scan *s, struct zo_ini *ini)
{
	int i;

	ini->entries = calloc((size_t)d->n + 1, sizeof(*ini->entries));
	if (!ini->entries)
		return -ENOMEM;
	for (i = 0; i < d->size; i++) {
		struct zo_ini_entry *e;
		const struct scan_key *sk;
		const char *colon;

		if (!d->key[i])
			continue;
		colon = strchr(d->key[i], ':');
		if (!colon)
			continue; /* a section marker */
		e = &ini->entries[ini->n_entries];
		e->section = strndup(d->key[i], (size_t)(colon - d->key[i]));
		e->key = strdup(colon + 1);
		e->value = strdup(d->val[i] ? d->val[i] : "");
		ini->n_entries++;
		if (!e->section || !e->key || !e->value)
			return -ENOMEM;
		sk = scan_key_find(s, e->section, e->key);
		e->line = sk ? sk->line : 0;
		if (sk && sk->raw) {
			e->raw = strdup(sk->raw);
			if (!e->raw)
				return -ENOMEM;
		}
	}
	return 0;
}

/* "[matrix]   ; comment" is a section to a reader, but iniparser 3 and 4
 * take only lines that end in ']': cut such comments off. */
static void cut_section_comments(char *text)
{
	char *line = text;

	while (line && *line) {
		char *end = strchr(line, '\n'), *p = line, *close;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[' && (close = strchr(p, ']')) && (!end || close < end)) {
			char *q = close + 1;

			while (*q == ' ' || *q == '\t')
				q++;
			if (*q == ';' || *q == '#')
				for (q = close + 1; *q && *q != '\n'; q++)
					*q = ' ';
		}
		line = end ? end + 1 : NULL;
	}
}

/* iniparser reads a path. Give it a private copy of exactly the bytes we
 * checked, so a file changed meanwhile cannot slip past the checks. */
static dictionary *iniparser_load_text(const char *text, const char *path)
{
	char tmp[] = "/tmp/zsim-ini.XXXXXX";
	size_t len = strlen(text);
	dictionary *d;
	int fd = mkostemp(tmp, O_CLOEXEC);

	if (fd < 0)
		return iniparser_load(path); /* no writable /tmp: read it again */
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		unlink(tmp);
		return iniparser_load(path);
	}
	close(fd);
	d = iniparser_load(tmp);
	unlink(tmp);
	return d;
}

int zo_ini_load(const char *path, struct zo_ini **ret, struct zo_diags *diags)
{
	_cleanup_free_ char *buf = NULL, *text = NULL;
	struct scan s = { 0 };
	struct zo_ini *ini = NULL;
	dictionary *d = NULL;
	size_t errors_before = zo_diags_count(diags, ZO_ERROR);
	size_t len;
	int r;

	r = zo_read_file(path, ZO_INI_MAX_BYTES, &buf, &len);
	if (r < 0)
		return r;
	r = check_text(buf, len, diags);
	if (r < 0)
		return r;
	if (zo_diags_count(diags, ZO_ERROR) > errors_before)
		return -EINVAL;
	cut_section_comments(buf);
	text = strdup(buf); /* scan_lines cuts buf into lines */
	if (!text)
		return -ENOMEM;
	r = scan_lines(buf, &s, diags);
	if (r < 0)
		goto out;
	if (zo_diags_count(diags, ZO_ERROR) > errors_before) {
		r = -EINVAL;
		goto out;
	}

#ifdef HAVE_INIPARSER_SET_ERROR_CALLBACK
	iniparser_set_error_callback(ini_quiet);
#endif
	d = iniparser_load_text(text, path);
	if (!d) {
		r = zo_diags_add(diags, ZO_ERROR, 0, NULL, NULL,
				 "iniparser could not parse the file");
		r = r < 0 ? r : -EINVAL;
		goto out;
	}
	ini = calloc(1, sizeof(*ini));
	if (!ini) {
		r = -ENOMEM;
		goto out;
	}
	r = collect(d, &s, ini);
	if (r < 0)
		goto out;
	ini->sections = s.sections;
	ini->n_sections = s.n_sections;
	s.sections = NULL;
	s.n_sections = 0;
	*ret = ini;
	ini = NULL;
	r = 0;
out:
	if (d)
		iniparser_freedict(d);
	zo_ini_free(ini);
	scan_release(&s);
	return r;
}

struct zo_ini *zo_ini_free(struct zo_ini *ini)
{
	size_t i;

	if (!ini)
		return NULL;
	for (i = 0; i < ini->n_entries; i++) {
		free(ini->entries[i].section);
		free(ini->entries[i].key);
		free(ini->entries[i].value);
		free(ini->entries[i].raw);
	}
	free(ini->entries);
	for (i = 0; i < ini->n_sections; i++)
		free(ini->sections[i].name);
	free(ini->sections);
	free(ini);
	return NULL;
}

const struct zo_ini_entry *zo_ini_find(const struct zo_ini *ini,
				       const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < ini->n_entries; i++)
		if (!strcmp(ini->entries[i].section, section) &&
		    !strcmp(ini->entries[i].key, key))
			return &ini->entries[i];
	return NULL;
}

/* The lower-cased key of a "key = value" line, or NULL. */
static char *line_key(const char *line)
{
	const char *t = line, *eq;
	char *key;

	while (isspace((unsigned char)*t))
		t++;
	if (!*t || *t == '#' || *t == ';' || *t == '[')
		return NULL;
	eq = strchr(t, '=');
	if (!eq)
		return NULL;
	key = strndup(t, (size_t)(eq - t));
	if (!key)
		return NULL;
	lower(zo_strstrip(key));
	memmove(key, zo_strstrip(key), strlen(zo_strstrip(key)) + 1);
	return key;
}

/* The lower-cased name of a "[section]" line, or NULL. */
static char *line_section(const char *line)
{
	_cleanup_free_ char *copy = strdup(line);
	char *t, *end, *name;

	if (!copy)
		return NULL;
	t = zo_strstrip(copy);
	if (t[0] != '[' || !(end = strchr(t, ']')))
		return NULL;
	*end = '\0';
	name = strdup(zo_strstrip(t + 1));
	if (name)
		lower(name);
	return name;
}

int zo_ini_set(const char *path, const char *section, const char *key,
	       const char *value)
{
	_cleanup_free_ char *old = NULL, *setting = NULL;
	struct zo_strbuf out = { 0 };
	bool in_section = false, done = false;
	size_t insert_at = 0; /* offset in `out` after the section's last line */
	char *line, *next;
	int r;

	r = zo_read_file(path, ZO_INI_MAX_BYTES, &old, NULL);
	if (r == -ENOENT) {
		old = strdup("");
		if (!old)
			return -ENOMEM;
		r = zo_mkdir_parents(path);
	}
	if (r < 0)
		return r;
	if (strpbrk(value, ";#") || (*value && (isspace((unsigned char)value[0]) ||
					       isspace((unsigned char)value[strlen(value) - 1]))))
		setting = zo_asprintf("%s = \"%s\"\n", key, value);
	else
		setting = zo_asprintf("%s = %s\n", key, value);
	if (!setting)
		return -ENOMEM;

	for (line = old; line && *line; line = next) {
		_cleanup_free_ char *sec = NULL, *k = NULL;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		sec = line_section(line);
		if (sec) {
			in_section = !strcmp(sec, section);
		} else if (in_section && !done && (k = line_key(line)) && !strcmp(k, key)) {
			r = zo_strbuf_append(&out, setting);
			done = true;
			if (r < 0)
				goto fail;
			continue;
		}
		r = zo_strbuf_appendf(&out, "%s\n", line);
		if (r < 0)
			goto fail;
		if (in_section && *zo_strstrip(line))
			insert_at = out.len;
		if (sec && in_section)
			insert_at = out.len;
	}
	if (!done && insert_at > 0) {
		/* splice the setting in after the section's last line */
		_cleanup_free_ char *tail = strdup(out.buf + insert_at);

		if (!tail) {
			r = -ENOMEM;
			goto fail;
		}
		out.len = insert_at;
		out.buf[insert_at] = '\0';
		r = zo_strbuf_append(&out, setting);
		if (r == 0)
			r = zo_strbuf_append(&out, tail);
		done = true;
	} else if (!done) {
		r = zo_strbuf_appendf(&out, "%s[%s]\n%s", out.len ? "\n" : "",
				      section, setting);
	}
	if (r < 0)
		goto fail;
	r = zo_write_file_atomic(path, out.buf);
fail:
	zo_strbuf_release(&out);
	return r;
}
