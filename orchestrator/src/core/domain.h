/* libvirt domain XML for the target, from the config and run parameters.
 * Pure: no libvirt calls; every user string is escaped. */
#ifndef ZO_CORE_DOMAIN_H
#define ZO_CORE_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

#define ZO_AGENT_CHANNEL "org.qemu.guest_agent.0"

struct zo_domain_spec {
	const char *name;
	const char *accel;      /* "kvm" or "tcg" (auto is resolved before) */
	uint64_t memory_kib;    /* tens of TB fit: 40T = 4.3e10 KiB */
	unsigned vcpus;
	unsigned host_cpus;     /* pin vCPU i to host CPU i; 0: no pinning */
	const char *serial_log; /* file the serial console is written to */
	/* direct kernel boot when `kernel` is set, else disk mode */
	const char *kernel, *initrd, *cmdline;
	const char *disk;       /* qcow2 overlay (disk mode, or extra disk) */
	const char *cdrom;      /* an ISO attached read-only, or NULL */
	/* libvirt version as major*1000000+minor*1000+micro: decides how host
	 * physical address bits are passed through */
	unsigned long libvirt_version;
};

/* The XML, or NULL with errno (EINVAL: a required field is missing). */
char *zo_domain_xml(const struct zo_domain_spec *s);

/* Text with &, <, >, " and ' escaped for XML. */
char *zo_xml_escape(const char *s);

#endif
