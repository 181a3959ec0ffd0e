/* The pure parts of `setup --home-device`: which mount points and
 * filesystems are accepted, the mkfs and copy command lines, the fstab
 * line and finding one, a partition's kernel name. */
#ifndef ZO_CORE_HOME_H
#define ZO_CORE_HOME_H

#include <stdbool.h>

#define ZO_HOME_MOUNT_DEFAULT "/home"
#define ZO_HOME_FS_DEFAULT "ext4"
/* The partition's GPT name and the filesystem's label (xfs allows 12). */
#define ZO_HOME_LABEL "zsim-home"

/* An absolute, canonical directory other than "/": no "//", ".", ".."
 * components, no trailing '/', nothing fstab would need to escape. */
bool zo_home_mount_ok(const char *path);
/* "ext4" or "xfs". */
bool zo_home_fs_ok(const char *fs);

/* The argv (NULL-terminated, at most 8 entries) that makes the
 * filesystem, and the one that copies `from` (its contents: "DIR/.") into
 * the directory `to` with owners, modes, times, links and extended
 * attributes (SELinux labels and ACLs among them). */
void zo_home_mkfs_argv(const char *fs, const char *devnode, const char *argv[8]);
void zo_home_copy_argv(const char *from, const char *to, const char *argv[8]);

/* "UUID=U /home ext4 defaults,nofail 0 2" (xfs: pass 0, its fsck does
 * nothing); nofail, so a missing disk does not stop the boot. */
char *zo_fstab_line(const char *uuid, const char *mount, const char *fs);
/* 1 and the device field of the last line mounting `mount` (malloc'd, in
 * *ret_spec unless NULL), 0 when no line does. */
int zo_fstab_find(const char *text, const char *mount, char **ret_spec);
/* `text` with `line` added as its last line. */
char *zo_fstab_append(const char *text, const char *line);

/* Partition `n` of disk `disk` by the kernel's rule: "sdb" -> "sdb1",
 * "nvme0n1" -> "nvme0n1p1" (a "p" after a name ending in a digit). */
char *zo_partition_name(const char *disk, unsigned n);

#endif
