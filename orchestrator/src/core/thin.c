#include "core/thin.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "core/units.h"
#include "util/str.h"

#include "util/banned.h"

#define SECTOR 512ULL
/* thin_metadata_size's model: mapping leaves half full (126 entries of a
 * 4 KiB node), plus one root node per thin device. */
#define ENTRIES_PER_LEAF 126ULL
/* struct thin_disk_superblock: magic at byte 32, little endian. */
#define SUPERBLOCK_MAGIC 27022010ULL
#define SUPERBLOCK_MAGIC_OFFSET 32

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

uint64_t zo_thin_metadata_size(uint64_t nr_blocks, uint64_t max_thins)
{
	uint64_t sectors = div_up(nr_blocks, ENTRIES_PER_LEAF) * 8 + max_thins * 8;
	uint64_t bytes = sectors * SECTOR;

	if (bytes < ZO_THIN_METADATA_MIN)
		bytes = ZO_THIN_METADATA_MIN;
	if (bytes > ZO_THIN_METADATA_MAX)
		bytes = ZO_THIN_METADATA_MAX;
	return div_up(bytes, ZO_THIN_METADATA_BLOCK) * ZO_THIN_METADATA_BLOCK;
}

static int plan_error(char **ret_error, const char *fmt, uint64_t a, uint64_t b)
{
	char x[32], y[32];

	zo_size_format(a, x, sizeof(x));
	zo_size_format(b, y, sizeof(y));
	*ret_error = zo_asprintf(fmt, x, y);
	return -EINVAL;
}

int zo_thin_plan(uint64_t data_bytes, uint64_t block_bytes, uint64_t virtual_bytes,
		 uint64_t low_water_bytes, struct zo_thin_plan *ret, char **ret_error)
{
	struct zo_thin_plan p = { 0 };

	*ret_error = NULL;
	if (block_bytes < ZO_THIN_BLOCK_MIN || block_bytes > ZO_THIN_BLOCK_MAX ||
	    block_bytes % ZO_THIN_BLOCK_MIN)
		return plan_error(ret_error,
				  "block size %s: use a multiple of 64K from %s to 1G",
				  block_bytes, ZO_THIN_BLOCK_MIN);
	if (virtual_bytes < ZO_MIB)
		return plan_error(ret_error, "virtual size %s: use at least %s", virtual_bytes,
				  ZO_MIB);
	p.block_bytes = block_bytes;
	p.data_blocks = data_bytes / block_bytes;
	p.virtual_bytes = virtual_bytes / SECTOR * SECTOR;
	if (p.data_blocks == 0)
		return plan_error(ret_error,
				  "the data device (%s) is smaller than one pool block (%s); "
				  "use a larger device or a smaller --block-size",
				  data_bytes, block_bytes);
	p.metadata_bytes = zo_thin_metadata_size(p.data_blocks, 1);
	if (data_bytes < p.metadata_bytes)
		return plan_error(ret_error,
				  "the data device (%s) is smaller than the pool's metadata (%s)",
				  data_bytes, p.metadata_bytes);
	if (low_water_bytes) {
		p.low_water_blocks = div_up(low_water_bytes, block_bytes);
		if (p.low_water_blocks >= p.data_blocks)
			return plan_error(ret_error,
					  "low water mark %s: must be less than the pool (%s)",
					  low_water_bytes, p.data_blocks * block_bytes);
	} else {
		p.low_water_blocks = div_up(p.data_blocks, 10);
		if (p.low_water_blocks >= p.data_blocks)
			p.low_water_blocks = p.data_blocks - 1;
	}
	*ret = p;
	return 0;
}

uint64_t zo_thin_pool_sectors(const struct zo_thin_plan *p)
{
	return p->data_blocks * (p->block_bytes / SECTOR);
}

uint64_t zo_thin_volume_sectors(const struct zo_thin_plan *p)
{
	return p->virtual_bytes / SECTOR;
}

void zo_devno_text(dev_t devno, char buf[ZO_DEVNO_TEXT_MAX])
{
	snprintf(buf, ZO_DEVNO_TEXT_MAX, "%u:%u", major(devno), minor(devno));
}

char *zo_thin_pool_params(const struct zo_thin_plan *p, const char *metadata, const char *data)
{
	/* skip_block_zeroing: swap never reads a block before writing it, so
	 * zeroing new blocks only costs time. error_if_no_space: a full pool
	 * fails swap writes at once instead of queueing them, which is what
	 * hung hosts with the old setup. */
	return zo_asprintf("%s %s %" PRIu64 " %" PRIu64 " 2 skip_block_zeroing error_if_no_space",
			   metadata, data, (uint64_t)(p->block_bytes / SECTOR),
			   p->low_water_blocks);
}

char *zo_thin_volume_params(const char *pool, unsigned device_id)
{
	return zo_asprintf("%s %u", pool, device_id);
}

int zo_thin_pool_params_devices(const char *params, dev_t *metadata, dev_t *data)
{
	unsigned ma, mi, da, di;

	if (sscanf(params, "%u:%u %u:%u", &ma, &mi, &da, &di) != 4)
		return -EINVAL;
	*metadata = makedev(ma, mi);
	*data = makedev(da, di);
	return 0;
}

int zo_thin_parse_pool_status(const char *params, struct zo_thin_pool_status *ret)
{
	struct zo_thin_pool_status s = { 0 };
	char **words = NULL;
	size_t n, i;
	int r;

	if (!strcmp(params, "Fail") || !strcmp(params, "Error")) {
		s.failed = true;
		*ret = s;
		return 0;
	}
	r = zo_strv_split(params, ' ', &words);
	if (r < 0)
		return r;
	n = zo_strv_length(words);
	r = -EINVAL;
	if (n < 5)
		goto out;
	if (sscanf(words[0], "%" SCNu64, &s.transaction_id) != 1 ||
	    sscanf(words[1], "%" SCNu64 "/%" SCNu64, &s.metadata_used, &s.metadata_total) != 2 ||
	    sscanf(words[2], "%" SCNu64 "/%" SCNu64, &s.data_used, &s.data_total) != 2)
		goto out;
	snprintf(s.mode, sizeof(s.mode), "%s", n > 4 ? words[4] : "");
	for (i = 5; i < n; i++) {
		if (!strcmp(words[i], "queue_if_no_space"))
			s.queue_if_no_space = true;
		else if (!strcmp(words[i], "needs_check"))
			s.needs_check = true;
	}
	*ret = s;
	r = 0;
out:
	zo_strv_free(words);
	return r;
}

int zo_thin_parse_volume_status(const char *params, uint64_t *mapped_sectors)
{
	if (!strcmp(params, "Fail"))
		return -EIO;
	if (sscanf(params, "%" SCNu64, mapped_sectors) != 1)
		return -EINVAL;
	return 0;
}

bool zo_thin_nearly_full(const struct zo_thin_pool_status *s, uint64_t low_water_blocks)
{
	if (s->failed || strcmp(s->mode, "rw"))
		return true;
	return s->data_total - s->data_used <= low_water_blocks;
}

bool zo_thin_metadata_formatted(const unsigned char *block, size_t len)
{
	uint64_t magic = 0;
	int i;

	if (len < SUPERBLOCK_MAGIC_OFFSET + 8)
		return false;
	for (i = 7; i >= 0; i--)
		magic = magic << 8 | block[SUPERBLOCK_MAGIC_OFFSET + i];
	return magic == SUPERBLOCK_MAGIC;
}
