/* zsim-orch knobs show|set|apply: 0sim's knobs, TSC offsetting, zswap, THP
 * and KSM. Every value is checked before any is written. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "ops/knobs.h"
#include "sys/hostinfo.h"
#include "util/json.h"
#include "util/str.h"

#include "util/banned.h"

static int knobs_show(struct zo_ctx *ctx, int argc, char **argv)
{
	bool zerosim = zo_host_zerosim(ctx->root, NULL) > 0;
	json_object *o = NULL, *values = NULL;
	size_t i;
	int c;

	c = zo_json_options(ctx, &zo_cmd_knobs, "knobs show", argc, argv);
	if (c >= 0)
		return c;
	if (optind < argc)
		return zo_usage_error(ctx, &zo_cmd_knobs, "'knobs show' takes no arguments");
	if (ctx->json) {
		o = json_object_new_object();
		values = json_object_new_object();
		zo_json_add_bool(o, "zerosim_kernel", zerosim);
	} else {
		printf("0sim kernel: %s\n", zerosim ? "yes" : "no (no /proc/zerosim_* knobs)");
	}
	for (i = 0; i < zo_n_knobs; i++) {
		const struct zo_knob *k = &zo_knobs[i];
		_cleanup_free_ char *cur = NULL;
		int r = zo_host_knob(ctx->root, k, &cur);

		if (ctx->json)
			zo_json_add_str(values, k->name, cur);
		else if (cur)
			printf("%-24s %-10s %s\n", k->name, cur, k->path);
		else if (r != -ENOENT && r != -ENOMEM)
			printf("%-24s %-10s %s: %s\n", k->name, "unreadable", k->path,
			       zo_host_strerror(r));
		else
			printf("%-24s %-10s %s\n", k->name, "absent",
			       k->zerosim && !zerosim ? "(not a 0sim kernel)" : k->path);
	}
	if (ctx->json) {
		json_object_object_add(o, "knobs", values);
		zo_print_json("knobs.show", o);
	}
	return ZO_EXIT_OK;
}

/* A usage error from an operation gets the usage lines, as one from
 * parsing does. */
static int knobs_exit(struct zo_ctx *ctx, int r)
{
	if (r < 0 && ctx->fail_kind == ZO_FAIL_USAGE)
		return zo_usage_error(ctx, &zo_cmd_knobs, "%s", ctx->error);
	return zo_exit_code(ctx, r);
}

static int knobs_set(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_knob_sets sets;
	int i, r = 0;

	i = zo_no_options(ctx, &zo_cmd_knobs, argc, argv);
	if (i >= 0)
		return i;
	if (argc < 2)
		return zo_usage_error(ctx, &zo_cmd_knobs, "'knobs set' needs NAME=VALUE...");
	sets.n = 0;
	for (i = 1; i < argc && r == 0; i++) {
		_cleanup_free_ char *name = NULL;
		const char *eq = strchr(argv[i], '=');

		if (!eq || eq == argv[i]) {
			zo_knob_sets_release(&sets);
			return zo_usage_error(ctx, &zo_cmd_knobs, "'%s': use NAME=VALUE", argv[i]);
		}
		name = strndup(argv[i], (size_t)(eq - argv[i]));
		r = name ? zo_knobs_add(ctx, &sets, name, eq + 1) : -ENOMEM;
	}
	if (r == 0 && (i = zo_cmd_parsed(ctx)) >= 0) {
		zo_knob_sets_release(&sets);
		return i;
	}
	if (r == 0)
		r = zo_knobs_write(ctx, &sets);
	zo_knob_sets_release(&sets);
	return knobs_exit(ctx, r);
}

static int knobs_apply(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_knob_sets sets;
	int r;

	r = zo_no_options(ctx, &zo_cmd_knobs, argc, argv);
	if (r >= 0)
		return r;
	if (argc > 1)
		return zo_usage_error(ctx, &zo_cmd_knobs, "'knobs apply' takes no arguments");
	r = zo_cmd_parsed(ctx);
	if (r >= 0)
		return r;
	sets.n = 0;
	r = zo_knobs_add_profile(ctx, &sets);
	if (r == 0)
		r = zo_knobs_write(ctx, &sets);
	zo_knob_sets_release(&sets);
	return knobs_exit(ctx, r);
}

static const struct zo_opt json_opt[] = { { "json", 0, NULL }, { NULL, 0, NULL } };
static const struct zo_subcmd subs[] = {
	{ "apply", knobs_apply, ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK, NULL, NULL },
	{ "set", knobs_set, ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK, NULL, "NAME=VALUE..." },
	{ "show", knobs_show, 0, json_opt, NULL },
};

static int cmd_knobs(struct zo_ctx *ctx, int argc, char **argv)
{
	return zo_dispatch_sub(ctx, &zo_cmd_knobs, subs, ZO_ARRAY_SIZE(subs), argc, argv);
}

const struct zo_cmd zo_cmd_knobs = {
	.name = "knobs",
	.fn = cmd_knobs,
	.summary = "0sim knobs, TSC offsetting, zswap, THP, KSM, governor, printk",
	.usage = "zsim-orch knobs show [--json]\n"
		 "       zsim-orch knobs set NAME=VALUE...\n"
		 "       zsim-orch knobs apply\n"
		 "\n"
		 "show   every knob's value, or 'absent' (0sim's knobs exist only on a 0sim\n"
		 "       kernel)\n"
		 "set    check every NAME=VALUE, then write them; on a stock kernel a 0sim\n"
		 "       knob is refused (exit 3) and nothing is written; a value the kernel\n"
		 "       rejects is reported with its errno\n"
		 "apply  the profile in the config: [zswap] enabled, zpool,\n"
		 "       max_pool_percent and the [zerosim] values that are set; KSM off\n"
		 "\n"
		 "Knobs: zerosim_drift_threshold, zerosim_delay, zerosim_multicore_sync,\n"
		 "zerosim_skip_halt (on writes 3), zerosim_lapic_adjust,\n"
		 "zerosim_sync_guest_tsc, tsc_offsetting, zswap_enabled, zswap_zpool,\n"
		 "zswap_max_pool_percent, thp, thp_defrag, khugepaged_defrag,\n"
		 "khugepaged_alloc_sleep, khugepaged_scan_sleep, ksm, governor (every\n"
		 "CPU), printk (the console level).\n",
	.flags = ZO_CMD_NEED_CONFIG,
	.subs = subs,
	.n_subs = ZO_ARRAY_SIZE(subs),
};
