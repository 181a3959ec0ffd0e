#include "sys/thin.h"

#include <errno.h>
#include <libdevmapper.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util/macros.h"

#include "util/banned.h"

/* libdevmapper's log levels are syslog's, with a flag for "also to stderr"
 * (its private log.h, not in libdevmapper.h). */
#define DM_LOG_STDERR_FLAG 128
#define DM_LOG_ERR 3

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

static void dm_setup(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	dm_log_with_errno_init(dm_log);
	/* Create /dev/mapper nodes ourselves rather than waiting for udev: it
	 * may not run at all (early boot, an initramfs), and tables refer to
	 * devices by major:minor anyway. */
	dm_udev_set_sync_support(0);
}

const char *zo_dm_last_error(void)
{
	return last_error;
}

static struct dm_task *task(int type, const char *name)
{
	struct dm_task *dmt;

	dm_setup();
	last_error[0] = '\0';
	last_errno = 0;
	dmt = dm_task_create(type);
	if (!dmt)
		return NULL;
	if (name && !dm_task_set_name(dmt, name)) {
		dm_task_destroy(dmt);
		return NULL;
	}
	return dmt;
}

static int run(struct dm_task *dmt)
{
	int r = 0;

	if (!dm_task_run(dmt))
		r = last_errno ? -last_errno : -EIO;
	/* Without udev sync, node changes are only queued; apply them now so
	 * /dev/mapper/NAME exists (or is gone) when we return. */
	dm_task_update_nodes();
	return r;
}

int zo_dm_info(const char *name, struct zo_dm_info *ret)
{
	struct dm_task *dmt = task(DM_DEVICE_INFO, name);
	struct dm_info info;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!dmt)
		return -ENOMEM;
	r = run(dmt);
	if (r == 0 && !dm_task_get_info(dmt, &info))
		r = -EIO;
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

int zo_dm_create(const char *name, const char *target, uint64_t sectors, const char *params,
		 dev_t *ret_devno)
{
	struct dm_task *dmt = task(DM_DEVICE_CREATE, name);
	struct dm_info info;
	int r;

	if (!dmt)
		return -ENOMEM;
	if (!dm_task_add_target(dmt, 0, sectors, target, params)) {
		dm_task_destroy(dmt);
		return -ENOMEM;
	}
	r = run(dmt);
	if (r == 0 && ret_devno) {
		if (dm_task_get_info(dmt, &info) && info.exists)
			*ret_devno = makedev(info.major, info.minor);
		else
			r = -EIO;
	}
	dm_task_destroy(dmt);
	/* A failed load leaves no device behind: libdevmapper removes the
	 * half-made one itself. */
	return r;
}

int zo_dm_message(const char *name, const char *message)
{
	struct dm_task *dmt = task(DM_DEVICE_TARGET_MSG, name);
	int r;

	if (!dmt)
		return -ENOMEM;
	if (!dm_task_set_sector(dmt, 0) || !dm_task_set_message(dmt, message)) {
		dm_task_destroy(dmt);
		return -ENOMEM;
	}
	r = run(dmt);
	dm_task_destroy(dmt);
	return r;
}

int zo_dm_remove(const char *name)
{
	struct dm_task *dmt = task(DM_DEVICE_REMOVE, name);
	int r;

	if (!dmt)
		return -ENOMEM;
	/* Something (blkid, a udev rule) may hold the device for a moment
	 * after we closed it. */
	dm_task_retry_remove(dmt);
	r = run(dmt);
	dm_task_destroy(dmt);
	return r;
}

static int first_target(int type, const char *name, char **ret_type, uint64_t *ret_sectors,
			char **ret_params)
{
	struct dm_task *dmt = task(type, name);
	uint64_t start, length;
	char *ttype = NULL, *params = NULL;
	int r;

	if (!dmt)
		return -ENOMEM;
	dm_task_no_open_count(dmt);
	r = run(dmt);
	if (r == 0) {
		dm_get_next_target(dmt, NULL, &start, &length, &ttype, &params);
		if (!ttype)
			r = -ENODATA;
	}
	if (r == 0) {
		*ret_type = strdup(ttype);
		*ret_params = strdup(params ? params : "");
		if (ret_sectors)
			*ret_sectors = length;
		if (!*ret_type || !*ret_params) {
			free(*ret_type);
			free(*ret_params);
			r = -ENOMEM;
		}
	}
	dm_task_destroy(dmt);
	return r;
}

int zo_dm_status(const char *name, char **ret_type, char **ret_params)
{
	return first_target(DM_DEVICE_STATUS, name, ret_type, NULL, ret_params);
}

int zo_dm_table(const char *name, char **ret_type, uint64_t *ret_sectors, char **ret_params)
{
	return first_target(DM_DEVICE_TABLE, name, ret_type, ret_sectors, ret_params);
}
