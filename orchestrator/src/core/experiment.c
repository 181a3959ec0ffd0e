#include "core/experiment.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/units.h"
#include "util/macros.h"
#include "util/str.h"

#include "util/banned.h"

const struct zo_experiment *zo_experiment_find(const char *name)
{
	size_t i;

	for (i = 0; i < zo_n_experiments; i++)
		if (!strcmp(zo_experiments[i]->name, name))
			return zo_experiments[i];
	return NULL;
}

static int param_index(const struct zo_experiment *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->n_params; i++)
		if (!strcmp(e->params[i].name, name))
			return (int)i;
	return -1;
}

/* The option that sets parameter `name`. */
static const char *zo_exp_option_of(const struct zo_experiment *e, const char *name)
{
	int i = param_index(e, name);

	return i < 0 ? name : e->params[i].option ? e->params[i].option : e->params[i].metavar;
}

static int fail(char **ret_error, char *msg)
{
	*ret_error = msg;
	return msg ? -EINVAL : -ENOMEM;
}

static int set_uint(const struct zo_param *p, const char *what, const char *text,
		    char **slot, char **ret_error)
{
	long long v;

	/* zo_int_parse bounds are signed; every bound here fits. */
	if (zo_int_parse(text, (long long)p->min, (long long)p->max, &v) < 0)
		return fail(ret_error, zo_asprintf("%s %s: use a whole number from %llu to %llu",
						   what, text, p->min, p->max));
	free(*slot);
	/* as a number reads, not as typed: "007" and "7" name the same run */
	*slot = zo_asprintf("%lld", v);
	return *slot ? 0 : -ENOMEM;
}

static const struct zo_param_runner *runner_of(const struct zo_experiment *e,
					       const struct zo_param *p)
{
	size_t i;

	for (i = 0; i < e->n_runner; i++)
		if (!strcmp(e->runner[i].name, p->name))
			return &e->runner[i];
	return NULL;
}

static const char *aliases_of(const struct zo_experiment *e, const struct zo_param *p)
{
	const struct zo_param_runner *r = runner_of(e, p);

	return r ? r->aliases : NULL;
}

/* Whether `p` is spelled arg[0..len): its option or one of its aliases. */
static bool spelled_as(const struct zo_experiment *e, const struct zo_param *p, const char *arg,
		       size_t len)
{
	const char *s = aliases_of(e, p);

	if (p->option && strlen(p->option) == len && !strncmp(p->option, arg, len))
		return true;
	while (s && *s) {
		size_t n = strcspn(s, " ");

		if (n == len && !strncmp(s, arg, len))
			return true;
		s += n;
		s += strspn(s, " ");
	}
	return false;
}

static const struct zo_param *find_option(const struct zo_experiment *e, const char *arg,
					  size_t len)
{
	size_t i;

	for (i = 0; i < e->n_params; i++)
		if (spelled_as(e, &e->params[i], arg, len))
			return &e->params[i];
	return NULL;
}

bool zo_exp_takes(const struct zo_experiment *e, const char *arg)
{
	return find_option(e, arg, strlen(arg)) != NULL;
}

/* Option `p`, spelled spelling[0..len): a flag, or a number from `value`
 * (after '=' or attached to a short option) or else the next argument. */
static int set_option(struct zo_exp_args *a, const struct zo_param *p, const char *spelling,
		      size_t len, const char *value, int argc, char *const *argv, int *k,
		      char **ret_error)
{
	size_t i = (size_t)(p - a->exp->params);
	char *sp = strndup(spelling, len);

	if (!sp)
		return -ENOMEM;
	free(a->spelled[i]);
	a->spelled[i] = sp;
	if (p->kind == ZO_PARAM_FLAG) {
		if (value)
			return fail(ret_error, zo_asprintf("%s takes no value", sp));
		free(a->values[i]);
		a->values[i] = strdup("yes");
		return a->values[i] ? 0 : -ENOMEM;
	}
	if (!value) {
		if (*k + 1 >= argc)
			return fail(ret_error, zo_asprintf("%s needs a value (%s)", sp, p->metavar));
		value = argv[++*k];
	}
	return set_uint(p, sp, value, &a->values[i], ret_error);
}

/* One-letter options bundled as the old runner's clap took them: "-wz",
 * "-wps4" (a value option last, its value attached or next). -ENOENT when
 * a letter is no option (nothing is kept then: the parse fails). */
static int set_bundle(struct zo_exp_args *a, const char *arg, int argc, char *const *argv,
		      int *k, char **ret_error)
{
	const char *c;
	int r;

	for (c = arg + 1; *c; c++) {
		char short_opt[3] = { '-', *c, '\0' };
		const struct zo_param *p = find_option(a->exp, short_opt, 2);

		if (!p)
			return -ENOENT;
		if (p->kind == ZO_PARAM_UINT) {
			const char *v = c[1] == '=' ? c + 2 : c[1] ? c + 1 : NULL;

			return set_option(a, p, short_opt, 2, v, argc, argv, k, ret_error);
		}
		r = set_option(a, p, short_opt, 2, NULL, argc, argv, k, ret_error);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_args(struct zo_exp_args *a, int argc, char *const *argv, char **ret_error)
{
	const struct zo_experiment *e = a->exp;
	bool options_done = false;
	size_t next_pos = 0;
	int k, r = 0;

	for (k = 0; k < argc && r == 0; k++) {
		const char *arg = argv[k];
		const struct zo_param *p;

		if (!options_done && !strcmp(arg, "--")) {
			options_done = true;
			continue;
		}
		if (!options_done && arg[0] == '-' && arg[1]) {
			const char *eq = strchr(arg, '=');
			size_t len = eq ? (size_t)(eq - arg) : strlen(arg);

			p = find_option(e, arg, len);
			if (p) {
				r = set_option(a, p, arg, len, eq ? eq + 1 : NULL, argc, argv, &k,
					       ret_error);
				continue;
			}
			r = arg[1] != '-' ? set_bundle(a, arg, argc, argv, &k, ret_error) : -ENOENT;
			if (r == -ENOENT)
				r = fail(ret_error, zo_asprintf("%s: unknown option for %s; see "
								"'zsim-orch run %s --help'",
								arg, e->name, e->name));
			continue;
		}
		/* a runner's subcommand word ("time_loop"): an alias without '-' */
		p = options_done ? NULL : find_option(e, arg, strlen(arg));
		if (p && p->kind == ZO_PARAM_FLAG) {
			r = set_option(a, p, arg, strlen(arg), NULL, argc, argv, &k, ret_error);
			continue;
		}
		/* the next positional parameter */
		for (; next_pos < e->n_params && e->params[next_pos].option; next_pos++)
			;
		if (next_pos >= e->n_params)
			return fail(ret_error, zo_asprintf("unexpected argument '%s'", arg));
		p = &e->params[next_pos];
		r = set_uint(p, p->metavar, arg, &a->values[next_pos], ret_error);
		next_pos++;
	}
	return r;
}

/* The spelling of `q` in the style of `like` (the runner's underscores for
 * a user who wrote them), in buf. */
static const char *spelling_like(const struct zo_experiment *e, const struct zo_param *q,
				 const char *like, char *buf, size_t len)
{
	const char *s = aliases_of(e, q);

	snprintf(buf, len, "%s", q->option);
	if (!strncmp(like, "--", 2) && strchr(like, '_'))
		while (s && *s) {
			size_t n = strcspn(s, " ");

			if (!strncmp(s, "--", 2) && memchr(s, '_', n)) {
				snprintf(buf, len, "%.*s", (int)n, s);
				break;
			}
			s += n;
			s += strspn(s, " ");
		}
	return buf;
}

/* Across parameters: what is required, one flag per group, what needs
 * another. */
static int check_rules(const struct zo_exp_args *a, char **ret_error)
{
	const struct zo_experiment *e = a->exp;
	size_t i, j;

	for (i = 0; i < e->n_params; i++)
		if (e->params[i].required && !a->values[i])
			return fail(ret_error, zo_asprintf("%s is missing; usage: zsim-orch run %s "
							   "%s [OPTIONS]",
							   e->params[i].metavar, e->name,
							   e->params[i].metavar));
	for (i = 0; i < e->n_params; i++) {
		if (!e->params[i].group || !a->values[i])
			continue;
		for (j = i + 1; j < e->n_params; j++)
			if (e->params[j].group && a->values[j] &&
			    !strcmp(e->params[i].group, e->params[j].group))
				return fail(ret_error,
					    zo_asprintf("%s and %s exclude each other; give one %s",
							zo_exp_spelling(a, e->params[i].name),
							zo_exp_spelling(a, e->params[j].name),
							e->params[i].group));
	}
	for (i = 0; i < e->n_params; i++) {
		const struct zo_param_runner *rr = runner_of(e, &e->params[i]);
		int q;

		if (!rr || !rr->requires || !a->values[i])
			continue;
		q = param_index(e, rr->requires);
		if (q >= 0 && !zo_exp_flag(a, e->params[q].name) && !a->values[q]) {
			const char *sp = zo_exp_spelling(a, e->params[i].name);
			char buf[64];

			return fail(ret_error,
				    zo_asprintf("%s needs %s (the old runner's rule)", sp,
						spelling_like(e, &e->params[q], sp, buf, sizeof(buf))));
		}
	}
	return 0;
}

int zo_exp_parse(const struct zo_experiment *e, int argc, char *const *argv,
		 struct zo_exp_args *ret, char **ret_error)
{
	struct zo_exp_args a;
	int r;

	memset(&a, 0, sizeof(a));
	a.exp = e;
	*ret_error = NULL;
	r = parse_args(&a, argc, argv, ret_error);
	if (r == 0)
		r = check_rules(&a, ret_error);
	if (r == 0 && e->check)
		r = e->check(&a, ret_error);
	if (r < 0) {
		zo_exp_args_release(&a);
		return r;
	}
	*ret = a;
	return 0;
}

void zo_exp_args_release(struct zo_exp_args *a)
{
	size_t i;

	for (i = 0; i < ZO_EXP_MAX_PARAMS; i++) {
		free(a->values[i]);
		free(a->spelled[i]);
	}
	memset(a, 0, sizeof(*a));
}

const char *zo_exp_get(const struct zo_exp_args *a, const char *name)
{
	int i = param_index(a->exp, name);
	const struct zo_param *p;
	size_t j;

	if (i < 0)
		return NULL;
	if (a->values[i])
		return a->values[i];
	p = &a->exp->params[i];
	/* a group default holds only when no other member was chosen */
	if (p->group && p->dflt)
		for (j = 0; j < a->exp->n_params; j++)
			if (a->values[j] && a->exp->params[j].group &&
			    !strcmp(a->exp->params[j].group, p->group))
				return p->kind == ZO_PARAM_FLAG ? "no" : NULL;
	if (p->dflt)
		return p->dflt;
	return p->kind == ZO_PARAM_FLAG ? "no" : NULL;
}

unsigned long long zo_exp_get_uint(const struct zo_exp_args *a, const char *name)
{
	const char *v = zo_exp_get(a, name);

	return v ? strtoull(v, NULL, 10) : 0;
}

bool zo_exp_flag(const struct zo_exp_args *a, const char *name)
{
	const char *v = zo_exp_get(a, name);

	return v && !strcmp(v, "yes");
}

const char *zo_exp_choice(const struct zo_exp_args *a, const char *group)
{
	size_t i;

	for (i = 0; i < a->exp->n_params; i++)
		if (a->exp->params[i].group && !strcmp(a->exp->params[i].group, group) &&
		    zo_exp_flag(a, a->exp->params[i].name))
			return a->exp->params[i].name;
	return NULL;
}

char **zo_exp_argv(const struct zo_exp_args *a)
{
	const struct zo_experiment *e = a->exp;
	char **v = calloc(2 * e->n_params + 1, sizeof(char *));
	size_t i, n = 0;

	if (!v)
		return NULL;
	for (i = 0; i < e->n_params; i++) {
		const struct zo_param *p = &e->params[i];

		if (!a->values[i])
			continue;
		if (p->option)
			v[n++] = strdup(p->option);
		if (p->kind != ZO_PARAM_FLAG)
			v[n++] = strdup(a->values[i]);
	}
	for (i = 0; i < n; i++)
		if (!v[i])
			return zo_strv_free(v);
	return v;
}

char *zo_exp_usage(const struct zo_experiment *e)
{
	struct zo_strbuf sb = { 0 };
	const char *const *ph;
	size_t i;

	zo_strbuf_appendf(&sb, "usage: zsim-orch run %s", e->name);
	for (i = 0; i < e->n_params; i++)
		if (!e->params[i].option)
			zo_strbuf_appendf(&sb, e->params[i].required ? " %s" : " [%s]",
					  e->params[i].metavar);
	zo_strbuf_appendf(&sb, " [OPTIONS]\n\n%s.\n\n", e->summary);
	for (i = 0; i < e->n_params; i++) {
		const struct zo_param *p = &e->params[i];
		char left[48];

		if (p->option && p->metavar)
			snprintf(left, sizeof(left), "%s %s", p->option, p->metavar);
		else
			snprintf(left, sizeof(left), "%s", p->option ? p->option : p->metavar);
		zo_strbuf_appendf(&sb, "  %-24s %s", left, p->help);
		if (p->kind == ZO_PARAM_UINT)
			zo_strbuf_appendf(&sb, " (%llu..%llu%s%s)", p->min, p->max,
					  p->dflt ? ", default " : "", p->dflt ? p->dflt : "");
		if (runner_of(e, p) && runner_of(e, p)->aliases)
			zo_strbuf_appendf(&sb, " [also %s]", runner_of(e, p)->aliases);
		if (runner_of(e, p) && runner_of(e, p)->requires)
			zo_strbuf_appendf(&sb, " [needs %s]",
					  zo_exp_option_of(e, runner_of(e, p)->requires));
		zo_strbuf_append(&sb, "\n");
	}
	zo_strbuf_append(&sb, "\nPhases:");
	for (ph = e->phases; *ph; ph++)
		zo_strbuf_appendf(&sb, "%s %s", ph == e->phases ? "" : ",", *ph);
	zo_strbuf_append(&sb, "\n");
	return zo_strbuf_steal(&sb);
}

const char *zo_exp_workload(const struct zo_exp_args *a)
{
	return a->exp->workload ? a->exp->workload(a) : NULL;
}

char *zo_exp_results_base(const struct zo_exp_args *a, const struct tm *when)
{
	struct zo_exp_settings settings;
	struct zo_strbuf sb = { 0 };
	char stamp[32];
	size_t i;
	int r = zo_exp_runner_settings(a, &settings);

	if (r == 0) {
		char *name = zo_exp_file_name(&settings, when);

		zo_exp_settings_release(&settings);
		return name;
	}
	if (r != -ENOENT)
		return NULL;
	zo_strbuf_append(&sb, a->exp->name);
	for (i = 0; i < a->exp->n_params; i++) {
		const struct zo_param *p = &a->exp->params[i];
		const char *v = zo_exp_get(a, p->name);

		if (p->important && v)
			zo_strbuf_appendf(&sb, "-%s%s", p->name, v);
	}
	strftime(stamp, sizeof(stamp), "%Y-%m-%d-%H-%M-%S", when);
	zo_strbuf_appendf(&sb, "-%s", stamp);
	return zo_strbuf_steal(&sb);
}

const char *zo_exp_spelling(const struct zo_exp_args *a, const char *name)
{
	int i = param_index(a->exp, name);

	if (i < 0)
		return name;
	if (a->spelled[i])
		return a->spelled[i];
	return a->exp->params[i].option ? a->exp->params[i].option : a->exp->params[i].metavar;
}

static int settings_add(struct zo_exp_settings *s, const char *name, bool important, char *json)
{
	if (!json)
		return -ENOMEM;
	if (s->n >= ZO_EXP_MAX_SETTINGS) {
		free(json);
		return -E2BIG;
	}
	s->v[s->n].name = name;
	s->v[s->n].json = json;
	s->v[s->n].important = important;
	s->n++;
	return 0;
}

int zo_exp_settings_json(struct zo_exp_settings *s, const char *name, bool important,
			 const char *json)
{
	return settings_add(s, name, important, strdup(json));
}

int zo_exp_settings_str(struct zo_exp_settings *s, const char *name, bool important,
			const char *value)
{
	struct zo_strbuf sb = { 0 };
	const char *c;

	zo_strbuf_append(&sb, "\"");
	for (c = value; *c; c++) {
		if (*c == '"' || *c == '\\')
			zo_strbuf_appendf(&sb, "\\%c", *c);
		else if ((unsigned char)*c < 0x20)
			zo_strbuf_appendf(&sb, "\\u%04x", (unsigned char)*c);
		else
			zo_strbuf_appendf(&sb, "%c", *c);
	}
	zo_strbuf_append(&sb, "\"");
	return settings_add(s, name, important, zo_strbuf_steal(&sb));
}

int zo_exp_settings_uint(struct zo_exp_settings *s, const char *name, bool important,
			 unsigned long long value)
{
	return settings_add(s, name, important, zo_asprintf("%llu", value));
}

int zo_exp_settings_bool(struct zo_exp_settings *s, const char *name, bool important,
			 bool value)
{
	return settings_add(s, name, important, strdup(value ? "true" : "false"));
}

int zo_exp_settings_null(struct zo_exp_settings *s, const char *name, bool important)
{
	return settings_add(s, name, important, strdup("null"));
}

void zo_exp_settings_release(struct zo_exp_settings *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].json);
	s->n = 0;
}

int zo_exp_runner_settings(const struct zo_exp_args *a, struct zo_exp_settings *ret)
{
	int r;

	ret->n = 0;
	if (!a->exp->settings)
		return -ENOENT;
	r = a->exp->settings(a, ret);
	if (r < 0)
		zo_exp_settings_release(ret);
	return r;
}

char *zo_exp_file_name(const struct zo_exp_settings *s, const struct tm *when)
{
	struct zo_strbuf sb = { 0 };
	char stamp[32];
	size_t i, n = 0;

	for (i = 0; i < s->n; i++) {
		const char *v = s->v[i].json, *end;

		if (!s->v[i].important)
			continue;
		/* the runner's append_setting: trim, then ' ', '"', '\'' -> '_' */
		while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
			v++;
		end = v + strlen(v);
		while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' ||
				   end[-1] == '\r'))
			end--;
		zo_strbuf_appendf(&sb, "%s%s", n++ ? "-" : "", s->v[i].name);
		for (; v < end; v++)
			zo_strbuf_appendf(&sb, "%c", *v == ' ' || *v == '"' || *v == '\'' ? '_' : *v);
	}
	strftime(stamp, sizeof(stamp), "%Y-%m-%d-%H-%M-%S", when);
	zo_strbuf_appendf(&sb, "-%s", stamp);
	return zo_strbuf_steal(&sb);
}
