/* Directories below a directory fd that never lead out of it: every
 * component is created and opened relative to the one above it with
 * O_NOFOLLOW, so neither "..", an absolute path nor a symbolic link
 * (planted before or during the walk) reaches anywhere else. */
#ifndef ZO_UTIL_DIRAT_H
#define ZO_UTIL_DIRAT_H

#include <stdbool.h>
#include <sys/types.h>

/* One plain path component: not empty, not "." or "..", no '/', at most
 * 255 bytes. */
bool zo_component_ok(const char *name);

enum {
	ZO_BENEATH_CREATE = 1 << 0, /* create missing directories with `mode` */
	ZO_BENEATH_NEW = 1 << 1,    /* the last one must not exist yet (-EEXIST) */
};

/* Open the directory `relative` ("a", "a/b": components separated by one
 * '/', each zo_component_ok) below `dirfd`. Returns 0 with *ret_fd
 * (O_DIRECTORY, close-on-exec) or -errno: -EINVAL for a component that is
 * not plain, -ELOOP or -ENOTDIR where a symbolic link or something other
 * than a directory is in the way. */
int zo_open_beneath(int dirfd, const char *relative, unsigned flags, mode_t mode, int *ret_fd);

#endif
