#include "sys/process.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"
#include "util/path.h"
#include "util/str.h"

#include "util/banned.h"

int zo_proc_stat_parse(const char *text, struct zo_proc_stat *ret)
{
	const char *p = strrchr(text, ')');
	struct zo_proc_stat st = { 0 };
	unsigned long long v = 0;
	int field;

	/* "PID (COMM) S PPID PGRP ...": fields from 3 on follow the last ')' */
	if (!p || p[1] != ' ' || !p[2] || p[3] != ' ')
		return -EINVAL;
	st.state = p[2];
	p += 3;
	for (field = 4; field <= 22; field++) {
		char *end;

		if (*p != ' ' || !(isdigit((unsigned char)p[1]) || p[1] == '-'))
			return -EINVAL;
		errno = 0;
		if (p[1] == '-')
			(void)strtoll(p + 1, &end, 10);
		else
			v = strtoull(p + 1, &end, 10);
		if (errno || end == p + 1)
			return -EINVAL;
		if (field == 4)
			st.ppid = (long)v;
		else if (field == 5)
			st.pgrp = (long)v;
		else if (field == 22)
			st.start = v;
		p = end;
	}
	*ret = st;
	return 0;
}

int zo_proc_stat(const char *root, long pid, struct zo_proc_stat *ret)
{
	char rel[64];
	_cleanup_free_ char *path = NULL, *text = NULL;
	int r;

	if (pid <= 0)
		return -EINVAL;
	snprintf(rel, sizeof(rel), "/proc/%ld/stat", pid);
	path = zo_path(root, rel);
	if (!path)
		return -ENOMEM;
	r = zo_read_file(path, 4096, &text, NULL);
	if (r < 0)
		return r;
	return zo_proc_stat_parse(text, ret);
}

int zo_boot_id(const char *root, char ret[ZO_BOOT_ID_LEN + 1])
{
	_cleanup_free_ char *path = zo_path(root, "/proc/sys/kernel/random/boot_id");
	_cleanup_free_ char *line = NULL;
	size_t i;
	int r;

	if (!path)
		return -ENOMEM;
	r = zo_read_line(path, &line);
	if (r < 0)
		return r;
	if (strlen(line) != ZO_BOOT_ID_LEN)
		return -EINVAL;
	for (i = 0; i < ZO_BOOT_ID_LEN; i++)
		if (!isxdigit((unsigned char)line[i]) && line[i] != '-')
			return -EINVAL;
	memcpy(ret, line, ZO_BOOT_ID_LEN + 1);
	return 0;
}
