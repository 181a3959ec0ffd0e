/* libFuzzer target for run --from's .params reader (core/params.h): a
 * .params file is whatever was left in a results directory, so the JSON
 * reader and the shape checks must survive any bytes. A file accepted
 * gives an argv of strings; when it names an experiment, its arguments
 * are checked against the schema as the run would, and the canonical
 * arguments of an accepted set parse again to themselves. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/experiment.h"
#include "core/params.h"
#include "util/json.h"

static void strv_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static size_t strv_len(char **v)
{
	size_t n = 0;

	while (v[n])
		n++;
	return n;
}

/* The schema check of the run, and its canonical argv as a fixed point. */
static void check_args(const struct zo_params *p)
{
	const struct zo_experiment *e = zo_experiment_find(p->argv[0]);
	struct zo_exp_args a, b;
	char *why = NULL, **canon, **again;
	size_t i;

	if (!e)
		return;
	if (zo_exp_parse(e, p->argc - 1, p->argv + 1, &a, &why) < 0) {
		if (!why)
			abort(); /* a refusal always says why */
		free(why);
		return;
	}
	canon = zo_exp_argv(&a);
	if (!canon)
		abort();
	if (zo_exp_parse(e, (int)strv_len(canon), canon, &b, &why) < 0)
		abort(); /* what a run records must run again */
	again = zo_exp_argv(&b);
	if (!again || strv_len(again) != strv_len(canon))
		abort();
	for (i = 0; canon[i]; i++)
		if (strcmp(canon[i], again[i]))
			abort();
	strv_free(again);
	strv_free(canon);
	zo_exp_args_release(&b);
	zo_exp_args_release(&a);
}

/* What report_differences reads of the recorded config. */
static void walk_config(json_object *config)
{
	json_object_object_foreach(config, sec, keys)
	{
		json_object *v = NULL;

		if (json_object_object_get_ex(config, sec, &v) && zo_json_get_str(keys, "results"))
			(void)zo_json_get_str(v, "spool");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *why = NULL;
	struct zo_params p;
	int i, r;

	if (size > ZO_PARAMS_MAX_BYTES + 1)
		return -1; /* ops/run refuses these before parsing */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	r = zo_params_parse(text, size, &p, &why);
	if (r == 0) {
		if (why || p.argc < 1 || !p.argv || !p.json || !*p.argv[0] || p.argv[p.argc])
			abort();
		for (i = 0; i < p.argc; i++)
			if (!p.argv[i])
				abort();
		if (p.config)
			walk_config(p.config);
		check_args(&p);
		zo_params_release(&p);
	} else if (r != -ENOMEM && (r != -EINVAL || !why)) {
		abort(); /* a refusal always says why */
	}
	free(why);
	free(text);
	return 0;
}
