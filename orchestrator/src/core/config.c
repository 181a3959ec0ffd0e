#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/devspec.h"
#include "core/units.h"
#include "util/str.h"

#include "util/banned.h"

#define INT_KEY(sec, k, d, opt, lo, hi, h)                                     \
	{ sec, k, ZO_TYPE_INT, d, opt, lo, hi, 0, 0, 0, NULL, h }
#define SIZE_KEY(sec, k, d, opt, lo, hi, mul, h)                               \
	{ sec, k, ZO_TYPE_SIZE, d, opt, 0, 0, lo, hi, mul, NULL, h }
#define ENUM_KEY(sec, k, d, choices, h)                                        \
	{ sec, k, ZO_TYPE_ENUM, d, false, 0, 0, 0, 0, 0, choices, h }
#define KEY(sec, k, type, d, opt, h)                                           \
	{ sec, k, type, d, opt, 0, 0, 0, 0, 0, NULL, h }

const char *const zo_config_sections[] = {
	"host", "thin", "kvm", "zswap", "zerosim", "target", "paths", "slurm", "kbuild",
};
const size_t zo_config_n_sections = ZO_ARRAY_SIZE(zo_config_sections);

const struct zo_key_def zo_config_keys[] = {
	KEY("host", "swap", ZO_TYPE_DEVICE_LIST, "", true,
	    "Swap devices by stable ID, comma-separated; written by `zsim-orch setup --swap`."),
	INT_KEY("host", "swap_priority", "-1", false, -1, 32767,
		"Priority for zsim's swap devices; -1: the kernel's default."),
	KEY("host", "swap_discard", ZO_TYPE_BOOL, "no", false,
	    "Discard freed swap pages (TRIM) on zsim's swap devices."),
	KEY("host", "require_0sim", ZO_TYPE_BOOL, "yes", false,
	    "Refuse to run experiments on a kernel without the /proc/zerosim_* knobs."),
	KEY("host", "home", ZO_TYPE_DEVICE, "", true,
	    "The filesystem holding home directories, by UUID; written by `zsim-orch setup --home-device`."),
	KEY("host", "home_mount", ZO_TYPE_PATH, "/home", false,
	    "Where that filesystem is mounted; written by `zsim-orch setup --home-mount`."),

	KEY("thin", "data", ZO_TYPE_DEVICE, "", true,
	    "Data device of the thin pool that backs swap, by stable ID; written by `zsim-orch setup --mapper-device`."),
	KEY("thin", "metadata", ZO_TYPE_DEVICE_OR_FILE, "/var/lib/zsim/thin-metadata.img", false,
	    "Thin-pool metadata: a file (attached to a loop device) or a stable device ID."),
	SIZE_KEY("thin", "virtual_size", "10T", false, ZO_MIB, UINT64_MAX / 2, 0,
		 "Size of the thin volume used as swap."),
	SIZE_KEY("thin", "block_size", "128M", false, 64 * ZO_KIB, ZO_GIB, 64 * ZO_KIB,
		 "Thin-pool block size: a multiple of 64K from 64K to 1G."),
	SIZE_KEY("thin", "low_water", "", true, 0, UINT64_MAX, 0,
		 "Free space in the pool below which dm-thin raises an event; empty: chosen when the pool is created."),

	KEY("kvm", "module", ZO_TYPE_NAME, "kvm_intel", false,
	    "Kernel module whose parameter controls EPT."),
	KEY("kvm", "param", ZO_TYPE_NAME, "ept", false,
	    "Module parameter that turns EPT on or off."),
	ENUM_KEY("kvm", "ept", "on", "on|off",
		 "EPT setting applied at boot; large targets need it off."),

	KEY("zswap", "enabled", ZO_TYPE_BOOL, "yes", false,
	    "Turn zswap on while experiments run."),
	KEY("zswap", "zpool", ZO_TYPE_NAME, "ztier", false,
	    "zswap allocator (0sim kernels provide ztier)."),
	INT_KEY("zswap", "max_pool_percent", "50", false, 0, 100,
		"Largest share of RAM zswap may use, in percent."),

	INT_KEY("zerosim", "drift_threshold", "", true, 0, 9223372036854775807LL,
		"/proc/zerosim_drift_threshold; empty: leave the kernel's value."),
	INT_KEY("zerosim", "delay", "", true, 0, 9223372036854775807LL,
		"/proc/zerosim_delay; empty: leave the kernel's value."),
	KEY("zerosim", "multicore_sync", ZO_TYPE_BOOL, "", true,
	    "/proc/zerosim_multicore_sync; empty: leave the kernel's value."),
	KEY("zerosim", "lapic_adjust", ZO_TYPE_BOOL, "", true,
	    "/proc/zerosim_lapic_adjust; empty: leave the kernel's value."),

	KEY("target", "uri", ZO_TYPE_URI, "qemu:///system", false,
	    "libvirt connection URI (overridden by --connect)."),
	KEY("target", "name", ZO_TYPE_NAME, "zsim-target", false,
	    "libvirt domain name of the target."),
	ENUM_KEY("target", "accel", "auto", "auto|kvm|tcg",
		 "auto: KVM when it really runs guests here, else TCG."),
	KEY("target", "base_image", ZO_TYPE_PATH, "", true,
	    "Pristine qcow2 base image; targets are overlays on it."),
	KEY("target", "base_sha256", ZO_TYPE_STRING, "", true,
	    "SHA-256 of base_image when `target prepare` made it; run refuses a base that differs."),
	KEY("target", "base_profile", ZO_TYPE_NAME, "", true,
	    "The profile `target prepare` applied to base_image (centos7 or debian12)."),
	SIZE_KEY("target", "guest_swap", "", true, ZO_MIB, ZO_TIB, ZO_MIB,
		 "Swap file /swapfile that `target prepare` writes into the base (zeros, no holes; the disk grows by as much); experiments on instrumented kernels (exp00003, exp00008) turn it on. The runner's was 10G; empty: none."),
	SIZE_KEY("target", "base_guest_swap", "", true, 0, ZO_TIB, 0,
		 "The swap file's size in base_image, as `target prepare` made it (0: none)."),
	KEY("target", "base_kernel_release", ZO_TYPE_STRING, "", true,
	    "The kernel release `target kernel install` installed in base_image as its default."),
	KEY("target", "kernel", ZO_TYPE_PATH, "", true,
	    "Kernel for direct boot (tests and scratch targets)."),
	KEY("target", "initrd", ZO_TYPE_PATH, "", true,
	    "Initramfs for direct boot."),
	KEY("target", "cmdline", ZO_TYPE_STRING, "", true,
	    "Kernel command line for direct boot."),
	SIZE_KEY("target", "memory", "20G", false, 16 * ZO_MIB, UINT64_MAX / 2, ZO_MIB,
		 "Target memory when a command does not say (a whole number of MiB)."),
	INT_KEY("target", "vcpus", "1", false, 1, 4096,
		"Target vCPUs, pinned 1:1 to host CPUs."),
	INT_KEY("target", "agent_timeout", "600", false, 1, 7 * 24 * 3600,
		"Seconds to wait for the target's guest agent."),

	KEY("paths", "spool", ZO_TYPE_PATH, "/var/spool/zsim", false,
	    "Spool directory served by `zsim-orch serve`."),
	KEY("paths", "results", ZO_TYPE_PATH, "/var/lib/zsim/results", false,
	    "Where experiment results are written."),
	KEY("paths", "state", ZO_TYPE_PATH, "/var/lib/zsim", false,
	    "zsim-orch's state: storage pool, serial logs, metadata files."),

	KEY("slurm", "partition", ZO_TYPE_NAME, "", true,
	    "Partition `zsim-orch slurm submit` submits to; empty: the cluster's default."),
	KEY("slurm", "results", ZO_TYPE_PATH, "", true,
	    "Results directory every node mounts at this path (NFS), for `zsim-orch slurm submit` and `status`; empty: give --results-dir."),

	KEY("kbuild", "source", ZO_TYPE_PATH, "", true,
	    "Linux source tree (or a linux-*.tar.* of one, unpacked under [paths] state) that exp00009 builds on the host; empty: Debian's /usr/src/linux-source-*.tar.* (apt-get install linux-source), else a full tree at /usr/src/linux."),
	ENUM_KEY("kbuild", "config", "current", "current|defconfig|tinyconfig|allnoconfig",
		 "The configuration exp00009 builds: current is the old runner's (the running kernel's /boot/config-RELEASE, PAGE_TABLE_ISOLATION and RETPOLINE off, FRAME_POINTER on, make olddefconfig); the others are make targets."),
	KEY("kbuild", "target", ZO_TYPE_NAME, "all", false,
	    "What exp00009's make builds (the runner's binrpm-pkg compiles the same and packs an RPM)."),
	INT_KEY("kbuild", "jobs", "0", false, 0, 4096,
		"make -j for exp00009's build; 0: every CPU of the host, as the runner did."),
};
const size_t zo_config_n_keys = ZO_ARRAY_SIZE(zo_config_keys);

static ssize_t key_index(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < zo_config_n_keys; i++)
		if (!strcmp(zo_config_keys[i].section, section) &&
		    !strcmp(zo_config_keys[i].key, key))
			return (ssize_t)i;
	return -1;
}

const struct zo_key_def *zo_config_key(const char *section, const char *key)
{
	ssize_t i = key_index(section, key);

	return i < 0 ? NULL : &zo_config_keys[i];
}

const char *zo_type_form(const struct zo_key_def *def, char *buf, size_t len)
{
	char lo[32], hi[32];

	switch (def->type) {
	case ZO_TYPE_STRING:
		return "any text";
	case ZO_TYPE_NAME:
		return "letters, digits, '_', '.' and '-'";
	case ZO_TYPE_PATH:
		return "an absolute path";
	case ZO_TYPE_URI:
		return "a libvirt URI such as qemu:///system";
	case ZO_TYPE_SIZE:
		zo_size_format(def->size_min, lo, sizeof(lo));
		if (def->size_max >= UINT64_MAX / 2)
			snprintf(buf, len, "%s, at least %s", ZO_SIZE_FORM, lo);
		else {
			zo_size_format(def->size_max, hi, sizeof(hi));
			snprintf(buf, len, "%s, from %s to %s", ZO_SIZE_FORM, lo, hi);
		}
		return buf;
	case ZO_TYPE_BOOL:
		return ZO_BOOL_FORM;
	case ZO_TYPE_INT:
		snprintf(buf, len, "a whole number from %lld to %lld", def->min,
			 def->max);
		return buf;
	case ZO_TYPE_ENUM:
		snprintf(buf, len, "one of: %s", def->choices);
		return buf;
	case ZO_TYPE_DEVICE:
		return "a stable device ID: " ZO_DEVSPEC_STABLE_FORM;
	case ZO_TYPE_DEVICE_LIST:
		return "comma-separated stable device IDs: " ZO_DEVSPEC_STABLE_FORM;
	case ZO_TYPE_DEVICE_OR_FILE:
		return "an absolute file path or a stable device ID: " ZO_DEVSPEC_STABLE_FORM;
	}
	return "?";
}

static bool enum_has(const char *choices, const char *value)
{
	size_t vl = strlen(value);
	const char *p = choices;

	for (;;) {
		const char *bar = strchr(p, '|');
		size_t l = bar ? (size_t)(bar - p) : strlen(p);

		if (l == vl && !strncmp(p, value, l))
			return true;
		if (!bar)
			return false;
		p = bar + 1;
	}
}

static bool is_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

static bool is_uri(const char *s)
{
	const char *colon = strchr(s, ':');
	const char *p;

	if (!colon || colon == s || !isalpha((unsigned char)*s))
		return false;
	for (p = s; p < colon; p++)
		if (!isalnum((unsigned char)*p) && !strchr("+.-", *p))
			return false;
	for (p = s; *p; p++)
		if (isspace((unsigned char)*p))
			return false;
	return true;
}

/* Why a device value is refused, or NULL when it is acceptable. */
static const char *device_problem(const char *spec, bool file_ok)
{
	enum zo_devspec_kind kind = zo_devspec_classify(spec);

	if (kind == ZO_DEVSPEC_KERNEL)
		return "kernel device names change across reboots; store a stable ID";
	if (kind == ZO_DEVSPEC_FILE && file_ok)
		return NULL;
	if (!zo_devspec_is_stable(kind))
		return "not a device ID";
	return NULL;
}

static int check_type(const struct zo_key_def *def, const char *value, unsigned line,
		      struct zo_diags *diags)
{
	char form[256];
	const char *why = NULL;
	uint64_t size;
	long long i;
	bool b;
	int r;

	if (!*value) {
		if (def->optional)
			return 0;
		why = "a value is required";
		goto bad;
	}
	switch (def->type) {
	case ZO_TYPE_STRING:
		return 0;
	case ZO_TYPE_NAME:
		if (!is_name(value))
			goto bad;
		return 0;
	case ZO_TYPE_PATH:
		if (value[0] != '/')
			goto bad;
		return 0;
	case ZO_TYPE_URI:
		if (!is_uri(value))
			goto bad;
		return 0;
	case ZO_TYPE_SIZE:
		r = zo_size_parse(value, &size);
		if (r == -ERANGE)
			why = "too large";
		else if (r < 0)
			why = "not a size";
		else if (size < def->size_min || size > def->size_max)
			why = "out of range";
		else if (def->size_multiple && size % def->size_multiple)
			why = "not a multiple of the required unit";
		else
			return 0;
		goto bad;
	case ZO_TYPE_BOOL:
		if (zo_bool_parse(value, &b) < 0)
			goto bad;
		return 0;
	case ZO_TYPE_INT:
		r = zo_int_parse(value, def->min, def->max, &i);
		if (r == -ERANGE)
			why = "out of range";
		if (r < 0)
			goto bad;
		return 0;
	case ZO_TYPE_ENUM:
		if (!enum_has(def->choices, value))
			goto bad;
		return 0;
	case ZO_TYPE_DEVICE:
	case ZO_TYPE_DEVICE_OR_FILE:
		why = device_problem(value,
				     def->type == ZO_TYPE_DEVICE_OR_FILE);
		if (why)
			goto bad;
		return 0;
	case ZO_TYPE_DEVICE_LIST: {
		char **items = NULL;
		size_t k;

		r = zo_strv_split(value, ',', &items);
		if (r < 0)
			return r;
		for (k = 0; items[k] && !why; k++)
			why = device_problem(items[k], false);
		if (why) {
			r = zo_diags_add(diags, ZO_ERROR, line, def->section, def->key,
					 "\"%s\" in \"%s\": %s; use %s", items[k - 1],
					 value, why, zo_type_form(def, form, sizeof(form)));
			zo_strv_free(items);
			return r < 0 ? r : -EINVAL;
		}
		zo_strv_free(items);
		return 0;
	}
	}
bad:
	r = zo_diags_add(diags, ZO_ERROR, line, def->section, def->key,
			 "\"%s\"%s%s; use %s", value, why ? ": " : " is not valid",
			 why ? why : "", zo_type_form(def, form, sizeof(form)));
	return r < 0 ? r : -EINVAL;
}

int zo_config_check_value(const struct zo_key_def *def, const char *value,
			  unsigned line, struct zo_diags *diags)
{
	const char *why;
	int r = check_type(def, value, line, diags);

	if (r < 0)
		return r;
	/* what the type allows must also read back from the file */
	why = zo_ini_value_problem(def->key, value);
	if (!why)
		return 0;
	/* the value is not quoted in the message: it may hold a line break */
	r = zo_diags_add(diags, ZO_ERROR, line, def->section, def->key,
			 "a value of %zu characters that cannot be written to the config file: %s",
			 strlen(value), why);
	return r < 0 ? r : -EINVAL;
}

static struct zo_config *config_new(const char *path)
{
	struct zo_config *c = calloc(1, sizeof(*c));
	size_t i;

	if (!c)
		return NULL;
	c->path = strdup(path);
	c->values = calloc(zo_config_n_keys, sizeof(*c->values));
	if (!c->path || !c->values)
		return zo_config_free(c);
	for (i = 0; i < zo_config_n_keys; i++) {
		c->values[i].value = strdup(zo_config_keys[i].def);
		if (!c->values[i].value)
			return zo_config_free(c);
	}
	return c;
}

static int warn_unknown_sections(const struct zo_ini *ini,
				 struct zo_diags *diags)
{
	size_t i, j;
	int r;

	for (i = 0; i < ini->n_sections; i++) {
		const char *name = ini->sections[i].name;
		const char *near;
		bool known = false;

		for (j = 0; j < zo_config_n_sections; j++)
			known = known || !strcmp(zo_config_sections[j], name);
		if (known)
			continue;
		near = zo_closest(name, zo_config_sections, zo_config_n_sections);
		if (near)
			r = zo_diags_add(diags, ZO_WARNING, ini->sections[i].line,
					 name, NULL,
					 "unknown section [%s], ignored; did you mean [%s]?",
					 name, near);
		else
			r = zo_diags_add(diags, ZO_WARNING, ini->sections[i].line,
					 name, NULL,
					 "unknown section [%s], ignored; the sections are "
					 "host, thin, kvm, zswap, zerosim, target and paths",
					 name);
		if (r < 0)
			return r;
	}
	return 0;
}

static int warn_unknown_key(const struct zo_ini_entry *e,
			    struct zo_diags *diags)
{
	const char *names[64];
	const char *near;
	size_t i, n = 0;
	bool section_known = false;

	for (i = 0; i < zo_config_n_sections; i++)
		section_known = section_known || !strcmp(zo_config_sections[i], e->section);
	if (!*e->section)
		return zo_diags_add(diags, ZO_WARNING, e->line, NULL, e->key,
				    "key \"%s\" is outside any section, ignored; "
				    "put it under its [section]", e->key);
	if (!section_known)
		return 0; /* the section warning covers its keys */
	for (i = 0; i < zo_config_n_keys && n < ZO_ARRAY_SIZE(names); i++)
		if (!strcmp(zo_config_keys[i].section, e->section))
			names[n++] = zo_config_keys[i].key;
	near = zo_closest(e->key, names, n);
	if (near)
		return zo_diags_add(diags, ZO_WARNING, e->line, e->section, e->key,
				    "unknown key, ignored; did you mean \"%s\"?",
				    near);
	return zo_diags_add(diags, ZO_WARNING, e->line, e->section, e->key,
			    "unknown key, ignored; see `zsim-orch config show` "
			    "for the keys of [%s]", e->section);
}

/* What iniparser would read otherwise than the file says. */
static int check_syntax(const struct zo_ini *ini, struct zo_diags *diags)
{
	size_t i;
	int r = 0;

	for (i = 0; r >= 0 && i < ini->n_open_quotes; i++)
		r = zo_diags_add(diags, ZO_ERROR, ini->open_quotes[i], NULL, NULL,
				 "the value opens a quote and does not close it; close it, or "
				 "leave the quotes out");
	return r;
}

int zo_config_from_ini(const char *path, const struct zo_ini *ini,
		       struct zo_config **ret, struct zo_diags *diags)
{
	struct zo_config *c = config_new(path);
	size_t errors_before = zo_diags_count(diags, ZO_ERROR);
	size_t i;
	int r;

	if (!c)
		return -ENOMEM;
	if (ini) {
		c->file_present = true;
		if (ini->n_entries == 0 && ini->n_sections == 0) {
			r = zo_diags_add(diags, ZO_WARNING, 0, NULL, NULL,
					 "the file holds no settings; every key takes its default");
			if (r < 0)
				goto fail;
		}
		r = check_syntax(ini, diags);
		if (r == 0)
			r = warn_unknown_sections(ini, diags);
		if (r < 0)
			goto fail;
		for (i = 0; i < ini->n_entries; i++) {
			const struct zo_ini_entry *e = &ini->entries[i];
			ssize_t k = key_index(e->section, e->key);
			char *v;

			if (k < 0) {
				r = warn_unknown_key(e, diags);
				if (r < 0)
					goto fail;
				continue;
			}
			r = zo_config_check_value(&zo_config_keys[k], e->value,
						  e->line, diags);
			if (r == -ENOMEM)
				goto fail;
			if (r < 0)
				continue;
			v = strdup(e->value);
			if (!v) {
				r = -ENOMEM;
				goto fail;
			}
			free(c->values[k].value);
			c->values[k].value = v;
			c->values[k].source = ZO_SOURCE_FILE;
			c->values[k].line = e->line;
		}
	}
	if (zo_diags_count(diags, ZO_ERROR) > errors_before) {
		r = -EINVAL;
		goto fail;
	}
	*ret = c;
	return 0;
fail:
	zo_config_free(c);
	return r;
}

struct zo_config *zo_config_free(struct zo_config *c)
{
	size_t i;

	if (!c)
		return NULL;
	if (c->values)
		for (i = 0; i < zo_config_n_keys; i++)
			free(c->values[i].value);
	free(c->values);
	free(c->path);
	free(c);
	return NULL;
}

int zo_config_override(struct zo_config *c, const char *section,
		       const char *key, const char *value,
		       enum zo_source source, struct zo_diags *diags)
{
	ssize_t k = key_index(section, key);
	char *v;
	int r;

	if (k < 0)
		return -ENOENT;
	r = zo_config_check_value(&zo_config_keys[k], value, 0, diags);
	if (r < 0)
		return r;
	v = strdup(value);
	if (!v)
		return -ENOMEM;
	free(c->values[k].value);
	c->values[k].value = v;
	c->values[k].source = source;
	c->values[k].line = 0;
	return 0;
}

const struct zo_config_value *zo_config_value(const struct zo_config *c,
					      const char *section,
					      const char *key)
{
	ssize_t k = key_index(section, key);

	return k < 0 ? NULL : &c->values[k];
}

const char *zo_config_get(const struct zo_config *c, const char *section,
			  const char *key)
{
	const struct zo_config_value *v = zo_config_value(c, section, key);

	return v ? v->value : NULL;
}

static int get_set(const struct zo_config *c, const char *section,
		   const char *key, const char **ret)
{
	const char *v = zo_config_get(c, section, key);

	if (!v)
		return -ENOENT;
	if (!*v)
		return -ENODATA;
	*ret = v;
	return 0;
}

int zo_config_get_size(const struct zo_config *c, const char *section,
		       const char *key, uint64_t *ret)
{
	const char *v;
	int r = get_set(c, section, key, &v);

	return r < 0 ? r : zo_size_parse(v, ret);
}

int zo_config_get_bool(const struct zo_config *c, const char *section,
		       const char *key, bool *ret)
{
	const char *v;
	int r = get_set(c, section, key, &v);

	return r < 0 ? r : zo_bool_parse(v, ret);
}

int zo_config_get_int(const struct zo_config *c, const char *section,
		      const char *key, long long *ret)
{
	const struct zo_key_def *def = zo_config_key(section, key);
	const char *v;
	int r = get_set(c, section, key, &v);

	return r < 0 ? r : zo_int_parse(v, def->min, def->max, ret);
}

int zo_config_get_list(const struct zo_config *c, const char *section,
		       const char *key, char ***ret)
{
	const char *v = zo_config_get(c, section, key);
	int r;

	if (!v)
		return -ENOENT;
	r = zo_strv_split(v, ',', ret);
	return r;
}
