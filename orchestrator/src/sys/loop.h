/* Loop devices through their ioctls (no losetup): the thin pool's metadata
 * lives in a file attached to one. */
#ifndef ZO_SYS_LOOP_H
#define ZO_SYS_LOOP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The loop device already backed by `file` (same inode), or -ENOENT. */
int zo_loop_find(const char *root, const char *file, char **ret_devnode,
		 dev_t *ret_devno);

/* Attach `file` to a free loop device. The device is set to detach itself
 * when its last user closes it, so a failed setup cannot leave it behind:
 * keep `*ret_fd` open until device-mapper holds the device, then close it. */
int zo_loop_attach(const char *root, const char *file, char **ret_devnode,
		   dev_t *ret_devno, int *ret_fd);

/* Let go of the handle zo_loop_attach returned (-1 afterwards): the
 * device detaches itself once device-mapper lets go of it too. */
void zo_loop_release(int *fd);

/* Create `file` (and its directory) with `size` bytes really allocated:
 * a sparse file on a full filesystem would fail later, under the pool.
 * -EEXIST if it exists; on any failure nothing is left behind. */
int zo_loop_create_backing(const char *root, const char *file, uint64_t size);

/* Delete a backing file made by zo_loop_create_backing; -ENOENT if it is
 * gone already. */
int zo_loop_remove_backing(const char *root, const char *file);

/* Read the first `len` bytes of a file or device. */
int zo_read_head(const char *path, unsigned char *buf, size_t len);
/* Overwrite the first `len` bytes of a file or device with zeros, and
 * fsync: a thin pool formats metadata whose superblock is all zeros. */
int zo_zero_head(const char *path, size_t len);

/* Detach now (for a device attached without autoclear by someone else). */
int zo_loop_detach(const char *devnode);

#endif
