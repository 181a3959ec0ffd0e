/* zsim-orch thin create|activate|status|remove: a dm-thin pool over one data
 * device with a large thin volume on it, used as swap. */
#include <getopt.h>

#include "cmd/cmd.h"
#include "core/devspec.h"
#include "core/units.h"
#include "ops/storage.h"
#include "util/json.h"

#include "util/banned.h"

static int size_option(struct zo_ctx *ctx, const char *opt, const char *arg, uint64_t *ret)
{
	if (arg && zo_size_parse(arg, ret) < 0)
		return zo_usage_error(ctx, &zo_cmd_thin, "%s %s: use %s", opt, arg, ZO_SIZE_FORM);
	return ZO_EXIT_OK;
}

/* Options over the [thin] defaults; an exit code, or -1 to go on. */
static int create_options(struct zo_ctx *ctx, int argc, char **argv, struct zo_thin_create *c)
{
	static const struct option opts[] = {
		{ "virtual-size", required_argument, NULL, 'V' },
		{ "metadata", required_argument, NULL, 'm' },
		{ "block-size", required_argument, NULL, 'b' },
		{ "low-water", required_argument, NULL, 'l' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "hf", opts, NULL)) != -1) {
		switch (ch) {
		case 'V':
			c->virtual_opt = optarg;
			break;
		case 'm':
			c->metadata = optarg;
			break;
		case 'b':
			c->block_opt = optarg;
			break;
		case 'l':
			c->low_opt = optarg;
			break;
		case 'f':
			c->force = true;
			break;
		case 'h':
			zo_cmd_print_usage(&zo_cmd_thin, stdout);
			return ZO_EXIT_OK;
		default:
			return zo_usage_error(ctx, &zo_cmd_thin, "unknown option '%s' for 'thin create'",
					      argv[optind - 1]);
		}
	}
	return -1;
}

static int thin_create(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_thin_create c;
	int r;

	zo_thin_create_defaults(ctx, NULL, &c);
	r = create_options(ctx, argc, argv, &c);
	if (r >= 0)
		return r;
	if (argc - optind != 1)
		return zo_usage_error(ctx, &zo_cmd_thin, "'thin create' takes exactly one data device");
	c.data = argv[optind];
	if ((r = size_option(ctx, "--virtual-size", c.virtual_opt, &c.virtual_bytes)) ||
	    (r = size_option(ctx, "--block-size", c.block_opt, &c.block_bytes)) ||
	    (r = size_option(ctx, "--low-water", c.low_opt, &c.low_water_bytes)))
		return r;
	if (c.virtual_bytes == 0)
		return zo_usage_error(ctx, &zo_cmd_thin, "--virtual-size 0: the thin volume needs a "
						   "size, e.g. 10T");
	if (c.metadata && zo_devspec_classify(c.metadata) == ZO_DEVSPEC_INVALID)
		return zo_usage_error(ctx, &zo_cmd_thin, "--metadata %s: use an absolute file path "
						   "or a device", c.metadata);
	r = zo_cmd_parsed(ctx);
	if (r >= 0)
		return r;
	return zo_exit_code(ctx, zo_thin_create(ctx, &c));
}

static int thin_activate(struct zo_ctx *ctx, int argc, char **argv)
{
	int r = zo_no_options(ctx, &zo_cmd_thin, argc, argv);

	if (r >= 0)
		return r;
	if (argc > 1)
		return zo_usage_error(ctx, &zo_cmd_thin, "'thin activate' takes no arguments");
	r = zo_cmd_parsed(ctx);
	if (r >= 0)
		return r;
	return zo_exit_code(ctx, zo_thin_activate(ctx));
}

static unsigned long long percent(uint64_t part, uint64_t whole)
{
	return whole ? (unsigned long long)(part * 100 / whole) : 0ULL;
}

static int print_status_json(const struct zo_thin_state *t, const char *data)
{
	static const char *const pool_keys[] = {
		"mode", "block_bytes", "data_used_blocks", "data_total_blocks", "metadata_used_blocks",
		"metadata_total_blocks", "low_water_blocks", "nearly_full",
	};
	json_object *o = json_object_new_object(), *j;
	size_t i;

	zo_json_add_str(o, "data_device", data && *data ? data : NULL);
	j = json_object_new_object();
	zo_json_add_str(j, "name", ZO_THIN_POOL_NAME);
	zo_json_add_bool(j, "active", t->pool_active);
	for (i = 0; i < ZO_ARRAY_SIZE(pool_keys); i++)
		if (!t->pool_active)
			zo_json_add_null(j, pool_keys[i]);
	if (t->pool_active) {
		zo_json_add_str(j, "mode", t->pool.failed ? "failed" : t->pool.mode);
		zo_json_add_u64(j, "block_bytes", t->block_sectors * 512);
		zo_json_add_u64(j, "data_used_blocks", t->pool.data_used);
		zo_json_add_u64(j, "data_total_blocks", t->pool.data_total);
		zo_json_add_u64(j, "metadata_used_blocks", t->pool.metadata_used);
		zo_json_add_u64(j, "metadata_total_blocks", t->pool.metadata_total);
		zo_json_add_u64(j, "low_water_blocks", t->low_water_blocks);
		zo_json_add_bool(j, "nearly_full", t->nearly_full);
	}
	json_object_object_add(o, "pool", j);
	j = json_object_new_object();
	zo_json_add_str(j, "name", ZO_THIN_VOLUME_NAME);
	zo_json_add_bool(j, "active", t->volume_active);
	if (t->volume_active) {
		zo_json_add_u64(j, "virtual_bytes", t->volume_sectors * 512);
		zo_json_add_u64(j, "mapped_bytes", t->mapped_sectors * 512);
	} else {
		zo_json_add_null(j, "virtual_bytes");
		zo_json_add_null(j, "mapped_bytes");
	}
	json_object_object_add(o, "volume", j);
	return zo_print_json("thin.status", o) < 0 ? ZO_EXIT_FAILED : ZO_EXIT_OK;
}

static void print_pool_usage(const struct zo_thin_state *t)
{
	const struct zo_thin_pool_status *st = &t->pool;
	uint64_t block = t->block_sectors * 512;
	char a[32], b[32];

	zo_size_format_human(st->data_used * block, a, sizeof(a));
	zo_size_format_human(st->data_total * block, b, sizeof(b));
	printf("  data:      %llu/%llu blocks used (%s of %s, %llu%%)\n",
	       (unsigned long long)st->data_used, (unsigned long long)st->data_total, a, b,
	       percent(st->data_used, st->data_total));
	printf("  metadata:  %llu/%llu blocks used (%llu%%)\n",
	       (unsigned long long)st->metadata_used, (unsigned long long)st->metadata_total,
	       percent(st->metadata_used, st->metadata_total));
	printf("  low water: %llu blocks free%s\n", (unsigned long long)t->low_water_blocks,
	       t->nearly_full ? " -- NEARLY FULL: swap writes will fail when it fills" : "");
}

static void print_status_text(const struct zo_thin_state *t, const char *data)
{
	char a[32], b[32];

	printf("data device: %s\n", data && *data ? data : "none recorded");
	if (!t->pool_active) {
		printf("%s: not active%s\n", ZO_THIN_POOL_NAME,
		       data && *data ? " ('zsim-orch thin activate' restores it)" : "");
		return;
	}
	zo_size_format(t->block_sectors * 512, a, sizeof(a));
	printf("%s: active, %s, blocks of %s\n", ZO_THIN_POOL_NAME,
	       t->pool.failed ? "FAILED" : t->pool.mode, a);
	if (!t->pool.failed)
		print_pool_usage(t);
	if (t->volume_active) {
		zo_size_format_human(t->volume_sectors * 512, a, sizeof(a));
		zo_size_format_human(t->mapped_sectors * 512, b, sizeof(b));
		printf("%s: active, %s virtual, %s mapped\n", ZO_THIN_VOLUME_NAME, a, b);
	} else {
		printf("%s: not active\n", ZO_THIN_VOLUME_NAME);
	}
}

static int thin_status(struct zo_ctx *ctx, int argc, char **argv)
{
	const char *data = zo_config_get(ctx->config, "thin", "data");
	struct zo_thin_state t;
	int c, r;

	c = zo_json_options(ctx, &zo_cmd_thin, "thin status", argc, argv);
	if (c >= 0)
		return c;
	if (optind < argc)
		return zo_usage_error(ctx, &zo_cmd_thin, "'thin status' takes no arguments");
	r = zo_thin_state_read(ctx, &t);
	if (r < 0)
		return zo_exit_code(ctx, r);
	if (ctx->json)
		return print_status_json(&t, data);
	print_status_text(&t, data);
	return ZO_EXIT_OK;
}

static int thin_remove(struct zo_ctx *ctx, int argc, char **argv)
{
	int r = zo_no_options(ctx, &zo_cmd_thin, argc, argv);

	if (r >= 0)
		return r;
	if (argc > 1)
		return zo_usage_error(ctx, &zo_cmd_thin, "'thin remove' takes no arguments");
	r = zo_cmd_parsed(ctx);
	if (r >= 0)
		return r;
	r = zo_thin_remove(ctx);
	if (r >= 0 && !ctx->dry_run)
		printf("%s and %s removed\n", ZO_THIN_POOL_NAME, ZO_THIN_VOLUME_NAME);
	return zo_exit_code(ctx, r);
}

static const struct zo_opt json_opt[] = { { "json", 0, NULL }, { NULL, 0, NULL } };
static const struct zo_opt create_opts[] = {
	{ "virtual-size", 0, "SIZE" }, { "metadata", 0, "FILE|DEV" }, { "block-size", 0, "SIZE" },
	{ "low-water", 0, "SIZE" },    { "force", 'f', NULL },	    { NULL, 0, NULL },
};
static const struct zo_subcmd subs[] = {
	{ "activate", thin_activate, ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK, NULL, NULL },
	{ "create", thin_create, ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK, create_opts, "DEV" },
	{ "remove", thin_remove, ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK, NULL, NULL },
	{ "status", thin_status, 0, json_opt, NULL },
};

static int cmd_thin(struct zo_ctx *ctx, int argc, char **argv)
{
	return zo_dispatch_sub(ctx, &zo_cmd_thin, subs, ZO_ARRAY_SIZE(subs), argc, argv);
}

const struct zo_cmd zo_cmd_thin = {
	.name = "thin",
	.fn = cmd_thin,
	.summary = "dm-thin pool and the thin volume used as swap",
	.usage = "zsim-orch thin create [--virtual-size SIZE] [--metadata FILE|DEV]\n"
		 "                      [--block-size SIZE] [--low-water SIZE] [--force] DEV\n"
		 "       zsim-orch thin activate|remove\n"
		 "       zsim-orch thin status [--json]\n"
		 "\n"
		 "create    a thin pool (zsim-pool) over the data device DEV and a thin\n"
		 "          volume (zsim-swap, 10T unless --virtual-size or [thin]\n"
		 "          virtual_size) on it; writes a swap header on the volume, turns it\n"
		 "          on and records DEV by stable ID in [thin] and the volume in\n"
		 "          [host] swap. Metadata goes to a file attached to a loop device\n"
		 "          ([thin] metadata, sized as thin_metadata_size computes) or to a\n"
		 "          device. DEV gets the same safety checks as 'swap add'; a\n"
		 "          metadata file of an earlier pool is kept unless --force. Running\n"
		 "          it again with the same DEV only activates the pool. First it\n"
		 "          says what swapon will take in RAM on this kernel (the kernel's\n"
		 "          tables for the swap area, per page) and refuses (exit 3),\n"
		 "          naming the largest size that fits, when that is more than 3/4\n"
		 "          of MemAvailable.\n"
		 "activate  restore the recorded pool and volume and turn the volume's\n"
		 "          swap on (at boot); does nothing to what is already up\n"
		 "status    data and metadata usage of the pool, the low-water mark and\n"
		 "          whether the pool is nearly full\n"
		 "remove    swapoff the volume, remove both devices, delete the metadata\n"
		 "          file and forget the pool in the config\n",
	.flags = ZO_CMD_NEED_CONFIG,
	.subs = subs,
	.n_subs = ZO_ARRAY_SIZE(subs),
};
