/* The safety rule as the storage operations apply it, and setup: swap add
 * for each swap device, thin create on the mapper device, then swap on,
 * with every device checked before any is touched. */
#include "ops/storage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/safety.h"
#include "ops/home.h"

#include "util/banned.h"

int zo_fail_as_usage(struct zo_ctx *ctx, int r)
{
	ctx->fail_kind = ZO_FAIL_USAGE;
	return r;
}

int zo_storage_check(struct zo_ctx *ctx, const struct zo_blockdev *d, const char *purpose,
		     bool force, const char *suffix, char **ret_warning)
{
	struct zo_device_facts facts = { 0 };
	_cleanup_free_ char *msg = NULL;
	enum zo_safety verdict;
	int r;

	r = zo_blockdev_facts(ctx->root, d, &facts);
	if (r < 0)
		return zo_fail(ctx, r, "cannot inspect %s: %s", d->devnode, strerror(-r));
	r = zo_safety_check(&facts, purpose, force, &verdict, &msg);
	zo_device_facts_release(&facts);
	if (r < 0)
		return zo_fail(ctx, r, "cannot check %s: %s", d->devnode, strerror(-r));
	if (verdict == ZO_REFUSED || verdict == ZO_REFUSED_ALWAYS)
		return zo_refuse(ctx, -EPERM, "%s%s", msg, suffix);
	*ret_warning = verdict == ZO_SAFE_FORCED ? TAKE_PTR(msg) : NULL;
	return 0;
}

struct planned {
	const char *spec;
	const char *purpose;
	bool thin;
	const struct zo_home *home; /* the home device */
	struct zo_blockdev dev;
};

/* True when `p` is already what setup would make of it: a swap header
 * whose UUID is recorded, or the recorded thin pool's data device. */
static bool already_ours(struct zo_ctx *ctx, const struct planned *p)
{
	const char *data = zo_config_get(ctx->config, "thin", "data");
	struct zo_blockdev recorded = { 0 };
	bool ours;

	if (!p->thin)
		return zo_swap_is_ours(ctx, &p->dev, NULL);
	if (!data || !*data || zo_blockdev_resolve(ctx->root, data, &recorded) < 0)
		return false;
	ours = recorded.devno == p->dev.devno;
	zo_blockdev_release(&recorded);
	return ours;
}

static int check_one(struct zo_ctx *ctx, struct planned *plan, size_t i, bool force)
{
	_cleanup_free_ char *warning = NULL;
	struct zo_thin_create c;
	size_t j;
	int r;

	r = zo_blockdev_resolve(ctx->root, plan[i].spec, &plan[i].dev);
	if (r < 0) {
		zo_fail(ctx, r, "%s: %s; nothing was changed", plan[i].spec,
			r == -ENOENT    ? "no such device"
			: r == -ENOTBLK ? "not a block device"
			: r == -EINVAL  ? "not a device name"
					: strerror(-r));
		return r == -EINVAL ? zo_fail_as_usage(ctx, r) : r;
	}
	for (j = 0; j < i; j++)
		if (plan[j].dev.devno == plan[i].dev.devno)
			return zo_fail_as_usage(ctx, zo_fail(ctx, -EINVAL, "%s and %s are the same "
									   "device; nothing was "
									   "changed",
							     plan[j].spec, plan[i].spec));
	if (plan[i].home)
		return zo_home_check(ctx, plan[i].home);
	if (already_ours(ctx, &plan[i]))
		return 0;
	r = zo_storage_check(ctx, &plan[i].dev, plan[i].purpose, force, "; nothing was changed",
			     &warning);
	if (r < 0 || !plan[i].thin)
		return r;
	/* The RAM swapon will take, before any device is written. */
	zo_thin_create_defaults(ctx, plan[i].spec, &c);
	return zo_thin_swap_cost_check(ctx, &plan[i].dev, c.virtual_bytes, false,
				       "; nothing was changed");
}

static int setup_one(struct zo_ctx *ctx, const struct planned *p, bool force)
{
	struct zo_swap_add a = { .device = p->spec, .force = force };
	struct zo_thin_create c;

	if (p->home)
		return zo_home_setup(ctx, p->home);
	if (!p->thin)
		return zo_swap_add(ctx, &a);
	zo_thin_create_defaults(ctx, p->spec, &c);
	c.force = force;
	return zo_thin_create(ctx, &c);
}

int zo_setup(struct zo_ctx *ctx, char *const *swap, size_t n_swap, const char *mapper,
	     const struct zo_home *home, bool force)
{
	size_t n = n_swap + (mapper ? 1 : 0) + (home ? 1 : 0), i;
	struct planned *plan = calloc(n ? n : 1, sizeof(*plan));
	int r = 0;

	if (!plan)
		return zo_fail(ctx, -ENOMEM, "out of memory");
	for (i = 0; i < n_swap; i++) {
		plan[i].spec = swap[i];
		plan[i].purpose = "swap";
	}
	if (mapper) {
		plan[n_swap].spec = mapper;
		plan[n_swap].purpose = "the thin pool's data";
		plan[n_swap].thin = true;
	}
	if (home) {
		plan[n - 1].spec = home->device;
		plan[n - 1].purpose = "the home filesystem";
		plan[n - 1].home = home;
	}
	/* Resolve and safety-check every device; nothing is written. */
	for (i = 0; r >= 0 && i < n; i++)
		r = check_one(ctx, plan, i, force);
	for (i = 0; r >= 0 && i < n; i++)
		r = setup_one(ctx, &plan[i], force);
	/* After a reboot the pool comes back without its swap turned on. */
	if (r >= 0 && !ctx->dry_run && (n_swap || mapper))
		r = zo_swap_on_recorded(ctx);
	for (i = 0; i < n; i++)
		zo_blockdev_release(&plan[i].dev);
	free(plan);
	return r < 0 ? r : 0;
}
