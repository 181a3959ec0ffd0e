/* core/kconfig: the +/-CONFIG_X argument form, what a .config says about
 * an option, and the release suffix from a branch and a commit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/kconfig.h"

static void arguments(void **state)
{
	(void)state;
	assert_true(zo_kconfig_arg_valid("+CONFIG_ZSWAP"));
	assert_true(zo_kconfig_arg_valid("-CONFIG_PAGE_TABLE_ISOLATION"));
	assert_true(zo_kconfig_arg_valid("+CONFIG_9P_FS"));
	assert_false(zo_kconfig_arg_valid("CONFIG_ZSWAP"));
	assert_false(zo_kconfig_arg_valid("+CONFIG_"));
	assert_false(zo_kconfig_arg_valid("+CONFIG_zswap"));
	assert_false(zo_kconfig_arg_valid("+ZSWAP"));
	assert_false(zo_kconfig_arg_valid("+CONFIG_A=y"));
	assert_false(zo_kconfig_arg_valid("+CONFIG_A B"));
}

static void states(void **state)
{
	const char *config = "#\n# Automatically generated file\n"
			     "CONFIG_ZSWAP=y\n"
			     "CONFIG_ZSWAP_DEFAULT_ON=m\n"
			     "# CONFIG_RETPOLINE is not set\n"
			     "CONFIG_LOCALVERSION=\"-zsim\"\n"
			     "CONFIG_ZBUD=y";

	(void)state;
	assert_int_equal(zo_kconfig_state(config, "ZSWAP"), ZO_KCONFIG_Y);
	assert_int_equal(zo_kconfig_state(config, "ZSWAP_DEFAULT_ON"), ZO_KCONFIG_M);
	assert_int_equal(zo_kconfig_state(config, "RETPOLINE"), ZO_KCONFIG_OFF);
	assert_int_equal(zo_kconfig_state(config, "LOCALVERSION"), ZO_KCONFIG_VALUE);
	assert_int_equal(zo_kconfig_state(config, "ZBUD"), ZO_KCONFIG_Y);
	/* a prefix of a longer name is not the option */
	assert_int_equal(zo_kconfig_state(config, "ZSWAP_DEFAULT"), ZO_KCONFIG_ABSENT);
	assert_int_equal(zo_kconfig_state(config, "ZTIER"), ZO_KCONFIG_ABSENT);
	assert_int_equal(zo_kconfig_state("", "ZSWAP"), ZO_KCONFIG_ABSENT);
}

static void localversion(void **state)
{
	char buf[64];

	(void)state;
	zo_kconfig_localversion("markm_instrument_swap", "0123456789abcdef", buf, sizeof(buf));
	assert_string_equal(buf, "-markm-instrumen-0123456789ab");
	zo_kconfig_localversion("zsim", NULL, buf, sizeof(buf));
	assert_string_equal(buf, "-zsim");
	zo_kconfig_localversion("a/b c", "fe", buf, sizeof(buf));
	assert_string_equal(buf, "-abc-fe");
}

static void rules_are_setup00001s(void **state)
{
	size_t n;

	(void)state;
	for (n = 0; zo_kconfig_rule_on[n]; n++)
		;
	assert_int_equal(n, 8);
	assert_string_equal(zo_kconfig_rule_off[0], "PAGE_TABLE_ISOLATION");
	assert_string_equal(zo_kconfig_rule_off[1], "RETPOLINE");
	assert_null(zo_kconfig_rule_off[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(arguments),
		cmocka_unit_test(states),
		cmocka_unit_test(localversion),
		cmocka_unit_test(rules_are_setup00001s),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
