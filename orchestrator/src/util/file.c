#include "file.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macros.h"
#include "str.h"

#include "banned.h"

int zo_read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		ssize_t n;

		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *nbuf;

			if (ncap > max + 1)
				ncap = max + 1;
			if (ncap <= len)
				return -EFBIG;
			nbuf = realloc(buf, ncap + 1);
			if (!nbuf)
				return -ENOMEM;
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return -EFBIG;
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int zo_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return zo_read_fd(fd, max, ret, ret_len);
}

int zo_read_line(const char *path, char **ret)
{
	char *buf = NULL;
	int r = zo_read_file(path, 1 << 16, &buf, NULL);

	if (r < 0)
		return r;
	buf[strcspn(buf, "\n")] = '\0';
	*ret = buf;
	return 0;
}

int zo_mkdir_parents(const char *path)
{
	_cleanup_free_ char *copy = strdup(path);
	char *p;

	if (!copy)
		return -ENOMEM;
	for (p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_replace(const char *path, const char *text, bool durable)
{
	_cleanup_free_ char *tmp = zo_asprintf("%s.XXXXXX", path);
	_cleanup_free_ char *dir_copy = strdup(path);
	_cleanup_close_ int fd = -1, dfd = -1;
	int r;

	if (!tmp || !dir_copy)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = write_all(fd, text, strlen(text));
	if (r == 0 && fchmod(fd, 0644) < 0)
		r = -errno;
	if (r == 0 && durable && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	if (!durable)
		return 0;
	dfd = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
	return 0;
}

int zo_write_file_atomic(const char *path, const char *text)
{
	return write_replace(path, text, true);
}

int zo_write_file_replace(const char *path, const char *text)
{
	return write_replace(path, text, false);
}

int zo_syncfs(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return syncfs(fd) < 0 ? -errno : 0;
}

int zo_create_new_at(int dirfd, const char *name, unsigned mode)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
			(mode_t)mode);

	return fd < 0 ? -errno : fd;
}

int zo_write_new_at(int dirfd, const char *name, const char *text)
{
	_cleanup_close_ int fd = zo_create_new_at(dirfd, name, 0644);
	int r;

	if (fd < 0)
		return fd;
	r = write_all(fd, text, strlen(text));
	if (r == 0 && close(TAKE_FD(fd)) < 0)
		r = -errno;
	return r;
}

int zo_write_file(const char *path, const void *buf, size_t len)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY,
				      0666);
	int r;

	if (fd < 0)
		return -errno;
	r = write_all(fd, buf, len);
	if (r == 0 && close(TAKE_FD(fd)) < 0)
		r = -errno;
	return r;
}

int zo_copy_file(const char *from, const char *to, unsigned mode)
{
	return zo_copy_file_progress(from, to, mode, NULL, NULL);
}

int zo_copy_file_progress(const char *from, const char *to, unsigned mode,
			  zo_copy_progress_fn progress, void *userdata)
{
	_cleanup_free_ char *buf = malloc(1 << 20);
	_cleanup_close_ int in = -1, out = -1;
	uint64_t done = 0, total = 0;
	struct stat st;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	in = open(from, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (in < 0)
		return -errno;
	if (fstat(in, &st) == 0 && S_ISREG(st.st_mode))
		total = (uint64_t)st.st_size;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, (mode_t)mode);
	if (out < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(in, buf, 1 << 20);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		r = write_all(out, buf, (size_t)n);
		if (r < 0)
			return r;
		done += (uint64_t)n;
		if (progress)
			progress(userdata, done, total);
	}
	if (fsync(out) < 0 || close(TAKE_FD(out)) < 0)
		return -errno;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int zo_dir_list(const char *path, const char *prefix, char ***ret)
{
	char **v = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d)
		return -errno;
	v = calloc(1, sizeof(*v));
	if (!v)
		goto oom;
	while ((de = readdir(d))) {
		char **nv;

		if (de->d_name[0] == '.' || !zo_startswith(de->d_name, prefix))
			continue;
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv)
			goto oom;
		v = nv;
		v[n] = strdup(de->d_name);
		if (!v[n])
			goto oom;
		v[++n] = NULL;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_str);
	*ret = v;
	return (int)n;
oom:
	closedir(d);
	zo_strv_free(v);
	return -ENOMEM;
}
