/* Mounting (mount(2), umount2(2)) and what /proc/self/mountinfo says
 * about a directory. Paths are absolute under the root prefix. */
#ifndef ZO_SYS_MOUNT_H
#define ZO_SYS_MOUNT_H

#include <sys/types.h>

/* 1 when `path` is a mount point (its device number in *ret_devno, 0 for
 * a filesystem without one), 0 when it is not, -errno. */
int zo_mount_point(const char *root, const char *path, dev_t *ret_devno);
/* 1 and the first mount point strictly below `path` in *ret, 0 when there
 * is none, -errno. */
int zo_mount_below(const char *root, const char *path, char **ret);

/* mount(2) of a block device; `target` is a real path (root applied). */
int zo_mount(const char *source, const char *target, const char *fstype);
int zo_umount(const char *target);

#endif
