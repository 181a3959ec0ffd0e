#include "ops/lock.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "util/file.h"
#include "util/path.h"
#include "util/str.h"

#include "util/banned.h"

char *zo_host_lock_path(const struct zo_ctx *ctx)
{
	const char *state = ctx->config ? zo_config_get(ctx->config, "paths", "state") : NULL;
	_cleanup_free_ char *rel = zo_asprintf("%s/lock", state && *state ? state : "/var/lib/zsim");

	return rel ? zo_path(ctx->root, rel) : NULL;
}

/* "pid 1234 (zsim-orch thin create)", or what can be said without it. */
static char *describe_holder(int fd)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid;
	char *end;

	if (n <= 0)
		return strdup("another zsim-orch (it did not say which)");
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	pid = strtol(buf, &end, 10);
	if (end == buf || pid <= 0 || *end != ' ')
		return strdup("another zsim-orch (it did not say which)");
	return zo_asprintf("pid %ld (zsim-orch %s)", pid, end + 1);
}

/* Whether fd is still the file at path: the holder unlinks the file when it
 * lets go, so a waiter may wake up holding a lock on a file nobody else
 * will ever open. */
static bool still_linked(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static int lock_once(struct zo_ctx *ctx, const char *path, int *ret_fd)
{
	_cleanup_free_ char *holder = NULL;
	_cleanup_close_ int fd = -1;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return zo_fail(ctx, -errno, "cannot open the host lock %s: %s", path,
			       strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			return zo_fail(ctx, -errno, "cannot lock %s: %s", path, strerror(errno));
		holder = describe_holder(fd);
		if (!ctx->lock_wait)
			return zo_refuse(ctx, -EBUSY,
					 "another command is changing this host: %s holds %s; "
					 "wait for it to finish, or pass --wait to queue behind it",
					 holder ? holder : "another zsim-orch", path);
		/* a phase: serve's STATUS= and queue ls show it too */
		zo_phase(ctx, "waiting for %s to release the host lock",
			 holder ? holder : "another zsim-orch");
		while (flock(fd, LOCK_EX) < 0)
			if (errno != EINTR) {
				zo_progress_end(ctx);
				return zo_fail(ctx, -errno, "cannot lock %s: %s", path,
					       strerror(errno));
			}
		zo_progress_end(ctx);
	}
	if (!still_linked(fd, path))
		return 0; /* the holder removed it as we waited: try again */
	*ret_fd = TAKE_FD(fd);
	return 1;
}

int zo_host_lock(struct zo_ctx *ctx, const char *what)
{
	_cleanup_free_ char *path = zo_host_lock_path(ctx);
	_cleanup_free_ char *text = NULL;
	int fd = -1, r;

	if (ctx->lock_fd >= 0)
		return 0;
	if (!path)
		return zo_fail(ctx, -ENOMEM, "out of memory");
	r = zo_mkdir_parents(path);
	if (r < 0)
		return zo_fail(ctx, r, "cannot create the directory of the host lock %s: %s",
			       path, strerror(-r));
	do {
		r = lock_once(ctx, path, &fd);
		if (r < 0)
			return r;
	} while (r == 0);
	/* Only the holder writes, so a reader sees the holder's line or an
	 * empty file, never half of two. */
	text = zo_asprintf("%ld %s\n", (long)getpid(), what);
	if (!text || ftruncate(fd, 0) < 0 || pwrite(fd, text, strlen(text), 0) < 0)
		zo_debug(&ctx->log, "cannot record the lock holder in %s", path);
	ctx->lock_fd = fd;
	return 0;
}

void zo_host_unlock(struct zo_ctx *ctx)
{
	_cleanup_free_ char *path = zo_host_lock_path(ctx);

	if (ctx->lock_fd < 0)
		return;
	/* Removed while still held, so no one can lock this file after us
	 * (a waiter on it sees it unlinked and opens a new one): the host
	 * keeps no trace of a command that has finished. */
	if (path && still_linked(ctx->lock_fd, path) && unlink(path) < 0)
		zo_debug(&ctx->log, "cannot remove the host lock %s: %s", path, strerror(errno));
	close(ctx->lock_fd);
	ctx->lock_fd = -1;
}
