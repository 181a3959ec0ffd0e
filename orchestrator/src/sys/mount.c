#include "sys/mount.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>

#include "util/file.h"
#include "util/macros.h"
#include "util/path.h"

#include "util/banned.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* Call `fn` for each mount: its mount point and device; stop when it
 * returns non-zero, which is returned. */
static int each_mount(const char *root, int (*fn)(const char *mnt, dev_t devno, void *data),
		      void *data)
{
	_cleanup_free_ char *path = zo_path(root, "/proc/self/mountinfo");
	_cleanup_free_ char *text = NULL;
	char *line, *next;
	int r = 0;

	if (!path)
		return -ENOMEM;
	r = zo_read_file(path, 16 * 1024 * 1024, &text, NULL);
	if (r < 0)
		return r;
	for (line = text; r == 0 && line && *line; line = next) {
		unsigned ma, mi;
		char mnt[PATH_MAX];

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* "36 35 98:0 /mnt1 /mnt/parent rw ..." */
		if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &ma, &mi, mnt) != 3)
			continue;
		unescape(mnt);
		r = fn(mnt, makedev(ma, mi), data);
	}
	return r;
}

struct lookup {
	const char *path;
	bool found;
	dev_t devno;
	char *below;
};

static int is_point(const char *mnt, dev_t devno, void *data)
{
	struct lookup *l = data;

	/* the last mount on a path is the one seen there */
	if (!strcmp(mnt, l->path)) {
		l->found = true;
		l->devno = devno;
	}
	return 0;
}

int zo_mount_point(const char *root, const char *path, dev_t *ret_devno)
{
	_cleanup_free_ char *real = zo_path(root, path);
	struct lookup l = { real, false, 0, NULL };
	int r;

	if (!real)
		return -ENOMEM;
	r = each_mount(root, is_point, &l);
	if (r < 0)
		return r;
	if (!l.found)
		return 0;
	*ret_devno = major(l.devno) ? l.devno : 0;
	return 1;
}

static int under(const char *mnt, dev_t devno, void *data)
{
	struct lookup *l = data;
	size_t n = strlen(l->path);

	(void)devno;
	if (strncmp(mnt, l->path, n) || mnt[n] != '/')
		return 0;
	l->below = strdup(mnt);
	return l->below ? 1 : -ENOMEM;
}

int zo_mount_below(const char *root, const char *path, char **ret)
{
	_cleanup_free_ char *real = zo_path(root, path);
	struct lookup l = { real, false, 0, NULL };
	int r;

	if (!real)
		return -ENOMEM;
	r = each_mount(root, under, &l);
	if (r <= 0)
		return r;
	*ret = l.below;
	return 1;
}

int zo_mount(const char *source, const char *target, const char *fstype)
{
	return mount(source, target, fstype, 0, NULL) < 0 ? -errno : 0;
}

int zo_umount(const char *target)
{
	return umount2(target, 0) < 0 ? -errno : 0;
}
