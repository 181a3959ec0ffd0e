/* A run's results directory, made so that nothing a job file says puts
 * results anywhere else (issue 16). [paths] results is the administrator's
 * choice: it is opened as configured (and created if missing). Below it,
 * each component of the run's name is created and opened relative to the
 * one above (util/dirat.h): "..", "/", empty components and symbolic links
 * are refused, never followed. Every file a run writes can then be opened
 * relative to the returned directory fd. */
#ifndef ZO_OPS_RESULTDIR_H
#define ZO_OPS_RESULTDIR_H

#include "util/ctx.h"

enum {
	/* the last component must be new: two runs never share a results
	 * directory */
	ZO_RESULTS_NEW = 1 << 0,
};

/* Open the results directory itself ([paths] results, or `run
 * --results-dir DIR`: the administrator's or the user's choice, opened as
 * named), created with its parents if missing. 0 with *ret_fd
 * (O_DIRECTORY, close-on-exec), or -errno with ctx saying why. */
int zo_results_open_root(struct zo_ctx *ctx, const char *results_root, int *ret_fd);

/* Create (as needed) and open RESULTS_ROOT/RELATIVE_NAME ("NAME-ID", or
 * "sweep/NAME": components separated by '/'). 0 with *ret_dirfd
 * (O_DIRECTORY, close-on-exec), or -errno with ctx saying why: -EINVAL
 * for a name that is not plain components, -ELOOP/-ENOTDIR for a symbolic
 * link or a file in the way, -EEXIST under ZO_RESULTS_NEW. */
int zo_results_open_dir(struct zo_ctx *ctx, const char *results_root, const char *relative_name,
			unsigned flags, int *ret_dirfd);

#endif
