#include "sys/blockdev.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <blkid.h>

#include "core/devspec.h"
#include "sys/swap.h"
#include "util/file.h"
#include "util/macros.h"
#include "util/path.h"
#include "util/str.h"

#include "util/banned.h"

void zo_blockdev_release(struct zo_blockdev *d)
{
	free(d->devnode);
	free(d->kernel_name);
	memset(d, 0, sizeof(*d));
}

/* /sys/dev/block/MAJ:MIN/<attr> */
static char *sysfs_dev_path(const char *root, dev_t devno, const char *attr)
{
	_cleanup_free_ char *abs = zo_asprintf("/sys/dev/block/%u:%u%s%s", major(devno),
					       minor(devno), attr ? "/" : "",
					       attr ? attr : "");

	return abs ? zo_path(root, abs) : NULL;
}

static int fill_from_node(const char *root, const char *node, struct zo_blockdev *ret)
{
	struct zo_blockdev d = { 0 };
	_cleanup_free_ char *link = NULL, *size_path = NULL, *size_text = NULL;
	_cleanup_free_ char *part = NULL;
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;
	int r;

	if (stat(node, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	d.devno = st.st_rdev;
	link = sysfs_dev_path(root, d.devno, NULL);
	if (!link)
		return -ENOMEM;
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	d.kernel_name = strdup(strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
	d.devnode = realpath(node, NULL);
	size_path = sysfs_dev_path(root, d.devno, "size");
	part = sysfs_dev_path(root, d.devno, "partition");
	if (!d.kernel_name || !d.devnode || !size_path || !part) {
		zo_blockdev_release(&d);
		return -ENOMEM;
	}
	r = zo_read_line(size_path, &size_text);
	if (r < 0) {
		zo_blockdev_release(&d);
		return r;
	}
	d.size = strtoull(size_text, NULL, 10) * 512;
	d.partition = access(part, F_OK) == 0;
	*ret = d;
	return 0;
}

/* The disk's serial: virtio and NVMe expose it as a sysfs attribute, SCSI
 * and SATA disks in VPD page 0x80 (4-byte header, then the ASCII serial). */
static char *read_serial(const char *root, const char *kernel_name)
{
	static const char *const attrs[] = { "serial", "device/serial" };
	_cleanup_free_ char *vpd_path = NULL, *vpd = NULL;
	size_t i, len = 0;

	for (i = 0; i < ZO_ARRAY_SIZE(attrs); i++) {
		_cleanup_free_ char *abs = zo_asprintf("/sys/block/%s/%s", kernel_name, attrs[i]);
		_cleanup_free_ char *p = abs ? zo_path(root, abs) : NULL;
		char *v = NULL;

		if (p && zo_read_line(p, &v) == 0) {
			char *s = zo_strstrip(v);

			if (*s) {
				memmove(v, s, strlen(s) + 1);
				return v;
			}
			free(v);
		}
	}
	{
		_cleanup_free_ char *abs = zo_asprintf("/sys/block/%s/device/vpd_pg80", kernel_name);

		vpd_path = abs ? zo_path(root, abs) : NULL;
	}
	if (vpd_path && zo_read_file(vpd_path, 4096, &vpd, &len) == 0 && len > 4) {
		char *s = zo_strstrip(vpd + 4);

		if (*s && !strchr(s, ','))
			return strdup(s);
	}
	return NULL;
}

static int resolve_serial(const char *root, const char *serial, struct zo_blockdev *ret)
{
	_cleanup_free_ char *dir = zo_path(root, "/sys/block");
	struct dirent *de;
	DIR *d;
	int r = -ENOENT;

	if (!dir)
		return -ENOMEM;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		_cleanup_free_ char *s = NULL, *node = NULL, *abs = NULL;

		if (de->d_name[0] == '.')
			continue;
		s = read_serial(root, de->d_name);
		if (!s || strcmp(s, serial))
			continue;
		abs = zo_asprintf("/dev/%s", de->d_name);
		node = abs ? zo_path(root, abs) : NULL;
		r = node ? fill_from_node(root, node, ret) : -ENOMEM;
		break;
	}
	closedir(d);
	return r;
}

int zo_blockdev_resolve(const char *root, const char *spec, struct zo_blockdev *ret)
{
	enum zo_devspec_kind kind = zo_devspec_classify(spec);
	_cleanup_free_ char *node = NULL;

	switch (kind) {
	case ZO_DEVSPEC_INVALID:
		return -EINVAL;
	case ZO_DEVSPEC_FILE:
		return -ENOTBLK;
	case ZO_DEVSPEC_SERIAL:
		return resolve_serial(root, spec + strlen("SERIAL="), ret);
	case ZO_DEVSPEC_UUID:
	case ZO_DEVSPEC_PARTUUID:
	case ZO_DEVSPEC_LABEL:
	case ZO_DEVSPEC_PARTLABEL: {
		blkid_cache cache = NULL;

		/* A private cache on /dev/null: no stale system cache file is
		 * trusted, and none is written. */
		if (blkid_get_cache(&cache, "/dev/null") < 0)
			return -ENOMEM;
		node = blkid_evaluate_tag(spec, NULL, &cache);
		blkid_put_cache(cache);
		if (!node)
			return -ENOENT;
		return fill_from_node(root, node, ret);
	}
	case ZO_DEVSPEC_DISK_LINK:
	case ZO_DEVSPEC_MAPPER:
	case ZO_DEVSPEC_KERNEL:
		node = zo_path(root, spec);
		if (!node)
			return -ENOMEM;
		return fill_from_node(root, node, ret);
	}
	return -EINVAL;
}

/* Probe the device's content; `what` selects superblocks and/or partition
 * tables. Returns the probe, or NULL with errno set. */
static blkid_probe probe_content(const char *devnode, bool partitions)
{
	blkid_probe pr = blkid_new_probe_from_filename(devnode);

	if (!pr)
		return NULL;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
						      BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr, partitions ? 1 : 0);
	if (partitions)
		blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	return pr;
}

static char *lookup(blkid_probe pr, const char *name)
{
	const char *v = NULL;

	if (blkid_probe_lookup_value(pr, name, &v, NULL) == 0 && v && *v)
		return strdup(v);
	return NULL;
}

int zo_blockdev_probe_tag(const struct zo_blockdev *d, const char *tag, char **ret)
{
	blkid_probe pr = probe_content(d->devnode, false);
	char *v;
	int r;

	if (!pr)
		return errno ? -errno : -EIO;
	r = blkid_do_safeprobe(pr);
	v = r == 0 ? lookup(pr, tag) : NULL;
	blkid_free_probe(pr);
	if (r < 0 && r != -2)
		return -EIO;
	if (!v)
		return -ENODATA;
	*ret = v;
	return 0;
}

/* Prefer names that describe the disk itself over WWN/EUI aliases. */
static int by_id_rank(const char *name)
{
	if (zo_startswith(name, "wwn-") || zo_startswith(name, "nvme-eui.") ||
	    zo_startswith(name, "dm-uuid-") || zo_startswith(name, "lvm-pv-"))
		return 1;
	return 0;
}

static char *find_by_id_link(const char *root, const struct zo_blockdev *d)
{
	_cleanup_free_ char *dir = zo_path(root, "/dev/disk/by-id");
	char *best = NULL;
	int best_rank = 99;
	struct dirent *de;
	DIR *dh;

	if (!dir || !(dh = opendir(dir)))
		return NULL;
	while ((de = readdir(dh))) {
		_cleanup_free_ char *p = NULL;
		struct stat st;
		int rank;

		if (de->d_name[0] == '.')
			continue;
		p = zo_asprintf("%s/%s", dir, de->d_name);
		if (!p || stat(p, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev != d->devno)
			continue;
		rank = by_id_rank(de->d_name);
		if (rank < best_rank || (rank == best_rank && best && strcmp(de->d_name, best) < 0)) {
			free(best);
			best = strdup(de->d_name);
			best_rank = rank;
		}
	}
	closedir(dh);
	if (!best)
		return NULL;
	{
		char *id = zo_asprintf("/dev/disk/by-id/%s", best);

		free(best);
		return id;
	}
}

int zo_blockdev_stable_id(const char *root, const struct zo_blockdev *d,
			  bool content_tag, char **ret)
{
	_cleanup_free_ char *v = NULL;
	char *id = NULL;

	if (content_tag && zo_blockdev_probe_tag(d, "UUID", &v) == 0) {
		id = zo_asprintf("UUID=%s", v);
	} else if (d->partition) {
		blkid_probe pr = probe_content(d->devnode, true);

		if (pr) {
			blkid_do_safeprobe(pr);
			v = lookup(pr, "PART_ENTRY_UUID");
			blkid_free_probe(pr);
		}
		if (v)
			id = zo_asprintf("PARTUUID=%s", v);
	}
	if (!id)
		id = find_by_id_link(root, d);
	if (!id && !d->partition) {
		_cleanup_free_ char *serial = read_serial(root, d->kernel_name);

		if (serial && !strchr(serial, ','))
			id = zo_asprintf("SERIAL=%s", serial);
	}
	if (!id)
		return -ENODATA;
	*ret = id;
	return 0;
}

/* Is block device MAJ:MIN `devno` equal to `d`, a partition of it, or
 * stacked on it (dm, md: via slaves/)? */
static bool depends_on(const char *root, dev_t devno, const struct zo_blockdev *d,
		       int depth)
{
	_cleanup_free_ char *link = NULL, *slaves = NULL;
	char target[PATH_MAX];
	struct dirent *de;
	bool found = false;
	ssize_t n;
	DIR *dh;

	if (devno == d->devno)
		return true;
	if (depth > 8)
		return false;
	link = sysfs_dev_path(root, devno, NULL);
	if (!link)
		return false;
	n = readlink(link, target, sizeof(target) - 1);
	if (n > 0) {
		_cleanup_free_ char *parent = zo_asprintf("/%s/", d->kernel_name);

		target[n] = '\0';
		/* ".../block/vdb/vdb1": a partition of vdb */
		if (parent && strstr(target, parent))
			return true;
	}
	slaves = sysfs_dev_path(root, devno, "slaves");
	if (!slaves || !(dh = opendir(slaves)))
		return false;
	while (!found && (de = readdir(dh))) {
		_cleanup_free_ char *dev_attr = NULL, *text = NULL;
		unsigned ma, mi;

		if (de->d_name[0] == '.')
			continue;
		dev_attr = zo_asprintf("%s/%s/dev", slaves, de->d_name);
		if (dev_attr && zo_read_line(dev_attr, &text) == 0 &&
		    sscanf(text, "%u:%u", &ma, &mi) == 2)
			found = depends_on(root, makedev(ma, mi), d, depth + 1);
	}
	closedir(dh);
	return found;
}

/* Fill mountpoint and backs_root from /proc/self/mountinfo. */
static int check_mounts(const char *root, const struct zo_blockdev *d,
			struct zo_device_facts *f)
{
	_cleanup_free_ char *path = zo_path(root, "/proc/self/mountinfo");
	_cleanup_free_ char *text = NULL;
	char *line, *next;
	int r;

	if (!path)
		return -ENOMEM;
	r = zo_read_file(path, 16 * 1024 * 1024, &text, NULL);
	if (r < 0)
		return r;
	for (line = text; line && *line; line = next) {
		unsigned ma, mi;
		char mnt[PATH_MAX];

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* "36 35 98:0 /mnt1 /mnt/parent rw ..." */
		if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &ma, &mi, mnt) != 3 || ma == 0)
			continue;
		if (!depends_on(root, makedev(ma, mi), d, 0))
			continue;
		if (!strcmp(mnt, "/"))
			f->backs_root = true;
		if (!f->mountpoint) {
			f->mountpoint = strdup(mnt);
			if (!f->mountpoint)
				return -ENOMEM;
		}
	}
	return 0;
}

int zo_blockdev_facts(const char *root, const struct zo_blockdev *d,
		      struct zo_device_facts *ret)
{
	struct zo_device_facts f = { 0 };
	blkid_probe pr;
	int fd, r;

	f.devnode = strdup(d->devnode);
	if (!f.devnode)
		return -ENOMEM;
	pr = probe_content(d->devnode, true);
	if (!pr) {
		r = errno ? -errno : -EIO;
		goto fail;
	}
	r = blkid_do_safeprobe(pr);
	if (r == -2) {
		/* several signatures that contradict each other */
		f.fs_type = strdup("ambiguous (several signatures)");
	} else if (r == 0) {
		f.pt_type = lookup(pr, "PTTYPE");
		f.fs_type = lookup(pr, "TYPE");
		f.fs_label = lookup(pr, "LABEL");
		f.fs_uuid = lookup(pr, "UUID");
	}
	blkid_free_probe(pr);
	if (r == -1) {
		r = -EIO;
		goto fail;
	}

	r = check_mounts(root, d, &f);
	if (r < 0)
		goto fail;
	r = zo_swap_is_active(root, d->devnode);
	f.active_swap = r > 0;

	fd = open(d->devnode, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	else if (errno == EBUSY)
		f.in_use = true;
	else {
		r = -errno;
		goto fail;
	}
	*ret = f;
	return 0;
fail:
	zo_device_facts_release(&f);
	return r;
}

int zo_blockdev_wipe(const struct zo_blockdev *d, const struct zo_log *log)
{
	_cleanup_close_ int fd = -1;
	blkid_probe pr;
	int r = 0;

	fd = open(d->devnode, O_RDWR | O_EXCL | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, fd, 0, 0) < 0) {
		blkid_free_probe(pr);
		return -EIO;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	while (blkid_do_probe(pr) == 0) {
		const char *type = NULL;

		if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL) < 0)
			blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL);
		zo_info(log, "erasing the %s signature on %s", type ? type : "unknown",
			d->devnode);
		if (blkid_do_wipe(pr, 0) < 0) {
			r = -EIO;
			break;
		}
	}
	blkid_free_probe(pr);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	return r;
}
