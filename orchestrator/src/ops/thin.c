/* The dm-thin pool over one data device with a large thin volume on it,
 * used as swap: create, activate and remove, with what create and activate
 * did undone on failure. Under --dry-run the same steps run as far as they
 * only look, and show the tables they would send. */
#include "ops/storage.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/devspec.h"
#include "core/units.h"
#include "ops/record.h"
#include "sys/loop.h"
#include "sys/swap.h"
#include "sys/thin.h"
#include "util/path.h"

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

/* ctx->error (libdevmapper's words) copied out, to be quoted in a new
 * message written over it. */
struct words {
	char s[sizeof(((struct zo_ctx *)0)->error)];
};

static const char *words(const struct zo_ctx *ctx, struct words *w)
{
	snprintf(w->s, sizeof(w->s), "%s", ctx->error);
	return w->s;
}

static void undo_all(struct zo_ctx *ctx, struct pool_setup *s, struct undo *u)
{
	enum zo_fail_kind kind = ctx->fail_kind;
	struct words failure, w;
	int r;

	/* The undo's own troubles are warnings; the failure being undone is
	 * what the caller reports. */
	words(ctx, &failure);
	if (u->created_volume && zo_dm_remove(ctx, ZO_THIN_VOLUME_NAME) < 0)
		zo_warn(&ctx->log, "could not remove %s: %s", ZO_THIN_VOLUME_NAME, words(ctx, &w));
	if (u->created_pool && zo_dm_remove(ctx, ZO_THIN_POOL_NAME) < 0)
		zo_warn(&ctx->log, "could not remove %s: %s", ZO_THIN_POOL_NAME, words(ctx, &w));
	/* The volume's first block (its swap header) lands on the data
	 * device, where blkid would find it and call the disk swap. */
	if (u->wrote_data && zo_blockdev_wipe(&s->data, &ctx->log) < 0)
		zo_warn(&ctx->log, "could not erase the swap header left on %s",
			s->data.devnode);
	/* The loop device was attached with autoclear: closing our handle
	 * detaches it once device-mapper lets go too. */
	zo_loop_release(&u->loop_fd);
	if (u->created_file && (r = zo_loop_remove_backing(ctx->root, s->metadata)) < 0)
		zo_warn(&ctx->log, "could not remove %s: %s", s->metadata_path, strerror(-r));
	zo_fail(ctx, -EIO, "%s", failure.s);
	ctx->fail_kind = kind;
}

static int resolve_fail(struct zo_ctx *ctx, const char *what, const char *spec, int r)
{
	if (r == -ENOENT)
		return zo_fail(ctx, r, "%s %s: no such device; list disks with 'lsblk -o "
				       "NAME,SIZE,SERIAL,UUID'", what, spec);
	if (r == -ENOTBLK)
		return zo_fail(ctx, r, "%s %s is not a block device", what, spec);
	if (r == -EINVAL)
		return zo_fail_as_usage(ctx, zo_fail(ctx, r, "%s %s is not a device name; use "
							     "/dev/sdX, /dev/disk/by-id/..., UUID=, "
							     "PARTUUID=, LABEL= or SERIAL=", what, spec));
	return zo_fail(ctx, r, "%s %s: %s", what, spec, strerror(-r));
}

/* The safety rule for a device we are about to format. */
static int check_device(struct zo_ctx *ctx, const struct zo_blockdev *d, const char *purpose,
			bool force)
{
	_cleanup_free_ char *warning = NULL;
	int r;

	r = zo_storage_check(ctx, d, purpose, force, "", &warning);
	if (r == 0 && warning)
		zo_warn(&ctx->log, "%s", warning);
	return r;
}

/* Resolve the metadata spec (file or device) into `s`. */
static int resolve_metadata(struct zo_ctx *ctx, struct pool_setup *s)
{
	enum zo_devspec_kind kind = zo_devspec_classify(s->metadata);
	int r;

	if (kind == ZO_DEVSPEC_INVALID)
		return zo_fail_as_usage(ctx, zo_fail(ctx, -EINVAL, "--metadata %s: use an absolute "
								   "file path or a device",
						     s->metadata));
	s->metadata_is_file = kind == ZO_DEVSPEC_FILE;
	if (s->metadata_is_file) {
		s->metadata_path = zo_path(ctx->root, s->metadata);
		return s->metadata_path ? 0 : zo_fail(ctx, -ENOMEM, "out of memory");
	}
	r = zo_blockdev_resolve(ctx->root, s->metadata, &s->metadata_dev);
	if (r < 0)
		return resolve_fail(ctx, "metadata device", s->metadata, r);
	if (s->metadata_dev.devno == s->data.devno)
		return zo_fail_as_usage(ctx, zo_fail(ctx, -EINVAL, "the metadata device and the data "
								   "device are the same disk"));
	s->metadata_path = strdup(s->metadata_dev.devnode);
	return s->metadata_path ? 0 : zo_fail(ctx, -ENOMEM, "out of memory");
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

/* Send a one-target table, or under --dry-run show it: the same text. */
static int dm_create(struct zo_ctx *ctx, const char *name, const char *type, uint64_t sectors,
		     const char *params, dev_t *ret_devno)
{
	if (ctx->dry_run) {
		zo_plan(ctx, "would create %s: 0 %" PRIu64 " %s %s", name, sectors, type, params);
		return 0;
	}
	return zo_dm_create(ctx, name, type, sectors, params, ret_devno);
}

/* The metadata's device as table text: the loop device backing the file
 * (attached now, but not under --dry-run) or the metadata device. */
static int metadata_device(struct zo_ctx *ctx, struct pool_setup *s, struct undo *u,
			   char text[ZO_DEVNO_TEXT_MAX])
{
	_cleanup_free_ char *loop_node = NULL;
	dev_t devno;
	int r;

	if (!s->metadata_is_file) {
		zo_devno_text(s->metadata_dev.devno, text);
		return 0;
	}
	r = zo_loop_find(ctx->root, s->metadata, &loop_node, &devno);
	if (r < 0 && ctx->dry_run) {
		zo_plan(ctx, "would attach %s to a loop device", s->metadata);
		snprintf(text, ZO_DEVNO_TEXT_MAX, "<metadata>");
		return 0;
	}
	if (r == -ENOENT)
		r = zo_loop_attach(ctx->root, s->metadata, &loop_node, &devno, &u->loop_fd);
	if (r < 0)
		return zo_fail(ctx, r, "cannot attach %s to a loop device: %s%s", s->metadata,
			       strerror(-r),
			       r == -ENOENT ? " (is the loop module loaded? modprobe loop)" : "");
	zo_info(&ctx->log, "metadata %s on %s", s->metadata, loop_node);
	zo_devno_text(devno, text);
	return 0;
}

/* The pool (created unless it runs) as table text for the volume's table. */
static int pool_device(struct zo_ctx *ctx, struct pool_setup *s, struct undo *u,
		       char pool[ZO_DEVNO_TEXT_MAX])
{
	_cleanup_free_ char *params = NULL;
	char meta[ZO_DEVNO_TEXT_MAX], data[ZO_DEVNO_TEXT_MAX];
	struct zo_dm_info info;
	struct words w;
	dev_t devno;
	int r;

	r = metadata_device(ctx, s, u, meta);
	if (r < 0)
		return r;
	if (zo_dm_info(ctx, ZO_THIN_POOL_NAME, &info) == 0 && info.exists) {
		zo_devno_text(info.devno, pool);
		return 0;
	}
	zo_devno_text(s->data.devno, data);
	params = zo_thin_pool_params(&s->plan, meta, data);
	if (!params)
		return zo_fail(ctx, -ENOMEM, "out of memory");
	r = dm_create(ctx, ZO_THIN_POOL_NAME, "thin-pool", zo_thin_pool_sectors(&s->plan), params,
		      &devno);
	if (r < 0)
		return zo_fail(ctx, r, "cannot create %s: %s (check dmesg for dm-thin's reason)",
			       ZO_THIN_POOL_NAME, words(ctx, &w));
	u->created_pool = !ctx->dry_run;
	if (ctx->dry_run)
		snprintf(pool, ZO_DEVNO_TEXT_MAX, "<pool>");
	else
		zo_devno_text(devno, pool);
	return 0;
}

/* Bring up the pool and the volume from resolved facts. `fresh`: the
 * metadata is new, so the thin device has to be created in it. */
static int bring_up(struct zo_ctx *ctx, struct pool_setup *s, struct undo *u, bool fresh)
{
	_cleanup_free_ char *params = NULL;
	char pool[ZO_DEVNO_TEXT_MAX], msg[32];
	struct zo_dm_info info;
	struct words w;
	int r;

	r = pool_device(ctx, s, u, pool);
	if (r < 0)
		return r;
	snprintf(msg, sizeof(msg), "create_thin %d", ZO_THIN_DEVICE_ID);
	if (fresh && ctx->dry_run)
		zo_plan(ctx, "would send %s: %s", ZO_THIN_POOL_NAME, msg);
	else if (fresh && (r = zo_dm_message(ctx, ZO_THIN_POOL_NAME, msg)) < 0)
		return zo_fail(ctx, r, "%s refused '%s': %s", ZO_THIN_POOL_NAME, msg,
			       words(ctx, &w));
	if (zo_dm_info(ctx, ZO_THIN_VOLUME_NAME, &info) == 0 && info.exists)
		return 0;
	params = zo_thin_volume_params(pool, ZO_THIN_DEVICE_ID);
	if (!params)
		return zo_fail(ctx, -ENOMEM, "out of memory");
	r = dm_create(ctx, ZO_THIN_VOLUME_NAME, "thin", zo_thin_volume_sectors(&s->plan), params,
		      NULL);
	if (r < 0)
		return zo_fail(ctx, r, "cannot create %s: %s%s", ZO_THIN_VOLUME_NAME,
			       words(ctx, &w),
			       fresh ? "" : " (does the metadata hold thin device 0? it was made by "
					    "'zsim-orch thin create')");
	u->created_volume = !ctx->dry_run;
	return 0;
}

static int plan_pool(struct zo_ctx *ctx, struct pool_setup *s, uint64_t block,
		     uint64_t virtual_size, uint64_t low_water)
{
	_cleanup_free_ char *why = NULL;
	char a[32], b[32];

	if (!s->metadata_is_file && s->data.size < s->metadata_dev.size) {
		zo_size_format_human(s->data.size, a, sizeof(a));
		zo_size_format_human(s->metadata_dev.size, b, sizeof(b));
		return zo_fail_as_usage(ctx, zo_fail(ctx, -EINVAL,
			"the data device %s (%s) is smaller than the metadata device %s (%s); "
			"swap them or use a larger data device",
			s->data.devnode, a, s->metadata_dev.devnode, b));
	}
	if (zo_thin_plan(s->data.size, block, virtual_size, low_water, &s->plan, &why) < 0)
		return zo_fail_as_usage(ctx, zo_fail(ctx, -EINVAL, "%s", why ? why : "out of memory"));
	if (!s->metadata_is_file && s->metadata_dev.size < s->plan.metadata_bytes) {
		zo_size_format_human(s->plan.metadata_bytes, a, sizeof(a));
		return zo_fail_as_usage(ctx, zo_fail(ctx, -EINVAL,
			"the metadata device %s is too small: this pool needs %s",
			s->metadata_dev.devnode, a));
	}
	return 0;
}

/* Resolve [thin] data from the config. `quiet`: no message. */
static int configured_data(struct zo_ctx *ctx, struct zo_blockdev *ret, bool quiet)
{
	const char *spec = zo_config_get(ctx->config, "thin", "data");
	int r;

	if (!spec || !*spec)
		return quiet ? -ENODATA
			     : zo_fail(ctx, -ENODATA, "no thin pool recorded in %s; create one "
						      "with 'zsim-orch thin create DEV'",
				       ctx->config_path);
	r = zo_blockdev_resolve(ctx->root, spec, ret);
	if (r < 0 && !quiet)
		return zo_fail(ctx, r, "[thin] data = %s: %s", spec,
			       r == -ENOENT ? "no device has this ID now (disk missing?)"
					    : strerror(-r));
	return r;
}

static int record_pool(struct zo_ctx *ctx, const struct pool_setup *s,
		       const struct zo_thin_create *c)
{
	_cleanup_free_ char *id = NULL, *meta_id = NULL;
	int r;

	r = zo_blockdev_stable_id(ctx->root, &s->data, false, &id);
	if (r < 0)
		return zo_fail(ctx, r, "%s has no stable name (no by-id link, PARTUUID or serial) "
				       "to record", s->data.devnode);
	if (!s->metadata_is_file) {
		r = zo_blockdev_stable_id(ctx->root, &s->metadata_dev, false, &meta_id);
		if (r < 0)
			return zo_fail(ctx, r, "%s has no stable name to record",
				       s->metadata_dev.devnode);
	}
	r = zo_config_record(ctx, "thin", "data", id);
	if (r == 0)
		r = zo_config_record(ctx, "thin", "metadata", meta_id ? meta_id : s->metadata);
	if (r == 0 && c->virtual_opt)
		r = zo_config_record(ctx, "thin", "virtual_size", c->virtual_opt);
	if (r == 0 && c->block_opt)
		r = zo_config_record(ctx, "thin", "block_size", c->block_opt);
	if (r == 0 && c->low_opt)
		r = zo_config_record(ctx, "thin", "low_water", c->low_opt);
	if (r == 0)
		r = zo_swap_record(ctx, ZO_THIN_VOLUME_PATH);
	if (r < 0)
		return zo_fail(ctx, r, "cannot record the pool in %s: %s", ctx->config_path,
			       strerror(-r));
	return 0;
}

int zo_thin_swap_cost_check(struct zo_ctx *ctx, const struct zo_blockdev *data,
			    uint64_t virtual_bytes, bool say, const char *suffix)
{
	_cleanup_free_ char *cost = NULL;
	struct zo_swap_estimate e;
	char size[32], avail[32], max[32];

	/* The volume rotates as its data device does (dm-thin passes it on). */
	zo_swap_estimate(ctx, data->devno, virtual_bytes, &e);
	cost = zo_swap_estimate_text(&e);
	if (!cost)
		return zo_fail(ctx, -ENOMEM, "out of memory");
	zo_size_format_human(virtual_bytes, size, sizeof(size));
	zo_size_format_human(e.mem_available, avail, sizeof(avail));
	if (!e.mem_available) {
		zo_warn(&ctx->log, "swapon of %s (%s) will take %s; /proc/meminfo gives no "
				   "MemAvailable, so whether this host can spare it is not checked",
			ZO_THIN_VOLUME_PATH, size, cost);
		return 0;
	}
	if (e.cost.total > e.budget) {
		/* a size the user can type back: whole G (or M) */
		zo_size_format(e.max_bytes >= ZO_GIB ? e.max_bytes / ZO_GIB * ZO_GIB
						     : e.max_bytes / ZO_MIB * ZO_MIB,
			       max, sizeof(max));
		return zo_refuse(ctx, -ENOMEM, "refusing to create a %s thin volume: swapon would "
					       "take %s, more than this host can spare (MemAvailable "
					       "%s, of which swap's tables may take %d/%d); use "
					       "--virtual-size %s or less here, or a host with more "
					       "RAM%s",
				 size, cost, avail, ZO_SWAP_COST_SHARE_NUM,
				 ZO_SWAP_COST_SHARE_DEN, max, suffix);
	}
	if (say)
		zo_say(ctx, "swapon of %s (%s) will take %s; MemAvailable is %s", ZO_THIN_VOLUME_PATH,
		       size, cost, avail);
	return 0;
}

/* Turn the volume's swap on with the [host] swap options. */
static int volume_swapon(struct zo_ctx *ctx, const struct zo_blockdev *vol)
{
	_cleanup_free_ char *cost = NULL;
	struct zo_swap_estimate e;
	bool changed;
	int r;

	r = zo_swap_enable(ctx, vol, &changed);
	if (r == -ENOMEM) {
		zo_swap_estimate(ctx, vol->devno, vol->size, &e);
		cost = zo_swap_estimate_text(&e);
		return zo_fail(ctx, r, "swapon %s failed: the kernel could not allocate its tables "
				       "for swap this large (about %s); use a smaller --virtual-size",
			       vol->devnode, cost ? cost : "more RAM than it has");
	}
	if (r == -EINVAL)
		return zo_fail(ctx, r, "swapon %s failed: it holds no swap header (was it "
				       "overwritten?); 'zsim-orch thin remove' and 'thin create' "
				       "make a new one", vol->devnode);
	return r;
}

/* A swap header on the new volume, then swap on. */
static int volume_format_on(struct zo_ctx *ctx)
{
	struct zo_blockdev vol = { 0 };
	char uuid[37];
	int r;

	r = zo_blockdev_resolve(ctx->root, ZO_THIN_VOLUME_PATH, &vol);
	if (r < 0)
		return zo_fail(ctx, r, "%s did not appear: %s", ZO_THIN_VOLUME_PATH, strerror(-r));
	zo_phase(ctx, "thin create: writing the swap header on %s", ZO_THIN_VOLUME_PATH);
	r = zo_swap_format(ctx, &vol, NULL, uuid);
	if (r == 0) {
		/* the kernel allocates a byte per swap page first: slow for 10T */
		zo_phase(ctx, "thin create: turning swap on on %s", ZO_THIN_VOLUME_PATH);
		r = volume_swapon(ctx, &vol);
	}
	zo_blockdev_release(&vol);
	return r;
}

/* After activation: swap on the volume too when it is recorded as swap,
 * so a boot needs one command. */
static int volume_swap_on(struct zo_ctx *ctx)
{
	struct zo_blockdev vol = { 0 };
	int r;

	r = zo_swap_is_recorded(ctx, ZO_THIN_VOLUME_PATH);
	if (r <= 0 || ctx->dry_run)
		return r < 0 ? r : 0;
	r = zo_blockdev_resolve(ctx->root, ZO_THIN_VOLUME_PATH, &vol);
	if (r < 0)
		return zo_fail(ctx, r, "%s: %s", ZO_THIN_VOLUME_PATH, strerror(-r));
	/* swapon(2) checks the header itself; no need to probe first. */
	r = volume_swapon(ctx, &vol);
	zo_blockdev_release(&vol);
	return r;
}

void zo_thin_create_defaults(struct zo_ctx *ctx, const char *data, struct zo_thin_create *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->data = data;
	if (zo_config_get_size(ctx->config, "thin", "virtual_size", &ret->virtual_bytes) < 0)
		ret->virtual_bytes = 0;
	if (zo_config_get_size(ctx->config, "thin", "block_size", &ret->block_bytes) < 0)
		ret->block_bytes = 0;
	if (zo_config_get_size(ctx->config, "thin", "low_water", &ret->low_water_bytes) < 0)
		ret->low_water_bytes = 0;
}

/* Is a pool recorded or running that create must not touch? 1: the
 * recorded pool is on this device (activate it instead). */
static int create_conflicts(struct zo_ctx *ctx, const struct zo_thin_create *c,
			    const struct pool_setup *s)
{
	struct zo_blockdev recorded = { 0 };
	struct zo_dm_info info;
	bool same;

	if (configured_data(ctx, &recorded, true) == 0) {
		same = recorded.devno == s->data.devno;
		zo_blockdev_release(&recorded);
		if (same)
			return 1;
		if (!c->force)
			return zo_refuse(ctx, -EEXIST, "a thin pool is already recorded on another "
						       "device ([thin] data = %s); 'zsim-orch thin "
						       "remove' it first",
					 zo_config_get(ctx->config, "thin", "data"));
	}
	if (zo_dm_info(ctx, ZO_THIN_POOL_NAME, &info) == 0 && info.exists)
		return zo_refuse(ctx, -EEXIST, "%s already exists and is not the one recorded in "
					       "%s; remove it with 'dmsetup remove %s %s' if it is "
					       "stale",
				 ZO_THIN_POOL_NAME, ctx->config_path, ZO_THIN_VOLUME_NAME,
				 ZO_THIN_POOL_NAME);
	/* device-mapper not answering shows when the pool is created */
	zo_clear_error(ctx);
	return 0;
}

/* Everything create checks before it writes. */
static int create_check(struct zo_ctx *ctx, const struct zo_thin_create *c, struct pool_setup *s)
{
	int r;

	r = create_conflicts(ctx, c, s);
	if (r != 0)
		return r;
	r = check_device(ctx, &s->data, "the thin pool's data", c->force);
	if (r == 0)
		r = resolve_metadata(ctx, s);
	if (r < 0)
		return r;
	if (!s->metadata_is_file) {
		r = check_device(ctx, &s->metadata_dev, "the thin pool's metadata", c->force);
		if (r < 0)
			return r;
	} else if (!c->force && (r = metadata_formatted(s)) != 0) {
		if (r > 0)
			return zo_refuse(ctx, -EEXIST, "%s holds the metadata of an earlier pool; "
						       "'zsim-orch thin activate' uses it, --force "
						       "starts a new, empty pool", s->metadata);
		return zo_fail(ctx, r, "cannot read %s: %s", s->metadata, strerror(-r));
	}
	r = plan_pool(ctx, s, c->block_bytes, c->virtual_bytes, c->low_water_bytes);
	if (r == 0)
		r = zo_thin_swap_cost_check(ctx, &s->data, s->plan.virtual_bytes, true, "");
	return r;
}

/* A new metadata file or a cleared metadata device; under --force the
 * old signatures on the devices erased. */
static int prepare_metadata(struct zo_ctx *ctx, struct pool_setup *s, struct undo *u, bool force)
{
	char size[32];
	int r;

	zo_size_format_human(s->plan.metadata_bytes, size, sizeof(size));
	if (ctx->dry_run) {
		if (s->metadata_is_file)
			zo_plan(ctx, "would create %s (%s) for the pool's metadata", s->metadata,
				size);
		else
			zo_plan(ctx, "would zero the first 4K of %s for the pool's metadata",
				s->metadata_dev.devnode);
		return 0;
	}
	if (s->metadata_is_file) {
		r = zo_loop_create_backing(ctx->root, s->metadata, s->plan.metadata_bytes);
		if (r == 0)
			u->created_file = true;
		else if (r != -EEXIST)
			return zo_fail(ctx, r, "cannot create the metadata file %s (%s): %s",
				       s->metadata, size, strerror(-r));
	}
	/* An old superblock would be reused instead of formatted. */
	r = zo_zero_head(s->metadata_path, ZO_THIN_METADATA_BLOCK);
	if (r < 0)
		return zo_fail(ctx, r, "cannot clear the metadata on %s: %s", s->metadata,
			       strerror(-r));
	if (force && !s->metadata_is_file)
		zo_blockdev_wipe(&s->metadata_dev, &ctx->log);
	if (force)
		zo_blockdev_wipe(&s->data, &ctx->log);
	return 0;
}

/* Make the pool and the volume, format the volume as swap, turn it on
 * and record the pool; undone on failure. */
static int create_apply(struct zo_ctx *ctx, const struct zo_thin_create *c, struct pool_setup *s)
{
	_cleanup_free_ char *vol_node = NULL;
	struct undo u = { .loop_fd = -1 };
	char size[32];
	int r;

	zo_size_format_human(s->plan.metadata_bytes, size, sizeof(size));
	if (!ctx->dry_run)
		zo_phase(ctx, "thin create: metadata on %s (%s)",
			 s->metadata_is_file ? s->metadata : s->metadata_dev.devnode, size);
	r = prepare_metadata(ctx, s, &u, c->force);
	if (r == 0 && !ctx->dry_run)
		zo_phase(ctx, "thin create: the pool %s on %s and the volume %s", ZO_THIN_POOL_NAME,
			 s->data.devnode, ZO_THIN_VOLUME_NAME);
	if (r == 0)
		r = bring_up(ctx, s, &u, true);
	if (r == 0 && ctx->dry_run) {
		zo_plan(ctx, "would write a swap header on %s and swapon it", ZO_THIN_VOLUME_PATH);
		zo_plan(ctx, "would record in %s: [thin] data, metadata; [host] swap += %s",
			ctx->config_path, ZO_THIN_VOLUME_PATH);
		return 0;
	}
	u.wrote_data = r == 0;
	if (r == 0)
		r = volume_format_on(ctx);
	if (r == 0 && (r = record_pool(ctx, s, c)) < 0) {
		vol_node = zo_path(ctx->root, ZO_THIN_VOLUME_PATH);
		if (vol_node)
			zo_swap_off(vol_node);
	}
	zo_progress_end(ctx);
	if (r < 0) {
		undo_all(ctx, s, &u);
		return r;
	}
	zo_loop_release(&u.loop_fd);
	zo_size_format_human(s->plan.virtual_bytes, size, sizeof(size));
	zo_say(ctx, "%s: thin pool %s on %s, volume %s (%s) is swap, on", c->data,
	       ZO_THIN_POOL_NAME, s->data.devnode, ZO_THIN_VOLUME_PATH, size);
	return 0;
}

int zo_thin_create(struct zo_ctx *ctx, const struct zo_thin_create *c)
{
	struct pool_setup s = { 0 };
	int r;

	s.metadata = c->metadata ? c->metadata : zo_config_get(ctx->config, "thin", "metadata");
	r = zo_blockdev_resolve(ctx->root, c->data, &s.data);
	if (r < 0)
		return resolve_fail(ctx, "data device", c->data, r);
	/* Idempotent: the recorded pool on this device is only activated. */
	r = create_check(ctx, c, &s);
	if (r == 0)
		r = create_apply(ctx, c, &s);
	pool_setup_release(&s);
	if (r > 0) {
		zo_say(ctx, "%s is already the zsim thin pool's data device; activating it",
		       c->data);
		return zo_thin_activate(ctx);
	}
	return r;
}

/* A running zsim-pool must be ours: a thin pool on the recorded device. */
static int check_running_pool(struct zo_ctx *ctx, const struct pool_setup *s)
{
	_cleanup_free_ char *type = NULL, *params = NULL;
	dev_t meta, data;

	if (zo_dm_table(ctx, ZO_THIN_POOL_NAME, &type, NULL, &params) < 0 ||
	    strcmp(type, "thin-pool") || zo_thin_pool_params_devices(params, &meta, &data) < 0 ||
	    data != s->data.devno)
		return zo_refuse(ctx, -EEXIST, "%s exists but is not a thin pool on %s; remove it "
					       "with 'dmsetup remove' if it is stale",
				 ZO_THIN_POOL_NAME, s->data.devnode);
	return 0;
}

/* Restore what is missing of the pool and the volume. */
static int restore(struct zo_ctx *ctx, struct pool_setup *s, bool pool_exists)
{
	struct undo u = { .loop_fd = -1 };
	uint64_t virt = 0, block = 0, low = 0;
	int r;

	s->metadata = zo_config_get(ctx->config, "thin", "metadata");
	r = resolve_metadata(ctx, s);
	if (r < 0)
		return r;
	if (!pool_exists) {
		r = metadata_formatted(s);
		if (r <= 0)
			return zo_fail(ctx, r < 0 ? r : -ENODATA,
				       "%s holds no thin-pool metadata%s; the pool cannot be "
				       "restored ('zsim-orch thin create --force DEV' makes a new one)",
				       s->metadata, r < 0 ? " (unreadable)" : "");
	}
	zo_config_get_size(ctx->config, "thin", "virtual_size", &virt);
	zo_config_get_size(ctx->config, "thin", "block_size", &block);
	zo_config_get_size(ctx->config, "thin", "low_water", &low);
	r = plan_pool(ctx, s, block, virt, low);
	if (r == 0)
		r = bring_up(ctx, s, &u, false);
	if (r < 0) {
		undo_all(ctx, s, &u);
		return r;
	}
	zo_loop_release(&u.loop_fd);
	return 0;
}

static int activate_resolved(struct zo_ctx *ctx, struct pool_setup *s)
{
	struct zo_dm_info pool, vol;
	struct words w;
	int r;

	if (zo_dm_info(ctx, ZO_THIN_POOL_NAME, &pool) < 0 ||
	    zo_dm_info(ctx, ZO_THIN_VOLUME_NAME, &vol) < 0)
		return zo_fail(ctx, -EIO, "cannot ask device-mapper about %s: %s (is dm-thin-pool "
					  "loaded? modprobe dm-thin-pool)",
			       ZO_THIN_POOL_NAME, words(ctx, &w));
	if (pool.exists) {
		r = check_running_pool(ctx, s);
		if (r < 0)
			return r;
		if (vol.exists) {
			r = volume_swap_on(ctx);
			if (r >= 0)
				zo_say(ctx, "%s and %s: already active", ZO_THIN_POOL_NAME,
				       ZO_THIN_VOLUME_NAME);
			return r;
		}
	}
	r = restore(ctx, s, pool.exists);
	if (r < 0 || ctx->dry_run)
		return r;
	r = volume_swap_on(ctx);
	if (r >= 0)
		zo_say(ctx, "%s on %s and %s: active", ZO_THIN_POOL_NAME, s->data.devnode,
		       ZO_THIN_VOLUME_PATH);
	return r;
}

int zo_thin_activate(struct zo_ctx *ctx)
{
	struct pool_setup s = { 0 };
	int r;

	r = configured_data(ctx, &s.data, false);
	if (r >= 0)
		r = activate_resolved(ctx, &s);
	pool_setup_release(&s);
	return r < 0 ? r : 0;
}

int zo_thin_pool_read(struct zo_ctx *ctx, struct zo_thin_pool_status *ret,
		      uint64_t *ret_block_sectors, uint64_t *ret_low_water)
{
	_cleanup_free_ char *type = NULL, *params = NULL, *ttype = NULL, *tparams = NULL;
	struct zo_thin_pool_status st;
	unsigned long long block = 0, low = 0;
	int r;

	r = zo_dm_status(ctx, ZO_THIN_POOL_NAME, &type, &params);
	if (r < 0)
		return r;
	if (strcmp(type, "thin-pool"))
		return zo_fail(ctx, -EINVAL, "%s", strerror(EINVAL));
	r = zo_thin_parse_pool_status(params, &st);
	if (r < 0)
		return zo_fail(ctx, r, "%s", strerror(-r));
	r = zo_dm_table(ctx, ZO_THIN_POOL_NAME, &ttype, NULL, &tparams);
	if (r < 0)
		return r;
	if (sscanf(tparams, "%*s %*s %llu %llu", &block, &low) != 2)
		return zo_fail(ctx, -EINVAL, "%s", strerror(EINVAL));
	*ret = st;
	*ret_block_sectors = block;
	*ret_low_water = low;
	return 0;
}

int zo_thin_state_read(struct zo_ctx *ctx, struct zo_thin_state *ret)
{
	_cleanup_free_ char *vtype = NULL, *vparams = NULL, *tt = NULL, *tp = NULL;
	struct zo_thin_state st;
	struct zo_dm_info pool = { 0 }, vol = { 0 };
	struct words w;
	int r;

	memset(&st, 0, sizeof(st));
	if (zo_dm_info(ctx, ZO_THIN_POOL_NAME, &pool) < 0 ||
	    zo_dm_info(ctx, ZO_THIN_VOLUME_NAME, &vol) < 0)
		return zo_fail(ctx, -EIO, "cannot ask device-mapper: %s", words(ctx, &w));
	st.pool_active = pool.exists;
	st.volume_active = vol.exists;
	if (pool.exists) {
		r = zo_thin_pool_read(ctx, &st.pool, &st.block_sectors, &st.low_water_blocks);
		if (r < 0)
			return zo_fail(ctx, r, "cannot read %s's status: %s", ZO_THIN_POOL_NAME,
				       words(ctx, &w));
		st.nearly_full = zo_thin_nearly_full(&st.pool, st.low_water_blocks);
	}
	if (vol.exists && zo_dm_status(ctx, ZO_THIN_VOLUME_NAME, &vtype, &vparams) == 0) {
		zo_thin_parse_volume_status(vparams, &st.mapped_sectors);
		zo_dm_table(ctx, ZO_THIN_VOLUME_NAME, &tt, &st.volume_sectors, &tp);
	}
	zo_clear_error(ctx);
	*ret = st;
	return 0;
}

static void plan_remove(struct zo_ctx *ctx, bool pool, bool vol, bool vol_swap)
{
	const char *meta = zo_config_get(ctx->config, "thin", "metadata");

	if (vol_swap)
		zo_plan(ctx, "would swapoff %s", ZO_THIN_VOLUME_PATH);
	if (vol)
		zo_plan(ctx, "would remove %s", ZO_THIN_VOLUME_NAME);
	if (pool)
		zo_plan(ctx, "would remove %s", ZO_THIN_POOL_NAME);
	if (meta && zo_devspec_classify(meta) == ZO_DEVSPEC_FILE)
		zo_plan(ctx, "would delete %s", meta);
	zo_plan(ctx, "would record in %s: [thin] data = (none); [host] swap -= %s",
		ctx->config_path, ZO_THIN_VOLUME_PATH);
}

/* After the devices are gone: the swap header left on the data device
 * and the metadata file. */
static void remove_leftovers(struct zo_ctx *ctx)
{
	const char *meta = zo_config_get(ctx->config, "thin", "metadata");
	_cleanup_free_ char *loop_node = NULL;
	struct zo_blockdev data = { 0 };
	dev_t loop_devno;
	int r;

	/* The volume's swap header sits on the data device too; without the
	 * pool it would only make the disk look like swap to blkid. */
	if (configured_data(ctx, &data, true) == 0) {
		if (zo_blockdev_wipe(&data, &ctx->log) < 0)
			zo_warn(&ctx->log, "could not erase the old swap header on %s",
				data.devnode);
		zo_blockdev_release(&data);
	}
	if (!meta || zo_devspec_classify(meta) != ZO_DEVSPEC_FILE)
		return;
	/* Attached with autoclear by us, the loop device is gone with the
	 * pool; one attached by hand is not. */
	if (zo_loop_find(ctx->root, meta, &loop_node, &loop_devno) == 0)
		zo_loop_detach(loop_node);
	r = zo_loop_remove_backing(ctx->root, meta);
	if (r < 0 && r != -ENOENT)
		zo_warn(&ctx->log, "could not delete %s: %s", meta, strerror(-r));
}

int zo_thin_remove(struct zo_ctx *ctx)
{
	_cleanup_free_ char *vol_node = zo_path(ctx->root, ZO_THIN_VOLUME_PATH);
	struct zo_dm_info pool, vol;
	struct words w;
	bool vol_swap;
	int r;

	if (!vol_node || zo_dm_info(ctx, ZO_THIN_POOL_NAME, &pool) < 0 ||
	    zo_dm_info(ctx, ZO_THIN_VOLUME_NAME, &vol) < 0)
		return zo_fail(ctx, -EIO, "cannot ask device-mapper: %s", words(ctx, &w));
	vol_swap = vol.exists && zo_swap_is_active(ctx->root, vol_node) > 0;
	if (ctx->dry_run) {
		plan_remove(ctx, pool.exists, vol.exists, vol_swap);
		return 0;
	}
	if (vol_swap) {
		zo_info(&ctx->log, "swapoff %s (moving its pages back to RAM may take a while)",
			ZO_THIN_VOLUME_PATH);
		r = zo_swap_off(vol_node);
		if (r < 0)
			return zo_fail(ctx, r, "swapoff %s failed: %s; nothing was removed",
				       ZO_THIN_VOLUME_PATH, strerror(-r));
	}
	if (vol.exists && (r = zo_dm_remove(ctx, ZO_THIN_VOLUME_NAME)) < 0)
		return zo_fail(ctx, r, "cannot remove %s: %s (is it open? see 'dmsetup info %s')",
			       ZO_THIN_VOLUME_NAME, words(ctx, &w), ZO_THIN_VOLUME_NAME);
	if (pool.exists && (r = zo_dm_remove(ctx, ZO_THIN_POOL_NAME)) < 0)
		return zo_fail(ctx, r, "cannot remove %s: %s", ZO_THIN_POOL_NAME, words(ctx, &w));
	remove_leftovers(ctx);
	r = zo_config_record(ctx, "thin", "data", "");
	if (r == 0)
		r = zo_swap_unrecord(ctx, ZO_THIN_VOLUME_PATH);
	if (r < 0)
		return zo_fail(ctx, r, "removed the pool but cannot update %s: %s",
			       ctx->config_path, strerror(-r));
	return 0;
}
