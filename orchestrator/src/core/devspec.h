/* What kind of device reference a user wrote. Only stable kinds may be
 * stored in the config: kernel names (/dev/sdb) change across reboots and
 * disk reordering. Resolution to a device node happens in sys/blockdev. */
#ifndef ZO_CORE_DEVSPEC_H
#define ZO_CORE_DEVSPEC_H

#include <stdbool.h>

enum zo_devspec_kind {
	ZO_DEVSPEC_INVALID,
	ZO_DEVSPEC_UUID,      /* UUID=... */
	ZO_DEVSPEC_PARTUUID,  /* PARTUUID=... */
	ZO_DEVSPEC_LABEL,     /* LABEL=... */
	ZO_DEVSPEC_PARTLABEL, /* PARTLABEL=... */
	ZO_DEVSPEC_SERIAL,    /* SERIAL=... (the disk's serial from sysfs) */
	ZO_DEVSPEC_DISK_LINK, /* /dev/disk/by-{id,uuid,partuuid,label,partlabel}/... */
	ZO_DEVSPEC_MAPPER,    /* /dev/mapper/NAME: zsim names its dm devices */
	ZO_DEVSPEC_KERNEL,    /* any other /dev/ path: command line only */
	ZO_DEVSPEC_FILE,      /* an absolute path outside /dev (metadata files) */
};

#define ZO_DEVSPEC_STABLE_FORM                                                 \
	"UUID=..., PARTUUID=..., LABEL=..., PARTLABEL=..., SERIAL=..., "       \
	"/dev/disk/by-id/... or /dev/mapper/NAME"

/* INVALID: empty, a tag with no value, an unknown tag, a control character
 * anywhere, a path that is relative or not normal ("//", a trailing "/",
 * "." or ".." components), a "," in a path (lists are comma-separated), a
 * /dev/disk/by-* or /dev/mapper name with a "/" in it, or nothing after
 * the prefix. Length is not limited here: the kernel refuses a path that
 * is too long when it is used. */
enum zo_devspec_kind zo_devspec_classify(const char *spec);
bool zo_devspec_is_stable(enum zo_devspec_kind kind);

#endif
