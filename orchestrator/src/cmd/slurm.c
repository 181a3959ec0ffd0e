/* zsim-orch slurm: sweeps over many nodes as Slurm job arrays, and the
 * node side Slurm calls (ops/slurm.c does the work). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/units.h"
#include "ops/run.h"
#include "ops/slurm.h"
#include "util/json.h"
#include "util/path.h"

#include "util/banned.h"

/* The end of every option switch here: --help, or an option `what`
 * does not take. */
static int other_option(struct zo_ctx *ctx, int c, const char *what, char **argv)
{
	if (c == 'h') {
		zo_cmd_print_usage(&zo_cmd_slurm, stdout);
		return ZO_EXIT_OK;
	}
	return zo_usage_error(ctx, &zo_cmd_slurm, "unknown option '%s' for '%s'", argv[optind - 1],
			      what);
}

/* --results-dir, else [slurm] results (under the root prefix): 0 with
 * *shared set (*owned when allocated), or the exit code of a usage error.
 * Returns -1 to go on. */
static int shared_dir(struct zo_ctx *ctx, const char *what, const char **shared, char **owned)
{
	const char *conf = zo_config_get(ctx->config, "slurm", "results");

	if (!*shared && conf && *conf) {
		*owned = zo_path(ctx->root, conf);
		if (!*owned)
			return zo_exit_code(ctx, -ENOMEM);
		*shared = *owned;
	}
	if (!*shared || (*shared)[0] != '/')
		return zo_usage_error(ctx, &zo_cmd_slurm, "'%s' needs --results-dir SHARED (or "
							  "[slurm] results), an absolute path every "
							  "node mounts",
				      what);
	return -1;
}

static int parse_count(struct zo_ctx *ctx, const char *opt, const char *v, long long max,
		       long long *ret)
{
	if (zo_int_parse(v, 1, max, ret) < 0)
		return zo_usage_error(ctx, &zo_cmd_slurm, "%s %s: give a whole number from 1 to %lld",
				      opt, v, max);
	return -1;
}

static void print_submitted(struct zo_ctx *ctx, const struct zo_slurm_submitted *s,
			    const char *shared)
{
	json_object *o;

	if (ctx->dry_run)
		return;
	if (!ctx->json) {
		printf("sweep %s: %zu run%s, job %s\n", s->sweep, s->n_runs, s->n_runs == 1 ? "" : "s",
		       s->jobid);
		printf("status: zsim-orch slurm status --results-dir %s %s\n", shared, s->sweep);
		return;
	}
	o = json_object_new_object();
	zo_json_add_str(o, "sweep", s->sweep);
	zo_json_add_str(o, "job", s->jobid);
	zo_json_add_u64(o, "runs", s->n_runs);
	zo_json_add_str(o, "sweep_dir", s->sweep_dir);
	zo_print_json("slurm.submit", o);
}

static int slurm_submit(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "parallel", required_argument, NULL, 'P' },
		{ "partition", required_argument, NULL, 'p' },
		{ "results-dir", required_argument, NULL, 'R' },
		{ "target-gb", required_argument, NULL, 'T' },
		{ "node-ram-gb", required_argument, NULL, 'M' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct zo_slurm_submit_opts o = { 0 };
	struct zo_slurm_submitted s = { 0 };
	struct zo_diags diags = { 0 };
	_cleanup_free_ char *shared = NULL;
	long long v = 0;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'P' || c == 'T' || c == 'M') {
			r = parse_count(ctx, argv[optind - 2], optarg, 1LL << 40, &v);
			if (r >= 0)
				return r;
			if (c == 'P')
				o.parallel = v > 100000 ? 100000 : (unsigned)v;
			else if (c == 'T')
				o.target_gb = (uint64_t)v;
			else
				o.node_ram_gb = (uint64_t)v;
		} else if (c == 'p') {
			o.partition = optarg;
		} else if (c == 'R') {
			o.shared = optarg;
		} else if (c == 'j') {
			ctx->json = true;
		} else {
			return other_option(ctx, c, "slurm submit", argv);
		}
	}
	if (optind + 1 != argc)
		return zo_usage_error(ctx, &zo_cmd_slurm, "'slurm submit' takes one job file");
	r = shared_dir(ctx, "slurm submit", &o.shared, &shared);
	if (r >= 0)
		return r;
	if (!o.partition)
		o.partition = zo_config_get(ctx->config, "slurm", "partition");
	if (o.partition && !*o.partition)
		o.partition = NULL;
	o.job_file = argv[optind];
	r = zo_slurm_submit(ctx, &o, &diags, &s);
	if (r == -EBADMSG) {
		zo_print_diags(o.job_file, &diags);
		zo_diags_release(&diags);
		return ZO_EXIT_USAGE;
	}
	zo_diags_release(&diags);
	if (r >= 0)
		print_submitted(ctx, &s, o.shared);
	zo_slurm_submitted_release(&s);
	return zo_exit_code(ctx, r);
}

static int slurm_task(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_slurm_task_env env;
	char *results = NULL;
	int r = zo_no_options(ctx, &zo_cmd_slurm, argc, argv);

	if (r >= 0)
		return r;
	if (argc != 2)
		return zo_usage_error(ctx, &zo_cmd_slurm, "'slurm task' takes the sweep's manifest");
	env.job_id = getenv("SLURM_JOB_ID");
	env.array_job_id = getenv("SLURM_ARRAY_JOB_ID");
	env.array_task_id = getenv("SLURM_ARRAY_TASK_ID");
	env.restart_count = getenv("SLURM_RESTART_COUNT");
	env.node = getenv("SLURMD_NODENAME");
	r = zo_slurm_task(ctx, argv[1], &env, &results);
	return zo_run_done(ctx, r, results);
}

static int slurm_node_conf(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'N' },
		{ "dynamic", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_free_ char *line = NULL;
	const char *name = NULL;
	bool dynamic = false;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'N')
			name = optarg;
		else if (c == 'd')
			dynamic = true;
		else
			return other_option(ctx, c, "slurm node-conf", argv);
	}
	if (optind < argc)
		return zo_usage_error(ctx, &zo_cmd_slurm, "'slurm node-conf' takes no arguments");
	r = zo_slurm_node_conf_line(ctx, name, dynamic, &line);
	if (r >= 0)
		printf("%s\n", line);
	return zo_exit_code(ctx, r);
}

/* --node NAME, else SLURMD_NODENAME (how Slurm runs the program), else
 * the host name. */
static int node_option(struct zo_ctx *ctx, const char *what, int argc, char **argv,
		       const char **ret_node)
{
	static const struct option opts[] = {
		{ "node", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*ret_node = getenv("SLURMD_NODENAME");
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'N')
			*ret_node = optarg;
		else
			return other_option(ctx, c, what, argv);
	}
	if (optind < argc)
		return zo_usage_error(ctx, &zo_cmd_slurm, "'%s' takes no arguments", what);
	if (*ret_node && !**ret_node)
		*ret_node = NULL;
	return -1;
}

static int slurm_healthcheck(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_slurm_health h;
	const char *node;
	int r = node_option(ctx, "slurm healthcheck", argc, argv, &node);

	if (r >= 0)
		return r;
	r = zo_slurm_healthcheck(ctx, node, &h);
	if (r >= 0 || h.node) {
		printf("%s: %s%s\n", h.node, h.failures && *h.failures ? "FAIL: " : "ok",
		       h.failures ? h.failures : "");
		if (r >= 0 && !ctx->dry_run && h.action == ZO_SLURM_HEALTH_DRAIN)
			printf("drained %s: %s\n", h.node, h.reason);
		else if (r >= 0 && !ctx->dry_run && h.action == ZO_SLURM_HEALTH_RESUME)
			printf("resumed %s\n", h.node);
	}
	if (r >= 0 && h.failures && *h.failures)
		r = ZO_EXIT_FAILED;
	else
		r = zo_exit_code(ctx, r);
	zo_slurm_health_release(&h);
	return r;
}

static int slurm_epilog(struct zo_ctx *ctx, int argc, char **argv)
{
	const char *node;
	bool destroyed = false;
	int r = node_option(ctx, "slurm epilog", argc, argv, &node);

	if (r >= 0)
		return r;
	/* after a job, behind whoever holds the host (never refused: a
	 * failing epilog drains the node) */
	ctx->lock_wait = true;
	r = zo_cmd_require(ctx, ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK, "slurm epilog");
	if (r >= 0)
		return r;
	r = zo_slurm_epilog(ctx, &destroyed);
	if (destroyed)
		printf("destroyed the target a job left running\n");
	return zo_exit_code(ctx, r);
}

static int status_json(const struct zo_slurm_status *s)
{
	json_object *o = json_object_new_object(), *runs = json_object_new_array();
	size_t i;

	zo_json_add_str(o, "sweep", s->manifest.sweep);
	zo_json_add_str(o, "job", s->jobid);
	zo_json_add_str(o, "results", s->manifest.results);
	zo_json_add_str(o, "slurm_error", s->slurm_error);
	for (i = 0; i < s->n; i++) {
		const struct zo_slurm_run_status *r = &s->runs[i];
		json_object *e = json_object_new_object();

		zo_json_add_u64(e, "index", r->index);
		zo_json_add_str(e, "name", r->name);
		zo_json_add_str(e, "settings", r->settings);
		zo_json_add_str(e, "state", r->state);
		zo_json_add_str(e, "node", r->node);
		zo_json_add_u64(e, "attempts", r->attempts);
		zo_json_add_str(e, "results", r->results);
		json_object_array_add(runs, e);
	}
	json_object_object_add(o, "runs", runs);
	zo_print_json("slurm.status", o);
	return ZO_EXIT_OK;
}

static int status_table(const struct zo_slurm_status *s)
{
	size_t i;

	printf("sweep %s, job %s: %zu runs in %s\n", s->manifest.sweep, s->jobid ? s->jobid : "-",
	       s->n, s->manifest.results);
	if (s->slurm_error)
		printf("(Slurm not asked: %s; states from the results directories)\n",
		       s->slurm_error);
	printf("%5s %-10s %-10s %8s %-28s %s\n", "index", "state", "node", "attempts", "settings",
	       "results");
	for (i = 0; i < s->n; i++) {
		const struct zo_slurm_run_status *r = &s->runs[i];

		printf("%5zu %-10s %-10s %8u %-28s %s\n", r->index, r->state, r->node ? r->node : "-",
		       r->attempts, r->settings ? r->settings : "-", r->results ? r->results : "-");
	}
	return ZO_EXIT_OK;
}

static int slurm_status(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "results-dir", required_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct zo_slurm_status s;
	const char *shared = NULL;
	_cleanup_free_ char *owned = NULL;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'R')
			shared = optarg;
		else if (c == 'j')
			ctx->json = true;
		else
			return other_option(ctx, c, "slurm status", argv);
	}
	if (optind + 1 != argc)
		return zo_usage_error(ctx, &zo_cmd_slurm, "'slurm status' takes one sweep");
	if (!strchr(argv[optind], '/')) {
		r = shared_dir(ctx, "slurm status", &shared, &owned);
		if (r >= 0)
			return r;
	}
	r = zo_slurm_status_read(ctx, argv[optind], shared, &s);
	if (r < 0)
		return zo_exit_code(ctx, r);
	r = ctx->json ? status_json(&s) : status_table(&s);
	zo_slurm_status_release(&s);
	return r;
}

static const struct zo_opt submit_opts[] = {
	{ "results-dir", 0, "DIR" }, { "parallel", 0, "P" },	 { "partition", 0, "X" },
	{ "target-gb", 0, "GB" },    { "node-ram-gb", 0, "GB" }, { "json", 0, NULL },
	{ NULL, 0, NULL },
};
static const struct zo_opt status_opts[] = {
	{ "results-dir", 0, "DIR" }, { "json", 0, NULL }, { NULL, 0, NULL },
};
static const struct zo_opt node_conf_opts[] = {
	{ "name", 0, "NAME" }, { "dynamic", 0, NULL }, { NULL, 0, NULL },
};
static const struct zo_opt node_opts[] = { { "node", 0, "NAME" }, { NULL, 0, NULL } };
/* The lock is taken by each verb once it has parsed its arguments. */
static const struct zo_subcmd subs[] = {
	{ "epilog", slurm_epilog, 0, node_opts, NULL },
	{ "healthcheck", slurm_healthcheck, 0, node_opts, NULL },
	{ "node-conf", slurm_node_conf, 0, node_conf_opts, NULL },
	{ "status", slurm_status, 0, status_opts, "SWEEP" },
	{ "submit", slurm_submit, 0, submit_opts, "FILE.job" },
	{ "task", slurm_task, 0, NULL, "MANIFEST" },
};

static int cmd_slurm(struct zo_ctx *ctx, int argc, char **argv)
{
	return zo_dispatch_sub(ctx, &zo_cmd_slurm, subs, ZO_ARRAY_SIZE(subs), argc, argv);
}

const struct zo_cmd zo_cmd_slurm = {
	.name = "slurm",
	.fn = cmd_slurm,
	.summary = "sweeps over many nodes as Slurm job arrays",
	.usage = "zsim-orch slurm submit [--results-dir SHARED] [--parallel P] [--partition X]\n"
		 "                       [--target-gb GB] [--node-ram-gb GB] [--json] FILE.job\n"
		 "       zsim-orch slurm status [--results-dir SHARED] [--json] SWEEP\n"
		 "       zsim-orch slurm task MANIFEST\n"
		 "       zsim-orch slurm node-conf [--name NAME] [--dynamic]\n"
		 "       zsim-orch slurm healthcheck|epilog [--node NAME]\n"
		 "\n"
		 "SHARED defaults to [slurm] results, the partition to [slurm] partition.\n"
		 "\n"
		 "submit       expand a job file as the spool does (matrix, repeat, timeout)\n"
		 "             into a manifest under SHARED/sweeps/SWEEP and submit one\n"
		 "             job array: sbatch --array=0-(N-1)%P --exclusive --requeue,\n"
		 "             nodes with the 'zerosim' feature (and EPT off or enough\n"
		 "             address bits for the largest target), a 'swapgb' GRES for\n"
		 "             the swap the target needs beyond --node-ram-gb, --time from\n"
		 "             the timeout plus time to stop. --target-gb sizes the needs\n"
		 "             for runs that boot no target of their own. With --dry-run:\n"
		 "             the manifest and the sbatch command, nothing submitted\n"
		 "status       each run of a sweep: the settings that vary, its state (from\n"
		 "             Slurm and from its results), node, attempts, results\n"
		 "task         what each array task runs: entry SLURM_ARRAY_TASK_ID into\n"
		 "             SHARED/SWEEP/NAME-JOB_TASK-rRESTART; exit 75 (requeued\n"
		 "             elsewhere) when the host cannot run it now, 3 when refused\n"
		 "node-conf    this node's NodeName line for slurm.conf, from what the\n"
		 "             kernel reports (the swap it enabled); --dynamic: the string\n"
		 "             for 'slurmd -Z --conf'\n"
		 "healthcheck  the node checks; drain a failing node with a 'zsim:' reason,\n"
		 "             resume a passing one that only a 'zsim:' drain holds\n"
		 "             (Slurm's HealthCheckProgram)\n"
		 "epilog       destroy a target a job left running and set the knobs back\n"
		 "             to the config's (Slurm's Epilog; failing drains the node)\n",
	.flags = ZO_CMD_NEED_CONFIG,
	.subs = subs,
	.n_subs = ZO_ARRAY_SIZE(subs),
};
