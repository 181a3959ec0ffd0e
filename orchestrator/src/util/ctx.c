#include "ctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
