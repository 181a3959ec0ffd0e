#include "core/home.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

#include "util/banned.h"

bool zo_home_mount_ok(const char *path)
{
	const char *p;

	if (!path || path[0] != '/' || !path[1] || path[strlen(path) - 1] == '/')
		return false;
	for (p = path; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '\\' || *p == 0x7f)
			return false;
	return !strstr(path, "//") && !strstr(path, "/./") && !strstr(path, "/../") &&
	       strcmp(path + strlen(path) - 2, "/.") && strcmp(path + strlen(path) - 3, "/..");
}

bool zo_home_fs_ok(const char *fs)
{
	return fs && (!strcmp(fs, "ext4") || !strcmp(fs, "xfs"));
}

void zo_home_mkfs_argv(const char *fs, const char *devnode, const char *argv[8])
{
	bool xfs = !strcmp(fs, "xfs");
	size_t i = 0;

	/* -F/-f: the safety rule has been applied to the disk already, and a
	 * prompt on a leftover signature would wait for no one */
	argv[i++] = xfs ? "mkfs.xfs" : "mkfs.ext4";
	argv[i++] = "-q";
	argv[i++] = xfs ? "-f" : "-F";
	argv[i++] = "-L";
	argv[i++] = ZO_HOME_LABEL;
	argv[i++] = devnode;
	argv[i] = NULL;
}

void zo_home_copy_argv(const char *from, const char *to, const char *argv[8])
{
	size_t i = 0;

	/* GNU cp's -a: -dR --preserve=all (mode, ownership, timestamps,
	 * links, context, xattr) */
	argv[i++] = "cp";
	argv[i++] = "-a";
	argv[i++] = "--";
	argv[i++] = from;
	argv[i++] = to;
	argv[i] = NULL;
}

char *zo_fstab_line(const char *uuid, const char *mount, const char *fs)
{
	return zo_asprintf("UUID=%s %s %s defaults,nofail 0 %d", uuid, mount, fs,
			   strcmp(fs, "xfs") ? 2 : 0);
}

int zo_fstab_find(const char *text, const char *mount, char **ret_spec)
{
	_cleanup_free_ char *copy = strdup(text ? text : "");
	char *line, *next, *found = NULL;

	if (!copy)
		return -ENOMEM;
	for (line = copy; line && *line; line = next) {
		char spec[4096], mnt[4096];

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '#' || sscanf(line, "%4095s %4095s", spec, mnt) != 2)
			continue;
		if (!strcmp(mnt, mount)) {
			free(found);
			found = strdup(spec);
			if (!found)
				return -ENOMEM;
		}
	}
	if (!found)
		return 0;
	if (ret_spec)
		*ret_spec = found;
	else
		free(found);
	return 1;
}

char *zo_fstab_append(const char *text, const char *line)
{
	size_t n = text ? strlen(text) : 0;

	return zo_asprintf("%s%s%s\n", text ? text : "", n && text[n - 1] != '\n' ? "\n" : "",
			   line);
}

char *zo_partition_name(const char *disk, unsigned n)
{
	size_t len = strlen(disk);

	return zo_asprintf("%s%s%u", disk, len && isdigit((unsigned char)disk[len - 1]) ? "p" : "",
			   n);
}
