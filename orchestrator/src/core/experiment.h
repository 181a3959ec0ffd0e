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
#define ZO_EXP_MAX_SETTINGS 32

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
	bool important;    /* part of result file names (experiments without a
			    * runner settings list) */
	const char *help;
};

/* The old runner's spellings of a parameter and its rules. */
struct zo_param_runner {
	const char *name; /* the parameter */
	/* Other spellings, space-separated ("-z", "--drift_thresh"). A
	 * one-letter "-x" also works bundled ("-wz") and, for a value,
	 * attached ("-s4"). A word without '-' ("time_loop") is the
	 * runner's subcommand: a flag given where a positional could be. */
	const char *aliases;
	/* Another parameter this one needs (clap's `requires`), or NULL. */
	const char *requires;
};

/* One of the old runner's settings: its name, its value as JSON text
 * (serde_json's form: 4096, true, null, "bmk"), and whether it is part of
 * result file names. */
struct zo_exp_setting {
	const char *name;
	char *json;
	bool important;
};

struct zo_exp_settings {
	struct zo_exp_setting v[ZO_EXP_MAX_SETTINGS];
	size_t n;
};

struct zo_exp_args;
struct zo_run; /* the run harness (ops/run.h) the phases are written against */

/* A step the old runner timed in .time, as zsim's phases: its label
 * ("Setup host and start VM") and the phases whose times add up to it
 * (NULL-terminated); written when every one of them ran to its end. */
struct zo_exp_timing {
	const char *label;
	const char *const *phases;
};

struct zo_experiment {
	const char *name;
	const char *summary;
	const struct zo_param *params;
	size_t n_params;
	const struct zo_param_runner *runner; /* may be NULL */
	size_t n_runner;
	const char *const *phases; /* NULL-terminated, in order */
	/* The old runner's timed steps, in its order, ending with a NULL
	 * label; NULL: it timed none zsim has. */
	const struct zo_exp_timing *runner_timings;
	/* Its results are cycle counts: record the host's TSC frequency. */
	bool records_tsc;
	/* Checks across parameters; a message for the user on failure. */
	int (*check)(const struct zo_exp_args *a, char **ret_error);
	/* The workload program the arguments choose, as the old runner named
	 * it in results ("time_mmap_touch"); NULL: the name has none. */
	const char *(*workload)(const struct zo_exp_args *a);
	/* The old runner's settings for these arguments, in the order it
	 * registered them; NULL: the experiment has no runner counterpart
	 * and is named "NAME-<important parameters>-TIME". */
	int (*settings)(const struct zo_exp_args *a, struct zo_exp_settings *ret);
	/* The extensions of the files a run writes, as "params,out,time,sim"
	 * (shown under --dry-run); NULL: those four. */
	const char *(*files)(const struct zo_exp_args *a);
	/* Plan lines of its own under --dry-run (zo_plan), after the run's;
	 * 0, or -errno with the reason in the context (a refusal: exit 3).
	 * NULL: none. */
	int (*plan)(struct zo_run *run);
	/* The phases: 0, or -errno with the reason in the run (ops/run.h);
	 * -EPERM is a refusal (exit 3). */
	int (*run)(struct zo_run *run);
};

struct zo_exp_args {
	const struct zo_experiment *exp;
	char *values[ZO_EXP_MAX_PARAMS];  /* given values; NULL: not given */
	char *spelled[ZO_EXP_MAX_PARAMS]; /* how the user spelled each option */
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
/* Whether `arg` is one of the experiment's spellings ("-h" is exp00007's
 * memhog, as the runner's clap took it, not --help). */
bool zo_exp_takes(const struct zo_experiment *e, const char *arg);

/* The option as the user spelled it ("-s", "--size"), else its own. */
const char *zo_exp_spelling(const struct zo_exp_args *a, const char *name);

/* Add a setting (JSON text built here: a string is quoted and escaped). */
int zo_exp_settings_str(struct zo_exp_settings *s, const char *name, bool important,
			const char *value);
int zo_exp_settings_uint(struct zo_exp_settings *s, const char *name, bool important,
			 unsigned long long value);
int zo_exp_settings_bool(struct zo_exp_settings *s, const char *name, bool important,
			 bool value);
int zo_exp_settings_null(struct zo_exp_settings *s, const char *name, bool important);
/* A value given as JSON text (serde's form of an enum: {"TimeLoop":{"n":5}}). */
int zo_exp_settings_json(struct zo_exp_settings *s, const char *name, bool important,
			 const char *json);
void zo_exp_settings_release(struct zo_exp_settings *s);
/* The experiment's runner settings (-ENOENT when it has none). */
int zo_exp_runner_settings(const struct zo_exp_args *a, struct zo_exp_settings *ret);
/* The old runner's gen_file_name without the extension: each important
 * setting as NAME + its JSON text (trimmed; spaces, '"' and '\'' made
 * '_'), joined by '-', then -%Y-%m-%d-%H-%M-%S:
 * workload_bmk_-app_TimeMmapTouch_-vm_size4096-2026-12-01-14-45-33. */
char *zo_exp_file_name(const struct zo_exp_settings *s, const struct tm *when);

/* Result file base name: the runner's rule over the experiment's runner
 * settings; an experiment without them (noop) gets its name, then each
 * important parameter as -NAMEvalue, then the time:
 * noop-seconds1-2026-11-23-10-00-00. */
char *zo_exp_results_base(const struct zo_exp_args *a, const struct tm *when);

/* The arguments back as argv, exactly as a later run must get them. */
char **zo_exp_argv(const struct zo_exp_args *a);

/* "run EXP --help" text. */
char *zo_exp_usage(const struct zo_experiment *e);

#endif
