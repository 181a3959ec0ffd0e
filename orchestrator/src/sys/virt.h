/* libvirt adapter: the only file that calls libvirt and reads its errors. */
#ifndef ZO_SYS_VIRT_H
#define ZO_SYS_VIRT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "util/log.h"

struct zo_virt_probe {
	bool answered;
	char *hypervisor;      /* e.g. "QEMU", "TEST" */
	char *hypervisor_version; /* "7.2.0" */
	char *libvirt_version;    /* of the daemon (or the library for test:) */
	char *emulator, *machine; /* zo_virt_probe_emulator: which one, when it told */
	int active_domains;
	char *error;           /* why it did not answer */
};

/* Ask `uri` who it is, giving up after `timeout_ms`. libvirt has no connect
 * timeout and a socket whose daemon is wedged (or a remote host that drops
 * packets) blocks virConnectOpen indefinitely, so the probe runs in a child
 * process that is killed when time is up. Returns 0 with `answered` set
 * either way; -errno only when the probe itself could not run. */
int zo_virt_probe(const char *uri, int timeout_ms, struct zo_virt_probe *ret,
		  const struct zo_log *log);
/* The same without asking for the hypervisor's version as a whole, which
 * makes a daemon's first call build the capabilities of every emulator on
 * the host (seconds): whether the daemon answers (virConnectGetLibVersion,
 * a round trip) and, when `arch` is not NULL, the version of the one
 * emulator libvirt uses for `arch` and `virttype` ("kvm", "qemu"), from its
 * domain capabilities (which a domain's definition probes anyway), or
 * from virConnectGetVersion where those do not tell it. */
int zo_virt_probe_emulator(const char *uri, int timeout_ms, const char *arch,
			   const char *virttype, struct zo_virt_probe *ret,
			   const struct zo_log *log);
void zo_virt_probe_release(struct zo_virt_probe *p);

/* zo_virt_probe_emulator in two halves, so that the daemon's first probe
 * of the emulator (seconds on a daemon that has just started) runs while
 * the caller does other work: _start forks the probing child, _finish
 * waits for its answer (until `timeout_ms` after the start) and returns
 * as zo_virt_probe_emulator does; _cancel kills and reaps a child whose
 * answer is no longer wanted. A job is finished or cancelled exactly once
 * (both do nothing to a job whose start failed). */
struct zo_virt_probe_job {
	pid_t pid; /* -1: none */
	int fd;
	int timeout_ms;
	long long deadline_ms; /* CLOCK_MONOTONIC */
	char *early; /* what _answered read */
};
int zo_virt_probe_emulator_start(const char *uri, int timeout_ms, const char *arch,
				 const char *virttype, struct zo_virt_probe_job *job,
				 const struct zo_log *log);
/* Whether the daemon answers at all (a round trip: tens of milliseconds
 * even on a daemon that has just started), without waiting for the rest:
 * `answered`, `hypervisor`, `libvirt_version` or `error` set as
 * zo_virt_probe sets them. At most once a job, before _finish. */
int zo_virt_probe_answered(struct zo_virt_probe_job *job, struct zo_virt_probe *ret);
int zo_virt_probe_finish(struct zo_virt_probe_job *job, struct zo_virt_probe *ret);
void zo_virt_probe_cancel(struct zo_virt_probe_job *job);

/* A connection for managing the target. Errors: -errno, with libvirt's
 * message in zo_virt_error(). */
struct zo_virt;

int zo_virt_connect(const char *uri, struct zo_virt **ret);
void zo_virt_close(struct zo_virt *v);
const char *zo_virt_error(const struct zo_virt *v);
unsigned long zo_virt_lib_version(struct zo_virt *v);

enum zo_dom_state {
	ZO_DOM_ABSENT,
	ZO_DOM_SHUTOFF,
	ZO_DOM_RUNNING,
	ZO_DOM_PAUSED,
	ZO_DOM_OTHER,
};

struct zo_dom_info {
	enum zo_dom_state state;
	const char *state_name;
	uint64_t memory_kib;
	unsigned vcpus;
	char *pinning; /* "0:0 1:1" (vCPU:host CPUs), or NULL */
};

int zo_virt_dom_info(struct zo_virt *v, const char *name, struct zo_dom_info *ret);
void zo_dom_info_release(struct zo_dom_info *i);
int zo_virt_dom_define(struct zo_virt *v, const char *xml);
/* Start a domain that is gone once it stops (nothing is defined). */
int zo_virt_dom_create_transient(struct zo_virt *v, const char *xml);
int zo_virt_dom_start(struct zo_virt *v, const char *name);
/* ACPI power button, or the guest agent's guest-shutdown. */
int zo_virt_dom_shutdown(struct zo_virt *v, const char *name, bool agent);
int zo_virt_dom_destroy(struct zo_virt *v, const char *name);
int zo_virt_dom_undefine(struct zo_virt *v, const char *name);
/* Names of running domains. */
int zo_virt_list_active(struct zo_virt *v, char ***ret);

/* One guest-agent command (JSON in, the "return" member out). -ETIMEDOUT
 * or -ENOTCONN when the agent does not answer. */
int zo_virt_agent(struct zo_virt *v, const char *name, json_object *cmd, int timeout_s,
		  json_object **ret);

struct zo_guest_exec {
	int exit_code; /* -1 with `signal` set when killed */
	int signal;
	char *out, *err;
	size_t out_len, err_len;
};
/* Run argv[0] with argv in the guest and wait (polling guest-exec-status,
 * 50 ms rising to 1 s) until it ends or *stop is set. */
int zo_virt_guest_exec(struct zo_virt *v, const char *name, char *const *argv,
		       volatile sig_atomic_t *stop, struct zo_guest_exec *ret);
void zo_guest_exec_release(struct zo_guest_exec *e);
/* The bytes one guest-file-read asks for. Its reply (base64, so 4/3 of
 * it, in JSON) must stay under libvirt's 4 MiB limit on a string crossing
 * its RPC (REMOTE_STRING_MAX); qemu-ga allows up to 48 MiB. */
#define ZO_VIRT_READ_CHUNK (3 * 1024 * 1024 - 64 * 1024)
/* Read a whole file from the guest. */
int zo_virt_guest_read(struct zo_virt *v, const char *name, const char *path, char **ret,
		       size_t *ret_len);
/* Stream a file from the guest to `fd` as it is read, in chunks of
 * ZO_VIRT_READ_CHUNK: memory stays bounded by one chunk. Its size in
 * *ret_len. */
int zo_virt_guest_read_fd(struct zo_virt *v, const char *name, const char *path, int fd,
			  size_t *ret_len);

/* Storage pools and volumes, defined from XML built in core/domain.h. */
/* The XML libvirt holds for `pool`; -ENOENT when there is no such pool. */
int zo_virt_pool_get_xml(struct zo_virt *v, const char *pool, char **ret_xml);
/* Define a pool from `xml`, build it (a directory pool: its directory)
 * and mark it to start with the daemon. */
int zo_virt_pool_define(struct zo_virt *v, const char *xml);
/* Stop `pool` if it is active and undefine it; a directory pool's files
 * stay. */
int zo_virt_pool_undefine(struct zo_virt *v, const char *pool);
/* Start `pool` unless it is active, and refresh its volume list. */
int zo_virt_pool_start(struct zo_virt *v, const char *pool);
/* Create a volume in `pool` from `xml`; its path. */
int zo_virt_vol_create(struct zo_virt *v, const char *pool, const char *xml, char **ret_path);
/* 0 also when the volume does not exist. */
int zo_virt_vol_delete(struct zo_virt *v, const char *pool, const char *vol);

#endif
