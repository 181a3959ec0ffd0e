#include "ctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/time.h"

#include "banned.h"

void zo_ctx_init(struct zo_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->root = "";
	ctx->lock_fd = -1;
	ctx->log.max_priority = LOG_NOTICE;
}

static int fail_v(struct zo_ctx *ctx, enum zo_fail_kind kind, int r, const char *fmt,
		  va_list ap)
{
	vsnprintf(ctx->error, sizeof(ctx->error), fmt, ap);
	ctx->fail_kind = kind;
	return r;
}

int zo_fail(struct zo_ctx *ctx, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = fail_v(ctx, ZO_FAIL_ERROR, r, fmt, ap);
	va_end(ap);
	return r;
}

int zo_refuse(struct zo_ctx *ctx, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = fail_v(ctx, ZO_FAIL_REFUSED, r, fmt, ap);
	va_end(ap);
	return r;
}

int zo_fail_transient(struct zo_ctx *ctx, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = fail_v(ctx, ZO_FAIL_TRANSIENT, r, fmt, ap);
	va_end(ap);
	return r;
}

void zo_clear_error(struct zo_ctx *ctx)
{
	ctx->error[0] = '\0';
	ctx->fail_kind = ZO_FAIL_ERROR;
}

static void out_v(struct zo_ctx *ctx, const char *fmt, va_list ap)
{
	char *line = NULL;
	int n;

	if (!ctx->out)
		return;
	n = vasprintf(&line, fmt, ap);
	/* a line that cannot be shown must not pass for an empty one */
	ctx->out(ctx->out_userdata, n < 0 ? "(out of memory formatting a line)" : line);
	if (n >= 0)
		free(line);
}

void zo_plan(struct zo_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_v(ctx, fmt, ap);
	va_end(ap);
}

void zo_say(struct zo_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_v(ctx, fmt, ap);
	va_end(ap);
}

/* The live line: a phase ends the line before it (it stays on the
 * terminal), an update rewrites the current one. */
static void live(struct zo_ctx *ctx, const char *line, bool new_phase)
{
	if (new_phase && ctx->progress_live)
		ctx->progress(ctx->progress_userdata, NULL);
	ctx->progress(ctx->progress_userdata, line);
	ctx->progress_live = true;
}

void zo_phase(struct zo_ctx *ctx, const char *fmt, ...)
{
	char *line = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (ctx->phase_fn)
		ctx->phase_fn(ctx->phase_userdata, line);
	if (ctx->progress_event) {
		ctx->progress_event(ctx->progress_userdata, ZO_PROGRESS_PHASE, line);
		ctx->progress_live = true;
	} else if (ctx->progress) {
		live(ctx, line, true);
	} else {
		zo_log(&ctx->log, LOG_NOTICE, "%s", line);
		ctx->progress_logged_ms = zo_now_ms();
	}
	free(line);
}

void zo_progressv(struct zo_ctx *ctx, const char *fmt, va_list ap)
{
	char *line = NULL;
	uint64_t now;

	if (ctx->progress_event) {
		if (vasprintf(&line, fmt, ap) < 0)
			return;
		ctx->progress_event(ctx->progress_userdata, ZO_PROGRESS_UPDATE, line);
		ctx->progress_live = true;
		free(line);
		return;
	}
	if (!ctx->progress) {
		/* a plain line now and then, so a long wait is seen to go on */
		now = zo_now_ms();
		if (ctx->progress_logged_ms && now - ctx->progress_logged_ms < ZO_PROGRESS_QUIET_MS)
			return;
		if (!ctx->progress_logged_ms) {
			/* the first update starts the clock: the phase said itself */
			ctx->progress_logged_ms = now;
			return;
		}
		ctx->progress_logged_ms = now;
		zo_logv(&ctx->log, LOG_NOTICE, fmt, ap);
		return;
	}
	if (vasprintf(&line, fmt, ap) < 0)
		return;
	live(ctx, line, false);
	free(line);
}

void zo_progress(struct zo_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	zo_progressv(ctx, fmt, ap);
	va_end(ap);
}

void zo_progress_end(struct zo_ctx *ctx)
{
	if (ctx->progress_event && ctx->progress_live)
		ctx->progress_event(ctx->progress_userdata, ZO_PROGRESS_END, NULL);
	else if (ctx->progress && ctx->progress_live)
		ctx->progress(ctx->progress_userdata, NULL);
	ctx->progress_live = false;
	ctx->progress_logged_ms = 0;
}
