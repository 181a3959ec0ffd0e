/* zsim-orch queue: submit jobs to the spool and look after them. The daemon
 * (`zsim-orch serve`) runs them; see ops/spool.h. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/experiment.h"
#include "core/job.h"
#include "ops/spool.h"
#include "util/json.h"
#include "util/str.h"

#include "util/banned.h"

static int queue_submit(struct zo_ctx *ctx, int argc, char **argv)
{
	const struct zo_experiment *e;
	struct zo_exp_args parsed;
	struct zo_spool s = { 0 };
	_cleanup_free_ char *why = NULL, *path = NULL;
	int r;

	if (argc < 2)
		return zo_usage_error(ctx, &zo_cmd_queue, "'queue submit' needs EXP [ARGS...]");
	e = zo_experiment_find(argv[1]);
	if (!e)
		return zo_usage_error(ctx, &zo_cmd_queue, "no experiment '%s' (zsim-orch run --list)",
				      argv[1]);
	/* checked now, not when the daemon gets to it */
	if (zo_exp_parse(e, argc - 2, argv + 2, &parsed, &why) < 0)
		return zo_usage_error(ctx, &zo_cmd_queue, "%s: %s", e->name, why ? why : "?");
	zo_exp_args_release(&parsed);
	r = zo_spool_open(ctx, &s, false);
	if (r >= 0)
		r = zo_spool_submit_run(ctx, &s, e->name, argc - 2, argv + 2, &path);
	if (r >= 0)
		printf("submitted %s\n", path);
	zo_spool_release(&s);
	return zo_exit_code(ctx, r);
}

static int queue_add(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_diags diags = { 0 };
	struct zo_job_file job = { 0 };
	struct zo_spool s = { 0 };
	_cleanup_free_ char *path = NULL;
	int r, ret;

	if (argc != 2)
		return zo_usage_error(ctx, &zo_cmd_queue, "'queue add' takes one job file");
	r = zo_spool_read_job(ctx, argv[1], &job, &diags);
	if (r == -EBADMSG) {
		/* not INI at all: every problem, with its line */
		zo_print_diags(argv[1], &diags);
		zo_diags_release(&diags);
		return ZO_EXIT_USAGE;
	}
	zo_diags_release(&diags);
	if (r >= 0)
		r = zo_spool_open(ctx, &s, false);
	if (r >= 0)
		r = zo_spool_submit_file(ctx, &s, argv[1], &job, &path);
	if (r >= 0)
		printf("submitted %s (%zu run%s)\n", path, job.runs, job.runs == 1 ? "" : "s");
	ret = zo_exit_code(ctx, r);
	zo_spool_release(&s);
	zo_job_file_release(&job);
	return ret;
}

static const char *str(json_object *m, const char *key)
{
	const char *v = m ? zo_json_get_str(m, key) : NULL;

	return v ? v : "-";
}

/* A run's record for --json: every key the daemon may write, null when
 * it has not (yet), then whatever else the record holds. `m` is checked
 * (zo_spool_check_meta) and freed. The phase is a running run's only. */
static json_object *run_json(const char *id, const char *state, json_object *m)
{
	static const char *const keys[] = {
		"name",	   "experiment", "args",    "job_file", "file",	"timeout_s",
		"attempt", "submitted",	 "started", "finished", "duration_ms", "exit",
		"status",  "results",	 "error",   "requeued", "interrupted_results",
		"retry_of",
	};
	json_object *o = json_object_new_object(), *v;
	size_t i;

	zo_json_add_str(o, "id", id);
	zo_json_add_str(o, "state", state);
	if (!strcmp(state, "running") && json_object_object_get_ex(m, "phase", &v))
		json_object_object_add(o, "phase", json_object_get(v));
	else
		zo_json_add_null(o, "phase");
	for (i = 0; i < ZO_ARRAY_SIZE(keys); i++)
		json_object_object_add(o, keys[i],
				       json_object_object_get_ex(m, keys[i], &v) ? json_object_get(v)
										: NULL);
	{
		json_object_object_foreach(m, key, val)
		{
			if (!json_object_object_get_ex(o, key, NULL))
				json_object_object_add(o, key, json_object_get(val));
		}
	}
	json_object_put(m);
	return o;
}

/* `m` is a checked record (zo_spool_check_meta): args is a list of
 * strings. */
static void print_run(const char *id, const char *state, json_object *m)
{
	struct zo_strbuf args = { 0 };
	json_object *a, *d;
	size_t j;

	if (json_object_object_get_ex(m, "args", &a))
		for (j = 0; j < json_object_array_length(a); j++)
			zo_strbuf_appendf(&args, "%s%s", j ? " " : "",
					  json_object_get_string(json_object_array_get_idx(a, j)));
	printf("%-18s %-9s %-10s %-24s %-20s %-25s %-25s ", id, state, str(m, "experiment"),
	       str(m, "name"), args.buf ? args.buf : "", str(m, "submitted"), str(m, "started"));
	if (json_object_object_get_ex(m, "duration_ms", &d))
		printf("%9.1f ", (double)json_object_get_int64(d) / 1000);
	else
		printf("%9s ", "-");
	/* last: it is long, and only a running run has one */
	printf("%s %s\n", str(m, "results"), strcmp(state, "running") ? "-" : str(m, "phase"));
	zo_strbuf_release(&args);
}

static int queue_ls(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_spool s = { 0 };
	struct zo_spool_entry *runs = NULL;
	json_object *all = NULL;
	size_t k, n = 0;
	int r;

	r = zo_json_options(ctx, &zo_cmd_queue, NULL, argc, argv);
	if (r >= 0)
		return r;
	if (optind < argc)
		return zo_usage_error(ctx, &zo_cmd_queue, "'queue ls' takes no arguments");
	r = zo_spool_open(ctx, &s, false);
	if (r < 0)
		return zo_exit_code(ctx, r);
	if (ctx->json)
		all = json_object_new_array();
	else
		printf("%-18s %-9s %-10s %-24s %-20s %-25s %-25s %9s %s %s\n", "id", "state",
		       "experiment", "name", "args", "submitted", "started", "seconds", "results",
		       "phase");
	zo_spool_list_all(&s, &runs, &n);
	for (k = 0; k < n; k++) {
		json_object *m = zo_spool_read_meta(&s, runs[k].state, runs[k].id);
		const char *why = NULL, *state;

		/* one bad record is reported and skipped, never the rest */
		if (zo_spool_check_meta(m, false, &why) < 0) {
			zo_warn(&ctx->log, "%s (%s): %s; left out", runs[k].id, runs[k].state, why);
			if (m)
				json_object_put(m);
			continue;
		}
		state = zo_json_get_str(m, "status") ? zo_json_get_str(m, "status") : runs[k].state;
		if (ctx->json) {
			json_object_array_add(all, run_json(runs[k].id, state, m));
			continue;
		}
		print_run(runs[k].id, state, m);
		json_object_put(m);
	}
	zo_spool_entries_free(runs, n);
	if (ctx->json) {
		json_object *o = json_object_new_object();

		zo_json_add_str(o, "spool", s.dir);
		json_object_object_add(o, "jobs", all);
		zo_print_json("queue.ls", o);
	}
	zo_spool_release(&s);
	return ZO_EXIT_OK;
}

/* The spool and the state of the run named by the one operand. */
static int find_run(struct zo_ctx *ctx, struct zo_spool *s, int argc, char **argv,
		    const char *verb, const char **ret_state)
{
	int r;

	if (argc != 2)
		return zo_usage_error(ctx, &zo_cmd_queue, "'queue %s' takes one job ID", verb);
	r = zo_spool_open(ctx, s, false);
	if (r >= 0)
		r = zo_spool_locate(ctx, s, argv[1], ret_state);
	if (r < 0)
		zo_spool_release(s);
	return zo_exit_code(ctx, r);
}

/* Always JSON; --json is accepted for symmetry with ls. */
static int queue_show(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_spool s = { 0 };
	const char *state, *status, *why = NULL;
	char *one[2];
	json_object *m;
	int ret = zo_json_options(ctx, &zo_cmd_queue, "queue show", argc, argv);

	if (ret >= 0)
		return ret;
	if (argc - optind != 1)
		return zo_usage_error(ctx, &zo_cmd_queue, "'queue show' takes one job ID");
	one[0] = argv[0];
	one[1] = argv[optind];
	ret = find_run(ctx, &s, 2, one, "show", &state);
	if (ret)
		return ret;
	m = zo_spool_read_meta(&s, state, one[1]);
	ret = ZO_EXIT_FAILED;
	if (!m) {
		zo_error(ctx, "%s (%s): job.json is missing, not JSON or not a JSON object", one[1],
			 state);
	} else if (zo_spool_check_meta(m, false, &why) < 0) {
		zo_error(ctx, "%s (%s): %s", one[1], state, why);
		json_object_put(m);
	} else {
		status = zo_json_get_str(m, "status");
		/* run_json frees m, and status with it */
		ret = zo_print_json("queue.show", run_json(one[1], status ? status : state, m)) < 0
			      ? ZO_EXIT_FAILED
			      : ZO_EXIT_OK;
	}
	zo_spool_release(&s);
	return ret;
}

static int queue_cancel(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_spool s = { 0 };
	const char *state, *why = NULL;
	int r, ret = find_run(ctx, &s, argc, argv, "cancel", &state);

	if (ret)
		return ret;
	r = zo_spool_cancel(ctx, &s, argv[1], state, &why);
	if (r == ZO_SPOOL_CANCELLED)
		printf("%s: cancelled before it started\n", argv[1]);
	else if (r == ZO_SPOOL_STOPPING)
		printf("%s: stopping (the run cleans up, then the daemon files it as "
		       "cancelled)\n",
		       argv[1]);
	else if (r == ZO_SPOOL_CANCEL_MARKED)
		printf("%s: nothing signalled (%s); marked as cancelled, the daemon files it as "
		       "cancelled\n",
		       argv[1], why);
	zo_spool_release(&s);
	return zo_exit_code(ctx, r);
}

static void emit_stdout(void *userdata, const char *text, size_t len)
{
	(void)userdata;
	fwrite(text, 1, len, stdout);
	fflush(stdout);
}

/* queue log --json: JSON Lines on stdout, each line of the log one
 * zsim.queue.log.line/1, the run's state and phase zsim.queue.log.state/1
 * whenever they change, and its outcome zsim.queue.log.end/1 last when it
 * has finished. */
struct log_json {
	const char *id;
	struct zo_strbuf pending; /* the start of a line not yet ended */
	const char *state;	  /* the last record's state */
	json_object *last;	  /* and the record */
};

/* A line longer than this is cut into several (memory stays bounded). */
#define LOG_LINE_MAX (64 * 1024)

static void log_line(struct log_json *lj, const char *text, size_t len)
{
	_cleanup_free_ char *valid = zo_utf8_copy(text, len);
	json_object *o = json_object_new_object();

	zo_json_add_str(o, "id", lj->id);
	zo_json_add_str(o, "text", valid ? valid : "");
	zo_print_json_line(stdout, "queue.log.line", o);
}

static void log_text(void *userdata, const char *text, size_t len)
{
	struct log_json *lj = userdata;
	const char *nl;

	while (len) {
		nl = memchr(text, '\n', len);
		if (nl && !lj->pending.len) {
			log_line(lj, text, (size_t)(nl - text));
		} else {
			size_t n = nl ? (size_t)(nl - text) : len;
			_cleanup_free_ char *piece = strndup(text, n);

			if (piece)
				zo_strbuf_append(&lj->pending, piece);
			if (nl || lj->pending.len >= LOG_LINE_MAX) {
				log_line(lj, lj->pending.buf ? lj->pending.buf : "",
					 lj->pending.len);
				lj->pending.len = 0;
			}
		}
		if (!nl)
			break;
		len -= (size_t)(nl - text) + 1;
		text = nl + 1;
	}
}

/* The record's state as queue ls shows it: its status once filed. */
static const char *shown_state(const char *state, json_object *m)
{
	const char *status = m ? zo_json_get_str(m, "status") : NULL;

	return status ? status : state;
}

static void log_record(void *userdata, const char *state, json_object *m)
{
	struct log_json *lj = userdata;
	json_object *o = json_object_new_object(), *v;

	zo_json_add_str(o, "id", lj->id);
	zo_json_add_str(o, "state", shown_state(state, m));
	if (!strcmp(state, "running") && m && json_object_object_get_ex(m, "phase", &v))
		json_object_object_add(o, "phase", json_object_get(v));
	else
		zo_json_add_null(o, "phase");
	zo_print_json_line(stdout, "queue.log.state", o);
	if (lj->last)
		json_object_put(lj->last);
	lj->last = m ? json_object_get(m) : NULL;
	lj->state = state;
}

/* The outcome of a finished run, from its last record. */
static void log_end(struct log_json *lj)
{
	static const char *const keys[] = { "exit", "status", "results", "error", "duration_ms" };
	json_object *o, *v;
	size_t i;

	if (!lj->state || !strcmp(lj->state, "running") || !strcmp(lj->state, "queued"))
		return;
	o = json_object_new_object();
	zo_json_add_str(o, "id", lj->id);
	zo_json_add_str(o, "state", shown_state(lj->state, lj->last));
	for (i = 0; i < ZO_ARRAY_SIZE(keys); i++)
		json_object_object_add(o, keys[i],
				       lj->last && json_object_object_get_ex(lj->last, keys[i], &v)
					       ? json_object_get(v)
					       : NULL);
	zo_print_json_line(stdout, "queue.log.end", o);
}

static int show_log(struct zo_ctx *ctx, struct zo_spool *s, const char *id, const char *state,
		    bool follow)
{
	struct log_json lj = { .id = id };
	struct zo_spool_log_reader rd = { .text = emit_stdout };
	int r;

	if (ctx->json)
		rd = (struct zo_spool_log_reader){ .text = log_text, .record = log_record,
						   .userdata = &lj };
	r = zo_spool_show_log(ctx, s, id, state, follow, &rd);
	if (ctx->json && lj.pending.len)
		log_line(&lj, lj.pending.buf, lj.pending.len);
	if (ctx->json && r >= 0)
		log_end(&lj);
	if (lj.last)
		json_object_put(lj.last);
	zo_strbuf_release(&lj.pending);
	/* stopped by SIGINT/SIGTERM: the stream ends after a whole line */
	if (r == -EINTR && rd.signal)
		return 128 + rd.signal;
	return zo_exit_code(ctx, r);
}

static int queue_log(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct zo_spool s = { 0 };
	const char *state;
	char *one[2];
	bool follow = false;
	int c, ret;

	/* ID -f, -f ID and --follow alike (GNU getopt permutes) */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fh", opts, NULL)) != -1) {
		if (c == 'f') {
			follow = true;
		} else if (c == 'j') {
			ctx->json = true;
		} else if (c == 'h') {
			zo_cmd_print_usage(&zo_cmd_queue, stdout);
			return ZO_EXIT_OK;
		} else {
			return zo_usage_error(ctx, &zo_cmd_queue, "unknown option '%s' for 'queue log'",
					      argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return zo_usage_error(ctx, &zo_cmd_queue, "'queue log' takes ID [-f] [--json]");
	one[0] = argv[0];
	one[1] = argv[optind];
	ret = find_run(ctx, &s, 2, one, "log", &state);
	if (ret)
		return ret;
	ret = show_log(ctx, &s, one[1], state, follow);
	zo_spool_release(&s);
	return ret;
}

static int queue_retry(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_spool s = { 0 };
	const char *state;
	_cleanup_free_ char *id = NULL;
	int r, ret = find_run(ctx, &s, argc, argv, "retry", &state);

	if (ret)
		return ret;
	r = zo_spool_retry(ctx, &s, argv[1], state, &id);
	if (r >= 0)
		printf("%s: queued again as %s\n", argv[1], id);
	zo_spool_release(&s);
	return zo_exit_code(ctx, r);
}

static const struct zo_opt json_opt[] = { { "json", 0, NULL }, { NULL, 0, NULL } };
static const struct zo_opt log_opts[] = {
	{ "follow", 'f', NULL }, { "json", 0, NULL }, { NULL, 0, NULL },
};
static const struct zo_subcmd subs[] = {
	{ "add", queue_add, 0, NULL, "FILE.job" },
	{ "cancel", queue_cancel, 0, NULL, "ID" },
	{ "log", queue_log, 0, log_opts, "ID" },
	{ "ls", queue_ls, 0, json_opt, NULL },
	{ "retry", queue_retry, 0, NULL, "ID" },
	{ "show", queue_show, 0, json_opt, "ID" },
	{ "submit", queue_submit, 0, NULL, "EXP ARGS..." },
};

static int cmd_queue(struct zo_ctx *ctx, int argc, char **argv)
{
	return zo_dispatch_sub(ctx, &zo_cmd_queue, subs, ZO_ARRAY_SIZE(subs), argc, argv);
}

const struct zo_cmd zo_cmd_queue = {
	.name = "queue",
	.fn = cmd_queue,
	.summary = "queue experiments in the spool for the daemon",
	.usage = "zsim-orch queue submit EXP ARGS...\n"
		 "       zsim-orch queue add FILE.job\n"
		 "       zsim-orch queue ls [--json]\n"
		 "       zsim-orch queue show|cancel|retry ID\n"
		 "       zsim-orch queue log [-f] [--json] ID\n"
		 "\n"
		 "submit  write a job file for EXP ARGS (checked now) into [paths] spool\n"
		 "add     check FILE.job and put it into the spool\n"
		 "ls      every run: id, state, experiment, name, args, times, results and\n"
		 "        the phase a running one is in\n"
		 "show    one run's record (JSON)\n"
		 "cancel  a queued run is dropped; a running one is stopped cleanly (only a\n"
		 "        process proven to be the run is signalled)\n"
		 "log     its output; -f (--follow) follows it until the run ends (or\n"
		 "        SIGINT/SIGTERM: exit 130/143). --json: JSON Lines, one object a\n"
		 "        line: zsim.queue.log.state/1 (id, state, phase) first and at each\n"
		 "        change, zsim.queue.log.line/1 (id, text) for each line of output,\n"
		 "        and zsim.queue.log.end/1 (id, state, exit, status, results, error,\n"
		 "        duration_ms) last once the run has finished\n"
		 "retry   queue a finished run again, under a new ID\n"
		 "\n"
		 "IDs look like 1700000000000-0001 (a retry: 1700000000000-r); nothing else\n"
		 "is taken for one.\n"
		 "\n"
		 "A job file (INI, *.job, at most 64 KiB), dropped into the spool by root or\n"
		 "a member of group zsim:\n"
		 "  [job]\n"
		 "  experiment = exp00000\n"
		 "  args = 4096 1 --zeros --warmup\n"
		 "  name = zeros-4t      ; optional, default: the file name\n"
		 "  repeat = 3           ; optional\n"
		 "  timeout = 48h        ; optional: s, m, h or d, at most 365d\n"
		 "  [matrix]             ; optional: {key} in args over the product\n"
		 "  size = 64, 128, 256\n"
		 "The name, [matrix] keys and values use letters, digits, '_', '.' and '-'\n"
		 "(they name the results directory).\n"
		 "Quoting in args: " ZO_JOB_QUOTING ". Only registered experiments run,\n"
		 "and every run's arguments are checked against its schema.\n",
	.flags = ZO_CMD_NEED_CONFIG,
	.subs = subs,
	.n_subs = ZO_ARRAY_SIZE(subs),
};
