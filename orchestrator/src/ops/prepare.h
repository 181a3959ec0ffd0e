/* target prepare: make the pristine base image from a cloud image.
 *
 * The cloud image is copied into the zsim storage pool, booted once with a
 * cloud-init NoCloud seed (an ISO labelled cidata holding the profile's
 * user-data and our workload programs), and shut down when the guest has
 * written its marker file. Only then does the copy become the base image,
 * with its SHA-256 recorded ([target] base_image, base_sha256,
 * base_profile), so a failed prepare changes nothing and a run can tell a
 * modified base from the prepared one (zo_target_check_base). */
#ifndef ZO_OPS_PREPARE_H
#define ZO_OPS_PREPARE_H

#include <stdbool.h>

#include "ops/target.h"
#include "util/ctx.h"

struct zo_prepare {
	const char *from;      /* the cloud image (qcow2); NULL only under --dry-run */
	const char *profile;   /* one zo_prepare_profile_known knows */
	long long timeout_s;   /* for cloud-init in the guest to finish */
	const char *workloads; /* the directory holding the workload programs,
				  NULL: next to this program, else the
				  installed libexec directory */
	bool force;            /* replace an existing base of this profile */
};

/* Whether `profile` is one compiled in (image/target/<name>.user-data). */
bool zo_prepare_profile_known(const char *profile);

/* Prepare the base. Under --dry-run: the profile's user-data and what
 * would be done, as plan lines. Refused (-EBUSY, -EEXIST) while the
 * target runs or when the base exists without `force`. */
int zo_target_prepare(struct zo_ctx *ctx, const struct zo_prepare *p);

/* Shared with `target kernel install` (ops/kernel_install.c), which
 * makes a base from a base the same way: */
/* An ISO labelled `label` holding the files of `dir` (xorriso or
 * genisoimage), readable by QEMU. */
int zo_make_iso(struct zo_ctx *ctx, const char *label, const char *dir, const char *iso);
/* Copy an image to `tmp` in the images directory, owned like the pool
 * (QEMU writes it), with progress. */
int zo_target_copy_in(struct zo_target *t, const char *from, const char *tmp);
/* Wait until QEMU has closed `path` (its image locks are gone): a
 * checksum taken before may miss its last writes. -EBUSY after the
 * timeout. */
int zo_image_wait_closed(const char *path, int timeout_s);
/* Refused (-EBUSY) while the target runs: it may be on the old base. */
int zo_target_check_stopped(struct zo_target *t);

#endif
