/* core/devspec: which device references zsim-orch accepts, which of them may
 * be stored in the config, and every form it refuses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/devspec.h"
#include "util/diag.h"

struct example {
	const char *spec;
	enum zo_devspec_kind kind;
};

static const char *kind_name(enum zo_devspec_kind kind)
{
	switch (kind) {
	case ZO_DEVSPEC_INVALID:
		return "INVALID";
	case ZO_DEVSPEC_UUID:
		return "UUID";
	case ZO_DEVSPEC_PARTUUID:
		return "PARTUUID";
	case ZO_DEVSPEC_LABEL:
		return "LABEL";
	case ZO_DEVSPEC_PARTLABEL:
		return "PARTLABEL";
	case ZO_DEVSPEC_SERIAL:
		return "SERIAL";
	case ZO_DEVSPEC_DISK_LINK:
		return "DISK_LINK";
	case ZO_DEVSPEC_MAPPER:
		return "MAPPER";
	case ZO_DEVSPEC_KERNEL:
		return "KERNEL";
	case ZO_DEVSPEC_FILE:
		return "FILE";
	}
	return "?";
}

/* Compare by name so a failure says which spec and what it became. */
static void check(const struct example *ex, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char want[600], got[600];

		snprintf(want, sizeof(want), "%s -> %s", ex[i].spec, kind_name(ex[i].kind));
		snprintf(got, sizeof(got), "%s -> %s", ex[i].spec,
			 kind_name(zo_devspec_classify(ex[i].spec)));
		assert_string_equal(got, want);
	}
}

#define CHECK(examples) check(examples, sizeof(examples) / sizeof(examples[0]))

static void tags(void **state)
{
	static const struct example ex[] = {
		{ "UUID=5f1c7a3e-2b0d-4e8a-9c61-0d7b9e2f4a10", ZO_DEVSPEC_UUID },
		{ "UUID=1234-ABCD", ZO_DEVSPEC_UUID }, /* vfat */
		{ "PARTUUID=0a1b2c3d-01", ZO_DEVSPEC_PARTUUID },
		{ "PARTUUID=6b1f0e4c-9d2a-4c3b-8e7f-112233445566", ZO_DEVSPEC_PARTUUID },
		{ "LABEL=swap", ZO_DEVSPEC_LABEL },
		{ "LABEL=zsim swap", ZO_DEVSPEC_LABEL }, /* labels may hold spaces */
		{ "LABEL=a,b", ZO_DEVSPEC_LABEL },      /* and commas: a tag is no path */
		{ "LABEL=../etc", ZO_DEVSPEC_LABEL },   /* blkid looks it up, no path */
		{ "LABEL=UUID=x", ZO_DEVSPEC_LABEL },   /* the first tag decides */
		{ "LABEL=\"quoted\"", ZO_DEVSPEC_LABEL },
		{ "PARTLABEL=zsim-swap", ZO_DEVSPEC_PARTLABEL },
		{ "SERIAL=Z4011ABC", ZO_DEVSPEC_SERIAL },
		{ "SERIAL=WD-WCC4N 1234", ZO_DEVSPEC_SERIAL },
		{ "SERIAL=x", ZO_DEVSPEC_SERIAL },
		/* PARTUUID= does not pass for UUID= (nor PARTLABEL= for LABEL=) */
		{ "PARTUUID=x", ZO_DEVSPEC_PARTUUID },
		{ "PARTLABEL=x", ZO_DEVSPEC_PARTLABEL },
	};

	(void)state;
	CHECK(ex);
}

static void paths(void **state)
{
	static const struct example ex[] = {
		{ "/dev/disk/by-id/ata-ST1200MM0088_Z4011ABC", ZO_DEVSPEC_DISK_LINK },
		{ "/dev/disk/by-id/nvme-eui.0025388b91b2c4a1-part2", ZO_DEVSPEC_DISK_LINK },
		{ "/dev/disk/by-uuid/5f1c7a3e-2b0d-4e8a-9c61-0d7b9e2f4a10",
		  ZO_DEVSPEC_DISK_LINK },
		{ "/dev/disk/by-partuuid/0a1b2c3d-01", ZO_DEVSPEC_DISK_LINK },
		{ "/dev/disk/by-label/swap", ZO_DEVSPEC_DISK_LINK },
		{ "/dev/disk/by-partlabel/zsim-swap", ZO_DEVSPEC_DISK_LINK },
		{ "/dev/disk/by-id/..x", ZO_DEVSPEC_DISK_LINK }, /* a name, not ".." */
		{ "/dev/mapper/zsim-thin", ZO_DEVSPEC_MAPPER },
		{ "/dev/mapper/zsim-pool", ZO_DEVSPEC_MAPPER },
		{ "/dev/mapper/control", ZO_DEVSPEC_MAPPER },
		{ "/dev/sdb", ZO_DEVSPEC_KERNEL },
		{ "/dev/sdb1", ZO_DEVSPEC_KERNEL },
		{ "/dev/nvme0n1p2", ZO_DEVSPEC_KERNEL },
		{ "/dev/dm-3", ZO_DEVSPEC_KERNEL },
		{ "/dev/vg0/swap", ZO_DEVSPEC_KERNEL },
		/* by-path names the slot, not the disk */
		{ "/dev/disk/by-path/pci-0000:00:1f.2-ata-1", ZO_DEVSPEC_KERNEL },
		{ "/dev/disk/by-id", ZO_DEVSPEC_KERNEL },
		{ "/dev/mapper", ZO_DEVSPEC_KERNEL },
		{ "/var/lib/zsim/thin-metadata.img", ZO_DEVSPEC_FILE },
		{ "/m", ZO_DEVSPEC_FILE },
		{ "/var/lib/zsim/thin metadata.img", ZO_DEVSPEC_FILE },
		{ "/var/lib/zsim/.meta", ZO_DEVSPEC_FILE },
		{ "/var/lib/zsim/...", ZO_DEVSPEC_FILE },
		{ "/devices/sdb", ZO_DEVSPEC_FILE },
		{ "/dev", ZO_DEVSPEC_FILE },
		{ "/UUID=x", ZO_DEVSPEC_FILE },
	};

	(void)state;
	CHECK(ex);
}

static void empty_or_without_a_value(void **state)
{
	static const struct example ex[] = {
		{ "", ZO_DEVSPEC_INVALID },
		{ "UUID=", ZO_DEVSPEC_INVALID },
		{ "PARTUUID=", ZO_DEVSPEC_INVALID },
		{ "LABEL=", ZO_DEVSPEC_INVALID },
		{ "PARTLABEL=", ZO_DEVSPEC_INVALID },
		{ "SERIAL=", ZO_DEVSPEC_INVALID },
		{ "/", ZO_DEVSPEC_INVALID },
		{ "/dev/", ZO_DEVSPEC_INVALID },
		{ "/dev/disk/by-id/", ZO_DEVSPEC_INVALID },
		{ "/dev/disk/by-uuid/", ZO_DEVSPEC_INVALID },
		{ "/dev/disk/by-partuuid/", ZO_DEVSPEC_INVALID },
		{ "/dev/disk/by-label/", ZO_DEVSPEC_INVALID },
		{ "/dev/disk/by-partlabel/", ZO_DEVSPEC_INVALID },
		{ "/dev/mapper/", ZO_DEVSPEC_INVALID },
	};

	(void)state;
	CHECK(ex);
}

static void unknown_tags_and_relative_paths(void **state)
{
	static const struct example ex[] = {
		{ "uuid=5f1c7a3e-2b0d-4e8a-9c61-0d7b9e2f4a10", ZO_DEVSPEC_INVALID },
		{ "Label=swap", ZO_DEVSPEC_INVALID },
		{ "ID=ata-ST1200MM0088_Z4011ABC", ZO_DEVSPEC_INVALID },
		{ "WWN=0x5000c500a1b2c3d4", ZO_DEVSPEC_INVALID },
		{ "TYPE=swap", ZO_DEVSPEC_INVALID },
		{ "UUID", ZO_DEVSPEC_INVALID },
		{ "UUID:5f1c7a3e", ZO_DEVSPEC_INVALID },
		{ "UUID =5f1c7a3e", ZO_DEVSPEC_INVALID },
		{ " UUID=5f1c7a3e", ZO_DEVSPEC_INVALID },
		{ "=5f1c7a3e", ZO_DEVSPEC_INVALID },
		{ "sdb", ZO_DEVSPEC_INVALID },
		{ "dev/sdb", ZO_DEVSPEC_INVALID },
		{ "./sdb", ZO_DEVSPEC_INVALID },
		{ "../dev/sdb", ZO_DEVSPEC_INVALID },
		{ "~/thin-metadata.img", ZO_DEVSPEC_INVALID },
		{ " /dev/sdb", ZO_DEVSPEC_INVALID },
		{ "disk/by-id/ata-X", ZO_DEVSPEC_INVALID },
	};

	(void)state;
	CHECK(ex);
}

/* Components must be names: "." and ".." would let a path leave the
 * --root tree or name a directory as a stable device, and an empty
 * component makes "//dev/sdb" look like a file (zsim-orch zeroes and
 * loop-attaches a metadata *file* without the device safety checks). */
static void paths_must_be_normal(void **state)
{
	static const struct example ex[] = {
		{ "/..", ZO_DEVSPEC_INVALID },
		{ "/.", ZO_DEVSPEC_INVALID },
		{ "//", ZO_DEVSPEC_INVALID },
		{ "/dev/..", ZO_DEVSPEC_INVALID },
		{ "/dev/../etc/passwd", ZO_DEVSPEC_INVALID },
		{ "/var/lib/zsim/..", ZO_DEVSPEC_INVALID },
		{ "/var/lib/zsim/../../etc/shadow", ZO_DEVSPEC_INVALID },
		{ "/dev/disk/by-id/..", ZO_DEVSPEC_INVALID },
		{ "/dev/disk/by-id/.", ZO_DEVSPEC_INVALID },
		{ "/dev/disk/by-uuid/..", ZO_DEVSPEC_INVALID },
		{ "/dev/mapper/..", ZO_DEVSPEC_INVALID },
		{ "/dev/mapper/.", ZO_DEVSPEC_INVALID },
		{ "/dev/./sdb", ZO_DEVSPEC_INVALID },
		{ "/./dev/sdb", ZO_DEVSPEC_INVALID },
		{ "//dev/sdb", ZO_DEVSPEC_INVALID },
		{ "//dev/disk/by-id/ata-X", ZO_DEVSPEC_INVALID },
		{ "/dev//sdb", ZO_DEVSPEC_INVALID },
		{ "/dev/disk/by-id//ata-X", ZO_DEVSPEC_INVALID },
		{ "/dev/sdb/", ZO_DEVSPEC_INVALID },
		{ "/dev/mapper/zsim-thin/", ZO_DEVSPEC_INVALID },
		{ "/var/lib/zsim/", ZO_DEVSPEC_INVALID },
	};

	(void)state;
	CHECK(ex);
}

static void one_name_under_link_dirs_and_no_comma_in_paths(void **state)
{
	static const struct example ex[] = {
		{ "/dev/disk/by-id/ata-X/part1", ZO_DEVSPEC_INVALID },
		{ "/dev/disk/by-label/a/b", ZO_DEVSPEC_INVALID },
		{ "/dev/mapper/vg/swap", ZO_DEVSPEC_INVALID },
		/* [host] swap is a comma-separated list */
		{ "/dev/sdb,/dev/sdc", ZO_DEVSPEC_INVALID },
		{ "/dev/disk/by-id/ata-X,1", ZO_DEVSPEC_INVALID },
		{ "/dev/mapper/a,b", ZO_DEVSPEC_INVALID },
		{ "/var/lib/zsim/a,b.img", ZO_DEVSPEC_INVALID },
	};

	(void)state;
	CHECK(ex);
}

/* A device reference ends up on a line of the config file; a newline in it
 * would end that line and start a setting nobody asked for. */
static void control_characters_refused(void **state)
{
	static const struct example ex[] = {
		{ "/var/lib/zsim/m.img\n[kvm]\nept = on", ZO_DEVSPEC_INVALID },
		{ "/var/lib/zsim/m.img\n", ZO_DEVSPEC_INVALID },
		{ "UUID=5f1c7a3e\n[host]\nswap = /dev/sda", ZO_DEVSPEC_INVALID },
		{ "LABEL=a\tb", ZO_DEVSPEC_INVALID },
		{ "PARTLABEL=x\r", ZO_DEVSPEC_INVALID },
		{ "SERIAL=\x01", ZO_DEVSPEC_INVALID },
		{ "PARTUUID=\x1b[2J", ZO_DEVSPEC_INVALID },
		{ "/dev/disk/by-id/ata-X\n", ZO_DEVSPEC_INVALID },
		{ "/dev/mapper/zsim\x7fthin", ZO_DEVSPEC_INVALID },
		{ "/dev/sd\bb", ZO_DEVSPEC_INVALID },
		/* bytes above ASCII are names like any other (UTF-8 labels) */
		{ "LABEL=d\xc3\xa9j\xc3\xa0", ZO_DEVSPEC_LABEL },
		{ "/var/lib/zsim/m\xc3\xa9ta.img", ZO_DEVSPEC_FILE },
	};

	(void)state;
	CHECK(ex);
}

/* A C string ends at its first NUL: what follows is never seen. */
static void embedded_nul_ends_the_spec(void **state)
{
	static const char tag[] = { 'U', 'U', 'I', 'D', '=', '\0', 'a', 'b', '\0' };
	static const char path[] = "/dev/sdb\0/../../etc/passwd";
	static const char link[] = "/dev/disk/by-id/\0ata-X";

	(void)state;
	assert_int_equal(zo_devspec_classify(tag), ZO_DEVSPEC_INVALID);
	assert_int_equal(zo_devspec_classify(path), ZO_DEVSPEC_KERNEL);
	assert_int_equal(zo_devspec_classify(link), ZO_DEVSPEC_INVALID);
}

/* Length is not refused here: the kernel refuses a path that is too long
 * when it is resolved (ENAMETOOLONG). */
static void long_specs_are_classified_not_truncated(void **state)
{
	char *s = malloc(8192);
	size_t i;

	(void)state;
	assert_non_null(s);
	memcpy(s, "/var/lib/zsim/", 14);
	for (i = 14; i < 8190; i++)
		s[i] = (i % 200) ? 'a' : '/';
	s[8190] = '\0';
	assert_int_equal(zo_devspec_classify(s), ZO_DEVSPEC_FILE);
	memcpy(s, "UUID=", 5);
	assert_int_equal(zo_devspec_classify(s), ZO_DEVSPEC_UUID);
	/* the same refusals hold at any length */
	memcpy(s, "/var/lib/zsim/", 14);
	s[8001] = '\n';
	assert_int_equal(zo_devspec_classify(s), ZO_DEVSPEC_INVALID);
	s[8001] = 'a';
	memcpy(s + 8187, "/..", 3);
	assert_int_equal(zo_devspec_classify(s), ZO_DEVSPEC_INVALID);
	free(s);
}

static void stable_kinds(void **state)
{
	(void)state;
	assert_true(zo_devspec_is_stable(ZO_DEVSPEC_UUID));
	assert_true(zo_devspec_is_stable(ZO_DEVSPEC_PARTUUID));
	assert_true(zo_devspec_is_stable(ZO_DEVSPEC_LABEL));
	assert_true(zo_devspec_is_stable(ZO_DEVSPEC_PARTLABEL));
	assert_true(zo_devspec_is_stable(ZO_DEVSPEC_SERIAL));
	assert_true(zo_devspec_is_stable(ZO_DEVSPEC_DISK_LINK));
	assert_true(zo_devspec_is_stable(ZO_DEVSPEC_MAPPER));
	assert_false(zo_devspec_is_stable(ZO_DEVSPEC_KERNEL));
	assert_false(zo_devspec_is_stable(ZO_DEVSPEC_FILE));
	assert_false(zo_devspec_is_stable(ZO_DEVSPEC_INVALID));
}

/* What a config value check (and so zo_config_record, before anything is
 * written) says about a device value. */
static int check_value(const char *section, const char *key, const char *value,
		       char *msg, size_t len)
{
	struct zo_diags d = { 0 };
	int r = zo_config_check_value(zo_config_key(section, key), value, 7, &d);

	snprintf(msg, len, "%s", d.n ? d.v[0].message : "");
	if (d.n) {
		assert_int_equal(d.v[0].line, 7);
		assert_string_equal(d.v[0].section, section);
		assert_string_equal(d.v[0].key, key);
	}
	zo_diags_release(&d);
	return r;
}

static void config_values(void **state)
{
	char msg[512];

	(void)state;
	assert_int_equal(check_value("thin", "data", "/dev/disk/by-id/ata-X", msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_int_equal(check_value("thin", "data", "/dev/sdb", msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "\"/dev/sdb\": kernel device names change across reboots; "
				 "store a stable ID; use a stable device ID: "
				 ZO_DEVSPEC_STABLE_FORM);
	assert_int_equal(check_value("thin", "data", "/var/lib/zsim/data.img", msg, sizeof(msg)),
			 -EINVAL);
	assert_string_equal(msg, "\"/var/lib/zsim/data.img\": not a device ID; use a stable "
				 "device ID: " ZO_DEVSPEC_STABLE_FORM);
	/* a directory is no stable device ID */
	assert_int_equal(check_value("thin", "data", "/dev/disk/by-id/..", msg, sizeof(msg)),
			 -EINVAL);
	assert_string_equal(msg, "\"/dev/disk/by-id/..\": not a device ID; use a stable device "
				 "ID: " ZO_DEVSPEC_STABLE_FORM);

	assert_int_equal(check_value("thin", "metadata", "/var/lib/zsim/m.img", msg, sizeof(msg)),
			 0);
	assert_int_equal(check_value("thin", "metadata", "PARTUUID=0a1b2c3d-01", msg, sizeof(msg)),
			 0);
	/* thin create records a metadata file as given: a newline in it would
	 * have added "[kvm] ept = on" to the config */
	assert_int_equal(check_value("thin", "metadata", "/var/lib/zsim/m.img\n[kvm]\nept = on",
				     msg, sizeof(msg)),
			 -EINVAL);
	assert_string_equal(msg, "\"/var/lib/zsim/m.img\n[kvm]\nept = on\": not a device ID; use "
				 "an absolute file path or a stable device ID: "
				 ZO_DEVSPEC_STABLE_FORM);
	assert_int_equal(check_value("thin", "metadata", "//dev/sdb", msg, sizeof(msg)), -EINVAL);
	assert_int_equal(check_value("thin", "metadata", "/..", msg, sizeof(msg)), -EINVAL);

	assert_int_equal(check_value("host", "swap",
				     "UUID=5f1c7a3e, /dev/disk/by-id/ata-X,/dev/mapper/zsim-thin",
				     msg, sizeof(msg)),
			 0);
	assert_int_equal(check_value("host", "swap", "UUID=5f1c7a3e, /dev/sdc", msg, sizeof(msg)),
			 -EINVAL);
	assert_string_equal(msg, "\"/dev/sdc\" in \"UUID=5f1c7a3e, /dev/sdc\": kernel device names "
				 "change across reboots; store a stable ID; use comma-separated "
				 "stable device IDs: " ZO_DEVSPEC_STABLE_FORM);
	assert_int_equal(check_value("host", "swap", "UUID=a,LABEL=", msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "\"LABEL=\" in \"UUID=a,LABEL=\": not a device ID; use "
				 "comma-separated stable device IDs: " ZO_DEVSPEC_STABLE_FORM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tags),
		cmocka_unit_test(paths),
		cmocka_unit_test(empty_or_without_a_value),
		cmocka_unit_test(unknown_tags_and_relative_paths),
		cmocka_unit_test(paths_must_be_normal),
		cmocka_unit_test(one_name_under_link_dirs_and_no_comma_in_paths),
		cmocka_unit_test(control_characters_refused),
		cmocka_unit_test(embedded_nul_ends_the_spec),
		cmocka_unit_test(long_specs_are_classified_not_truncated),
		cmocka_unit_test(stable_kinds),
		cmocka_unit_test(config_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
