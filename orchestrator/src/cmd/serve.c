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
 * RESULTS EXP ARGS...` does, output and exit code included, with the
 * config read again if it changed. The daemon made RESULTS, new, below
 * [paths] results (ops/resultdir). */
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
	r = zo_run_argv_at(ctx, job->results_dir, job->results_fd, job->argc, job->argv,
			   &results);
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
		 "experiments one at a time as 'zsim-orch run', each into a new results\n"
		 "directory below [paths] results (made without following links), filing\n"
		 "it under done or failed with exit status and times. One daemon per\n"
		 "spool: a second one exits naming the first. Symlinks, hard links,\n"
		 "FIFOs, devices, files over 64 KiB and files of users neither root nor\n"
		 "in group zsim are moved to .zsim/rejected with an .error. A run found\n"
		 "running after a crash (kill -9, power loss) is queued again once; its\n"
		 "old process is signalled only when proven to be it (boot ID and start\n"
		 "time). A run that exits 75 (the host did not answer) is queued again\n"
		 "once, its partial results set aside as RESULTS.attempt1-tempfail.\n"
		 "Logs go to stderr with <N> priorities for journald; READY=1 and STATUS=\n"
		 "lines naming the running job and its phase go to $NOTIFY_SOCKET\n"
		 "(systemd Type=notify: systemctl status shows them). SIGTERM or SIGINT\n"
		 "(as at shutdown) cancels the running job cleanly and exits: it is filed\n"
		 "as cancelled, not queued again ('zsim-orch queue retry ID' runs it\n"
		 "again).\n"
		 "SIGHUP is logged and ignored: each run reads the config file again when\n"
		 "it has changed. If the spool directory is removed, serve stops its run\n"
		 "and exits 1.\n",
	.flags = ZO_CMD_NEED_CONFIG,
};
