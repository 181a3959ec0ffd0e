/* What an experiment is to `zsim-orch run`: a name, an argument schema,
 * its result-name rule and its phases. Each experiment defines one in its
 * own exp/<name>.c; exp/registry.c lists them. Arguments arrive as argv
 * (never through a shell) and are checked against the schema before
 * anything happens. The machinery here is pure. */
#ifndef ZO_CORE_EXPERIMENT_H
#define ZO_CORE_EXPERIMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define ZO_EXP_MAX_PARAMS 24

enum zo_param_kind {
	ZO_PARAM_UINT, /* a positional or --name N */
	ZO_PARAM_FLAG, /* --name */
};

struct zo_param {
	const char *name;   /* key in .params and file names */
	const char *option; /* "--zeros"; NULL for a positional */
	const char *metavar;
	enum zo_param_kind kind;
	bool required;
	unsigned long long min, max;
	const char *dflt;  /* NULL: unset unless given */
	const char *group; /* flags of one group exclude each other */
	bool important;    /* part of result file names, as the old runner did */
	const char *help;
};

struct zo_exp_args;
struct zo_run; /* the run harness (ops/run.h) the phases are written against */

struct zo_experiment {
	const char *name;
	const char *summary;
	const struct zo_param *params;
	size_t n_params;
	const char *const *phases; /* NULL-terminated, in order */
	/* Its results are cycle counts: record the host's TSC frequency. */
	bool records_tsc;
	/* Checks across parameters; a message for the user on failure. */
	int (*check)(const struct zo_exp_args *a, char **ret_error);
	/* The workload program the arguments choose, as the old runner named
	 * it in results ("time_mmap_touch"); NULL: the name has none. */
	const char *(*workload)(const struct zo_exp_args *a);
	/* The phases: 0, or -errno with the reason in the run (ops/run.h);
	 * -EPERM is a refusal (exit 3). */
	int (*run)(struct zo_run *run);
};

struct zo_exp_args {
	const struct zo_experiment *exp;
	char *values[ZO_EXP_MAX_PARAMS]; /* given values; NULL: not given */
};

/* The registry (exp/registry.c), in the order `run --list` shows them. */
extern const struct zo_experiment *const zo_experiments[];
extern const size_t zo_n_experiments;

const struct zo_experiment *zo_experiment_find(const char *name);

/* Parse argv (argv[0] is the first argument, not the name) against the
 * schema. -EINVAL with a message naming the argument and the form. */
int zo_exp_parse(const struct zo_experiment *e, int argc, char *const *argv,
		 struct zo_exp_args *ret, char **ret_error);
void zo_exp_args_release(struct zo_exp_args *a);

/* The value given, else the default, else NULL. Flags read "yes"/"no". */
const char *zo_exp_get(const struct zo_exp_args *a, const char *name);
unsigned long long zo_exp_get_uint(const struct zo_exp_args *a, const char *name);
bool zo_exp_flag(const struct zo_exp_args *a, const char *name);
/* The flag set in `group` (or its default member). */
const char *zo_exp_choice(const struct zo_exp_args *a, const char *group);

/* The workload program the arguments choose (the experiment's own rule),
 * or NULL. */
const char *zo_exp_workload(const struct zo_exp_args *a);

/* Result file base name, as the old runner built it: the experiment, then
 * each important setting as NAME + its JSON value with spaces and quotes
 * made '_', then the local time: exp00000-workload_time_mmap_touch_-
 * vm_size4096-cores1-2026-11-23-10-00-00. */
char *zo_exp_results_base(const struct zo_exp_args *a, const struct tm *when);

/* The arguments back as argv, exactly as a later run must get them. */
char **zo_exp_argv(const struct zo_exp_args *a);

/* "run EXP --help" text. */
char *zo_exp_usage(const struct zo_experiment *e);

#endif
