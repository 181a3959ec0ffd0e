#include "util/dirat.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/macros.h"

#include "util/banned.h"

bool zo_component_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= 255 && !strchr(name, '/') && strcmp(name, ".") &&
	       strcmp(name, "..");
}

int zo_open_beneath(int dirfd, const char *relative, unsigned flags, mode_t mode, int *ret_fd)
{
	_cleanup_free_ char *copy = strdup(relative);
	_cleanup_close_ int fd = -1;
	char *comp, *next;
	int at = dirfd;

	if (!copy)
		return -ENOMEM;
	for (comp = copy; comp; comp = next) {
		int nfd;

		next = strchr(comp, '/');
		if (next)
			*next++ = '\0';
		if (!zo_component_ok(comp))
			return -EINVAL;
		if ((flags & ZO_BENEATH_CREATE) && mkdirat(at, comp, mode) < 0) {
			struct stat st;

			if (errno != EEXIST)
				return -errno;
			/* say "a link" rather than "exists" for one */
			if (fstatat(at, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
				return -ELOOP;
			if (!next && (flags & ZO_BENEATH_NEW))
				return -EEXIST;
		}
		/* a symbolic link fails here, whatever it points at */
		nfd = openat(at, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			struct stat st;
			int r = -errno;

			/* O_DIRECTORY makes it ENOTDIR: say ELOOP for a link */
			if (r == -ENOTDIR && fstatat(at, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode))
				r = -ELOOP;
			return r;
		}
		if (fd >= 0)
			close(fd);
		at = fd = nfd;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}
