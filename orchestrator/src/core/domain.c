#include "core/domain.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/macros.h"
#include "util/str.h"

#include "util/banned.h"

/* <maxphysaddr mode='passthrough'/> arrived in libvirt 8.7.0; before it
 * (CentOS 7 has 4.5) QEMU's host-phys-bits goes in as a -global. */
#define LIBVIRT_MAXPHYSADDR 8007000UL

char *zo_xml_element_text(const char *xml, const char *name)
{
	_cleanup_free_ char *open = zo_asprintf("<%s>", name), *close = zo_asprintf("</%s>", name);
	const char *start, *end;

	if (!open || !close || !(start = strstr(xml, open)))
		return NULL;
	start += strlen(open);
	end = strstr(start, close);
	return end ? strndup(start, (size_t)(end - start)) : NULL;
}

char *zo_qemu_machine_version(const char *machine)
{
	const char *v = strrchr(machine, '-');
	unsigned maj, min;
	int n = 0;

	if (!v)
		return NULL;
	v++;
	/* digits '.' digits and nothing else */
	if (sscanf(v, "%u.%u%n", &maj, &min, &n) != 2 || v[n] || !(*v >= '0' && *v <= '9'))
		return NULL;
	return zo_asprintf("%u.%u", maj, min);
}

char *zo_xml_escape(const char *s)
{
	struct zo_strbuf sb = { 0 };

	if (!*s)
		return strdup("");
	for (; *s; s++) {
		char c[2] = { *s, 0 };

		switch (*s) {
		case '&':
			zo_strbuf_append(&sb, "&amp;");
			break;
		case '<':
			zo_strbuf_append(&sb, "&lt;");
			break;
		case '>':
			zo_strbuf_append(&sb, "&gt;");
			break;
		case '"':
			zo_strbuf_append(&sb, "&quot;");
			break;
		case '\'':
			zo_strbuf_append(&sb, "&apos;");
			break;
		default:
			zo_strbuf_append(&sb, c);
		}
	}
	return zo_strbuf_steal(&sb);
}

/* Append `fmt` with one escaped string argument. */
static void add_escaped(struct zo_strbuf *sb, const char *fmt, const char *value)
{
	_cleanup_free_ char *e = zo_xml_escape(value);

	if (e)
		zo_strbuf_appendf(sb, fmt, e);
}

char *zo_domain_xml(const struct zo_domain_spec *s)
{
	struct zo_strbuf sb = { 0 };
	bool kvm;
	unsigned i;

	if (!s->name || !s->accel || !s->memory_kib || !s->vcpus || !s->serial_log ||
	    (!s->kernel && !s->disk)) {
		errno = EINVAL;
		return NULL;
	}
	kvm = !strcmp(s->accel, "kvm");
	zo_strbuf_appendf(&sb, "<domain type='%s'%s>\n", kvm ? "kvm" : "qemu",
			  kvm && s->libvirt_version < LIBVIRT_MAXPHYSADDR
				  ? " xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"
				  : "");
	add_escaped(&sb, "  <name>%s</name>\n", s->name);
	zo_strbuf_appendf(&sb, "  <memory unit='KiB'>%" PRIu64 "</memory>\n", s->memory_kib);
	zo_strbuf_appendf(&sb, "  <vcpu placement='static'>%u</vcpu>\n", s->vcpus);
	if (s->host_cpus) {
		zo_strbuf_append(&sb, "  <cputune>\n");
		for (i = 0; i < s->vcpus; i++)
			zo_strbuf_appendf(&sb, "    <vcpupin vcpu='%u' cpuset='%u'/>\n", i,
					  i % s->host_cpus);
		zo_strbuf_append(&sb, "  </cputune>\n");
	}
	zo_strbuf_append(&sb, "  <os>\n    <type arch='x86_64'>hvm</type>\n");
	if (s->kernel) {
		add_escaped(&sb, "    <kernel>%s</kernel>\n", s->kernel);
		if (s->initrd)
			add_escaped(&sb, "    <initrd>%s</initrd>\n", s->initrd);
		if (s->cmdline)
			add_escaped(&sb, "    <cmdline>%s</cmdline>\n", s->cmdline);
	} else {
		zo_strbuf_append(&sb, "    <boot dev='hd'/>\n");
	}
	zo_strbuf_append(&sb, "  </os>\n  <features>\n    <acpi/>\n  </features>\n");
	/* The guest must see the host's physical address width: a wider
	 * default makes large targets address memory the host cannot back.
	 * Under TCG there is no host CPU to pass through. */
	if (kvm) {
		zo_strbuf_append(&sb, "  <cpu mode='host-passthrough'>\n");
		if (s->libvirt_version >= LIBVIRT_MAXPHYSADDR)
			zo_strbuf_append(&sb, "    <maxphysaddr mode='passthrough'/>\n");
		zo_strbuf_append(&sb, "  </cpu>\n");
	}
	zo_strbuf_append(&sb, "  <clock offset='utc'/>\n"
			      "  <on_poweroff>destroy</on_poweroff>\n"
			      "  <on_reboot>destroy</on_reboot>\n"
			      "  <on_crash>destroy</on_crash>\n"
			      "  <devices>\n");
	if (s->disk) {
		zo_strbuf_append(&sb, "    <disk type='file' device='disk'>\n"
				      "      <driver name='qemu' type='qcow2'/>\n");
		add_escaped(&sb, "      <source file='%s'/>\n", s->disk);
		zo_strbuf_append(&sb, "      <target dev='vda' bus='virtio'/>\n"
				      "    </disk>\n");
	}
	if (s->results_disk) {
		/* after the root disk: the guest numbers disks in this order */
		zo_strbuf_append(&sb, "    <disk type='file' device='disk'>\n"
				      "      <driver name='qemu' type='raw'/>\n");
		add_escaped(&sb, "      <source file='%s'/>\n", s->results_disk);
		zo_strbuf_append(&sb, "      <target dev='vdb' bus='virtio'/>\n"
				      "      <serial>" ZO_RESULTS_DISK_SERIAL "</serial>\n"
				      "    </disk>\n");
	}
	if (s->cdrom) {
		/* IDE: every x86 guest kernel and the default machine have it */
		zo_strbuf_append(&sb, "    <disk type='file' device='cdrom'>\n"
				      "      <driver name='qemu' type='raw'/>\n");
		add_escaped(&sb, "      <source file='%s'/>\n", s->cdrom);
		zo_strbuf_append(&sb, "      <target dev='hdc' bus='ide'/>\n"
				      "      <readonly/>\n"
				      "    </disk>\n");
	}
	zo_strbuf_append(&sb, "    <serial type='file'>\n");
	add_escaped(&sb, "      <source path='%s'/>\n", s->serial_log);
	zo_strbuf_append(&sb, "      <target port='0'/>\n    </serial>\n");
	zo_strbuf_append(&sb, "    <channel type='unix'>\n"
			      "      <target type='virtio' name='" ZO_AGENT_CHANNEL "'/>\n"
			      "    </channel>\n"
			      "    <memballoon model='none'/>\n"
			      "  </devices>\n");
	if (kvm && s->libvirt_version < LIBVIRT_MAXPHYSADDR)
		zo_strbuf_append(&sb, "  <qemu:commandline>\n"
				      "    <qemu:arg value='-global'/>\n"
				      "    <qemu:arg value='host-x86_64-cpu.host-phys-bits=on'/>\n"
				      "  </qemu:commandline>\n");
	zo_strbuf_append(&sb, "</domain>\n");
	return zo_strbuf_steal(&sb);
}

char *zo_pool_xml(const char *name, const char *dir)
{
	struct zo_strbuf sb = { 0 };

	if (!name || !dir) {
		errno = EINVAL;
		return NULL;
	}
	zo_strbuf_append(&sb, "<pool type='dir'>\n");
	add_escaped(&sb, "  <name>%s</name>\n", name);
	add_escaped(&sb, "  <target>\n    <path>%s</path>\n  </target>\n", dir);
	zo_strbuf_append(&sb, "</pool>\n");
	return zo_strbuf_steal(&sb);
}

/* Compared in escaped form, as the XML holds it. */
bool zo_pool_xml_has_path(const char *xml, const char *dir)
{
	_cleanup_free_ char *e = zo_xml_escape(dir);
	_cleanup_free_ char *want = e ? zo_asprintf("<path>%s</path>", e) : NULL;

	return want && strstr(xml, want);
}

char *zo_overlay_xml(const char *name, uint64_t capacity, const char *backing)
{
	struct zo_strbuf sb = { 0 };

	if (!name || !capacity || !backing) {
		errno = EINVAL;
		return NULL;
	}
	zo_strbuf_append(&sb, "<volume>\n");
	add_escaped(&sb, "  <name>%s</name>\n", name);
	zo_strbuf_appendf(&sb, "  <capacity unit='bytes'>%" PRIu64 "</capacity>\n", capacity);
	zo_strbuf_append(&sb, "  <target>\n    <format type='qcow2'/>\n  </target>\n"
			      "  <backingStore>\n");
	add_escaped(&sb, "    <path>%s</path>\n", backing);
	zo_strbuf_append(&sb, "    <format type='qcow2'/>\n  </backingStore>\n</volume>\n");
	return zo_strbuf_steal(&sb);
}

/* "QFI\xfb", then the version, the backing file's offset and length, and
 * the virtual size big-endian at byte 24. */
int zo_qcow2_header(const unsigned char *h, size_t len, uint64_t *ret_size)
{
	uint64_t size = 0;
	int i;

	if (len < ZO_QCOW2_HEADER_LEN || memcmp(h, "QFI\xfb", 4))
		return -EINVAL;
	for (i = 24; i < 32; i++)
		size = size << 8 | h[i];
	if (ret_size)
		*ret_size = size;
	return 0;
}
