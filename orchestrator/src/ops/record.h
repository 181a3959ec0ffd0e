/* Recording settings in the config file: what setup, swap, thin, ept and
 * target prepare learned, kept by stable ID so the next boot finds it. */
#ifndef ZO_OPS_RECORD_H
#define ZO_OPS_RECORD_H

#include "util/ctx.h"

/* Write `value` for [section] key into the config file (validated, kept
 * if unchanged, a plan line instead under --dry-run) and into ctx->config.
 * Returns 0 or -errno with the reason in ctx. */
int zo_config_record(struct zo_ctx *ctx, const char *section, const char *key,
		     const char *value);
/* Add a stable ID to [host] swap unless it is there. */
int zo_swap_record(struct zo_ctx *ctx, const char *stable_id);
/* Remove it again (thin remove). */
int zo_swap_unrecord(struct zo_ctx *ctx, const char *stable_id);

#endif
