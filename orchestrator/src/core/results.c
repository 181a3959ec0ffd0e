#include "core/results.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/macros.h"
#include "util/str.h"

#include "util/banned.h"

/* ---- sets ---------------------------------------------------------- */

void zo_rkvs_release(struct zo_rkvs *kv)
{
	size_t i;

	for (i = 0; i < kv->n; i++) {
		free(kv->v[i].key);
		free(kv->v[i].value);
	}
	free(kv->v);
	kv->v = NULL;
	kv->n = 0;
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct zo_rkv *)a)->key, ((const struct zo_rkv *)b)->key);
}

const char *zo_rkvs_get(const struct zo_rkvs *kv, const char *key)
{
	struct zo_rkv probe = { (char *)key, NULL };
	const struct zo_rkv *hit;

	if (!kv->n)
		return NULL;
	hit = bsearch(&probe, kv->v, kv->n, sizeof(*kv->v), kv_cmp);
	return hit ? hit->value : NULL;
}

/* Takes both strings. */
static int kvs_add(struct zo_rkvs *kv, char *key, char *value)
{
	struct zo_rkv *v;

	if (!key || !value)
		goto nomem;
	/* grows in powers of two */
	if ((kv->n & (kv->n - 1)) == 0) {
		v = realloc(kv->v, (kv->n ? kv->n * 2 : 8) * sizeof(*v));
		if (!v)
			goto nomem;
		kv->v = v;
	}
	kv->v[kv->n].key = key;
	kv->v[kv->n].value = value;
	kv->n++;
	return 0;
nomem:
	free(key);
	free(value);
	return -ENOMEM;
}

void zo_rset_release(struct zo_rset *s)
{
	free(s->dir);
	free(s->base);
	free(s->broken);
	free(s->experiment);
	free(s->timestamp);
	zo_rkvs_release(&s->settings);
	zo_rkvs_release(&s->facts);
	free(s->failed_phase);
	free(s->failed_error);
	free(s->slurm_job);
	free(s->slurm_task);
	free(s->slurm_restart);
	memset(s, 0, sizeof(*s));
}

int zo_rset_break(struct zo_rset *s, const char *fmt, ...)
{
	struct zo_strbuf sb = { 0 };
	va_list ap;

	if (s->broken)
		return -EINVAL;
	va_start(ap, fmt);
	zo_strbuf_vappendf(&sb, fmt, ap);
	va_end(ap);
	s->broken = sb.buf ? zo_strbuf_steal(&sb) : strdup("?");
	return -EINVAL;
}

/* ---- .params --------------------------------------------------------- */

/* A JSON value as text: strings as they are, all else as compact JSON;
 * an array of strings joined by spaces (an argv). */
static char *value_text(json_object *v)
{
	struct zo_strbuf sb = { 0 };
	size_t i, n;

	if (json_object_is_type(v, json_type_string))
		return strdup(json_object_get_string(v));
	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(v, i);

			if (!json_object_is_type(e, json_type_string))
				break;
			zo_strbuf_appendf(&sb, "%s%s", i ? " " : "", json_object_get_string(e));
		}
		if (i == n)
			return sb.buf ? zo_strbuf_steal(&sb) : strdup("");
		zo_strbuf_release(&sb);
	}
	return strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
}

static int flatten(struct zo_rkvs *kv, const char *prefix, json_object *o)
{
	int r = 0;

	json_object_object_foreach(o, key, val)
	{
		char *name = prefix ? zo_asprintf("%s.%s", prefix, key) : strdup(key);

		if (val && json_object_is_type(val, json_type_object)) {
			r = name ? flatten(kv, name, val) : -ENOMEM;
			free(name);
		} else {
			r = kvs_add(kv, name, value_text(val));
		}
		if (r < 0)
			return r;
	}
	return r;
}

static void kvs_sort(struct zo_rkvs *kv)
{
	if (kv->n > 1)
		qsort(kv->v, kv->n, sizeof(*kv->v), kv_cmp);
}

static bool parse_ull(const char *s, unsigned long long *ret)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*ret = strtoull(s, &end, 10);
	return !errno && !*end;
}

/* A number recorded as a JSON number or as a string of digits. */
static unsigned long long json_ull(json_object *o, const char *key)
{
	unsigned long long v = 0;
	json_object *m;

	if (!json_object_object_get_ex(o, key, &m) || !m)
		return 0;
	if (json_object_is_type(m, json_type_int) || json_object_is_type(m, json_type_double))
		return json_object_get_double(m) > 0 ? (unsigned long long)json_object_get_double(m)
						       : 0;
	if (json_object_is_type(m, json_type_string) && parse_ull(json_object_get_string(m), &v))
		return v;
	return 0;
}

/* A Slurm run directory: <name>-<jobid>_<task>-r<restart>. */
static void slurm_from_dir(struct zo_rset *s)
{
	const char *name = strrchr(s->dir, '/') ? strrchr(s->dir, '/') + 1 : s->dir;
	const char *r = strrchr(name, '-'), *us, *dash;

	if (!r || r[1] != 'r' || !r[2] || strspn(r + 2, "0123456789") != strlen(r + 2))
		return;
	for (us = r - 1; us > name && *us >= '0' && *us <= '9'; us--)
		;
	if (us == r - 1 || *us != '_')
		return;
	for (dash = us - 1; dash > name && *dash >= '0' && *dash <= '9'; dash--)
		;
	if (dash == us - 1 || *dash != '-')
		return;
	s->slurm_job = zo_asprintf("%.*s", (int)(us - dash - 1), dash + 1);
	s->slurm_task = zo_asprintf("%.*s", (int)(r - us - 1), us + 1);
	s->slurm_restart = strdup(r + 2);
}

static char *first_str(json_object *o, const char *const *keys)
{
	json_object *m;

	for (; *keys; keys++)
		if (json_object_object_get_ex(o, *keys, &m) && m)
			return value_text(m);
	return NULL;
}

static void slurm_identity(struct zo_rset *s, json_object *p)
{
	static const char *const job[] = { "array_job_id", "job_id", "job", NULL };
	static const char *const task[] = { "array_task_id", "task_id", "task", NULL };
	static const char *const restart[] = { "restart_count", "restart", NULL };
	json_object *sl;

	if (json_object_object_get_ex(p, "slurm", &sl) && sl &&
	    json_object_is_type(sl, json_type_object)) {
		s->slurm_job = first_str(sl, job);
		s->slurm_task = first_str(sl, task);
		s->slurm_restart = first_str(sl, restart);
	}
	if (!s->slurm_job && s->dir)
		slurm_from_dir(s);
}

/* The old runner's .params: a flat map whose values are JSON texts
 * ("\"bmk\"", "4096"). */
static bool is_runner_common(const char *key)
{
	static const char *const common[] = { "username", "host", "local_git_hash",
					      "remote_git_hash", "remote_research_settings" };
	size_t i;

	for (i = 0; i < ZO_ARRAY_SIZE(common); i++)
		if (!strcmp(key, common[i]))
			return true;
	return false;
}

static int parse_runner_params(struct zo_rset *s, json_object *p, bool all)
{
	unsigned long long exp;
	int r = 0;

	json_object_object_foreach(p, key, val)
	{
		const char *raw = val ? json_object_get_string(val) : NULL;
		json_object *dec = raw ? json_tokener_parse(raw) : NULL;
		char *text = dec && !json_object_is_type(dec, json_type_object) &&
					     !json_object_is_type(dec, json_type_array)
				     ? value_text(dec)
				     : strdup(raw ? raw : "null");

		if (!strcmp(key, "exp") && parse_ull(text, &exp))
			s->experiment = zo_asprintf("exp%05llu", exp);
		if (is_runner_common(key))
			r = all ? kvs_add(&s->facts, strdup(key), text) : (free(text), 0);
		else
			r = kvs_add(&s->settings, strdup(key), text);
		if (dec)
			json_object_put(dec);
		if (r < 0)
			return r;
	}
	if (!s->experiment)
		s->experiment = strdup("?");
	return s->experiment ? 0 : -ENOMEM;
}

static bool is_structural(const char *key)
{
	return !strcmp(key, "settings") || !strcmp(key, "experiment") ||
	       !strcmp(key, "timestamp");
}

static int parse_zsim_params(struct zo_rset *s, json_object *p, json_object *settings, bool all)
{
	const char *ts = zo_json_get_str(p, "timestamp");
	int r;

	s->experiment = strdup(zo_json_get_str(p, "experiment") ? zo_json_get_str(p, "experiment")
								 : "?");
	if (!s->experiment)
		return -ENOMEM;
	if (ts) {
		s->timestamp = strdup(ts);
		if (!s->timestamp)
			return -ENOMEM;
		zo_rtime_parse(ts, &s->time);
	}
	r = flatten(&s->settings, NULL, settings);
	if (r < 0 || !all)
		return r;
	json_object_object_foreach(p, key, val)
	{
		if (is_structural(key))
			continue;
		if (val && json_object_is_type(val, json_type_object))
			r = flatten(&s->facts, key, val);
		else
			r = kvs_add(&s->facts, strdup(key), value_text(val));
		if (r < 0)
			return r;
	}
	return 0;
}

/* The runner's workload and app (zsim writes them beside its settings),
 * then zsim's own workload. */
static const struct zo_rformat *format_of(const struct zo_rset *s, json_object *p)
{
	const char *names[5] = { NULL };
	size_t n = 0;

	if (zo_json_get_str(p, "app"))
		names[n++] = zo_json_get_str(p, "app");
	if (zo_rkvs_get(&s->settings, "app"))
		names[n++] = zo_rkvs_get(&s->settings, "app");
	if (zo_json_get_str(p, "workload"))
		names[n++] = zo_json_get_str(p, "workload");
	if (zo_rkvs_get(&s->settings, "workload"))
		names[n++] = zo_rkvs_get(&s->settings, "workload");
	return zo_rformat_for(s->experiment, names);
}

int zo_rset_parse_params(struct zo_rset *s, const char *text, bool all)
{
	json_object *p = json_tokener_parse(text), *settings = NULL, *khz;
	int r;

	if (!p || !json_object_is_type(p, json_type_object)) {
		if (p)
			json_object_put(p);
		return zo_rset_break(s, "%s.params is not JSON (not a zsim or runner .params)",
				     s->base);
	}
	if (json_object_object_get_ex(p, "settings", &settings) && settings &&
	    json_object_is_type(settings, json_type_object))
		r = parse_zsim_params(s, p, settings, all);
	else
		r = parse_runner_params(s, p, all);
	if (r == 0) {
		kvs_sort(&s->settings);
		kvs_sort(&s->facts);
		if (json_object_object_get_ex(p, "tsc_khz", &khz) && khz &&
		    (json_object_is_type(khz, json_type_int) ||
		     json_object_is_type(khz, json_type_double)))
			s->tsc_khz = json_object_get_double(khz);
		s->pages = json_ull(p, "pages_touched");
		s->pages_per_record = json_ull(p, "pages_per_record");
		slurm_identity(s, p);
		s->fmt = format_of(s, p);
	}
	json_object_put(p);
	return r;
}

int zo_rset_parse_err(struct zo_rset *s, const char *text)
{
	const char *phase = strstr(text, "phase: "), *err = strstr(text, "error: ");

	s->failed = true;
	if (phase == text || (phase && phase[-1] == '\n'))
		s->failed_phase = zo_asprintf("%.*s", (int)strcspn(phase + 7, "\n"), phase + 7);
	if (err == text || (err && err[-1] == '\n'))
		s->failed_error = zo_asprintf("%.*s", (int)strcspn(err + 7, "\n"), err + 7);
	else
		s->failed_error = zo_asprintf("%.*s", (int)strcspn(text, "\n"), text);
	return s->failed_error ? 0 : -ENOMEM;
}

/* ---- time ------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

int zo_rtime_parse(const char *text, long long *ret)
{
	int y, mo, d, h, mi, sec, n = 0, zh = 0, zm = 0;
	long long t;
	const char *z;
	int sign = 1;

	if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
	    n != 19 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	z = text + 19;
	if (*z == '+' || *z == '-') {
		sign = *z == '-' ? -1 : 1;
		if (sscanf(z + 1, "%2d", &zh) != 1 || sscanf(z + (z[3] == ':' ? 4 : 3), "%2d", &zm) != 1)
			return -EINVAL;
	} else if (*z && strcmp(z, "Z")) {
		return -EINVAL;
	}
	t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec;
	*ret = t - sign * (zh * 3600 + zm * 60);
	return 0;
}

/* ---- .time ------------------------------------------------------------ */

void zo_rtimings_free(struct zo_rtiming *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(t[i].name);
	free(t);
}

/* "2.000 s", "93.514234151s", "850.3ms", "1.2µs", "17ns", "1m 3s" is not
 * a form either writer uses. */
static bool parse_duration(const char *v, double *ret)
{
	static const struct {
		const char *unit;
		double scale;
	} units[] = { { "s", 1 }, { "ms", 1e-3 }, { "us", 1e-6 }, { "\xc2\xb5s", 1e-6 },
		      { "ns", 1e-9 } };
	char *end;
	double x;
	size_t i;

	errno = 0;
	x = strtod(v, &end);
	if (end == v || errno)
		return false;
	while (*end == ' ')
		end++;
	for (i = 0; i < ZO_ARRAY_SIZE(units); i++)
		if (!strcmp(end, units[i].unit)) {
			*ret = x * units[i].scale;
			return true;
		}
	return false;
}

int zo_rtimings_parse(const char *text, struct zo_rtiming **ret, size_t *ret_n)
{
	struct zo_rtiming *t = NULL, *nt;
	size_t n = 0;
	const char *line, *end;

	for (line = text; *line; line = *end ? end + 1 : end) {
		_cleanup_free_ char *l = NULL;
		char *colon;
		double secs;

		end = line + strcspn(line, "\n");
		l = zo_asprintf("%.*s", (int)(end - line), line);
		if (!l)
			goto nomem;
		colon = strstr(l, ": ");
		if (!colon)
			continue;
		*colon = '\0';
		if (!parse_duration(zo_strstrip(colon + 2), &secs))
			continue;
		nt = realloc(t, (n + 1) * sizeof(*t));
		if (!nt)
			goto nomem;
		t = nt;
		t[n].name = strdup(l);
		t[n].seconds = secs;
		if (!t[n++].name)
			goto nomem;
	}
	*ret = t;
	*ret_n = n;
	return 0;
nomem:
	zo_rtimings_free(t, n);
	return -ENOMEM;
}

/* ---- sets side by side ----------------------------------------------- */

/* Whether two sets' values of `key` differ: only sets of one experiment
 * are compared, another experiment's settings are not a difference. */
static bool differs(const struct zo_rset *a, const struct zo_rset *b, const char *key)
{
	const char *x, *y;

	if (a->broken || b->broken || !a->experiment || !b->experiment ||
	    strcmp(a->experiment, b->experiment))
		return false;
	x = zo_rkvs_get(&a->settings, key);
	y = zo_rkvs_get(&b->settings, key);
	return !x != !y || (x && strcmp(x, y));
}

static bool varies(const struct zo_rset *const *sets, size_t n, const char *key)
{
	size_t i, j;

	/* against the first set of each other one's experiment */
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (!sets[j]->broken && sets[j]->experiment && sets[i]->experiment &&
			    !strcmp(sets[j]->experiment, sets[i]->experiment)) {
				if (differs(sets[j], sets[i], key))
					return true;
				break;
			}
	return false;
}

int zo_rsets_varying(const struct zo_rset *const *sets, size_t n, char ***ret)
{
	struct zo_rkvs all = { NULL, 0 };
	char **keys = NULL;
	size_t nkeys = 0, i, j;
	int r = 0;

	/* every key once, then each tested once: linear in the sets */
	for (i = 0; i < n && r == 0; i++)
		for (j = 0; !sets[i]->broken && j < sets[i]->settings.n && r == 0; j++)
			r = kvs_add(&all, strdup(sets[i]->settings.v[j].key), strdup(""));
	kvs_sort(&all);
	keys = r == 0 ? calloc(all.n + 1, sizeof(*keys)) : NULL;
	for (i = 0; keys && i < all.n; i++) {
		if ((i && !strcmp(all.v[i].key, all.v[i - 1].key)) || !varies(sets, n, all.v[i].key))
			continue;
		keys[nkeys] = strdup(all.v[i].key);
		if (!keys[nkeys++])
			break;
	}
	r = !keys || i < all.n ? -ENOMEM : 0;
	zo_rkvs_release(&all);
	if (r < 0) {
		zo_strv_free(keys);
		return r;
	}
	*ret = keys;
	return (int)nkeys;
}

char *zo_rset_describe(const struct zo_rset *s, char *const *keys)
{
	struct zo_strbuf sb = { 0 };
	size_t i;

	for (i = 0; keys && keys[i]; i++) {
		const char *v = zo_rkvs_get(&s->settings, keys[i]);

		if (v)
			zo_strbuf_appendf(&sb, "%s%s=%s", sb.len ? " " : "", keys[i], v);
	}
	return sb.buf ? zo_strbuf_steal(&sb) : strdup("");
}

bool zo_rset_matches(const struct zo_rset *s, const char *exp, long long since,
		     char *const *where)
{
	size_t i;

	if (exp && (!s->experiment || strcmp(s->experiment, exp)))
		return false;
	if (since && s->time < since)
		return false;
	for (i = 0; where && where[i]; i++) {
		size_t klen = strcspn(where[i], "=");
		_cleanup_free_ char *key = zo_asprintf("%.*s", (int)klen, where[i]);
		const char *v = key ? zo_rkvs_get(&s->settings, key) : NULL;

		if (!v && key)
			v = zo_rkvs_get(&s->facts, key);
		if (!v || !where[i][klen] || strcmp(v, where[i] + klen + 1))
			return false;
	}
	return true;
}

int zo_rkvs_diff(const struct zo_rkvs *a, const struct zo_rkvs *b, struct zo_rdiff **ret,
		 size_t *ret_n)
{
	struct zo_rdiff *d = calloc(a->n + b->n + 1, sizeof(*d));
	size_t i = 0, j = 0, n = 0;

	if (!d)
		return -ENOMEM;
	while (i < a->n || j < b->n) {
		int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i].key, b->v[j].key);

		d[n].key = c <= 0 ? a->v[i].key : b->v[j].key;
		d[n].a = c <= 0 ? a->v[i++].value : NULL;
		d[n].b = c >= 0 ? b->v[j++].value : NULL;
		d[n].differs = !d[n].a || !d[n].b || strcmp(d[n].a, d[n].b);
		n++;
	}
	*ret = d;
	*ret_n = n;
	return 0;
}

bool zo_rsets_comparable(const struct zo_rset *a, const struct zo_rset *b)
{
	if (a->fmt || b->fmt)
		return a->fmt && b->fmt && a->fmt->heads == b->fmt->heads;
	return a->experiment && b->experiment && !strcmp(a->experiment, b->experiment) &&
	       strcmp(a->experiment, "?");
}

char *zo_rset_notes(const struct zo_rset *s)
{
	struct zo_strbuf sb = { 0 };
	size_t i, len;

	for (i = 0; i < s->facts.n; i++) {
		const struct zo_rkv *f = &s->facts.v[i];

		len = strlen(f->key);
		/* what was in force, not what it was before the run */
		if (!strstr(f->key, "governor") || (len > 7 && !strcmp(f->key + len - 7, ".before")))
			continue;
		if (strcmp(f->value, "performance") && strcmp(f->value, "null"))
			zo_strbuf_appendf(&sb, "%s was %s, not performance: timings are not "
					       "comparable\n",
					  f->key, f->value);
	}
	return sb.buf ? zo_strbuf_steal(&sb) : NULL;
}

/* ---- text ------------------------------------------------------------ */

/* 1234567.8 -> "1,234,568" */
static void thousands(double v, char *buf, size_t len)
{
	char digits[32];
	size_t n, i, o = 0;

	snprintf(digits, sizeof(digits), "%.0f", v);
	n = strlen(digits);
	for (i = 0; i < n && o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0 && digits[0] != '-')
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

void zo_rhead_format(const struct zo_rhead_def *d, bool have, double v, char *buf, size_t len)
{
	char num[48];

	if (!have) {
		snprintf(buf, len, "-");
	} else if (!strcmp(d->unit, "ns")) {
		if (v >= 1e6)
			snprintf(buf, len, "%.3g ms", v / 1e6);
		else if (v >= 1e3)
			snprintf(buf, len, "%.3g us", v / 1e3);
		else
			snprintf(buf, len, "%.3g ns", v);
	} else if (!strcmp(d->unit, "%")) {
		snprintf(buf, len, "%.1f %%", v);
	} else if (!strcmp(d->unit, "GiB") || !strcmp(d->unit, "x")) {
		snprintf(buf, len, "%.3g %s", v, d->unit);
	} else {
		thousands(v, num, sizeof(num));
		snprintf(buf, len, "%s %s", num, d->unit);
	}
}

char *zo_rset_status(const struct zo_rset *s)
{
	if (s->broken)
		return zo_asprintf("broken: %s", s->broken);
	if (s->failed)
		return zo_asprintf("failed (%s)", s->failed_phase ? s->failed_phase : "?");
	return strdup("ok");
}

/* ---- CSV ------------------------------------------------------------- */

int zo_csv_field(struct zo_strbuf *sb, const char *field)
{
	const char *p;
	int r;

	if (!field)
		field = "";
	if (!field[strcspn(field, ",\"\r\n")])
		return zo_strbuf_append(sb, field);
	r = zo_strbuf_append(sb, "\"");
	for (p = field; *p && r == 0; p++)
		r = *p == '"' ? zo_strbuf_append(sb, "\"\"") : zo_strbuf_appendf(sb, "%c", *p);
	return r ? r : zo_strbuf_append(sb, "\"");
}

/* The formats of the sets, each once, in the order first seen; formats
 * with the same headline figures (memcached, redis) once: they share
 * their columns. */
static size_t formats_of(const struct zo_rset *const *sets, size_t n,
			 const struct zo_rformat **ret, size_t max)
{
	size_t i, j, k = 0;

	for (i = 0; i < n; i++) {
		if (!sets[i]->fmt)
			continue;
		for (j = 0; j < k && ret[j]->heads != sets[i]->fmt->heads; j++)
			;
		if (j == k && k < max)
			ret[k++] = sets[i]->fmt;
	}
	return k;
}

static void csv_row(struct zo_strbuf *out, const char *const *fields, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i)
			zo_strbuf_append(out, ",");
		zo_csv_field(out, fields[i]);
	}
	zo_strbuf_append(out, "\r\n");
}

static void csv_set(struct zo_strbuf *out, const struct zo_rset *s, char *const *keys,
		    size_t nkeys, const struct zo_rformat *const *fmts, size_t nf)
{
	const char **f = calloc(nkeys + nf * ZO_RES_MAX_HEADS + 12, sizeof(*f));
	char (*heads)[32] = calloc(nf * ZO_RES_MAX_HEADS + 1, sizeof(*heads));
	_cleanup_free_ char *path = zo_asprintf("%s/%s", s->dir, s->base);
	size_t i, j, k = 0, h = 0;

	if (!f || !heads) {
		free(f);
		free(heads);
		zo_strbuf_release(out);
		return;
	}
	f[k++] = s->timestamp;
	f[k++] = s->experiment;
	f[k++] = s->broken ? "broken" : s->failed ? "failed" : "ok";
	f[k++] = s->failed_phase;
	f[k++] = s->broken ? s->broken : s->failed_error;
	for (i = 0; i < nkeys; i++)
		f[k++] = zo_rkvs_get(&s->settings, keys[i]);
	for (i = 0; i < nf; i++)
		for (j = 0; j < fmts[i]->n_heads; j++, h++) {
			if (s->fmt && s->fmt->heads == fmts[i]->heads && s->have_head[j])
				snprintf(heads[h], sizeof(heads[h]), "%.10g", s->head[j]);
			f[k++] = heads[h];
		}
	f[k++] = s->slurm_job;
	f[k++] = s->slurm_task;
	f[k++] = s->slurm_restart;
	f[k++] = path;
	csv_row(out, f, k);
	free(f);
	free(heads);
}

int zo_rcsv(const struct zo_rset *const *sets, size_t n, struct zo_strbuf *out)
{
	const struct zo_rformat *fmts[16];
	const char **hdr;
	char **keys = NULL;
	size_t nf = formats_of(sets, n, fmts, ZO_ARRAY_SIZE(fmts)), i, j, k = 0;
	int nkeys = zo_rsets_varying(sets, n, &keys);

	if (nkeys < 0)
		return nkeys;
	hdr = calloc((size_t)nkeys + nf * ZO_RES_MAX_HEADS + 12, sizeof(*hdr));
	if (!hdr) {
		zo_strv_free(keys);
		return -ENOMEM;
	}
	hdr[k++] = "time";
	hdr[k++] = "experiment";
	hdr[k++] = "status";
	hdr[k++] = "failed_phase";
	hdr[k++] = "error";
	for (i = 0; i < (size_t)nkeys; i++)
		hdr[k++] = keys[i];
	for (i = 0; i < nf; i++)
		for (j = 0; j < fmts[i]->n_heads; j++)
			hdr[k++] = fmts[i]->heads[j].key;
	hdr[k++] = "slurm_job";
	hdr[k++] = "slurm_task";
	hdr[k++] = "slurm_restart";
	hdr[k++] = "path";
	csv_row(out, hdr, k);
	for (i = 0; i < n; i++)
		csv_set(out, sets[i], keys, (size_t)nkeys, fmts, nf);
	free(hdr);
	zo_strv_free(keys);
	return out->buf ? 0 : -ENOMEM;
}

/* ---- JSON ------------------------------------------------------------ */

static json_object *kvs_json(const struct zo_rkvs *kv)
{
	json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < kv->n; i++)
		zo_json_add_str(o, kv->v[i].key, kv->v[i].value);
	return o;
}

json_object *zo_rset_json(const struct zo_rset *s, bool all, const struct zo_rtiming *t,
			  size_t nt)
{
	json_object *o = json_object_new_object(), *h;
	_cleanup_free_ char *path = zo_asprintf("%s/%s", s->dir, s->base);
	size_t i;

	zo_json_add_str(o, "path", path);
	zo_json_add_str(o, "time", s->timestamp);
	zo_json_add_str(o, "experiment", s->experiment);
	zo_json_add_str(o, "status", s->broken ? "broken" : s->failed ? "failed" : "ok");
	zo_json_add_str(o, "failed_phase", s->failed_phase);
	zo_json_add_str(o, "error", s->broken ? s->broken : s->failed_error);
	zo_json_add_str(o, "format", s->fmt ? s->fmt->name : NULL);
	h = json_object_new_array();
	for (i = 0; s->fmt && i < zo_rformat_nfiles(s->fmt); i++) {
		_cleanup_free_ char *name = zo_asprintf("%s.%s", s->base, s->fmt->exts[i]);

		json_object_array_add(h, json_object_new_string(name ? name : "?"));
	}
	json_object_object_add(o, "data_files", h);
	json_object_object_add(o, "settings", kvs_json(&s->settings));
	h = json_object_new_object();
	for (i = 0; s->fmt && i < s->fmt->n_heads; i++) {
		if (s->have_head[i])
			json_object_object_add(h, s->fmt->heads[i].key,
					       json_object_new_double(s->head[i]));
		else
			zo_json_add_null(h, s->fmt->heads[i].key);
	}
	json_object_object_add(o, "headline", h);
	if (s->slurm_job) {
		h = json_object_new_object();
		zo_json_add_str(h, "job", s->slurm_job);
		zo_json_add_str(h, "task", s->slurm_task);
		zo_json_add_str(h, "restart", s->slurm_restart);
		json_object_object_add(o, "slurm", h);
	} else {
		zo_json_add_null(o, "slurm");
	}
	if (all)
		json_object_object_add(o, "facts", kvs_json(&s->facts));
	if (t) {
		/* a list: phase names ("target start") are data, not keys */
		h = json_object_new_array();
		for (i = 0; i < nt; i++) {
			json_object *p = json_object_new_object();

			zo_json_add_str(p, "phase", t[i].name);
			json_object_object_add(p, "seconds", json_object_new_double(t[i].seconds));
			json_object_array_add(h, p);
		}
		json_object_object_add(o, "timings", h);
	}
	return o;
}

json_object *zo_rsets_json(const struct zo_rset *const *v, size_t n, char *const *keys,
			   const char *dir)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	size_t i;

	zo_json_add_str(o, "directory", dir);
	for (i = 0; keys[i]; i++)
		json_object_array_add(a, json_object_new_string(keys[i]));
	json_object_object_add(o, "varying", a);
	a = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(a, zo_rset_json(v[i], false, NULL, 0));
	json_object_object_add(o, "sets", a);
	return o;
}

static json_object *differing(const struct zo_rkvs *a, const struct zo_rkvs *b)
{
	json_object *d = json_object_new_array();
	struct zo_rdiff *diff = NULL;
	size_t n = 0, i;

	if (zo_rkvs_diff(a, b, &diff, &n) == 0)
		for (i = 0; i < n; i++)
			if (diff[i].differs)
				json_object_array_add(d, json_object_new_string(diff[i].key));
	free(diff);
	return d;
}

json_object *zo_rcompare_json(const struct zo_rset *s, const struct zo_rtiming *const *t,
			      const size_t *nt)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "a", zo_rset_json(&s[0], true, t[0], nt[0]));
	json_object_object_add(o, "b", zo_rset_json(&s[1], true, t[1], nt[1]));
	json_object_object_add(o, "settings_differ", differing(&s[0].settings, &s[1].settings));
	json_object_object_add(o, "facts_differ", differing(&s[0].facts, &s[1].facts));
	return o;
}

/* ---- gnuplot --------------------------------------------------------- */

/* Okabe-Ito's eight, then four of Tol's: a figure with a curve per
 * buddy order (11) still tells them apart. */
static const char *const colours[] = { "#0072b2", "#d55e00", "#009e73", "#cc79a7",
				       "#e69f00", "#56b4e9", "#000000", "#f0e442",
				       "#882255", "#44aa99", "#999933", "#aa4499" };

const char *zo_rplot_colour(size_t i)
{
	return colours[i % ZO_ARRAY_SIZE(colours)];
}

int zo_rplot_data(const struct zo_rseries *const *series, size_t n, char *const *titles,
		  struct zo_strbuf *out)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		const char *c;

		zo_strbuf_append(out, i ? "\n\n# " : "# ");
		for (c = titles[i]; *c; c++)
			zo_strbuf_appendf(out, "%c", (unsigned char)*c < 0x20 ? '?' : *c);
		zo_strbuf_append(out, "\n");
		for (j = 0; j < series[i]->n; j++)
			zo_strbuf_appendf(out, "%.9g %.9g\n", series[i]->x[j], series[i]->y[j]);
	}
	return out->buf ? 0 : -ENOMEM;
}

static void axis_range(bool logscale, const struct zo_rseries *const *series, size_t n, bool y,
		       double *lo, double *hi)
{
	double mn = INFINITY, mx = -INFINITY;
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < series[i]->n; j++) {
			double x = y ? series[i]->y[j] : series[i]->x[j];

			if (logscale && !(x > 0))
				continue;
			mn = x < mn ? x : mn;
			mx = x > mx ? x : mx;
		}
	if (logscale) {
		if (!(mx > 0)) {
			*lo = 1;
			*hi = 10;
			return;
		}
		*lo = mn / 1.25;
		*hi = mx * 1.25;
		return;
	}
	/* linear axes start at 0: the figures plot sizes and times */
	*lo = 0;
	*hi = mx > 0 ? (y ? mx * 1.05 : mx) : 1;
}

void zo_rplot_ranges(const struct zo_rfigure *f, const struct zo_rseries *const *series, size_t n,
		     double ret[4])
{
	axis_range(f->xlog, series, n, false, &ret[0], &ret[1]);
	axis_range(f->ylog, series, n, true, &ret[2], &ret[3]);
}

/* In single quotes, where gnuplot substitutes nothing; a quote doubled,
 * control characters and backquotes (substituted by old gnuplots)
 * replaced. */
static void gp_quote(struct zo_strbuf *sb, const char *s)
{
	zo_strbuf_append(sb, "'");
	for (; *s; s++) {
		if (*s == '\'')
			zo_strbuf_append(sb, "''");
		else if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '`')
			zo_strbuf_append(sb, "?");
		else
			zo_strbuf_appendf(sb, "%c", *s);
	}
	zo_strbuf_append(sb, "'");
}

/* Labelled tics for a log axis spanning less than four decades (gnuplot
 * labels only powers of ten): 1, 2, 5 times a power of ten, or every
 * digit when that gives fewer than three. */
static void log_tics(struct zo_strbuf *sb, char axis, double lo, double hi)
{
	static const double fine[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, coarse[] = { 1, 2, 5 };
	const double *steps = coarse;
	size_t nsteps = ZO_ARRAY_SIZE(coarse), i, n;
	struct zo_strbuf list = { 0 };
	double p, v;
	int pass;

	if (!(lo > 0) || hi / lo > 1e4)
		return;
	for (pass = 0; pass < 2; pass++) {
		zo_strbuf_release(&list);
		for (p = 1; p > lo; p /= 10)
			;
		for (; p * 10 <= lo; p *= 10)
			;
		for (n = 0; p <= hi; p *= 10)
			for (i = 0; i < nsteps; i++) {
				v = steps[i] * p;
				if (v >= lo && v <= hi)
					zo_strbuf_appendf(&list, "%s%.9g", n++ ? ", " : "", v);
			}
		if (n >= 3)
			break;
		steps = fine;
		nsteps = ZO_ARRAY_SIZE(fine);
	}
	if (list.buf && n >= 2)
		zo_strbuf_appendf(sb, "set %ctics (%s)\n", axis, list.buf);
	zo_strbuf_release(&list);
}

static const char *terminal_line(const char *terminal)
{
	if (!strcmp(terminal, "svg"))
		return "set terminal svg noenhanced size 1000,600";
	if (!strcmp(terminal, "pdf"))
		return "set terminal pdfcairo noenhanced size 10in,6in";
	return "set terminal pngcairo noenhanced size 1000,600";
}

char *zo_rplot_script(const struct zo_rfigure *f, const char *experiment, const char *terminal,
		      const char *out_path, const char *data_path, char *const *titles, size_t n,
		      const double range[4])
{
	struct zo_strbuf sb = { 0 };
	_cleanup_free_ char *title = zo_asprintf("%s (%s)", f->title, experiment);
	size_t i;

	zo_strbuf_appendf(&sb, "# zsim-orch results plot: %s\n%s\nset output ", f->name,
			  terminal_line(terminal));
	gp_quote(&sb, out_path);
	zo_strbuf_append(&sb, "\nset title ");
	gp_quote(&sb, title ? title : f->title);
	zo_strbuf_append(&sb, "\nset xlabel ");
	gp_quote(&sb, f->xlabel);
	zo_strbuf_append(&sb, "\nset ylabel ");
	gp_quote(&sb, f->ylabel);
	/* fixed margins and ranges: the same data lands on the same pixels */
	zo_strbuf_appendf(&sb, "\nset lmargin at screen 0.10\nset rmargin at screen 0.96\n"
			       "set bmargin at screen 0.12\nset tmargin at screen 0.90\n"
			       "set xrange [%.9g:%.9g]\nset yrange [%.9g:%.9g]\n",
			  range[0], range[1], range[2], range[3]);
	if (f->xlog) {
		zo_strbuf_append(&sb, "set logscale x\nset format x '%g'\n");
		log_tics(&sb, 'x', range[0], range[1]);
	}
	if (f->ylog) {
		zo_strbuf_append(&sb, "set logscale y\nset format y '%g'\n");
		log_tics(&sb, 'y', range[2], range[3]);
	}
	zo_strbuf_appendf(&sb, "set grid\nset key %s opaque\nplot ", f->key_pos);
	for (i = 0; i < n; i++) {
		if (i)
			zo_strbuf_append(&sb, ", \\\n     ");
		gp_quote(&sb, data_path);
		zo_strbuf_appendf(&sb, " index %zu using 1:2 with %s lc rgb '%s' title ", i,
				  f->points ? "points pt 7 ps 0.6" : "lines lw 2", zo_rplot_colour(i));
		gp_quote(&sb, titles[i]);
	}
	zo_strbuf_append(&sb, "\n");
	return sb.buf ? zo_strbuf_steal(&sb) : NULL;
}

/* ---- formats --------------------------------------------------------- */

size_t zo_rformat_nfiles(const struct zo_rformat *f)
{
	size_t n = 0;

	while (n < ZO_RES_MAX_FILES && f->exts[n])
		n++;
	return n;
}

static bool is(const char *v, const char *want)
{
	return v && !strcmp(v, want);
}

/* What ran: exp00007's buddyinfo and exp00005's counters whatever the
 * workload; else by the names the run gave its workload. zsim records its
 * own (settings.workload: time_mmap_touch, memcached_gen_data, redis,
 * time_loop, locality_mem_access, memcached) and the runner's beside them
 * (workload, app: bmk + TimeMmapTouch, Memcached, Redis; bare_metal +
 * time_loop ...; exp00009's time_mmap_touch_host_kbuild); the old
 * runner's .params only the latter. Metis (matrixmult) writes no data
 * file; exp00006 and exp00008 write what instrumented kernels print,
 * which results does not read. */
const struct zo_rformat *zo_rformat_for(const char *experiment, const char *const *names)
{
	static const struct {
		const char *name;
		bool prefix;
		const struct zo_rformat *fmt;
	} map[] = {
		{ "time_mmap_touch", true, &zo_rformat_touch },
		{ "TimeMmapTouch", false, &zo_rformat_touch },
		{ "memcached_gen_data", true, &zo_rformat_memcached },
		{ "memcached", false, &zo_rformat_memcached },
		{ "Memcached", false, &zo_rformat_memcached },
		{ "redis", true, &zo_rformat_redis },
		{ "Redis", false, &zo_rformat_redis },
		{ "time_loop", false, &zo_rformat_time_loop },
		{ "locality_mem_access", false, &zo_rformat_locality },
	};
	size_t i, j;

	if (is(experiment, "exp00007"))
		return &zo_rformat_buddyinfo;
	if (is(experiment, "exp00005"))
		return &zo_rformat_vmstat;
	if (is(experiment, "exp00003"))
		return &zo_rformat_compaction;
	if (is(experiment, "exp00004"))
		return &zo_rformat_compaction_bare;
	for (i = 0; names && names[i]; i++)
		for (j = 0; j < ZO_ARRAY_SIZE(map); j++)
			if (map[j].prefix ? zo_startswith(names[i], map[j].name)
					  : !strcmp(names[i], map[j].name))
				return map[j].fmt;
	return NULL;
}
