/* zsim-orch run: run a registered experiment and file its results
 * (ops/run.c is the harness, exp/ the experiments). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/experiment.h"
#include "ops/run.h"
#include "util/str.h"

#include "util/banned.h"

static int list(void)
{
	size_t i;

	for (i = 0; i < zo_n_experiments; i++)
		printf("%-10s %s\n", zo_experiments[i]->name, zo_experiments[i]->summary);
	return ZO_EXIT_OK;
}

static int unknown_experiment(struct zo_ctx *ctx, const char *name)
{
	const char *names[16], *near;
	size_t i;

	for (i = 0; i < zo_n_experiments && i < ZO_ARRAY_SIZE(names); i++)
		names[i] = zo_experiments[i]->name;
	near = zo_closest(name, names, i);
	return zo_usage_error(ctx, &zo_cmd_run, "no experiment '%s'%s%s%s; see 'zsim-orch run "
						"--list'",
			      name, near ? " (did you mean '" : "", near ? near : "",
			      near ? "'?)" : "");
}


/* `run EXP ARGS...` (argv[0] is EXP). */
static int run_exp(struct zo_ctx *ctx, const char *results_dir, int argc, char **argv)
{
	const struct zo_experiment *e = zo_experiment_find(argv[0]);
	char *results = NULL;
	int i, r;

	if (!e)
		return unknown_experiment(ctx, argv[0]);
	for (i = 1; i < argc; i++)
		if (zo_is_help(argv[i]) && !zo_exp_takes(e, argv[i])) {
			_cleanup_free_ char *usage = zo_exp_usage(e);

			fputs(usage ? usage : "", stdout);
			return ZO_EXIT_OK;
		}
	/* bad arguments are refused before the lock, which they never need */
	r = zo_run_check_argv(ctx, argc, argv);
	if (r < 0)
		return zo_exit_code(ctx, r);
	r = zo_cmd_require(ctx, ZO_CMD_NEED_LOCK, "run");
	if (r >= 0)
		return r;
	r = zo_run_argv(ctx, results_dir, argc, argv, &results);
	return zo_run_done(ctx, r, results);
}

static int run_from(struct zo_ctx *ctx, const char *results_dir, const char *path)
{
	char *results = NULL;
	int r;

	r = zo_cmd_require(ctx, ZO_CMD_NEED_LOCK, "run");
	if (r >= 0)
		return r;
	r = zo_run_from(ctx, results_dir, path, &results);
	return zo_run_done(ctx, r, results);
}

static int cmd_run(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "from", required_argument, NULL, 'F' },
		{ "results-dir", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* --results-dir: the spool gives each job its own directory */
	const char *from = NULL, *results_dir = NULL;
	bool list_them = false;
	int c;

	optind = 0;
	opterr = 0;
	/* '+': options after EXP belong to the experiment */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			list_them = true;
			break;
		case 'F':
			from = optarg;
			break;
		case 'R':
			if (optarg[0] != '/')
				return zo_usage_error(ctx, &zo_cmd_run, "--results-dir %s: give an absolute "
								  "path", optarg);
			results_dir = optarg;
			break;
		case 'h':
			zo_cmd_print_usage(&zo_cmd_run, stdout);
			return ZO_EXIT_OK;
		default:
			return zo_usage_error(ctx, &zo_cmd_run, "unknown option '%s' for 'run'",
					      argv[optind - 1]);
		}
	}
	if (list_them)
		return list();
	if (from) {
		if (optind < argc)
			return zo_usage_error(ctx, &zo_cmd_run, "--from takes no experiment arguments");
		return run_from(ctx, results_dir, from);
	}
	if (optind >= argc)
		return zo_usage_error(ctx, &zo_cmd_run, "name an experiment (zsim-orch run --list)");
	return run_exp(ctx, results_dir, argc - optind, argv + optind);
}

static const struct zo_opt run_opts[] = {
	{ "list", 0, NULL }, { "from", 0, "FILE.params" }, { "results-dir", 0, "DIR" }, { NULL, 0, NULL },
};

const struct zo_cmd zo_cmd_run = {
	.name = "run",
	.fn = cmd_run,
	.summary = "run an experiment and file its results",
	.usage = "zsim-orch run [--results-dir DIR] EXP ARGS...\n"
		 "       zsim-orch run --list\n"
		 "       zsim-orch run EXP --help\n"
		 "       zsim-orch run --from FILE.params\n"
		 "\n"
		 "Runs a registered experiment with arguments checked against its schema\n"
		 "(never through a shell; the old runner's spellings work too) and writes\n"
		 "its results to [paths] results, named by the old runner's rule: its\n"
		 "important settings as NAMEvalue joined by '-', then the time, as in\n"
		 "workload_bmk_-app_TimeMmapTouch_-vm_size4096-<YYYY-MM-DD-HH-MM-SS>\n"
		 ".{params,out,time,sim}. .params is JSON with every setting (the\n"
		 "runner's keys too), the zsim-orch version and commit, the kernel, the\n"
		 "TSC frequency, the host conditioning (each value before, set and after)\n"
		 "and the config in force; .time has each phase's duration; .sim the\n"
		 "runner's sections (host config, host and target stats, host and target\n"
		 "dmesg) then zsim's own; a failed phase adds .err. What an experiment\n"
		 "sets on the host (exp00000: as the runner did) is put back after the\n"
		 "run, also after a failure or a signal. The last line printed is\n"
		 "RESULTS: <path>.*. --from re-runs a .params with the same settings and\n"
		 "says which recorded facts differ on this host. SIGINT or SIGTERM stops\n"
		 "a run cleanly (exit 130 or 143).\n",
	.flags = ZO_CMD_NEED_CONFIG,
	.opts = run_opts,
	.args = "EXP ARGS...",
};
