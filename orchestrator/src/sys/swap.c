#include "sys/swap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <unistd.h>

#include "core/procfs.h"
#include "util/file.h"
#include "util/macros.h"
#include "util/path.h"

#include "util/banned.h"

#ifndef SWAP_FLAG_DISCARD
#define SWAP_FLAG_DISCARD 0x10000
#endif

/* The layout mkswap writes and the kernel reads (include/linux/swap.h,
 * union swap_header): the first 1 KiB is left for boot loaders and disk
 * labels, the magic ends the first page. */
struct swap_header_v1 {
	char bootbits[1024];
	uint32_t version;
	uint32_t last_page;
	uint32_t nr_badpages;
	unsigned char uuid[16];
	char volume_name[16];
	uint32_t padding[117];
	uint32_t badpages[1];
};

#define SWAP_MAGIC "SWAPSPACE2"
#define SWAP_MIN_PAGES 10 /* what mkswap requires */

static int random_uuid(unsigned char uuid[16])
{
	_cleanup_close_ int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -errno;
	while (got < 16) {
		ssize_t n = read(fd, uuid + got, 16 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		got += (size_t)n;
	}
	uuid[6] = (unsigned char)((uuid[6] & 0x0f) | 0x40); /* version 4 */
	uuid[8] = (unsigned char)((uuid[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	return 0;
}

int zo_swap_write_header(const char *devnode, uint64_t size, const char *label,
			 char ret_uuid[37])
{
	long page = sysconf(_SC_PAGESIZE);
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -1;
	struct swap_header_v1 *h;
	uint64_t pages;
	ssize_t n;
	int r;

	if (page < (long)sizeof(struct swap_header_v1))
		return -EINVAL;
	pages = size / (uint64_t)page;
	if (pages < SWAP_MIN_PAGES)
		return -ENOSPC;
	if (pages - 1 > UINT32_MAX)
		pages = (uint64_t)UINT32_MAX + 1; /* the header cannot say more */
	if (label && strlen(label) > ZO_SWAP_LABEL_MAX)
		return -ENAMETOOLONG;
	buf = calloc(1, (size_t)page);
	if (!buf)
		return -ENOMEM;
	h = (struct swap_header_v1 *)buf;
	h->version = 1;
	h->last_page = (uint32_t)(pages - 1);
	h->nr_badpages = 0;
	r = random_uuid(h->uuid);
	if (r < 0)
		return r;
	if (label)
		memcpy(h->volume_name, label, strlen(label));
	memcpy(buf + page - 10, SWAP_MAGIC, 10);

	/* O_EXCL: the kernel refuses if anything holds the device. */
	fd = open(devnode, O_WRONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pwrite(fd, buf, (size_t)page, 0);
	if (n < 0)
		return -errno;
	if (n != page)
		return -EIO;
	if (fsync(fd) < 0)
		return -errno;
	snprintf(ret_uuid, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 h->uuid[0], h->uuid[1], h->uuid[2], h->uuid[3], h->uuid[4], h->uuid[5],
		 h->uuid[6], h->uuid[7], h->uuid[8], h->uuid[9], h->uuid[10], h->uuid[11],
		 h->uuid[12], h->uuid[13], h->uuid[14], h->uuid[15]);
	return 0;
}

int zo_swap_on(const char *devnode, int priority, bool discard)
{
	int flags = 0;

	if (priority >= 0)
		flags |= SWAP_FLAG_PREFER |
			 ((priority << SWAP_FLAG_PRIO_SHIFT) & SWAP_FLAG_PRIO_MASK);
	if (discard)
		flags |= SWAP_FLAG_DISCARD;
	return swapon(devnode, flags) < 0 ? -errno : 0;
}

int zo_swap_off(const char *devnode)
{
	return swapoff(devnode) < 0 ? -errno : 0;
}

int zo_swap_is_active(const char *root, const char *devnode)
{
	_cleanup_free_ char *path = zo_path(root, "/proc/swaps");
	_cleanup_free_ char *text = NULL;
	struct zo_swap_entry *v = NULL;
	struct stat want, st;
	size_t n = 0, i;
	int r, found = 0;

	if (!path)
		return -ENOMEM;
	if (stat(devnode, &want) < 0)
		return -errno;
	r = zo_read_file(path, 1 << 20, &text, NULL);
	if (r < 0)
		return r;
	r = zo_parse_swaps(text, &v, &n);
	if (r < 0)
		return r;
	for (i = 0; i < n && !found; i++)
		if (stat(v[i].filename, &st) == 0 && S_ISBLK(st.st_mode) &&
		    st.st_rdev == want.st_rdev)
			found = 1;
	zo_swap_entries_free(v, n);
	return found;
}
