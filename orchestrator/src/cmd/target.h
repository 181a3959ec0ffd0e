/* The target, for commands that drive it (target, run). */
#ifndef ZO_CMD_TARGET_H
#define ZO_CMD_TARGET_H

#include <signal.h>
#include <stdint.h>

#include "cmd/cmd.h"

struct zo_virt;

struct zo_target {
	struct zo_ctx *ctx;
	const char *name, *uri;
	struct zo_virt *virt;
	char *state_dir, *serial_log, *images_dir, *overlay_vol;
};

/* Connect to libvirt for the configured target; prints why not. */
int zo_target_open(struct zo_ctx *ctx, struct zo_target *t);
void zo_target_release(struct zo_target *t);
/* Define if needed and start; wait for the guest agent ([target]
 * agent_timeout). memory_gb NULL / vcpus 0: from the config. Exit code. */
int zo_target_start(struct zo_target *t, const char *memory_gb, long long vcpus,
		    volatile sig_atomic_t *stop);
/* Agent or ACPI shutdown, destroy after `timeout_s`. 0: was not running,
 * 1: shut down, 2: destroyed; -errno. */
int zo_target_stop(struct zo_target *t, int timeout_s);
int zo_target_agent_ping(struct zo_target *t, int timeout_s);
/* The domain XML from the config, with `disk` (qcow2) and `cdrom` (ISO)
 * attached when not NULL. */
int zo_target_xml(struct zo_target *t, uint64_t memory_kib, unsigned vcpus, const char *disk,
		  const char *cdrom, char **ret);
/* `zsim-orch target prepare` (cmd/target_prepare.c) */
/* In disk mode, refuse (ZO_EXIT_REFUSED, the reason and fix in *ret_why) a
 * base image that prepare did not make or that changed since. */
int zo_target_check_base(struct zo_ctx *ctx, char **ret_why);
int zo_target_prepare(struct zo_ctx *ctx, int argc, char **argv);

#endif
