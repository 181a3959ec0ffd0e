/* zsim-orch status: what this host is and what it is set to. Reads only. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/thin.h"
#include "core/units.h"
#include "ops/preflight.h"
#include "sys/hostinfo.h"
#include "sys/virt.h"
#include "util/json.h"
#include "util/str.h"

#include "util/banned.h"

#define LIBVIRT_PROBE_TIMEOUT_MS 5000

struct status {
	struct zo_hostinfo h;
	const char *kvm_module, *kvm_param;
	struct zo_virt_probe virt;
	const char *uri;
	int thin;                      /* zo_thin_swap_enabled() */
	uint64_t thin_virtual, thin_swap;
};

static void status_release(struct status *s)
{
	zo_hostinfo_release(&s->h);
	zo_virt_probe_release(&s->virt);
}

static int gather(struct zo_ctx *ctx, struct status *s)
{
	int r;

	s->kvm_module = zo_config_get(ctx->config, "kvm", "module");
	s->kvm_param = zo_config_get(ctx->config, "kvm", "param");
	r = zo_hostinfo_read(ctx->root, s->kvm_module, s->kvm_param, &s->h);
	if (r < 0)
		return r;
	s->thin = zo_thin_swap_enabled(ctx, &s->h, &s->thin_virtual, &s->thin_swap);
	s->uri = zo_config_get(ctx->config, "target", "uri");
	r = zo_virt_probe(s->uri, LIBVIRT_PROBE_TIMEOUT_MS, &s->virt, &ctx->log);
	if (r < 0)
		s->virt.error = zo_asprintf("could not run the probe: %s", strerror(-r));
	return 0;
}

static const char *zswap_value(const struct status *s, size_t i)
{
	return s->h.zswap_values[i] ? s->h.zswap_values[i] : "?";
}

static const char *human(uint64_t bytes, char *buf, size_t len)
{
	zo_size_format_human(bytes, buf, len);
	return buf;
}

/* Kernel, 0sim, KVM and CPU. */
static void print_host(const struct status *s)
{
	size_t i;

	printf("%-14s%s\n", "kernel:",
	       s->h.release ? s->h.release : strerror(-s->h.release_err));
	if (s->h.zerosim < 0)
		printf("%-14sunknown (cannot list /proc: %s)\n", "0sim kernel:",
		       strerror(-s->h.zerosim));
	else if (s->h.zerosim == 0)
		printf("%-14sno (no /proc/zerosim_* knobs)\n", "0sim kernel:");
	else {
		printf("%-14syes (", "0sim kernel:");
		for (i = 0; s->h.zerosim_knobs[i]; i++)
			printf("%s%s", i ? " " : "", s->h.zerosim_knobs[i]);
		printf(")\n");
	}

	if (!zo_host_module_active(&s->h.kvm))
		printf("%-14s%s not loaded\n", "kvm:", s->kvm_module);
	else if (!s->h.kvm.value)
		printf("%-14s%s loaded, no parameter '%s'\n", "kvm:", s->kvm_module,
		       s->kvm_param);
	else
		printf("%-14s%s loaded, %s=%s (%s)\n", "kvm:", s->kvm_module,
		       s->kvm_param, s->h.kvm.value,
		       s->h.kvm.on == 1 ? "on" : s->h.kvm.on == 0 ? "off" : "?");

	if (s->h.bits_err == -ENODATA)
		printf("%-14sunknown (no 'address sizes' in /proc/cpuinfo)\n", "cpu:");
	else if (s->h.bits_err)
		printf("%-14sunknown (/proc/cpuinfo: %s)\n", "cpu:",
		       zo_host_strerror(s->h.bits_err));
	else
		printf("%-14s%u physical, %u virtual address bits\n", "cpu:",
		       s->h.phys_bits, s->h.virt_bits);
}

/* Memory, swap and zswap. */
static void print_memory(const struct status *s)
{
	char a[32], b[32], c[32];
	size_t i;

	if (s->h.mem_err)
		printf("%-14sunknown (/proc/meminfo: %s)\n", "memory:",
		       zo_host_strerror(s->h.mem_err));
	else {
		printf("%-14s%s total, %s available\n", "memory:",
		       human(s->h.mem.mem_total, a, sizeof(a)),
		       human(s->h.mem.mem_available, b, sizeof(b)));
		printf("%-14s%s total, %s free\n", "swap:",
		       human(s->h.mem.swap_total, a, sizeof(a)),
		       human(s->h.mem.swap_free, b, sizeof(b)));
	}

	if (s->h.swaps_err)
		printf("%-14sunknown (/proc/swaps: %s)\n", "swap devices:",
		       zo_host_strerror(s->h.swaps_err));
	else if (s->h.n_swaps == 0)
		printf("%-14snone\n", "swap devices:");
	for (i = 0; !s->h.swaps_err && i < s->h.n_swaps; i++)
		printf("%-14s%s (%s, %s, %s used, priority %d)\n",
		       i ? "" : "swap devices:", s->h.swaps[i].filename,
		       s->h.swaps[i].type, human(s->h.swaps[i].size, a, sizeof(a)),
		       human(s->h.swaps[i].used, c, sizeof(c)), s->h.swaps[i].priority);
	if (s->thin > 0 && zo_thin_swap_short(s->thin_swap, s->thin_virtual)) {
		_cleanup_free_ char *note = zo_thin_swap_note(s->thin_swap, s->thin_virtual);

		printf("%-14s%s\n", "thin swap:", note ? note : strerror(ENOMEM));
	}

	if (!s->h.zswap_params || !s->h.zswap_params[0])
		printf("%-14snot available (no /sys/module/zswap/parameters)\n", "zswap:");
	else {
		printf("%-14s", "zswap:");
		for (i = 0; s->h.zswap_params[i]; i++)
			printf("%s%s=%s", i ? " " : "", s->h.zswap_params[i],
			       zswap_value(s, i));
		putchar('\n');
	}
}

static void print_human(struct zo_ctx *ctx, const struct status *s)
{
	print_host(s);
	print_memory(s);
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

/* "thin": the thin volume's nominal size and the swap the kernel enabled
 * on it; null without a thin pool configured. */
static void json_thin(json_object *o, const struct status *s)
{
	json_object *thin;

	if (s->thin == 0) {
		zo_json_add_null(o, "thin");
		return;
	}
	thin = json_object_new_object();
	zo_json_add_str(thin, "volume", ZO_THIN_VOLUME_PATH);
	zo_json_add_u64(thin, "virtual_bytes", s->thin_virtual);
	if (s->thin < 0)
		zo_json_add_null(thin, "swap_bytes");
	else
		zo_json_add_u64(thin, "swap_bytes", s->thin_swap);
	json_object_object_add(o, "thin", thin);
}

/* "kernel", "kvm" and "cpu". */
static void json_host(json_object *o, const struct status *s)
{
	json_object *kernel = json_object_new_object();
	json_object *kvm = json_object_new_object();
	json_object *cpu = json_object_new_object();
	json_object *knobs = json_object_new_array();
	size_t i;
	int ept;

	zo_json_add_str(kernel, "release", s->h.release);
	for (i = 0; s->h.zerosim_knobs && s->h.zerosim_knobs[i]; i++)
		json_object_array_add(knobs, json_object_new_string(s->h.zerosim_knobs[i]));
	if (s->h.zerosim < 0)
		zo_json_add_null(kernel, "zerosim");
	else
		zo_json_add_bool(kernel, "zerosim", s->h.zerosim > 0);
	json_object_object_add(kernel, "zerosim_knobs", knobs);
	json_object_object_add(o, "kernel", kernel);

	zo_json_add_str(kvm, "module", s->kvm_module);
	zo_json_add_bool(kvm, "loaded", zo_host_module_active(&s->h.kvm));
	zo_json_add_str(kvm, "param", s->kvm_param);
	zo_json_add_str(kvm, "param_value", s->h.kvm.value);
	ept = s->h.kvm.on;
	if (ept < 0)
		zo_json_add_null(kvm, "ept");
	else
		zo_json_add_bool(kvm, "ept", ept == 1);
	json_object_object_add(o, "kvm", kvm);

	if (s->h.bits_err) {
		zo_json_add_null(cpu, "physical_address_bits");
		zo_json_add_null(cpu, "virtual_address_bits");
	} else {
		zo_json_add_int(cpu, "physical_address_bits", s->h.phys_bits);
		zo_json_add_int(cpu, "virtual_address_bits", s->h.virt_bits);
	}
	json_object_object_add(o, "cpu", cpu);
}

/* "memory", "swaps" and "zswap". */
static void json_memory(json_object *o, const struct status *s)
{
	json_object *mem = json_object_new_object();
	json_object *swaps = json_object_new_array();
	json_object *zswap = json_object_new_object();
	size_t i;

	if (s->h.mem_err) {
		json_object_put(mem);
		mem = NULL;
	} else {
		zo_json_add_u64(mem, "total_bytes", s->h.mem.mem_total);
		zo_json_add_u64(mem, "available_bytes", s->h.mem.mem_available);
		zo_json_add_u64(mem, "swap_total_bytes", s->h.mem.swap_total);
		zo_json_add_u64(mem, "swap_free_bytes", s->h.mem.swap_free);
	}
	json_object_object_add(o, "memory", mem);
	zo_json_add_str(o, "memory_error", s->h.mem_err ? zo_host_strerror(s->h.mem_err) : NULL);

	for (i = 0; i < s->h.n_swaps; i++) {
		json_object *e = json_object_new_object();

		zo_json_add_str(e, "filename", s->h.swaps[i].filename);
		zo_json_add_str(e, "type", s->h.swaps[i].type);
		zo_json_add_u64(e, "size_bytes", s->h.swaps[i].size);
		zo_json_add_u64(e, "used_bytes", s->h.swaps[i].used);
		zo_json_add_int(e, "priority", s->h.swaps[i].priority);
		json_object_array_add(swaps, e);
	}
	if (s->h.swaps_err) {
		json_object_put(swaps);
		swaps = NULL;
	}
	json_object_object_add(o, "swaps", swaps);
	zo_json_add_str(o, "swaps_error", s->h.swaps_err ? zo_host_strerror(s->h.swaps_err) : NULL);
	json_thin(o, s);

	for (i = 0; s->h.zswap_params && s->h.zswap_params[i]; i++)
		zo_json_add_str(zswap, s->h.zswap_params[i], zswap_value(s, i));
	if (s->h.zswap_params && s->h.zswap_params[0]) {
		json_object_object_add(o, "zswap", zswap);
	} else {
		json_object_put(zswap);
		zo_json_add_null(o, "zswap");
	}
}

static void print_json(struct zo_ctx *ctx, const struct status *s)
{
	json_object *o = json_object_new_object();
	json_object *virt = json_object_new_object();
	json_object *config = json_object_new_object();

	json_host(o, s);
	json_memory(o, s);
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

	zo_print_json("status", o);
}

static int cmd_status(struct zo_ctx *ctx, int argc, char **argv)
{
	struct status s = { 0 };
	int r;

	r = zo_json_options(ctx, &zo_cmd_status, NULL, argc, argv);
	if (r >= 0)
		return r;
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

static const struct zo_opt json_opt[] = { { "json", 0, NULL }, { NULL, 0, NULL } };

const struct zo_cmd zo_cmd_status = {
	.name = "status",
	.fn = cmd_status,
	.summary = "what this host is and what it is set to",
	.usage = "zsim-orch status [--json]\n"
		 "\n"
		 "Kernel release and whether it is a 0sim kernel, the KVM module and its EPT\n"
		 "setting, CPU address bits, memory and swap, active swap devices (and the\n"
		 "swap the kernel enabled on the thin volume when it is less than [thin]\n"
		 "virtual_size), zswap parameters, and whether the libvirt URI answers\n"
		 "(within 5 seconds). Reads only; --json for a machine-readable form.\n",
	.flags = ZO_CMD_NEED_CONFIG,
	.opts = json_opt,
};
