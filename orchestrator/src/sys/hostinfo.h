/* The one reader of host facts: kernel release, whether this is a 0sim
 * kernel, kernel modules and their parameters, CPU, memory, swap and zswap,
 * the knobs. Everything is read under the root prefix, so a fixture tree
 * stands in for a host. Each fact is read on its own: one that cannot be
 * read (-errno) does not hide the others. */
#ifndef ZO_SYS_HOSTINFO_H
#define ZO_SYS_HOSTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/procfs.h"

struct zo_knob;

/* The kernel release (/proc/sys/kernel/osrelease). */
int zo_host_osrelease(const char *root, char **ret);

/* Whether this is a 0sim kernel: 1 yes, 0 no, -errno when /proc cannot be
 * listed. The rule: at least one /proc/zerosim_* entry. 0sim's KVM creates
 * them (drift_threshold, delay, multicore_sync, skip_halt, lapic_adjust,
 * sync_guest_tsc, guest_offset) and a stock kernel has none; no single
 * one of them is the mark, so none is asked for by name. `ret_knobs`
 * (NULL: not wanted) gets the sorted names, or NULL when /proc cannot be
 * listed. */
int zo_host_zerosim(const char *root, char ***ret_knobs);
/* Whether this process runs as root (what the kernel checks, not --root). */
bool zo_host_is_superuser(void);

enum zo_module_state {
	ZO_MODULE_ABSENT,  /* no /sys/module/NAME */
	ZO_MODULE_LIVE,    /* initstate "live" */
	ZO_MODULE_COMING,  /* initstate "coming" */
	ZO_MODULE_GOING,   /* initstate "going" */
	ZO_MODULE_BUILTIN, /* /sys/module/NAME without an initstate */
};

/* A kernel module as /sys/module shows it (libkmod reads the same files,
 * but always from /sys, never under a root). */
struct zo_host_module {
	enum zo_module_state state;
	int refcnt;  /* users (VMs, other modules) of a loaded module, else 0 */
	char *value; /* the parameter's value; NULL: no such parameter file */
	int on;      /* the value as a switch: zo_parse_param_bool() */
};

/* `param` may be NULL (no parameter read). */
int zo_host_module(const char *root, const char *module, const char *param,
		   struct zo_host_module *ret);
void zo_host_module_release(struct zo_host_module *m);
/* Loaded as a module now: live or coming (what can be removed). */
bool zo_host_module_loaded(const struct zo_host_module *m);
/* In the running kernel: loaded as a module, or built in. The one rule
 * for "loaded" that status and ept status show. */
bool zo_host_module_active(const struct zo_host_module *m);

/* Every parameter of a module with its value (NULL where unreadable);
 * returns the count, -errno when the module has no parameters directory. */
int zo_host_module_params(const char *root, const char *module, char ***ret_names,
			  char ***ret_values);

/* A knob's current value made comparable (zo_knob_current), or -errno
 * (-ENOENT: this kernel has no such knob). A per-CPU knob reads its
 * value when every CPU agrees, else "mixed (a,b)". */
int zo_host_knob(const char *root, const struct zo_knob *k, char **ret);
/* The files behind a knob: its path, or for a per-CPU knob the file of
 * every CPU that has one (no cpufreq: none). Returns the count (0 when
 * the knob is absent), -errno on other errors. */
int zo_host_knob_files(const char *root, const struct zo_knob *k, char ***ret);
/* Write `value` to every file of the knob; -ENOENT when it has none. */
int zo_host_knob_write(const char *root, const struct zo_knob *k, const char *value);

/* Everything status and preflight show, read at once. */
struct zo_hostinfo {
	char *release;
	int release_err;
	int zerosim;          /* zo_host_zerosim() */
	char **zerosim_knobs; /* NULL when /proc cannot be listed */
	struct zo_host_module kvm;
	unsigned phys_bits, virt_bits;
	int bits_err; /* -ENODATA: no "address sizes" line */
	unsigned cpus;
	int cpus_err; /* -ENODATA: no "processor" line; -ERANGE: over ZO_CPUS_MAX */
	struct zo_meminfo mem;
	int mem_err;
	struct zo_swap_entry *swaps; /* dm_name filled in */
	size_t n_swaps;
	int swaps_err;
	uint64_t swap_active; /* bytes: the sizes in /proc/swaps added up */
	char **zswap_params;  /* NULL: no zswap parameters */
	char **zswap_values;  /* NULL entries where unreadable */
};

/* -ENOMEM only; the facts carry their own errors: -errno of the file, or
 * the parsers' -ENODATA (a field missing), -EINVAL (not in the kernel's
 * form), -ERANGE (a figure no kernel reports), or -EFBIG/-ZO_ENOTREG from
 * the reader. A fact with an error is unknown, never 0. */
int zo_hostinfo_read(const char *root, const char *kvm_module, const char *kvm_param,
		     struct zo_hostinfo *ret);
void zo_hostinfo_release(struct zo_hostinfo *h);

/* A fact's error in words, for "FILE: WHY": strerror(), except for the
 * codes the readers give a meaning of their own (see zo_hostinfo_read). */
const char *zo_host_strerror(int err);

#endif
