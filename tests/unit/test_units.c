#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/units.h"

/* Rust's `format!("{:?}", Duration::from_nanos(ns))`, as the old
 * runner's .time has them (std's Debug impl for Duration). */
static void duration_debug_as_rust(void **state)
{
	static const struct {
		uint64_t ns;
		const char *rust;
	} cases[] = {
		{ 0, "0ns" },
		{ 1, "1ns" },
		{ 999, "999ns" },
		{ 1000, "1\xc2\xb5s" },
		{ 1500, "1.5\xc2\xb5s" },
		{ 1001, "1.001\xc2\xb5s" },
		{ 999999, "999.999\xc2\xb5s" },
		{ 1000000, "1ms" },
		{ 850300000, "850.3ms" },
		{ 1000001, "1.000001ms" },
		{ 999999999, "999.999999ms" },
		{ 1000000000, "1s" },
		{ 1000000001, "1.000000001s" },
		{ 93514234151ULL, "93.514234151s" },
		{ 60000000000ULL, "60s" },
		{ 1934000000ULL, "1.934s" },
		{ 18446744073709551615ULL, "18446744073.709551615s" },
	};
	char buf[40];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(zo_duration_debug(cases[i].ns, buf, sizeof(buf)), 0);
		assert_string_equal(buf, cases[i].rust);
	}
	assert_int_equal(zo_duration_debug(93514234151ULL, buf, 6), -ENOSPC);
}

static void size_parse_accepts_suffixes(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(zo_size_parse("0", &v), 0);
	assert_true(v == 0);
	assert_int_equal(zo_size_parse("4097", &v), 0);
	assert_true(v == 4097);
	assert_int_equal(zo_size_parse("64K", &v), 0);
	assert_true(v == 65536);
	assert_int_equal(zo_size_parse("128M", &v), 0);
	assert_true(v == 128ULL << 20);
	assert_int_equal(zo_size_parse("20g", &v), 0);
	assert_true(v == 20ULL << 30);
	assert_int_equal(zo_size_parse("10T", &v), 0);
	assert_true(v == 10ULL << 40);
	assert_int_equal(zo_size_parse("10TiB", &v), 0);
	assert_true(v == 10ULL << 40);
	assert_int_equal(zo_size_parse("1GB", &v), 0);
	assert_true(v == 1ULL << 30);
	/* the largest representable T value */
	assert_int_equal(zo_size_parse("16777215T", &v), 0);
	assert_true(v == 16777215ULL << 40);
}

static void size_parse_rejects_bad_forms(void **state)
{
	static const char *const bad[] = {
		"", "10Q", "-5G", "+5G", " 5G", "5 G", "5G ", "1.5G", "G", "5GG",
		"5GiBx", "0x10", "5KM",
	};
	uint64_t v = 42;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(zo_size_parse(bad[i], &v), -EINVAL);
		assert_true(v == 42); /* untouched on failure */
	}
}

static void size_parse_rejects_overflow(void **state)
{
	uint64_t v = 42;

	(void)state;
	assert_int_equal(zo_size_parse("99999999999T", &v), -ERANGE);
	assert_int_equal(zo_size_parse("16777216T", &v), -ERANGE);
	assert_int_equal(zo_size_parse("18446744073709551616", &v), -ERANGE);
	assert_int_equal(zo_size_parse("99999999999999999999999", &v), -ERANGE);
	assert_true(v == 42);
	assert_int_equal(zo_size_parse("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
}

static void size_format_round_trips(void **state)
{
	static const uint64_t values[] = {
		0, 1, 4097, 65536, 128ULL << 20, 1536ULL << 20, 10ULL << 40,
		(10ULL << 40) + 512, UINT64_MAX,
	};
	char buf[32];
	uint64_t back;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		assert_int_equal(zo_size_format(values[i], buf, sizeof(buf)), 0);
		assert_int_equal(zo_size_parse(buf, &back), 0);
		assert_true(back == values[i]);
	}
	zo_size_format(10ULL << 40, buf, sizeof(buf));
	assert_string_equal(buf, "10T");
	zo_size_format(1536ULL << 20, buf, sizeof(buf));
	assert_string_equal(buf, "1536M");
	assert_int_equal(zo_size_format(UINT64_MAX, buf, 4), -ENOBUFS);
}

static void size_format_human(void **state)
{
	char buf[32];

	(void)state;
	zo_size_format_human(1536ULL << 20, buf, sizeof(buf));
	assert_string_equal(buf, "1.5G");
	zo_size_format_human(4096ULL << 30, buf, sizeof(buf));
	assert_string_equal(buf, "4T");
	zo_size_format_human(1000, buf, sizeof(buf));
	assert_string_equal(buf, "1000");
}

static void bool_parse(void **state)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES", "On" };
	static const char *const no[] = { "no", "false", "off", "0", "No", "FALSE" };
	static const char *const bad[] = { "", "y", "n", "2", "maybe", "yes " };
	bool b;
	size_t i;

	(void)state;
	for (i = 0; i < 6; i++) {
		assert_int_equal(zo_bool_parse(yes[i], &b), 0);
		assert_true(b);
		assert_int_equal(zo_bool_parse(no[i], &b), 0);
		assert_false(b);
		assert_int_equal(zo_bool_parse(bad[i], &b), -EINVAL);
	}
}

static void int_parse_ranges(void **state)
{
	long long v = 7;

	(void)state;
	assert_int_equal(zo_int_parse("50", 0, 100, &v), 0);
	assert_int_equal(v, 50);
	assert_int_equal(zo_int_parse("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(zo_int_parse("101", 0, 100, &v), -ERANGE);
	assert_int_equal(zo_int_parse("-1", 0, 100, &v), -ERANGE);
	assert_int_equal(zo_int_parse("9223372036854775808", 0, 9223372036854775807LL, &v), -ERANGE);
	assert_int_equal(zo_int_parse("-9223372036854775808", -9223372036854775807LL - 1, 0, &v), 0);
	assert_true(v == -9223372036854775807LL - 1);
	assert_int_equal(zo_int_parse("5x", 0, 100, &v), -EINVAL);
	assert_int_equal(zo_int_parse("", 0, 100, &v), -EINVAL);
	assert_int_equal(zo_int_parse("-", 0, 100, &v), -EINVAL);
	assert_int_equal(zo_int_parse(" 5", 0, 100, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(size_parse_accepts_suffixes),
		cmocka_unit_test(size_parse_rejects_bad_forms),
		cmocka_unit_test(size_parse_rejects_overflow),
		cmocka_unit_test(size_format_round_trips),
		cmocka_unit_test(size_format_human),
		cmocka_unit_test(duration_debug_as_rust),
		cmocka_unit_test(bool_parse),
		cmocka_unit_test(int_parse_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
