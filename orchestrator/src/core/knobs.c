#include "core/knobs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/units.h"
#include "util/macros.h"
#include "util/str.h"

#include "util/banned.h"

#define GOVERNORS "performance|powersave|ondemand|conservative|schedutil|userspace"

/* name, path, kind, min, max, words, zerosim, help, on, first_field */
const struct zo_knob zo_knobs[] = {
	{ "zerosim_drift_threshold", "/proc/zerosim_drift_threshold", ZO_KNOB_UINT, 0,
	  (1ULL << 62), NULL, true, "guest TSC drift (cycles) tolerated before 0sim syncs", NULL,
	  false },
	{ "zerosim_delay", "/proc/zerosim_delay", ZO_KNOB_UINT, 0, (1ULL << 62), NULL, true,
	  "0sim's injected delay", NULL, false },
	{ "zerosim_multicore_sync", "/proc/zerosim_multicore_sync", ZO_KNOB_01, 0, 1, NULL, true,
	  "keep vCPU clocks in step (multicore offsetting)", NULL, false },
	/* the old runner wrote 3 for "on" (exp_0sim.rs), 0 for off */
	{ "zerosim_skip_halt", "/proc/zerosim_skip_halt", ZO_KNOB_01, 0, 1, NULL, true,
	  "skip halted time (on writes 3, as the old runner did)", "3", false },
	{ "zerosim_lapic_adjust", "/proc/zerosim_lapic_adjust", ZO_KNOB_01, 0, 1, NULL, true,
	  "adjust the local APIC timer", NULL, false },
	{ "zerosim_sync_guest_tsc", "/proc/zerosim_sync_guest_tsc", ZO_KNOB_01, 0, 1, NULL, true,
	  "sync the guest TSC", NULL, false },
	{ "tsc_offsetting", "/sys/module/kvm_intel/parameters/enable_tsc_offsetting", ZO_KNOB_YN,
	  0, 1, NULL, true, "KVM hides host time spent handling the guest (0sim's kvm_intel)",
	  NULL, false },
	{ "zswap_enabled", "/sys/module/zswap/parameters/enabled", ZO_KNOB_YN, 0, 1, NULL, false,
	  "compress swapped pages in RAM", NULL, false },
	{ "zswap_zpool", "/sys/module/zswap/parameters/zpool", ZO_KNOB_WORDS, 0, 0,
	  "zbud|z3fold|zsmalloc|ztier", false, "zswap's allocator (0sim: ztier)", NULL, false },
	{ "zswap_max_pool_percent", "/sys/module/zswap/parameters/max_pool_percent", ZO_KNOB_UINT,
	  0, 100, NULL, false, "largest share of RAM zswap may use", NULL, false },
	{ "thp", "/sys/kernel/mm/transparent_hugepage/enabled", ZO_KNOB_WORDS, 0, 0,
	  "always|madvise|never", false, "transparent hugepages", NULL, false },
	{ "thp_defrag", "/sys/kernel/mm/transparent_hugepage/defrag", ZO_KNOB_WORDS, 0, 0,
	  "always|defer|defer+madvise|madvise|never", false,
	  "when a THP fault compacts memory (exp00004 sets always)", NULL, false },
	{ "khugepaged_defrag", "/sys/kernel/mm/transparent_hugepage/khugepaged/defrag",
	  ZO_KNOB_01, 0, 1, NULL, false, "khugepaged compacts memory", NULL, false },
	{ "khugepaged_alloc_sleep", "/sys/kernel/mm/transparent_hugepage/khugepaged/alloc_sleep_millisecs",
	  ZO_KNOB_UINT, 0, 4294967295ULL, NULL, false,
	  "khugepaged's pause after a failed allocation (ms)", NULL, false },
	{ "khugepaged_scan_sleep", "/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs",
	  ZO_KNOB_UINT, 0, 4294967295ULL, NULL, false, "khugepaged's pause between scans (ms)",
	  NULL, false },
	{ "ksm", "/sys/kernel/mm/ksm/run", ZO_KNOB_UINT, 0, 2, NULL, false,
	  "kernel samepage merging (0 off, 1 on, 2 unmerge)", NULL, false },
	{ "governor", "/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor", ZO_KNOB_WORDS, 0, 0,
	  GOVERNORS, false, "CPU frequency governor of every CPU", NULL, false },
	{ "printk", "/proc/sys/kernel/printk", ZO_KNOB_UINT, 0, 15, NULL, false,
	  "console log level (the first of printk's four)", NULL, true },
};
const size_t zo_n_knobs = ZO_ARRAY_SIZE(zo_knobs);

const struct zo_knob *zo_knob_find(const char *name)
{
	size_t i;

	for (i = 0; i < zo_n_knobs; i++)
		if (!strcmp(zo_knobs[i].name, name))
			return &zo_knobs[i];
	return NULL;
}

static bool word_in(const char *words, const char *w)
{
	size_t n = strlen(w);
	const char *p = words;

	while (p && *p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && !strncmp(p, w, n))
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

int zo_knob_normalize(const struct zo_knob *k, const char *text, char **ret_value,
		      char **ret_error)
{
	long long v;
	bool b;

	*ret_value = NULL;
	*ret_error = NULL;
	switch (k->kind) {
	case ZO_KNOB_UINT:
		if (zo_int_parse(text, (long long)k->min, (long long)k->max, &v) < 0) {
			*ret_error = zo_asprintf("%s=%s: use a whole number from %llu to %llu",
						 k->name, text, k->min, k->max);
			return -EINVAL;
		}
		*ret_value = zo_asprintf("%lld", v);
		break;
	case ZO_KNOB_YN:
	case ZO_KNOB_01:
		if (zo_bool_parse(text, &b) < 0) {
			*ret_error = zo_asprintf("%s=%s: use %s", k->name, text, ZO_BOOL_FORM);
			return -EINVAL;
		}
		*ret_value = strdup(k->kind == ZO_KNOB_YN ? (b ? "Y" : "N")
				    : b		      ? (k->on ? k->on : "1")
							      : "0");
		break;
	case ZO_KNOB_WORDS:
		if (!word_in(k->words, text)) {
			*ret_error = zo_asprintf("%s=%s: use one of %s", k->name, text, k->words);
			return -EINVAL;
		}
		*ret_value = strdup(text);
		break;
	}
	return *ret_value ? 0 : -ENOMEM;
}

char *zo_knob_current(const struct zo_knob *k, const char *raw)
{
	const char *open = strchr(raw, '['), *close = open ? strchr(open, ']') : NULL;

	if (k->kind == ZO_KNOB_WORDS && open && close)
		return strndup(open + 1, (size_t)(close - open - 1));
	if (k->first_field) {
		raw += strspn(raw, " \t");
		return strndup(raw, strcspn(raw, " \t"));
	}
	return strdup(raw);
}

char *zo_knob_restore_value(const struct zo_knob *k, const char *raw)
{
	/* "always [madvise] never" does not write back; the choice does */
	if (k->kind == ZO_KNOB_WORDS)
		return zo_knob_current(k, raw);
	return strdup(raw);
}

bool zo_knob_per_cpu(const struct zo_knob *k)
{
	return strstr(k->path, "/cpu*/") != NULL;
}

char *zo_knob_cpu_path(const struct zo_knob *k, const char *cpu)
{
	const char *star = strstr(k->path, "/cpu*/");

	if (!star)
		return strdup(k->path);
	return zo_asprintf("%.*s/%s%s", (int)(star - k->path), k->path, cpu, star + 5);
}

bool zo_knob_is_cpu_dir(const char *name)
{
	return !strncmp(name, "cpu", 3) && name[3] && strspn(name + 3, "0123456789") ==
								  strlen(name + 3);
}
