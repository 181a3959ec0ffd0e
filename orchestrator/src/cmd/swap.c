/* zsim-orch swap add|on|off|status: swap devices recorded by stable ID. */
#include <getopt.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/units.h"
#include "ops/storage.h"
#include "sys/swap.h"
#include "util/json.h"

#include "util/banned.h"

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
	struct zo_swap_add a = { 0 };
	long long prio;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hp:fL:", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			a.priority = optarg;
			break;
		case 'd':
			a.discard = true;
			break;
		case 'f':
			a.force = true;
			break;
		case 'L':
			a.label = optarg;
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
	if (a.priority && zo_int_parse(a.priority, -1, 32767, &prio) < 0)
		return zo_usage_error(ctx, &zo_cmd_swap, "--priority %s: use a whole number "
						   "from -1 to 32767", a.priority);
	if (a.label && strlen(a.label) > ZO_SWAP_LABEL_MAX)
		return zo_usage_error(ctx, &zo_cmd_swap, "--label %s: at most %d characters",
				      a.label, ZO_SWAP_LABEL_MAX);
	a.device = argv[optind];
	c = zo_cmd_parsed(ctx);
	if (c >= 0)
		return c;
	return zo_exit_code(ctx, zo_swap_add(ctx, &a));
}

/* swap on|off: no options, no arguments. */
static int recorded(struct zo_ctx *ctx, int argc, char **argv, const char *verb,
		    int (*op)(struct zo_ctx *ctx))
{
	int r = zo_no_options(ctx, &zo_cmd_swap, argc, argv);

	if (r >= 0)
		return r;
	if (argc > 1)
		return zo_usage_error(ctx, &zo_cmd_swap, "'swap %s' takes no arguments", verb);
	r = zo_cmd_parsed(ctx);
	if (r >= 0)
		return r;
	return zo_exit_code(ctx, op(ctx));
}

static int swap_on(struct zo_ctx *ctx, int argc, char **argv)
{
	return recorded(ctx, argc, argv, "on", zo_swap_on_recorded);
}

static int swap_off(struct zo_ctx *ctx, int argc, char **argv)
{
	return recorded(ctx, argc, argv, "off", zo_swap_off_recorded);
}

static json_object *device_json(const struct zo_swap_device *d)
{
	json_object *o = json_object_new_object();

	zo_json_add_str(o, "id", d->id);
	zo_json_add_str(o, "device", d->devnode);
	zo_json_add_bool(o, "active", d->active);
	if (d->devnode)
		zo_json_add_u64(o, "size_bytes", d->size);
	else
		zo_json_add_null(o, "size_bytes");
	if (d->active) {
		zo_json_add_u64(o, "used_bytes", d->used);
		zo_json_add_int(o, "priority", d->priority);
	} else {
		zo_json_add_null(o, "used_bytes");
		zo_json_add_null(o, "priority");
	}
	/* why it is missing */
	zo_json_add_str(o, "error", d->devnode ? NULL : strerror(-d->resolve_error));
	return o;
}

static void print_device(const struct zo_swap_device *d)
{
	char a[32], b[32];

	if (!d->devnode) {
		printf("%s: missing (%s)\n", d->id, strerror(-d->resolve_error));
		return;
	}
	zo_size_format_human(d->size, a, sizeof(a));
	if (d->active) {
		zo_size_format_human(d->used, b, sizeof(b));
		printf("%s: %s, %s, on, %s used, priority %d\n", d->id, d->devnode, a, b,
		       d->priority);
	} else {
		printf("%s: %s, %s, off\n", d->id, d->devnode, a);
	}
}

static int swap_status(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_swap_device *v = NULL;
	json_object *o, *arr;
	size_t n = 0, i;
	int c, r;

	c = zo_json_options(ctx, &zo_cmd_swap, "swap status", argc, argv);
	if (c >= 0)
		return c;
	if (optind < argc)
		return zo_usage_error(ctx, &zo_cmd_swap, "'swap status' takes no arguments");
	r = zo_swap_status(ctx, &v, &n);
	if (r < 0)
		return zo_exit_code(ctx, r);
	if (ctx->json) {
		arr = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(arr, device_json(&v[i]));
		o = json_object_new_object();
		json_object_object_add(o, "devices", arr);
		zo_print_json("swap.status", o);
	} else {
		if (!n)
			printf("no swap devices in %s\n", ctx->config_path);
		for (i = 0; i < n; i++)
			print_device(&v[i]);
	}
	zo_swap_devices_free(v, n);
	return ZO_EXIT_OK;
}

static const struct zo_opt json_opt[] = { { "json", 0, NULL }, { NULL, 0, NULL } };
static const struct zo_opt add_opts[] = {
	{ "priority", 'p', "N" }, { "discard", 0, NULL }, { "label", 'L', "L" }, { "force", 'f', NULL },
	{ NULL, 0, NULL },
};
static const struct zo_subcmd subs[] = {
	{ "add", swap_add, ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK, add_opts, "DEV" },
	{ "on", swap_on, ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK, NULL, NULL },
	{ "off", swap_off, ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK, NULL, NULL },
	{ "status", swap_status, 0, json_opt, NULL },
};

static int cmd_swap(struct zo_ctx *ctx, int argc, char **argv)
{
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
	.subs = subs,
	.n_subs = ZO_ARRAY_SIZE(subs),
};
