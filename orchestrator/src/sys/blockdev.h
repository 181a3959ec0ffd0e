/* Block devices through libblkid: resolving the user's device names,
 * choosing the stable ID to store, and gathering the facts the safety rule
 * needs. The only file that calls libblkid. */
#ifndef ZO_SYS_BLOCKDEV_H
#define ZO_SYS_BLOCKDEV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/safety.h"
#include "util/log.h"

struct zo_blockdev {
	char *devnode;     /* /dev/vdb */
	char *kernel_name; /* vdb, from /sys/dev/block/MAJ:MIN */
	dev_t devno;
	uint64_t size;     /* bytes */
	bool partition;
};

void zo_blockdev_release(struct zo_blockdev *d);

/* Resolve any device spec the command line accepts (/dev/sdX, /dev/vdX,
 * /dev/disk/by-...ID, UUID=, PARTUUID=, LABEL=, PARTLABEL=, SERIAL=) to a
 * block device. -ENOENT: nothing matches; -ENOTBLK: not a block device. */
int zo_blockdev_resolve(const char *root, const char *spec,
			struct zo_blockdev *ret);

/* The form to store in the config: one that survives reboots and disk
 * reordering. `content_tag` allows the signature's UUID= (right for a swap
 * header we just wrote); otherwise a partition's PARTUUID=, a
 * /dev/disk/by-id/ link, or SERIAL= from sysfs, in that order. -ENODATA
 * when the device has none of them. */
int zo_blockdev_stable_id(const char *root, const struct zo_blockdev *d,
			  bool content_tag, char **ret);

/* Probe signatures, partition tables, mounts, exclusive use and whether
 * "/" depends on the device. */
int zo_blockdev_facts(const char *root, const struct zo_blockdev *d,
		      struct zo_device_facts *ret);

/* Erase every signature libblkid finds (as wipefs does), so that an old
 * filesystem cannot be detected next to the new header. */
int zo_blockdev_wipe(const struct zo_blockdev *d, const struct zo_log *log);

/* The value of one tag (TYPE, UUID, LABEL) of the device's content, or
 * -ENODATA. Used to verify what we wrote, independently of how. */
int zo_blockdev_probe_tag(const struct zo_blockdev *d, const char *tag,
			  char **ret);

#endif
