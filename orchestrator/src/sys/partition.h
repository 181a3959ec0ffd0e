/* Writing a partition table to a disk and having the kernel read it
 * (BLKRRPART). */
#ifndef ZO_SYS_PARTITION_H
#define ZO_SYS_PARTITION_H

#include <stddef.h>
#include <stdint.h>

/* Write `head` at offset 0 and `tail` at `tail_offset` of the disk (opened
 * exclusively, so a disk in use is refused with -EBUSY), fsync, and ask
 * the kernel to re-read its partitions. */
int zo_partition_write_table(const char *devnode, const unsigned char *head, size_t head_len,
			     const unsigned char *tail, size_t tail_len, uint64_t tail_offset);

#endif
