#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/devspec.h"
#include "core/procfs.h"
#include "util/str.h"

static void meminfo(void **state)
{
	struct zo_meminfo m;

	(void)state;
	assert_int_equal(zo_parse_meminfo("MemTotal:       65855908 kB\n"
					  "MemFree:        1 kB\n"
					  "MemAvailable:   62914560 kB\n"
					  "SwapTotal:      10737418236 kB\n"
					  "SwapFree:       10 kB\n",
					  &m),
			 0);
	assert_true(m.mem_total == 65855908ULL * 1024);
	assert_true(m.mem_available == 62914560ULL * 1024);
	assert_true(m.swap_total == 10737418236ULL * 1024);
	assert_true(m.swap_free == 10240);
	assert_int_equal(zo_parse_meminfo("MemFree: 1 kB\n", &m), -ENODATA);
	assert_int_equal(zo_parse_meminfo("MemTotal: lots\n", &m), -EINVAL);
}

static void swaps(void **state)
{
	struct zo_swap_entry *v = NULL;
	size_t n = 99;

	(void)state;
	assert_int_equal(zo_parse_swaps("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n", &v, &n), 0);
	assert_int_equal(n, 0);
	zo_swap_entries_free(v, n);
	assert_int_equal(zo_parse_swaps("Filename\tType\tSize\tUsed\tPriority\n"
					"/dev/dm-1  partition\t10737418236\t2097152\t-2\n"
					"/var/my\\040swap\\134file file 1048572 0 5\n",
					&v, &n),
			 2);
	assert_string_equal(v[0].filename, "/dev/dm-1");
	assert_string_equal(v[0].type, "partition");
	assert_true(v[0].size == 10737418236ULL * 1024);
	assert_true(v[0].used == 2097152ULL * 1024);
	assert_int_equal(v[0].priority, -2);
	assert_string_equal(v[1].filename, "/var/my swap\\file");
	assert_int_equal(v[1].priority, 5);
	zo_swap_entries_free(v, n);
	assert_int_equal(zo_parse_swaps("Filename\n/dev/x partition notanumber 0 -2\n", &v, &n), -EINVAL);
}

static void address_bits(void **state)
{
	unsigned p = 0, v = 0;

	(void)state;
	assert_int_equal(zo_parse_address_bits("processor\t: 0\n"
					       "address sizes\t: 39 bits physical, 48 bits virtual\n",
					       &p, &v),
			 0);
	assert_int_equal(p, 39);
	assert_int_equal(v, 48);
	assert_int_equal(zo_parse_address_bits("processor\t: 0\n", &p, &v), -ENODATA);
	assert_int_equal(zo_parse_address_bits("address sizes\t: garbage\n", &p, &v), -EINVAL);
}

static void cpus_and_params(void **state)
{
	(void)state;
	assert_int_equal(zo_parse_cpu_count("processor\t: 0\nmodel name\t: x processor\n"
					    "processor\t: 1\n"),
			 2);
	assert_int_equal(zo_parse_cpu_count(""), 0);
	assert_int_equal(zo_parse_param_bool("Y"), 1);
	assert_int_equal(zo_parse_param_bool("1"), 1);
	assert_int_equal(zo_parse_param_bool("N"), 0);
	assert_int_equal(zo_parse_param_bool("0"), 0);
	assert_int_equal(zo_parse_param_bool("y"), -1);
	assert_int_equal(zo_parse_param_bool(""), -1);
	assert_int_equal(zo_parse_param_bool(NULL), -1);
}

static void devspecs(void **state)
{
	(void)state;
	assert_int_equal(zo_devspec_classify("UUID=5f1c"), ZO_DEVSPEC_UUID);
	assert_int_equal(zo_devspec_classify("PARTUUID=ab-01"), ZO_DEVSPEC_PARTUUID);
	assert_int_equal(zo_devspec_classify("LABEL=swap"), ZO_DEVSPEC_LABEL);
	assert_int_equal(zo_devspec_classify("SERIAL=Z4011ABC"), ZO_DEVSPEC_SERIAL);
	assert_int_equal(zo_devspec_classify("/dev/disk/by-id/ata-ST1200"), ZO_DEVSPEC_DISK_LINK);
	assert_int_equal(zo_devspec_classify("/dev/sdb"), ZO_DEVSPEC_KERNEL);
	assert_int_equal(zo_devspec_classify("/var/lib/zsim/meta.img"), ZO_DEVSPEC_FILE);
	assert_int_equal(zo_devspec_classify("UUID="), ZO_DEVSPEC_INVALID);
	assert_int_equal(zo_devspec_classify("/dev/disk/by-id/"), ZO_DEVSPEC_INVALID);
	assert_int_equal(zo_devspec_classify("/dev/disk/by-id/a/../../sdb"), ZO_DEVSPEC_INVALID);
	assert_int_equal(zo_devspec_classify("sdb"), ZO_DEVSPEC_INVALID);
	assert_int_equal(zo_devspec_classify("/dev/"), ZO_DEVSPEC_INVALID);
	assert_true(zo_devspec_is_stable(ZO_DEVSPEC_SERIAL));
	assert_false(zo_devspec_is_stable(ZO_DEVSPEC_KERNEL));
	assert_false(zo_devspec_is_stable(ZO_DEVSPEC_FILE));
}

static void strings(void **state)
{
	char **v = NULL;
	static const char *const words[] = { "show", "check", "default" };

	(void)state;
	assert_int_equal(zo_strv_split(" a, b ,,c ,", ',', &v), 3);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "b");
	assert_string_equal(v[2], "c");
	assert_null(v[3]);
	zo_strv_free(v);
	assert_int_equal(zo_strv_split("", ',', &v), 0);
	assert_null(v[0]);
	zo_strv_free(v);
	assert_int_equal(zo_edit_distance("kitten", "sitting"), 3);
	assert_int_equal(zo_edit_distance("", "abc"), 3);
	assert_int_equal(zo_edit_distance("stauts", "status"), 1);
	assert_string_equal(zo_closest("chek", words, 3), "check");
	assert_null(zo_closest("zzzzzz", words, 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(meminfo),
		cmocka_unit_test(swaps),
		cmocka_unit_test(address_bits),
		cmocka_unit_test(cpus_and_params),
		cmocka_unit_test(devspecs),
		cmocka_unit_test(strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
