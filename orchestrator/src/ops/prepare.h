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

#endif
