#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/safety.h"

static enum zo_safety verdict(struct zo_device_facts *f, bool force, char **msg)
{
	enum zo_safety v;

	f->devnode = (char *)"/dev/vdb";
	assert_int_equal(zo_safety_check(f, "swap", force, &v, msg), 0);
	return v;
}

static void empty_device_is_safe(void **state)
{
	struct zo_device_facts f = { 0 };
	char *msg = (char *)"unset";

	(void)state;
	assert_int_equal(verdict(&f, false, &msg), ZO_SAFE);
	assert_null(msg);
}

static void filesystem_needs_force(void **state)
{
	struct zo_device_facts f = { 0 };
	char *msg = NULL;

	(void)state;
	f.fs_type = (char *)"ext4";
	f.fs_label = (char *)"data";
	f.fs_uuid = (char *)"1234";
	assert_int_equal(verdict(&f, false, &msg), ZO_REFUSED);
	assert_string_equal(msg, "refusing to use /dev/vdb for swap: it holds an ext4 "
				 "filesystem (label \"data\", UUID 1234); pass --force to "
				 "overwrite it");
	free(msg);
	assert_int_equal(verdict(&f, true, &msg), ZO_SAFE_FORCED);
	assert_string_equal(msg, "overwriting an ext4 filesystem (label \"data\", UUID 1234) "
				 "on /dev/vdb (--force)");
	free(msg);
	f.fs_type = (char *)"xfs";
	f.fs_label = NULL;
	assert_int_equal(verdict(&f, false, &msg), ZO_REFUSED);
	assert_non_null(strstr(msg, "a xfs filesystem (UUID 1234)"));
	free(msg);
}

static void partition_table_needs_force(void **state)
{
	struct zo_device_facts f = { 0 };
	char *msg = NULL;

	(void)state;
	f.pt_type = (char *)"gpt";
	assert_int_equal(verdict(&f, false, &msg), ZO_REFUSED);
	assert_non_null(strstr(msg, "it holds a gpt partition table; pass --force"));
	free(msg);
}

static void live_use_is_never_forced(void **state)
{
	struct zo_device_facts f = { 0 };
	char *msg = NULL;

	(void)state;
	f.mountpoint = (char *)"/mnt/data";
	f.fs_type = (char *)"ext4";
	assert_int_equal(verdict(&f, true, &msg), ZO_REFUSED_ALWAYS);
	assert_non_null(strstr(msg, "is mounted on /mnt/data; unmount it first"));
	free(msg);
	f.mountpoint = NULL;
	f.backs_root = true;
	assert_int_equal(verdict(&f, true, &msg), ZO_REFUSED_ALWAYS);
	assert_non_null(strstr(msg, "the root filesystem depends on it"));
	free(msg);
	f.backs_root = false;
	f.active_swap = true;
	assert_int_equal(verdict(&f, true, &msg), ZO_REFUSED_ALWAYS);
	assert_non_null(strstr(msg, "it is active swap"));
	free(msg);
	f.active_swap = false;
	f.in_use = true;
	assert_int_equal(verdict(&f, true, &msg), ZO_REFUSED_ALWAYS);
	assert_non_null(strstr(msg, "it is in use"));
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_device_is_safe),
		cmocka_unit_test(filesystem_needs_force),
		cmocka_unit_test(partition_table_needs_force),
		cmocka_unit_test(live_use_is_never_forced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
