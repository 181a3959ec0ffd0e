/* Kernel modules through libkmod: the only file that calls it. */
#ifndef ZO_SYS_KMOD_H
#define ZO_SYS_KMOD_H

#include <stdbool.h>

#include "util/log.h"

struct zo_kmod_state {
	bool loaded;
	bool builtin;
	int refcnt; /* users: VMs, other modules */
};

int zo_kmod_state(const char *module, struct zo_kmod_state *ret);
/* rmmod; -EBUSY while in use. */
int zo_kmod_remove(const char *module);
/* modprobe with the dependencies and `options` ("ept=0") after any from
 * modprobe.d. The kernel's reason goes to `log`. */
int zo_kmod_insert(const char *module, const char *options, const struct zo_log *log);

#endif
