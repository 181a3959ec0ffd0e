#include "core/gpt.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define ENTRIES_BYTES (ZO_GPT_ENTRIES * ZO_GPT_ENTRY_SIZE)
#define HEADER_SIZE 92
#define NAME_MAX_CHARS 36

uint32_t zo_crc32(const unsigned char *buf, size_t len)
{
	uint32_t crc = 0xffffffffU;
	size_t i;
	int bit;

	for (i = 0; i < len; i++) {
		crc ^= buf[i];
		for (bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xedb88320U & (0U - (crc & 1)));
	}
	return ~crc;
}

static void le16(unsigned char *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void le32(unsigned char *p, uint32_t v)
{
	le16(p, v & 0xffff);
	le16(p + 2, v >> 16);
}

static void le64(unsigned char *p, uint64_t v)
{
	le32(p, (uint32_t)v);
	le32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get_le32(const unsigned char *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void zo_guid_from_random(unsigned char guid[16])
{
	guid[7] = (guid[7] & 0x0f) | 0x40; /* version 4, in the little-endian third field */
	guid[8] = (guid[8] & 0x3f) | 0x80; /* RFC 4122 variant */
}

void zo_guid_format(const unsigned char g[16], char buf[37])
{
	snprintf(buf, 37, "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X", get_le32(g),
		 g[4] | g[5] << 8, g[6] | g[7] << 8, g[8], g[9], g[10], g[11], g[12], g[13], g[14],
		 g[15]);
}

int zo_guid_parse(const char *text, unsigned char g[16])
{
	/* byte i of the GUID is the hex pair at text offset pos[i] */
	static const int pos[16] = { 6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34 };
	size_t i;

	if (strlen(text) != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
	    text[23] != '-')
		return -EINVAL;
	for (i = 0; i < 36; i++)
		if (i != 8 && i != 13 && i != 18 && i != 23 && !isxdigit((unsigned char)text[i]))
			return -EINVAL;
	for (i = 0; i < 16; i++) {
		unsigned v;

		if (sscanf(text + pos[i], "%2x", &v) != 1)
			return -EINVAL;
		g[i] = (unsigned char)v;
	}
	return 0;
}

/* The header at `p` (one sector), checksummed. */
static void header(unsigned char *p, const struct zo_gpt *g, uint64_t self, uint64_t other,
		   uint64_t entries_lba, const unsigned char disk_guid[16], uint32_t entries_crc)
{
	memcpy(p, "EFI PART", 8);
	le32(p + 8, 0x00010000);
	le32(p + 12, HEADER_SIZE);
	le64(p + 24, self);
	le64(p + 32, other);
	le64(p + 40, g->first_usable);
	le64(p + 48, g->last_usable);
	memcpy(p + 56, disk_guid, 16);
	le64(p + 72, entries_lba);
	le32(p + 80, ZO_GPT_ENTRIES);
	le32(p + 84, ZO_GPT_ENTRY_SIZE);
	le32(p + 88, entries_crc);
	le32(p + 16, zo_crc32(p, HEADER_SIZE));
}

static void protective_mbr(unsigned char *p, uint64_t sectors)
{
	unsigned char *rec = p + 446;

	rec[1] = 0x00; /* CHS of LBA 1: head 0, sector 2, cylinder 0 */
	rec[2] = 0x02;
	rec[4] = 0xee;
	rec[5] = rec[6] = rec[7] = 0xff;
	le32(rec + 8, 1);
	le32(rec + 12, sectors - 1 > 0xffffffffULL ? 0xffffffffU : (uint32_t)(sectors - 1));
	p[510] = 0x55;
	p[511] = 0xaa;
}

static int entry(unsigned char *p, const struct zo_gpt *g, const unsigned char part_guid[16],
		 const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > NAME_MAX_CHARS)
		return -EINVAL;
	if (zo_guid_parse(ZO_GPT_TYPE_LINUX_FS, p) < 0)
		return -EINVAL;
	memcpy(p + 16, part_guid, 16);
	le64(p + 32, g->part_first);
	le64(p + 40, g->part_last);
	for (i = 0; i < n; i++) {
		if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] > 0x7e)
			return -EINVAL;
		le16(p + 56 + 2 * i, (unsigned char)name[i]);
	}
	return 0;
}

int zo_gpt_build(uint64_t disk_bytes, uint64_t sector_size, const unsigned char disk_guid[16],
		 const unsigned char part_guid[16], const char *name, struct zo_gpt *ret)
{
	struct zo_gpt g;
	uint64_t entry_sectors, grain, end;
	unsigned char entries[ENTRIES_BYTES];
	uint32_t crc;
	int r;

	memset(&g, 0, sizeof(g));
	if (sector_size != 512 && sector_size != 4096)
		return -EINVAL;
	g.sector_size = sector_size;
	g.sectors = disk_bytes / sector_size;
	entry_sectors = ENTRIES_BYTES / sector_size;
	grain = ZO_GPT_ALIGN / sector_size;
	/* MBR, header, entries; at the end the backup entries and header */
	if (g.sectors < 2 * (2 + entry_sectors) + 2 * grain)
		return -ENOSPC;
	g.first_usable = 2 + entry_sectors;
	g.last_usable = g.sectors - 2 - entry_sectors;
	g.part_first = grain;
	end = (g.last_usable + 1) / grain * grain;
	if (end < g.part_first + grain)
		return -ENOSPC;
	g.part_last = end - 1;

	memset(entries, 0, sizeof(entries));
	r = entry(entries, &g, part_guid, name);
	if (r < 0)
		return r;
	crc = zo_crc32(entries, sizeof(entries));

	g.primary_len = (2 + entry_sectors) * sector_size;
	g.backup_len = (entry_sectors + 1) * sector_size;
	g.backup_offset = (g.sectors - 1 - entry_sectors) * sector_size;
	g.primary = calloc(1, g.primary_len);
	g.backup = calloc(1, g.backup_len);
	if (!g.primary || !g.backup) {
		zo_gpt_release(&g);
		return -ENOMEM;
	}
	protective_mbr(g.primary, g.sectors);
	header(g.primary + sector_size, &g, 1, g.sectors - 1, 2, disk_guid, crc);
	memcpy(g.primary + 2 * sector_size, entries, sizeof(entries));
	memcpy(g.backup, entries, sizeof(entries));
	header(g.backup + entry_sectors * sector_size, &g, g.sectors - 1, 1,
	       g.sectors - 1 - entry_sectors, disk_guid, crc);
	*ret = g;
	return 0;
}

void zo_gpt_release(struct zo_gpt *g)
{
	free(g->primary);
	free(g->backup);
	memset(g, 0, sizeof(*g));
}
