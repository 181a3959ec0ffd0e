/* zsim-orch thin create|activate|status|remove: a dm-thin pool over one data
 * device with a large thin volume on it, used as swap. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "ops/record.h"
#include "core/devspec.h"
#include "core/thin.h"
#include "core/units.h"
#include "sys/blockdev.h"
#include "sys/loop.h"
#include "sys/swap.h"
#include "sys/thin.h"
#include "util/json.h"
#include "util/path.h"
#include "util/str.h"

#include "util/banned.h"

/* Everything create and activate resolve before touching anything. */
struct pool_setup {
	struct zo_blockdev data;
	const char *metadata;        /* the spec: a file path or a device */
	bool metadata_is_file;
	struct zo_blockdev metadata_dev;
	char *metadata_path;         /* what to open: file under root, or devnode */
	struct zo_thin_plan plan;
};

static void pool_setup_release(struct pool_setup *s)
{
	zo_blockdev_release(&s->data);
	zo_blockdev_release(&s->metadata_dev);
	free(s->metadata_path);
	memset(s, 0, sizeof(*s));
}

/* What create/activate did so far, undone in reverse on failure. */
struct undo {
	bool created_file;
	bool created_pool;
	bool created_volume;
	bool wrote_data;
	int loop_fd;
};

static void undo_all(struct zo_ctx *ctx, struct pool_setup *s, struct undo *u)
{
	if (u->created_volume && zo_dm_remove(ZO_THIN_VOLUME_NAME) < 0)
		zo_warn(&ctx->log, "could not remove %s: %s", ZO_THIN_VOLUME_NAME,
			zo_dm_last_error());
	if (u->created_pool && zo_dm_remove(ZO_THIN_POOL_NAME) < 0)
		zo_warn(&ctx->log, "could not remove %s: %s", ZO_THIN_POOL_NAME,
			zo_dm_last_error());
	/* The volume's first block (its swap header) lands on the data
	 * device, where blkid would find it and call the disk swap. */
	if (u->wrote_data && zo_blockdev_wipe(&s->data, &ctx->log) < 0)
		zo_warn(&ctx->log, "could not erase the swap header left on %s",
			s->data.devnode);
	/* The loop device was attached with autoclear: closing our handle
	 * detaches it once device-mapper lets go too. */
	if (u->loop_fd >= 0)
		close(u->loop_fd);
	u->loop_fd = -1;
	if (u->created_file && unlink(s->metadata_path) < 0)
		zo_warn(&ctx->log, "could not remove %s: %s", s->metadata_path, strerror(errno));
}

static int resolve_error(struct zo_ctx *ctx, const char *what, const char *spec, int r)
{
	if (r == -ENOENT)
		zo_error(ctx, "%s %s: no such device; list disks with 'lsblk -o "
			      "NAME,SIZE,SERIAL,UUID'", what, spec);
	else if (r == -ENOTBLK)
		zo_error(ctx, "%s %s is not a block device", what, spec);
	else if (r == -EINVAL)
		zo_error(ctx, "%s %s is not a device name; use /dev/sdX, /dev/disk/by-id/..., "
			      "UUID=, PARTUUID=, LABEL= or SERIAL=", what, spec);
	else
		zo_error(ctx, "%s %s: %s", what, spec, strerror(-r));
	return r == -EINVAL ? ZO_EXIT_USAGE : ZO_EXIT_FAILED;
}

/* The safety rule for a device we are about to format. */
static int check_device(struct zo_ctx *ctx, const struct zo_blockdev *d, const char *purpose,
			bool force)
{
	struct zo_device_facts facts = { 0 };
	_cleanup_free_ char *msg = NULL;
	enum zo_safety verdict;
	int r;

	r = zo_blockdev_facts(ctx->root, d, &facts);
	if (r < 0) {
		zo_error(ctx, "cannot inspect %s: %s", d->devnode, strerror(-r));
		return ZO_EXIT_FAILED;
	}
	r = zo_safety_check(&facts, purpose, force, &verdict, &msg);
	zo_device_facts_release(&facts);
	if (r < 0)
		return ZO_EXIT_FAILED;
	if (verdict == ZO_REFUSED || verdict == ZO_REFUSED_ALWAYS) {
		zo_error(ctx, "%s", msg);
		return ZO_EXIT_REFUSED;
	}
	if (verdict == ZO_SAFE_FORCED)
		zo_warn(&ctx->log, "%s", msg);
	return ZO_EXIT_OK;
}

static int size_option(struct zo_ctx *ctx, const char *opt, const char *arg, const char *key,
		       uint64_t *ret)
{
	if (arg) {
		if (zo_size_parse(arg, ret) < 0)
			return zo_usage_error(ctx, &zo_cmd_thin, "%s %s: use %s", opt, arg,
					      ZO_SIZE_FORM);
		return ZO_EXIT_OK;
	}
	if (zo_config_get_size(ctx->config, "thin", key, ret) < 0)
		*ret = 0;
	return ZO_EXIT_OK;
}

/* Resolve the metadata spec (file or device) into `s`. */
static int resolve_metadata(struct zo_ctx *ctx, struct pool_setup *s)
{
	enum zo_devspec_kind kind = zo_devspec_classify(s->metadata);
	int r;

	if (kind == ZO_DEVSPEC_INVALID)
		return zo_usage_error(ctx, &zo_cmd_thin, "--metadata %s: use an absolute file path "
						   "or a device", s->metadata);
	s->metadata_is_file = kind == ZO_DEVSPEC_FILE;
	if (s->metadata_is_file) {
		s->metadata_path = zo_path(ctx->root, s->metadata);
		return s->metadata_path ? ZO_EXIT_OK : ZO_EXIT_FAILED;
	}
	r = zo_blockdev_resolve(ctx->root, s->metadata, &s->metadata_dev);
	if (r < 0)
		return resolve_error(ctx, "metadata device", s->metadata, r);
	if (s->metadata_dev.devno == s->data.devno) {
		zo_error(ctx, "the metadata device and the data device are the same disk");
		return ZO_EXIT_USAGE;
	}
	s->metadata_path = strdup(s->metadata_dev.devnode);
	return s->metadata_path ? ZO_EXIT_OK : ZO_EXIT_FAILED;
}

/* 1 if the metadata holds a thin-pool superblock, 0 if not (or missing). */
static int metadata_formatted(struct pool_setup *s)
{
	unsigned char block[4096];
	int r = zo_read_head(s->metadata_path, block, sizeof(block));

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	return zo_thin_metadata_formatted(block, sizeof(block));
}

static void print_plan(struct zo_ctx *ctx, const struct pool_setup *s, bool create)
{
	char meta[32], block[32], virt[32];
	const struct zo_thin_plan *p = &s->plan;

	zo_size_format_human(p->metadata_bytes, meta, sizeof(meta));
	zo_size_format(p->block_bytes, block, sizeof(block));
	zo_size_format(p->virtual_bytes, virt, sizeof(virt));
	(void)ctx;
	if (s->metadata_is_file) {
		if (create)
			printf("would create %s (%s) for the pool's metadata\n", s->metadata,
			       meta);
		printf("would attach %s to a loop device\n", s->metadata);
	} else if (create) {
		printf("would zero the first 4K of %s for the pool's metadata\n",
		       s->metadata_dev.devnode);
	}
	printf("would create %s: 0 %llu thin-pool <metadata> %u:%u %llu %llu 2 "
	       "skip_block_zeroing error_if_no_space\n",
	       ZO_THIN_POOL_NAME, (unsigned long long)zo_thin_pool_sectors(p),
	       major(s->data.devno), minor(s->data.devno),
	       (unsigned long long)(p->block_bytes / 512),
	       (unsigned long long)p->low_water_blocks);
	if (create)
		printf("would send %s: create_thin %d\n", ZO_THIN_POOL_NAME, ZO_THIN_DEVICE_ID);
	printf("would create %s: 0 %llu thin <pool> %d (%s, blocks of %s)\n",
	       ZO_THIN_VOLUME_NAME, (unsigned long long)zo_thin_volume_sectors(p),
	       ZO_THIN_DEVICE_ID, virt, block);
	if (create)
		printf("would write a swap header on %s and swapon it\n", ZO_THIN_VOLUME_PATH);
}

/* Bring up the pool and the volume from resolved facts. `fresh`: the
 * metadata is new, so the thin device has to be created in it. */
static int bring_up(struct zo_ctx *ctx, struct pool_setup *s, struct undo *u, bool fresh)
{
	_cleanup_free_ char *pool_params = NULL, *vol_params = NULL, *loop_node = NULL;
	struct zo_dm_info info;
	dev_t meta_devno, pool_devno;
	char msg[32];
	int r;

	if (s->metadata_is_file) {
		r = zo_loop_find(ctx->root, s->metadata, &loop_node, &meta_devno);
		if (r == -ENOENT)
			r = zo_loop_attach(ctx->root, s->metadata, &loop_node, &meta_devno,
					   &u->loop_fd);
		if (r < 0) {
			zo_error(ctx, "cannot attach %s to a loop device: %s%s", s->metadata,
				 strerror(-r),
				 r == -ENOENT ? " (is the loop module loaded? modprobe loop)" : "");
			return ZO_EXIT_FAILED;
		}
		zo_info(&ctx->log, "metadata %s on %s", s->metadata, loop_node);
	} else {
		meta_devno = s->metadata_dev.devno;
	}

	r = zo_dm_info(ZO_THIN_POOL_NAME, &info);
	if (r == 0 && info.exists) {
		pool_devno = info.devno;
	} else {
		pool_params = zo_thin_pool_params(&s->plan, meta_devno, s->data.devno);
		if (!pool_params)
			return ZO_EXIT_FAILED;
		r = zo_dm_create(ZO_THIN_POOL_NAME, "thin-pool", zo_thin_pool_sectors(&s->plan),
				 pool_params, &pool_devno);
		if (r < 0) {
			zo_error(ctx, "cannot create %s: %s (check dmesg for dm-thin's reason)",
				 ZO_THIN_POOL_NAME, zo_dm_last_error());
			return ZO_EXIT_FAILED;
		}
		u->created_pool = true;
	}
	if (fresh) {
		snprintf(msg, sizeof(msg), "create_thin %d", ZO_THIN_DEVICE_ID);
		r = zo_dm_message(ZO_THIN_POOL_NAME, msg);
		if (r < 0) {
			zo_error(ctx, "%s refused '%s': %s", ZO_THIN_POOL_NAME, msg,
				 zo_dm_last_error());
			return ZO_EXIT_FAILED;
		}
	}
	r = zo_dm_info(ZO_THIN_VOLUME_NAME, &info);
	if (r == 0 && info.exists)
		return ZO_EXIT_OK;
	vol_params = zo_thin_volume_params(pool_devno, ZO_THIN_DEVICE_ID);
	if (!vol_params)
		return ZO_EXIT_FAILED;
	r = zo_dm_create(ZO_THIN_VOLUME_NAME, "thin", zo_thin_volume_sectors(&s->plan), vol_params,
			 NULL);
	if (r < 0) {
		zo_error(ctx, "cannot create %s: %s%s", ZO_THIN_VOLUME_NAME, zo_dm_last_error(),
			 fresh ? "" : " (does the metadata hold thin device 0? it was made by "
				      "'zsim-orch thin create')");
		return ZO_EXIT_FAILED;
	}
	u->created_volume = true;
	return ZO_EXIT_OK;
}

static int plan_pool(struct zo_ctx *ctx, struct pool_setup *s, uint64_t block,
		     uint64_t virtual_size, uint64_t low_water)
{
	_cleanup_free_ char *why = NULL;

	if (!s->metadata_is_file && s->data.size < s->metadata_dev.size) {
		char a[32], b[32];

		zo_size_format_human(s->data.size, a, sizeof(a));
		zo_size_format_human(s->metadata_dev.size, b, sizeof(b));
		zo_error(ctx, "the data device %s (%s) is smaller than the metadata device "
			      "%s (%s); swap them or use a larger data device",
			 s->data.devnode, a, s->metadata_dev.devnode, b);
		return ZO_EXIT_USAGE;
	}
	if (zo_thin_plan(s->data.size, block, virtual_size, low_water, &s->plan, &why) < 0) {
		zo_error(ctx, "%s", why);
		return ZO_EXIT_USAGE;
	}
	if (!s->metadata_is_file && s->metadata_dev.size < s->plan.metadata_bytes) {
		char a[32];

		zo_size_format_human(s->plan.metadata_bytes, a, sizeof(a));
		zo_error(ctx, "the metadata device %s is too small: this pool needs %s",
			 s->metadata_dev.devnode, a);
		return ZO_EXIT_USAGE;
	}
	return ZO_EXIT_OK;
}

/* Resolve [thin] data from the config and compare with what is running. */
static int configured_data(struct zo_ctx *ctx, struct zo_blockdev *ret, bool quiet)
{
	const char *spec = zo_config_get(ctx->config, "thin", "data");
	int r;

	if (!spec || !*spec) {
		if (!quiet)
			zo_error(ctx, "no thin pool recorded in %s; create one with 'zsim-orch "
				      "thin create DEV'", ctx->config_path);
		return -ENODATA;
	}
	r = zo_blockdev_resolve(ctx->root, spec, ret);
	if (r < 0 && !quiet)
		zo_error(ctx, "[thin] data = %s: %s", spec,
			 r == -ENOENT ? "no device has this ID now (disk missing?)" : strerror(-r));
	return r;
}

static int record_pool(struct zo_ctx *ctx, const struct pool_setup *s, const char *virt_opt,
		       const char *block_opt, const char *low_opt)
{
	_cleanup_free_ char *id = NULL, *meta_id = NULL;
	int r;

	r = zo_blockdev_stable_id(ctx->root, &s->data, false, &id);
	if (r < 0) {
		zo_error(ctx, "%s has no stable name (no by-id link, PARTUUID or serial) to "
			      "record", s->data.devnode);
		return r;
	}
	if (!s->metadata_is_file) {
		r = zo_blockdev_stable_id(ctx->root, &s->metadata_dev, false, &meta_id);
		if (r < 0) {
			zo_error(ctx, "%s has no stable name to record", s->metadata_dev.devnode);
			return r;
		}
	}
	r = zo_config_record(ctx, "thin", "data", id);
	if (r == 0)
		r = zo_config_record(ctx, "thin", "metadata", meta_id ? meta_id : s->metadata);
	if (r == 0 && virt_opt)
		r = zo_config_record(ctx, "thin", "virtual_size", virt_opt);
	if (r == 0 && block_opt)
		r = zo_config_record(ctx, "thin", "block_size", block_opt);
	if (r == 0 && low_opt)
		r = zo_config_record(ctx, "thin", "low_water", low_opt);
	if (r == 0)
		r = zo_swap_record(ctx, ZO_THIN_VOLUME_PATH);
	if (r < 0)
		zo_error(ctx, "cannot record the pool in %s: %s", ctx->config_path,
			 strerror(-r));
	return r;
}

static int swapon_volume(struct zo_ctx *ctx, const struct zo_blockdev *vol);

static int activate_swap(struct zo_ctx *ctx)
{
	_cleanup_free_ char *node = zo_path(ctx->root, ZO_THIN_VOLUME_PATH);
	_cleanup_free_ char *type = NULL, *uuid = NULL;
	struct zo_blockdev vol = { 0 };
	char ruuid[37];
	int r;

	r = node ? zo_blockdev_resolve(ctx->root, ZO_THIN_VOLUME_PATH, &vol) : -ENOMEM;
	if (r < 0) {
		zo_error(ctx, "%s did not appear: %s", ZO_THIN_VOLUME_PATH, strerror(-r));
		return r;
	}
	r = zo_swap_write_header(vol.devnode, vol.size, NULL, ruuid);
	if (r < 0) {
		zo_error(ctx, "cannot write a swap header on %s: %s", vol.devnode, strerror(-r));
		goto out;
	}
	if (zo_blockdev_probe_tag(&vol, "TYPE", &type) < 0 || strcmp(type, "swap") ||
	    zo_blockdev_probe_tag(&vol, "UUID", &uuid) < 0 || strcmp(uuid, ruuid)) {
		zo_error(ctx, "the swap header on %s does not read back", vol.devnode);
		r = -EIO;
		goto out;
	}
	r = swapon_volume(ctx, &vol);
out:
	zo_blockdev_release(&vol);
	return r;
}

/* Turn the volume's swap on with the [host] swap options. */
static int swapon_volume(struct zo_ctx *ctx, const struct zo_blockdev *vol)
{
	long long prio = -1;
	bool discard = false;
	int r;

	zo_config_get_int(ctx->config, "host", "swap_priority", &prio);
	zo_config_get_bool(ctx->config, "host", "swap_discard", &discard);
	r = zo_swap_on(vol->devnode, (int)prio, discard);
	if (r == -ENOMEM) {
		char need[32];

		/* The kernel keeps a byte per swap page (swap_map). */
		zo_size_format_human(vol->size / 4096, need, sizeof(need));
		zo_error(ctx, "swapon %s failed: the kernel needs about %s of RAM to track "
			      "swap this large; use a smaller --virtual-size",
			 vol->devnode, need);
	} else if (r == -EINVAL) {
		zo_error(ctx, "swapon %s failed: it holds no swap header (was it overwritten?); "
			      "'zsim-orch thin remove' and 'thin create' make a new one",
			 vol->devnode);
	} else if (r < 0) {
		zo_error(ctx, "swapon %s failed: %s", vol->devnode, strerror(-r));
	}
	return r;
}

static int thin_create(struct zo_ctx *ctx, int argc, char **argv)
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
	const char *virt_opt = NULL, *block_opt = NULL, *low_opt = NULL;
	struct pool_setup s = { 0 };
	struct undo u = { .loop_fd = -1 };
	struct zo_blockdev recorded = { 0 };
	struct zo_dm_info info;
	uint64_t virt, block, low;
	bool force = false;
	char size[32];
	int c, r, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hf", opts, NULL)) != -1) {
		switch (c) {
		case 'V':
			virt_opt = optarg;
			break;
		case 'm':
			s.metadata = optarg;
			break;
		case 'b':
			block_opt = optarg;
			break;
		case 'l':
			low_opt = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			zo_cmd_print_usage(&zo_cmd_thin, stdout);
			return ZO_EXIT_OK;
		default:
			return zo_usage_error(ctx, &zo_cmd_thin, "unknown option '%s' for 'thin create'",
					      argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return zo_usage_error(ctx, &zo_cmd_thin, "'thin create' takes exactly one data device");
	if ((ret = size_option(ctx, "--virtual-size", virt_opt, "virtual_size", &virt)) ||
	    (ret = size_option(ctx, "--block-size", block_opt, "block_size", &block)) ||
	    (ret = size_option(ctx, "--low-water", low_opt, "low_water", &low)))
		return ret;
	if (virt == 0)
		return zo_usage_error(ctx, &zo_cmd_thin, "--virtual-size 0: the thin volume needs a "
						   "size, e.g. 10T");
	if (!s.metadata)
		s.metadata = zo_config_get(ctx->config, "thin", "metadata");

	r = zo_blockdev_resolve(ctx->root, argv[optind], &s.data);
	if (r < 0)
		return resolve_error(ctx, "data device", argv[optind], r);

	/* Idempotent: the recorded pool on this device is only activated. */
	ret = ZO_EXIT_FAILED;
	if (configured_data(ctx, &recorded, true) == 0) {
		bool same = recorded.devno == s.data.devno;

		zo_blockdev_release(&recorded);
		if (same) {
			pool_setup_release(&s);
			printf("%s is already the zsim thin pool's data device; activating it\n",
			       argv[optind]);
			return cmd_thin_activate(ctx);
		}
		if (!force) {
			zo_error(ctx, "a thin pool is already recorded on another device ([thin] "
				      "data = %s); 'zsim-orch thin remove' it first",
				 zo_config_get(ctx->config, "thin", "data"));
			ret = ZO_EXIT_REFUSED;
			goto out;
		}
	}
	if (zo_dm_info(ZO_THIN_POOL_NAME, &info) == 0 && info.exists) {
		zo_error(ctx, "%s already exists and is not the one recorded in %s; remove it "
			      "with 'dmsetup remove %s %s' if it is stale",
			 ZO_THIN_POOL_NAME, ctx->config_path, ZO_THIN_VOLUME_NAME,
			 ZO_THIN_POOL_NAME);
		ret = ZO_EXIT_REFUSED;
		goto out;
	}
	ret = check_device(ctx, &s.data, "the thin pool's data", force);
	if (ret)
		goto out;
	ret = resolve_metadata(ctx, &s);
	if (ret)
		goto out;
	if (!s.metadata_is_file) {
		ret = check_device(ctx, &s.metadata_dev, "the thin pool's metadata", force);
		if (ret)
			goto out;
	} else if (!force && (r = metadata_formatted(&s)) != 0) {
		if (r > 0)
			zo_error(ctx, "%s holds the metadata of an earlier pool; 'zsim-orch thin "
				      "activate' uses it, --force starts a new, empty pool",
				 s.metadata);
		else
			zo_error(ctx, "cannot read %s: %s", s.metadata, strerror(-r));
		ret = r > 0 ? ZO_EXIT_REFUSED : ZO_EXIT_FAILED;
		goto out;
	}
	ret = plan_pool(ctx, &s, block, virt, low);
	if (ret)
		goto out;
	if (ctx->dry_run) {
		print_plan(ctx, &s, true);
		printf("would record in %s: [thin] data, metadata; [host] swap += %s\n",
		       ctx->config_path, ZO_THIN_VOLUME_PATH);
		ret = ZO_EXIT_OK;
		goto out;
	}

	ret = ZO_EXIT_FAILED;
	if (s.metadata_is_file) {
		r = zo_loop_create_backing(ctx->root, s.metadata, s.plan.metadata_bytes);
		if (r == 0) {
			u.created_file = true;
		} else if (r != -EEXIST) {
			zo_size_format_human(s.plan.metadata_bytes, size, sizeof(size));
			zo_error(ctx, "cannot create the metadata file %s (%s): %s", s.metadata,
				 size, strerror(-r));
			goto out;
		}
	}
	/* An old superblock would be reused instead of formatted. */
	r = zo_zero_head(s.metadata_path, ZO_THIN_METADATA_BLOCK);
	if (r < 0) {
		zo_error(ctx, "cannot clear the metadata on %s: %s", s.metadata, strerror(-r));
		goto fail;
	}
	if (force && !s.metadata_is_file)
		zo_blockdev_wipe(&s.metadata_dev, &ctx->log);
	if (force)
		zo_blockdev_wipe(&s.data, &ctx->log);
	ret = bring_up(ctx, &s, &u, true);
	if (ret)
		goto fail;
	u.wrote_data = true;
	r = activate_swap(ctx);
	if (r < 0) {
		ret = ZO_EXIT_FAILED;
		goto fail;
	}
	r = record_pool(ctx, &s, virt_opt, block_opt, low_opt);
	if (r < 0) {
		zo_swap_off(ZO_THIN_VOLUME_PATH);
		ret = ZO_EXIT_FAILED;
		goto fail;
	}
	if (u.loop_fd >= 0)
		close(u.loop_fd);
	u.loop_fd = -1;
	zo_size_format_human(s.plan.virtual_bytes, size, sizeof(size));
	printf("%s: thin pool %s on %s, volume %s (%s) is swap, on\n", argv[optind],
	       ZO_THIN_POOL_NAME, s.data.devnode, ZO_THIN_VOLUME_PATH, size);
	ret = ZO_EXIT_OK;
	goto out;
fail:
	undo_all(ctx, &s, &u);
out:
	pool_setup_release(&s);
	return ret;
}

/* After activation: swap on the volume too when it is recorded as swap,
 * so a boot needs one command. */
static int volume_swap_on(struct zo_ctx *ctx)
{
	struct zo_blockdev vol = { 0 };
	char **list = NULL;
	bool recorded = false;
	size_t i;
	int r, ret = ZO_EXIT_FAILED;

	if (zo_config_get_list(ctx->config, "host", "swap", &list) < 0)
		return ZO_EXIT_FAILED;
	for (i = 0; list[i]; i++)
		if (!strcmp(list[i], ZO_THIN_VOLUME_PATH))
			recorded = true;
	zo_strv_free(list);
	if (!recorded || ctx->dry_run)
		return ZO_EXIT_OK;
	r = zo_blockdev_resolve(ctx->root, ZO_THIN_VOLUME_PATH, &vol);
	if (r < 0) {
		zo_error(ctx, "%s: %s", ZO_THIN_VOLUME_PATH, strerror(-r));
		return ZO_EXIT_FAILED;
	}
	/* swapon(2) checks the header itself; no need to probe first. */
	if (zo_swap_is_active(ctx->root, vol.devnode) > 0 || swapon_volume(ctx, &vol) == 0)
		ret = ZO_EXIT_OK;
	zo_blockdev_release(&vol);
	return ret;
}

int cmd_thin_activate(struct zo_ctx *ctx)
{
	struct pool_setup s = { 0 };
	struct undo u = { .loop_fd = -1 };
	struct zo_dm_info pool, vol;
	uint64_t virt = 0, block = 0, low = 0;
	int r, ret = ZO_EXIT_FAILED;

	r = configured_data(ctx, &s.data, false);
	if (r < 0)
		return ZO_EXIT_FAILED;
	if (zo_dm_info(ZO_THIN_POOL_NAME, &pool) < 0 || zo_dm_info(ZO_THIN_VOLUME_NAME, &vol) < 0) {
		zo_error(ctx, "cannot ask device-mapper about %s: %s (is dm-thin-pool loaded? "
			      "modprobe dm-thin-pool)", ZO_THIN_POOL_NAME, zo_dm_last_error());
		goto out;
	}
	if (pool.exists) {
		_cleanup_free_ char *type = NULL, *params = NULL;
		dev_t meta, data;

		if (zo_dm_table(ZO_THIN_POOL_NAME, &type, NULL, &params) < 0 ||
		    strcmp(type, "thin-pool") ||
		    zo_thin_pool_params_devices(params, &meta, &data) < 0 || data != s.data.devno) {
			zo_error(ctx, "%s exists but is not a thin pool on %s; remove it with "
				      "'dmsetup remove' if it is stale",
				 ZO_THIN_POOL_NAME, s.data.devnode);
			ret = ZO_EXIT_REFUSED;
			goto out;
		}
		if (vol.exists) {
			ret = volume_swap_on(ctx);
			if (ret == ZO_EXIT_OK)
				printf("%s and %s: already active\n", ZO_THIN_POOL_NAME,
				       ZO_THIN_VOLUME_NAME);
			goto out;
		}
	}
	s.metadata = zo_config_get(ctx->config, "thin", "metadata");
	ret = resolve_metadata(ctx, &s);
	if (ret)
		goto out;
	ret = ZO_EXIT_FAILED;
	if (!pool.exists) {
		r = metadata_formatted(&s);
		if (r <= 0) {
			zo_error(ctx, "%s holds no thin-pool metadata%s; the pool cannot be "
				      "restored ('zsim-orch thin create --force DEV' makes a new one)",
				 s.metadata, r < 0 ? " (unreadable)" : "");
			goto out;
		}
	}
	zo_config_get_size(ctx->config, "thin", "virtual_size", &virt);
	zo_config_get_size(ctx->config, "thin", "block_size", &block);
	zo_config_get_size(ctx->config, "thin", "low_water", &low);
	ret = plan_pool(ctx, &s, block, virt, low);
	if (ret)
		goto out;
	if (ctx->dry_run) {
		print_plan(ctx, &s, false);
		ret = ZO_EXIT_OK;
		goto out;
	}
	ret = bring_up(ctx, &s, &u, false);
	if (ret) {
		undo_all(ctx, &s, &u);
		goto out;
	}
	if (u.loop_fd >= 0)
		close(u.loop_fd);
	ret = volume_swap_on(ctx);
	if (ret == ZO_EXIT_OK)
		printf("%s on %s and %s: active\n", ZO_THIN_POOL_NAME, s.data.devnode,
		       ZO_THIN_VOLUME_PATH);
out:
	pool_setup_release(&s);
	return ret;
}

static int thin_activate(struct zo_ctx *ctx, int argc, char **argv)
{
	int r = zo_no_options(ctx, &zo_cmd_thin, argc, argv);

	if (r >= 0)
		return r;
	if (argc > 1)
		return zo_usage_error(ctx, &zo_cmd_thin, "'thin activate' takes no arguments");
	return cmd_thin_activate(ctx);
}

int zo_thin_pool_read(struct zo_thin_pool_status *ret, uint64_t *ret_block_sectors,
		      uint64_t *ret_low_water)
{
	_cleanup_free_ char *type = NULL, *params = NULL, *ttype = NULL, *tparams = NULL;
	unsigned long long block = 0, low = 0;
	int r;

	r = zo_dm_status(ZO_THIN_POOL_NAME, &type, &params);
	if (r < 0)
		return r;
	if (strcmp(type, "thin-pool"))
		return -EINVAL;
	r = zo_thin_parse_pool_status(params, ret);
	if (r < 0)
		return r;
	r = zo_dm_table(ZO_THIN_POOL_NAME, &ttype, NULL, &tparams);
	if (r < 0)
		return r;
	if (sscanf(tparams, "%*s %*s %llu %llu", &block, &low) != 2)
		return -EINVAL;
	*ret_block_sectors = block;
	*ret_low_water = low;
	return 0;
}

static int thin_status(struct zo_ctx *ctx, int argc, char **argv)
{
	_cleanup_free_ char *vtype = NULL, *vparams = NULL;
	struct zo_thin_pool_status st = { 0 };
	struct zo_dm_info pool = { 0 }, vol = { 0 };
	const char *data = zo_config_get(ctx->config, "thin", "data");
	uint64_t block_sectors = 0, low = 0, mapped = 0, vol_sectors = 0;
	json_object *o, *j;
	bool full;
	char a[32], b[32];
	int c, r;

	c = zo_json_options(ctx, &zo_cmd_thin, "thin status", argc, argv);
	if (c >= 0)
		return c;
	if (optind < argc)
		return zo_usage_error(ctx, &zo_cmd_thin, "'thin status' takes no arguments");
	if (zo_dm_info(ZO_THIN_POOL_NAME, &pool) < 0 || zo_dm_info(ZO_THIN_VOLUME_NAME, &vol) < 0) {
		zo_error(ctx, "cannot ask device-mapper: %s", zo_dm_last_error());
		return ZO_EXIT_FAILED;
	}
	if (pool.exists) {
		r = zo_thin_pool_read(&st, &block_sectors, &low);
		if (r < 0) {
			zo_error(ctx, "cannot read %s's status: %s", ZO_THIN_POOL_NAME,
				 zo_dm_last_error()[0] ? zo_dm_last_error() : strerror(-r));
			return ZO_EXIT_FAILED;
		}
	}
	if (vol.exists && zo_dm_status(ZO_THIN_VOLUME_NAME, &vtype, &vparams) == 0) {
		_cleanup_free_ char *tt = NULL, *tp = NULL;

		zo_thin_parse_volume_status(vparams, &mapped);
		zo_dm_table(ZO_THIN_VOLUME_NAME, &tt, &vol_sectors, &tp);
	}
	full = pool.exists && zo_thin_nearly_full(&st, low);

	if (ctx->json) {
		o = json_object_new_object();
		zo_json_add_str(o, "data_device", data && *data ? data : NULL);
		j = json_object_new_object();
		zo_json_add_str(j, "name", ZO_THIN_POOL_NAME);
		zo_json_add_bool(j, "active", pool.exists);
		if (pool.exists) {
			zo_json_add_str(j, "mode", st.failed ? "failed" : st.mode);
			zo_json_add_u64(j, "block_bytes", block_sectors * 512);
			zo_json_add_u64(j, "data_used_blocks", st.data_used);
			zo_json_add_u64(j, "data_total_blocks", st.data_total);
			zo_json_add_u64(j, "metadata_used_blocks", st.metadata_used);
			zo_json_add_u64(j, "metadata_total_blocks", st.metadata_total);
			zo_json_add_u64(j, "low_water_blocks", low);
			zo_json_add_bool(j, "nearly_full", full);
		}
		json_object_object_add(o, "pool", j);
		j = json_object_new_object();
		zo_json_add_str(j, "name", ZO_THIN_VOLUME_NAME);
		zo_json_add_bool(j, "active", vol.exists);
		if (vol.exists) {
			zo_json_add_u64(j, "virtual_bytes", vol_sectors * 512);
			zo_json_add_u64(j, "mapped_bytes", mapped * 512);
		}
		json_object_object_add(o, "volume", j);
		r = zo_print_json(o);
		json_object_put(o);
		return r;
	}
	printf("data device: %s\n", data && *data ? data : "none recorded");
	if (!pool.exists) {
		printf("%s: not active%s\n", ZO_THIN_POOL_NAME,
		       data && *data ? " ('zsim-orch thin activate' restores it)" : "");
		return ZO_EXIT_OK;
	}
	zo_size_format(block_sectors * 512, a, sizeof(a));
	printf("%s: active, %s, blocks of %s\n", ZO_THIN_POOL_NAME,
	       st.failed ? "FAILED" : st.mode, a);
	if (!st.failed) {
		zo_size_format_human(st.data_used * block_sectors * 512, a, sizeof(a));
		zo_size_format_human(st.data_total * block_sectors * 512, b, sizeof(b));
		printf("  data:      %llu/%llu blocks used (%s of %s, %llu%%)\n",
		       (unsigned long long)st.data_used, (unsigned long long)st.data_total, a, b,
		       st.data_total ? (unsigned long long)(st.data_used * 100 / st.data_total)
				     : 0ULL);
		printf("  metadata:  %llu/%llu blocks used (%llu%%)\n",
		       (unsigned long long)st.metadata_used, (unsigned long long)st.metadata_total,
		       st.metadata_total
			       ? (unsigned long long)(st.metadata_used * 100 / st.metadata_total)
			       : 0ULL);
		printf("  low water: %llu blocks free%s\n", (unsigned long long)low,
		       full ? " -- NEARLY FULL: swap writes will fail when it fills" : "");
	}
	if (vol.exists) {
		zo_size_format_human(vol_sectors * 512, a, sizeof(a));
		zo_size_format_human(mapped * 512, b, sizeof(b));
		printf("%s: active, %s virtual, %s mapped\n", ZO_THIN_VOLUME_NAME, a, b);
	} else {
		printf("%s: not active\n", ZO_THIN_VOLUME_NAME);
	}
	return ZO_EXIT_OK;
}

static int thin_remove(struct zo_ctx *ctx, int argc, char **argv)
{
	_cleanup_free_ char *vol_node = zo_path(ctx->root, ZO_THIN_VOLUME_PATH);
	_cleanup_free_ char *loop_node = NULL, *meta_path = NULL;
	const char *meta = zo_config_get(ctx->config, "thin", "metadata");
	struct zo_blockdev data = { 0 };
	struct zo_dm_info pool, vol;
	dev_t loop_devno;
	int r;

	r = zo_no_options(ctx, &zo_cmd_thin, argc, argv);
	if (r >= 0)
		return r;
	if (argc > 1)
		return zo_usage_error(ctx, &zo_cmd_thin, "'thin remove' takes no arguments");
	if (!vol_node || zo_dm_info(ZO_THIN_POOL_NAME, &pool) < 0 ||
	    zo_dm_info(ZO_THIN_VOLUME_NAME, &vol) < 0) {
		zo_error(ctx, "cannot ask device-mapper: %s", zo_dm_last_error());
		return ZO_EXIT_FAILED;
	}
	if (ctx->dry_run) {
		if (vol.exists && zo_swap_is_active(ctx->root, vol_node) > 0)
			printf("would swapoff %s\n", ZO_THIN_VOLUME_PATH);
		if (vol.exists)
			printf("would remove %s\n", ZO_THIN_VOLUME_NAME);
		if (pool.exists)
			printf("would remove %s\n", ZO_THIN_POOL_NAME);
		if (meta && zo_devspec_classify(meta) == ZO_DEVSPEC_FILE)
			printf("would delete %s\n", meta);
		printf("would record in %s: [thin] data = (none); [host] swap -= %s\n",
		       ctx->config_path, ZO_THIN_VOLUME_PATH);
		return ZO_EXIT_OK;
	}
	if (vol.exists && zo_swap_is_active(ctx->root, vol_node) > 0) {
		zo_info(&ctx->log, "swapoff %s (moving its pages back to RAM may take a while)",
			ZO_THIN_VOLUME_PATH);
		r = zo_swap_off(vol_node);
		if (r < 0) {
			zo_error(ctx, "swapoff %s failed: %s; nothing was removed",
				 ZO_THIN_VOLUME_PATH, strerror(-r));
			return ZO_EXIT_FAILED;
		}
	}
	if (vol.exists && zo_dm_remove(ZO_THIN_VOLUME_NAME) < 0) {
		zo_error(ctx, "cannot remove %s: %s (is it open? see 'dmsetup info %s')",
			 ZO_THIN_VOLUME_NAME, zo_dm_last_error(), ZO_THIN_VOLUME_NAME);
		return ZO_EXIT_FAILED;
	}
	if (pool.exists && zo_dm_remove(ZO_THIN_POOL_NAME) < 0) {
		zo_error(ctx, "cannot remove %s: %s", ZO_THIN_POOL_NAME, zo_dm_last_error());
		return ZO_EXIT_FAILED;
	}
	/* The volume's swap header sits on the data device too; without the
	 * pool it would only make the disk look like swap to blkid. */
	if (configured_data(ctx, &data, true) == 0) {
		if (zo_blockdev_wipe(&data, &ctx->log) < 0)
			zo_warn(&ctx->log, "could not erase the old swap header on %s",
				data.devnode);
		zo_blockdev_release(&data);
	}
	if (meta && zo_devspec_classify(meta) == ZO_DEVSPEC_FILE) {
		/* Attached with autoclear by us, the loop device is gone with
		 * the pool; one attached by hand is not. */
		if (zo_loop_find(ctx->root, meta, &loop_node, &loop_devno) == 0)
			zo_loop_detach(loop_node);
		meta_path = zo_path(ctx->root, meta);
		if (meta_path && unlink(meta_path) < 0 && errno != ENOENT)
			zo_warn(&ctx->log, "could not delete %s: %s", meta, strerror(errno));
	}
	r = zo_config_record(ctx, "thin", "data", "");
	if (r == 0)
		r = zo_swap_unrecord(ctx, ZO_THIN_VOLUME_PATH);
	if (r < 0) {
		zo_error(ctx, "removed the pool but cannot update %s: %s", ctx->config_path,
			 strerror(-r));
		return ZO_EXIT_FAILED;
	}
	printf("%s and %s removed\n", ZO_THIN_POOL_NAME, ZO_THIN_VOLUME_NAME);
	return ZO_EXIT_OK;
}

int cmd_thin(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct zo_subcmd subs[] = {
		{ "activate", thin_activate, ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK },
		{ "create", thin_create, ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK },
		{ "remove", thin_remove, ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK },
		{ "status", thin_status, 0 },
	};

	return zo_dispatch_sub(ctx, &zo_cmd_thin, subs, sizeof(subs) / sizeof(subs[0]), argc, argv);
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
		 "          it again with the same DEV only activates the pool.\n"
		 "activate  restore the recorded pool and volume and turn the volume's\n"
		 "          swap on (at boot); does nothing to what is already up\n"
		 "status    data and metadata usage of the pool, the low-water mark and\n"
		 "          whether the pool is nearly full\n"
		 "remove    swapoff the volume, remove both devices, delete the metadata\n"
		 "          file and forget the pool in the config\n",
	.flags = ZO_CMD_NEED_CONFIG,
};
