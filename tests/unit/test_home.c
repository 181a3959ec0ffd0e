/* setup --home-device's pure parts: the GPT it writes (checked against
 * what sfdisk reads back in the vm tier), the fstab line, the names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/gpt.h"
#include "core/home.h"

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)get64(p) & 0xffffffffU;
}

/* The header's own checksum, taken with its field zeroed. */
static void assert_header_crc(const unsigned char *h)
{
	unsigned char copy[92];

	memcpy(copy, h, sizeof(copy));
	memset(copy + 16, 0, 4);
	assert_int_equal(zo_crc32(copy, sizeof(copy)), get32(h + 16));
}

static const unsigned char disk_guid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
static const unsigned char part_guid[16] = { 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 };

static void gpt_of_a_512_byte_sector_disk(void **state)
{
	struct zo_gpt g;
	const unsigned char *h, *e, *b;

	(void)state;
	/* 1 GiB: what sfdisk --dump showed for it in the vm tier */
	assert_int_equal(zo_gpt_build(1ULL << 30, 512, disk_guid, part_guid, "zsim-home", &g), 0);
	assert_int_equal(g.sectors, 2097152);
	assert_int_equal(g.first_usable, 34);
	assert_int_equal(g.last_usable, 2097118);
	assert_int_equal(g.part_first, 2048);
	assert_int_equal(g.part_last, 2095103);
	assert_int_equal(g.primary_len, 34 * 512);
	assert_int_equal(g.backup_len, 33 * 512);
	assert_int_equal(g.backup_offset, (2097152 - 33) * 512ULL);

	/* protective MBR */
	assert_int_equal(g.primary[446 + 4], 0xee);
	assert_int_equal(get32(g.primary + 446 + 8), 1);
	assert_int_equal(get32(g.primary + 446 + 12), 2097151);
	assert_int_equal(g.primary[510], 0x55);
	assert_int_equal(g.primary[511], 0xaa);

	h = g.primary + 512;
	assert_memory_equal(h, "EFI PART", 8);
	assert_header_crc(h);
	assert_int_equal(get64(h + 24), 1);
	assert_int_equal(get64(h + 32), 2097151);
	assert_int_equal(get64(h + 72), 2);
	assert_memory_equal(h + 56, disk_guid, 16);
	e = g.primary + 1024;
	assert_int_equal(zo_crc32(e, 128 * 128), get32(h + 88));
	/* the entry: Linux filesystem, our GUID, the range, the name */
	assert_memory_equal(e, "\xaf\x3d\xc6\x0f\x83\x84\x72\x47\x8e\x79\x3d\x69\xd8\x47\x7d\xe4", 16);
	assert_memory_equal(e + 16, part_guid, 16);
	assert_int_equal(get64(e + 32), 2048);
	assert_int_equal(get64(e + 40), 2095103);
	assert_memory_equal(e + 56, "z\0s\0i\0m\0-\0h\0o\0m\0e\0\0\0", 20);

	/* the backup: entries, then its header on the last sector */
	b = g.backup + 32 * 512;
	assert_memory_equal(g.backup, e, 128 * 128);
	assert_header_crc(b);
	assert_int_equal(get64(b + 24), 2097151);
	assert_int_equal(get64(b + 32), 1);
	assert_int_equal(get64(b + 72), 2097151 - 32);
	assert_int_equal(get32(b + 88), get32(h + 88));
	zo_gpt_release(&g);
}

static void gpt_of_a_4k_sector_disk_and_bad_input(void **state)
{
	struct zo_gpt g;

	(void)state;
	assert_int_equal(zo_gpt_build(1ULL << 30, 4096, disk_guid, part_guid, "zsim-home", &g), 0);
	assert_int_equal(g.first_usable, 6);
	assert_int_equal(g.part_first, 256);
	assert_int_equal(g.last_usable, 262144 - 6);
	assert_int_equal(g.part_last, 262143 - 256);
	assert_int_equal(g.primary_len, 6 * 4096);
	zo_gpt_release(&g);

	assert_int_equal(zo_gpt_build(1ULL << 30, 1024, disk_guid, part_guid, "x", &g), -EINVAL);
	assert_int_equal(zo_gpt_build(2ULL << 20, 512, disk_guid, part_guid, "x", &g), -ENOSPC);
	assert_int_equal(zo_gpt_build(1ULL << 30, 512, disk_guid, part_guid, "", &g), -EINVAL);
	assert_int_equal(zo_gpt_build(1ULL << 30, 512, disk_guid, part_guid,
				      "a name longer than thirty-six characters", &g),
			 -EINVAL);
	assert_int_equal(zo_gpt_build(1ULL << 30, 512, disk_guid, part_guid, "tab\there", &g),
			 -EINVAL);
}

static void guids_and_crc(void **state)
{
	unsigned char g[16];
	char text[37];

	(void)state;
	assert_int_equal(zo_crc32((const unsigned char *)"123456789", 9), 0xcbf43926U);
	assert_int_equal(zo_guid_parse(ZO_GPT_TYPE_LINUX_FS, g), 0);
	zo_guid_format(g, text);
	assert_string_equal(text, ZO_GPT_TYPE_LINUX_FS);
	assert_int_equal(zo_guid_parse("0FC63DAF-8483-4772-8E79-3D69D8477DE", g), -EINVAL);
	assert_int_equal(zo_guid_parse("0FC63DAF+8483-4772-8E79-3D69D8477DE4", g), -EINVAL);
	assert_int_equal(zo_guid_parse("0FC63DAF-8483-4772-8E79-3D69D8477DEX", g), -EINVAL);
	memset(g, 0xff, sizeof(g));
	zo_guid_from_random(g);
	zo_guid_format(g, text);
	assert_string_equal(text, "FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF");
}

static void fstab_and_names(void **state)
{
	char *s, *spec = NULL;
	const char *argv[8];

	(void)state;
	s = zo_fstab_line("abc", "/home", "ext4");
	assert_string_equal(s, "UUID=abc /home ext4 defaults,nofail 0 2");
	free(s);
	s = zo_fstab_line("abc", "/users", "xfs");
	assert_string_equal(s, "UUID=abc /users xfs defaults,nofail 0 0");
	free(s);

	assert_int_equal(zo_fstab_find(NULL, "/home", &spec), 0);
	assert_int_equal(zo_fstab_find("# /dev/sda3 /home ext4\n/dev/sda1 / ext4 defaults 0 1\n",
				       "/home", &spec),
			 0);
	assert_int_equal(zo_fstab_find("/dev/sda1 / ext4 defaults 0 1\n  UUID=1\t/home xfs\n"
				       "UUID=2 /home ext4\n",
				       "/home", &spec),
			 1);
	assert_string_equal(spec, "UUID=2");
	free(spec);
	assert_int_equal(zo_fstab_find("UUID=1 /home/x ext4\n", "/home", NULL), 0);

	s = zo_fstab_append("a b", "c d");
	assert_string_equal(s, "a b\nc d\n");
	free(s);
	s = zo_fstab_append("", "c d");
	assert_string_equal(s, "c d\n");
	free(s);
	s = zo_fstab_append(NULL, "c d");
	assert_string_equal(s, "c d\n");
	free(s);

	assert_true(zo_home_mount_ok("/home"));
	assert_true(zo_home_mount_ok("/users/a.b"));
	assert_false(zo_home_mount_ok("/"));
	assert_false(zo_home_mount_ok("home"));
	assert_false(zo_home_mount_ok("/home/"));
	assert_false(zo_home_mount_ok("//home"));
	assert_false(zo_home_mount_ok("/a/../home"));
	assert_false(zo_home_mount_ok("/a/.."));
	assert_false(zo_home_mount_ok("/a/."));
	assert_false(zo_home_mount_ok("/my home"));
	assert_false(zo_home_mount_ok(NULL));
	assert_true(zo_home_fs_ok("xfs"));
	assert_false(zo_home_fs_ok("btrfs"));

	zo_home_mkfs_argv("xfs", "/dev/sdb1", argv);
	assert_string_equal(argv[0], "mkfs.xfs");
	assert_string_equal(argv[2], "-f");
	assert_string_equal(argv[5], "/dev/sdb1");
	assert_null(argv[6]);
	zo_home_copy_argv("/home/.", "/run/x", argv);
	assert_string_equal(argv[1], "-a");
	assert_string_equal(argv[3], "/home/.");
	assert_null(argv[5]);

	s = zo_partition_name("sdb", 1);
	assert_string_equal(s, "sdb1");
	free(s);
	s = zo_partition_name("nvme0n1", 1);
	assert_string_equal(s, "nvme0n1p1");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gpt_of_a_512_byte_sector_disk),
		cmocka_unit_test(gpt_of_a_4k_sector_disk_and_bad_input),
		cmocka_unit_test(guids_and_crc),
		cmocka_unit_test(fstab_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
