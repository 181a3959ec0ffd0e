/* A GPT partition table with one partition over the whole disk, built as
 * bytes (UEFI 2.x, section 5.3: protective MBR, header, 128 entries of 128
 * bytes, the backup at the end of the disk). Pure: the disk's size, its
 * sector size and the GUIDs come in as values. What `setup --home-device`
 * writes; CentOS 7's sfdisk (util-linux 2.23) cannot write GPT, and
 * libfdisk is not in its library floor. */
#ifndef ZO_CORE_GPT_H
#define ZO_CORE_GPT_H

#include <stddef.h>
#include <stdint.h>

#define ZO_GPT_ENTRIES 128
#define ZO_GPT_ENTRY_SIZE 128
/* Partitions start on 1 MiB, as fdisk and parted place them. */
#define ZO_GPT_ALIGN (1024 * 1024ULL)
/* "Linux filesystem data" */
#define ZO_GPT_TYPE_LINUX_FS "0FC63DAF-8483-4772-8E79-3D69D8477DE4"

struct zo_gpt {
	uint64_t sector_size, sectors;    /* the disk, in logical sectors */
	uint64_t first_usable, last_usable;
	uint64_t part_first, part_last;   /* the one partition, inclusive */
	unsigned char *primary;           /* MBR, header and entries: at offset 0 */
	size_t primary_len;
	unsigned char *backup;            /* entries and header: at backup_offset */
	size_t backup_len;
	uint64_t backup_offset;
};

/* Lay out and build the table. `name` is the partition's name (ASCII, at
 * most 36 characters). -EINVAL for a sector size other than 512 or 4096
 * or a bad name; -ENOSPC when the disk cannot hold a partition of at
 * least ZO_GPT_ALIGN. */
int zo_gpt_build(uint64_t disk_bytes, uint64_t sector_size, const unsigned char disk_guid[16],
		 const unsigned char part_guid[16], const char *name, struct zo_gpt *ret);
void zo_gpt_release(struct zo_gpt *g);

/* Make 16 random bytes a version-4 GUID, in GPT's byte order. */
void zo_guid_from_random(unsigned char guid[16]);
/* "0FC63DAF-8483-4772-8E79-3D69D8477DE4" from GPT's byte order (the first
 * three fields little endian), upper case as sfdisk shows it. */
void zo_guid_format(const unsigned char guid[16], char buf[37]);
/* The reverse; -EINVAL when `text` is not a GUID. */
int zo_guid_parse(const char *text, unsigned char guid[16]);

/* CRC-32 (IEEE 802.3, as the GPT header and entry checksums use it). */
uint32_t zo_crc32(const unsigned char *buf, size_t len);

#endif
