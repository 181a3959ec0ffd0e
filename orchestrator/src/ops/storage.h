/* Storage operations: swap devices by stable ID, the dm-thin pool with its
 * thin volume used as swap (create, activate, remove, with undo), and
 * setup composed of both. Every device is resolved and safety-checked
 * before anything is written to it.
 *
 * They never print: a result the user asked for goes through zo_say, a
 * --dry-run plan line through zo_plan (the dm tables shown are the ones
 * that would be sent, from the same builder), and a failure returns -errno
 * with ctx->error set (kind REFUSED for a safety refusal, USAGE for input
 * that cannot work). */
#ifndef ZO_OPS_STORAGE_H
#define ZO_OPS_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/swapcost.h"
#include "core/thin.h"
#include "sys/blockdev.h"
#include "util/ctx.h"

/* --- swap (ops/swap.c) --- */

struct zo_swap_add {
	const char *device;   /* as the user wrote it */
	const char *priority; /* --priority as given, checked (then recorded), or NULL */
	const char *label;    /* the header's label, or NULL */
	bool discard;         /* --discard (then recorded) */
	bool force;           /* overwrite signatures (never a device in use) */
};

/* Write a swap header on the device, check it with libblkid, turn it on
 * and record its UUID in [host] swap. A device carrying a header already
 * recorded is only turned on. */
int zo_swap_add(struct zo_ctx *ctx, const struct zo_swap_add *a);
/* What `swap on` does: turn on every device in [host] swap. */
int zo_swap_on_recorded(struct zo_ctx *ctx);
/* What `swap off` does. */
int zo_swap_off_recorded(struct zo_ctx *ctx);

/* One recorded swap device and what it is now. */
struct zo_swap_device {
	char *id;        /* as recorded */
	char *devnode;   /* where it is now; NULL when it does not resolve */
	int resolve_error; /* the -errno when devnode is NULL */
	uint64_t size;
	bool active;     /* in /proc/swaps */
	uint64_t used;
	int priority;
};

int zo_swap_status(struct zo_ctx *ctx, struct zo_swap_device **ret, size_t *ret_n);
void zo_swap_devices_free(struct zo_swap_device *v, size_t n);

/* For the storage operations. */

/* swapon `d` with [host] swap_priority and swap_discard unless it is on
 * (*ret_changed says whether it was turned on); under --dry-run a plan
 * line. The message names only the device: callers say more. */
int zo_swap_enable(struct zo_ctx *ctx, const struct zo_blockdev *d, bool *ret_changed);
/* Write a swap header and read it back with libblkid; the new UUID in
 * ret_uuid. */
int zo_swap_format(struct zo_ctx *ctx, const struct zo_blockdev *d, const char *label,
		   char ret_uuid[37]);
/* 1 if `id` is in [host] swap, 0 if not. */
int zo_swap_is_recorded(struct zo_ctx *ctx, const char *id);
/* Whether `d` carries a swap header whose UUID is recorded; its
 * "UUID=..." in *ret_tag when it does (ret_tag may be NULL). */
bool zo_swap_is_ours(struct zo_ctx *ctx, const struct zo_blockdev *d, char **ret_tag);

/* What swapon of a swap area would cost in RAM here, and what the host
 * has to give. */
struct zo_swap_estimate {
	struct zo_swap_kernel kernel; /* the facts the model was given */
	struct zo_swap_cost cost;
	uint64_t mem_available; /* bytes; 0 when /proc/meminfo does not say */
	uint64_t budget;        /* the share of MemAvailable swap's tables may take */
	uint64_t max_bytes;     /* the largest swap area that fits the budget */
};

/* Read the running kernel's facts (release, page size, memcg and swap
 * accounting, frontswap, the kernel config under /boot when there is one,
 * whether device `devno` rotates) and estimate the cost of `bytes` of
 * swap on it; never fails for want of a fact (an unknown one counts as
 * the costlier answer). */
int zo_swap_estimate(struct zo_ctx *ctx, dev_t devno, uint64_t bytes, struct zo_swap_estimate *ret);
/* "7.9G of RAM on this kernel (8443084800 bytes, 3.145 bytes a 4K page:
 * swap_map 1.004, ...)"; malloc'd. */
char *zo_swap_estimate_text(const struct zo_swap_estimate *e);

/* --- the thin pool (ops/thin.c) --- */

struct zo_thin_create {
	const char *data;     /* the data device as the user wrote it */
	const char *metadata; /* a file or a device; NULL: [thin] metadata */
	uint64_t virtual_bytes, block_bytes, low_water_bytes;
	/* The size options as given: recorded in [thin] when set. */
	const char *virtual_opt, *block_opt, *low_opt;
	bool force;
};

/* Sizes from [thin] (0 where unset) and no options: what create does
 * with none given. */
void zo_thin_create_defaults(struct zo_ctx *ctx, const char *data, struct zo_thin_create *ret);
/* What `thin create` does: the pool over the data device, the volume on
 * it formatted as swap and turned on, both recorded; undone on failure.
 * The recorded pool's own data device is only activated. */
int zo_thin_create(struct zo_ctx *ctx, const struct zo_thin_create *c);
/* Refuse (exit 3) a thin volume of `virtual_bytes` on `data` when this host
 * cannot spare the RAM swapon would take, the message ending in `suffix`;
 * `say`: state the cost when it can. */
int zo_thin_swap_cost_check(struct zo_ctx *ctx, const struct zo_blockdev *data,
			    uint64_t virtual_bytes, bool say, const char *suffix);
/* What `thin activate` does: restore the recorded pool and volume and turn
 * the volume's swap on; nothing to what is already up. */
int zo_thin_activate(struct zo_ctx *ctx);
/* What `thin remove` does: swapoff the volume, remove both devices, delete
 * the metadata file and forget the pool in the config. */
int zo_thin_remove(struct zo_ctx *ctx);
/* The running pool's status, block size (sectors) and low-water mark
 * (blocks). On failure ctx->error holds libdevmapper's words (or the
 * errno's). */
int zo_thin_pool_read(struct zo_ctx *ctx, struct zo_thin_pool_status *ret,
		      uint64_t *ret_block_sectors, uint64_t *ret_low_water);

struct zo_thin_state {
	bool pool_active, volume_active;
	struct zo_thin_pool_status pool; /* when pool_active */
	uint64_t block_sectors, low_water_blocks;
	bool nearly_full;
	uint64_t volume_sectors, mapped_sectors; /* when volume_active */
};

/* What `thin status` shows. */
int zo_thin_state_read(struct zo_ctx *ctx, struct zo_thin_state *ret);

/* --- setup (ops/storage.c) --- */

struct zo_home;

/* What `setup` does: resolve and safety-check every device (nothing is
 * written if one fails), then swap add each swap device, thin create on
 * the mapper device (NULL: none), the home device (NULL: none; ops/home.h)
 * and swap on. */
int zo_setup(struct zo_ctx *ctx, char *const *swap, size_t n_swap, const char *mapper,
	     const struct zo_home *home, bool force);

/* For the storage operations. */

/* The safety rule for a device about to be written: a refusal says what
 * was found and ends with `suffix`; otherwise 0 with the warning to give
 * for an overwrite under --force in *ret_warning (NULL when none). */
int zo_storage_check(struct zo_ctx *ctx, const struct zo_blockdev *d, const char *purpose,
		     bool force, const char *suffix, char **ret_warning);
/* Mark the failure just described as a usage error (exit 2); returns r. */
int zo_fail_as_usage(struct zo_ctx *ctx, int r);

#endif
