#include "core/safety.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

#include "util/banned.h"

void zo_device_facts_release(struct zo_device_facts *f)
{
	free(f->devnode);
	free(f->fs_type);
	free(f->fs_label);
	free(f->fs_uuid);
	free(f->pt_type);
	free(f->mountpoint);
	memset(f, 0, sizeof(*f));
}

/* "an ext4 filesystem (label "data", UUID 1234)" */
static char *describe_signature(const struct zo_device_facts *f)
{
	struct zo_strbuf sb = { 0 };
	const char *t = f->fs_type;
	bool vowel = strchr("aeiouAEIOU", t[0]) != NULL;

	if (!strcmp(t, "swap"))
		zo_strbuf_append(&sb, "a swap signature");
	else
		zo_strbuf_appendf(&sb, "%s %s filesystem", vowel ? "an" : "a", t);
	if (f->fs_label && f->fs_uuid)
		zo_strbuf_appendf(&sb, " (label \"%s\", UUID %s)", f->fs_label, f->fs_uuid);
	else if (f->fs_label)
		zo_strbuf_appendf(&sb, " (label \"%s\")", f->fs_label);
	else if (f->fs_uuid)
		zo_strbuf_appendf(&sb, " (UUID %s)", f->fs_uuid);
	return zo_strbuf_steal(&sb);
}

int zo_safety_check(const struct zo_device_facts *f, const char *purpose,
		    bool force, enum zo_safety *ret, char **ret_message)
{
	_cleanup_free_ char *sig = NULL;
	const char *dev = f->devnode;
	char *msg = NULL;

	/* Never overridable: writing under a live mount, swap or stacked device
	 * corrupts it at once, and --force cannot make that safe. */
	if (f->backs_root)
		msg = zo_asprintf("refusing to use %s for %s: the root filesystem "
				  "depends on it; choose another disk",
				  dev, purpose);
	else if (f->mountpoint)
		msg = zo_asprintf("refusing to use %s for %s: it (or a partition "
				  "of it) is mounted on %s; unmount it first",
				  dev, purpose, f->mountpoint);
	else if (f->active_swap)
		msg = zo_asprintf("refusing to use %s for %s: it is active swap; "
				  "run 'zsim-orch swap off' or swapoff first",
				  dev, purpose);
	else if (f->in_use)
		msg = zo_asprintf("refusing to use %s for %s: it is in use (held "
				  "open exclusively, e.g. by device-mapper, md or a "
				  "mounted partition); see lsblk and its holders",
				  dev, purpose);
	if (msg) {
		*ret = ZO_REFUSED_ALWAYS;
		*ret_message = msg;
		return 0;
	}

	if (f->pt_type)
		sig = zo_asprintf("a %s partition table", f->pt_type);
	else if (f->fs_type)
		sig = describe_signature(f);
	if (!sig) {
		*ret = ZO_SAFE;
		*ret_message = NULL;
		return 0;
	}
	if (force) {
		*ret = ZO_SAFE_FORCED;
		msg = zo_asprintf("overwriting %s on %s (--force)", sig, dev);
	} else {
		*ret = ZO_REFUSED;
		msg = zo_asprintf("refusing to use %s for %s: it holds %s; pass "
				  "--force to overwrite it", dev, purpose, sig);
	}
	if (!msg)
		return -ENOMEM;
	*ret_message = msg;
	return 0;
}
