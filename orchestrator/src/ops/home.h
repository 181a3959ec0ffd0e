/* A disk for /home: a GPT with one partition, ext4 or xfs on it, the old
 * /home copied over (owners, modes, times, links, extended attributes),
 * compared, then the disk mounted on /home and recorded by its
 * filesystem's UUID in /etc/fstab and [host] home. The old contents stay
 * until the copy is verified. Running it again finds the recorded
 * filesystem on the disk and only makes sure it is mounted.
 *
 * Never prints: results through zo_say, --dry-run plans through zo_plan,
 * failures as -errno with ctx->error set (REFUSED for the safety rule). */
#ifndef ZO_OPS_HOME_H
#define ZO_OPS_HOME_H

#include <stdbool.h>

#include "util/ctx.h"

struct zo_home {
	const char *device; /* the whole disk, as the user wrote it */
	const char *mount;  /* --home-mount; NULL: [host] home_mount (/home) */
	const char *fs;     /* "ext4" or "xfs"; NULL: ext4 */
	bool force;         /* overwrite a signature (never a disk in use) */
};

/* Everything `setup --home-device` checks before it writes: the disk
 * (resolved, the safety rule, not a partition), the directory (not a
 * mount point, nothing mounted below it, no fstab line for it) and the
 * programs it runs. 0 also when the disk already holds the recorded home
 * filesystem. */
int zo_home_check(struct zo_ctx *ctx, const struct zo_home *h);
/* Check, then move the directory onto the disk (or, when the disk holds
 * the recorded filesystem, make sure it is mounted). */
int zo_home_setup(struct zo_ctx *ctx, const struct zo_home *h);

#endif
