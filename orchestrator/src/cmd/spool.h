/* The spool directory, shared by `serve` (the daemon) and `queue`.
 *
 *   SPOOL/NAME.job              dropped by users (root or group zsim)
 *   SPOOL/.zsim/incoming/ID.job  claimed: renamed here, atomically
 *   SPOOL/.zsim/STATE/JOBID/     one directory per run, STATE being
 *                                queued, running, done or failed; a state
 *                                change is a rename, so a crash leaves
 *                                every run in exactly one state
 *   SPOOL/.zsim/rejected/NAME(.error)
 *
 * JOBID sorts in submission order: milliseconds since the epoch, then the
 * run's index within its file. */
#ifndef ZO_CMD_SPOOL_H
#define ZO_CMD_SPOOL_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cmd/cmd.h"

#define ZO_SPOOL_STATES 4
extern const char *const zo_spool_states[ZO_SPOOL_STATES]; /* queued running done failed */

struct zo_spool {
	char *dir;   /* SPOOL (root prefix applied) */
	char *state; /* SPOOL/.zsim */
};

int zo_spool_open(struct zo_ctx *ctx, struct zo_spool *s, bool create);
void zo_spool_release(struct zo_spool *s);

/* SPOOL/.zsim/STATE/ID[/FILE] */
char *zo_spool_path(const struct zo_spool *s, const char *state, const char *id,
		    const char *file);
/* Which state the run is in, or NULL. */
const char *zo_spool_find(const struct zo_spool *s, const char *id);
/* The run's job.json (experiment, argv, name, timeout, attempt, times). */
json_object *zo_spool_read_meta(const struct zo_spool *s, const char *state, const char *id);
int zo_spool_write_meta(const struct zo_spool *s, const char *state, const char *id,
			json_object *meta);
/* Writes and moves are atomic but not durable until this: one journal
 * commit for a batch of them. */
int zo_spool_sync(const struct zo_spool *s);
/* Sorted run IDs in `state`. */
int zo_spool_list(const struct zo_spool *s, const char *state, char ***ret);
/* Move a run's directory from one state to another (rename). */
int zo_spool_move(const struct zo_spool *s, const char *id, const char *from, const char *to);

/* Write a job file into SPOOL atomically (".NAME.tmp", then rename). */
int zo_spool_submit(const struct zo_spool *s, const char *name, const char *text,
		    char **ret_path);

#endif
