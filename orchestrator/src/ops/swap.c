/* Swap devices by stable ID: add (format, check, turn on, record), turn the
 * recorded ones on or off, and what they are now. */
#include "ops/storage.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/config.h"
#include "core/procfs.h"
#include "core/units.h"
#include "ops/record.h"
#include "sys/hostinfo.h"
#include "sys/swap.h"
#include "sys/sysfs.h"
#include "util/str.h"

#include "util/banned.h"

static int resolve_fail(struct zo_ctx *ctx, const char *spec, int r)
{
	if (r == -ENOENT)
		return zo_fail(ctx, r, "no block device matches %s; list disks with 'lsblk -o "
				       "NAME,SIZE,SERIAL,UUID,PARTUUID'", spec);
	if (r == -ENOTBLK)
		return zo_fail(ctx, r, "%s is not a block device", spec);
	if (r == -EINVAL)
		return zo_fail_as_usage(ctx, zo_fail(ctx, r, "%s is not a device name; use /dev/sdX, "
							     "/dev/disk/by-id/..., UUID=, PARTUUID=, "
							     "LABEL=, PARTLABEL= or SERIAL=", spec));
	return zo_fail(ctx, r, "cannot use %s: %s", spec, strerror(-r));
}

int zo_swap_is_recorded(struct zo_ctx *ctx, const char *id)
{
	char **list = NULL;
	size_t i;
	int r;

	r = zo_config_get_list(ctx->config, "host", "swap", &list);
	if (r < 0)
		return zo_fail(ctx, r, "cannot read [host] swap: %s", strerror(-r));
	for (i = 0, r = 0; list[i] && !r; i++)
		r = !strcmp(list[i], id);
	zo_strv_free(list);
	return r;
}

bool zo_swap_is_ours(struct zo_ctx *ctx, const struct zo_blockdev *d, char **ret_tag)
{
	_cleanup_free_ char *type = NULL, *uuid = NULL, *tag = NULL;

	if (zo_blockdev_probe_tag(d, "TYPE", &type) < 0 || strcmp(type, "swap") ||
	    zo_blockdev_probe_tag(d, "UUID", &uuid) < 0)
		return false;
	tag = zo_asprintf("UUID=%s", uuid);
	if (!tag || zo_swap_is_recorded(ctx, tag) <= 0)
		return false;
	if (ret_tag)
		*ret_tag = TAKE_PTR(tag);
	return true;
}

int zo_swap_enable(struct zo_ctx *ctx, const struct zo_blockdev *d, bool *ret_changed)
{
	long long prio = -1;
	bool discard = false;
	int r;

	*ret_changed = false;
	if (zo_swap_is_active(ctx->root, d->devnode) > 0)
		return 0;
	zo_config_get_int(ctx->config, "host", "swap_priority", &prio);
	zo_config_get_bool(ctx->config, "host", "swap_discard", &discard);
	if (ctx->dry_run) {
		zo_plan(ctx, "would swapon %s (priority %lld%s)", d->devnode, prio,
			discard ? ", discard" : "");
		return 0;
	}
	r = zo_swap_on(d->devnode, (int)prio, discard);
	if (r < 0)
		return zo_fail(ctx, r, "swapon %s failed: %s", d->devnode, strerror(-r));
	*ret_changed = true;
	return 0;
}

int zo_swap_format(struct zo_ctx *ctx, const struct zo_blockdev *d, const char *label,
		   char ret_uuid[37])
{
	_cleanup_free_ char *type = NULL, *uuid = NULL;
	char new_uuid[37];
	int r;

	r = zo_swap_write_header(d->devnode, d->size, label, new_uuid);
	if (r < 0)
		return zo_fail(ctx, r, "cannot write a swap header on %s: %s", d->devnode,
			       r == -ENOSPC ? "the device is smaller than 10 pages" : strerror(-r));
	/* Check with libblkid what a later boot will find. */
	if (zo_blockdev_probe_tag(d, "TYPE", &type) < 0 || strcmp(type, "swap") ||
	    zo_blockdev_probe_tag(d, "UUID", &uuid) < 0 || strcmp(uuid, new_uuid))
		return zo_fail(ctx, -EIO, "the swap header on %s does not read back (found %s, "
					  "UUID %s)", d->devnode, type ? type : "nothing",
			       uuid ? uuid : "none");
	memcpy(ret_uuid, new_uuid, sizeof(new_uuid));
	return 0;
}

static void plan_add(struct zo_ctx *ctx, const struct zo_swap_add *a,
		     const struct zo_blockdev *d, const char *warning)
{
	long long prio = -1;
	char size[32];

	if (a->priority)
		zo_int_parse(a->priority, -1, 32767, &prio);
	zo_size_format_human(d->size, size, sizeof(size));
	if (warning)
		zo_plan(ctx, "would wipe: %s", warning);
	zo_plan(ctx, "would write a swap header on %s (%s)", d->devnode, size);
	zo_plan(ctx, "would swapon %s (priority %lld%s)", d->devnode, prio,
		a->discard ? ", discard" : "");
	zo_plan(ctx, "would record in %s: [host] swap += UUID=<new>", ctx->config_path);
}

static int record_fail(struct zo_ctx *ctx, int r)
{
	return zo_fail(ctx, r, "cannot record the swap device in %s: %s", ctx->config_path,
		       strerror(-r));
}

/* A new header on a device that passed the safety rule. */
static int add_new(struct zo_ctx *ctx, const struct zo_swap_add *a, const struct zo_blockdev *d,
		   const char *warning)
{
	_cleanup_free_ char *id = NULL;
	char uuid[37], size[32];
	bool changed;
	int r;

	if (warning) {
		zo_warn(&ctx->log, "%s", warning);
		r = zo_blockdev_wipe(d, &ctx->log);
		if (r < 0)
			return zo_fail(ctx, r, "cannot erase the old signatures on %s: %s",
				       d->devnode, strerror(-r));
	}
	r = zo_swap_format(ctx, d, a->label, uuid);
	if (r < 0)
		return r;
	if (a->priority && (r = zo_config_record(ctx, "host", "swap_priority", a->priority)) < 0)
		return record_fail(ctx, r);
	if (a->discard && (r = zo_config_record(ctx, "host", "swap_discard", "yes")) < 0)
		return record_fail(ctx, r);
	r = zo_swap_enable(ctx, d, &changed);
	if (r < 0)
		return zo_fail(ctx, r, "wrote the swap header on %s but swapon failed: %s",
			       d->devnode, strerror(-r));
	r = zo_blockdev_stable_id(ctx->root, d, true, &id);
	if (r == 0)
		r = zo_swap_record(ctx, id);
	if (r < 0)
		return record_fail(ctx, r);
	zo_size_format_human(d->size, size, sizeof(size));
	zo_say(ctx, "%s: swap %s, %s, recorded as %s", d->devnode, size,
	       changed ? "on" : "already on", id);
	return 0;
}

static int add_resolved(struct zo_ctx *ctx, const struct zo_swap_add *a,
			const struct zo_blockdev *d)
{
	_cleanup_free_ char *tag = NULL, *warning = NULL;
	bool changed;
	int r;

	/* Idempotent: a device that already carries the swap header we
	 * recorded is only turned on. */
	if (zo_swap_is_ours(ctx, d, &tag)) {
		r = zo_swap_enable(ctx, d, &changed);
		if (r < 0)
			return zo_fail(ctx, r, "cannot turn on swap on %s: %s", d->devnode,
				       strerror(-r));
		zo_say(ctx, "%s: already zsim swap (%s), %s", d->devnode, tag,
		       changed ? "turned on" : "on");
		return 0;
	}
	r = zo_storage_check(ctx, d, "swap", a->force, "", &warning);
	if (r < 0)
		return r;
	if (ctx->dry_run) {
		plan_add(ctx, a, d, warning);
		return 0;
	}
	return add_new(ctx, a, d, warning);
}

int zo_swap_add(struct zo_ctx *ctx, const struct zo_swap_add *a)
{
	struct zo_blockdev d = { 0 };
	int r;

	r = zo_blockdev_resolve(ctx->root, a->device, &d);
	if (r < 0)
		return resolve_fail(ctx, a->device, r);
	r = add_resolved(ctx, a, &d);
	zo_blockdev_release(&d);
	return r;
}

static int on_one(struct zo_ctx *ctx, const char *id, const struct zo_blockdev *d)
{
	_cleanup_free_ char *type = NULL;
	bool changed;
	int r;

	if (zo_blockdev_probe_tag(d, "TYPE", &type) < 0 || strcmp(type, "swap"))
		return zo_fail(ctx, -EINVAL, "%s (%s) holds %s, not swap; refusing to swapon it",
			       id, d->devnode, type ? type : "no signature");
	r = zo_swap_enable(ctx, d, &changed);
	if (r < 0)
		return zo_fail(ctx, r, "%s (%s): swapon failed: %s", id, d->devnode, strerror(-r));
	if (!ctx->dry_run)
		zo_say(ctx, "%s (%s): %s", id, d->devnode, changed ? "on" : "already on");
	return 0;
}

static int off_one(struct zo_ctx *ctx, const char *id, const struct zo_blockdev *d)
{
	int r = zo_swap_is_active(ctx->root, d->devnode);

	if (r < 0)
		return zo_fail(ctx, r, "%s (%s): cannot tell whether it is on: %s", id, d->devnode,
			       strerror(-r));
	if (r == 0) {
		zo_say(ctx, "%s (%s): already off", id, d->devnode);
		return 0;
	}
	if (ctx->dry_run) {
		zo_plan(ctx, "would swapoff %s", d->devnode);
		return 0;
	}
	zo_info(&ctx->log, "swapoff %s (moving its pages back to RAM may take a while)",
		d->devnode);
	r = zo_swap_off(d->devnode);
	if (r < 0)
		return zo_fail(ctx, r, "%s (%s): swapoff failed: %s%s", id, d->devnode,
			       strerror(-r),
			       r == -ENOMEM ? "; not enough free RAM to take its pages back" : "");
	zo_say(ctx, "%s (%s): off", id, d->devnode);
	return 0;
}

static int resolve_recorded(struct zo_ctx *ctx, const char *id, struct zo_blockdev *ret)
{
	int r = zo_blockdev_resolve(ctx->root, id, ret);

	if (r < 0)
		return zo_fail(ctx, r, "%s: %s", id,
			       r == -ENOENT ? "no device has this ID now (disk missing, or "
					      "overwritten?)"
					    : strerror(-r));
	return 0;
}

/* `fn` on every recorded swap device, going on after a failure. All but
 * the last failure are logged when the next one comes; the last is the
 * one returned. */
static int for_each_recorded(struct zo_ctx *ctx,
			     int (*fn)(struct zo_ctx *ctx, const char *id,
				       const struct zo_blockdev *d))
{
	_cleanup_free_ char *pending = NULL;
	char **list = NULL;
	int r, ret = 0;
	size_t i;

	r = zo_config_get_list(ctx->config, "host", "swap", &list);
	if (r < 0)
		return zo_fail(ctx, r, "cannot read [host] swap: %s", strerror(-r));
	if (!list[0])
		zo_say(ctx, "no swap devices in %s; add one with 'zsim-orch swap add DEV'",
		       ctx->config_path);
	for (i = 0; list[i]; i++) {
		struct zo_blockdev d = { 0 };

		r = resolve_recorded(ctx, list[i], &d);
		if (r == 0)
			r = fn(ctx, list[i], &d);
		zo_blockdev_release(&d);
		if (r >= 0)
			continue;
		if (pending)
			zo_err(&ctx->log, "%s", pending);
		free(pending);
		pending = strdup(ctx->error);
		ret = r;
	}
	zo_strv_free(list);
	if (ret < 0)
		zo_fail(ctx, ret, "%s", pending ? pending : strerror(-ret));
	return ret;
}

int zo_swap_on_recorded(struct zo_ctx *ctx)
{
	return for_each_recorded(ctx, on_one);
}

int zo_swap_off_recorded(struct zo_ctx *ctx)
{
	return for_each_recorded(ctx, off_one);
}

void zo_swap_devices_free(struct zo_swap_device *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].id);
		free(v[i].devnode);
	}
	free(v);
}

/* The /proc/swaps entry of `d`, compared by device number. */
static const struct zo_swap_entry *find_active(struct zo_ctx *ctx, const struct zo_blockdev *d,
					       const struct zo_swap_entry *active, size_t n)
{
	const struct zo_swap_entry *e = NULL;
	size_t j;

	for (j = 0; j < n && !e; j++) {
		struct zo_blockdev sd = { 0 };

		if (zo_blockdev_resolve(ctx->root, active[j].filename, &sd) == 0 &&
		    sd.devno == d->devno)
			e = &active[j];
		zo_blockdev_release(&sd);
	}
	return e;
}

static int describe(struct zo_ctx *ctx, const char *id, const struct zo_swap_entry *active,
		    size_t n_active, struct zo_swap_device *ret)
{
	struct zo_blockdev d = { 0 };
	const struct zo_swap_entry *e;

	ret->id = strdup(id);
	if (!ret->id)
		return zo_fail(ctx, -ENOMEM, "out of memory");
	ret->resolve_error = zo_blockdev_resolve(ctx->root, id, &d);
	if (ret->resolve_error < 0)
		return 0;
	ret->devnode = TAKE_PTR(d.devnode);
	ret->size = d.size;
	e = find_active(ctx, &d, active, n_active);
	if (e) {
		ret->active = true;
		ret->used = e->used;
		ret->priority = e->priority;
	}
	zo_blockdev_release(&d);
	return 0;
}

int zo_swap_status(struct zo_ctx *ctx, struct zo_swap_device **ret, size_t *ret_n)
{
	_cleanup_free_ char *text = NULL;
	struct zo_swap_entry *active = NULL;
	struct zo_swap_device *v = NULL;
	size_t n_active = 0, n, i;
	char **list = NULL;
	int r;

	r = zo_sysfs_read(ctx->root, "/proc/swaps", &text);
	if (r == 0)
		r = zo_parse_swaps(text, &active, &n_active);
	if (r < 0)
		return zo_fail(ctx, r, "cannot read /proc/swaps: %s", strerror(-r));
	r = zo_config_get_list(ctx->config, "host", "swap", &list);
	if (r < 0) {
		zo_swap_entries_free(active, n_active);
		return zo_fail(ctx, r, "cannot read [host] swap: %s", strerror(-r));
	}
	n = zo_strv_length(list);
	v = calloc(n + 1, sizeof(*v));
	r = v ? 0 : zo_fail(ctx, -ENOMEM, "out of memory");
	for (i = 0; r == 0 && i < n; i++)
		r = describe(ctx, list[i], active, n_active, &v[i]);
	zo_strv_free(list);
	zo_swap_entries_free(active, n_active);
	if (r < 0) {
		zo_swap_devices_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* --- what swapon costs --- */

/* 1/0 from a file's text, -1 when it cannot be read. */
static int read_fact(struct zo_ctx *ctx, const char *path, int (*parse)(const char *))
{
	_cleanup_free_ char *text = NULL;

	if (zo_sysfs_read(ctx->root, path, &text) < 0)
		return -1;
	return parse(text);
}

static int rotational_is_zero(const char *text)
{
	return text[0] == '0';
}

/* Whether the device does not rotate; a partition asks its disk. */
static int device_nonrot(struct zo_ctx *ctx, dev_t devno)
{
	static const char *const forms[] = { "/sys/dev/block/%u:%u/queue/rotational",
					     "/sys/dev/block/%u:%u/../queue/rotational" };
	size_t i;
	int r = -1;

	for (i = 0; r < 0 && i < sizeof(forms) / sizeof(forms[0]); i++) {
		_cleanup_free_ char *path = zo_asprintf(forms[i], major(devno), minor(devno));

		if (path)
			r = read_fact(ctx, path, rotational_is_zero);
	}
	return r;
}

/* What the kernel's config (/boot/config-RELEASE) says, where it is. */
static void kconfig_facts(struct zo_ctx *ctx, const char *release, struct zo_swap_kernel *k)
{
	_cleanup_free_ char *path = zo_asprintf("/boot/config-%s", release ? release : "");
	_cleanup_free_ char *config = NULL;
	int zswap;

	k->memcg_swap_config = k->frontswap = k->thp_swap = -1;
	if (release && path && zo_sysfs_read(ctx->root, path, &config) == 0) {
		k->memcg_swap_config = zo_parse_kconfig_bool(config, "CONFIG_MEMCG_SWAP_ENABLED");
		k->frontswap = zo_parse_kconfig_bool(config, "CONFIG_FRONTSWAP");
		k->thp_swap = zo_parse_kconfig_bool(config, "CONFIG_THP_SWAP");
		return;
	}
	/* zswap selects frontswap (before 6.5, which has no frontswap) */
	zswap = zo_sysfs_exists(ctx->root, "/sys/module/zswap");
	if (zswap > 0)
		k->frontswap = 1;
}

static void kernel_facts(struct zo_ctx *ctx, dev_t devno, struct zo_swap_kernel *k)
{
	_cleanup_free_ char *release = NULL, *cmdline = NULL;
	long page = sysconf(_SC_PAGESIZE);

	memset(k, 0, sizeof(*k));
	if (zo_host_osrelease(ctx->root, &release) < 0 ||
	    zo_parse_kernel_release(release, &k->major, &k->minor) < 0)
		k->major = k->minor = 0;
	k->page_size = page > 0 ? (uint64_t)page : 4096;
	k->memcg = read_fact(ctx, "/proc/cgroups", zo_parse_cgroups_memory);
	k->swapaccount = zo_sysfs_read(ctx->root, "/proc/cmdline", &cmdline) == 0
				 ? zo_parse_cmdline_swapaccount(cmdline)
				 : -1;
	kconfig_facts(ctx, release, k);
	k->nonrot = device_nonrot(ctx, devno);
}

int zo_swap_estimate(struct zo_ctx *ctx, dev_t devno, uint64_t bytes, struct zo_swap_estimate *ret)
{
	_cleanup_free_ char *meminfo = NULL;
	struct zo_meminfo mem;
	struct zo_swap_estimate e;

	memset(&e, 0, sizeof(e));
	kernel_facts(ctx, devno, &e.kernel);
	zo_swap_cost(&e.kernel, bytes, &e.cost);
	if (zo_sysfs_read(ctx->root, "/proc/meminfo", &meminfo) == 0 &&
	    zo_parse_meminfo(meminfo, &mem) == 0)
		e.mem_available = mem.mem_available;
	e.budget = zo_swap_cost_budget(e.mem_available);
	e.max_bytes = zo_swap_cost_max_bytes(&e.kernel, e.budget);
	*ret = e;
	return 0;
}

char *zo_swap_estimate_text(const struct zo_swap_estimate *e)
{
	_cleanup_free_ char *parts = zo_swap_cost_parts(&e->cost);
	char size[32], page[32];

	zo_size_format_human(e->cost.total, size, sizeof(size));
	zo_size_format(e->kernel.page_size ? e->kernel.page_size : 4096, page, sizeof(page));
	return zo_asprintf("%s of RAM on this kernel (%" PRIu64 " bytes, %" PRIu64 ".%03" PRIu64
			   " bytes a %s page: %s%s)",
			   size, e->cost.total, e->cost.milli_per_page / 1000,
			   e->cost.milli_per_page % 1000, page, parts ? parts : "",
			   e->cost.assumed_swap_cgroup ? "; swap cgroup counted, as whether "
							 "swap accounting is on could not be read"
						       : "");
}
