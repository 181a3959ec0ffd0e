#include "core/preflight.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/procfs.h"
#include "core/thin.h"
#include "core/units.h"
#include "util/json.h"
#include "util/str.h"

#include "util/banned.h"

/* KVM without EPT fails above this target size (known limit). */
#define SHADOW_PAGING_MAX_GB 1028
/* QEMU's host-phys-bits arrived in 2.7. */
#define QEMU_PHYS_BITS_MAJOR 2
#define QEMU_PHYS_BITS_MINOR 7

/* The kernel takes a page for the swap header and rounds the area down to
 * whole pages; a difference of up to this much is not worth a word. */
#define THIN_SWAP_SLACK (1024 * 1024ULL)

uint64_t zo_ept_limit_gb(unsigned phys_bits)
{
	if (phys_bits <= 30)
		return 1;
	return phys_bits - 30 < 64 ? 1ULL << (phys_bits - 30) : UINT64_MAX;
}

bool zo_thin_swap_short(uint64_t enabled, uint64_t nominal)
{
	return nominal > THIN_SWAP_SLACK && enabled < nominal - THIN_SWAP_SLACK;
}

char *zo_thin_swap_note(uint64_t enabled, uint64_t nominal)
{
	char e[32], v[32];

	zo_size_format_human(enabled, e, sizeof(e));
	zo_size_format_human(nominal, v, sizeof(v));
	if (!enabled)
		return zo_asprintf("the kernel enabled no swap on %s, the volume is %s",
				   ZO_THIN_VOLUME_PATH, v);
	return zo_asprintf("the kernel enabled %s of swap on %s, the volume is %s", e,
			   ZO_THIN_VOLUME_PATH, v);
}

const char *zo_check_level_name(enum zo_check_level l)
{
	return l == ZO_CHECK_OK ? "ok" : l == ZO_CHECK_WARN ? "warn" : "FAIL";
}

struct list {
	struct zo_check *v;
	size_t n;
	int err;
};

static void add(struct list *l, const char *name, enum zo_check_level level, char *measured,
		char *fix)
{
	struct zo_check *v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (!v || !measured || (level != ZO_CHECK_OK && !fix)) {
		free(measured);
		free(fix);
		l->err = -ENOMEM;
		if (v)
			l->v = v;
		return;
	}
	l->v = v;
	v[l->n].name = name;
	v[l->n].level = level;
	v[l->n].measured = measured;
	v[l->n].fix = level == ZO_CHECK_OK ? (free(fix), NULL) : fix;
	l->n++;
}

static void rule_zerosim(struct list *l, const struct zo_preflight_facts *f)
{
	if (f->zerosim_unknown)
		add(l, "0sim kernel", ZO_CHECK_WARN,
		    zo_asprintf("cannot tell: %s", f->zerosim_unknown),
		    strdup("mount the kernel's procfs on /proc"));
	else if (f->zerosim_kernel)
		add(l, "0sim kernel", ZO_CHECK_OK, strdup("/proc/zerosim_* present"), NULL);
	else
		add(l, "0sim kernel", f->require_0sim ? ZO_CHECK_FAIL : ZO_CHECK_WARN,
		    strdup("no /proc/zerosim_* knobs: a stock kernel"),
		    strdup(f->require_0sim ? "boot the 0sim kernel, or set [host] require_0sim = "
					     "no to run on this one anyway"
					   : "results will not be a 0sim simulation"));
}

/* Physical address bits that are known and plausible, else 0 and why. */
static unsigned phys_bits(const struct zo_preflight_facts *f, const char **why)
{
	*why = f->phys_bits_unknown ? f->phys_bits_unknown : "not measured";
	if (f->phys_bits_unknown || !f->phys_bits)
		return 0;
	if (f->phys_bits < ZO_PHYS_BITS_MIN || f->phys_bits > ZO_PHYS_BITS_MAX) {
		*why = "/proc/cpuinfo: a figure no kernel reports";
		return 0;
	}
	return f->phys_bits;
}

static void rule_ept(struct list *l, const struct zo_preflight_facts *f)
{
	const char *module = f->kvm_module ? f->kvm_module : "kvm_intel";
	const char *param = f->kvm_param ? f->kvm_param : "ept";
	const char *why;
	unsigned bits = phys_bits(f, &why);
	uint64_t limit = zo_ept_limit_gb(bits);

	if (f->ept < 0 && f->ept_value)
		add(l, "EPT", ZO_CHECK_WARN,
		    zo_asprintf("%s %s=%s: neither Y/N nor 1/0", module, param, f->ept_value),
		    strdup("check that [kvm] param names the EPT parameter"));
	else if (f->ept < 0 && f->kvm_loaded)
		add(l, "EPT", ZO_CHECK_WARN,
		    zo_asprintf("%s is loaded but has no parameter '%s'", module, param),
		    strdup("check that [kvm] param names the EPT parameter"));
	else if (f->ept < 0)
		add(l, "EPT", ZO_CHECK_WARN, zo_asprintf("%s is not loaded", module),
		    strdup("load it with 'zsim-orch ept off' (or 'ept on')"));
	else if (f->ept == 1 && !bits)
		add(l, "EPT", ZO_CHECK_WARN,
		    zo_asprintf("EPT on; the physical address bits are unknown (%s): how large "
				"a target EPT can map is not known",
				why),
		    strdup("check 'address sizes' in /proc/cpuinfo; with 39 bits EPT maps at "
			   "most 512 GB, above that run 'zsim-orch ept off'"));
	else if (f->ept == 1 && f->vm_gb >= limit)
		add(l, "EPT", ZO_CHECK_FAIL,
		    zo_asprintf("EPT on; %u physical address bits map at most %llu GB, target "
				"%llu GB",
				bits, (unsigned long long)limit, (unsigned long long)f->vm_gb),
		    strdup("zsim-orch ept off (QEMU would hang at boot with no message)"));
	else if (f->ept == 0 && f->vm_gb > SHADOW_PAGING_MAX_GB)
		add(l, "EPT", ZO_CHECK_WARN,
		    zo_asprintf("EPT off and a %llu GB target: KVM's shadow paging is known "
				"to fail above %d GB",
				(unsigned long long)f->vm_gb, SHADOW_PAGING_MAX_GB),
		    strdup("use a target of 1023 GB or less"));
	else if (!bits)
		add(l, "EPT", ZO_CHECK_WARN,
		    zo_asprintf("EPT %s; the physical address bits are unknown (%s)",
				f->ept ? "on" : "off", why),
		    strdup("check 'address sizes' in /proc/cpuinfo: QEMU passes them to "
			   "the target"));
	else
		add(l, "EPT", ZO_CHECK_OK,
		    zo_asprintf("EPT %s, %u physical address bits", f->ept ? "on" : "off", bits),
		    NULL);
}

static char *human(uint64_t bytes)
{
	char buf[32];

	zo_size_format_human(bytes, buf, sizeof(buf));
	return strdup(buf);
}

/* RAM plus the swap the kernel enabled, never the swap asked for. */
static void rule_memory(struct list *l, const struct zo_preflight_facts *f)
{
	uint64_t want = f->vm_gb << 30, backing = f->mem_total + f->swap_total;
	const char *unknown = f->mem_unknown	 ? f->mem_unknown
			      : !f->mem_total	 ? "/proc/meminfo: not measured"
						 : f->swap_unknown;
	char *m, *s, *t, *text;

	if (unknown) {
		add(l, "memory", ZO_CHECK_WARN,
		    zo_asprintf("target %llu GB; cannot tell whether it fits: %s",
				(unsigned long long)f->vm_gb, unknown),
		    strdup("mount the kernel's procfs on /proc ('zsim-orch status' shows what "
			   "can be read)"));
		return;
	}
	m = human(f->mem_total);
	s = human(f->swap_total);
	t = human(f->thin_virtual);
	text = m && s && t ? zo_asprintf("target %llu GB; RAM %s + swap %s%s%s%s",
					 (unsigned long long)f->vm_gb, m, s,
					 f->thin_virtual ? " (thin volume " : "",
					 f->thin_virtual ? t : "", f->thin_virtual ? ")" : "")
			   : NULL;
	add(l, "memory", want > backing ? ZO_CHECK_FAIL : ZO_CHECK_OK, text,
	    strdup("add swap: 'zsim-orch setup --mapper-device DEV' (a 10T thin "
		   "volume) or '--swap DEV', or a smaller target"));
	free(m);
	free(s);
	free(t);
	if (f->thin_virtual && zo_thin_swap_short(f->thin_swap, f->thin_virtual))
		add(l, "thin swap", ZO_CHECK_WARN, zo_thin_swap_note(f->thin_swap, f->thin_virtual),
		    strdup(f->thin_swap ? "only the swap the kernel enabled counts: it caps a swap "
					  "area by its own limits; set [thin] virtual_size to what "
					  "it enables, or add swap with 'zsim-orch setup --swap DEV'"
					: "turn it on: 'zsim-orch thin activate'"));
}

static void rule_thin_pool(struct list *l, const struct zo_preflight_facts *f)
{
	uint64_t free_blocks = f->thin_data_total - f->thin_data_used;

	if (!f->thin_active)
		return;
	add(l, "thin pool", free_blocks <= f->thin_low_water ? ZO_CHECK_FAIL : ZO_CHECK_OK,
	    zo_asprintf("%llu of %llu blocks used, low water %llu",
			(unsigned long long)f->thin_data_used,
			(unsigned long long)f->thin_data_total,
			(unsigned long long)f->thin_low_water),
	    strdup("the pool is nearly full and swap writes will fail: 'zsim-orch thin "
		   "remove' and create it again, or use a larger data device"));
}

static void rule_qemu(struct list *l, const struct zo_preflight_facts *f)
{
	unsigned maj = 0, min = 0;

	if (!f->libvirt_answered)
		add(l, "QEMU", ZO_CHECK_FAIL,
		    zo_asprintf("libvirt at %s does not answer: %s",
				f->libvirt_uri ? f->libvirt_uri : "?",
				f->libvirt_error ? f->libvirt_error : "?"),
		    strdup("start libvirtd, or fix [target] uri"));
	else if (!f->hypervisor || strcmp(f->hypervisor, "QEMU"))
		add(l, "QEMU", ZO_CHECK_WARN,
		    zo_asprintf("hypervisor %s, not QEMU", f->hypervisor ? f->hypervisor : "?"),
		    strdup("use a qemu:/// URI"));
	else if (!f->hypervisor_version ||
		 sscanf(f->hypervisor_version, "%u.%u", &maj, &min) != 2 ||
		 maj < QEMU_PHYS_BITS_MAJOR ||
		 (maj == QEMU_PHYS_BITS_MAJOR && min < QEMU_PHYS_BITS_MINOR))
		add(l, "QEMU", ZO_CHECK_FAIL,
		    zo_asprintf("QEMU %s cannot pass host physical address bits (needs 2.7)",
				f->hypervisor_version ? f->hypervisor_version : "?"),
		    strdup("install a newer QEMU (qemu-kvm-ev from the CentOS Virt SIG)"));
	else
		add(l, "QEMU", ZO_CHECK_OK, zo_asprintf("QEMU %s", f->hypervisor_version), NULL);
}

static void rule_cores(struct list *l, const struct zo_preflight_facts *f)
{
	if (f->host_cpus_unknown || !f->host_cpus)
		add(l, "cores", ZO_CHECK_WARN,
		    zo_asprintf("%u vCPUs; the host CPUs are unknown (%s)", f->cores,
				f->host_cpus_unknown ? f->host_cpus_unknown : "not measured"),
		    strdup("check the 'processor' lines of /proc/cpuinfo: vCPUs are pinned "
			   "1:1 to host CPUs"));
	else
		add(l, "cores", f->cores > f->host_cpus ? ZO_CHECK_FAIL : ZO_CHECK_OK,
		    zo_asprintf("%u vCPUs, %u host CPUs", f->cores, f->host_cpus),
		    strdup("use at most one vCPU per host CPU (they are pinned 1:1)"));
}

int zo_preflight(const struct zo_preflight_facts *f, struct zo_check **ret, size_t *ret_n)
{
	struct list l = { 0 };

	add(&l, "root", f->is_root ? ZO_CHECK_OK : ZO_CHECK_FAIL,
	    strdup(f->is_root ? "running as root" : "not root"),
	    strdup("run zsim-orch as root (sudo)"));
	rule_zerosim(&l, f);
	rule_ept(&l, f);
	rule_memory(&l, f);
	rule_thin_pool(&l, f);
	rule_qemu(&l, f);
	rule_cores(&l, f);
	if (l.err) {
		zo_checks_free(l.v, l.n);
		return l.err;
	}
	*ret = l.v;
	*ret_n = l.n;
	return 0;
}

void zo_checks_free(struct zo_check *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(c[i].measured);
		free(c[i].fix);
	}
	free(c);
}

char *zo_checks_table(const struct zo_check *c, size_t n)
{
	struct zo_strbuf sb = { 0 };
	size_t i;

	zo_strbuf_appendf(&sb, "%-12s %-6s %s\n", "check", "result", "measured / fix");
	for (i = 0; i < n; i++) {
		zo_strbuf_appendf(&sb, "%-12s %-6s %s\n", c[i].name,
				  zo_check_level_name(c[i].level), c[i].measured);
		if (c[i].fix)
			zo_strbuf_appendf(&sb, "%-12s %-6s -> %s\n", "", "", c[i].fix);
	}
	return zo_strbuf_steal(&sb);
}

json_object *zo_checks_json(const struct zo_check *c, size_t n)
{
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; arr && i < n; i++) {
		json_object *o = json_object_new_object();

		zo_json_add_str(o, "check", c[i].name);
		zo_json_add_str(o, "result", c[i].level == ZO_CHECK_FAIL   ? "fail"
					     : c[i].level == ZO_CHECK_WARN ? "warn"
									   : "ok");
		zo_json_add_str(o, "measured", c[i].measured);
		zo_json_add_str(o, "fix", c[i].fix);
		json_object_array_add(arr, o);
	}
	return arr;
}

char *zo_checks_failures(const struct zo_check *c, size_t n)
{
	struct zo_strbuf sb = { 0 };
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i].level == ZO_CHECK_FAIL)
			zo_strbuf_appendf(&sb, "%s%s: %s (%s)", sb.len ? "; " : "", c[i].name,
					  c[i].measured, c[i].fix);
	return zo_strbuf_steal(&sb);
}
