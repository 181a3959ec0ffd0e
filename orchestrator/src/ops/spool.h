/* The spool directory, shared by `serve` (the daemon, ops/serve.h) and
 * `queue`.
 *
 *   SPOOL/NAME.job               dropped by users (root or group zsim);
 *                                SPOOL is root:zsim 03770 (the sticky bit:
 *                                a member can neither move nor replace
 *                                what is not theirs, .zsim included)
 *   SPOOL/.zsim/                 the daemon's, root-owned, writable by its
 *                                owner only; checked whenever it is opened
 *   SPOOL/.zsim/serve.lock       held by the one daemon serving the spool
 *   SPOOL/.zsim/ids              the last ID handed out (under flock)
 *   SPOOL/.zsim/incoming/ID.job  claimed: renamed here, atomically
 *   SPOOL/.zsim/jobs/ID.job      the claimed file once all its runs are
 *                                queued: its text, stored once per file
 *   SPOOL/.zsim/STATE/RUNID/     one directory per run, STATE being
 *                                queued, running, done or failed; a state
 *                                change is a rename, so a crash leaves
 *                                every run in exactly one state
 *   SPOOL/.zsim/rejected/NAME(.error)
 *
 * A run's directory holds job.json (experiment, args, name, timeout,
 * attempt, times, results, job_file), log, and while it runs pid (its
 * process group, with what proves it is that process) and cancel (why it
 * is being stopped).
 *
 * IDs sort in submission order: a claimed file's ID is milliseconds since
 * the epoch (13 digits), strictly increasing across every process that
 * hands one out (the ids file, under flock); its runs are ID-0001,
 * ID-0002...; a retry is NEWID-r. */
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
	char *dir;        /* SPOOL (root prefix applied) */
	char *state;      /* SPOOL/.zsim */
	/* The daemon's side: */
	struct zo_log log; /* one line per event (queued, rejected, started...) */
	bool dirty;        /* changes not yet made durable (zo_spool_flush) */
	int lock_fd;       /* serve.lock while this process serves the spool, or -1 */
	int ids_fd;        /* the ids file, kept open by the daemon, or -1 */
};

/* Open [paths] spool; `create` makes it and its state directories (the
 * daemon; it also sets SPOOL's sticky bit when missing). SPOOL and .zsim
 * are checked either way: owned by root (or this user), .zsim a real
 * directory only its owner may write, SPOOL not writable by others
 * without the sticky bit; otherwise refused, saying what to do. On
 * failure s is released and ctx says why. s->log starts as ctx->log. */
int zo_spool_open(struct zo_ctx *ctx, struct zo_spool *s, bool create);
/* One daemon per spool: hold serve.lock until s is released (or the
 * process ends). Held by another: refused (-EBUSY) naming its pid. */
int zo_spool_lock(struct zo_ctx *ctx, struct zo_spool *s);
void zo_spool_release(struct zo_spool *s);

/* Whether `id` is a run ID as the spool makes them (13 digits, '-', then
 * 4 or 5 digits or 'r'). Nothing else is ever looked up. */
bool zo_spool_id_valid(const char *id);
/* SPOOL/.zsim/STATE/ID[/FILE] */
char *zo_spool_path(const struct zo_spool *s, const char *state, const char *id,
		    const char *file);
/* Which state the run is in, or NULL (also for a malformed ID). */
const char *zo_spool_find(const struct zo_spool *s, const char *id);
/* The same, failing with "no job ID in SPOOL" in ctx (-ENOENT). */
int zo_spool_locate(struct zo_ctx *ctx, const struct zo_spool *s, const char *id,
		    const char **ret_state);
/* The run's job.json (experiment, argv, name, timeout, attempt, times), or
 * NULL when it is missing, not JSON or not a JSON object. */
json_object *zo_spool_read_meta(const struct zo_spool *s, const char *state, const char *id);
/* Whether a record has the shape the daemon writes: a JSON object whose
 * args, if any, is a list of strings, and with `runnable` also experiment
 * and name strings, args present, timeout_s and attempt small whole
 * numbers. 0, or -EBADMSG with *ret_why saying what is wrong. */
int zo_spool_check_meta(json_object *m, bool runnable, const char **ret_why);
int zo_spool_write_meta(const struct zo_spool *s, const char *state, const char *id,
			json_object *meta);
/* Writes and moves are atomic but not durable until this: one journal
 * commit for a batch of them. */
int zo_spool_sync(const struct zo_spool *s);
/* Sorted run IDs in `state` (only well-formed ones). */
int zo_spool_list(const struct zo_spool *s, const char *state, char ***ret);
/* Move a run's directory from one state to another (rename). */
int zo_spool_move(const struct zo_spool *s, const char *id, const char *from, const char *to);
/* A new ID (milliseconds since the epoch), larger than every one handed
 * out before by any process on this spool. */
int zo_spool_new_id(const struct zo_spool *s, uint64_t *ret);

/* Every run, whatever its state, in ID (submission) order. */
struct zo_spool_entry {
	char *id;
	const char *state; /* the directory it is in: one of zo_spool_states */
};
int zo_spool_list_all(const struct zo_spool *s, struct zo_spool_entry **ret, size_t *ret_n);
void zo_spool_entries_free(struct zo_spool_entry *v, size_t n);

/* The process group of running run `id`, proven to be the run: the pid
 * file names its leader with this boot's ID and the leader's start time,
 * and that process still has them and leads its group (read from this
 * kernel's /proc: the daemon's runs are live processes, never a fixture's,
 * so the root prefix does not apply). 1 with *ret_pgid,
 * 0 when not proven (*ret_why says why: nothing is to be signalled), or
 * -errno. */
int zo_spool_run_process(const struct zo_spool *s, const char *id, long *ret_pgid,
			 const char **ret_why);

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
	/* its process could not be proven to be the run (none left, or the
	 * daemon is not running): nothing was signalled; the daemon files it
	 * as cancelled (when it next starts) */
	ZO_SPOOL_CANCEL_MARKED = 2,
};
/* Cancel a run in `state` (zo_spool_locate). Returns one of the above;
 * *ret_why says why for ZO_SPOOL_CANCEL_MARKED. */
int zo_spool_cancel(struct zo_ctx *ctx, const struct zo_spool *s, const char *id,
		    const char *state, const char **ret_why);
/* Queue a finished run again as a new run; its ID in ret_id. */
int zo_spool_retry(struct zo_ctx *ctx, const struct zo_spool *s, const char *id,
		   const char *state, char **ret_id);
/* What zo_spool_show_log hands on; `record` may be NULL. */
struct zo_spool_log_reader {
	/* the log in pieces, however long it is */
	void (*text)(void *userdata, const char *text, size_t len);
	/* the run's record (job.json; NULL when unreadable, borrowed) and
	 * its state: once before any text, then after the text written
	 * before each change of its state, status or phase */
	void (*record)(void *userdata, const char *state, json_object *m);
	void *userdata;
	int signal; /* out: the SIGINT or SIGTERM that stopped a follow, or 0 */
};
/* Hand a run's log to the reader; with `follow`, as it grows until the
 * run has finished. A follow catches SIGINT and SIGTERM and stops on
 * them: -EINTR, with the signal in r->signal (no message). */
int zo_spool_show_log(struct zo_ctx *ctx, const struct zo_spool *s, const char *id,
		      const char *state, bool follow, struct zo_spool_log_reader *r);

/* ---- the daemon's side (ops/spool_daemon.c); events go to s->log ---- */

/* Check one file dropped into SPOOL and claim it: queue its runs, or move
 * it to rejected with the reason. Other names are left alone. Nothing
 * that is claimed vanishes: when a step fails (a full filesystem) the file
 * stays in SPOOL or is rejected saying why, logged at error priority. */
void zo_spool_claim(struct zo_spool *s, const char *name);
/* A regular file with one link (claimed when it is closed; anything else
 * is turned away when it appears). */
bool zo_spool_is_plain_file(const struct zo_spool *s, const char *name);
/* Claim what waits: files claimed before a crash but not yet expanded,
 * then every file in SPOOL. */
void zo_spool_scan(struct zo_spool *s);
/* After a crash: a run left running is stopped if its process is proven
 * to be the run, then queued again once (failed the second time), or
 * filed as cancelled when it was being cancelled. */
void zo_spool_recover(struct zo_spool *s);
/* Make every spool change so far durable (one journal commit), if any. */
void zo_spool_flush(struct zo_spool *s);

/* The run zo_spool_start_next moved to running. */
struct zo_spool_job {
	char *id;
	char *name;
	char **argv; /* experiment, then its arguments; NULL-terminated */
	int argc;
	char *results_name; /* its results directory, NAME-ID, below results_base */
	char *results;      /* the same, whole */
	char *log;          /* its log file */
	uint64_t timeout_s;
	int attempt;
};
/* Move the first queued run to running, recording the attempt, its start
 * and its results directory under `results_base`, and flush. Records that
 * cannot be run (unreadable, of the wrong shape) are filed as failed on
 * the way, saying why. 1 with ret filled, or 0 when there is nothing to
 * run. */
int zo_spool_start_next(struct zo_spool *s, const char *results_base, struct zo_spool_job *ret);
void zo_spool_job_release(struct zo_spool_job *j);
/* The process group a running run was started in, and what proves it is
 * that process (this boot's ID, the leader's start time), for cancel and
 * recover; written before the run may begin. */
int zo_spool_write_pid(const struct zo_spool *s, const char *id, long pid);
/* Why a running run is being stopped (read when it is filed). */
int zo_spool_mark_cancel(const struct zo_spool *s, const char *id, const char *why);
bool zo_spool_cancel_marked(const struct zo_spool *s, const char *id);
/* Exit 75 (EX_TEMPFAIL): the host did not answer; a run is queued again
 * once for it. */
#define ZO_SPOOL_EXIT_TEMPFAIL 75
/* File a running run that exited with `code` after `ms`: done, failed,
 * timed out or cancelled; or, the first time it exits 75, queue it again
 * (its results set aside as RESULTS.attemptN-tempfail). */
void zo_spool_finish(struct zo_spool *s, const char *id, int code, bool timed_out, uint64_t ms);
/* Record the phase a running run said it is in ("phase" in its job.json,
 * which queue ls shows); dropped when it is filed. */
int zo_spool_set_phase(struct zo_spool *s, const char *id, const char *phase);
/* File a running run that never began (its results directory could not
 * be made, its process not recorded) as failed, saying why. */
void zo_spool_fail_start(struct zo_spool *s, const char *id, const char *why);

/* ---- between spool.c and spool_daemon.c ---- */

struct zo_job_run;
/* The runs the job file at `path` stands for, named after `name`.
 * -EBADMSG: not INI (`diags` say why); -EINVAL: *ret_why says why (or is
 * NULL when memory ran out). */
int zo_spool_load_job(const char *path, const char *name, struct zo_diags *diags,
		      struct zo_job_run **ret_runs, size_t *ret_n, char **ret_why);
/* Remove a run's directory that holds files only (a half-made one). */
int zo_spool_remove_dir(const char *path);

/* "dir/NAME.job" -> "NAME" (a name without .job stays as it is). */
char *zo_spool_job_name(const char *file);
/* "2024-01-31T12:00:00+0100" now. */
void zo_spool_now_iso(char *buf, size_t len);

#endif
