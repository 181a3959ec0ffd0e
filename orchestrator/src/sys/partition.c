#include "sys/partition.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/macros.h"

#include "util/banned.h"

static int write_all(int fd, const unsigned char *buf, size_t len, uint64_t offset)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, buf, len, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

int zo_partition_write_table(const char *devnode, const unsigned char *head, size_t head_len,
			     const unsigned char *tail, size_t tail_len, uint64_t tail_offset)
{
	_cleanup_close_ int fd = open(devnode, O_RDWR | O_EXCL | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = write_all(fd, head, head_len, 0);
	if (r == 0)
		r = write_all(fd, tail, tail_len, tail_offset);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && ioctl(fd, BLKRRPART) < 0)
		r = -errno;
	return r;
}
