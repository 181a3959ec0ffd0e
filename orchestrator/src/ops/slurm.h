/* Many nodes through Slurm: a job file becomes one job array over the
 * fleet (submit), each array task runs one entry of the sweep's manifest
 * on its node (task), and the node side: the NodeName line a node
 * advertises (node-conf), the health check that drains a node unfit for
 * runs and resumes it once fit, and the epilog that leaves a node clean.
 *
 *   SHARED/sweeps/SWEEP/manifest.json  index -> experiment, args, name, repeat
 *   SHARED/sweeps/SWEEP/batch.sh       the batch script sbatch got
 *   SHARED/sweeps/SWEEP/job            the array's job ID (once submitted)
 *   SHARED/sweeps/SWEEP/log/JOB_TASK.log  each task's output, every attempt
 *   SHARED/SWEEP/NAME-JOB_TASK-rRESTART/  one attempt's results
 *
 * Every function returns >= 0 or -errno with ctx->error set; nothing here
 * prints. */
#ifndef ZO_OPS_SLURM_H
#define ZO_OPS_SLURM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/slurm.h"
#include "util/ctx.h"
#include "util/diag.h"

struct zo_slurm_submit_opts {
	const char *job_file;
	const char *shared;    /* the shared results directory (absolute) */
	const char *partition; /* NULL: the cluster's default */
	unsigned parallel;     /* at most this many at once; 0: no cap */
	uint64_t target_gb;    /* size the node requirements for this; 0: from the runs */
	uint64_t node_ram_gb;  /* RAM every node gives a target; 0: count none */
};

struct zo_slurm_submitted {
	char *sweep;     /* its ID */
	char *sweep_dir; /* SHARED/sweeps/SWEEP */
	char *jobid;     /* NULL under --dry-run */
	size_t n_runs;
};
void zo_slurm_submitted_release(struct zo_slurm_submitted *s);

/* Read the job file as the spool does (its messages for a bad one:
 * -EBADMSG with `diags` when it is not INI, kind USAGE otherwise), write
 * the manifest and batch script to SHARED/sweeps/SWEEP (the directory
 * appears whole, by a rename) and submit the array. When sbatch fails the
 * sweep directory is removed again: nothing half-written is left. Under
 * --dry-run: the manifest and the sbatch argv as plan lines, nothing
 * written. */
int zo_slurm_submit(struct zo_ctx *ctx, const struct zo_slurm_submit_opts *o,
		    struct zo_diags *diags, struct zo_slurm_submitted *ret);

/* What Slurm tells an array task (its environment). */
struct zo_slurm_task_env {
	const char *job_id;        /* SLURM_JOB_ID */
	const char *array_job_id;  /* SLURM_ARRAY_JOB_ID */
	const char *array_task_id; /* SLURM_ARRAY_TASK_ID */
	const char *restart_count; /* SLURM_RESTART_COUNT; NULL: 0 */
	const char *node;          /* SLURMD_NODENAME */
};

/* Run entry SLURM_ARRAY_TASK_ID of `manifest` into its own new attempt
 * directory, recording the Slurm identity in .params. As zo_run_argv
 * otherwise (*ret_results). A manifest this node cannot read, a host lock
 * held by someone else and, for a run that boots a target, libvirt not
 * answering are host-transient (kind TRANSIENT: exit 75, requeued
 * elsewhere; no attempt directory is made); an attempt directory that
 * exists already is an error (two attempts never share one). */
int zo_slurm_task(struct zo_ctx *ctx, const char *manifest, const struct zo_slurm_task_env *env,
		  char **ret_results);

/* This host's facts for its NodeName line (`name` NULL: the short host
 * name). */
int zo_slurm_node_facts(struct zo_ctx *ctx, const char *name, struct zo_slurm_node_facts *ret,
			char **ret_name);
/* The line itself (core/slurm's zo_slurm_node_conf). */
int zo_slurm_node_conf_line(struct zo_ctx *ctx, const char *name, bool dynamic, char **ret);

struct zo_slurm_health {
	char *node;
	char *failures; /* "CHECK: what (fix); ..."; "" when the node passes */
	enum zo_slurm_health_action action; /* what was done */
	char *reason;   /* the drain reason set, or NULL */
};
void zo_slurm_health_release(struct zo_slurm_health *h);

/* The node-level checks (preflight without a target: 0sim kernel, libvirt
 * answers, thin pool below its low-water mark; plus swap on, no target
 * left running on an idle node, Features and Gres as advertised), then
 * drain the node with a "zsim: ..." reason when one fails, or resume it
 * when it passes and only a zsim drain holds it. Returns 0 whatever the
 * checks said (h->failures); -errno when Slurm could not be asked. */
int zo_slurm_healthcheck(struct zo_ctx *ctx, const char *node, struct zo_slurm_health *ret);

/* After a job: destroy the configured target if it is still running and
 * set the knobs back to the config's profile. 0, or -errno (Slurm then
 * drains the node). *ret_destroyed says whether a target was destroyed. */
int zo_slurm_epilog(struct zo_ctx *ctx, bool *ret_destroyed);

/* One run of a sweep as status shows it. */
struct zo_slurm_run_status {
	size_t index;
	const char *name;    /* the manifest's */
	char *settings;      /* the arguments that vary across the sweep */
	const char *state;   /* pending, running, requeued, done, failed, unknown */
	char *node;          /* where the last attempt ran, or NULL */
	unsigned attempts;   /* result directories */
	char *results;       /* the last attempt's directory, or NULL */
};

struct zo_slurm_status {
	struct zo_slurm_manifest manifest;
	char *sweep_dir;
	char *jobid; /* NULL: never submitted */
	struct zo_slurm_run_status *runs;
	size_t n;
	char *slurm_error; /* Slurm could not be asked: why (states from the files only) */
};
void zo_slurm_status_release(struct zo_slurm_status *s);

/* `sweep`: a sweep ID under SHARED/sweeps (`shared` needed), or the path
 * of its directory. */
int zo_slurm_status_read(struct zo_ctx *ctx, const char *sweep, const char *shared,
			 struct zo_slurm_status *ret);

#endif
