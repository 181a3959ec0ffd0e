#include "ops/resultdir.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/dirat.h"
#include "util/file.h"
#include "util/str.h"

#include "util/banned.h"

int zo_results_open_root(struct zo_ctx *ctx, const char *root, int *ret_fd)
{
	_cleanup_free_ char *child = zo_asprintf("%s/x", root);
	int fd, r;

	if (!child)
		return zo_fail(ctx, -ENOMEM, "out of memory");
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		r = zo_mkdir_parents(child);
		if (r < 0)
			return zo_fail(ctx, r, "cannot create the results directory %s: %s", root,
				       strerror(-r));
		fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return zo_fail(ctx, -errno, "cannot open the results directory %s: %s; check "
					    "[paths] results",
			       root, strerror(errno));
	*ret_fd = fd;
	return 0;
}

int zo_results_open_dir(struct zo_ctx *ctx, const char *results_root, const char *relative_name,
			unsigned flags, int *ret_dirfd)
{
	_cleanup_close_ int root_fd = -1;
	unsigned bflags = ZO_BENEATH_CREATE | ((flags & ZO_RESULTS_NEW) ? ZO_BENEATH_NEW : 0);
	int fd, r;

	r = zo_results_open_root(ctx, results_root, &root_fd);
	if (r < 0)
		return r;
	r = zo_open_beneath(root_fd, relative_name, bflags, 0755, &fd);
	switch (r) {
	case 0:
		*ret_dirfd = fd;
		return 0;
	case -EINVAL:
		return zo_refuse(ctx, r, "refusing to write results to %s/%s: the name must be plain "
					 "file names (no '/' at either end, no '.' or '..', no empty "
					 "part); results stay inside %s",
				 results_root, relative_name, results_root);
	case -ELOOP:
	case -ENOTDIR:
		return zo_refuse(ctx, r, "refusing to write results to %s/%s: a symbolic link or a "
					 "file is in the way, and results are never written through "
					 "one; remove it",
				 results_root, relative_name);
	case -EEXIST:
		return zo_refuse(ctx, r, "refusing to write results to %s/%s: it exists already, and "
					 "two runs never share a results directory",
				 results_root, relative_name);
	default:
		return zo_fail(ctx, r, "cannot create the results directory %s/%s: %s",
			       results_root, relative_name, strerror(-r));
	}
}
