#include "core/experiment.h"

#include <errno.h>
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

int zo_exp_parse(const struct zo_experiment *e, int argc, char *const *argv,
		 struct zo_exp_args *ret, char **ret_error)
{
	struct zo_exp_args a = { e, { NULL } };
	size_t next_pos = 0, i, j;
	bool options_done = false;
	int k, r = 0;

	*ret_error = NULL;
	for (k = 0; k < argc && r == 0; k++) {
		const char *arg = argv[k];
		const struct zo_param *p = NULL;

		if (!options_done && !strcmp(arg, "--")) {
			options_done = true;
			continue;
		}
		if (!options_done && arg[0] == '-' && arg[1]) {
			const char *eq = strchr(arg, '=');
			size_t len = eq ? (size_t)(eq - arg) : strlen(arg);

			for (i = 0; i < e->n_params; i++)
				if (e->params[i].option && strlen(e->params[i].option) == len &&
				    !strncmp(e->params[i].option, arg, len))
					p = &e->params[i];
			if (!p) {
				r = fail(ret_error, zo_asprintf("%s: unknown option for %s; see "
								"'zsim-orch run %s --help'",
								arg, e->name, e->name));
				break;
			}
			i = (size_t)(p - e->params);
			if (p->kind == ZO_PARAM_FLAG) {
				if (eq) {
					r = fail(ret_error, zo_asprintf("%s takes no value", p->option));
					break;
				}
				free(a.values[i]);
				a.values[i] = strdup("yes");
				r = a.values[i] ? 0 : -ENOMEM;
				continue;
			}
			if (!eq && k + 1 >= argc) {
				r = fail(ret_error, zo_asprintf("%s needs a value (%s)", p->option,
								p->metavar));
				break;
			}
			r = set_uint(p, p->option, eq ? eq + 1 : argv[++k], &a.values[i], ret_error);
			continue;
		}
		/* the next positional parameter */
		for (; next_pos < e->n_params && e->params[next_pos].option; next_pos++)
			;
		if (next_pos >= e->n_params) {
			r = fail(ret_error, zo_asprintf("unexpected argument '%s'", arg));
			break;
		}
		p = &e->params[next_pos];
		r = set_uint(p, p->metavar, arg, &a.values[next_pos], ret_error);
		next_pos++;
	}
	for (i = 0; r == 0 && i < e->n_params; i++)
		if (e->params[i].required && !a.values[i])
			r = fail(ret_error, zo_asprintf("%s is missing; usage: zsim-orch run %s "
							"%s [OPTIONS]",
							e->params[i].metavar, e->name,
							e->params[i].metavar));
	/* at most one flag of each group */
	for (i = 0; r == 0 && i < e->n_params; i++) {
		if (!e->params[i].group || !a.values[i])
			continue;
		for (j = i + 1; j < e->n_params; j++)
			if (e->params[j].group && a.values[j] &&
			    !strcmp(e->params[i].group, e->params[j].group)) {
				r = fail(ret_error, zo_asprintf("%s and %s exclude each other; give one",
								e->params[i].option,
								e->params[j].option));
				break;
			}
	}
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

	for (i = 0; i < ZO_EXP_MAX_PARAMS; i++)
		free(a->values[i]);
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
	const char *workload = zo_exp_workload(a);
	struct zo_strbuf sb = { 0 };
	char stamp[32];
	size_t i;

	zo_strbuf_append(&sb, a->exp->name);
	if (workload)
		zo_strbuf_appendf(&sb, "-workload_%s_", workload);
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
