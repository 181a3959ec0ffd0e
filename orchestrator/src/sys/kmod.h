/* Kernel modules through libkmod: the only file that calls it. */
#ifndef ZO_SYS_KMOD_H
#define ZO_SYS_KMOD_H

#include "util/log.h"

struct zo_kmod;

/* A libkmod context for the modules and modprobe.d of `root`: "" for the
 * running system's (libkmod's own defaults), else ROOT/lib/modules/RELEASE
 * and ROOT's /etc, /run and /lib modprobe.d, as modprobe's --dirname and
 * --config take them. libkmod's messages (the kernel's reason for a
 * failed insert among them) go to `log`, which must outlive the context.
 * Inserting and removing act on the running kernel: a root says where
 * the module files and their options are, not which kernel loads them. */
int zo_kmod_new(const char *root, const char *release, const struct zo_log *log,
		struct zo_kmod **ret);
struct zo_kmod *zo_kmod_free(struct zo_kmod *k);

/* The module's file (-ENOENT: the module directory has none). */
int zo_kmod_find(struct zo_kmod *k, const char *module, char **ret_path);
/* rmmod; -EBUSY while in use. */
int zo_kmod_remove(struct zo_kmod *k, const char *module);
/* modprobe with the dependencies and `options` ("ept=0") after any from
 * modprobe.d. */
int zo_kmod_insert(struct zo_kmod *k, const char *module, const char *options);

#endif
