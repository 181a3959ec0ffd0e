#include "sys/sysfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "util/file.h"
#include "util/macros.h"
#include "util/path.h"
#include "util/str.h"

#include "util/banned.h"

/* A file of the kernel: /proc and /sys files are regular files whose
 * size stat does not know, so read to the end, but never more than `max`,
 * and never wait on a FIFO put in the place of one. */
int zo_sysfs_read_max(const char *root, const char *abs, size_t max, char **ret)
{
	_cleanup_free_ char *p = zo_path(root, abs);
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (!p)
		return -ENOMEM;
	/* stat first: even opened without blocking, a FIFO's other end
	 * would see a reader come and go */
	if (stat(p, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -ZO_ENOTREG;
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) /* replaced meanwhile */
		return S_ISDIR(st.st_mode) ? -EISDIR : -ZO_ENOTREG;
	return zo_read_fd(fd, max, ret, NULL);
}

int zo_sysfs_read(const char *root, const char *abs, char **ret)
{
	return zo_sysfs_read_max(root, abs, 4 * 1024 * 1024, ret);
}

int zo_sysfs_read_line(const char *root, const char *abs, char **ret)
{
	int r = zo_sysfs_read_max(root, abs, 64 * 1024, ret);

	if (r == 0)
		(*ret)[strcspn(*ret, "\n")] = '\0';
	return r;
}

int zo_sysfs_exists(const char *root, const char *abs)
{
	_cleanup_free_ char *p = zo_path(root, abs);
	struct stat st;

	if (!p)
		return -ENOMEM;
	if (stat(p, &st) == 0)
		return 1;
	return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
}

int zo_sysfs_list(const char *root, const char *abs, const char *prefix,
		  char ***ret)
{
	_cleanup_free_ char *p = zo_path(root, abs);

	return p ? zo_dir_list(p, prefix, ret) : -ENOMEM;
}

int zo_tsc_khz(const char *root, unsigned long long *ret, const char **ret_source)
{
	_cleanup_free_ char *text = NULL;
	struct timespec a, b, pause = { 0, 100 * 1000 * 1000 };
	unsigned long long t0, t1, ns;

	if (zo_sysfs_read_line(root, "/sys/devices/system/cpu/cpu0/tsc_freq_khz", &text) == 0 &&
	    sscanf(text, "%llu", ret) == 1 && *ret > 0) {
		*ret_source = "kernel";
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC_RAW, &a);
	t0 = __builtin_ia32_rdtsc();
	nanosleep(&pause, NULL);
	clock_gettime(CLOCK_MONOTONIC_RAW, &b);
	t1 = __builtin_ia32_rdtsc();
	ns = (unsigned long long)(b.tv_sec - a.tv_sec) * 1000000000ULL +
	     (unsigned long long)(b.tv_nsec - a.tv_nsec);
	if (!ns)
		return -EIO;
	*ret = (t1 - t0) * 1000000ULL / ns;
	*ret_source = "measured";
	return 0;
}

void zo_tsc_sample(struct zo_tsc_sample *ret)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_RAW, &t);
	ret->tsc = __builtin_ia32_rdtsc();
	ret->ns = (unsigned long long)t.tv_sec * 1000000000ULL + (unsigned long long)t.tv_nsec;
}

int zo_tsc_khz_since(const char *root, const struct zo_tsc_sample *start,
		     unsigned long long min_ms, unsigned long long *ret, const char **ret_source)
{
	_cleanup_free_ char *text = NULL;
	struct zo_tsc_sample now;

	if (zo_sysfs_read_line(root, "/sys/devices/system/cpu/cpu0/tsc_freq_khz", &text) == 0 &&
	    sscanf(text, "%llu", ret) == 1 && *ret > 0) {
		*ret_source = "kernel";
		return 0;
	}
	zo_tsc_sample(&now);
	if (!start->ns || now.ns - start->ns < min_ms * 1000000ULL || now.tsc <= start->tsc)
		return zo_tsc_khz(root, ret, ret_source);
	/* cycles per ms, without overflowing 64 bits for runs of days */
	*ret = (unsigned long long)((long double)(now.tsc - start->tsc) * 1000000.0L /
				    (long double)(now.ns - start->ns));
	*ret_source = "measured over the run";
	return 0;
}

int zo_sysfs_write(const char *root, const char *abs, const char *value)
{
	_cleanup_free_ char *p = zo_path(root, abs);
	size_t len = strlen(value);
	ssize_t n;
	int fd, r = 0;

	if (!p)
		return -ENOMEM;
	fd = open(p, O_WRONLY | O_CLOEXEC | O_TRUNC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

bool zo_kvm_usable(const char *root)
{
	_cleanup_free_ char *p = zo_path(root, "/dev/kvm");
	int fd, vm;
	bool ok = false;

	if (!p)
		return false;
	fd = open(p, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION) {
		vm = ioctl(fd, KVM_CREATE_VM, 0);
		if (vm >= 0) {
			int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);

			ok = vcpu >= 0;
			if (ok)
				close(vcpu);
			close(vm);
		}
	}
	close(fd);
	return ok;
}
