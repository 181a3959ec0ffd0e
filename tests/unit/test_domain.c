#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/domain.h"

static struct zo_domain_spec base(void)
{
	struct zo_domain_spec s = {
		.name = "zsim-target",
		.accel = "kvm",
		.memory_kib = 4096ULL * 1024 * 1024,
		.vcpus = 4,
		.host_cpus = 2,
		.serial_log = "/var/lib/zsim/target/zsim-target.serial.log",
		.disk = "/var/lib/zsim/images/zsim-target.qcow2",
		.libvirt_version = 9000000,
	};
	return s;
}

static void has(const char *xml, const char *part)
{
	if (!strstr(xml, part))
		fail_msg("missing \"%s\" in:\n%s", part, xml);
}

static void lacks(const char *xml, const char *part)
{
	if (strstr(xml, part))
		fail_msg("unexpected \"%s\" in:\n%s", part, xml);
}

static void a_large_kvm_target_on_disk(void **state)
{
	struct zo_domain_spec s = base();
	char *xml;

	(void)state;
	s.memory_kib = 40ULL << 30; /* 40 TB: beyond 32 bits */
	xml = zo_domain_xml(&s);
	assert_non_null(xml);
	has(xml, "<domain type='kvm'>\n");
	has(xml, "<memory unit='KiB'>42949672960</memory>");
	has(xml, "<vcpu placement='static'>4</vcpu>");
	/* 1:1 pinning, wrapping when there are more vCPUs than host CPUs */
	has(xml, "<vcpupin vcpu='0' cpuset='0'/>\n    <vcpupin vcpu='1' cpuset='1'/>\n"
		 "    <vcpupin vcpu='2' cpuset='0'/>");
	has(xml, "<cpu mode='host-passthrough'>\n    <maxphysaddr mode='passthrough'/>");
	lacks(xml, "qemu:commandline");
	has(xml, "<boot dev='hd'/>");
	has(xml, "<source file='/var/lib/zsim/images/zsim-target.qcow2'/>");
	has(xml, "<driver name='qemu' type='qcow2'/>");
	has(xml, "<target type='virtio' name='org.qemu.guest_agent.0'/>");
	has(xml, "<source path='/var/lib/zsim/target/zsim-target.serial.log'/>");
	lacks(xml, "device='cdrom'");
	free(xml);
}

static void old_libvirt_gets_host_phys_bits_from_the_command_line(void **state)
{
	struct zo_domain_spec s = base();
	char *xml;

	(void)state;
	s.libvirt_version = 4005000; /* CentOS 7 */
	xml = zo_domain_xml(&s);
	has(xml, "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'");
	has(xml, "<qemu:arg value='host-x86_64-cpu.host-phys-bits=on'/>");
	lacks(xml, "maxphysaddr");
	free(xml);
}

static void tcg_direct_boot_with_a_seed_cdrom(void **state)
{
	struct zo_domain_spec s = base();
	char *xml;

	(void)state;
	s.accel = "tcg";
	s.host_cpus = 0;
	s.kernel = "/boot/vmlinuz";
	s.initrd = "/boot/initrd.img";
	s.cmdline = "console=ttyS0 root=LABEL=x&y";
	s.cdrom = "/var/lib/zsim/images/seed.iso";
	xml = zo_domain_xml(&s);
	has(xml, "<domain type='qemu'>");
	lacks(xml, "host-passthrough");
	lacks(xml, "<cputune>");
	has(xml, "<kernel>/boot/vmlinuz</kernel>\n    <initrd>/boot/initrd.img</initrd>\n"
		 "    <cmdline>console=ttyS0 root=LABEL=x&amp;y</cmdline>");
	lacks(xml, "<boot dev='hd'/>");
	has(xml, "<disk type='file' device='cdrom'>\n      <driver name='qemu' type='raw'/>\n"
		 "      <source file='/var/lib/zsim/images/seed.iso'/>\n"
		 "      <target dev='hdc' bus='ide'/>\n      <readonly/>");
	free(xml);
}

static void every_string_is_escaped(void **state)
{
	struct zo_domain_spec s = base();
	char *xml, *e;

	(void)state;
	s.name = "a<b>&'\"";
	s.disk = "/x/'y'.qcow2";
	xml = zo_domain_xml(&s);
	has(xml, "<name>a&lt;b&gt;&amp;&apos;&quot;</name>");
	has(xml, "<source file='/x/&apos;y&apos;.qcow2'/>");
	free(xml);
	e = zo_xml_escape("");
	assert_string_equal(e, "");
	free(e);
}

static void a_spec_missing_what_it_needs_is_refused(void **state)
{
	struct zo_domain_spec s = base();

	(void)state;
	s.disk = NULL; /* neither a disk nor a kernel */
	errno = 0;
	assert_null(zo_domain_xml(&s));
	assert_int_equal(errno, EINVAL);
	s = base();
	s.memory_kib = 0;
	assert_null(zo_domain_xml(&s));
	s = base();
	s.vcpus = 0;
	assert_null(zo_domain_xml(&s));
	s = base();
	s.serial_log = NULL;
	assert_null(zo_domain_xml(&s));
}

static void the_pool_and_its_path(void **state)
{
	char *xml;

	(void)state;
	xml = zo_pool_xml("zsim", "/var/lib/zsim & co/images");
	assert_string_equal(xml, "<pool type='dir'>\n"
				 "  <name>zsim</name>\n"
				 "  <target>\n"
				 "    <path>/var/lib/zsim &amp; co/images</path>\n"
				 "  </target>\n"
				 "</pool>\n");
	/* what libvirt holds has more, and the path escaped */
	assert_true(zo_pool_xml_has_path(xml, "/var/lib/zsim & co/images"));
	assert_false(zo_pool_xml_has_path(xml, "/var/lib/zsim & co"));
	assert_false(zo_pool_xml_has_path(xml, "/elsewhere/images"));
	free(xml);
	errno = 0;
	assert_null(zo_pool_xml("zsim", NULL));
	assert_int_equal(errno, EINVAL);
}

static void an_overlay_on_the_base(void **state)
{
	char *xml;

	(void)state;
	xml = zo_overlay_xml("zsim-target.qcow2", 40ULL << 40, "/var/lib/zsim/images/base'1.qcow2");
	assert_string_equal(xml, "<volume>\n"
				 "  <name>zsim-target.qcow2</name>\n"
				 "  <capacity unit='bytes'>43980465111040</capacity>\n"
				 "  <target>\n"
				 "    <format type='qcow2'/>\n"
				 "  </target>\n"
				 "  <backingStore>\n"
				 "    <path>/var/lib/zsim/images/base&apos;1.qcow2</path>\n"
				 "    <format type='qcow2'/>\n"
				 "  </backingStore>\n"
				 "</volume>\n");
	free(xml);
	errno = 0;
	assert_null(zo_overlay_xml("v", 0, "/b"));
	assert_int_equal(errno, EINVAL);
}

static void a_qcow2_header_gives_the_virtual_size(void **state)
{
	/* qemu-img create -f qcow2 x 64M: version 3, size 0x4000000 */
	unsigned char h[ZO_QCOW2_HEADER_LEN] = { 'Q', 'F', 'I', 0xfb, 0, 0, 0, 3 };
	uint64_t size = 0;

	(void)state;
	h[24 + 4] = 0x04;
	assert_int_equal(zo_qcow2_header(h, sizeof(h), &size), 0);
	assert_int_equal(size, 64ULL << 20);
	h[24] = 0x01; /* beyond 32 bits: 2^56 + 64M */
	assert_int_equal(zo_qcow2_header(h, sizeof(h), &size), 0);
	assert_true(size == (1ULL << 56) + (64ULL << 20));
	assert_int_equal(zo_qcow2_header(h, sizeof(h), NULL), 0);
	assert_int_equal(zo_qcow2_header(h, 31, &size), -EINVAL);
	h[3] = 0xfa;
	assert_int_equal(zo_qcow2_header(h, sizeof(h), &size), -EINVAL);
}

/* What the preflight probe reads from libvirt's domain capabilities. */
static void the_qemu_version_from_the_machine_type(void **state)
{
	static const struct {
		const char *machine, *version;
	} cases[] = {
		{ "pc-i440fx-7.2", "7.2" },   { "pc-q35-2.12", "2.12" }, { "pc-i440fx-2.6", "2.6" },
		{ "pc-i440fx-rhel7.6.0", NULL }, { "pc", NULL },         { "pc-i440fx-7.2.1x", NULL },
		{ "pc-i440fx-7", NULL },      { "pc-i440fx-.2", NULL },  { "pc-i440fx-7.2 ", NULL },
		{ "", NULL },
	};
	const char *caps = "<domainCapabilities>\n  <path>/usr/bin/qemu-system-x86_64</path>\n"
			   "  <machine>pc-i440fx-7.2</machine>\n  <arch>x86_64</arch>\n";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *v = zo_qemu_machine_version(cases[i].machine);

		if (cases[i].version)
			assert_string_equal(v, cases[i].version);
		else
			assert_null(v);
		free(v);
	}
	{
		char *m = zo_xml_element_text(caps, "machine"), *p = zo_xml_element_text(caps, "path");

		assert_string_equal(m, "pc-i440fx-7.2");
		assert_string_equal(p, "/usr/bin/qemu-system-x86_64");
		assert_null(zo_xml_element_text(caps, "version"));
		assert_null(zo_xml_element_text("<machine>pc", "machine"));
		free(m);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_large_kvm_target_on_disk),
		cmocka_unit_test(old_libvirt_gets_host_phys_bits_from_the_command_line),
		cmocka_unit_test(tcg_direct_boot_with_a_seed_cdrom),
		cmocka_unit_test(every_string_is_escaped),
		cmocka_unit_test(a_spec_missing_what_it_needs_is_refused),
		cmocka_unit_test(the_pool_and_its_path),
		cmocka_unit_test(an_overlay_on_the_base),
		cmocka_unit_test(a_qcow2_header_gives_the_virtual_size),
		cmocka_unit_test(the_qemu_version_from_the_machine_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
