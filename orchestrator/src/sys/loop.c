#include "sys/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sys/sysfs.h"
#include "util/file.h"
#include "util/macros.h"
#include "util/path.h"
#include "util/str.h"

#include "util/banned.h"

int zo_loop_find(const char *root, const char *file, char **ret_devnode, dev_t *ret_devno)
{
	_cleanup_free_ char *path = zo_path(root, file);
	char **names = NULL;
	struct stat want;
	int n, i, r = -ENOENT;

	if (!path)
		return -ENOMEM;
	if (stat(path, &want) < 0)
		return -errno;
	n = zo_sysfs_list(root, "/sys/block", "loop", &names);
	if (n < 0)
		return n == -ENOENT ? -ENOENT : n;
	for (i = 0; i < n && r == -ENOENT; i++) {
		_cleanup_free_ char *abs = zo_asprintf("/dev/%s", names[i]);
		_cleanup_free_ char *node = abs ? zo_path(root, abs) : NULL;
		struct loop_info64 info;
		struct stat st;
		int fd;

		if (!node) {
			r = -ENOMEM;
			break;
		}
		fd = open(node, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* The inode, not the path: the file may have been reached
		 * through another name when it was attached. */
		if (ioctl(fd, LOOP_GET_STATUS64, &info) == 0 &&
		    info.lo_inode == want.st_ino && info.lo_device == want.st_dev &&
		    fstat(fd, &st) == 0) {
			*ret_devnode = node;
			node = NULL;
			*ret_devno = st.st_rdev;
			r = 0;
		}
		close(fd);
	}
	zo_strv_free(names);
	return r;
}

int zo_loop_attach(const char *root, const char *file, char **ret_devnode, dev_t *ret_devno,
		   int *ret_fd)
{
	_cleanup_free_ char *path = zo_path(root, file);
	_cleanup_free_ char *ctl_path = zo_path(root, "/dev/loop-control");
	int ctl, backing, attempt, r = -EBUSY;

	if (!path || !ctl_path)
		return -ENOMEM;
	backing = open(path, O_RDWR | O_CLOEXEC);
	if (backing < 0)
		return -errno;
	ctl = open(ctl_path, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		r = -errno;
		close(backing);
		return r;
	}
	/* Another process may take the free device between GET_FREE and
	 * SET_FD; it then fails with EBUSY and we ask again. */
	for (attempt = 0; attempt < 16; attempt++) {
		struct loop_info64 info;
		_cleanup_free_ char *abs = NULL, *node = NULL;
		struct stat st;
		int nr, fd;

		nr = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (nr < 0) {
			r = -errno;
			break;
		}
		abs = zo_asprintf("/dev/loop%d", nr);
		node = abs ? zo_path(root, abs) : NULL;
		if (!node) {
			r = -ENOMEM;
			break;
		}
		fd = open(node, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			break;
		}
		if (ioctl(fd, LOOP_SET_FD, backing) < 0) {
			r = -errno;
			close(fd);
			if (r == -EBUSY)
				continue;
			break;
		}
		memset(&info, 0, sizeof(info));
		info.lo_flags = LO_FLAGS_AUTOCLEAR;
		snprintf((char *)info.lo_file_name, sizeof(info.lo_file_name), "%s", file);
		if (ioctl(fd, LOOP_SET_STATUS64, &info) < 0 || fstat(fd, &st) < 0) {
			r = -errno;
			ioctl(fd, LOOP_CLR_FD, 0);
			close(fd);
			break;
		}
		*ret_devnode = node;
		node = NULL;
		*ret_devno = st.st_rdev;
		*ret_fd = fd;
		r = 0;
		break;
	}
	close(ctl);
	close(backing);
	return r;
}

int zo_loop_detach(const char *devnode)
{
	int fd = open(devnode, O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, LOOP_CLR_FD, 0) < 0 && errno != ENXIO)
		r = -errno;
	close(fd);
	return r;
}

int zo_loop_create_backing(const char *root, const char *file, uint64_t size)
{
	_cleanup_free_ char *path = zo_path(root, file);
	int fd, r;

	if (!path)
		return -ENOMEM;
	r = zo_mkdir_parents(path);
	if (r < 0)
		return r;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	r = posix_fallocate(fd, 0, (off_t)size);
	if (r == 0 && fsync(fd) < 0)
		r = errno;
	close(fd);
	if (r) {
		unlink(path);
		return -r;
	}
	return 0;
}

void zo_loop_release(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int zo_loop_remove_backing(const char *root, const char *file)
{
	_cleanup_free_ char *path = zo_path(root, file);

	if (!path)
		return -ENOMEM;
	return unlink(path) < 0 ? -errno : 0;
}

int zo_read_head(const char *path, unsigned char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int r = 0;

	if (fd < 0)
		return -errno;
	n = pread(fd, buf, len, 0);
	if (n < 0)
		r = -errno;
	else if ((size_t)n < len)
		memset(buf + n, 0, len - (size_t)n);
	close(fd);
	return r;
}

int zo_zero_head(const char *path, size_t len)
{
	unsigned char zeros[4096] = { 0 };
	size_t done = 0;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	while (done < len && r == 0) {
		size_t chunk = len - done < sizeof(zeros) ? len - done : sizeof(zeros);
		ssize_t n = pwrite(fd, zeros, chunk, (off_t)done);

		if (n <= 0)
			r = n < 0 ? -errno : -EIO;
		else
			done += (size_t)n;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}
