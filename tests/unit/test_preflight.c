#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/knobs.h"
#include "core/preflight.h"

static struct zo_preflight_facts node(void)
{
	struct zo_preflight_facts f = { 0 };

	f.vm_gb = 4096;
	f.cores = 1;
	f.is_root = true;
	f.zerosim_kernel = true;
	f.require_0sim = true;
	f.ept = 0;
	f.kvm_module = "kvm_intel";
	f.phys_bits = 39;
	f.mem_total = 64ULL << 30;
	f.swap_total = 10ULL << 40;
	f.host_cpus = 16;
	f.libvirt_answered = true;
	f.hypervisor = "QEMU";
	f.hypervisor_version = "2.12.0";
	return f;
}

static const struct zo_check *find(struct zo_check *c, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(c[i].name, name))
			return &c[i];
	fail_msg("no check %s", name);
	return NULL;
}

static enum zo_check_level level(struct zo_preflight_facts f, const char *name)
{
	struct zo_check *c;
	size_t n;
	enum zo_check_level l;

	assert_int_equal(zo_preflight(&f, &c, &n), 0);
	l = find(c, n, name)->level;
	zo_checks_free(c, n);
	return l;
}

static void ept_rules(void **state)
{
	struct zo_preflight_facts f = node();

	(void)state;
	assert_int_equal(zo_ept_limit_gb(39), 512);
	assert_int_equal(zo_ept_limit_gb(46), 65536);
	f.ept = 1;
	assert_int_equal(level(f, "EPT"), ZO_CHECK_FAIL);
	f.vm_gb = 511;
	assert_int_equal(level(f, "EPT"), ZO_CHECK_OK);
	f.vm_gb = 512;
	assert_int_equal(level(f, "EPT"), ZO_CHECK_FAIL);
	f.ept = 0;
	f.vm_gb = 4096;
	assert_int_equal(level(f, "EPT"), ZO_CHECK_WARN);
	f.vm_gb = 1028;
	assert_int_equal(level(f, "EPT"), ZO_CHECK_OK);
	f.ept = -1;
	assert_int_equal(level(f, "EPT"), ZO_CHECK_WARN);
}

/* A parameter that reads neither Y/N nor 1/0 is unknown, not off. */
static void ept_value_unknown(void **state)
{
	struct zo_preflight_facts f = node();
	struct zo_check *c;
	size_t n;

	(void)state;
	f.ept = -1;
	f.ept_value = "maybe";
	f.kvm_param = "ept";
	assert_int_equal(zo_preflight(&f, &c, &n), 0);
	assert_int_equal(find(c, n, "EPT")->level, ZO_CHECK_WARN);
	assert_string_equal(find(c, n, "EPT")->measured, "kvm_intel ept=maybe: neither Y/N nor 1/0");
	zo_checks_free(c, n);
}

/* The table and the failures line a run is refused with. */
static void table_and_failures(void **state)
{
	struct zo_preflight_facts f = node();
	struct zo_check *c;
	char *text;
	size_t n;

	(void)state;
	assert_int_equal(zo_preflight(&f, &c, &n), 0);
	text = zo_checks_failures(c, n);
	assert_string_equal(text, "");
	free(text);
	zo_checks_free(c, n);

	f.ept = 1;
	f.cores = 17;
	assert_int_equal(zo_preflight(&f, &c, &n), 0);
	text = zo_checks_failures(c, n);
	assert_string_equal(text, "EPT: EPT on; 39 physical address bits map at most 512 GB, "
				  "target 4096 GB (zsim-orch ept off (QEMU would hang at boot "
				  "with no message)); cores: 17 vCPUs, 16 host CPUs (use at most "
				  "one vCPU per host CPU (they are pinned 1:1))");
	free(text);
	text = zo_checks_table(c, n);
	assert_non_null(strstr(text, "check        result measured / fix\n"
				     "root         ok     running as root\n"));
	assert_non_null(strstr(text, "\ncores        FAIL   17 vCPUs, 16 host CPUs\n"
				     "                    -> use at most one vCPU per host CPU "
				     "(they are pinned 1:1)\n"));
	free(text);
	zo_checks_free(c, n);
}

static void memory_thin_and_host(void **state)
{
	struct zo_preflight_facts f = node();

	(void)state;
	f.swap_total = 0;
	assert_int_equal(level(f, "memory"), ZO_CHECK_FAIL);
	/* a thin volume counts with the swap the kernel enabled on it */
	f.thin_virtual = 10ULL << 40;
	assert_int_equal(level(f, "memory"), ZO_CHECK_FAIL);
	f.thin_swap = f.swap_total = (10ULL << 40) - 4096;
	assert_int_equal(level(f, "memory"), ZO_CHECK_OK);
	f.thin_active = true;
	f.thin_data_total = 100;
	f.thin_data_used = 90;
	f.thin_low_water = 10;
	assert_int_equal(level(f, "thin pool"), ZO_CHECK_FAIL);
	f.thin_data_used = 89;
	assert_int_equal(level(f, "thin pool"), ZO_CHECK_OK);
	f.cores = 17;
	assert_int_equal(level(f, "cores"), ZO_CHECK_FAIL);
	f.is_root = false;
	assert_int_equal(level(f, "root"), ZO_CHECK_FAIL);
	f.zerosim_kernel = false;
	assert_int_equal(level(f, "0sim kernel"), ZO_CHECK_FAIL);
	f.require_0sim = false;
	assert_int_equal(level(f, "0sim kernel"), ZO_CHECK_WARN);
}

/* Unknown facts are warnings that say what could not be read, never ok;
 * "ok, 0 physical address bits" was the bug. */
static void unknown_facts_warn(void **state)
{
	struct zo_preflight_facts f = node();
	struct zo_check *c;
	size_t n;

	(void)state;
	f.ept = 1;
	f.vm_gb = 100;
	f.phys_bits = 0;
	f.phys_bits_unknown = "/proc/cpuinfo: no 'address sizes' line";
	assert_int_equal(zo_preflight(&f, &c, &n), 0);
	assert_int_equal(find(c, n, "EPT")->level, ZO_CHECK_WARN);
	assert_string_equal(find(c, n, "EPT")->measured,
			    "EPT on; the physical address bits are unknown (/proc/cpuinfo: no "
			    "'address sizes' line): how large a target EPT can map is not known");
	zo_checks_free(c, n);
	f.ept = 0;
	assert_int_equal(level(f, "EPT"), ZO_CHECK_WARN);
	/* not even the reason: still not ok */
	f.phys_bits_unknown = NULL;
	assert_int_equal(level(f, "EPT"), ZO_CHECK_WARN);
	f.ept = 1;
	assert_int_equal(level(f, "EPT"), ZO_CHECK_WARN);
	/* a figure no CPU has is not believed (and 1 << 170 is no limit) */
	f.phys_bits = 200;
	assert_int_equal(level(f, "EPT"), ZO_CHECK_WARN);
	assert_true(zo_ept_limit_gb(200) == UINT64_MAX);
	assert_true(zo_ept_limit_gb(0) == 1);

	f = node();
	f.mem_total = 0;
	f.mem_unknown = "/proc/meminfo: a figure no kernel reports";
	assert_int_equal(zo_preflight(&f, &c, &n), 0);
	assert_int_equal(find(c, n, "memory")->level, ZO_CHECK_WARN);
	assert_string_equal(find(c, n, "memory")->measured,
			    "target 4096 GB; cannot tell whether it fits: /proc/meminfo: a figure "
			    "no kernel reports");
	zo_checks_free(c, n);
	f = node();
	f.vm_gb = 100000; /* would fail, were the swap known */
	f.swap_unknown = "/proc/swaps: not a regular file";
	assert_int_equal(level(f, "memory"), ZO_CHECK_WARN);

	f = node();
	f.host_cpus = 0;
	f.host_cpus_unknown = "/proc/cpuinfo: not a regular file";
	assert_int_equal(zo_preflight(&f, &c, &n), 0);
	assert_int_equal(find(c, n, "cores")->level, ZO_CHECK_WARN);
	assert_string_equal(find(c, n, "cores")->measured,
			    "1 vCPUs; the host CPUs are unknown (/proc/cpuinfo: not a regular file)");
	zo_checks_free(c, n);

	f = node();
	f.zerosim_kernel = false;
	f.zerosim_unknown = "/proc: Permission denied";
	assert_int_equal(level(f, "0sim kernel"), ZO_CHECK_WARN);

	/* loaded (or built in) without the parameter is not "not loaded" */
	f = node();
	f.ept = -1;
	f.kvm_loaded = true;
	f.kvm_param = "ept";
	assert_int_equal(zo_preflight(&f, &c, &n), 0);
	assert_string_equal(find(c, n, "EPT")->measured,
			    "kvm_intel is loaded but has no parameter 'ept'");
	zo_checks_free(c, n);
}

/* Capacity is the swap the kernel enabled, and a thin volume the kernel
 * capped is named. */
static void thin_swap_capped(void **state)
{
	struct zo_preflight_facts f = node();
	struct zo_check *c;
	size_t n;
	char *text;

	(void)state;
	f.thin_virtual = 10ULL << 40;
	f.thin_swap = f.swap_total = 2ULL << 40;
	f.vm_gb = 4096;
	assert_int_equal(zo_preflight(&f, &c, &n), 0);
	assert_int_equal(find(c, n, "memory")->level, ZO_CHECK_FAIL);
	assert_string_equal(find(c, n, "memory")->measured,
			    "target 4096 GB; RAM 64G + swap 2T (thin volume 10T)");
	assert_int_equal(find(c, n, "thin swap")->level, ZO_CHECK_WARN);
	assert_string_equal(find(c, n, "thin swap")->measured,
			    "the kernel enabled 2T of swap on /dev/mapper/zsim-swap, the volume "
			    "is 10T");
	zo_checks_free(c, n);
	f.vm_gb = 1000;
	assert_int_equal(level(f, "memory"), ZO_CHECK_OK);
	assert_int_equal(level(f, "thin swap"), ZO_CHECK_WARN);

	f.thin_swap = 0;
	assert_int_equal(zo_preflight(&f, &c, &n), 0);
	assert_string_equal(find(c, n, "thin swap")->measured,
			    "the kernel enabled no swap on /dev/mapper/zsim-swap, the volume is 10T");
	assert_non_null(strstr(find(c, n, "thin swap")->fix, "zsim-orch thin activate"));
	zo_checks_free(c, n);

	/* the header page is no difference */
	assert_false(zo_thin_swap_short((10ULL << 40) - 4096, 10ULL << 40));
	assert_true(zo_thin_swap_short(2ULL << 40, 10ULL << 40));
	f.thin_swap = (10ULL << 40) - 4096;
	assert_int_equal(zo_preflight(&f, &c, &n), 0);
	text = zo_checks_table(c, n);
	assert_null(strstr(text, "thin swap"));
	free(text);
	zo_checks_free(c, n);
}

static void qemu_version(void **state)
{
	struct zo_preflight_facts f = node();

	(void)state;
	assert_int_equal(level(f, "QEMU"), ZO_CHECK_OK);
	f.hypervisor_version = "2.6.2";
	assert_int_equal(level(f, "QEMU"), ZO_CHECK_FAIL);
	f.hypervisor_version = "1.5.3"; /* CentOS 7's stock qemu-kvm */
	assert_int_equal(level(f, "QEMU"), ZO_CHECK_FAIL);
	f.hypervisor = "TEST";
	assert_int_equal(level(f, "QEMU"), ZO_CHECK_WARN);
	f.libvirt_answered = false;
	assert_int_equal(level(f, "QEMU"), ZO_CHECK_FAIL);
}

static void knob_values(void **state)
{
	char *v, *why;

	(void)state;
	assert_int_equal(zo_knob_normalize(zo_knob_find("zswap_enabled"), "yes", &v, &why), 0);
	assert_string_equal(v, "Y");
	free(v);
	/* the old runner's skip-halt "on" is 3 (exp_0sim.rs) */
	assert_int_equal(zo_knob_normalize(zo_knob_find("zerosim_skip_halt"), "on", &v, &why), 0);
	assert_string_equal(v, "3");
	free(v);
	assert_int_equal(zo_knob_normalize(zo_knob_find("zerosim_delay"), "-1", &v, &why), -EINVAL);
	free(why);
	assert_int_equal(zo_knob_normalize(zo_knob_find("thp"), "madvis", &v, &why), -EINVAL);
	assert_string_equal(why, "thp=madvis: use one of always|madvise|never");
	free(why);
	v = zo_knob_current(zo_knob_find("thp"), "always [madvise] never");
	assert_string_equal(v, "madvise");
	free(v);
	assert_null(zo_knob_find("nosuchknob"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ept_rules),
		cmocka_unit_test(ept_value_unknown),
		cmocka_unit_test(table_and_failures),
		cmocka_unit_test(memory_thin_and_host),
		cmocka_unit_test(unknown_facts_warn),
		cmocka_unit_test(thin_swap_capped),
		cmocka_unit_test(qemu_version),
		cmocka_unit_test(knob_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
