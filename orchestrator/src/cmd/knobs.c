/* zsim-orch knobs show|set|apply: 0sim's knobs, TSC offsetting, zswap, THP
 * and KSM. Every value is checked before any is written. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/knobs.h"
#include "sys/sysfs.h"
#include "util/json.h"
#include "util/str.h"

#include "util/banned.h"

#define MAX_SETS 32

struct knob_set {
	const struct zo_knob *knob;
	char *value;
};

static bool is_0sim(struct zo_ctx *ctx)
{
	return zo_sysfs_exists(ctx->root, "/proc/zerosim_delay") > 0 ||
	       zo_sysfs_exists(ctx->root, "/proc/zerosim_drift_threshold") > 0;
}

static int knobs_show(struct zo_ctx *ctx, int argc, char **argv)
{
	bool zerosim = is_0sim(ctx);
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
		_cleanup_free_ char *raw = NULL, *cur = NULL;
		int r = zo_sysfs_read_line(ctx->root, k->path, &raw);

		if (r == 0)
			cur = zo_knob_current(k, raw);
		if (ctx->json) {
			zo_json_add_str(values, k->name, cur);
			continue;
		}
		if (cur)
			printf("%-24s %-10s %s\n", k->name, cur, k->path);
		else
			printf("%-24s %-10s %s\n", k->name, "absent",
			       k->zerosim && !zerosim ? "(not a 0sim kernel)" : k->path);
	}
	if (ctx->json) {
		json_object_object_add(o, "knobs", values);
		zo_print_json(o);
		json_object_put(o);
	}
	return ZO_EXIT_OK;
}

/* Check every knob exists, then write them in order. */
static int write_all(struct zo_ctx *ctx, struct knob_set *sets, size_t n)
{
	bool zerosim = is_0sim(ctx);
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		const struct zo_knob *k = sets[i].knob;

		if (zo_sysfs_exists(ctx->root, k->path) > 0)
			continue;
		if (k->zerosim && !zerosim) {
			zo_error(ctx, "%s: not a 0sim kernel (no %s); nothing was changed", k->name,
				 k->path);
			return ZO_EXIT_REFUSED;
		}
		zo_error(ctx, "%s: %s does not exist on this kernel%s; nothing was changed",
			 k->name, k->path,
			 !strncmp(k->path, "/sys/module/kvm_intel", 21) ? " (kvm_intel not loaded)"
									: "");
		return ZO_EXIT_FAILED;
	}
	for (i = 0; i < n; i++) {
		_cleanup_free_ char *raw = NULL, *cur = NULL;

		if (zo_sysfs_read_line(ctx->root, sets[i].knob->path, &raw) == 0)
			cur = zo_knob_current(sets[i].knob, raw);
		if (cur && !strcmp(cur, sets[i].value)) {
			printf("%s = %s (unchanged)\n", sets[i].knob->name, cur);
			continue;
		}
		if (ctx->dry_run) {
			printf("would write %s to %s\n", sets[i].value, sets[i].knob->path);
			continue;
		}
		r = zo_sysfs_write(ctx->root, sets[i].knob->path, sets[i].value);
		if (r < 0) {
			zo_error(ctx, "%s=%s: the kernel refused it: %s%s", sets[i].knob->name,
				 sets[i].value, strerror(-r),
				 i ? " (the knobs before it were set)" : "");
			return ZO_EXIT_FAILED;
		}
		printf("%s = %s (was %s)\n", sets[i].knob->name, sets[i].value, cur ? cur : "?");
	}
	return ZO_EXIT_OK;
}

static void release_sets(struct knob_set *sets, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(sets[i].value);
}

static int add_set(struct zo_ctx *ctx, struct knob_set *sets, size_t *n, const char *name,
		   const char *value)
{
	const struct zo_knob *k = zo_knob_find(name);
	_cleanup_free_ char *why = NULL;
	const char *names[32];
	size_t i;

	if (!k) {
		const char *near;

		for (i = 0; i < zo_n_knobs && i < ZO_ARRAY_SIZE(names); i++)
			names[i] = zo_knobs[i].name;
		near = zo_closest(name, names, i);
		return zo_usage_error(ctx, &zo_cmd_knobs, "unknown knob '%s'%s%s%s; 'zsim-orch knobs show' "
						    "lists them",
				      name, near ? " (did you mean '" : "", near ? near : "",
				      near ? "'?)" : "");
	}
	if (*n >= MAX_SETS)
		return zo_usage_error(ctx, &zo_cmd_knobs, "at most %d knobs at once", MAX_SETS);
	if (zo_knob_normalize(k, value, &sets[*n].value, &why) < 0)
		return zo_usage_error(ctx, &zo_cmd_knobs, "%s", why ? why : "out of memory");
	sets[*n].knob = k;
	(*n)++;
	return ZO_EXIT_OK;
}

static int knobs_set(struct zo_ctx *ctx, int argc, char **argv)
{
	struct knob_set sets[MAX_SETS];
	size_t n = 0;
	int i, ret = ZO_EXIT_OK;

	i = zo_no_options(ctx, &zo_cmd_knobs, argc, argv);
	if (i >= 0)
		return i;
	if (argc < 2)
		return zo_usage_error(ctx, &zo_cmd_knobs, "'knobs set' needs NAME=VALUE...");
	memset(sets, 0, sizeof(sets));
	for (i = 1; i < argc && ret == ZO_EXIT_OK; i++) {
		_cleanup_free_ char *name = NULL;
		const char *eq = strchr(argv[i], '=');

		if (!eq || eq == argv[i]) {
			ret = zo_usage_error(ctx, &zo_cmd_knobs, "'%s': use NAME=VALUE", argv[i]);
			break;
		}
		name = strndup(argv[i], (size_t)(eq - argv[i]));
		ret = name ? add_set(ctx, sets, &n, name, eq + 1) : ZO_EXIT_FAILED;
	}
	if (ret == ZO_EXIT_OK)
		ret = write_all(ctx, sets, n);
	release_sets(sets, n);
	return ret;
}

static int knobs_apply(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct {
		const char *section, *key, *knob;
	} profile[] = {
		{ "zswap", "zpool", "zswap_zpool" },
		{ "zswap", "max_pool_percent", "zswap_max_pool_percent" },
		{ "zswap", "enabled", "zswap_enabled" },
		{ "zerosim", "drift_threshold", "zerosim_drift_threshold" },
		{ "zerosim", "delay", "zerosim_delay" },
		{ "zerosim", "multicore_sync", "zerosim_multicore_sync" },
		{ "zerosim", "lapic_adjust", "zerosim_lapic_adjust" },
	};
	struct knob_set sets[MAX_SETS];
	bool require = true, zerosim = is_0sim(ctx);
	size_t n = 0, i;
	int ret = ZO_EXIT_OK;

	i = (size_t)zo_no_options(ctx, &zo_cmd_knobs, argc, argv);
	if ((int)i >= 0)
		return (int)i;
	if (argc > 1)
		return zo_usage_error(ctx, &zo_cmd_knobs, "'knobs apply' takes no arguments");
	zo_config_get_bool(ctx->config, "host", "require_0sim", &require);
	memset(sets, 0, sizeof(sets));
	for (i = 0; i < ZO_ARRAY_SIZE(profile) && ret == ZO_EXIT_OK; i++) {
		const char *v = zo_config_get(ctx->config, profile[i].section, profile[i].key);

		if (!v || !*v)
			continue;
		if (!strcmp(profile[i].section, "zerosim") && !zerosim) {
			if (require) {
				zo_error(ctx, "[zerosim] %s is set but this is not a 0sim kernel; "
					      "boot the 0sim kernel or set [host] require_0sim = no; "
					      "nothing was changed",
					 profile[i].key);
				ret = ZO_EXIT_REFUSED;
				break;
			}
			zo_warn(&ctx->log, "[zerosim] %s skipped: not a 0sim kernel", profile[i].key);
			continue;
		}
		ret = add_set(ctx, sets, &n, profile[i].knob, v);
	}
	/* KSM merges the target's identical pages behind the simulation's back */
	if (ret == ZO_EXIT_OK && zo_sysfs_exists(ctx->root, "/sys/kernel/mm/ksm/run") > 0)
		ret = add_set(ctx, sets, &n, "ksm", "0");
	if (ret == ZO_EXIT_OK)
		ret = write_all(ctx, sets, n);
	release_sets(sets, n);
	return ret;
}

static int cmd_knobs(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct zo_subcmd subs[] = {
		{ "apply", knobs_apply, ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK },
		{ "set", knobs_set, ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK },
		{ "show", knobs_show, 0 },
	};

	return zo_dispatch_sub(ctx, &zo_cmd_knobs, subs, ZO_ARRAY_SIZE(subs), argc, argv);
}

const struct zo_cmd zo_cmd_knobs = {
	.name = "knobs",
	.fn = cmd_knobs,
	.summary = "0sim knobs, TSC offsetting, zswap, THP and KSM",
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
		 "zerosim_skip_halt, zerosim_lapic_adjust, zerosim_sync_guest_tsc,\n"
		 "tsc_offsetting, zswap_enabled, zswap_zpool, zswap_max_pool_percent, thp,\n"
		 "ksm.\n",
	.flags = ZO_CMD_NEED_CONFIG,
};
