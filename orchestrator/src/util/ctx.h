/* The one context every floor below the commands takes: where the system
 * is (root prefix), what it is configured to, how to log, and the error the
 * last failing operation described. Commands choose exit codes from it;
 * nothing below them prints or exits. */
#ifndef ZO_UTIL_CTX_H
#define ZO_UTIL_CTX_H

#include <stdbool.h>

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
	struct zo_log log;
	zo_out_fn out;
	void *out_userdata;
	/* A long wait's progress, one line rewritten in place; NULL line: the
	 * wait is over. NULL when nobody watches (not a terminal). */
	zo_out_fn progress;
	void *progress_userdata;
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

#endif
