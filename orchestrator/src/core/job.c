#include "core/job.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/experiment.h"
#include "core/units.h"
#include "util/macros.h"
#include "util/str.h"

#include "util/banned.h"

#define MAX_MATRIX_KEYS 16

int zo_job_split(const char *s, char ***ret, char **ret_error)
{
	struct zo_strbuf word = { 0 };
	char **v = NULL;
	size_t n = 0;
	bool in_word = false;
	int r = 0;

	*ret_error = NULL;
	while (r == 0) {
		char c = *s;

		if (!c || isspace((unsigned char)c)) {
			if (in_word) {
				char **nv = realloc(v, (n + 2) * sizeof(char *));

				if (!nv) {
					r = -ENOMEM;
					break;
				}
				v = nv;
				v[n++] = word.buf ? zo_strbuf_steal(&word) : strdup("");
				v[n] = NULL;
				in_word = false;
			}
			if (!c)
				break;
			s++;
			continue;
		}
		if (!in_word && (c == ';' || c == '#'))
			break; /* a comment, as after any other INI value */
		in_word = true;
		if (c == '\'') {
			const char *end = strchr(s + 1, '\'');

			if (!end) {
				*ret_error = strdup("a ' is not closed");
				r = -EINVAL;
				break;
			}
			for (s++; s < end; s++)
				zo_strbuf_appendf(&word, "%c", *s);
			if (!word.buf)
				zo_strbuf_append(&word, "");
			s++;
		} else if (c == '"') {
			for (s++; *s && *s != '"'; s++) {
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				zo_strbuf_appendf(&word, "%c", *s);
			}
			if (!*s) {
				*ret_error = strdup("a \" is not closed");
				r = -EINVAL;
				break;
			}
			if (!word.buf)
				zo_strbuf_append(&word, "");
			s++;
		} else if (c == '\\') {
			if (!s[1]) {
				*ret_error = strdup("a \\ ends the arguments");
				r = -EINVAL;
				break;
			}
			zo_strbuf_appendf(&word, "%c", s[1]);
			s += 2;
		} else {
			zo_strbuf_appendf(&word, "%c", c);
			s++;
		}
	}
	zo_strbuf_release(&word);
	if (r < 0) {
		zo_strv_free(v);
		return r;
	}
	if (!v) {
		v = calloc(1, sizeof(char *));
		if (!v)
			return -ENOMEM;
	}
	*ret = v;
	return 0;
}

int zo_duration_parse(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		mul = 1;
	else if (!strcmp(end, "m"))
		mul = 60;
	else if (!strcmp(end, "h"))
		mul = 3600;
	else if (!strcmp(end, "d"))
		mul = 86400;
	else
		return -EINVAL;
	if (v > UINT64_MAX / mul)
		return -ERANGE;
	*ret = v * mul;
	return 0;
}

void zo_job_runs_free(struct zo_job_run *runs, size_t n)
{
	size_t i;

	for (i = 0; runs && i < n; i++) {
		free(runs[i].name);
		free(runs[i].experiment);
		zo_strv_free(runs[i].argv);
	}
	free(runs);
}

static const char *get(const struct zo_ini *ini, const char *section, const char *key)
{
	const struct zo_ini_entry *e = zo_ini_find(ini, section, key);

	return e ? e->value : NULL;
}

/* Letters, digits, '_', '.' and '-', 1 to 100 of them: what may go into
 * a run's name, and so into its results directory's name. */
static bool good_chars(const char *s)
{
	if (!*s || strlen(s) > 100)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

/* A name also starts a file name: not hidden, never "." or "..". */
static bool good_name(const char *s)
{
	return good_chars(s) && s[0] != '.';
}

#define NAME_RULE "use letters, digits, '_', '.' and '-' (at most 100)"

/* [matrix] keys and values become part of every run's name: held to the
 * same rule as name= (issue 16: a value such as /../../tmp/x put results
 * outside the results directory). */
static int check_matrix_entry(const struct zo_ini_entry *en, char *const *values,
			      char **ret_error)
{
	size_t i;

	if (!good_chars(en->key)) {
		*ret_error = zo_asprintf("line %u: [matrix] key '%s': " NAME_RULE, en->line,
					 en->key);
		return -EINVAL;
	}
	for (i = 0; values[i]; i++)
		if (!good_chars(values[i])) {
			*ret_error = zo_asprintf("line %u: [matrix] %s = %s: " NAME_RULE, en->line,
						 en->key, values[i]);
			return -EINVAL;
		}
	return 0;
}

/* Replace every {key} in `arg` with the matrix values. */
static char *substitute(const char *arg, const char *const *keys, char *const *values, size_t nk,
			char **ret_error)
{
	struct zo_strbuf sb = { 0 };
	const char *p = arg;

	while (*p) {
		const char *close;
		size_t i, len;

		if (*p != '{' || !(close = strchr(p, '}'))) {
			zo_strbuf_appendf(&sb, "%c", *p++);
			continue;
		}
		len = (size_t)(close - p - 1);
		for (i = 0; i < nk; i++)
			if (strlen(keys[i]) == len && !strncmp(keys[i], p + 1, len))
				break;
		if (i == nk) {
			*ret_error = zo_asprintf("{%.*s} in args is not a [matrix] key", (int)len, p + 1);
			zo_strbuf_release(&sb);
			return NULL;
		}
		zo_strbuf_append(&sb, values[i]);
		p = close + 1;
	}
	if (!sb.buf)
		zo_strbuf_append(&sb, "");
	return zo_strbuf_steal(&sb);
}

int zo_job_expand(const struct zo_ini *ini, const char *default_name,
		  struct zo_job_run **ret, size_t *ret_n, char **ret_error)
{
	const char *experiment = get(ini, "job", "experiment");
	const struct zo_ini_entry *args_entry = zo_ini_find(ini, "job", "args");
	const char *args = args_entry ? args_entry->raw : NULL;
	const char *name = get(ini, "job", "name");
	const char *repeat_s = get(ini, "job", "repeat");
	const char *timeout_s = get(ini, "job", "timeout");
	const struct zo_experiment *e;
	const char *keys[MAX_MATRIX_KEYS];
	char **values[MAX_MATRIX_KEYS];
	size_t counts[MAX_MATRIX_KEYS], idx[MAX_MATRIX_KEYS];
	size_t nk = 0, total = 1, i, k, n = 0;
	char **words = NULL;
	struct zo_job_run *runs = NULL;
	long long repeat = 1;
	uint64_t timeout = 0;
	int r = -EINVAL;

	*ret_error = NULL;
	memset(values, 0, sizeof(values));
	for (i = 0; i < ini->n_sections; i++)
		if (strcmp(ini->sections[i].name, "job") && strcmp(ini->sections[i].name, "matrix")) {
			*ret_error = zo_asprintf("line %u: unknown section [%s]; a job has [job] and "
						 "[matrix]", ini->sections[i].line, ini->sections[i].name);
			return -EINVAL;
		}
	for (i = 0; i < ini->n_entries; i++) {
		const struct zo_ini_entry *en = &ini->entries[i];

		if (!strcmp(en->section, "job") && strcmp(en->key, "experiment") &&
		    strcmp(en->key, "args") && strcmp(en->key, "name") &&
		    strcmp(en->key, "repeat") && strcmp(en->key, "timeout")) {
			*ret_error = zo_asprintf("line %u: unknown key '%s' in [job]", en->line,
						 en->key);
			return -EINVAL;
		}
		if (!*en->section) {
			*ret_error = zo_asprintf("line %u: '%s' is outside [job]", en->line, en->key);
			return -EINVAL;
		}
	}
	if (!experiment || !*experiment) {
		*ret_error = strdup("[job] experiment is missing");
		return -EINVAL;
	}
	e = zo_experiment_find(experiment);
	if (!e) {
		*ret_error = zo_asprintf("[job] experiment = %s: no such experiment (zsim-orch run "
					 "--list)", experiment);
		return -EINVAL;
	}
	if (!name)
		name = default_name;
	if (!good_name(name)) {
		*ret_error = zo_asprintf("name '%s': " NAME_RULE ", not starting with '.'", name);
		return -EINVAL;
	}
	if (repeat_s && zo_int_parse(repeat_s, 1, 1000, &repeat) < 0) {
		*ret_error = zo_asprintf("[job] repeat = %s: use 1 to 1000", repeat_s);
		return -EINVAL;
	}
	r = timeout_s ? zo_duration_parse(timeout_s, &timeout) : 0;
	if (r == -ERANGE || (r == 0 && timeout > ZO_JOB_MAX_TIMEOUT_S)) {
		*ret_error = zo_asprintf("[job] timeout = %s: at most 365d", timeout_s);
		return -EINVAL;
	}
	if (r < 0 || (timeout_s && !timeout)) {
		*ret_error = zo_asprintf("[job] timeout = %s: use a duration such as 90s, 30m, 48h "
					 "or 2d", timeout_s);
		return -EINVAL;
	}
	r = -EINVAL;
	if (args_entry && !args) {
		*ret_error = zo_asprintf("line %u: [job] args is continued over several lines; "
					 "put the arguments on one line",
					 args_entry->line);
		return -EINVAL;
	}
	if (zo_job_split(args ? args : "", &words, ret_error) < 0) {
		char *why = *ret_error;

		*ret_error = zo_asprintf("[job] args: %s (%s)", why ? why : "?", ZO_JOB_QUOTING);
		free(why);
		return -EINVAL;
	}
	for (i = 0; i < ini->n_entries; i++) {
		const struct zo_ini_entry *en = &ini->entries[i];

		if (strcmp(en->section, "matrix"))
			continue;
		if (nk == MAX_MATRIX_KEYS) {
			*ret_error = zo_asprintf("[matrix]: at most %d keys", MAX_MATRIX_KEYS);
			goto out;
		}
		r = zo_strv_split(en->value, ',', &values[nk]);
		if (r < 0 || !values[nk][0]) {
			zo_strv_free(values[nk]); /* not yet counted in nk */
			*ret_error = zo_asprintf("[matrix] %s: give comma-separated values", en->key);
			r = -EINVAL;
			goto out;
		}
		keys[nk] = en->key;
		counts[nk] = zo_strv_length(values[nk]);
		if (check_matrix_entry(en, values[nk], ret_error) < 0) {
			nk++;
			r = -EINVAL;
			goto out;
		}
		total *= counts[nk];
		nk++;
		r = -EINVAL;
		if (total > ZO_JOB_MAX_RUNS)
			break;
	}
	if (total * (size_t)repeat > ZO_JOB_MAX_RUNS) {
		*ret_error = zo_asprintf("the job expands to more than %d runs", ZO_JOB_MAX_RUNS);
		goto out;
	}
	runs = calloc(total * (size_t)repeat, sizeof(*runs));
	if (!runs) {
		r = -ENOMEM;
		goto out;
	}
	memset(idx, 0, sizeof(idx));
	for (i = 0; i < total; i++) {
		char *vals[MAX_MATRIX_KEYS];
		struct zo_strbuf suffix = { 0 };
		struct zo_exp_args parsed;
		char **argv = calloc(zo_strv_length(words) + 1, sizeof(char *));
		char *why = NULL;
		long long rep;

		if (!argv) {
			r = -ENOMEM;
			goto out;
		}
		for (k = 0; k < nk; k++) {
			vals[k] = values[k][idx[k]];
			zo_strbuf_appendf(&suffix, "-%s%s", keys[k], vals[k]);
		}
		/* "-rN" and the results directory's "-ID" still fit in a
		 * file name */
		if (strlen(name) + suffix.len > ZO_JOB_MAX_NAME) {
			*ret_error = zo_asprintf("the run name '%s%.40s...' is longer than %d "
						 "characters; use shorter [matrix] keys and values, "
						 "or a shorter name=",
						 name, suffix.buf ? suffix.buf : "", ZO_JOB_MAX_NAME);
			free(argv);
			zo_strbuf_release(&suffix);
			goto out;
		}
		for (k = 0; words[k]; k++) {
			argv[k] = substitute(words[k], keys, vals, nk, ret_error);
			if (!argv[k]) {
				zo_strv_free(argv);
				zo_strbuf_release(&suffix);
				goto out;
			}
		}
		if (zo_exp_parse(e, (int)k, argv, &parsed, &why) < 0) {
			*ret_error = zo_asprintf("%s%s%s: %s", experiment, suffix.buf ? " with " : "",
						 suffix.buf ? suffix.buf + 1 : "", why ? why : "?");
			free(why);
			zo_strv_free(argv);
			zo_strbuf_release(&suffix);
			goto out;
		}
		zo_exp_args_release(&parsed);
		for (rep = 0; rep < repeat; rep++) {
			struct zo_job_run *run = &runs[n++];

			run->experiment = strdup(experiment);
			run->name = repeat > 1 ? zo_asprintf("%s%s-r%lld", name,
							     suffix.buf ? suffix.buf : "", rep + 1)
					       : zo_asprintf("%s%s", name, suffix.buf ? suffix.buf : "");
			run->argv = calloc(k + 1, sizeof(char *));
			run->timeout_s = timeout;
			run->repeat = (unsigned)rep + 1;
			if (!run->experiment || !run->name || !run->argv) {
				zo_strv_free(argv);
				zo_strbuf_release(&suffix);
				r = -ENOMEM;
				goto out;
			}
			for (k = 0; argv[k]; k++)
				run->argv[k] = strdup(argv[k]);
		}
		zo_strv_free(argv);
		zo_strbuf_release(&suffix);
		/* next combination, the last key varying fastest */
		for (k = nk; k-- > 0;) {
			if (++idx[k] < counts[k])
				break;
			idx[k] = 0;
		}
	}
	*ret = runs;
	*ret_n = n;
	runs = NULL;
	r = 0;
out:
	zo_job_runs_free(runs, n);
	zo_strv_free(words);
	for (k = 0; k < nk; k++)
		zo_strv_free(values[k]);
	if (r == -EINVAL && !*ret_error)
		*ret_error = strdup("invalid job");
	return r;
}
