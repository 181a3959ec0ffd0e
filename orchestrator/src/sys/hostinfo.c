#include "sys/hostinfo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/knobs.h"
#include "sys/sysfs.h"
#include "util/macros.h"
#include "util/str.h"

#include "util/banned.h"

int zo_host_osrelease(const char *root, char **ret)
{
	return zo_sysfs_read_line(root, "/proc/sys/kernel/osrelease", ret);
}

int zo_host_zerosim(const char *root, char ***ret_knobs)
{
	char **knobs = NULL;
	int n = zo_sysfs_list(root, "/proc", "zerosim_", &knobs);

	if (ret_knobs)
		*ret_knobs = n < 0 ? NULL : knobs;
	else
		zo_strv_free(knobs);
	return n < 0 ? n : n > 0;
}

static enum zo_module_state module_state(const char *root, const char *module)
{
	_cleanup_free_ char *dir = zo_asprintf("/sys/module/%s", module);
	_cleanup_free_ char *path = zo_asprintf("/sys/module/%s/initstate", module);
	_cleanup_free_ char *v = NULL;

	if (!dir || !path)
		return ZO_MODULE_ABSENT;
	if (zo_sysfs_read_line(root, path, &v) == 0)
		return !strcmp(v, "live")     ? ZO_MODULE_LIVE
		       : !strcmp(v, "coming") ? ZO_MODULE_COMING
					      : ZO_MODULE_GOING;
	/* as libkmod decides: a module directory without an initstate is
	 * built into the kernel */
	return zo_sysfs_exists(root, dir) > 0 ? ZO_MODULE_BUILTIN : ZO_MODULE_ABSENT;
}

bool zo_host_module_loaded(const struct zo_host_module *m)
{
	return m->state == ZO_MODULE_LIVE || m->state == ZO_MODULE_COMING;
}

bool zo_host_module_active(const struct zo_host_module *m)
{
	return zo_host_module_loaded(m) || m->state == ZO_MODULE_BUILTIN;
}

int zo_host_module(const char *root, const char *module, const char *param,
		   struct zo_host_module *ret)
{
	_cleanup_free_ char *refcnt = NULL, *value = NULL;
	struct zo_host_module m = { ZO_MODULE_ABSENT, 0, NULL, -1 };

	m.state = module_state(root, module);
	if (zo_host_module_loaded(&m)) {
		_cleanup_free_ char *path = zo_asprintf("/sys/module/%s/refcnt", module);

		if (!path)
			return -ENOMEM;
		if (zo_sysfs_read_line(root, path, &refcnt) == 0)
			m.refcnt = atoi(refcnt);
	}
	if (param) {
		_cleanup_free_ char *path = zo_asprintf("/sys/module/%s/parameters/%s", module,
							param);

		if (!path)
			return -ENOMEM;
		if (zo_sysfs_read_line(root, path, &value) == 0)
			m.value = TAKE_PTR(value);
		m.on = zo_parse_param_bool(m.value);
	}
	*ret = m;
	return 0;
}

void zo_host_module_release(struct zo_host_module *m)
{
	free(m->value);
	m->value = NULL;
}

int zo_host_module_params(const char *root, const char *module, char ***ret_names,
			  char ***ret_values)
{
	_cleanup_free_ char *dir = zo_asprintf("/sys/module/%s/parameters", module);
	char **names = NULL, **values;
	int n, i;

	if (!dir)
		return -ENOMEM;
	n = zo_sysfs_list(root, dir, "", &names);
	if (n < 0)
		return n;
	values = calloc((size_t)n + 1, sizeof(char *));
	if (!values) {
		zo_strv_free(names);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		_cleanup_free_ char *p = zo_asprintf("%s/%s", dir, names[i]);

		if (!p || zo_sysfs_read_line(root, p, &values[i]) < 0)
			values[i] = NULL;
	}
	*ret_names = names;
	*ret_values = values;
	return n;
}

int zo_host_knob_files(const char *root, const struct zo_knob *k, char ***ret)
{
	char **cpus = NULL, **files;
	int n, i, m = 0;

	if (!zo_knob_per_cpu(k)) {
		files = calloc(2, sizeof(char *));
		if (!files || !(files[0] = strdup(k->path))) {
			free(files);
			return -ENOMEM;
		}
		if (zo_sysfs_exists(root, k->path) <= 0) {
			zo_strv_free(files);
			files = calloc(1, sizeof(char *));
			if (!files)
				return -ENOMEM;
			*ret = files;
			return 0;
		}
		*ret = files;
		return 1;
	}
	n = zo_sysfs_list(root, "/sys/devices/system/cpu", "cpu", &cpus);
	if (n < 0)
		n = 0;
	files = calloc((size_t)n + 1, sizeof(char *));
	if (!files) {
		zo_strv_free(cpus);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		char *path;

		if (!zo_knob_is_cpu_dir(cpus[i]))
			continue;
		path = zo_knob_cpu_path(k, cpus[i]);
		if (path && zo_sysfs_exists(root, path) > 0)
			files[m++] = path;
		else
			free(path);
	}
	zo_strv_free(cpus);
	*ret = files;
	return m;
}

int zo_host_knob_write(const char *root, const struct zo_knob *k, const char *value)
{
	char **files = NULL;
	int n = zo_host_knob_files(root, k, &files), i, r = 0;

	if (n == 0)
		r = -ENOENT;
	for (i = 0; i < n && r == 0; i++)
		r = zo_sysfs_write(root, files[i], value);
	zo_strv_free(files);
	return n < 0 ? n : r;
}

int zo_host_knob(const char *root, const struct zo_knob *k, char **ret)
{
	struct zo_strbuf seen = { 0 };
	char **files = NULL, *first = NULL;
	bool mixed = false;
	int n = zo_host_knob_files(root, k, &files), i, r = 0;

	if (n <= 0) {
		zo_strv_free(files);
		return n < 0 ? n : -ENOENT;
	}
	for (i = 0; i < n && r == 0; i++) {
		_cleanup_free_ char *raw = NULL, *cur = NULL;

		r = zo_sysfs_read_line(root, files[i], &raw);
		if (r < 0)
			break;
		cur = zo_knob_current(k, raw);
		if (!cur) {
			r = -ENOMEM;
			break;
		}
		if (!first) {
			first = strdup(cur);
			zo_strbuf_append(&seen, cur);
		} else if (strcmp(first, cur)) {
			if (!strstr(seen.buf, cur))
				zo_strbuf_appendf(&seen, ",%s", cur);
			mixed = true;
		}
	}
	zo_strv_free(files);
	if (r == 0 && !first)
		r = -ENOMEM;
	if (r == 0)
		*ret = mixed ? zo_asprintf("mixed (%s)", seen.buf) : TAKE_PTR(first);
	if (r == 0 && !*ret)
		r = -ENOMEM;
	free(first);
	zo_strbuf_release(&seen);
	return r;
}

static void read_cpu(const char *root, struct zo_hostinfo *h)
{
	_cleanup_free_ char *text = NULL;

	h->bits_err = zo_sysfs_read(root, "/proc/cpuinfo", &text);
	h->cpus_err = h->bits_err;
	if (h->bits_err)
		return;
	h->bits_err = zo_parse_address_bits(text, &h->phys_bits, &h->virt_bits);
	if (h->bits_err)
		h->phys_bits = h->virt_bits = 0;
	h->cpus = zo_parse_cpu_count(text);
	h->cpus_err = !h->cpus ? -ENODATA : h->cpus > ZO_CPUS_MAX ? -ERANGE : 0;
	if (h->cpus_err)
		h->cpus = 0;
}

/* /dev/dm-N in /proc/swaps: which device-mapper device it is. */
static int swap_dm_names(const char *root, struct zo_swap_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		_cleanup_free_ char *path = NULL;

		if (!zo_startswith(v[i].filename, "/dev/dm-") || strchr(v[i].filename + 5, '/'))
			continue;
		path = zo_asprintf("/sys/block/%s/dm/name", v[i].filename + 5);
		if (!path)
			return -ENOMEM;
		if (zo_sysfs_read_line(root, path, &v[i].dm_name) < 0)
			v[i].dm_name = NULL;
	}
	return 0;
}

static int read_memory(const char *root, struct zo_hostinfo *h)
{
	_cleanup_free_ char *text = NULL;
	size_t i;
	int r;

	h->mem_err = zo_sysfs_read(root, "/proc/meminfo", &text);
	if (!h->mem_err)
		h->mem_err = zo_parse_meminfo(text, &h->mem);
	if (h->mem_err)
		memset(&h->mem, 0, sizeof(h->mem));
	free(TAKE_PTR(text));
	h->swaps_err = zo_sysfs_read(root, "/proc/swaps", &text);
	if (h->swaps_err)
		return 0;
	r = zo_parse_swaps(text, &h->swaps, &h->n_swaps);
	h->swaps_err = r < 0 ? r : 0;
	for (i = 0; !h->swaps_err && i < h->n_swaps; i++)
		h->swap_active += h->swaps[i].size;
	return h->swaps_err ? 0 : swap_dm_names(root, h->swaps, h->n_swaps);
}

int zo_hostinfo_read(const char *root, const char *kvm_module, const char *kvm_param,
		     struct zo_hostinfo *ret)
{
	struct zo_hostinfo h;
	int r;

	memset(&h, 0, sizeof(h));
	h.release_err = zo_host_osrelease(root, &h.release);
	h.zerosim = zo_host_zerosim(root, &h.zerosim_knobs);
	r = zo_host_module(root, kvm_module, kvm_param, &h.kvm);
	if (r >= 0) {
		read_cpu(root, &h);
		r = read_memory(root, &h);
		if (r == 0 && zo_host_module_params(root, "zswap", &h.zswap_params, &h.zswap_values) ==
		    -ENOMEM)
			r = -ENOMEM;
	}
	if (r < 0) {
		zo_hostinfo_release(&h);
		return r;
	}
	*ret = h;
	return 0;
}

void zo_hostinfo_release(struct zo_hostinfo *h)
{
	size_t i, n = zo_strv_length(h->zswap_params);

	free(h->release);
	zo_strv_free(h->zerosim_knobs);
	zo_host_module_release(&h->kvm);
	zo_swap_entries_free(h->swaps, h->n_swaps);
	for (i = 0; h->zswap_values && i < n; i++)
		free(h->zswap_values[i]);
	free(h->zswap_values);
	zo_strv_free(h->zswap_params);
	memset(h, 0, sizeof(*h));
}

bool zo_host_is_superuser(void)
{
	return geteuid() == 0;
}

const char *zo_host_strerror(int err)
{
	switch (-err) {
	case ENODATA:
		return "a field is missing";
	case EINVAL:
		return "not in the kernel's format";
	case ERANGE:
		return "a figure no kernel reports";
	case EFBIG:
		return "larger than the kernel writes it";
	case ZO_ENOTREG:
		return "not a regular file";
	}
	return strerror(-err);
}
