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

enum zo_devspec_kind zo_devspec_classify(const char *spec)
{
	size_t i;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (zo_startswith(spec, tags[i].prefix))
			return spec[strlen(tags[i].prefix)] ? tags[i].kind
							     : ZO_DEVSPEC_INVALID;
	if (spec[0] != '/' || strstr(spec, "/../") || strchr(spec, ','))
		return ZO_DEVSPEC_INVALID;
	for (i = 0; i < sizeof(disk_link_dirs) / sizeof(disk_link_dirs[0]); i++)
		if (zo_startswith(spec, disk_link_dirs[i]))
			return spec[strlen(disk_link_dirs[i])] && !strchr(spec + strlen(disk_link_dirs[i]), '/')
				       ? ZO_DEVSPEC_DISK_LINK
				       : ZO_DEVSPEC_INVALID;
	/* A thin volume's swap header is also readable at the start of the
	 * pool's data device, so its UUID= would match two devices; the dm
	 * name zsim gave it matches one. */
	if (zo_startswith(spec, "/dev/mapper/"))
		return spec[12] && !strchr(spec + 12, '/') ? ZO_DEVSPEC_MAPPER
							   : ZO_DEVSPEC_INVALID;
	if (zo_startswith(spec, "/dev/"))
		return spec[5] ? ZO_DEVSPEC_KERNEL : ZO_DEVSPEC_INVALID;
	return spec[1] ? ZO_DEVSPEC_FILE : ZO_DEVSPEC_INVALID;
}

bool zo_devspec_is_stable(enum zo_devspec_kind kind)
{
	return kind != ZO_DEVSPEC_INVALID && kind != ZO_DEVSPEC_KERNEL &&
	       kind != ZO_DEVSPEC_FILE;
}
