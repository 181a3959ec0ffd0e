/* setup --home-device: a disk partitioned, formatted and put under /home,
 * the old contents copied over and compared before they are removed. */
#include "ops/home.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/config.h"
#include "core/gpt.h"
#include "core/home.h"
#include "core/units.h"
#include "ops/record.h"
#include "ops/storage.h"
#include "sys/blockdev.h"
#include "sys/mount.h"
#include "sys/partition.h"
#include "sys/sysfs.h"
#include "util/file.h"
#include "util/path.h"
#include "util/spawn.h"
#include "util/str.h"

#include "util/banned.h"

struct home {
	char *mount; /* the directory, as configured */
	const char *fs;
	struct zo_blockdev disk;
	struct zo_blockdev part; /* the recorded filesystem, when on this disk */
	bool ours;
	char *uuid; /* of the filesystem made or found */
	char *fs_found; /* its type, when found */
	char *mount_real; /* under the root */
	char *fstab;      /* /etc/fstab under the root */
};

static void home_release(struct home *s)
{
	zo_blockdev_release(&s->disk);
	zo_blockdev_release(&s->part);
	free(s->mount);
	free(s->uuid);
	free(s->fs_found);
	free(s->mount_real);
	free(s->fstab);
	memset(s, 0, sizeof(*s));
}

static int usage(struct zo_ctx *ctx, int r)
{
	return zo_fail_as_usage(ctx, r);
}

/* The directory and filesystem to use; the recorded mount point unless
 * one is given, and a different one is refused once a disk is recorded. */
static int settle_names(struct zo_ctx *ctx, const struct zo_home *h, struct home *s)
{
	const char *recorded = zo_config_get(ctx->config, "host", "home_mount");
	const char *home = zo_config_get(ctx->config, "host", "home");

	if (!recorded || !*recorded)
		recorded = ZO_HOME_MOUNT_DEFAULT;
	/* a copy: recording the config replaces its strings */
	s->mount = strdup(h->mount ? h->mount : recorded);
	if (!s->mount)
		return zo_fail(ctx, -ENOMEM, "out of memory");
	s->fs = h->fs ? h->fs : ZO_HOME_FS_DEFAULT;
	if (!zo_home_mount_ok(s->mount))
		return usage(ctx, zo_fail(ctx, -EINVAL, "--home-mount %s: give an absolute directory "
							"other than / (no '.', '..', spaces or "
							"trailing '/')", s->mount));
	if (!zo_home_fs_ok(s->fs))
		return usage(ctx, zo_fail(ctx, -EINVAL, "--home-fs %s: use ext4 or xfs", s->fs));
	if (h->mount && home && *home && strcmp(h->mount, recorded))
		return zo_refuse(ctx, -EEXIST, "the home filesystem %s is recorded for %s ([host] "
					       "home_mount), not %s; nothing was changed",
				 home, recorded, h->mount);
	s->mount_real = zo_path(ctx->root, s->mount);
	s->fstab = zo_path(ctx->root, "/etc/fstab");
	return s->mount_real && s->fstab ? 0 : zo_fail(ctx, -ENOMEM, "out of memory");
}

static int resolve_disk(struct zo_ctx *ctx, const char *spec, struct home *s)
{
	int r = zo_blockdev_resolve(ctx->root, spec, &s->disk);

	if (r == -EINVAL)
		return usage(ctx, zo_fail(ctx, r, "%s is not a device name; use /dev/sdX, "
						  "/dev/disk/by-id/... or SERIAL=", spec));
	if (r < 0)
		return zo_fail(ctx, r, "home device %s: %s; nothing was changed", spec,
			       r == -ENOENT    ? "no such device"
			       : r == -ENOTBLK ? "not a block device"
					       : strerror(-r));
	if (s->disk.partition)
		return usage(ctx, zo_fail(ctx, -EINVAL, "%s is a partition: give the whole disk "
							"(setup --home-device writes its partition "
							"table)", s->disk.devnode));
	return 0;
}

/* The disk a partition is on. */
static int parent_devno(struct zo_ctx *ctx, const struct zo_blockdev *part, dev_t *ret)
{
	_cleanup_free_ char *path = zo_asprintf("/sys/dev/block/%u:%u/../dev", major(part->devno),
						minor(part->devno));
	_cleanup_free_ char *text = NULL;
	unsigned ma, mi;

	if (!path)
		return -ENOMEM;
	if (!part->partition || zo_sysfs_read_line(ctx->root, path, &text) < 0 ||
	    sscanf(text, "%u:%u", &ma, &mi) != 2)
		return -ENODATA;
	*ret = makedev(ma, mi);
	return 0;
}

/* Is the recorded home filesystem on this disk? */
static int find_recorded(struct zo_ctx *ctx, struct home *s)
{
	const char *rec = zo_config_get(ctx->config, "host", "home");
	dev_t parent = 0;
	int r;

	if (!rec || !*rec)
		return 0;
	r = zo_blockdev_resolve(ctx->root, rec, &s->part);
	if (r < 0)
		return zo_fail(ctx, r, "[host] home = %s: no filesystem has this ID now (is its disk "
				       "missing?); to set up another disk, remove the setting from %s "
				       "and its line from /etc/fstab",
			       rec, ctx->config_path);
	if (parent_devno(ctx, &s->part, &parent) < 0 || parent != s->disk.devno)
		return zo_refuse(ctx, -EEXIST, "a home filesystem is already recorded ([host] home "
					       "= %s, %s), not on %s; nothing was changed",
				 rec, s->part.devnode, s->disk.devnode);
	s->ours = true;
	return zo_blockdev_probe_tag(&s->part, "UUID", &s->uuid) < 0
		       ? zo_fail(ctx, -ENODATA, "%s has no filesystem UUID", s->part.devnode)
		       : 0;
}

/* The directory: a directory (or missing), not a mount point but ours,
 * nothing mounted below it, no fstab line for it but ours. */
static int check_dir(struct zo_ctx *ctx, struct home *s)
{
	_cleanup_free_ char *below = NULL, *text = NULL, *spec = NULL, *want = NULL;
	struct stat st;
	dev_t devno = 0;
	int r;

	r = zo_mount_point(ctx->root, s->mount, &devno);
	if (r < 0)
		return zo_fail(ctx, r, "cannot read the mount table: %s", strerror(-r));
	if (r > 0 && !(s->ours && devno == s->part.devno))
		return zo_refuse(ctx, -EBUSY, "%s is a mount point already (device %u:%u); "
					      "unmount it and remove its /etc/fstab line, or give "
					      "another --home-mount; nothing was changed",
				 s->mount, major(devno), minor(devno));
	/* (once ours is mounted there, what is mounted below it is the user's) */
	r = s->ours ? 0 : zo_mount_below(ctx->root, s->mount, &below);
	if (r > 0)
		return zo_refuse(ctx, -EBUSY, "%s is mounted below %s; unmount it first; nothing "
					      "was changed", below, s->mount);
	if (lstat(s->mount_real, &st) == 0 && !S_ISDIR(st.st_mode))
		return zo_refuse(ctx, -ENOTDIR, "%s is not a directory%s; nothing was changed",
				 s->mount, S_ISLNK(st.st_mode) ? " (a symbolic link)" : "");
	r = zo_read_file(s->fstab, 1024 * 1024, &text, NULL);
	if (r < 0 && r != -ENOENT)
		return zo_fail(ctx, r, "cannot read /etc/fstab: %s", strerror(-r));
	want = s->uuid ? zo_asprintf("UUID=%s", s->uuid) : NULL;
	if (zo_fstab_find(text, s->mount, &spec) > 0 && !(want && !strcmp(spec, want)))
		return zo_refuse(ctx, -EEXIST, "/etc/fstab mounts %s on %s already; remove that "
					       "line first; nothing was changed",
				 spec, s->mount);
	return 0;
}

static int check_programs(struct zo_ctx *ctx, const char *fs)
{
	const char *argv[8];

	zo_home_mkfs_argv(fs, "", argv);
	if (!zo_have_program(argv[0]))
		return zo_fail(ctx, -ENOENT, "%s is not installed (package %s); nothing was changed",
			       argv[0], strcmp(fs, "xfs") ? "e2fsprogs" : "xfsprogs");
	if (!zo_have_program("cp"))
		return zo_fail(ctx, -ENOENT, "cp is not installed (package coreutils)");
	return 0;
}

static int check(struct zo_ctx *ctx, const struct zo_home *h, struct home *s)
{
	_cleanup_free_ char *warning = NULL;
	int r;

	r = settle_names(ctx, h, s);
	if (r == 0)
		r = resolve_disk(ctx, h->device, s);
	if (r == 0)
		r = find_recorded(ctx, s);
	if (r < 0 || s->ours)
		return r < 0 ? r : check_dir(ctx, s);
	r = zo_storage_check(ctx, &s->disk, "the home filesystem", h->force,
			     "; nothing was changed", &warning);
	if (r == 0 && warning)
		zo_warn(&ctx->log, "%s", warning);
	if (r == 0)
		r = check_dir(ctx, s);
	if (r == 0)
		r = check_programs(ctx, s->fs);
	return r;
}

int zo_home_check(struct zo_ctx *ctx, const struct zo_home *h)
{
	struct home s = { 0 };
	int r = check(ctx, h, &s);

	home_release(&s);
	return r;
}

/* --- the copy and its check --- */

/* The first difference between `a` and `b` (byte for byte). */
static int same_content(const char *a, const char *b, bool *ret_same)
{
	_cleanup_close_ int fa = open(a, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_close_ int fb = open(b, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char x[65536], y[65536];

	if (fa < 0 || fb < 0)
		return -errno;
	*ret_same = false;
	for (;;) {
		ssize_t n = read(fa, x, sizeof(x)), m;
		size_t got = 0;

		if (n < 0)
			return -errno;
		while (got < (size_t)n) {
			m = read(fb, y + got, (size_t)n - got);
			if (m <= 0)
				return m < 0 ? -errno : 0;
			got += (size_t)m;
		}
		if (memcmp(x, y, (size_t)n))
			return 0;
		if (n == 0) {
			*ret_same = read(fb, y, 1) == 0;
			return 0;
		}
	}
}

/* Every extended attribute of `a` (SELinux labels and ACLs are some) is
 * on `b` with the same value; NULL, or what differs. */
static const char *same_xattrs(const char *a, const char *b)
{
	char names[65536], va[65536], vb[65536];
	ssize_t n = llistxattr(a, names, sizeof(names)), la, lb;
	const char *name;

	if (n < 0)
		return errno == ENOTSUP ? NULL : "its extended attributes cannot be listed";
	for (name = names; name < names + n; name += strlen(name) + 1) {
		la = lgetxattr(a, name, va, sizeof(va));
		lb = lgetxattr(b, name, vb, sizeof(vb));
		if (la < 0)
			continue;
		if (lb != la || memcmp(va, vb, (size_t)la))
			return "an extended attribute differs";
	}
	return NULL;
}

static bool same_time(const struct stat *a, const struct stat *b)
{
	return a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* What differs between the entries `a` and `b`; NULL when nothing does. */
static const char *entry_diff(const char *a, const char *b, const struct stat *sa)
{
	struct stat sb;
	bool same = false;

	if (lstat(b, &sb) < 0)
		return "missing in the copy";
	if ((sa->st_mode & S_IFMT) != (sb.st_mode & S_IFMT))
		return "a different kind of file";
	if ((sa->st_mode & 07777) != (sb.st_mode & 07777))
		return "a different mode";
	if (sa->st_uid != sb.st_uid || sa->st_gid != sb.st_gid)
		return "a different owner";
	if (!S_ISDIR(sa->st_mode) && !same_time(sa, &sb))
		return "a different modification time";
	if (S_ISREG(sa->st_mode) &&
	    (sa->st_size != sb.st_size || same_content(a, b, &same) < 0 || !same))
		return "different contents";
	if ((S_ISCHR(sa->st_mode) || S_ISBLK(sa->st_mode)) && sa->st_rdev != sb.st_rdev)
		return "a different device number";
	if (S_ISLNK(sa->st_mode)) {
		char la[4096], lb[4096];
		ssize_t na = readlink(a, la, sizeof(la)), nb = readlink(b, lb, sizeof(lb));

		if (na < 0 || na != nb || memcmp(la, lb, (size_t)na))
			return "a different link target";
	}
	return same_xattrs(a, b);
}

/* Compare the tree `a` with its copy `b`: 0 when the same, 1 with the
 * relative path and what differs in *ret_diff, -errno. */
static int compare_tree(const char *a, const char *b, const char *rel, char **ret_diff)
{
	_cleanup_free_ char *pa = zo_asprintf("%s%s", a, rel), *pb = zo_asprintf("%s%s", b, rel);
	struct dirent *de;
	const char *what;
	struct stat st;
	DIR *d;
	int r = 0;

	if (!pa || !pb)
		return -ENOMEM;
	if (lstat(pa, &st) < 0)
		return -errno;
	what = entry_diff(pa, pb, &st);
	if (what) {
		*ret_diff = zo_asprintf("%s: %s", *rel ? rel + 1 : ".", what);
		return *ret_diff ? 1 : -ENOMEM;
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	d = opendir(pa);
	if (!d)
		return -errno;
	while (r == 0 && (de = readdir(d))) {
		_cleanup_free_ char *sub = NULL;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = zo_asprintf("%s/%s", rel, de->d_name);
		r = sub ? compare_tree(a, b, sub, ret_diff) : -ENOMEM;
	}
	closedir(d);
	return r;
}

/* Remove what is below `dir` on its own filesystem; the count of entries
 * that could not be removed. */
static unsigned remove_below(const char *dir, dev_t dev)
{
	unsigned failed = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return 1;
	while ((de = readdir(d))) {
		_cleanup_free_ char *p = NULL;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		p = zo_asprintf("%s/%s", dir, de->d_name);
		if (!p || lstat(p, &st) < 0 || st.st_dev != dev) {
			failed++;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			failed += remove_below(p, dev);
			failed += rmdir(p) < 0;
		} else {
			failed += unlink(p) < 0;
		}
	}
	closedir(d);
	return failed;
}

/* --- applying --- */

static int random_bytes(unsigned char *buf, size_t len)
{
	_cleanup_close_ int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len);
	return n == (ssize_t)len ? 0 : -EIO;
}

static int sector_size(struct zo_ctx *ctx, const struct zo_blockdev *d, uint64_t *ret)
{
	_cleanup_free_ char *path = zo_asprintf("/sys/dev/block/%u:%u/queue/logical_block_size",
						major(d->devno), minor(d->devno));
	_cleanup_free_ char *text = NULL;

	*ret = 512;
	if (path && zo_sysfs_read_line(ctx->root, path, &text) == 0 && !strcmp(text, "4096"))
		*ret = 4096;
	return 0;
}

static char *argv_text(const char *const *argv)
{
	struct zo_strbuf b = { 0 };

	for (; *argv; argv++)
		zo_strbuf_appendf(&b, "%s%s", b.buf ? " " : "", *argv);
	return b.buf ? zo_strbuf_steal(&b) : strdup("");
}

static int run(struct zo_ctx *ctx, const char *const *argv, const char *after)
{
	_cleanup_free_ char *out = NULL, *text = argv_text(argv);
	int r = zo_spawn_capture((char *const *)argv, &out);

	if (r == 0)
		return 0;
	if (r < 0)
		return zo_fail(ctx, r, "cannot run %s: %s; %s", argv[0], strerror(-r), after);
	return zo_fail(ctx, -EIO, "%s failed (exit status %d): %s; %s", text ? text : argv[0], r,
		       out ? zo_strstrip(out) : "", after);
}

static void plan_new(struct zo_ctx *ctx, const struct home *s, const struct zo_gpt *g,
		     const char *part)
{
	_cleanup_free_ char *fstab = zo_fstab_line("<the new filesystem's UUID>", s->mount, s->fs);
	_cleanup_free_ char *mkfs_text = NULL, *cp_text = NULL, *from = NULL;
	const char *mkfs[8], *cp[8];
	char size[32];

	zo_home_mkfs_argv(s->fs, part, mkfs);
	from = zo_asprintf("%s/.", s->mount);
	zo_home_copy_argv(from ? from : s->mount, "<a temporary mount of it>", cp);
	mkfs_text = argv_text(mkfs);
	cp_text = argv_text(cp);
	zo_size_format_human((g->part_last - g->part_first + 1) * g->sector_size, size, sizeof(size));
	zo_plan(ctx, "would write a GPT partition table on %s: partition 1 (%s) sectors %" PRIu64
		     "-%" PRIu64 " of %" PRIu64 " bytes (%s), type Linux filesystem, name %s",
		s->disk.devnode, part, g->part_first, g->part_last, g->sector_size, size,
		ZO_HOME_LABEL);
	zo_plan(ctx, "would run: %s", mkfs_text ? mkfs_text : "mkfs");
	zo_plan(ctx, "would copy %s onto it: %s, then compare every file's contents, mode, owner, "
		     "time and extended attributes", s->mount, cp_text ? cp_text : "cp -a");
	zo_plan(ctx, "would add to /etc/fstab: %s", fstab ? fstab : "");
	zo_plan(ctx, "would record in %s: [host] home = UUID=<the new filesystem's UUID>, "
		     "home_mount = %s", ctx->config_path, s->mount);
	zo_plan(ctx, "would remove the old contents of %s and mount %s on it", s->mount, part);
}

/* fstab and the config, so that a boot from here on mounts it. */
static int record(struct zo_ctx *ctx, struct home *s)
{
	_cleanup_free_ char *text = NULL, *line = NULL, *next = NULL, *id = NULL;
	int r;

	r = zo_read_file(s->fstab, 1024 * 1024, &text, NULL);
	if (r < 0 && r != -ENOENT)
		return zo_fail(ctx, r, "cannot read /etc/fstab: %s", strerror(-r));
	line = zo_fstab_line(s->uuid, s->mount, s->fs);
	id = zo_asprintf("UUID=%s", s->uuid);
	if (!line || !id)
		return zo_fail(ctx, -ENOMEM, "out of memory");
	if (zo_fstab_find(text, s->mount, NULL) == 0) {
		next = zo_fstab_append(text, line);
		if (!next)
			return zo_fail(ctx, -ENOMEM, "out of memory");
		if (ctx->dry_run)
			zo_plan(ctx, "would add to /etc/fstab: %s", line);
		else if ((r = zo_write_file_atomic(s->fstab, next)) < 0)
			return zo_fail(ctx, r, "cannot write /etc/fstab: %s", strerror(-r));
	}
	r = zo_config_record(ctx, "host", "home", id);
	if (r == 0)
		r = zo_config_record(ctx, "host", "home_mount", s->mount);
	return r;
}

static int make_dir(struct zo_ctx *ctx, const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return zo_fail(ctx, -errno, "cannot create %s: %s", dir, strerror(errno));
	return 0;
}

/* Copy the directory into the new filesystem mounted at `tmp` and compare. */
static int copy_verified(struct zo_ctx *ctx, struct home *s, const char *tmp)
{
	_cleanup_free_ char *from = zo_asprintf("%s/.", s->mount_real), *diff = NULL;
	const char *cp[8];
	int r;

	if (!from)
		return zo_fail(ctx, -ENOMEM, "out of memory");
	zo_home_copy_argv(from, tmp, cp);
	r = run(ctx, cp, "the old contents are untouched");
	if (r < 0)
		return r;
	r = compare_tree(s->mount_real, tmp, "", &diff);
	if (r < 0)
		return zo_fail(ctx, r, "cannot compare %s with its copy: %s", s->mount, strerror(-r));
	if (r > 0)
		return zo_fail(ctx, -EIO, "the copy of %s differs from it at %s", s->mount, diff);
	return 0;
}

/* Partition, format, copy, compare, record, then swap the directory. */
static int apply_new(struct zo_ctx *ctx, struct home *s, bool force)
{
	_cleanup_free_ char *pname = zo_partition_name(s->disk.kernel_name, 1), *part = NULL;
	_cleanup_free_ char *tmp = zo_path(ctx->root, "/run/zsim-home.XXXXXX");
	unsigned char guids[32];
	const char *mkfs[8];
	struct zo_gpt g;
	struct stat st;
	uint64_t ssize;
	unsigned left;
	int r;

	part = pname ? zo_asprintf("/dev/%s", pname) : NULL;
	if (!part || !tmp)
		return zo_fail(ctx, -ENOMEM, "out of memory");
	sector_size(ctx, &s->disk, &ssize);
	r = random_bytes(guids, sizeof(guids));
	if (r < 0)
		return zo_fail(ctx, r, "cannot read /dev/urandom: %s", strerror(-r));
	zo_guid_from_random(guids);
	zo_guid_from_random(guids + 16);
	r = zo_gpt_build(s->disk.size, ssize, guids, guids + 16, ZO_HOME_LABEL, &g);
	if (r < 0)
		return usage(ctx, zo_fail(ctx, r, "%s is too small for a home filesystem",
					  s->disk.devnode));
	if (ctx->dry_run) {
		plan_new(ctx, s, &g, part);
		zo_gpt_release(&g);
		return 0;
	}
	if (force)
		zo_blockdev_wipe(&s->disk, &ctx->log);
	r = zo_partition_write_table(s->disk.devnode, g.primary, g.primary_len, g.backup,
				     g.backup_len, g.backup_offset);
	zo_gpt_release(&g);
	if (r < 0)
		return zo_fail(ctx, r, "cannot write the partition table on %s: %s",
			       s->disk.devnode, strerror(-r));
	r = zo_blockdev_resolve(ctx->root, part, &s->part);
	if (r < 0)
		return zo_fail(ctx, r, "the kernel shows no %s after the new partition table: %s",
			       part, strerror(-r));
	zo_blockdev_wipe(&s->part, &ctx->log);
	zo_home_mkfs_argv(s->fs, s->part.devnode, mkfs);
	r = run(ctx, mkfs, "nothing else was changed");
	if (r < 0)
		return r;
	if (zo_blockdev_probe_tag(&s->part, "UUID", &s->uuid) < 0)
		return zo_fail(ctx, -EIO, "%s shows no filesystem UUID after %s", s->part.devnode,
			       mkfs[0]);

	/* the copy, into the new filesystem mounted aside */
	r = make_dir(ctx, s->mount_real);
	if (r == 0 && (r = zo_mkdir_parents(tmp)) < 0)
		zo_fail(ctx, r, "cannot create %s: %s", tmp, strerror(-r));
	if (r == 0 && !mkdtemp(tmp))
		r = zo_fail(ctx, -errno, "cannot create %s: %s", tmp, strerror(errno));
	if (r < 0)
		return r;
	r = zo_mount(s->part.devnode, tmp, s->fs);
	if (r < 0) {
		rmdir(tmp);
		return zo_fail(ctx, r, "cannot mount %s on %s: %s", s->part.devnode, tmp,
			       strerror(-r));
	}
	r = copy_verified(ctx, s, tmp);
	if (r == 0)
		r = record(ctx, s);
	zo_umount(tmp);
	rmdir(tmp);
	if (r < 0)
		return r;

	/* verified and recorded: the old contents can go */
	if (lstat(s->mount_real, &st) == 0 && (left = remove_below(s->mount_real, st.st_dev)))
		zo_warn(&ctx->log, "%u old entries under %s could not be removed; they stay hidden "
				   "under the mount", left, s->mount);
	r = zo_mount(s->part.devnode, s->mount_real, s->fs);
	if (r < 0)
		return zo_fail(ctx, r, "cannot mount %s on %s: %s; /etc/fstab has it, 'mount %s' "
				       "retries", s->part.devnode, s->mount, strerror(-r), s->mount);
	zo_say(ctx, "%s: %s (%s, UUID=%s) holds %s now, recorded in /etc/fstab and [host] home",
	       s->disk.devnode, s->part.devnode, s->fs, s->uuid, s->mount);
	return 0;
}

/* The recorded filesystem is on the disk: mounted, and in fstab. */
static int ensure_mounted(struct zo_ctx *ctx, struct home *s)
{
	dev_t devno = 0;
	int r;

	if (zo_blockdev_probe_tag(&s->part, "TYPE", &s->fs_found) < 0 ||
	    !zo_home_fs_ok(s->fs_found))
		return zo_fail(ctx, -ENODATA, "%s holds no ext4 or xfs filesystem now",
			       s->part.devnode);
	s->fs = s->fs_found;
	r = record(ctx, s);
	if (r < 0)
		return r;
	if (zo_mount_point(ctx->root, s->mount, &devno) > 0 && devno == s->part.devno) {
		zo_say(ctx, "%s: %s (UUID=%s) is mounted on %s already", s->disk.devnode,
		       s->part.devnode, s->uuid, s->mount);
		return 0;
	}
	if (ctx->dry_run) {
		zo_plan(ctx, "would mount %s on %s", s->part.devnode, s->mount);
		return 0;
	}
	r = make_dir(ctx, s->mount_real);
	if (r == 0 && (r = zo_mount(s->part.devnode, s->mount_real, s->fs)) < 0)
		zo_fail(ctx, r, "cannot mount %s on %s: %s", s->part.devnode, s->mount,
			strerror(-r));
	if (r == 0)
		zo_say(ctx, "%s: %s (UUID=%s) mounted on %s", s->disk.devnode, s->part.devnode,
		       s->uuid, s->mount);
	return r;
}

int zo_home_setup(struct zo_ctx *ctx, const struct zo_home *h)
{
	struct home s = { 0 };
	int r;

	r = check(ctx, h, &s);
	if (r == 0)
		r = s.ours ? ensure_mounted(ctx, &s) : apply_new(ctx, &s, h->force);
	home_release(&s);
	return r;
}
