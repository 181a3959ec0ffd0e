/* zsim-orch status: what this host is and what it is set to. Reads only. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/procfs.h"
#include "core/units.h"
#include "sys/sysfs.h"
#include "sys/virt.h"
#include "util/json.h"
#include "util/str.h"

#include "util/banned.h"

#define LIBVIRT_PROBE_TIMEOUT_MS 5000

struct status {
	char *release;
	int release_err;
	char **zerosim_knobs; /* NULL: /proc unreadable */
	int zerosim_err;
	const char *kvm_module, *kvm_param;
	bool kvm_loaded;
	char *kvm_param_value; /* NULL: parameter file missing */
	unsigned phys_bits, virt_bits;
	int bits_err;
	struct zo_meminfo mem;
	int mem_err;
	struct zo_swap_entry *swaps;
	size_t n_swaps;
	int swaps_err;
	char **zswap_params;
	char **zswap_values;
	struct zo_virt_probe virt;
	const char *uri;
};

static void status_release(struct status *s)
{
	free(s->release);
	zo_strv_free(s->zerosim_knobs);
	free(s->kvm_param_value);
	zo_swap_entries_free(s->swaps, s->n_swaps);
	zo_strv_free(s->zswap_params);
	zo_strv_free(s->zswap_values);
	zo_virt_probe_release(&s->virt);
}

static int gather(struct zo_ctx *ctx, struct status *s)
{
	const char *root = ctx->root;
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *mod_dir = NULL, *param_path = NULL;
	int r, n, i;

	s->release_err = zo_sysfs_read_line(root, "/proc/sys/kernel/osrelease", &s->release);
	r = zo_sysfs_list(root, "/proc", "zerosim_", &s->zerosim_knobs);
	s->zerosim_err = r < 0 ? r : 0;

	s->kvm_module = zo_config_get(ctx->config, "kvm", "module");
	s->kvm_param = zo_config_get(ctx->config, "kvm", "param");
	mod_dir = zo_asprintf("/sys/module/%s", s->kvm_module);
	param_path = zo_asprintf("/sys/module/%s/parameters/%s", s->kvm_module, s->kvm_param);
	if (!mod_dir || !param_path)
		return -ENOMEM;
	s->kvm_loaded = zo_sysfs_exists(root, mod_dir) > 0;
	if (zo_sysfs_read_line(root, param_path, &s->kvm_param_value) < 0)
		s->kvm_param_value = NULL;

	s->bits_err = zo_sysfs_read(root, "/proc/cpuinfo", &text);
	if (!s->bits_err)
		s->bits_err = zo_parse_address_bits(text, &s->phys_bits, &s->virt_bits);
	free(TAKE_PTR(text));

	s->mem_err = zo_sysfs_read(root, "/proc/meminfo", &text);
	if (!s->mem_err)
		s->mem_err = zo_parse_meminfo(text, &s->mem);
	free(TAKE_PTR(text));

	s->swaps_err = zo_sysfs_read(root, "/proc/swaps", &text);
	if (!s->swaps_err) {
		r = zo_parse_swaps(text, &s->swaps, &s->n_swaps);
		s->swaps_err = r < 0 ? r : 0;
	}
	free(TAKE_PTR(text));

	n = zo_sysfs_list(root, "/sys/module/zswap/parameters", "", &s->zswap_params);
	if (n > 0) {
		s->zswap_values = calloc((size_t)n + 1, sizeof(char *));
		if (!s->zswap_values)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			_cleanup_free_ char *p = zo_asprintf("/sys/module/zswap/parameters/%s",
							     s->zswap_params[i]);
			if (!p || zo_sysfs_read_line(root, p, &s->zswap_values[i]) < 0)
				s->zswap_values[i] = strdup("?");
			if (!s->zswap_values[i])
				return -ENOMEM;
		}
	}

	s->uri = zo_config_get(ctx->config, "target", "uri");
	r = zo_virt_probe(s->uri, LIBVIRT_PROBE_TIMEOUT_MS, &s->virt, &ctx->log);
	if (r < 0)
		s->virt.error = zo_asprintf("could not run the probe: %s", strerror(-r));
	return 0;
}

/* Y/N (bool parameters) or 1/0 (int parameters, as kvm_intel's ept is on
 * some kernels). */
static int param_bool(const char *v)
{
	if (!v)
		return -1;
	if (!strcmp(v, "Y") || !strcmp(v, "1"))
		return 1;
	if (!strcmp(v, "N") || !strcmp(v, "0"))
		return 0;
	return -1;
}

static const char *human(uint64_t bytes, char *buf, size_t len)
{
	zo_size_format_human(bytes, buf, len);
	return buf;
}

static void print_human(struct zo_ctx *ctx, const struct status *s)
{
	char a[32], b[32], c[32];
	size_t i;

	printf("%-14s%s\n", "kernel:",
	       s->release ? s->release : strerror(-s->release_err));
	if (s->zerosim_err)
		printf("%-14sunknown (cannot list /proc: %s)\n", "0sim kernel:",
		       strerror(-s->zerosim_err));
	else if (zo_strv_length(s->zerosim_knobs) == 0)
		printf("%-14sno (no /proc/zerosim_* knobs)\n", "0sim kernel:");
	else {
		printf("%-14syes (", "0sim kernel:");
		for (i = 0; s->zerosim_knobs[i]; i++)
			printf("%s%s", i ? " " : "", s->zerosim_knobs[i]);
		printf(")\n");
	}

	if (!s->kvm_loaded)
		printf("%-14s%s not loaded\n", "kvm:", s->kvm_module);
	else if (!s->kvm_param_value)
		printf("%-14s%s loaded, no parameter '%s'\n", "kvm:", s->kvm_module,
		       s->kvm_param);
	else
		printf("%-14s%s loaded, %s=%s (%s)\n", "kvm:", s->kvm_module,
		       s->kvm_param, s->kvm_param_value,
		       param_bool(s->kvm_param_value) == 1   ? "on"
		       : param_bool(s->kvm_param_value) == 0 ? "off"
							     : "?");

	if (s->bits_err)
		printf("%-14sunknown (%s)\n", "cpu:",
		       s->bits_err == -ENODATA ? "no 'address sizes' in /proc/cpuinfo"
					       : strerror(-s->bits_err));
	else
		printf("%-14s%u physical, %u virtual address bits\n", "cpu:",
		       s->phys_bits, s->virt_bits);

	if (s->mem_err)
		printf("%-14sunknown (/proc/meminfo: %s)\n", "memory:", strerror(-s->mem_err));
	else {
		printf("%-14s%s total, %s available\n", "memory:",
		       human(s->mem.mem_total, a, sizeof(a)),
		       human(s->mem.mem_available, b, sizeof(b)));
		printf("%-14s%s total, %s free\n", "swap:",
		       human(s->mem.swap_total, a, sizeof(a)),
		       human(s->mem.swap_free, b, sizeof(b)));
	}

	if (s->swaps_err)
		printf("%-14sunknown (/proc/swaps: %s)\n", "swap devices:",
		       strerror(-s->swaps_err));
	else if (s->n_swaps == 0)
		printf("%-14snone\n", "swap devices:");
	for (i = 0; !s->swaps_err && i < s->n_swaps; i++)
		printf("%-14s%s (%s, %s, %s used, priority %d)\n",
		       i ? "" : "swap devices:", s->swaps[i].filename,
		       s->swaps[i].type, human(s->swaps[i].size, a, sizeof(a)),
		       human(s->swaps[i].used, c, sizeof(c)), s->swaps[i].priority);

	if (!s->zswap_params || !s->zswap_params[0])
		printf("%-14snot available (no /sys/module/zswap/parameters)\n", "zswap:");
	else {
		printf("%-14s", "zswap:");
		for (i = 0; s->zswap_params[i]; i++)
			printf("%s%s=%s", i ? " " : "", s->zswap_params[i],
			       s->zswap_values[i]);
		putchar('\n');
	}

	if (s->virt.answered)
		printf("%-14s%s answers (%s %s, libvirt %s, %d running domain%s)\n",
		       "libvirt:", s->uri, s->virt.hypervisor,
		       s->virt.hypervisor_version ? s->virt.hypervisor_version : "?",
		       s->virt.libvirt_version ? s->virt.libvirt_version : "?",
		       s->virt.active_domains, s->virt.active_domains == 1 ? "" : "s");
	else
		printf("%-14s%s does not answer: %s\n", "libvirt:", s->uri,
		       s->virt.error ? s->virt.error : "unknown error");

	printf("%-14s%s%s\n", "config:", ctx->config->path,
	       ctx->config->file_present ? "" : " (not present: defaults)");
}

static json_object *errno_or(int err, json_object *value)
{
	if (!err)
		return value;
	json_object_put(value);
	return json_object_new_string(strerror(-err));
}

static void print_json(struct zo_ctx *ctx, const struct status *s)
{
	json_object *o = json_object_new_object();
	json_object *kernel = json_object_new_object();
	json_object *kvm = json_object_new_object();
	json_object *cpu = json_object_new_object();
	json_object *mem = json_object_new_object();
	json_object *swaps = json_object_new_array();
	json_object *zswap = json_object_new_object();
	json_object *virt = json_object_new_object();
	json_object *config = json_object_new_object();
	json_object *knobs = json_object_new_array();
	size_t i;
	int ept;

	zo_json_add_str(kernel, "release", s->release);
	for (i = 0; s->zerosim_knobs && s->zerosim_knobs[i]; i++)
		json_object_array_add(knobs, json_object_new_string(s->zerosim_knobs[i]));
	zo_json_add_bool(kernel, "zerosim", zo_strv_length(s->zerosim_knobs) > 0);
	json_object_object_add(kernel, "zerosim_knobs", knobs);
	json_object_object_add(o, "kernel", kernel);

	zo_json_add_str(kvm, "module", s->kvm_module);
	zo_json_add_bool(kvm, "loaded", s->kvm_loaded);
	zo_json_add_str(kvm, "param", s->kvm_param);
	zo_json_add_str(kvm, "param_value", s->kvm_param_value);
	ept = param_bool(s->kvm_param_value);
	if (ept < 0)
		zo_json_add_null(kvm, "ept");
	else
		zo_json_add_bool(kvm, "ept", ept == 1);
	json_object_object_add(o, "kvm", kvm);

	if (s->bits_err) {
		zo_json_add_null(cpu, "physical_address_bits");
		zo_json_add_null(cpu, "virtual_address_bits");
	} else {
		zo_json_add_int(cpu, "physical_address_bits", s->phys_bits);
		zo_json_add_int(cpu, "virtual_address_bits", s->virt_bits);
	}
	json_object_object_add(o, "cpu", cpu);

	if (s->mem_err) {
		json_object_put(mem);
		mem = NULL;
	} else {
		zo_json_add_u64(mem, "total_bytes", s->mem.mem_total);
		zo_json_add_u64(mem, "available_bytes", s->mem.mem_available);
		zo_json_add_u64(mem, "swap_total_bytes", s->mem.swap_total);
		zo_json_add_u64(mem, "swap_free_bytes", s->mem.swap_free);
	}
	json_object_object_add(o, "memory", mem);

	for (i = 0; i < s->n_swaps; i++) {
		json_object *e = json_object_new_object();

		zo_json_add_str(e, "filename", s->swaps[i].filename);
		zo_json_add_str(e, "type", s->swaps[i].type);
		zo_json_add_u64(e, "size_bytes", s->swaps[i].size);
		zo_json_add_u64(e, "used_bytes", s->swaps[i].used);
		zo_json_add_int(e, "priority", s->swaps[i].priority);
		json_object_array_add(swaps, e);
	}
	json_object_object_add(o, "swaps", errno_or(s->swaps_err, swaps));

	for (i = 0; s->zswap_params && s->zswap_params[i]; i++)
		zo_json_add_str(zswap, s->zswap_params[i], s->zswap_values[i]);
	if (s->zswap_params && s->zswap_params[0]) {
		json_object_object_add(o, "zswap", zswap);
	} else {
		json_object_put(zswap);
		zo_json_add_null(o, "zswap");
	}

	zo_json_add_str(virt, "uri", s->uri);
	zo_json_add_bool(virt, "answered", s->virt.answered);
	zo_json_add_str(virt, "hypervisor", s->virt.hypervisor);
	zo_json_add_str(virt, "hypervisor_version", s->virt.hypervisor_version);
	zo_json_add_str(virt, "libvirt_version", s->virt.libvirt_version);
	if (s->virt.answered)
		zo_json_add_int(virt, "active_domains", s->virt.active_domains);
	else
		zo_json_add_null(virt, "active_domains");
	zo_json_add_str(virt, "error", s->virt.error);
	json_object_object_add(o, "libvirt", virt);

	zo_json_add_str(config, "path", ctx->config->path);
	zo_json_add_bool(config, "present", ctx->config->file_present);
	json_object_object_add(o, "config", config);

	zo_print_json(o);
	json_object_put(o);
}

static int cmd_status(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct status s = { 0 };
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctx->json = true;
			break;
		case 'h':
			zo_cmd_print_usage(&zo_cmd_status, stdout);
			return ZO_EXIT_OK;
		default:
			return zo_usage_error(ctx, &zo_cmd_status, "unknown option '%s'",
					      argv[optind - 1]);
		}
	}
	if (optind < argc)
		return zo_usage_error(ctx, &zo_cmd_status, "'status' takes no arguments");

	r = gather(ctx, &s);
	if (r < 0) {
		zo_error(ctx, "cannot gather status: %s", strerror(-r));
		status_release(&s);
		return ZO_EXIT_FAILED;
	}
	if (ctx->json)
		print_json(ctx, &s);
	else
		print_human(ctx, &s);
	status_release(&s);
	return ZO_EXIT_OK;
}

const struct zo_cmd zo_cmd_status = {
	.name = "status",
	.fn = cmd_status,
	.summary = "what this host is and what it is set to",
	.usage = "zsim-orch status [--json]\n"
		 "\n"
		 "Kernel release and whether it is a 0sim kernel, the KVM module and its EPT\n"
		 "setting, CPU address bits, memory and swap, active swap devices, zswap\n"
		 "parameters, and whether the libvirt URI answers (within 5 seconds).\n"
		 "Reads only; --json for a machine-readable form.\n",
	.flags = ZO_CMD_NEED_CONFIG,
};
