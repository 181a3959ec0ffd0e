/* Setting the host knobs (core/knobs' table: 0sim's /proc/zerosim_*, TSC
 * offsetting, zswap, THP, KSM): every value is checked, then every knob is
 * checked to exist, and only then are they written, in order. */
#ifndef ZO_OPS_KNOBS_H
#define ZO_OPS_KNOBS_H

#include <stddef.h>

#include "core/knobs.h"
#include "util/ctx.h"

#define ZO_KNOBS_MAX 32

struct zo_knob_sets {
	struct {
		const struct zo_knob *knob;
		char *value; /* normalized: what is written */
	} v[ZO_KNOBS_MAX];
	size_t n;
};

void zo_knob_sets_release(struct zo_knob_sets *s);

/* Add NAME=VALUE. An unknown name (with the closest known one) or a value
 * the knob does not take fails as a usage error (ZO_FAIL_USAGE). */
int zo_knobs_add(struct zo_ctx *ctx, struct zo_knob_sets *s, const char *name,
		 const char *value);
/* Add the config's profile: [zswap] zpool, max_pool_percent, enabled and
 * the [zerosim] values that are set, then KSM off where the kernel has it.
 * On a stock kernel a [zerosim] value is refused (-EPERM), or skipped
 * with a warning under [host] require_0sim = no. */
int zo_knobs_add_profile(struct zo_ctx *ctx, struct zo_knob_sets *s);

/* Check that every knob exists (a 0sim knob on a stock kernel is refused,
 * -EPERM), then write each that differs, saying "NAME = VALUE (was OLD)"
 * or "(unchanged)" through zo_say(); under --dry-run, plan lines. */
int zo_knobs_write(struct zo_ctx *ctx, const struct zo_knob_sets *s);

#endif
