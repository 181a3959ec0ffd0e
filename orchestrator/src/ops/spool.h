/* The spool directory, shared by `serve` (the daemon, ops/serve.h) and
 * `queue`.
 *
 *   SPOOL/NAME.job              dropped by users (root or group zsim)
 *   SPOOL/.zsim/incoming/ID.job  claimed: renamed here, atomically
 *   SPOOL/.zsim/STATE/JOBID/     one directory per run, STATE being
 *                                queued, running, done or failed; a state
 *                                change is a rename, so a crash leaves
 *                                every run in exactly one state
 *   SPOOL/.zsim/rejected/NAME(.error)
 *
 * A run's directory holds job.json (experiment, args, name, timeout,
 * attempt, times, results), job.ini (the file it came from), log, and
 * while it runs pid (its process group) and cancel (why it is being
 * stopped).
 *
 * JOBID sorts in submission order: milliseconds since the epoch, then the
 * run's index within its file. */
#ifndef ZO_OPS_SPOOL_H
#define ZO_OPS_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "util/ctx.h"
#include "util/diag.h"
#include "util/log.h"

#define ZO_SPOOL_STATES 4
extern const char *const zo_spool_states[ZO_SPOOL_STATES]; /* queued running done failed */

struct zo_spool {
	char *dir;   /* SPOOL (root prefix applied) */
	char *state; /* SPOOL/.zsim */
	/* The daemon's side: */
	struct zo_log log;   /* one line per event (queued, rejected, started...) */
	bool dirty;          /* changes not yet made durable (zo_spool_flush) */
	uint64_t last_id_ms; /* the last claim's ID: IDs strictly increase */
};

/* Open [paths] spool; `create` makes it and its state directories (the
 * daemon). On failure s is released and ctx says why. s->log starts as
 * ctx->log. */
int zo_spool_open(struct zo_ctx *ctx, struct zo_spool *s, bool create);
void zo_spool_release(struct zo_spool *s);

/* SPOOL/.zsim/STATE/ID[/FILE] */
char *zo_spool_path(const struct zo_spool *s, const char *state, const char *id,
		    const char *file);
/* Which state the run is in, or NULL. */
const char *zo_spool_find(const struct zo_spool *s, const char *id);
/* The same, failing with "no job ID in SPOOL" in ctx (-ENOENT). */
int zo_spool_locate(struct zo_ctx *ctx, const struct zo_spool *s, const char *id,
		    const char **ret_state);
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

/* Every run, whatever its state, in ID (submission) order. */
struct zo_spool_entry {
	char *id;
	const char *state; /* the directory it is in: one of zo_spool_states */
};
int zo_spool_list_all(const struct zo_spool *s, struct zo_spool_entry **ret, size_t *ret_n);
void zo_spool_entries_free(struct zo_spool_entry *v, size_t n);

/* ---- queue: submitting and looking after runs ---- */

/* Write a job file into SPOOL atomically (".NAME.tmp", then rename); never
 * over one still waiting to be claimed (-EEXIST). */
int zo_spool_submit(const struct zo_spool *s, const char *name, const char *text,
		    char **ret_path);
/* Submit one run of `experiment` with `argv` (already checked against its
 * schema) as a job file named after it. */
int zo_spool_submit_run(struct zo_ctx *ctx, const struct zo_spool *s, const char *experiment,
			int argc, char **argv, char **ret_path);

/* A job file read and checked as the daemon will check it. */
struct zo_job_file {
	char *text;  /* the file as read */
	char *name;  /* the name it is submitted under: the file name without .job */
	size_t runs; /* how many runs it stands for */
	struct zo_job_run *expanded; /* those runs (core/job.h) */
};
/* Read and check `file`. -EBADMSG: it is not INI, `ret_diags` say why
 * (ctx is not set); other failures say why in ctx. */
int zo_spool_read_job(struct zo_ctx *ctx, const char *file, struct zo_job_file *ret,
		      struct zo_diags *ret_diags);
void zo_job_file_release(struct zo_job_file *j);
/* Put a checked job file into the spool under its name. */
int zo_spool_submit_file(struct zo_ctx *ctx, const struct zo_spool *s, const char *file,
			 const struct zo_job_file *job, char **ret_path);

enum {
	ZO_SPOOL_CANCELLED = 0, /* it had not started: filed as cancelled */
	ZO_SPOOL_STOPPING = 1,  /* it runs: signalled, the daemon files it */
};
/* Cancel a run in `state` (zo_spool_locate). Returns one of the above. */
int zo_spool_cancel(struct zo_ctx *ctx, const struct zo_spool *s, const char *id,
		    const char *state);
/* Queue a finished run again as a new run; its ID in ret_id. */
int zo_spool_retry(struct zo_ctx *ctx, const struct zo_spool *s, const char *id,
		   const char *state, char **ret_id);
/* Hand a run's log to `emit` as it grows; with `follow`, until the run
 * has finished. */
typedef void (*zo_spool_emit_fn)(void *userdata, const char *text, size_t len);
int zo_spool_show_log(const struct zo_spool *s, const char *id, const char *state, bool follow,
		      zo_spool_emit_fn emit, void *userdata);

/* ---- the daemon's side (ops/serve.c); events go to s->log ---- */

/* Check one file dropped into SPOOL and claim it: queue its runs, or move
 * it to rejected with the reason. Other names are left alone. */
void zo_spool_claim(struct zo_spool *s, const char *name);
/* A regular file with one link (claimed when it is closed; anything else
 * is turned away when it appears). */
bool zo_spool_is_plain_file(const struct zo_spool *s, const char *name);
/* Claim what waits: files claimed before a crash but not yet expanded,
 * then every file in SPOOL. */
void zo_spool_scan(struct zo_spool *s);
/* After a crash: a run left running is stopped if its process group
 * still lives, then queued again once, or failed. */
void zo_spool_recover(struct zo_spool *s);
/* Make every spool change so far durable (one journal commit), if any. */
void zo_spool_flush(struct zo_spool *s);

/* The run zo_spool_start_next moved to running. */
struct zo_spool_job {
	char *id;
	char *name;
	char **argv; /* experiment, then its arguments; NULL-terminated */
	int argc;
	char *results; /* its results directory */
	char *log;     /* its log file */
	uint64_t timeout_s;
	int attempt;
};
/* Move the first queued run to running, recording the attempt, its start
 * and its results directory under `results_base`, and flush. 1 with
 * ret filled, or 0 when there is nothing to run. */
int zo_spool_start_next(struct zo_spool *s, const char *results_base, struct zo_spool_job *ret);
void zo_spool_job_release(struct zo_spool_job *j);
/* The process group a running run was started in, recorded for cancel
 * and recover. */
int zo_spool_write_pid(const struct zo_spool *s, const char *id, long pid);
/* Why a running run is being stopped (read when it is filed). */
int zo_spool_mark_cancel(const struct zo_spool *s, const char *id, const char *why);
/* File a running run that exited with `code` after `ms`: done, failed,
 * timed out or cancelled. */
void zo_spool_finish(struct zo_spool *s, const char *id, int code, bool timed_out, uint64_t ms);

#endif
