#include "sys/thin.h"

#include <errno.h>
#include <libdevmapper.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util/macros.h"
#include "util/path.h"

#include "util/banned.h"

/* libdevmapper's log levels are syslog's, with a flag for "also to stderr"
 * (its private log.h, not in libdevmapper.h). */
#define DM_LOG_STDERR_FLAG 128
#define DM_LOG_ERR 3

/* libdevmapper's log callback (dm_log_with_errno_init) has no data
 * pointer, so what it logs can only reach us through a static: the one
 * mutable state beside the context (with dm_setup's once-flag for
 * libdevmapper's own process-wide settings). It holds the words of the
 * task being run, and each function below copies them into the caller's
 * ctx->error before returning a failure: nothing outside this file reads
 * them. */
static char last_error[512];
static int last_errno;

/* libdevmapper prints to stderr by default; keep its error text for our
 * own message instead, which names the command and what to do. */
ZO_PRINTF(5, 6) static void dm_log(int level, const char *file, int line, int dm_errno, const char *fmt, ...)
{
	va_list ap;

	(void)file;
	(void)line;
	if ((level & ~DM_LOG_STDERR_FLAG) > DM_LOG_ERR)
		return;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	if (dm_errno)
		last_errno = dm_errno;
}

/* The root's /dev and /sys for libdevmapper (both absolute: it refuses
 * relative directories); set before every task, as the root is the
 * caller's. */
static int dm_set_root(struct zo_ctx *ctx)
{
	_cleanup_free_ char *abs = NULL, *dev = NULL, *sys = NULL, *control = NULL;
	struct stat st;

	if (*ctx->root) {
		abs = realpath(ctx->root, NULL);
		if (!abs)
			return zo_fail(ctx, -errno, "--root %s: %s", ctx->root, strerror(errno));
	}
	dev = zo_path(abs, "/dev");
	sys = zo_path(abs, "/sys");
	control = zo_path(abs, "/dev/mapper/control");
	if (!dev || !sys || !control)
		return zo_fail(ctx, -ENOMEM, "out of memory");
	/* libdevmapper would make the missing node itself, writing into the
	 * tree a --root names and reaching this host's device-mapper. */
	if (abs && stat(control, &st) < 0)
		return zo_fail(ctx, -ENODEV, "%s: %s; there is no device-mapper under --root %s",
			       control, strerror(errno), ctx->root);
	if (!dm_set_dev_dir(dev) || !dm_set_sysfs_dir(sys))
		return zo_fail(ctx, -EINVAL, "libdevmapper refused the directories %s and %s",
			       dev, sys);
	return 0;
}

static int dm_setup(struct zo_ctx *ctx)
{
	static bool done;

	if (!done) {
		done = true;
		dm_log_with_errno_init(dm_log);
		/* Create /dev/mapper nodes ourselves rather than waiting for
		 * udev: it may not run at all (early boot, an initramfs), and
		 * tables refer to devices by major:minor anyway. */
		dm_udev_set_sync_support(0);
	}
	return dm_set_root(ctx);
}

/* A failed task: libdevmapper's words, else the errno's. */
static int dm_fail(struct zo_ctx *ctx, int r)
{
	return zo_fail(ctx, r, "%s", last_error[0] ? last_error : strerror(-r));
}

/* A task for `name` in *ret, or -errno with ctx->error set. */
static int task(struct zo_ctx *ctx, int type, const char *name, struct dm_task **ret)
{
	struct dm_task *dmt;
	int r;

	r = dm_setup(ctx);
	if (r < 0)
		return r;
	last_error[0] = '\0';
	last_errno = 0;
	dmt = dm_task_create(type);
	if (!dmt)
		return dm_fail(ctx, -ENOMEM);
	if (name && !dm_task_set_name(dmt, name)) {
		dm_task_destroy(dmt);
		return dm_fail(ctx, -EINVAL);
	}
	*ret = dmt;
	return 0;
}

/* Run and destroy the task; on failure ctx->error says why. */
static int run(struct zo_ctx *ctx, struct dm_task *dmt)
{
	int r = 0;

	if (!dm_task_run(dmt))
		r = last_errno ? -last_errno : -EIO;
	/* Without udev sync, node changes are only queued; apply them now so
	 * /dev/mapper/NAME exists (or is gone) when we return. */
	dm_task_update_nodes();
	return r < 0 ? dm_fail(ctx, r) : 0;
}

int zo_dm_info(struct zo_ctx *ctx, const char *name, struct zo_dm_info *ret)
{
	struct dm_task *dmt;
	struct dm_info info;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = task(ctx, DM_DEVICE_INFO, name, &dmt);
	if (r < 0)
		return r;
	r = run(ctx, dmt);
	if (r == 0 && !dm_task_get_info(dmt, &info))
		r = dm_fail(ctx, -EIO);
	if (r == 0 && info.exists) {
		ret->exists = true;
		ret->suspended = info.suspended;
		ret->devno = makedev(info.major, info.minor);
		ret->open_count = info.open_count;
		ret->target_count = info.target_count;
	}
	dm_task_destroy(dmt);
	return r;
}

int zo_dm_create(struct zo_ctx *ctx, const char *name, const char *target, uint64_t sectors,
		 const char *params, dev_t *ret_devno)
{
	struct dm_task *dmt;
	struct dm_info info;
	int r;

	r = task(ctx, DM_DEVICE_CREATE, name, &dmt);
	if (r < 0)
		return r;
	if (!dm_task_add_target(dmt, 0, sectors, target, params)) {
		dm_task_destroy(dmt);
		return dm_fail(ctx, -ENOMEM);
	}
	r = run(ctx, dmt);
	if (r == 0 && ret_devno) {
		if (dm_task_get_info(dmt, &info) && info.exists)
			*ret_devno = makedev(info.major, info.minor);
		else
			r = dm_fail(ctx, -EIO);
	}
	dm_task_destroy(dmt);
	/* A failed load leaves no device behind: libdevmapper removes the
	 * half-made one itself. */
	return r;
}

int zo_dm_message(struct zo_ctx *ctx, const char *name, const char *message)
{
	struct dm_task *dmt;
	int r;

	r = task(ctx, DM_DEVICE_TARGET_MSG, name, &dmt);
	if (r < 0)
		return r;
	if (!dm_task_set_sector(dmt, 0) || !dm_task_set_message(dmt, message)) {
		dm_task_destroy(dmt);
		return dm_fail(ctx, -ENOMEM);
	}
	r = run(ctx, dmt);
	dm_task_destroy(dmt);
	return r;
}

int zo_dm_remove(struct zo_ctx *ctx, const char *name)
{
	struct dm_task *dmt;
	int r;

	r = task(ctx, DM_DEVICE_REMOVE, name, &dmt);
	if (r < 0)
		return r;
	/* Something (blkid, a udev rule) may hold the device for a moment
	 * after we closed it. */
	dm_task_retry_remove(dmt);
	r = run(ctx, dmt);
	dm_task_destroy(dmt);
	return r;
}

static int first_target(struct zo_ctx *ctx, int type, const char *name, char **ret_type,
			uint64_t *ret_sectors, char **ret_params)
{
	struct dm_task *dmt;
	uint64_t start, length;
	char *ttype = NULL, *params = NULL, *t, *p;
	int r;

	r = task(ctx, type, name, &dmt);
	if (r < 0)
		return r;
	dm_task_no_open_count(dmt);
	r = run(ctx, dmt);
	if (r == 0) {
		dm_get_next_target(dmt, NULL, &start, &length, &ttype, &params);
		if (!ttype)
			r = dm_fail(ctx, -ENODATA);
	}
	if (r == 0) {
		t = strdup(ttype);
		p = strdup(params ? params : "");
		if (t && p) {
			*ret_type = t;
			*ret_params = p;
			if (ret_sectors)
				*ret_sectors = length;
		} else {
			free(t);
			free(p);
			r = dm_fail(ctx, -ENOMEM);
		}
	}
	dm_task_destroy(dmt);
	return r;
}

int zo_dm_status(struct zo_ctx *ctx, const char *name, char **ret_type, char **ret_params)
{
	return first_target(ctx, DM_DEVICE_STATUS, name, ret_type, NULL, ret_params);
}

int zo_dm_table(struct zo_ctx *ctx, const char *name, char **ret_type, uint64_t *ret_sectors,
		char **ret_params)
{
	return first_target(ctx, DM_DEVICE_TABLE, name, ret_type, ret_sectors, ret_params);
}
