#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <cmocka.h>

#include "core/thin.h"
#include "core/units.h"

static void metadata_size_follows_thin_metadata_size(void **state)
{
	(void)state;
	/* 1T of 64K blocks: div_up(2^24, 126) leaves of 8 sectors, one root */
	assert_int_equal(zo_thin_metadata_size(ZO_TIB / (64 * ZO_KIB), 1),
			 (133153ULL * 8 + 8) * 512);
	/* 10T of 128M blocks: 651 leaves + 1 root, above the 2M floor */
	assert_int_equal(zo_thin_metadata_size(10 * ZO_TIB / (128 * ZO_MIB), 1), 652 * 4096ULL);
	assert_int_equal(zo_thin_metadata_size(16, 1), 2 * ZO_MIB);
	assert_int_equal(zo_thin_metadata_size(1ULL << 40, 1), ZO_THIN_METADATA_MAX);
}

static void plan_lays_out_the_pool(void **state)
{
	struct zo_thin_plan p;
	char *why = NULL;

	(void)state;
	assert_int_equal(zo_thin_plan(2 * ZO_GIB + 5, 64 * ZO_MIB, 10 * ZO_TIB + 100, 0, &p, &why),
			 0);
	assert_null(why);
	assert_int_equal(p.data_blocks, 32);
	assert_int_equal(p.low_water_blocks, 4);
	assert_int_equal(p.virtual_bytes, 10 * ZO_TIB);
	assert_int_equal(zo_thin_pool_sectors(&p), 32 * 131072);
	assert_int_equal(zo_thin_volume_sectors(&p), 10 * ZO_TIB / 512);

	char meta_text[ZO_DEVNO_TEXT_MAX], data_text[ZO_DEVNO_TEXT_MAX];
	zo_devno_text(makedev(7, 0), meta_text);
	zo_devno_text(makedev(254, 16), data_text);
	assert_string_equal(data_text, "254:16");
	char *params = zo_thin_pool_params(&p, meta_text, data_text);
	assert_string_equal(params, "7:0 254:16 131072 4 2 skip_block_zeroing error_if_no_space");
	dev_t meta, data;
	assert_int_equal(zo_thin_pool_params_devices(params, &meta, &data), 0);
	assert_true(meta == makedev(7, 0) && data == makedev(254, 16));
	free(params);
	params = zo_thin_volume_params("253:0", 0);
	assert_string_equal(params, "253:0 0");
	free(params);
	/* a --dry-run plan names a device that does not exist yet */
	params = zo_thin_pool_params(&p, "<metadata>", data_text);
	assert_string_equal(params,
			    "<metadata> 254:16 131072 4 2 skip_block_zeroing error_if_no_space");
	free(params);

	assert_int_equal(zo_thin_plan(2 * ZO_GIB, 64 * ZO_MIB, 4 * ZO_GIB, 640 * ZO_MIB, &p, &why),
			 0);
	assert_int_equal(p.low_water_blocks, 10);
}

static void plan_rejects_bad_sizes(void **state)
{
	struct zo_thin_plan p;
	char *why = NULL;

	(void)state;
	assert_int_equal(zo_thin_plan(ZO_GIB, 100 * ZO_KIB, ZO_TIB, 0, &p, &why), -EINVAL);
	assert_string_equal(why, "block size 100K: use a multiple of 64K from 64K to 1G");
	free(why);
	assert_int_equal(zo_thin_plan(ZO_GIB, 2 * ZO_GIB, ZO_TIB, 0, &p, &why), -EINVAL);
	free(why);
	assert_int_equal(zo_thin_plan(ZO_GIB, 128 * ZO_MIB, 0, 0, &p, &why), -EINVAL);
	assert_string_equal(why, "virtual size 0: use at least 1M");
	free(why);
	assert_int_equal(zo_thin_plan(ZO_MIB, 128 * ZO_MIB, ZO_TIB, 0, &p, &why), -EINVAL);
	assert_non_null(strstr(why, "smaller than one pool block (128M)"));
	free(why);
	assert_int_equal(zo_thin_plan(ZO_MIB, 64 * ZO_KIB, ZO_TIB, 0, &p, &why), -EINVAL);
	assert_string_equal(why, "the data device (1M) is smaller than the pool's metadata (2M)");
	free(why);
	assert_int_equal(zo_thin_plan(ZO_GIB, 128 * ZO_MIB, ZO_TIB, ZO_GIB, &p, &why), -EINVAL);
	free(why);
}

static void pool_status_parses(void **state)
{
	struct zo_thin_pool_status s;
	uint64_t mapped;

	(void)state;
	assert_int_equal(zo_thin_parse_pool_status("0 61/512 5/32 - rw discard_passdown "
						   "error_if_no_space - 128",
						   &s),
			 0);
	assert_false(s.failed);
	assert_int_equal(s.metadata_used, 61);
	assert_int_equal(s.metadata_total, 512);
	assert_int_equal(s.data_used, 5);
	assert_int_equal(s.data_total, 32);
	assert_string_equal(s.mode, "rw");
	assert_false(s.queue_if_no_space);
	assert_false(zo_thin_nearly_full(&s, 4));
	s.data_used = 28;
	assert_true(zo_thin_nearly_full(&s, 4));

	assert_int_equal(zo_thin_parse_pool_status("3 100/512 32/32 - out_of_data_space "
						   "discard_passdown queue_if_no_space needs_check",
						   &s),
			 0);
	assert_string_equal(s.mode, "out_of_data_space");
	assert_true(s.queue_if_no_space);
	assert_true(s.needs_check);
	assert_true(zo_thin_nearly_full(&s, 0));

	assert_int_equal(zo_thin_parse_pool_status("Fail", &s), 0);
	assert_true(s.failed);
	assert_true(zo_thin_nearly_full(&s, 0));
	assert_int_equal(zo_thin_parse_pool_status("0 61/512", &s), -EINVAL);
	assert_int_equal(zo_thin_parse_pool_status("x 61/512 5/32 - rw", &s), -EINVAL);

	assert_int_equal(zo_thin_parse_volume_status("262144 262143", &mapped), 0);
	assert_int_equal(mapped, 262144);
	assert_int_equal(zo_thin_parse_volume_status("0 -", &mapped), 0);
	assert_int_equal(zo_thin_parse_volume_status("Fail", &mapped), -EIO);
}

static void superblock_magic(void **state)
{
	unsigned char block[4096] = { 0 };

	(void)state;
	assert_false(zo_thin_metadata_formatted(block, sizeof(block)));
	/* 27022010 little endian at byte 32 */
	block[32] = 0xba;
	block[33] = 0x52;
	block[34] = 0x9c;
	block[35] = 0x01;
	assert_true(zo_thin_metadata_formatted(block, sizeof(block)));
	assert_false(zo_thin_metadata_formatted(block, 16));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(metadata_size_follows_thin_metadata_size),
		cmocka_unit_test(plan_lays_out_the_pool),
		cmocka_unit_test(plan_rejects_bad_sizes),
		cmocka_unit_test(pool_status_parses),
		cmocka_unit_test(superblock_magic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
