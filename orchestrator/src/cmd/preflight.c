/* zsim-orch preflight VMSIZE [CORES]: the troubleshooting list, checked
 * before anything boots. Also the first phase of `run`. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/preflight.h"
#include "core/procfs.h"
#include "core/thin.h"
#include "core/units.h"
#include "ops/storage.h"
#include "sys/sysfs.h"
#include "sys/virt.h"
#include "util/json.h"
#include "util/str.h"

#include "util/banned.h"

/* long enough for a libvirtd that has just started and probes QEMU on the
 * first connection; short enough to report a hung one */
#define LIBVIRT_TIMEOUT_MS 15000

struct gathered {
	struct zo_preflight_facts f;
	struct zo_virt_probe probe;
};

static unsigned count_cpus(const char *cpuinfo)
{
	unsigned n = 0;
	const char *p = cpuinfo;

	while (p && (p = strstr(p, "processor")) != NULL) {
		if (p == cpuinfo || p[-1] == '\n')
			n++;
		p += 9;
	}
	return n;
}

static void gather(struct zo_ctx *ctx, uint64_t vm_gb, unsigned cores, struct gathered *g)
{
	struct zo_preflight_facts *f = &g->f;
	_cleanup_free_ char *cpuinfo = NULL, *meminfo = NULL, *swaps = NULL, *ept = NULL;
	_cleanup_free_ char *param = NULL;
	struct zo_swap_entry *sw = NULL;
	struct zo_thin_pool_status st;
	struct zo_meminfo m = { 0 };
	char **knobs = NULL;
	uint64_t block = 0, low = 0;
	size_t n = 0, i;
	unsigned virt_bits;
	bool require = true;
	const char *thin_data = zo_config_get(ctx->config, "thin", "data");

	memset(g, 0, sizeof(*g));
	f->vm_gb = vm_gb;
	f->cores = cores;
	f->is_root = geteuid() == 0;
	f->zerosim_kernel = zo_sysfs_list(ctx->root, "/proc", "zerosim_", &knobs) > 0;
	zo_strv_free(knobs);
	zo_config_get_bool(ctx->config, "host", "require_0sim", &require);
	f->require_0sim = require;
	f->kvm_module = zo_config_get(ctx->config, "kvm", "module");
	param = zo_asprintf("/sys/module/%s/parameters/%s", f->kvm_module,
			    zo_config_get(ctx->config, "kvm", "param"));
	f->ept = -1;
	if (param && zo_sysfs_read_line(ctx->root, param, &ept) == 0)
		f->ept = !strcmp(ept, "Y") || !strcmp(ept, "1");
	if (zo_sysfs_read(ctx->root, "/proc/cpuinfo", &cpuinfo) == 0) {
		zo_parse_address_bits(cpuinfo, &f->phys_bits, &virt_bits);
		f->host_cpus = count_cpus(cpuinfo);
	}
	if (zo_sysfs_read(ctx->root, "/proc/meminfo", &meminfo) == 0 &&
	    zo_parse_meminfo(meminfo, &m) == 0)
		f->mem_total = m.mem_total;
	if (zo_sysfs_read(ctx->root, "/proc/swaps", &swaps) == 0 &&
	    zo_parse_swaps(swaps, &sw, &n) >= 0) {
		for (i = 0; i < n; i++)
			f->swap_total += sw[i].size;
		zo_swap_entries_free(sw, n);
	}
	if (thin_data && *thin_data)
		zo_config_get_size(ctx->config, "thin", "virtual_size", &f->thin_virtual);
	/* the pool is read from the running kernel, not the root prefix */
	if (thin_data && *thin_data && !*ctx->root && zo_thin_pool_read(ctx, &st, &block, &low) == 0) {
		f->thin_active = true;
		f->thin_data_used = st.data_used;
		f->thin_data_total = st.data_total;
		f->thin_low_water = low;
	}
	f->libvirt_uri = zo_config_get(ctx->config, "target", "uri");
	if (zo_virt_probe(f->libvirt_uri, LIBVIRT_TIMEOUT_MS, &g->probe, &ctx->log) == 0) {
		f->libvirt_answered = g->probe.answered;
		f->libvirt_error = g->probe.error;
		f->hypervisor = g->probe.hypervisor;
		f->hypervisor_version = g->probe.hypervisor_version;
	}
}

int zo_preflight_run(struct zo_ctx *ctx, uint64_t vm_gb, unsigned cores, bool print,
		     char **ret_failures)
{
	struct gathered g;
	struct zo_check *c = NULL;
	struct zo_strbuf fails = { 0 };
	size_t n = 0, i;
	int r, ret = ZO_EXIT_OK;

	gather(ctx, vm_gb, cores, &g);
	r = zo_preflight(&g.f, &c, &n);
	if (r < 0) {
		zo_virt_probe_release(&g.probe);
		return ZO_EXIT_FAILED;
	}
	if (print && ctx->json) {
		json_object *arr = json_object_new_array();

		for (i = 0; i < n; i++) {
			json_object *o = json_object_new_object();

			zo_json_add_str(o, "check", c[i].name);
			zo_json_add_str(o, "result", c[i].level == ZO_CHECK_FAIL ? "fail"
						     : c[i].level == ZO_CHECK_WARN ? "warn"
										   : "ok");
			zo_json_add_str(o, "measured", c[i].measured);
			zo_json_add_str(o, "fix", c[i].fix);
			json_object_array_add(arr, o);
		}
		zo_print_json(arr);
		json_object_put(arr);
	} else if (print) {
		printf("%-12s %-6s %s\n", "check", "result", "measured / fix");
	}
	for (i = 0; i < n; i++) {
		if (print && !ctx->json) {
			printf("%-12s %-6s %s\n", c[i].name, zo_check_level_name(c[i].level),
			       c[i].measured);
			if (c[i].fix)
				printf("%-12s %-6s -> %s\n", "", "", c[i].fix);
		}
		if (c[i].level == ZO_CHECK_FAIL) {
			ret = ZO_EXIT_REFUSED;
			zo_strbuf_appendf(&fails, "%s%s: %s (%s)", fails.len ? "; " : "", c[i].name,
					  c[i].measured, c[i].fix);
		}
	}
	if (ret_failures)
		*ret_failures = zo_strbuf_steal(&fails);
	else
		zo_strbuf_release(&fails);
	zo_checks_free(c, n);
	zo_virt_probe_release(&g.probe);
	return ret;
}

static int cmd_preflight(struct zo_ctx *ctx, int argc, char **argv)
{
	long long gb, cores = 1;
	int c, ret;

	c = zo_json_options(ctx, &zo_cmd_preflight, NULL, argc, argv);
	if (c >= 0)
		return c;
	if (argc - optind < 1 || argc - optind > 2)
		return zo_usage_error(ctx, &zo_cmd_preflight, "give VMSIZE (GB) and optionally CORES");
	if (zo_int_parse(argv[optind], 1, 1024LL * 1024, &gb) < 0)
		return zo_usage_error(ctx, &zo_cmd_preflight, "VMSIZE %s: use whole GB from 1 to 1048576",
				      argv[optind]);
	if (argc - optind == 2 && zo_int_parse(argv[optind + 1], 1, 4096, &cores) < 0)
		return zo_usage_error(ctx, &zo_cmd_preflight, "CORES %s: use 1 to 4096",
				      argv[optind + 1]);
	ret = zo_preflight_run(ctx, (uint64_t)gb, (unsigned)cores, true, NULL);
	if (ret == ZO_EXIT_REFUSED && !ctx->json)
		zo_error(ctx, "preflight failed: fix the checks marked FAIL above");
	return ret;
}

const struct zo_cmd zo_cmd_preflight = {
	.name = "preflight",
	.fn = cmd_preflight,
	.summary = "check this host can run a target of VMSIZE GB",
	.usage = "zsim-orch preflight [--json] VMSIZE [CORES]\n"
		 "\n"
		 "The checks 'run' makes before anything boots, as a table of ok, warn and\n"
		 "FAIL with what was measured and the fix: root; a 0sim kernel (or\n"
		 "[host] require_0sim = no); EPT on with a target at or above what the\n"
		 "CPU's physical address bits can map (QEMU would hang silently) or EPT off\n"
		 "above 1028 GB; the target larger than RAM plus swap or the thin volume;\n"
		 "the thin pool nearly full; the QEMU behind libvirt too old to pass host\n"
		 "physical address bits; more vCPUs than host CPUs. Exit 3 on any FAIL.\n",
	.flags = ZO_CMD_NEED_CONFIG,
};
