/* zsim-orch queue: submit jobs to the spool and look after them. The daemon
 * (`zsim-orch serve`) runs them; see cmd/spool.h. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/spool.h"
#include "core/experiment.h"
#include "core/job.h"
#include "util/file.h"
#include "util/json.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

static int open_spool(struct zo_ctx *ctx, struct zo_spool *s)
{
	int r = zo_spool_open(ctx, s, false);

	if (r < 0) {
		zo_error(ctx, "no spool at %s (%s); 'zsim-orch serve' creates it",
			 s->dir ? s->dir : "?", strerror(-r));
		zo_spool_release(s);
		return ZO_EXIT_FAILED;
	}
	return ZO_EXIT_OK;
}

static int queue_submit(struct zo_ctx *ctx, int argc, char **argv)
{
	const struct zo_experiment *e;
	struct zo_exp_args parsed;
	struct zo_spool s = { 0 };
	struct zo_strbuf text = { 0 };
	_cleanup_free_ char *why = NULL, *name = NULL, *path = NULL;
	int i, r, ret;

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
	ret = open_spool(ctx, &s);
	if (ret)
		return ret;
	/* validated arguments are numbers and option names: no quoting needed */
	zo_strbuf_appendf(&text, "[job]\nexperiment = %s\nargs =", e->name);
	for (i = 2; i < argc; i++)
		zo_strbuf_appendf(&text, " %s", argv[i]);
	zo_strbuf_append(&text, "\n");
	name = zo_asprintf("%s-%llu-%ld", e->name, (unsigned long long)time(NULL), (long)getpid());
	r = name && text.buf ? zo_spool_submit(&s, name, text.buf, &path) : -ENOMEM;
	if (r < 0)
		zo_error(ctx, "cannot write to %s: %s", s.dir, strerror(-r));
	else
		printf("submitted %s\n", path);
	zo_strbuf_release(&text);
	zo_spool_release(&s);
	return r < 0 ? ZO_EXIT_FAILED : ZO_EXIT_OK;
}

static int queue_add(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_ini *ini = NULL;
	struct zo_diags diags = { 0 };
	struct zo_job_run *runs = NULL;
	struct zo_spool s = { 0 };
	_cleanup_free_ char *text = NULL, *why = NULL, *base = NULL, *path = NULL;
	const char *slash;
	size_t n = 0;
	int r, ret = ZO_EXIT_USAGE;

	if (argc != 2)
		return zo_usage_error(ctx, &zo_cmd_queue, "'queue add' takes one job file");
	r = zo_read_file(argv[1], ZO_JOB_MAX_BYTES, &text, NULL);
	if (r < 0) {
		zo_error(ctx, "%s: %s", argv[1], r == -EFBIG ? "larger than 64 KiB" : strerror(-r));
		return ZO_EXIT_FAILED;
	}
	slash = strrchr(argv[1], '/');
	base = strdup(slash ? slash + 1 : argv[1]);
	if (base && strlen(base) > 4 && !strcmp(base + strlen(base) - 4, ".job"))
		base[strlen(base) - 4] = '\0';
	if (zo_ini_load(argv[1], &ini, &diags) < 0) {
		zo_print_diags(argv[1], &diags);
		goto out;
	}
	if (zo_job_expand(ini, base ? base : "job", &runs, &n, &why) < 0) {
		zo_error(ctx, "%s: %s", argv[1], why ? why : "invalid job");
		goto out;
	}
	ret = open_spool(ctx, &s);
	if (ret)
		goto out;
	r = zo_spool_submit(&s, base, text, &path);
	if (r < 0) {
		zo_error(ctx, "cannot queue %s: %s%s", argv[1], strerror(-r),
			 r == -EEXIST ? " (a job of that name is waiting)" : "");
		ret = ZO_EXIT_FAILED;
	} else {
		printf("submitted %s (%zu run%s)\n", path, n, n == 1 ? "" : "s");
	}
	zo_spool_release(&s);
out:
	zo_job_runs_free(runs, n);
	zo_diags_release(&diags);
	zo_ini_free(ini);
	return ret;
}

static const char *str(json_object *m, const char *key)
{
	const char *v = m ? zo_json_get_str(m, key) : NULL;

	return v ? v : "-";
}

struct listed {
	char *id;
	const char *dir_state;
};

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct listed *)a)->id, ((const struct listed *)b)->id);
}

static int queue_ls(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_spool s = { 0 };
	json_object *all = NULL;
	struct listed *jobs = NULL;
	size_t k, njobs = 0;
	int c, ret;

	c = zo_json_options(ctx, &zo_cmd_queue, NULL, argc, argv);
	if (c >= 0)
		return c;
	ret = open_spool(ctx, &s);
	if (ret)
		return ret;
	if (ctx->json)
		all = json_object_new_array();
	else
		printf("%-18s %-9s %-10s %-24s %-20s %-25s %-25s %9s %s\n", "id", "state",
		       "experiment", "name", "args", "submitted", "started", "seconds", "results");
	/* one list in ID order, which is submission order, whatever the state */
	for (k = 0; k < ZO_SPOOL_STATES; k++) {
		char **ids = NULL;
		int n = zo_spool_list(&s, zo_spool_states[k], &ids), i;

		for (i = 0; i < n; i++) {
			struct listed *grown = realloc(jobs, (njobs + 1) * sizeof(*jobs));

			if (!grown)
				break;
			jobs = grown;
			jobs[njobs].id = ids[i];
			jobs[njobs++].dir_state = zo_spool_states[k];
			ids[i] = NULL;
		}
		for (i = 0; i < n; i++)
			free(ids[i]);
		free(ids);
	}
	if (jobs)
		qsort(jobs, njobs, sizeof(*jobs), by_id);
	for (k = 0; k < njobs; k++) {
		json_object *m = zo_spool_read_meta(&s, jobs[k].dir_state, jobs[k].id), *a, *d;
		struct zo_strbuf args = { 0 };
		const char *state = jobs[k].dir_state;
		size_t j;

		if (m && json_object_object_get_ex(m, "args", &a))
			for (j = 0; j < json_object_array_length(a); j++)
				zo_strbuf_appendf(&args, "%s%s", j ? " " : "",
						  json_object_get_string(json_object_array_get_idx(a, j)));
		if (m && zo_json_get_str(m, "status"))
			state = zo_json_get_str(m, "status");
		if (ctx->json) {
			if (!m)
				m = json_object_new_object();
			zo_json_add_str(m, "state", state);
			json_object_array_add(all, m);
			m = NULL;
		} else {
			printf("%-18s %-9s %-10s %-24s %-20s %-25s %-25s ", jobs[k].id, state,
			       str(m, "experiment"), str(m, "name"), args.buf ? args.buf : "",
			       str(m, "submitted"), str(m, "started"));
			if (m && json_object_object_get_ex(m, "duration_ms", &d))
				printf("%9.1f ", (double)json_object_get_int64(d) / 1000);
			else
				printf("%9s ", "-");
			printf("%s\n", str(m, "results"));
		}
		zo_strbuf_release(&args);
		if (m)
			json_object_put(m);
		free(jobs[k].id);
	}
	free(jobs);
	if (ctx->json) {
		zo_print_json(all);
		json_object_put(all);
	}
	zo_spool_release(&s);
	return ZO_EXIT_OK;
}

static int find_run(struct zo_ctx *ctx, struct zo_spool *s, int argc, char **argv,
		    const char *verb, const char **ret_state)
{
	int ret;

	if (argc != 2)
		return zo_usage_error(ctx, &zo_cmd_queue, "'queue %s' takes one job ID", verb);
	ret = open_spool(ctx, s);
	if (ret)
		return ret;
	*ret_state = zo_spool_find(s, argv[1]);
	if (!*ret_state) {
		zo_error(ctx, "no job %s in %s ('zsim-orch queue ls' lists them)", argv[1], s->dir);
		zo_spool_release(s);
		return ZO_EXIT_FAILED;
	}
	return ZO_EXIT_OK;
}

static int queue_show(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_spool s = { 0 };
	const char *state;
	json_object *m;
	int ret = find_run(ctx, &s, argc, argv, "show", &state);

	if (ret)
		return ret;
	m = zo_spool_read_meta(&s, state, argv[1]);
	if (m) {
		if (!zo_json_get_str(m, "status"))
			zo_json_add_str(m, "state", state);
		zo_print_json(m);
		json_object_put(m);
	}
	zo_spool_release(&s);
	return m ? ZO_EXIT_OK : ZO_EXIT_FAILED;
}

static int queue_cancel(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_spool s = { 0 };
	const char *state;
	int ret = find_run(ctx, &s, argc, argv, "cancel", &state);

	if (ret)
		return ret;
	if (!strcmp(state, "queued")) {
		/* the rename decides the race with the daemon starting it */
		if (zo_spool_move(&s, argv[1], "queued", "failed") < 0) {
			zo_error(ctx, "%s started meanwhile; cancel it again", argv[1]);
			ret = ZO_EXIT_FAILED;
		} else {
			json_object *m = zo_spool_read_meta(&s, "failed", argv[1]);

			if (m) {
				zo_json_add_str(m, "status", "cancelled");
				zo_spool_write_meta(&s, "failed", argv[1], m);
				json_object_put(m);
			}
			zo_spool_sync(&s);
			printf("%s: cancelled before it started\n", argv[1]);
		}
	} else if (!strcmp(state, "running")) {
		_cleanup_free_ char *cancel = zo_spool_path(&s, state, argv[1], "cancel");
		_cleanup_free_ char *pidfile = zo_spool_path(&s, state, argv[1], "pid");
		_cleanup_free_ char *pid = NULL;
		long p = 0;

		if (cancel)
			zo_write_file_atomic(cancel, "cancelled by zsim-orch queue cancel\n");
		if (pidfile && zo_read_line(pidfile, &pid) == 0)
			p = strtol(pid, NULL, 10);
		/* the run stops its target and restores the knobs on SIGTERM */
		if (p > 1 && kill((pid_t)-p, SIGTERM) == 0) {
			printf("%s: stopping (the run cleans up, then the daemon files it as "
			       "cancelled)\n",
			       argv[1]);
		} else {
			zo_error(ctx, "%s: cannot signal its process: %s", argv[1], strerror(errno));
			ret = ZO_EXIT_FAILED;
		}
	} else {
		zo_error(ctx, "%s already finished (%s)", argv[1], state);
		ret = ZO_EXIT_FAILED;
	}
	zo_spool_release(&s);
	return ret;
}

static int queue_log(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_spool s = { 0 };
	const char *state;
	bool follow = argc == 3 && !strcmp(argv[2], "-f");
	size_t shown = 0;
	int ret;

	if (argc == 3 && !follow)
		return zo_usage_error(ctx, &zo_cmd_queue, "'queue log' takes ID [-f]");
	ret = find_run(ctx, &s, follow ? 2 : argc, argv, "log", &state);
	if (ret)
		return ret;
	for (;;) {
		_cleanup_free_ char *path = zo_spool_path(&s, state, argv[1], "log");
		_cleanup_free_ char *text = NULL;
		size_t len = 0;

		if (path && zo_read_file(path, 64 * 1024 * 1024, &text, &len) == 0 && len > shown) {
			fwrite(text + shown, 1, len - shown, stdout);
			fflush(stdout);
			shown = len;
		}
		if (!follow || (strcmp(state, "running") && strcmp(state, "queued")))
			break;
		zo_sleep_ms(250, NULL);
		state = zo_spool_find(&s, argv[1]);
		if (!state)
			break;
	}
	zo_spool_release(&s);
	return ZO_EXIT_OK;
}

static int queue_retry(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_spool s = { 0 };
	const char *state;
	json_object *m;
	_cleanup_free_ char *id = NULL, *tmp = NULL, *dst = NULL, *meta = NULL;
	struct timespec ts;
	int ret = find_run(ctx, &s, argc, argv, "retry", &state);

	if (ret)
		return ret;
	if (strcmp(state, "failed") && strcmp(state, "done")) {
		zo_error(ctx, "%s is %s; only finished jobs can be retried", argv[1], state);
		zo_spool_release(&s);
		return ZO_EXIT_FAILED;
	}
	m = zo_spool_read_meta(&s, state, argv[1]);
	clock_gettime(CLOCK_REALTIME, &ts);
	id = zo_asprintf("%013llu-r", (unsigned long long)ts.tv_sec * 1000 +
					     (unsigned long long)ts.tv_nsec / 1000000);
	tmp = id ? zo_asprintf("%s/queued/.%s.tmp", s.state, id) : NULL;
	dst = id ? zo_spool_path(&s, "queued", id, NULL) : NULL;
	meta = tmp ? zo_asprintf("%s/job.json", tmp) : NULL;
	if (!m || !meta || mkdir(tmp, 0755) < 0) {
		zo_error(ctx, "cannot retry %s", argv[1]);
		ret = ZO_EXIT_FAILED;
	} else {
		json_object_object_del(m, "status");
		json_object_object_del(m, "exit");
		json_object_object_del(m, "started");
		json_object_object_del(m, "finished");
		json_object_object_del(m, "duration_ms");
		json_object_object_del(m, "results");
		zo_json_add_str(m, "id", id);
		zo_json_add_str(m, "retry_of", argv[1]);
		json_object_object_add(m, "attempt", json_object_new_int(0));
		if (zo_write_file_replace(meta, zo_json_text(m)) < 0 || rename(tmp, dst) < 0 ||
		    zo_spool_sync(&s) < 0) {
			zo_error(ctx, "cannot queue the retry: %s", strerror(errno));
			ret = ZO_EXIT_FAILED;
		} else {
			printf("%s: queued again as %s\n", argv[1], id);
		}
	}
	if (m)
		json_object_put(m);
	zo_spool_release(&s);
	return ret;
}

static int cmd_queue(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct zo_subcmd subs[] = {
		{ "add", queue_add, 0 },	    { "cancel", queue_cancel, 0 }, { "log", queue_log, 0 },
		{ "ls", queue_ls, 0 },	    { "retry", queue_retry, 0 },	{ "show", queue_show, 0 },
		{ "submit", queue_submit, 0 },
	};

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
		 "       zsim-orch queue log ID [-f]\n"
		 "\n"
		 "submit  write a job file for EXP ARGS (checked now) into [paths] spool\n"
		 "add     check FILE.job and put it into the spool\n"
		 "ls      every run: id, state, experiment, name, args, times, results\n"
		 "show    one run's record (JSON)\n"
		 "cancel  a queued run is dropped; a running one is stopped cleanly\n"
		 "log     its output; -f follows it until the run ends\n"
		 "retry   queue a finished run again\n"
		 "\n"
		 "A job file (INI, *.job, at most 64 KiB), dropped into the spool by root or\n"
		 "a member of group zsim:\n"
		 "  [job]\n"
		 "  experiment = exp00000\n"
		 "  args = 4096 1 --zeros --warmup\n"
		 "  name = zeros-4t      ; optional, default: the file name\n"
		 "  repeat = 3           ; optional\n"
		 "  timeout = 48h        ; optional: s, m, h or d\n"
		 "  [matrix]             ; optional: {key} in args over the product\n"
		 "  size = 64, 128, 256\n"
		 "Quoting in args: " ZO_JOB_QUOTING ". Only registered experiments run,\n"
		 "and every run's arguments are checked against its schema.\n",
	.flags = ZO_CMD_NEED_CONFIG,
};
