#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <cmocka.h>

#include "core/swapcost.h"
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

/* Debian 12's kernel as the vm tier boots it: memcg on, zswap built in
 * (so frontswap), THP swap, a rotational virtio disk. */
static const struct zo_swap_kernel debian61 = {
	.major = 6, .minor = 1, .page_size = 4096, .memcg = 1, .swapaccount = -1,
	.memcg_swap_config = -1, .frontswap = 1, .thp_swap = 1, .nonrot = 0,
};

/* |got - want| <= want * pct / 100 + slack */
static void assert_near(uint64_t got, uint64_t want, unsigned pct, uint64_t slack)
{
	uint64_t diff = got > want ? got - want : want - got;

	if (diff > want / 100 * pct + slack)
		fail_msg("%llu is not within %u%% + %llu of %llu", (unsigned long long)got, pct,
			 (unsigned long long)slack, (unsigned long long)want);
}

static void swap_cost_matches_the_measurements(void **state)
{
	struct zo_swap_kernel k = debian61;
	struct zo_swap_cost c;

	(void)state;
	/* What the vm tier measured (MemFree before and after swapon, see
	 * core/swapcost.c): 256G, 64G; memcg off; an SSD. */
	zo_swap_cost(&k, 256 * ZO_GIB - 4096, &c);
	assert_int_equal(c.pages, 67108863);
	assert_near(c.total, 206280 * ZO_KIB, 1, 0);
	assert_int_equal(c.milli_per_page, 3145);
	assert_false(c.assumed_swap_cgroup);
	zo_swap_cost(&k, 64 * ZO_GIB - 4096, &c);
	assert_near(c.total, 53492 * ZO_KIB, 1, 3 * ZO_MIB);
	k.memcg = 0;
	zo_swap_cost(&k, 256 * ZO_GIB - 4096, &c);
	assert_int_equal(c.swap_cgroup, 0);
	assert_near(c.total, 74736 * ZO_KIB, 1, 0);
	k = debian61;
	k.nonrot = 1;
	zo_swap_cost(&k, 256 * ZO_GIB, &c);
	assert_int_equal(c.clusters, ZO_MIB);

	/* The README's case: 10T needed more than 6 GB on this kernel. */
	zo_swap_cost(&debian61, 10 * ZO_TIB, &c);
	assert_int_equal(c.pages, 10 * ZO_TIB / 4096);
	assert_int_equal(c.swap_map, 10 * ZO_TIB / 4096 / 4096 * 4112);
	assert_int_equal(c.swap_cgroup, 10 * ZO_TIB / 4096 / 4096 * 8208);
	assert_true(c.total > 6 * ZO_GIB);
	assert_true(c.total < 8 * ZO_GIB);
	assert_int_equal(c.total, c.swap_map + c.swap_cgroup + c.frontswap + c.address_spaces);
}

static void swap_cost_follows_the_kernel(void **state)
{
	struct zo_swap_kernel k = debian61;
	struct zo_swap_cost c;

	(void)state;
	/* 6.1 ignores swapaccount=0 (measured) */
	k.swapaccount = 0;
	zo_swap_cost(&k, ZO_TIB, &c);
	assert_true(c.swap_cgroup > 0);
	/* 5.8 to 6.0 honour it */
	k.major = 5;
	k.minor = 10;
	zo_swap_cost(&k, ZO_TIB, &c);
	assert_int_equal(c.swap_cgroup, 0);
	k.swapaccount = -1;
	zo_swap_cost(&k, ZO_TIB, &c);
	assert_true(c.swap_cgroup > 0);
	/* before 5.8 the config's default decides, unless the command line does */
	k.major = 4;
	k.minor = 4;
	k.memcg_swap_config = 0;
	zo_swap_cost(&k, ZO_TIB, &c);
	assert_int_equal(c.swap_cgroup, 0);
	k.swapaccount = 1;
	zo_swap_cost(&k, ZO_TIB, &c);
	assert_true(c.swap_cgroup > 0);
	/* unknown: counted, and said so */
	k.swapaccount = -1;
	k.memcg_swap_config = -1;
	zo_swap_cost(&k, ZO_TIB, &c);
	assert_true(c.swap_cgroup > 0);
	assert_true(c.assumed_swap_cgroup);
	k.memcg = 0;
	zo_swap_cost(&k, ZO_TIB, &c);
	assert_int_equal(c.swap_cgroup, 0);
	assert_false(c.assumed_swap_cgroup);
	/* an unreadable /proc/cgroups counts the map */
	k = debian61;
	k.memcg = -1;
	zo_swap_cost(&k, ZO_TIB, &c);
	assert_true(c.assumed_swap_cgroup);

	/* frontswap went away in 6.5; the zero-page bitmap came in 6.12 */
	k = debian61;
	k.major = 6;
	k.minor = 5;
	zo_swap_cost(&k, ZO_TIB, &c);
	assert_int_equal(c.frontswap, 0);
	assert_int_equal(c.zeromap, 0);
	k.minor = 12;
	zo_swap_cost(&k, ZO_TIB, &c);
	assert_int_equal(c.zeromap, ZO_TIB / 4096 / 4096 * 514);
	/* an unknown release counts frontswap, an unknown device clusters of
	 * 256 pages */
	k = debian61;
	k.major = k.minor = 0;
	k.nonrot = -1;
	k.thp_swap = -1;
	zo_swap_cost(&k, ZO_TIB, &c);
	assert_true(c.frontswap > 0);
	assert_int_equal(c.clusters, ZO_TIB / 4096 / 256 * 8);
	/* the page size */
	k = debian61;
	k.page_size = 65536;
	zo_swap_cost(&k, ZO_TIB, &c);
	assert_int_equal(c.pages, ZO_TIB / 65536);
}

static void swap_cost_budget_and_inverse(void **state)
{
	struct zo_swap_cost c;
	uint64_t max;
	char *parts;

	(void)state;
	assert_int_equal(zo_swap_cost_budget(800 * ZO_MIB), 600 * ZO_MIB);
	max = zo_swap_cost_max_bytes(&debian61, 600 * ZO_MIB);
	assert_int_equal(max % 4096, 0);
	zo_swap_cost(&debian61, max, &c);
	assert_true(c.total <= 600 * ZO_MIB);
	zo_swap_cost(&debian61, max + 4096 * 8, &c);
	assert_true(c.total > 600 * ZO_MIB);
	/* 160 GB of RAM affords a 10T volume; 8 GB does not */
	assert_true(zo_swap_cost_max_bytes(&debian61, zo_swap_cost_budget(150 * ZO_GIB)) >
		    10 * ZO_TIB);
	assert_true(zo_swap_cost_max_bytes(&debian61, zo_swap_cost_budget(8 * ZO_GIB)) <
		    10 * ZO_TIB);
	assert_int_equal(zo_swap_cost_max_bytes(&debian61, 0), 0);

	zo_swap_cost(&debian61, 256 * ZO_GIB, &c);
	parts = zo_swap_cost_parts(&c);
	assert_string_equal(parts, "swap_map 1.003, swap cgroup 2.003, frontswap map 0.125, "
				   "address spaces 0.011");
	free(parts);
}

static void swap_cost_facts_parse(void **state)
{
	unsigned major = 0, minor = 0;

	(void)state;
	assert_int_equal(zo_parse_kernel_release("6.1.0-57-amd64", &major, &minor), 0);
	assert_int_equal(major, 6);
	assert_int_equal(minor, 1);
	assert_int_equal(zo_parse_kernel_release("3.10.0-1160.el7.x86_64", &major, &minor), 0);
	assert_int_equal(minor, 10);
	assert_int_equal(zo_parse_kernel_release("linux", &major, &minor), -EINVAL);
	assert_int_equal(zo_parse_kernel_release(NULL, &major, &minor), -EINVAL);

	assert_int_equal(zo_parse_cgroups_memory("#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
						 "cpuset\t0\t1\t1\nmemory\t0\t1\t1\n"),
			 1);
	assert_int_equal(zo_parse_cgroups_memory("cpuset\t0\t1\t1\nmemory\t0\t1\t0\n"), 0);
	assert_int_equal(zo_parse_cgroups_memory("cpuset\t0\t1\t1\n"), 0);

	assert_int_equal(zo_parse_cmdline_swapaccount("ro quiet\n"), -1);
	assert_int_equal(zo_parse_cmdline_swapaccount("ro swapaccount=0 quiet\n"), 0);
	assert_int_equal(zo_parse_cmdline_swapaccount("swapaccount=0 swapaccount=1\n"), 1);
	assert_int_equal(zo_parse_cmdline_swapaccount("ro swapaccount\n"), 1);
	assert_int_equal(zo_parse_cmdline_swapaccount("ro zsim.swapaccount=0\n"), -1);

	assert_int_equal(zo_parse_kconfig_bool("CONFIG_MEMCG_SWAP=y\n"
					       "# CONFIG_MEMCG_SWAP_ENABLED is not set\n",
					       "CONFIG_MEMCG_SWAP_ENABLED"),
			 0);
	assert_int_equal(zo_parse_kconfig_bool("CONFIG_MEMCG_SWAP_ENABLED=y\n",
					       "CONFIG_MEMCG_SWAP"),
			 0);
	assert_int_equal(zo_parse_kconfig_bool("A=1\nCONFIG_FRONTSWAP=y\n", "CONFIG_FRONTSWAP"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(metadata_size_follows_thin_metadata_size),
		cmocka_unit_test(plan_lays_out_the_pool),
		cmocka_unit_test(plan_rejects_bad_sizes),
		cmocka_unit_test(pool_status_parses),
		cmocka_unit_test(superblock_magic),
		cmocka_unit_test(swap_cost_matches_the_measurements),
		cmocka_unit_test(swap_cost_follows_the_kernel),
		cmocka_unit_test(swap_cost_budget_and_inverse),
		cmocka_unit_test(swap_cost_facts_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
