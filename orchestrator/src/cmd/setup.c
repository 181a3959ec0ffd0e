/* zsim-orch setup: the host part of the old setup routine, composed from
 * swap add, thin create and swap on. Every device is checked before any is
 * touched, and running it again changes nothing. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/thin.h"
#include "sys/blockdev.h"
#include "util/str.h"

#include "util/banned.h"

#define MAX_SWAP_DEVICES 64

struct planned {
	const char *spec;
	const char *purpose;
	struct zo_blockdev dev;
};

/* True when `d` is already what setup would make of it: a swap header
 * whose UUID is recorded, or the recorded thin pool's data device. */
static bool already_ours(struct zo_ctx *ctx, const struct planned *p, bool thin)
{
	_cleanup_free_ char *type = NULL, *uuid = NULL, *tag = NULL;
	const char *data = zo_config_get(ctx->config, "thin", "data");
	struct zo_blockdev recorded = { 0 };
	char **list = NULL;
	bool ours = false;
	size_t i;

	if (thin) {
		if (!data || !*data || zo_blockdev_resolve(ctx->root, data, &recorded) < 0)
			return false;
		ours = recorded.devno == p->dev.devno;
		zo_blockdev_release(&recorded);
		return ours;
	}
	if (zo_blockdev_probe_tag(&p->dev, "TYPE", &type) < 0 || strcmp(type, "swap") ||
	    zo_blockdev_probe_tag(&p->dev, "UUID", &uuid) < 0)
		return false;
	tag = zo_asprintf("UUID=%s", uuid);
	if (!tag || zo_config_get_list(ctx->config, "host", "swap", &list) < 0)
		return false;
	for (i = 0; list[i]; i++)
		if (!strcmp(list[i], tag))
			ours = true;
	zo_strv_free(list);
	return ours;
}

/* Resolve and safety-check every device; nothing is written. */
static int check_all(struct zo_ctx *ctx, struct planned *plan, size_t n, bool force)
{
	size_t i, j;
	int r;

	for (i = 0; i < n; i++) {
		struct zo_device_facts facts = { 0 };
		_cleanup_free_ char *msg = NULL;
		enum zo_safety verdict;
		bool thin = i == n - 1 && !strcmp(plan[i].purpose, "the thin pool's data");

		r = zo_blockdev_resolve(ctx->root, plan[i].spec, &plan[i].dev);
		if (r < 0) {
			zo_error(ctx, "%s: %s; nothing was changed", plan[i].spec,
				 r == -ENOENT    ? "no such device"
				 : r == -ENOTBLK ? "not a block device"
				 : r == -EINVAL	 ? "not a device name"
						 : strerror(-r));
			return r == -EINVAL ? ZO_EXIT_USAGE : ZO_EXIT_FAILED;
		}
		for (j = 0; j < i; j++)
			if (plan[j].dev.devno == plan[i].dev.devno) {
				zo_error(ctx, "%s and %s are the same device; nothing was changed",
					 plan[j].spec, plan[i].spec);
				return ZO_EXIT_USAGE;
			}
		if (already_ours(ctx, &plan[i], thin))
			continue;
		r = zo_blockdev_facts(ctx->root, &plan[i].dev, &facts);
		if (r < 0) {
			zo_error(ctx, "cannot inspect %s: %s", plan[i].dev.devnode, strerror(-r));
			return ZO_EXIT_FAILED;
		}
		r = zo_safety_check(&facts, plan[i].purpose, force, &verdict, &msg);
		zo_device_facts_release(&facts);
		if (r < 0)
			return ZO_EXIT_FAILED;
		if (verdict == ZO_REFUSED || verdict == ZO_REFUSED_ALWAYS) {
			zo_error(ctx, "%s; nothing was changed", msg);
			return ZO_EXIT_REFUSED;
		}
	}
	return ZO_EXIT_OK;
}

static int cmd_setup(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "swap", required_argument, NULL, 's' },
		{ "mapper-device", required_argument, NULL, 'm' },
		{ "force", no_argument, NULL, 'f' },
		{ "unstable-device-names", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct planned plan[MAX_SWAP_DEVICES + 1];
	const char *mapper = NULL;
	bool force = false;
	size_t n = 0, i;
	int c, ret;

	memset(plan, 0, sizeof(plan));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hf", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (n == MAX_SWAP_DEVICES)
				return zo_usage_error(ctx, &zo_cmd_setup, "at most %d --swap devices",
						      MAX_SWAP_DEVICES);
			plan[n].spec = optarg;
			plan[n++].purpose = "swap";
			break;
		case 'm':
			if (mapper)
				return zo_usage_error(ctx, &zo_cmd_setup, "--mapper-device given twice");
			mapper = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'u':
			zo_info(&ctx->log, "--unstable-device-names: devices are always recorded "
					   "by stable ID now; the option changes nothing");
			break;
		case 'h':
			zo_cmd_print_usage(&zo_cmd_setup, stdout);
			return ZO_EXIT_OK;
		default:
			return zo_usage_error(ctx, &zo_cmd_setup, "unknown option '%s' for 'setup'",
					      argv[optind - 1]);
		}
	}
	/* More devices after --swap DEV: "--swap /dev/sdb /dev/sdc" as the
	 * old setup script took them. */
	for (; optind < argc; optind++) {
		if (!n)
			return zo_usage_error(ctx, &zo_cmd_setup, "unexpected argument '%s'",
					      argv[optind]);
		if (n == MAX_SWAP_DEVICES)
			return zo_usage_error(ctx, &zo_cmd_setup, "at most %d --swap devices",
					      MAX_SWAP_DEVICES);
		plan[n].spec = argv[optind];
		plan[n++].purpose = "swap";
	}
	if (mapper) {
		plan[n].spec = mapper;
		plan[n++].purpose = "the thin pool's data";
	}
	if (!n)
		return zo_usage_error(ctx, &zo_cmd_setup, "nothing to set up: give --swap DEV... "
						    "and/or --mapper-device DEV");

	ret = check_all(ctx, plan, n, force);
	for (i = 0; ret == ZO_EXIT_OK && i < n; i++) {
		char *args[5];
		int k = 0;

		if (mapper && i == n - 1) {
			args[k++] = (char *)"thin";
			args[k++] = (char *)"create";
		} else {
			args[k++] = (char *)"swap";
			args[k++] = (char *)"add";
		}
		if (force)
			args[k++] = (char *)"--force";
		args[k++] = (char *)plan[i].spec;
		args[k] = NULL;
		ret = !strcmp(args[0], "thin") ? cmd_thin(ctx, k, args) : cmd_swap(ctx, k, args);
	}
	/* After a reboot the pool comes back without its swap turned on. */
	if (ret == ZO_EXIT_OK && !ctx->dry_run) {
		char *on[] = { (char *)"swap", (char *)"on", NULL };

		ret = cmd_swap(ctx, 2, on);
	}
	for (i = 0; i < n; i++)
		zo_blockdev_release(&plan[i].dev);
	return ret;
}

const struct zo_cmd zo_cmd_setup = {
	.name = "setup",
	.fn = cmd_setup,
	.summary = "set up this host's swap and thin pool, by stable ID",
	.usage = "zsim-orch setup [--swap DEV...] [--mapper-device DEV] [--force]\n"
		 "                [--unstable-device-names]\n"
		 "\n"
		 "The host part of the old setup script: 'swap add' for each --swap device\n"
		 "(several may follow one --swap), 'thin create' on the --mapper-device,\n"
		 "then 'swap on'. Every device is resolved and safety-checked before any is\n"
		 "written, so a refused device (exit 3) leaves the others untouched too.\n"
		 "Devices are recorded by stable ID in the config; running setup again\n"
		 "(after a reboot, say) only activates what is recorded. --force overwrites\n"
		 "signatures, never a mounted or in-use device. --unstable-device-names is\n"
		 "accepted for old scripts and changes nothing. --dry-run prints the plan.\n",
	.flags = ZO_CMD_NEED_CONFIG | ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK,
};
