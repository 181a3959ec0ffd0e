/* zsim-orch swap add|on|off|status: swap devices recorded by stable ID. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "ops/record.h"
#include "core/procfs.h"
#include "core/units.h"
#include "sys/blockdev.h"
#include "sys/swap.h"
#include "sys/sysfs.h"
#include "util/json.h"
#include "util/str.h"

#include "util/banned.h"

/* An exit code for a failed resolve, after saying what went wrong. */
static int resolve_error(struct zo_ctx *ctx, const char *spec, int r)
{
	if (r == -ENOENT)
		zo_error(ctx, "no block device matches %s; list disks with 'lsblk -o "
			      "NAME,SIZE,SERIAL,UUID,PARTUUID'", spec);
	else if (r == -ENOTBLK)
		zo_error(ctx, "%s is not a block device", spec);
	else if (r == -EINVAL)
		zo_error(ctx, "%s is not a device name; use /dev/sdX, /dev/disk/by-id/..., "
			      "UUID=, PARTUUID=, LABEL=, PARTLABEL= or SERIAL=", spec);
	else
		zo_error(ctx, "cannot use %s: %s", spec, strerror(-r));
	return r == -EINVAL ? ZO_EXIT_USAGE : ZO_EXIT_FAILED;
}

static bool list_has(char **list, const char *item)
{
	size_t i;

	for (i = 0; list && list[i]; i++)
		if (!strcmp(list[i], item))
			return true;
	return false;
}



/* Turn one resolved swap device on with the configured options. */
static int activate(struct zo_ctx *ctx, const struct zo_blockdev *d, bool *ret_changed)
{
	long long prio = -1;
	bool discard = false;
	int r;

	*ret_changed = false;
	r = zo_swap_is_active(ctx->root, d->devnode);
	if (r > 0)
		return 0;
	zo_config_get_int(ctx->config, "host", "swap_priority", &prio);
	zo_config_get_bool(ctx->config, "host", "swap_discard", &discard);
	if (ctx->dry_run) {
		printf("would swapon %s (priority %lld%s)\n", d->devnode, prio,
		       discard ? ", discard" : "");
		return 0;
	}
	r = zo_swap_on(d->devnode, (int)prio, discard);
	if (r == 0)
		*ret_changed = true;
	return r;
}

static int swap_add(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "priority", required_argument, NULL, 'p' },
		{ "discard", no_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ "label", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct zo_blockdev d = { 0 };
	struct zo_device_facts facts = { 0 };
	_cleanup_free_ char *msg = NULL, *type = NULL, *uuid = NULL, *id = NULL;
	const char *label = NULL, *priority = NULL;
	enum zo_safety verdict;
	bool force = false, discard = false, changed;
	char new_uuid[37], size[32];
	long long prio = -1;
	int c, r, ret = ZO_EXIT_FAILED;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hp:fL:", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			priority = optarg;
			break;
		case 'd':
			discard = true;
			break;
		case 'f':
			force = true;
			break;
		case 'L':
			label = optarg;
			break;
		case 'h':
			zo_cmd_print_usage(&zo_cmd_swap, stdout);
			return ZO_EXIT_OK;
		default:
			return zo_usage_error(ctx, &zo_cmd_swap, "unknown option '%s' for 'swap add'",
					      argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return zo_usage_error(ctx, &zo_cmd_swap, "'swap add' takes exactly one device");
	if (priority && zo_int_parse(priority, -1, 32767, &prio) < 0)
		return zo_usage_error(ctx, &zo_cmd_swap, "--priority %s: use a whole number "
						   "from -1 to 32767", priority);
	if (label && strlen(label) > ZO_SWAP_LABEL_MAX)
		return zo_usage_error(ctx, &zo_cmd_swap, "--label %s: at most %d characters",
				      label, ZO_SWAP_LABEL_MAX);

	r = zo_blockdev_resolve(ctx->root, argv[optind], &d);
	if (r < 0)
		return resolve_error(ctx, argv[optind], r);

	/* Idempotent: a device that already carries the swap header we
	 * recorded is only turned on. */
	if (zo_blockdev_probe_tag(&d, "TYPE", &type) == 0 && !strcmp(type, "swap") &&
	    zo_blockdev_probe_tag(&d, "UUID", &uuid) == 0) {
		char **list = NULL;
		_cleanup_free_ char *tag = zo_asprintf("UUID=%s", uuid);

		if (tag && zo_config_get_list(ctx->config, "host", "swap", &list) >= 0 &&
		    list_has(list, tag)) {
			zo_strv_free(list);
			r = activate(ctx, &d, &changed);
			if (r < 0) {
				zo_error(ctx, "cannot turn on swap on %s: %s", d.devnode, strerror(-r));
				goto out;
			}
			printf("%s: already zsim swap (%s), %s\n", d.devnode, tag,
			       changed ? "turned on" : "on");
			ret = ZO_EXIT_OK;
			goto out;
		}
		zo_strv_free(list);
	}

	r = zo_blockdev_facts(ctx->root, &d, &facts);
	if (r < 0) {
		zo_error(ctx, "cannot inspect %s: %s", d.devnode, strerror(-r));
		goto out;
	}
	r = zo_safety_check(&facts, "swap", force, &verdict, &msg);
	if (r < 0)
		goto out;
	if (verdict == ZO_REFUSED || verdict == ZO_REFUSED_ALWAYS) {
		zo_error(ctx, "%s", msg);
		ret = ZO_EXIT_REFUSED;
		goto out;
	}
	zo_size_format_human(d.size, size, sizeof(size));
	if (ctx->dry_run) {
		if (msg)
			printf("would wipe: %s\n", msg);
		printf("would write a swap header on %s (%s)\n", d.devnode, size);
		printf("would swapon %s (priority %lld%s)\n", d.devnode, prio,
		       discard ? ", discard" : "");
		printf("would record in %s: [host] swap += UUID=<new>\n", ctx->config_path);
		ret = ZO_EXIT_OK;
		goto out;
	}
	if (verdict == ZO_SAFE_FORCED) {
		zo_warn(&ctx->log, "%s", msg);
		r = zo_blockdev_wipe(&d, &ctx->log);
		if (r < 0) {
			zo_error(ctx, "cannot erase the old signatures on %s: %s", d.devnode,
				 strerror(-r));
			goto out;
		}
	}
	r = zo_swap_write_header(d.devnode, d.size, label, new_uuid);
	if (r < 0) {
		zo_error(ctx, "cannot write a swap header on %s: %s", d.devnode,
			 r == -ENOSPC ? "the device is smaller than 10 pages" : strerror(-r));
		goto out;
	}
	/* Check with libblkid what a later boot will find. */
	free(type);
	free(uuid);
	type = uuid = NULL;
	if (zo_blockdev_probe_tag(&d, "TYPE", &type) < 0 || strcmp(type, "swap") ||
	    zo_blockdev_probe_tag(&d, "UUID", &uuid) < 0 || strcmp(uuid, new_uuid)) {
		zo_error(ctx, "the swap header on %s does not read back (found %s, UUID %s)",
			 d.devnode, type ? type : "nothing", uuid ? uuid : "none");
		goto out;
	}
	if (priority) {
		r = zo_config_record(ctx, "host", "swap_priority", priority);
		if (r < 0)
			goto record_failed;
	}
	if (discard) {
		r = zo_config_record(ctx, "host", "swap_discard", "yes");
		if (r < 0)
			goto record_failed;
	}
	r = activate(ctx, &d, &changed);
	if (r < 0) {
		zo_error(ctx, "wrote the swap header on %s but swapon failed: %s", d.devnode,
			 strerror(-r));
		goto out;
	}
	r = zo_blockdev_stable_id(ctx->root, &d, true, &id);
	if (r == 0)
		r = zo_swap_record(ctx, id);
	if (r < 0)
		goto record_failed;
	printf("%s: swap %s, %s, recorded as %s\n", d.devnode, size,
	       changed ? "on" : "already on", id);
	ret = ZO_EXIT_OK;
	goto out;
record_failed:
	zo_error(ctx, "cannot record the swap device in %s: %s", ctx->config_path,
		 strerror(-r));
out:
	zo_device_facts_release(&facts);
	zo_blockdev_release(&d);
	return ret;
}

/* Resolve every configured swap ID; `fn` acts on each. */
static int for_each_swap(struct zo_ctx *ctx, int argc, char **argv, const char *verb,
			 int (*fn)(struct zo_ctx *ctx, const char *id,
				   const struct zo_blockdev *d))
{
	char **list = NULL;
	int r, ret = ZO_EXIT_OK;
	size_t i;

	r = zo_no_options(ctx, &zo_cmd_swap, argc, argv);
	if (r >= 0)
		return r;
	if (argc > 1)
		return zo_usage_error(ctx, &zo_cmd_swap, "'swap %s' takes no arguments", verb);
	r = zo_config_get_list(ctx->config, "host", "swap", &list);
	if (r < 0)
		return ZO_EXIT_FAILED;
	if (!list[0])
		printf("no swap devices in %s; add one with 'zsim-orch swap add DEV'\n",
		       ctx->config_path);
	for (i = 0; list[i]; i++) {
		struct zo_blockdev d = { 0 };

		r = zo_blockdev_resolve(ctx->root, list[i], &d);
		if (r < 0) {
			zo_error(ctx, "%s: %s", list[i],
				 r == -ENOENT ? "no device has this ID now (disk missing, or "
						"overwritten?)"
					      : strerror(-r));
			ret = ZO_EXIT_FAILED;
			continue;
		}
		if (fn(ctx, list[i], &d) < 0)
			ret = ZO_EXIT_FAILED;
		zo_blockdev_release(&d);
	}
	zo_strv_free(list);
	return ret;
}

static int on_one(struct zo_ctx *ctx, const char *id, const struct zo_blockdev *d)
{
	_cleanup_free_ char *type = NULL;
	bool changed;
	int r;

	if (zo_blockdev_probe_tag(d, "TYPE", &type) < 0 || strcmp(type, "swap")) {
		zo_error(ctx, "%s (%s) holds %s, not swap; refusing to swapon it", id,
			 d->devnode, type ? type : "no signature");
		return -EINVAL;
	}
	r = activate(ctx, d, &changed);
	if (r < 0) {
		zo_error(ctx, "%s (%s): swapon failed: %s", id, d->devnode, strerror(-r));
		return r;
	}
	if (!ctx->dry_run)
		printf("%s (%s): %s\n", id, d->devnode, changed ? "on" : "already on");
	return 0;
}

static int off_one(struct zo_ctx *ctx, const char *id, const struct zo_blockdev *d)
{
	int r = zo_swap_is_active(ctx->root, d->devnode);

	if (r <= 0) {
		printf("%s (%s): already off\n", id, d->devnode);
		return r;
	}
	if (ctx->dry_run) {
		printf("would swapoff %s\n", d->devnode);
		return 0;
	}
	zo_info(&ctx->log, "swapoff %s (moving its pages back to RAM may take a while)",
		d->devnode);
	r = zo_swap_off(d->devnode);
	if (r < 0) {
		zo_error(ctx, "%s (%s): swapoff failed: %s%s", id, d->devnode, strerror(-r),
			 r == -ENOMEM ? "; not enough free RAM to take its pages back" : "");
		return r;
	}
	printf("%s (%s): off\n", id, d->devnode);
	return 0;
}

static int swap_on(struct zo_ctx *ctx, int argc, char **argv)
{
	return for_each_swap(ctx, argc, argv, "on", on_one);
}

static int swap_off(struct zo_ctx *ctx, int argc, char **argv)
{
	return for_each_swap(ctx, argc, argv, "off", off_one);
}

static int swap_status(struct zo_ctx *ctx, int argc, char **argv)
{
	_cleanup_free_ char *text = NULL;
	struct zo_swap_entry *active = NULL;
	size_t n_active = 0, i, j;
	char **list = NULL;
	json_object *arr = NULL;
	int c, r;

	c = zo_json_options(ctx, &zo_cmd_swap, "swap status", argc, argv);
	if (c >= 0)
		return c;
	if (optind < argc)
		return zo_usage_error(ctx, &zo_cmd_swap, "'swap status' takes no arguments");
	r = zo_sysfs_read(ctx->root, "/proc/swaps", &text);
	if (r == 0)
		r = zo_parse_swaps(text, &active, &n_active);
	if (r < 0) {
		zo_error(ctx, "cannot read /proc/swaps: %s", strerror(-r));
		return ZO_EXIT_FAILED;
	}
	if (zo_config_get_list(ctx->config, "host", "swap", &list) < 0) {
		zo_swap_entries_free(active, n_active);
		return ZO_EXIT_FAILED;
	}
	if (ctx->json)
		arr = json_object_new_array();
	else if (!list[0])
		printf("no swap devices in %s\n", ctx->config_path);
	for (i = 0; list[i]; i++) {
		struct zo_blockdev d = { 0 };
		const struct zo_swap_entry *e = NULL;
		char a[32], b[32];

		r = zo_blockdev_resolve(ctx->root, list[i], &d);
		if (r == 0) {
			for (j = 0; j < n_active && !e; j++) {
				struct zo_blockdev sd = { 0 };

				if (zo_blockdev_resolve(ctx->root, active[j].filename, &sd) == 0 &&
				    sd.devno == d.devno)
					e = &active[j];
				zo_blockdev_release(&sd);
			}
		}
		if (arr) {
			json_object *o = json_object_new_object();

			zo_json_add_str(o, "id", list[i]);
			zo_json_add_str(o, "device", r == 0 ? d.devnode : NULL);
			zo_json_add_bool(o, "active", e != NULL);
			if (r == 0)
				zo_json_add_u64(o, "size_bytes", d.size);
			if (e) {
				zo_json_add_u64(o, "used_bytes", e->used);
				zo_json_add_int(o, "priority", e->priority);
			}
			json_object_array_add(arr, o);
		} else if (r < 0) {
			printf("%s: missing (%s)\n", list[i], strerror(-r));
		} else {
			zo_size_format_human(d.size, a, sizeof(a));
			if (e) {
				zo_size_format_human(e->used, b, sizeof(b));
				printf("%s: %s, %s, on, %s used, priority %d\n", list[i],
				       d.devnode, a, b, e->priority);
			} else
				printf("%s: %s, %s, off\n", list[i], d.devnode, a);
		}
		zo_blockdev_release(&d);
	}
	if (arr) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "devices", arr);
		zo_print_json(o);
		json_object_put(o);
	}
	zo_strv_free(list);
	zo_swap_entries_free(active, n_active);
	return ZO_EXIT_OK;
}

int cmd_swap(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct zo_subcmd subs[] = {
		{ "add", swap_add, ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK },
		{ "on", swap_on, ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK },
		{ "off", swap_off, ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK },
		{ "status", swap_status, 0 },
	};

	return zo_dispatch_sub(ctx, &zo_cmd_swap, subs, ZO_ARRAY_SIZE(subs), argc, argv);
}

const struct zo_cmd zo_cmd_swap = {
	.name = "swap",
	.fn = cmd_swap,
	.summary = "swap devices by stable ID",
	.usage = "zsim-orch swap add [--priority N] [--discard] [--label L] [--force] DEV\n"
		 "       zsim-orch swap on|off\n"
		 "       zsim-orch swap status [--json]\n"
		 "\n"
		 "add     write a swap header on DEV (/dev/sdX, /dev/disk/by-id/..., UUID=,\n"
		 "        PARTUUID=, LABEL=, PARTLABEL= or SERIAL=), check it with libblkid,\n"
		 "        turn it on and record its UUID in [host] swap. Refuses (exit 3) a\n"
		 "        device that holds a partition table or a filesystem unless --force;\n"
		 "        a device that is mounted, in use or backs / always. Running it\n"
		 "        again on the same device only turns it on.\n"
		 "on      turn on every device in [host] swap (at boot, after thin activate)\n"
		 "off     turn them off\n"
		 "status  each recorded device: where it is now, size, on or off, usage\n",
	.flags = ZO_CMD_NEED_CONFIG,
};
