/* A Linux kernel built on the host while an experiment runs (exp00009, as
 * the old runner's build_kernel loaded the host): the source tree found or
 * unpacked, cleaned and configured, then `make -j N TARGET` in a process
 * group of its own that is stopped and reaped, with everything it started,
 * when the run no longer wants it. Its output goes to a file the caller
 * opened. Configured by [kbuild] source, config, target and jobs. */
#ifndef ZO_OPS_KBUILD_H
#define ZO_OPS_KBUILD_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/ctx.h"

struct zo_kbuild {
	char *source;	   /* [kbuild] source, or what was found installed */
	char *tree;	   /* the tree that is built (root prefix applied) */
	bool from_tarball; /* tree is `source` unpacked under [paths] state/kbuild */
	const char *config, *target;
	long jobs;
	pid_t pid;		   /* make's, leading its process group, while it runs */
	uint64_t start_ms, end_ms; /* wall clock, ms since the epoch */
	int status;		   /* its exit status; 128+N after signal N */
	bool stopped;		   /* ended by zo_kbuild_stop, not by itself */
	bool killed;		   /* SIGTERM was not enough: SIGKILL ended it */
	bool started, ended;
};

/* Where the source is and how it is built, changing nothing: 0, or -EPERM
 * (a refusal, exit 3) saying how to get a source tree when there is none. */
int zo_kbuild_find(struct zo_ctx *ctx, struct zo_kbuild *kb);
/* The plan lines of the build zo_kbuild_find found (--dry-run). */
void zo_kbuild_plan(struct zo_ctx *ctx, const struct zo_kbuild *kb);
/* Unpack the tarball when the tree is not there yet (reused while the
 * tarball is unchanged), `make clean` (the runner's), then configure; all
 * output to `log_fd`. -EINTR when *stop became set. */
int zo_kbuild_prepare(struct zo_ctx *ctx, struct zo_kbuild *kb, int log_fd,
		      volatile sig_atomic_t *stop);
/* `make -j JOBS TARGET` in the tree, not waited for. */
int zo_kbuild_start(struct zo_ctx *ctx, struct zo_kbuild *kb, int log_fd);
/* Whether the build ended by itself (it is reaped then). */
bool zo_kbuild_poll(struct zo_kbuild *kb);
/* End the build if it still runs: SIGTERM to its process group, SIGKILL
 * after 10 s, until no process of the group is left (each reaped). 0, or
 * -EIO when some process outlived SIGKILL. */
int zo_kbuild_stop(struct zo_ctx *ctx, struct zo_kbuild *kb);
/* How it ended, for the results: "exited 0", "exited 2", "killed by
 * signal 9", "stopped (SIGTERM) when the workload ended" (make then exits
 * 2 or 143), "stopped (SIGKILL, SIGTERM was not enough) when ...". */
const char *zo_kbuild_outcome(const struct zo_kbuild *kb, char *buf, size_t len);
void zo_kbuild_release(struct zo_kbuild *kb);

#endif
