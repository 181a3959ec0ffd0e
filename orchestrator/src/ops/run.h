/* The run harness: an experiment's arguments checked against its schema,
 * its results directory and file names (the old runner's rule), its phases
 * timed, the facts it learns, the host conditioned and put back
 * (ops/condition.h), the result files (.params, .time, .sim, .err; the
 * experiment writes .out), SIGINT/SIGTERM turned into a clean stop, and
 * --from. Experiments
 * (exp/<name>.c) are written against it. Never prints: failures are
 * -errno with ctx->error set, plans go through zo_plan, lines the user
 * asked for through zo_say. */
#ifndef ZO_OPS_RUN_H
#define ZO_OPS_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/experiment.h"
#include "ops/condition.h"
#include "sys/sysfs.h"
#include "util/ctx.h"

struct zo_strbuf; /* util/str.h */

#define ZO_RUN_MAX_PHASES 16
#define ZO_RUN_MAX_FACTS 32
#define ZO_RUN_MAX_CREATED 8

/* One run, as its experiment sees it. */
struct zo_run {
	struct zo_ctx *ctx;
	const struct zo_exp_args *args;
	const char *dir; /* results directory (root prefix applied) */
	/* the same, opened once: every result file is created relative to it,
	 * new and never through a symbolic link (-1 under --dry-run) */
	int dir_fd;
	char *base;      /* file name without extension */
	char timestamp[40];
	struct zo_tsc_sample tsc_start; /* the TSC frequency is measured over the run */
	const char *phase; /* running now, or NULL */
	uint64_t phase_start_ns;
	struct {
		const char *name;
		uint64_t ns;
	} timings[ZO_RUN_MAX_PHASES];
	size_t n_timings;
	struct {
		const char *name;
		char *value;
	} facts[ZO_RUN_MAX_FACTS]; /* extra .params entries learned while running */
	size_t n_facts;
	/* files zo_run_create made: written under a hidden temporary name,
	 * given their own when the run ends */
	struct {
		char *tmp, *name; /* ".BASE.EXT.part", "BASE.EXT" */
		const char *phase; /* the phase that wrote it */
		bool done;         /* that phase ended well */
	} created[ZO_RUN_MAX_CREATED];
	size_t n_created;
	/* what the run changed on the host (zo_run_condition_*,
	 * zo_run_set_knob), put back at the end */
	struct zo_condition cond;
	char *error; /* why the run failed, for .err and the message */
};

/* Run `argv[0] ARGS...` (argv[0] names the experiment) as `zsim-orch run
 * EXP ARGS...` does: check the arguments against the schema (a failure is
 * kind ZO_FAIL_USAGE), create the results directory (results_dir, or
 * [paths] results under the root when NULL), run the phases and write the
 * result files. Under --dry-run, plan lines only. Returns 0, or -errno with
 * ctx->error "EXP failed in phase P: why": -EPERM a refusal (kind
 * ZO_FAIL_REFUSED), -EINTR stopped by the signal zo_run_stop_signal() names.
 * *ret_results is set to DIR/BASE, the path the result files share, once a
 * results set was started (also when the run then failed), else NULL. */
int zo_run_argv(struct zo_ctx *ctx, const char *results_dir, int argc, char **argv,
		char **ret_results);
/* zo_run_argv with `results_dir` already open as `results_fd` (the spool
 * daemon's run: made below [paths] results without following links). The
 * fd is the caller's (duplicated, not closed). */
int zo_run_argv_at(struct zo_ctx *ctx, const char *results_dir, int results_fd, int argc,
		   char **argv, char **ret_results);
/* A setting the caller knows and the run records in .params beside its
 * own facts (a Slurm task: its job, array task, node and attempt). */
struct zo_run_fact {
	const char *name;
	const char *value;
};
/* zo_run_argv, recording `facts` (n_facts of them) in .params as well. */
int zo_run_argv_facts(struct zo_ctx *ctx, const char *results_dir,
		      const struct zo_run_fact *facts, size_t n_facts, int argc, char **argv,
		      char **ret_results);
/* The schema check of zo_run_argv alone: 0, or -EINVAL (-ENOMEM) with
 * kind ZO_FAIL_USAGE. Lets a caller refuse bad input before it locks. */
int zo_run_check_argv(struct zo_ctx *ctx, int argc, char **argv);
/* Run again what a .params file recorded, after saying (zo_say) which
 * recorded facts differ on this host. As zo_run_argv otherwise. */
int zo_run_from(struct zo_ctx *ctx, const char *results_dir, const char *params_path,
		char **ret_results);
/* The signal (SIGINT, SIGTERM) that stopped the last run, or 0. */
int zo_run_stop_signal(void);

/* For experiments. */
void zo_run_phase_begin(struct zo_run *run, const char *name);
void zo_run_phase_end(struct zo_run *run);
/* DIR/BASE.EXT, allocated; NULL when out of memory. For messages: the
 * files are created by zo_run_create and zo_run_write. */
char *zo_run_file(const struct zo_run *run, const char *ext);
/* Create BASE.EXT in the results directory, relative to run->dir_fd: its
 * fd (write-only), or -errno with the reason in the run. It is written
 * under a hidden temporary name (.BASE.EXT.part, new: O_EXCL, O_NOFOLLOW),
 * so a run that dies meanwhile leaves no part of it under its name; when
 * the run ends it is made durable and linked to BASE.EXT (never replacing
 * anything there), or, when the phase that wrote it failed, to
 * BASE.EXT.partial. */
int zo_run_create(struct zo_run *run, const char *ext);
/* Write BASE.EXT as zo_run_create creates it (made durable when the run
 * ends). */
int zo_run_write(struct zo_run *run, const char *ext, const char *text);
int zo_run_add_fact(struct zo_run *run, const char *name, const char *value);
/* .sim in the old runner's sections and order (gen_standard_sim_output):
 * "Host Config" (cpuinfo, the block devices as lsblk shows them),
 * "Simulation Stats (Host)" (meminfo, zswap's debugfs counters,
 * /proc/zerosim_guest_offset), "Simulation Stats (Guest)" (the target's
 * meminfo), "dmesg (Host)", "dmesg (Guest)"; then zsim's own sections
 * (swaps, vmstat, zswap parameters, the thin pool) and `extra`. A NULL
 * guest text says the run had no target. */
int zo_run_write_sim(struct zo_run *run, const char *guest_meminfo, const char *guest_dmesg,
		     const char *extra);
/* The same for a run without a target. */
int zo_run_write_host_sim(struct zo_run *run, const char *extra);
/* zswap's debugfs counters now, as .sim shows them (the runner's `tail`
 * of every /sys/kernel/debug/zswap file): appended to *sb. */
void zo_run_zswap_stats(struct zo_run *run, struct zo_strbuf *sb);
/* Condition the host for the run (zo_condition_host, then after the boot
 * zo_condition_booted); put back when the run ends, also when it failed
 * or was stopped ("restore host"), and recorded in .params. 0, or -errno
 * with the reason in the run. */
int zo_run_condition_host(struct zo_run *run, const struct zo_condition_spec *s);
int zo_run_condition_booted(struct zo_run *run, const struct zo_condition_spec *s);
/* Set a /proc or /sys knob (under the root) for this run, recorded and put
 * back like the conditioning. -ENOENT when this kernel has no such file
 * (recorded as absent). */
int zo_run_set_knob(struct zo_run *run, const char *path, const char *value);
/* Record why the run failed and return r (a -errno). */
int zo_run_fail(struct zo_run *run, int r, const char *fmt, ...) ZO_PRINTF(3, 4);
/* Set to the signal number by SIGINT/SIGTERM during a run: for waits. */
volatile sig_atomic_t *zo_run_stop_flag(void);

#endif
