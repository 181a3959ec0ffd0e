#include "devspec.h"

#include <string.h>

#include "util/str.h"

#include "util/banned.h"

static const struct {
	const char *prefix;
	enum zo_devspec_kind kind;
} tags[] = {
	{ "UUID=", ZO_DEVSPEC_UUID },
	{ "PARTUUID=", ZO_DEVSPEC_PARTUUID },
	{ "LABEL=", ZO_DEVSPEC_LABEL },
	{ "PARTLABEL=", ZO_DEVSPEC_PARTLABEL },
	{ "SERIAL=", ZO_DEVSPEC_SERIAL },
};

static const char *const disk_link_dirs[] = {
	"/dev/disk/by-id/",	"/dev/disk/by-uuid/",  "/dev/disk/by-partuuid/",
	"/dev/disk/by-label/", "/dev/disk/by-partlabel/",
};

/* A control character (a newline above all) is in no device name, and
 * recorded in the config it would end the line and start another setting. */
static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Absolute, and every component a name: no "//", no trailing "/", no "."
 * or "..". Otherwise "//dev/sdb" passes for a file, "/dev/disk/by-id/.."
 * for a stable device ID, and "/.." leaves the --root tree. */
static bool is_normal_path(const char *p)
{
	if (p[0] != '/')
		return false;
	while (*p == '/') {
		size_t n = strcspn(++p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
	}
	return true;
}

enum zo_devspec_kind zo_devspec_classify(const char *spec)
{
	size_t i;

	if (has_control(spec))
		return ZO_DEVSPEC_INVALID;
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (zo_startswith(spec, tags[i].prefix))
			return spec[strlen(tags[i].prefix)] ? tags[i].kind
							     : ZO_DEVSPEC_INVALID;
	if (!is_normal_path(spec) || strchr(spec, ','))
		return ZO_DEVSPEC_INVALID;
	for (i = 0; i < sizeof(disk_link_dirs) / sizeof(disk_link_dirs[0]); i++)
		if (zo_startswith(spec, disk_link_dirs[i]))
			return strchr(spec + strlen(disk_link_dirs[i]), '/') ? ZO_DEVSPEC_INVALID
									     : ZO_DEVSPEC_DISK_LINK;
	/* A thin volume's swap header is also readable at the start of the
	 * pool's data device, so its UUID= would match two devices; the dm
	 * name zsim gave it matches one. */
	if (zo_startswith(spec, "/dev/mapper/"))
		return strchr(spec + 12, '/') ? ZO_DEVSPEC_INVALID : ZO_DEVSPEC_MAPPER;
	if (zo_startswith(spec, "/dev/"))
		return ZO_DEVSPEC_KERNEL;
	return ZO_DEVSPEC_FILE;
}

bool zo_devspec_is_stable(enum zo_devspec_kind kind)
{
	return kind != ZO_DEVSPEC_INVALID && kind != ZO_DEVSPEC_KERNEL &&
	       kind != ZO_DEVSPEC_FILE;
}
