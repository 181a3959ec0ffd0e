/* device-mapper through libdevmapper: the only file that calls it. Names
 * are dm device names ("zsim-pool"). Every function takes the context: the
 * root prefix tells libdevmapper where /dev and /sys are, and a failure
 * returns -errno with the kernel's or libdevmapper's own words in
 * ctx->error (strerror when it said nothing). */
#ifndef ZO_SYS_THIN_H
#define ZO_SYS_THIN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/ctx.h"

struct zo_dm_info {
	bool exists;
	bool suspended;
	dev_t devno;
	int open_count;
	unsigned target_count;
};

int zo_dm_info(struct zo_ctx *ctx, const char *name, struct zo_dm_info *ret);
/* Create `name` with a one-target table and resume it. */
int zo_dm_create(struct zo_ctx *ctx, const char *name, const char *target, uint64_t sectors,
		 const char *params, dev_t *ret_devno);
int zo_dm_message(struct zo_ctx *ctx, const char *name, const char *message);
int zo_dm_remove(struct zo_ctx *ctx, const char *name);
/* The first target's type and status or table parameters. */
int zo_dm_status(struct zo_ctx *ctx, const char *name, char **ret_type, char **ret_params);
int zo_dm_table(struct zo_ctx *ctx, const char *name, char **ret_type, uint64_t *ret_sectors,
		char **ret_params);

#endif
