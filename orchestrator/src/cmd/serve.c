/* zsim-orch serve: the spool daemon (ops/serve.h runs it; the layout is
 * in ops/spool.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "ops/lock.h"
#include "ops/run.h"
#include "ops/serve.h"

#include "util/banned.h"

/* journald reads "<N>" at the start of a line as the priority */
static void journal_line(void *userdata, int priority, const char *fmt, va_list ap)
{
	(void)userdata;
	fprintf(stderr, "<%d>", priority);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* One job, in the daemon's forked child: what `zsim-orch run --results-dir
 * RESULTS EXP ARGS...` does, with the config read again if it changed. */
/* In the forked child: what `zsim-orch run --results-dir DIR EXP ARGS...`
 * does, output and exit code included. */
static int run_job(struct zo_ctx *ctx, const struct zo_serve_job *job)
{
	char *results = NULL;
	int r;

	if (job->config_changed) {
		r = zo_load_config(ctx);
		if (r != ZO_EXIT_OK)
			return r;
	}
	r = zo_run_check_argv(ctx, job->argc, job->argv);
	if (r < 0)
		return zo_exit_code(ctx, r);
	/* a run waits for a command changing the host, as a queue should */
	ctx->lock_wait = true;
	r = zo_cmd_require(ctx, ZO_CMD_NEED_LOCK, "run");
	if (r >= 0)
		return r;
	r = zo_run_argv(ctx, job->results_dir, job->argc, job->argv, &results);
	zo_host_unlock(ctx);
	return zo_run_done(ctx, r, results);
}

static int cmd_serve(struct zo_ctx *ctx, int argc, char **argv)
{
	const struct zo_serve_params params = {
		.run = run_job,
		.journal = { .fn = journal_line, .max_priority = LOG_DEBUG },
	};
	int r;

	r = zo_no_options(ctx, &zo_cmd_serve, argc, argv);
	if (r >= 0)
		return r;
	if (argc > 1)
		return zo_usage_error(ctx, &zo_cmd_serve, "'serve' takes no arguments");
	return zo_exit_code(ctx, zo_serve(ctx, &params));
}

const struct zo_cmd zo_cmd_serve = {
	.name = "serve",
	.fn = cmd_serve,
	.summary = "the spool daemon: run queued jobs one at a time",
	.usage = "zsim-orch serve\n"
		 "\n"
		 "Watches [paths] spool with inotify (names starting with '.' or ending in\n"
		 ".tmp are ignored), claims each *.job by renaming it, and runs its\n"
		 "experiments one at a time as 'zsim-orch run', each into its own results\n"
		 "directory, filing it under done or failed with exit status and times.\n"
		 "Symlinks, hard links, FIFOs, devices, files over 64 KiB and files of\n"
		 "users neither root nor in group zsim are moved to .zsim/rejected with an\n"
		 ".error. A run found running after a crash is queued again once. Logs go\n"
		 "to stderr with <N> priorities for journald; READY=1 goes to\n"
		 "$NOTIFY_SOCKET (systemd Type=notify); SIGTERM cancels the running job\n"
		 "cleanly and exits.\n",
	.flags = ZO_CMD_NEED_CONFIG,
};
