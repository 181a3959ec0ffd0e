/* Slurm adapter: the only code that runs Slurm's commands (sbatch,
 * scontrol, sinfo, squeue), each with an argv (never a shell), its output
 * captured, and a time limit: a controller that is down makes them retry
 * for a while. They read SLURM_CONF from the environment as usual.
 *
 * Failures: -ENOENT the program is not installed; -ETIMEDOUT it did not
 * finish in time; -EIO it failed, *ret_error holding what it said (its
 * last stderr line). *ret_error is set (allocated) for every failure. */
#ifndef ZO_SYS_SLURM_H
#define ZO_SYS_SLURM_H

#include <stddef.h>

/* Run `argv` (argv[0] is a Slurm program); its stdout in *ret_out. */
int zo_slurm_run(char *const argv[], char **ret_out, char **ret_error);

/* sbatch with `argv` (from core/slurm's zo_slurm_sbatch_argv, which asks
 * for --parsable): the job ID in *ret_jobid. */
int zo_slurm_sbatch(char *const argv[], char **ret_jobid, char **ret_error);

/* Every feature some node has (sinfo), sorted, NULL-terminated. */
int zo_slurm_features(char ***ret, char **ret_error);

/* One node as sinfo shows it. */
struct zo_slurm_node {
	char *state;    /* "idle", "drained", "mixed", "down*"... */
	char *reason;   /* "" for none */
	char *features; /* "zerosim,ept_off,pabits39", "" for none */
	char *gres;     /* "swapgb:10239", "" for none */
};
/* -ENODEV when Slurm has no such node. */
int zo_slurm_node_get(const char *name, struct zo_slurm_node *ret, char **ret_error);
void zo_slurm_node_release(struct zo_slurm_node *n);
/* scontrol update NodeName=NAME State=STATE [Reason=REASON] */
int zo_slurm_node_update(const char *name, const char *state, const char *reason,
			 char **ret_error);

/* The array tasks of job `jobid` Slurm still knows (pending, running, and
 * finished ones until MinJobAge). */
struct zo_slurm_task {
	long index; /* the array index; -1 for "0-59%3"-style pending rows */
	char *state; /* PENDING, RUNNING, COMPLETED, FAILED... */
	char *node;  /* "" when none */
	char *reason;
};
int zo_slurm_array_tasks(const char *jobid, struct zo_slurm_task **ret, size_t *ret_n,
			 char **ret_error);
void zo_slurm_tasks_free(struct zo_slurm_task *v, size_t n);

#endif
