/* The old troubleshooting page as rules: each takes facts gathered by the
 * caller and says ok, warn or fail, with what it measured and the fix.
 * Pure, so every rule is driven from fixtures in tests. */
#ifndef ZO_CORE_PREFLIGHT_H
#define ZO_CORE_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* A fact that could not be read has its `*_unknown` text set (what could
 * not be read and why, e.g. "/proc/meminfo: not a regular file"): its
 * rule is then a warning that says so, never ok. */
struct zo_preflight_facts {
	uint64_t vm_gb;
	unsigned cores;
	bool is_root;
	bool zerosim_kernel;
	const char *zerosim_unknown;
	bool require_0sim;
	int ept;             /* 1 on, 0 off, -1 unknown */
	const char *ept_value; /* what the parameter read; NULL: none */
	bool kvm_loaded;     /* the module is in the kernel (loaded or built in) */
	const char *kvm_module, *kvm_param;
	unsigned phys_bits;  /* 0: unknown */
	const char *phys_bits_unknown;
	uint64_t mem_total;  /* bytes; 0: unknown */
	const char *mem_unknown;
	uint64_t swap_total; /* bytes: the swap the kernel enabled (/proc/swaps) */
	const char *swap_unknown;
	uint64_t thin_virtual; /* bytes, [thin] virtual_size; 0: no thin pool configured */
	uint64_t thin_swap;    /* bytes of swap the kernel enabled on the thin volume */
	bool thin_active;
	uint64_t thin_data_used, thin_data_total, thin_low_water; /* blocks */
	unsigned host_cpus;  /* 0: unknown */
	const char *host_cpus_unknown;
	bool libvirt_answered;
	const char *libvirt_uri, *libvirt_error, *hypervisor, *hypervisor_version;
};

enum zo_check_level { ZO_CHECK_OK, ZO_CHECK_WARN, ZO_CHECK_FAIL };

struct zo_check {
	const char *name;
	enum zo_check_level level;
	char *measured;
	char *fix; /* NULL when ok */
};

/* All checks, in a fixed order. */
int zo_preflight(const struct zo_preflight_facts *f, struct zo_check **ret, size_t *ret_n);
void zo_checks_free(struct zo_check *c, size_t n);
const char *zo_check_level_name(enum zo_check_level l);
/* The table the preflight command and a run show: a header, then each
 * check's name, result and what was measured, and "-> fix" under those
 * that are not ok. Lines end with a newline. */
char *zo_checks_table(const struct zo_check *c, size_t n);
/* The same as a JSON array of {check, result, measured, fix}. */
json_object *zo_checks_json(const struct zo_check *c, size_t n);
/* "NAME: MEASURED (FIX); ..." for the checks that failed; "" when none
 * did, NULL without memory. */
char *zo_checks_failures(const struct zo_check *c, size_t n);

/* The largest target (GB) EPT can map with `phys_bits` address bits. */
uint64_t zo_ept_limit_gb(unsigned phys_bits);

/* Whether the kernel enabled less swap on the thin volume (`enabled`
 * bytes) than its nominal size (`nominal`, [thin] virtual_size), beyond
 * the header page and rounding. */
bool zo_thin_swap_short(uint64_t enabled, uint64_t nominal);
/* "the kernel enabled 2.0T of swap on /dev/mapper/zsim-swap, the volume is
 * 10T" (or "no swap"); NULL without memory. */
char *zo_thin_swap_note(uint64_t enabled, uint64_t nominal);

#endif
