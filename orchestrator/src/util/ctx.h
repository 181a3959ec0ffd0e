/* The one context every floor below the commands takes: where the system
 * is (root prefix), what it is configured to, how to log, and the error the
 * last failing operation described. Commands choose exit codes from it;
 * nothing below them prints or exits. */
#ifndef ZO_UTIL_CTX_H
#define ZO_UTIL_CTX_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "log.h"
#include "macros.h"

struct zo_config;

/* How an operation failed, for the command to turn into an exit code. */
enum zo_fail_kind {
	ZO_FAIL_ERROR = 0, /* it went wrong: exit 1 */
	ZO_FAIL_REFUSED,   /* a safety or preflight rule said no: exit 3 */
	ZO_FAIL_TRANSIENT, /* the host is not answering now: exit 75 */
	ZO_FAIL_USAGE,     /* the arguments or the config cannot work: exit 2 */
};

/* Where output lines go (stdout in the program, a buffer in tests). */
typedef void (*zo_out_fn)(void *userdata, const char *line);

/* What long work reports, for --progress-json: a phase begins, a phase
 * got further (an update), the work is over (line NULL). */
enum zo_progress_kind { ZO_PROGRESS_PHASE, ZO_PROGRESS_UPDATE, ZO_PROGRESS_END };
typedef void (*zo_progress_event_fn)(void *userdata, enum zo_progress_kind kind,
				     const char *line);

struct zo_ctx {
	const char *root;        /* "" when not set */
	const char *config_path; /* the file to read (explicit or default) */
	bool config_explicit;    /* given with --config */
	const char *connect;     /* --connect, or NULL */
	struct zo_config *config;
	bool dry_run;
	bool json;
	bool lock_wait; /* wait for the host lock instead of refusing */
	int lock_fd;    /* the host lock while held, else -1 */
	/* What the command's descriptor asks (its NEED_ROOT and NEED_LOCK
	 * flags) and the command has not taken yet: it takes them once its
	 * arguments are parsed and valid (cmd/ zo_cmd_parsed), so a bad
	 * argument is a usage error even while another command holds the
	 * host. `needs_what` names the command for the lock ("thin create"). */
	unsigned needs;
	char needs_what[64];
	struct zo_log log;
	zo_out_fn out;
	void *out_userdata;
	/* Long work's progress, one line rewritten in place; NULL line: end
	 * it. Set by main when stderr is a terminal or with --progress, not
	 * with -q. Operations go through zo_phase()/zo_progress(), which say
	 * the same in plain log lines when it is NULL. */
	zo_out_fn progress;
	/* --progress-json: every phase, update and end goes here instead,
	 * with progress_userdata, neither the live line nor plain lines */
	zo_progress_event_fn progress_event;
	void *progress_userdata;
	bool progress_forced; /* --progress */
	bool progress_live;   /* a line is on the terminal, not yet ended */
	uint64_t progress_logged_ms; /* the last plain progress line, or 0 */
	/* Told each phase a long operation enters (for serve's STATUS= and
	 * queue ls); NULL when nobody listens. */
	zo_out_fn phase_fn;
	void *phase_userdata;
	/* The last failure an operation described; empty when none. */
	char error[2048];
	enum zo_fail_kind fail_kind;
};

void zo_ctx_init(struct zo_ctx *ctx);
/* Record why an operation failed and return `r` (a -errno) so an
 * operation can `return zo_fail(ctx, -EIO, "...")`. The message names
 * what failed, the cause, and what to do. */
int zo_fail(struct zo_ctx *ctx, int r, const char *fmt, ...) ZO_PRINTF(3, 4);
/* The same, for a refusal by a safety or preflight rule. */
int zo_refuse(struct zo_ctx *ctx, int r, const char *fmt, ...) ZO_PRINTF(3, 4);
/* The same, for a failure that another host (or later) would not have. */
int zo_fail_transient(struct zo_ctx *ctx, int r, const char *fmt, ...) ZO_PRINTF(3, 4);
/* Forget an earlier failure (after a fallback succeeded). */
void zo_clear_error(struct zo_ctx *ctx);
/* One line of a --dry-run plan: what would be done or sent. */
void zo_plan(struct zo_ctx *ctx, const char *fmt, ...) ZO_PRINTF(2, 3);
/* One line of a result the user asked for, from below the commands (an
 * experiment's progress, the preflight table during a run). */
void zo_say(struct zo_ctx *ctx, const char *fmt, ...) ZO_PRINTF(2, 3);

/* Progress of long work (like git's): on a terminal one live line on
 * stderr, rewritten in place; without one (journald, Slurm, a pipe) one
 * plain notice per phase and at most one per ZO_PROGRESS_QUIET_MS of
 * updates, never a carriage return; -q: nothing.
 *
 * zo_phase: the work enters a phase ("thin create: writing the swap
 * header"); also told to ctx->phase_fn. zo_progress: how far the phase
 * has got ("copying the image: 1.2 GiB of 2.0 GiB"). zo_progress_end:
 * the work is over (ends the live line). */
#define ZO_PROGRESS_QUIET_MS (5 * 60 * 1000)
void zo_phase(struct zo_ctx *ctx, const char *fmt, ...) ZO_PRINTF(2, 3);
void zo_progress(struct zo_ctx *ctx, const char *fmt, ...) ZO_PRINTF(2, 3);
void zo_progressv(struct zo_ctx *ctx, const char *fmt, va_list ap) ZO_PRINTF(2, 0);
void zo_progress_end(struct zo_ctx *ctx);

#endif
