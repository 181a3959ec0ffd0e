/* dm-thin arithmetic and text: metadata sizing (as thin_metadata_size
 * computes it), the pool and volume tables, and parsing of their status
 * lines. Pure: device numbers and sizes come in as values. */
#ifndef ZO_CORE_THIN_H
#define ZO_CORE_THIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ZO_THIN_POOL_NAME "zsim-pool"
#define ZO_THIN_VOLUME_NAME "zsim-swap"
#define ZO_THIN_VOLUME_PATH "/dev/mapper/" ZO_THIN_VOLUME_NAME
/* The one thin device in the pool. */
#define ZO_THIN_DEVICE_ID 0

#define ZO_THIN_BLOCK_MIN (64 * 1024ULL)
#define ZO_THIN_BLOCK_MAX (1024ULL * 1024 * 1024)
#define ZO_THIN_METADATA_BLOCK 4096ULL
/* LVM's floor, and the kernel's ceiling (255 index entries of 16k blocks). */
#define ZO_THIN_METADATA_MIN (2ULL * 1024 * 1024)
#define ZO_THIN_METADATA_MAX (255ULL * 16384 * ZO_THIN_METADATA_BLOCK)

struct zo_thin_plan {
	uint64_t block_bytes;
	uint64_t data_blocks;    /* whole blocks on the data device */
	uint64_t virtual_bytes;  /* rounded down to 512-byte sectors */
	uint64_t metadata_bytes; /* what a new metadata file is sized to */
	uint64_t low_water_blocks;
};

/* Bytes of metadata for a pool of `nr_blocks` data blocks holding
 * `max_thins` thin devices, clamped to what the kernel accepts and rounded
 * up to whole 4 KiB metadata blocks. */
uint64_t zo_thin_metadata_size(uint64_t nr_blocks, uint64_t max_thins);

/* Check sizes and lay out a pool. `low_water_bytes` 0 picks 10 % of the
 * pool. On a bad size returns -EINVAL and a message for the user. */
int zo_thin_plan(uint64_t data_bytes, uint64_t block_bytes, uint64_t virtual_bytes,
		 uint64_t low_water_bytes, struct zo_thin_plan *ret, char **ret_error);

/* A device in a table: "MAJ:MIN", so no device node has to exist (no udev
 * in an initramfs). */
#define ZO_DEVNO_TEXT_MAX 24
void zo_devno_text(dev_t devno, char buf[ZO_DEVNO_TEXT_MAX]);

/* Table parameters, devices given as text: zo_devno_text()'s, or in a
 * --dry-run plan a placeholder for a device that does not exist yet. */
char *zo_thin_pool_params(const struct zo_thin_plan *p, const char *metadata, const char *data);
uint64_t zo_thin_pool_sectors(const struct zo_thin_plan *p);
char *zo_thin_volume_params(const char *pool, unsigned device_id);
uint64_t zo_thin_volume_sectors(const struct zo_thin_plan *p);

/* Parse "META DATA ..." of a thin-pool table back to its devices. */
int zo_thin_pool_params_devices(const char *params, dev_t *metadata, dev_t *data);

struct zo_thin_pool_status {
	bool failed; /* "Fail": the pool is unusable */
	uint64_t transaction_id;
	uint64_t metadata_used, metadata_total; /* 4 KiB blocks */
	uint64_t data_used, data_total;         /* pool blocks */
	char mode[24];                          /* rw, ro, out_of_data_space */
	bool queue_if_no_space;
	bool needs_check;
};

int zo_thin_parse_pool_status(const char *params, struct zo_thin_pool_status *ret);

/* "<mapped sectors> <highest mapped sector>" or "Fail". */
int zo_thin_parse_volume_status(const char *params, uint64_t *mapped_sectors);

/* True once free data blocks are at or under the low-water mark: the pool
 * will run out soon, and swap on a full pool fails writes. */
bool zo_thin_nearly_full(const struct zo_thin_pool_status *s, uint64_t low_water_blocks);

/* Whether a metadata device's first block holds a thin-pool superblock. */
bool zo_thin_metadata_formatted(const unsigned char *block, size_t len);

#endif
