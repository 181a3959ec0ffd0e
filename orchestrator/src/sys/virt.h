/* libvirt adapter: the only file that calls libvirt and reads its errors. */
#ifndef ZO_SYS_VIRT_H
#define ZO_SYS_VIRT_H

#include <stdbool.h>

#include "util/log.h"

struct zo_virt_probe {
	bool answered;
	char *hypervisor;      /* e.g. "QEMU", "TEST" */
	char *hypervisor_version; /* "7.2.0" */
	char *libvirt_version;    /* of the daemon (or the library for test:) */
	int active_domains;
	char *error;           /* why it did not answer */
};

/* Ask `uri` who it is, giving up after `timeout_ms`. libvirt has no connect
 * timeout and a socket whose daemon is wedged (or a remote host that drops
 * packets) blocks virConnectOpen indefinitely, so the probe runs in a child
 * process that is killed when time is up. Returns 0 with `answered` set
 * either way; -errno only when the probe itself could not run. */
int zo_virt_probe(const char *uri, int timeout_ms, struct zo_virt_probe *ret,
		  const struct zo_log *log);
void zo_virt_probe_release(struct zo_virt_probe *p);

#endif
