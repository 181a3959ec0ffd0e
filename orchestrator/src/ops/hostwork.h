/* zsim's workload programs run on the host itself (bare-metal baselines:
 * exp00010): where they are, and one run with its output into a file. */
#ifndef ZO_OPS_HOSTWORK_H
#define ZO_OPS_HOSTWORK_H

#include <signal.h>

#include "util/ctx.h"

/* The directory holding the workload programs: `opt` when given, else
 * next to this program (a build tree), else the installed libexec
 * directory. NULL when out of memory. */
char *zo_workloads_dir(const char *opt);

/* The CPUs online on this host (at least 1). */
long zo_host_ncpus(void);

/* Whether `path` is an executable program; 0, or -EPERM (a refusal) with
 * ctx->error saying how to get zsim's workload programs. */
int zo_host_workload_check(struct zo_ctx *ctx, const char *path);

/* Stop the daemon whose pid is in `pidfile` (SIGTERM, then SIGKILL after
 * 5 s) and remove the file. 0 when it is gone (or the file was never
 * written). */
int zo_host_daemon_stop(struct zo_ctx *ctx, const char *pidfile);

/* Run argv (argv[0] a path, or a name looked up in PATH) pinned to host CPU `cpu` (-1: not pinned),
 * its stdout into `out_path` (NULL: /dev/null), stdin /dev/null. 0 when it
 * exited 0; else -EIO with its status and the start of its stderr in
 * ctx->error (-EINTR when *stop became set: it was sent SIGTERM). */
int zo_host_workload(struct zo_ctx *ctx, char *const argv[], int cpu, const char *out_path,
		     volatile sig_atomic_t *stop);

/* Wait until something accepts TCP connections on 127.0.0.1:PORT (a
 * daemon that detaches before it listens, as `memcached -d` does); -ETIMEDOUT
 * after `timeout_ms` with ctx->error saying so. */
int zo_host_wait_listening(struct zo_ctx *ctx, unsigned port, unsigned timeout_ms);

#endif
