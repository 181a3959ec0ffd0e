/* The target: the libvirt domain experiments run in, its qcow2 overlay in
 * the zsim storage pool, its serial log, and its guest agent (no SSH: its
 * connections die when a target falls far behind real time).
 *
 * Every function returns >= 0 or -errno with the reason in ctx->error
 * (zo_fail; zo_fail_transient when libvirt does not answer). Under
 * --dry-run nothing is changed: what would be sent (the pool, volume and
 * domain XML) goes out as plan lines. */
#ifndef ZO_OPS_TARGET_H
#define ZO_OPS_TARGET_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys/virt.h"
#include "util/ctx.h"

/* While waiting for a guest: a status line about once a second
 * ("zsim-target: waiting for the guest agent: 3 s"), then NULL when the
 * wait is over. */
typedef void (*zo_target_progress_fn)(void *userdata, const char *line);

struct zo_target {
	struct zo_ctx *ctx;
	const char *name, *uri; /* [target] name and uri */
	struct zo_virt *virt;
	char *state_dir, *serial_log, *images_dir, *overlay_vol;
	/* Unused: progress goes through ctx (zo_progress); kept until
	 * exp/exp00000.c stops setting them. */
	zo_target_progress_fn progress;
	void *progress_userdata;
	uint64_t boot_ms; /* the last start: from the request to the agent's answer */
	/* The results disk: a raw file ([paths] state/target/NAME.results.img,
	 * sparse) attached to domains zsim defines, serial "zsim-results". The
	 * guest writes results onto it without a filesystem; the host reads
	 * them from the file: a virtio disk's speed, where the guest agent
	 * moves about 10 MiB/s under TCG. */
	char *results_img;
	bool results_disk;  /* define the domain with it */
	char *results_dev;  /* the guest's device for it; "" none; NULL not asked */
};

/* [target] accel resolved: "kvm" or "tcg" ("auto": KVM when this host can
 * create a VM, else TCG). */
const char *zo_target_accel(struct zo_ctx *ctx);

/* The sparse size of the results disk: an .out of 2^31 records fits. */
#define ZO_TARGET_RESULTS_DISK_BYTES (64ULL << 30)

/* Connect to libvirt for the configured target. Not answering is
 * transient. `t` must be released even when this fails. */
int zo_target_open(struct zo_ctx *ctx, struct zo_target *t);
void zo_target_release(struct zo_target *t);

/* Define the domain from [target] (direct kernel boot, or disk mode on a
 * fresh overlay of base_image). Already defined: 1 with its state's name
 * in *ret_state, unless `destroy_existing`, which removes the domain and
 * its overlay first. 0 when defined. */
int zo_target_create(struct zo_target *t, bool destroy_existing, const char **ret_state);

/* Define if needed (memory_gb NULL / vcpus 0: from the config; a new
 * shape redefines it, keeping the overlay), start, and wait for the guest
 * agent up to [target] agent_timeout; a target that does not answer is
 * destroyed and the message says the likely cause. Already running with
 * its agent answering: 0. -EINTR when *stop was set (stop may be NULL;
 * like zo_run_stop_flag() it holds the signal's number). */
int zo_target_start(struct zo_target *t, const char *memory_gb, long long vcpus,
		    volatile sig_atomic_t *stop);

/* Guest-agent (or ACPI) shutdown, destroyed after `timeout_s`. 0: was not
 * running, 1: shut down (under --dry-run: would be), 2: destroyed. */
int zo_target_stop(struct zo_target *t, int timeout_s);

/* Power it off at once; it stays defined. 1: destroyed (under --dry-run:
 * would be), 0: was not running, its state's name in *ret_state. */
int zo_target_destroy(struct zo_target *t, const char **ret_state);

struct zo_target_status {
	struct zo_dom_info info;
	bool agent;      /* running and its agent answers */
	double uptime_s; /* the guest's /proc/uptime, or -1 */
};
int zo_target_status(struct zo_target *t, struct zo_target_status *ret);
void zo_target_status_release(struct zo_target_status *s);

/* 0 when the guest agent answers guest-ping within `timeout_s`. Sets no
 * error: not answering is an answer. */
int zo_target_agent_ping(struct zo_target *t, int timeout_s);

/* Run argv[0] with argv in the target through the agent and wait for it
 * (polling, so a long workload costs the host almost nothing) until it
 * ends or *stop is set (-EINTR, "stopped by signal N"; stop may be NULL).
 * 0 when it ran: its exit status and output are in *ret (released with
 * zo_guest_exec_release, also after a failure). */
int zo_target_exec(struct zo_target *t, char *const argv[], volatile sig_atomic_t *stop,
		   struct zo_guest_exec *ret);
/* A whole file from the target (NULs allowed), NUL-terminated. */
int zo_target_read(struct zo_target *t, const char *guest_path, char **ret, size_t *ret_len);
/* Copy a target file to `host_path`; its size. Through the results disk
 * when the target has one (the guest copies the file onto it with direct
 * I/O, the host reads it from the disk's file and punches out what it
 * read), else streamed through the guest agent in chunks: memory stays
 * bounded either way. Written to a temporary file beside `host_path`
 * (new, not through a link) and renamed over it when whole. */
int zo_target_fetch(struct zo_target *t, const char *guest_path, const char *host_path,
		    size_t *ret_len);
/* The same into `fd`, open for writing (a result file the run created:
 * ops/run.h zo_run_create), which is closed (a failure to close is one to
 * write `host_path`, the name messages give). */
int zo_target_fetch_fd(struct zo_target *t, const char *guest_path, int fd,
		       const char *host_path, size_t *ret_len);
/* The guest's device for the results disk ("/dev/vdb") in *ret, or "" when
 * the running target has none. */
int zo_target_results_device(struct zo_target *t, const char **ret);
/* Copy the first `len` bytes of the results disk (what the guest wrote
 * onto it) into `fd` (closed, as zo_target_fetch_fd does). What was copied
 * is punched out of the disk's file: the results disk is scratch, read
 * once. */
int zo_target_copy_results_fd(struct zo_target *t, uint64_t len, int fd, const char *host_path);

/* The last `lines` lines of the configured target's serial log (needs no
 * libvirt). */
int zo_target_log_tail(struct zo_ctx *ctx, long long lines, char **ret);

/* The domain XML from the config, with `disk` (qcow2) and `cdrom` (ISO)
 * attached when not NULL. */
int zo_target_xml(struct zo_target *t, uint64_t memory_kib, unsigned vcpus, const char *disk,
		  const char *cdrom, char **ret);
/* Make sure the zsim pool is defined at [paths] state/images and active
 * (a pool defined elsewhere, from an older state directory, is redefined;
 * its files stay). Under --dry-run: the pool XML as a plan when it would
 * be defined. */
int zo_target_pool_ensure(struct zo_target *t);

/* For operations built on the target (ops/prepare.c): a progress line
 * to t->progress, and the end of the progress. */
void zo_target_progress(struct zo_target *t, const char *fmt, ...) ZO_PRINTF(2, 3);
void zo_target_progress_end(struct zo_target *t);

/* In disk mode, refuse (-EPERM, zo_refuse: the reason and the fix) a base
 * image that `target prepare` did not make or that changed since; 0 for a
 * good base or direct kernel boot. (ops/prepare.c) */
int zo_target_check_base(struct zo_ctx *ctx);

#endif
