/* The host lock: one command at a time changes this host. An flock on
 * [paths] state/lock, taken by every command that changes the host and
 * released when it exits (or dies: the kernel drops the lock). The file
 * holds the holder's pid and command line so a refusal can name it. */
#ifndef ZO_OPS_LOCK_H
#define ZO_OPS_LOCK_H

#include "util/ctx.h"

/* Take the lock for `what` ("thin create"). Held already by another
 * process: refused (-EBUSY, zo_refuse naming the holder) unless
 * ctx->lock_wait, then wait. Taking it twice in one process is a no-op.
 * The lock stays held until zo_host_unlock or exit; a child forked after
 * this shares it. */
int zo_host_lock(struct zo_ctx *ctx, const char *what);
void zo_host_unlock(struct zo_ctx *ctx);
/* The lock file, with the root prefix; NULL on allocation failure. */
char *zo_host_lock_path(const struct zo_ctx *ctx);

#endif
