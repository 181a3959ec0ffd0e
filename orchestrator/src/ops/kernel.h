/* Guest kernels: `target kernel build` makes a kernel package for the
 * target's distribution from a kernel tree (out of tree, O=, under
 * [paths] state/kernels) with setup00001's config rules and the user's
 * +CONFIG_X/-CONFIG_X; `target kernel install` makes a new pristine base
 * from the current one with that kernel installed and booted by default.
 *
 * Both return >= 0 or -errno with the reason in ctx (bad input is a usage
 * failure: the branch, option, tree or package named). Under --dry-run
 * they only plan. */
#ifndef ZO_OPS_KERNEL_H
#define ZO_OPS_KERNEL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/ctx.h"

struct zo_kernel_build {
	const char *tree;        /* --tree DIR, or NULL */
	const char *git, *branch; /* --git URL --branch B, or NULL */
	bool tag;                /* B is a tag: checked out, never pulled */
	const char *base_config; /* "guest" (the running target's own) or a file */
	const char *profile;     /* centos7|debian12; NULL: [target] base_profile */
	char *const *options;    /* "+CONFIG_X" / "-CONFIG_X", applied in order */
	size_t n_options;
};

/* What a build made. */
struct zo_kernel_package {
	char *path;    /* the package under [paths] state/kernels/packages */
	char *release; /* its `uname -r` */
	char *format;  /* "deb" or "rpm" */
};
void zo_kernel_package_release(struct zo_kernel_package *p);

/* Whether the profile is one a kernel can be packaged for. */
bool zo_kernel_profile_known(const char *profile);

int zo_kernel_build(struct zo_ctx *ctx, const struct zo_kernel_build *b,
		    struct zo_kernel_package *ret);

/* Install `pkg` into a copy of [target] base_image, make it the default,
 * boot the copy once on it and check `uname -r` through the agent, then
 * record the copy as the base (base_image, base_sha256,
 * base_kernel_release; with direct kernel boot also the kernel and
 * initrd taken out of the guest's /boot, kept next to the base). The old
 * base file stays. `ret_release` (may be NULL) gets the release. A
 * package of the other distribution's format (deb for debian12, RPM for
 * centos7) is bad input: nothing is copied or booted. */
int zo_kernel_install(struct zo_ctx *ctx, const char *pkg, char **ret_release);

#endif
