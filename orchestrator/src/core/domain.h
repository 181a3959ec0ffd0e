/* libvirt XML for the target, from the config and run parameters: the
 * domain, the zsim storage pool and the overlay volume in it; and the
 * qcow2 header those volumes are sized from. Pure: no libvirt calls, no
 * I/O; every user string is escaped. */
#ifndef ZO_CORE_DOMAIN_H
#define ZO_CORE_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZO_AGENT_CHANNEL "org.qemu.guest_agent.0"
/* The serial of the results disk, by which the guest finds it. */
#define ZO_RESULTS_DISK_SERIAL "zsim-results"

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
	/* a raw file the guest writes results to, without a filesystem, and
	 * the host reads them from (serial ZO_RESULTS_DISK_SERIAL), or NULL */
	const char *results_disk;
	/* libvirt version as major*1000000+minor*1000+micro: decides how host
	 * physical address bits are passed through */
	unsigned long libvirt_version;
};

/* The XML, or NULL with errno (EINVAL: a required field is missing). */
char *zo_domain_xml(const struct zo_domain_spec *s);

/* A directory storage pool `name` at `dir`, or NULL with errno. */
char *zo_pool_xml(const char *name, const char *dir);
/* Whether `xml` (a pool as libvirt holds it) has its target at `dir`. */
bool zo_pool_xml_has_path(const char *xml, const char *dir);
/* A qcow2 volume `name` of `capacity` bytes backed by the qcow2 image
 * `backing`, or NULL with errno. */
char *zo_overlay_xml(const char *name, uint64_t capacity, const char *backing);

/* The bytes a qcow2 header needs to give the virtual size. */
#define ZO_QCOW2_HEADER_LEN 32
/* Parse the first `len` bytes of an image: 0 with its virtual size,
 * -EINVAL when it is not qcow2 or `len` is too short for the size.
 * `ret_size` may be NULL. */
int zo_qcow2_header(const unsigned char *h, size_t len, uint64_t *ret_size);

/* The text of the first <name>...</name> in `xml` (no attributes, no
 * nesting: libvirt's capabilities write them so), allocated; NULL when
 * there is none. */
char *zo_xml_element_text(const char *xml, const char *name);
/* "MAJOR.MINOR" of the QEMU an upstream versioned machine type belongs to
 * ("pc-i440fx-7.2", "pc-q35-2.12": "7.2", "2.12"), allocated; NULL for a
 * name without one ("pc", a downstream "pc-i440fx-rhel7.6.0"). */
char *zo_qemu_machine_version(const char *machine);
/* Text with &, <, >, " and ' escaped for XML. */
char *zo_xml_escape(const char *s);

#endif
