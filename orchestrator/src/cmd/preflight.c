/* zsim-orch preflight VMSIZE [CORES]: the troubleshooting list, checked
 * before anything boots. Also the first phase of `run`. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "core/units.h"
#include "core/preflight.h"
#include "ops/preflight.h"
#include "util/json.h"
#include "util/str.h"

#include "util/banned.h"

static int print_json(const struct zo_preflight_report *rep, long long gb, long long cores)
{
	json_object *o = json_object_new_object();
	json_object *checks = zo_checks_json(rep->checks, rep->n);

	if (!o || !checks) {
		json_object_put(o);
		json_object_put(checks);
		return -ENOMEM;
	}
	zo_json_add_u64(o, "vm_size_bytes", (uint64_t)gb << 30);
	zo_json_add_int(o, "cores", cores);
	zo_json_add_bool(o, "failed", zo_preflight_failed(rep));
	json_object_object_add(o, "checks", checks);
	return zo_print_json("preflight", o);
}

static int cmd_preflight(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_preflight_report rep;
	long long gb, cores = 1;
	int c, r;

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
	r = zo_preflight_check(ctx, (uint64_t)gb, (unsigned)cores, &rep);
	if (r < 0)
		return zo_exit_code(ctx, r);
	if ((ctx->json ? print_json(&rep, gb, cores) : zo_preflight_show(ctx, &rep)) < 0) {
		zo_preflight_report_release(&rep);
		return zo_exit_code(ctx, -ENOMEM);
	}
	r = zo_preflight_failed(&rep) ? ZO_EXIT_REFUSED : ZO_EXIT_OK;
	zo_preflight_report_release(&rep);
	if (r == ZO_EXIT_REFUSED && !ctx->json)
		zo_error(ctx, "preflight failed: fix the checks marked FAIL above");
	return r;
}

static const struct zo_opt json_opt[] = { { "json", 0, NULL }, { NULL, 0, NULL } };

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
		 "above 1028 GB; the target larger than RAM plus the swap the kernel\n"
		 "enabled (a warning when it enabled less on the thin volume than [thin]\n"
		 "virtual_size); the thin pool nearly full; the QEMU behind libvirt too old\n"
		 "to pass host physical address bits; more vCPUs than host CPUs. A fact\n"
		 "that cannot be read is a warning saying so. Exit 3 on any FAIL.\n",
	.flags = ZO_CMD_NEED_CONFIG,
	.opts = json_opt,
	.args = "VMSIZE [CORES]",
};
