/* The spool daemon: blocks on inotify and a signalfd (no polling: idle CPU
 * is zero), claims job files as they are dropped into the spool
 * (ops/spool.h), runs one at a time in a forked child, in a process group
 * of its own, and files each run as done or failed. One daemon per spool
 * (SPOOL/.zsim/serve.lock). Each run gets a new results directory made
 * below [paths] results by ops/resultdir.h (no "..", no symbolic links).
 * Its pid file (with what proves the process is the run) is written
 * before the child may begin. A run past its timeout, or running when
 * SIGTERM or SIGINT arrives, gets SIGTERM to clean up and SIGKILL a minute
 * later (it is filed as cancelled: a clean stop never requeues); after a
 * signal the daemon stops once its run has ended. SIGHUP is logged and
 * otherwise ignored: each run reads the config file again when it has
 * changed. A spool directory removed or moved away ends the daemon with an
 * error (after stopping its run), for the service manager to restart it. */
#ifndef ZO_OPS_SERVE_H
#define ZO_OPS_SERVE_H

#include <stdbool.h>

#include "util/ctx.h"
#include "util/log.h"

/* One run, as the child sees it. */
struct zo_serve_job {
	const char *results_dir; /* its own results directory, new and empty */
	/* the same directory, opened without following links: every file
	 * the run writes can be opened relative to it (openat) */
	int results_fd;
	int argc;
	char **argv; /* argv[0] is the experiment; NULL-terminated */
	/* The config file is not the one the daemon loaded: ctx->config is
	 * NULL, load it again (an edit applies to the next job). */
	bool config_changed;
};

/* Runs `job` in the daemon's forked child (stdout and stderr go to the
 * run's log; ctx is the child's copy, with lock_wait set so the run
 * waits for a command that holds the host lock). Returns the exit code
 * the run would have as `zsim-orch run`. */
typedef int (*zo_serve_run_fn)(struct zo_ctx *ctx, const struct zo_serve_job *job);

struct zo_serve_params {
	zo_serve_run_fn run;
	/* The daemon's own lines (claimed, rejected, started, finished...),
	 * every priority; ctx->log stays the runs' log. */
	struct zo_log journal;
};

/* Serve [paths] spool until SIGTERM or SIGINT. Returns 0 after a clean
 * stop, or -errno with ctx set when the spool cannot be set up, locked
 * (another daemon serves it: -EBUSY, refused) or watched, or was removed
 * while served. Sends READY=1 and STOPPING=1 to $NOTIFY_SOCKET (systemd
 * Type=notify). */
int zo_serve(struct zo_ctx *ctx, const struct zo_serve_params *params);

#endif
