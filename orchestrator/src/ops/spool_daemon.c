/* The daemon's side of the spool (ops/spool.h): claiming dropped files,
 * queuing their runs, recovering after a crash, starting and filing runs.
 * Events go to s->log; nothing here prints. */
#include "ops/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/job.h"
#include "sys/process.h"
#include "util/diag.h"
#include "util/file.h"
#include "util/json.h"
#include "util/sha256.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

/* Longer dropped file names are turned away: the claimed file is kept as
 * ID.NAME, and NAME.error must fit in a file name too. */
#define MAX_DROPPED_NAME 200

/* NAME.error, or for a name too long for that, its first 200 bytes and a
 * digest of the whole name. */
static char *error_name(const char *name)
{
	struct zo_sha256 c;
	char hex[65];

	if (strlen(name) + strlen(".error") <= 255)
		return zo_asprintf("%s.error", name);
	zo_sha256_init(&c);
	zo_sha256_update(&c, name, strlen(name));
	zo_sha256_hex(&c, hex);
	return zo_asprintf("%.200s-%.16s.error", name, hex);
}

/* Move `from` (SPOOL/NAME, or the claimed copy) to rejected/NAME with a
 * NAME.error saying why. If it cannot be moved it stays where it is. */
static void reject(struct zo_spool *s, const char *from, const char *name, int priority,
		   const char *why)
{
	_cleanup_free_ char *to = zo_asprintf("%s/rejected/%s", s->state, name);
	_cleanup_free_ char *ename = error_name(name);
	_cleanup_free_ char *err = ename ? zo_asprintf("%s/rejected/%s", s->state, ename) : NULL;
	_cleanup_free_ char *text = NULL;
	int r;

	zo_log(&s->log, priority, "rejected %s: %s", name, why);
	s->dirty = true;
	if (!to || !err) {
		zo_err(&s->log, "out of memory; %s stays in %s", name, from);
		return;
	}
	/* The reason is written before the file moves: a daemon killed in
	 * between leaves a stale reason the next rejection replaces, never a
	 * rejected file without one. */
	text = strlen(name) + strlen(".error") <= 255 ? zo_asprintf("%s\n", why)
						      : zo_asprintf("%s: %s\n", name, why);
	r = text ? zo_write_file_replace(err, text) : -ENOMEM;
	if (r < 0)
		zo_err(&s->log, "cannot write %s (%s was rejected: %s): %s", err, name, why,
		       strerror(-r));
	if (rename(from, to) < 0) {
		zo_err(&s->log, "cannot move %s to %s/rejected: %s; it stays in %s", name, s->state,
		       strerror(errno), from);
		/* a reason for nothing, unless an earlier file of that name is there */
		if (r == 0 && access(to, F_OK) < 0)
			(void)unlink(err);
	}
}

/* Root, or a member of group zsim, may queue jobs. */
static bool may_submit(uid_t uid)
{
	struct group *g;
	struct passwd *pw;
	char **m;

	if (uid == 0)
		return true;
	g = getgrnam("zsim");
	pw = getpwuid(uid);
	if (!g || !pw)
		return false;
	if (pw->pw_gid == g->gr_gid)
		return true;
	for (m = g->gr_mem; *m; m++)
		if (!strcmp(*m, pw->pw_name))
			return true;
	return false;
}

/* Write run `rid`'s record into `tmp`, a new hidden directory. */
static int write_run(const char *tmp, const char *rid, const struct zo_job_run *run,
		     const char *file, const char *job_file, const char *stamp)
{
	_cleanup_free_ char *meta = zo_asprintf("%s/job.json", tmp);
	json_object *m, *arr;
	size_t k;
	int r;

	if (!meta)
		return -ENOMEM;
	if (mkdir(tmp, 0755) < 0)
		return -errno;
	m = json_object_new_object();
	arr = json_object_new_array();
	if (!m || !arr) {
		json_object_put(m);
		json_object_put(arr);
		return -ENOMEM;
	}
	zo_json_add_str(m, "id", rid);
	zo_json_add_str(m, "name", run->name);
	zo_json_add_str(m, "file", file);
	zo_json_add_str(m, "job_file", job_file);
	zo_json_add_str(m, "experiment", run->experiment);
	for (k = 0; run->argv[k]; k++)
		json_object_array_add(arr, json_object_new_string(run->argv[k]));
	json_object_object_add(m, "args", arr);
	zo_json_add_u64(m, "timeout_s", run->timeout_s);
	zo_json_add_int(m, "attempt", 0);
	zo_json_add_str(m, "submitted", stamp);
	r = zo_write_file_replace(meta, zo_json_text(m));
	json_object_put(m);
	return r;
}

struct pending {
	char *rid, *tmp, *dst;
	bool existed, renamed;
};

static void pending_free(struct pending *p, size_t n)
{
	size_t i;

	for (i = 0; p && i < n; i++) {
		free(p[i].rid);
		free(p[i].tmp);
		free(p[i].dst);
	}
	free(p);
}

/* Queue every run of claimed file `id`, all or none: each is written in a
 * hidden directory first, then all are renamed into queued; on any
 * failure those made are taken back. A run that exists already (queued
 * before a crash) is left as it is. *ret_resumed says whether one did. */
static int queue_runs(struct zo_spool *s, const char *id, const struct zo_job_run *runs, size_t n,
		      const char *file, const char *job_file, bool *ret_resumed)
{
	struct pending *p = calloc(n ? n : 1, sizeof(*p));
	char stamp[40];
	size_t i;
	int r = 0;

	*ret_resumed = false;
	if (!p)
		return -ENOMEM;
	zo_spool_now_iso(stamp, sizeof(stamp));
	for (i = 0; i < n && r == 0; i++) {
		p[i].rid = zo_asprintf("%s-%04zu", id, i + 1);
		p[i].tmp = p[i].rid ? zo_asprintf("%s/queued/.%s.tmp", s->state, p[i].rid) : NULL;
		p[i].dst = p[i].rid ? zo_spool_path(s, "queued", p[i].rid, NULL) : NULL;
		if (!p[i].tmp || !p[i].dst) {
			r = -ENOMEM;
			break;
		}
		/* never a run twice: one queued before a crash stays as it is */
		p[i].existed = zo_spool_find(s, p[i].rid) != NULL;
		if (p[i].existed) {
			*ret_resumed = true;
			continue;
		}
		zo_spool_remove_dir(p[i].tmp); /* half made before a crash */
		r = write_run(p[i].tmp, p[i].rid, &runs[i], file, job_file, stamp);
	}
	for (i = 0; i < n && r == 0; i++) {
		if (p[i].existed)
			continue;
		if (rename(p[i].tmp, p[i].dst) < 0)
			r = -errno;
		else
			p[i].renamed = true;
	}
	for (i = 0; i < n && r < 0; i++) {
		if (!p[i].tmp || p[i].existed)
			continue;
		if (p[i].renamed && rename(p[i].dst, p[i].tmp) < 0)
			zo_spool_remove_dir(p[i].dst);
		zo_spool_remove_dir(p[i].tmp);
	}
	s->dirty = true;
	pending_free(p, n);
	return r;
}

/* Queue every run a claimed file (at `path`, claimed as `id`) stands for,
 * then keep the file once as jobs/ID.NAME; reject it if it is bad. */
static void expand(struct zo_spool *s, const char *id, const char *path, const char *name)
{
	struct zo_diags diags = { 0 };
	struct zo_job_run *runs = NULL;
	_cleanup_free_ char *why = NULL, *base = zo_spool_job_name(name);
	_cleanup_free_ char *kept = zo_asprintf("%s/jobs/%s.%s", s->state, id, name);
	size_t n = 0;
	bool resumed = false;
	int r;

	r = zo_spool_load_job(path, base ? base : "job", &diags, &runs, &n, &why);
	if (r == -EBADMSG) {
		free(why);
		why = diags.n ? zo_asprintf("line %u: %s", diags.v[0].line, diags.v[0].message)
			      : strdup("unreadable job file");
	}
	if (r < 0 || !kept) {
		reject(s, path, name, LOG_WARNING, why ? why : "out of memory");
		goto out;
	}
	r = queue_runs(s, id, runs, n, name, kept, &resumed);
	if (r < 0 && resumed) {
		/* some runs were queued (and may have run) before a crash: the
		 * file stays claimed, to be finished when serve restarts */
		zo_err(&s->log, "cannot queue the rest of %s: %s; it stays in %s and is queued "
				"when serve restarts",
		       name, strerror(-r), path);
		goto out;
	}
	if (r < 0) {
		_cleanup_free_ char *msg = zo_asprintf(
			"cannot queue its runs: %s (in %s); nothing of it was queued: submit it "
			"again once that is fixed",
			strerror(-r), s->state);

		reject(s, path, name, LOG_ERR, msg ? msg : strerror(-r));
		goto out;
	}
	if (rename(path, kept) < 0)
		zo_err(&s->log, "queued %s, but cannot move %s to %s: %s; it is kept there and "
				"its runs are not queued twice",
		       name, path, kept, strerror(errno));
	zo_info(&s->log, "queued %s: %zu run%s", name, n, n == 1 ? "" : "s");
out:
	zo_job_runs_free(runs, n);
	zo_diags_release(&diags);
}

void zo_spool_flush(struct zo_spool *s)
{
	int r;

	if (!s->dirty)
		return;
	r = zo_spool_sync(s);
	if (r < 0)
		zo_err(&s->log, "cannot flush %s to disk: %s", s->state, strerror(-r));
	s->dirty = false;
}

/* Why a dropped file is turned away, or NULL. */
static const char *check_dropped(const char *name, const struct stat *st)
{
	if (S_ISLNK(st->st_mode))
		return "a symbolic link; submit the job file itself";
	if (!S_ISREG(st->st_mode))
		return "not a regular file (a FIFO, a device or a directory)";
	if (st->st_nlink != 1)
		return "a hard link to another file; submit a copy";
	if (st->st_size > ZO_JOB_MAX_BYTES)
		return "larger than 64 KiB; a job file is a few lines";
	if (!may_submit(st->st_uid))
		return "owned by a user who is neither root nor in group zsim";
	if (strlen(name) > MAX_DROPPED_NAME)
		return "its name is longer than 200 characters; use a shorter one";
	return NULL;
}

void zo_spool_claim(struct zo_spool *s, const char *name)
{
	_cleanup_free_ char *path = zo_asprintf("%s/%s", s->dir, name);
	_cleanup_free_ char *id = NULL, *dest = NULL;
	struct stat st, fst, after;
	size_t len = strlen(name);
	const char *why;
	uint64_t ms;
	int fd, r;

	if (!path || name[0] == '.' || len < 5 || strcmp(name + len - 4, ".job"))
		return;
	if (lstat(path, &st) < 0)
		return;
	why = check_dropped(name, &st);
	if (why)
		return reject(s, path, name, LOG_WARNING, why);
	/* the same file as inspected: opened without following links, and
	 * after the rename still the same inode */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &fst) < 0 || fst.st_ino != st.st_ino || fst.st_dev != st.st_dev) {
		close(fd);
		return reject(s, path, name, LOG_WARNING, "replaced while it was being checked");
	}
	close(fd);
	r = zo_spool_new_id(s, &ms);
	id = r < 0 ? NULL : zo_asprintf("%013llu", (unsigned long long)ms);
	dest = id ? zo_asprintf("%s/incoming/%s.%s", s->state, id, name) : NULL;
	if (!dest) {
		zo_err(&s->log, "cannot claim %s: no ID for it (%s); it stays in %s", name,
		       strerror(r < 0 ? -r : ENOMEM), s->dir);
		return;
	}
	if (rename(path, dest) < 0) {
		if (errno != ENOENT)
			zo_err(&s->log, "cannot claim %s: %s; it stays in %s", name, strerror(errno),
			       s->dir);
		return;
	}
	s->dirty = true;
	if (lstat(dest, &after) < 0 || after.st_ino != st.st_ino) {
		_cleanup_free_ char *back = zo_asprintf("%s/%s", s->dir, name);

		if (back && rename(dest, back) == 0)
			return reject(s, back, name, LOG_WARNING, "replaced while it was being claimed");
		return reject(s, dest, name, LOG_WARNING, "replaced while it was being claimed");
	}
	expand(s, id, dest, name);
}

bool zo_spool_is_plain_file(const struct zo_spool *s, const char *name)
{
	_cleanup_free_ char *path = zo_asprintf("%s/%s", s->dir, name);
	struct stat st;

	return path && lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1;
}

/* incoming/ID.NAME (or ID.job, as older versions named it) -> ID, NAME */
static bool split_claimed(const char *entry, char **ret_id, const char **ret_name)
{
	size_t i;

	for (i = 0; i < 13; i++)
		if (entry[i] < '0' || entry[i] > '9')
			return false;
	if (entry[13] != '.' || !entry[14])
		return false;
	*ret_id = strndup(entry, 13);
	*ret_name = entry + 14;
	return *ret_id != NULL;
}

void zo_spool_scan(struct zo_spool *s)
{
	_cleanup_free_ char *inc = zo_asprintf("%s/incoming", s->state);
	struct dirent *de;
	DIR *dir;

	/* claimed before a crash but not yet (wholly) queued */
	dir = inc ? opendir(inc) : NULL;
	while (dir && (de = readdir(dir))) {
		_cleanup_free_ char *p = NULL, *id = NULL;
		const char *name;

		if (de->d_name[0] == '.' || !split_claimed(de->d_name, &id, &name))
			continue;
		p = zo_asprintf("%s/%s", inc, de->d_name);
		if (p)
			expand(s, id, p, name);
	}
	if (dir)
		closedir(dir);
	dir = opendir(s->dir);
	while (dir && (de = readdir(dir)))
		zo_spool_claim(s, de->d_name);
	if (dir)
		closedir(dir);
}

/* ---- runs ---- */

/* File a run whose record cannot be used as failed: the record is kept as
 * job.json.bad and a new one says why. */
static void fail_record(struct zo_spool *s, const char *state, const char *id, const char *why)
{
	_cleanup_free_ char *bad = zo_spool_path(s, state, id, "job.json");
	_cleanup_free_ char *keep = bad ? zo_asprintf("%s.bad", bad) : NULL;
	json_object *m = json_object_new_object();
	int r;

	if (keep && rename(bad, keep) < 0 && errno != ENOENT)
		zo_err(&s->log, "cannot keep %s as %s: %s", bad, keep, strerror(errno));
	if (m) {
		zo_json_add_str(m, "id", id);
		zo_json_add_str(m, "status", "failed");
		zo_json_add_str(m, "error", why);
		r = zo_spool_write_meta(s, state, id, m);
		if (r < 0)
			zo_err(&s->log, "cannot write %s's record: %s", id, strerror(-r));
		json_object_put(m);
	}
	r = zo_spool_move(s, id, state, "failed");
	if (r < 0)
		zo_err(&s->log, "cannot move %s to failed: %s", id, strerror(-r));
	s->dirty = true;
	zo_err(&s->log, "%s: %s; filed as failed", id, why);
}

/* An interrupted attempt's partial results are kept, but apart from the
 * next attempt's, so no results directory ever mixes two runs: RESULTS
 * becomes RESULTS.attemptN-WHY. */
static void set_aside_results(struct zo_spool *s, json_object *m, int attempt, const char *why)
{
	const char *results = zo_json_get_str(m, "results");
	_cleanup_free_ char *aside = NULL;
	struct stat st;

	if (!results || lstat(results, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	aside = zo_asprintf("%s.attempt%d-%s", results, attempt, why);
	if (aside && rename(results, aside) == 0)
		zo_json_add_str(m, "interrupted_results", aside);
	else
		zo_err(&s->log, "cannot set %s aside: %s", results, strerror(errno));
}

/* A run the old daemon left behind would run twice: stop it, if its
 * process is proven to be the run; never anything else. */
static void stop_leftover(struct zo_spool *s, const char *id)
{
	const char *why = NULL;
	long pg = 0;
	int waited, r = zo_spool_run_process(s, id, &pg, &why);

	if (r == 0 && strcmp(why, "its process has exited") &&
	    strcmp(why, "no process is recorded for it"))
		zo_warn(&s->log, "%s: not signalling the process its pid file names: %s", id, why);
	if (r <= 0)
		return;
	zo_warn(&s->log, "%s: its process group %ld still runs; stopping it", id, pg);
	if (kill((pid_t)-pg, SIGTERM) == 0)
		for (waited = 0; waited < 100 && kill((pid_t)-pg, 0) == 0; waited++)
			zo_sleep_ms(100, NULL);
	kill((pid_t)-pg, SIGKILL);
}

/* Queue an interrupted run again (or fail it, the second time). */
static void requeue_interrupted(struct zo_spool *s, const char *id, json_object *m, int attempt)
{
	int r;

	set_aside_results(s, m, attempt, "interrupted");
	if (attempt < 2) {
		zo_json_add_str(m, "requeued", "the daemon stopped while it ran");
		r = zo_spool_write_meta(s, "running", id, m);
		if (r >= 0)
			r = zo_spool_move(s, id, "running", "queued");
		if (r < 0)
			zo_err(&s->log, "%s: cannot queue it again: %s", id, strerror(-r));
		else
			zo_warn(&s->log,
				"%s: the daemon stopped while it ran; queued again (attempt %d next)",
				id, attempt + 1);
	} else {
		zo_json_add_str(m, "status", "failed");
		zo_json_add_str(m, "error", "the daemon stopped while it ran, twice; not "
					    "run again");
		zo_spool_write_meta(s, "running", id, m);
		zo_spool_move(s, id, "running", "failed");
		zo_err(&s->log, "%s: interrupted twice; failed", id);
	}
}

static int64_t get_int(json_object *m, const char *key, int64_t dflt)
{
	json_object *v;

	return json_object_object_get_ex(m, key, &v) && json_object_is_type(v, json_type_int)
		       ? json_object_get_int64(v)
		       : dflt;
}

void zo_spool_recover(struct zo_spool *s)
{
	char **ids = NULL;
	int n = zo_spool_list(s, "running", &ids), i;

	s->dirty = n > 0;
	for (i = 0; i < n; i++) {
		json_object *m = zo_spool_read_meta(s, "running", ids[i]);
		const char *why = NULL;

		stop_leftover(s, ids[i]);
		if (zo_spool_check_meta(m, true, &why) < 0) {
			fail_record(s, "running", ids[i], why);
		} else if (zo_spool_cancel_marked(s, ids[i])) {
			/* cancelled while no daemon could stop it */
			zo_json_add_str(m, "status", "cancelled");
			zo_spool_write_meta(s, "running", ids[i], m);
			zo_spool_move(s, ids[i], "running", "failed");
			zo_info(&s->log, "%s: cancelled while the daemon was not running; filed as "
					 "cancelled",
				ids[i]);
		} else {
			requeue_interrupted(s, ids[i], m, (int)get_int(m, "attempt", 1));
		}
		if (m)
			json_object_put(m);
	}
	zo_strv_free(ids);
}

/* The run's argv (experiment first) from its checked record. */
static int job_argv(json_object *m, const char *exp, struct zo_spool_job *j)
{
	json_object *args;
	size_t nargs, i;

	if (!json_object_object_get_ex(m, "args", &args))
		return -EINVAL;
	nargs = json_object_array_length(args);
	j->argv = calloc(nargs + 2, sizeof(char *));
	if (!j->argv)
		return -ENOMEM;
	j->argv[j->argc++] = strdup(exp);
	for (i = 0; i < nargs; i++)
		j->argv[j->argc++] = strdup(json_object_get_string(json_object_array_get_idx(args, i)));
	for (i = 0; i < (size_t)j->argc; i++)
		if (!j->argv[i])
			return -ENOMEM;
	return 0;
}

/* Record the attempt about to start in `m` and fill `j` from it. */
static int begin_attempt(json_object *m, const char *id, const char *name,
			 const char *results_base, struct zo_spool_job *j)
{
	char stamp[40];

	j->attempt = (int)get_int(m, "attempt", 0) + 1;
	json_object_object_add(m, "attempt", json_object_new_int(j->attempt));
	zo_spool_now_iso(stamp, sizeof(stamp));
	zo_json_add_str(m, "started", stamp);
	j->results_name = zo_asprintf("%s-%s", name, id);
	j->results = j->results_name && results_base
			     ? zo_asprintf("%s/%s", results_base, j->results_name)
			     : NULL;
	zo_json_add_str(m, "results", j->results);
	j->timeout_s = (uint64_t)get_int(m, "timeout_s", 0);
	return j->results ? 0 : -ENOMEM;
}

int zo_spool_start_next(struct zo_spool *s, const char *results_base, struct zo_spool_job *ret)
{
	for (;;) {
		struct zo_spool_job j = { 0 };
		const char *why = NULL;
		char **ids = NULL;
		json_object *m;
		int n, r;

		n = zo_spool_list(s, "queued", &ids);
		/* freed now, not after the fork: every page the daemon writes
		 * while the child shares it is copied (with a TLB shootdown),
		 * and a long queue's list spans many pages */
		j.id = n > 0 ? strdup(ids[0]) : NULL;
		zo_strv_free(ids);
		if (!j.id)
			return 0;
		r = zo_spool_move(s, j.id, "queued", "running");
		if (r == -ENOENT) {
			zo_spool_job_release(&j); /* cancelled meanwhile */
			continue;
		}
		if (r < 0) {
			zo_err(&s->log, "%s: cannot move it to running: %s", j.id, strerror(-r));
			zo_spool_job_release(&j);
			return 0;
		}
		m = zo_spool_read_meta(s, "running", j.id);
		/* one bad record is filed as failed; the queue goes on */
		if (zo_spool_check_meta(m, true, &why) < 0) {
			fail_record(s, "running", j.id, why);
		} else if (job_argv(m, zo_json_get_str(m, "experiment"), &j) < 0 ||
			   !(j.name = strdup(zo_json_get_str(m, "name"))) ||
			   begin_attempt(m, j.id, j.name, results_base, &j) < 0) {
			fail_record(s, "running", j.id, "out of memory");
		} else {
			r = zo_spool_write_meta(s, "running", j.id, m);
			if (r < 0)
				zo_err(&s->log, "%s: cannot record its start: %s", j.id, strerror(-r));
			json_object_put(m);
			s->dirty = true;
			zo_spool_flush(s);
			j.log = zo_spool_path(s, "running", j.id, "log");
			*ret = j;
			return 1;
		}
		if (m)
			json_object_put(m);
		zo_spool_job_release(&j);
	}
}

void zo_spool_job_release(struct zo_spool_job *j)
{
	int i;

	for (i = 0; j->argv && i < j->argc; i++)
		free(j->argv[i]);
	free(j->argv);
	free(j->id);
	free(j->name);
	free(j->results_name);
	free(j->results);
	free(j->log);
	memset(j, 0, sizeof(*j));
}

int zo_spool_write_pid(const struct zo_spool *s, const char *id, long pid)
{
	_cleanup_free_ char *pidfile = zo_spool_path(s, "running", id, "pid");
	_cleanup_free_ char *text = NULL;
	char boot[ZO_BOOT_ID_LEN + 1];
	struct zo_proc_stat st;
	int r;

	/* the live kernel's: see zo_spool_run_process */
	r = zo_proc_stat(NULL, pid, &st);
	if (r >= 0)
		r = zo_boot_id(NULL, boot);
	if (r < 0)
		return r;
	text = zo_asprintf("%ld %llu %s\n", pid, (unsigned long long)st.start, boot);
	return pidfile && text ? zo_write_file_replace(pidfile, text) : -ENOMEM;
}

bool zo_spool_cancel_marked(const struct zo_spool *s, const char *id)
{
	_cleanup_free_ char *c = zo_spool_path(s, "running", id, "cancel");

	return c && access(c, F_OK) == 0;
}

/* A run that exited 75 found the host not answering (libvirt): queued
 * again once, at the head of the queue, its results set aside, as a
 * scheduler's RequeueExit would; 1 when it was. */
static int requeue_tempfail(struct zo_spool *s, const char *id, json_object *m, int code)
{
	int attempt = (int)get_int(m, "attempt", 1), r;

	if (code != ZO_SPOOL_EXIT_TEMPFAIL || attempt >= 2)
		return 0;
	set_aside_results(s, m, attempt, "tempfail");
	zo_json_add_str(m, "requeued", "exit 75: the host did not answer (a temporary failure)");
	json_object_object_del(m, "phase");
	r = zo_spool_write_meta(s, "running", id, m);
	if (r >= 0)
		r = zo_spool_move(s, id, "running", "queued");
	if (r < 0) {
		zo_err(&s->log, "%s: cannot queue it again: %s", id, strerror(-r));
		return 0;
	}
	s->dirty = true;
	zo_warn(&s->log, "%s: exit 75, the host did not answer; queued again (attempt %d next)", id,
		attempt + 1);
	return 1;
}

void zo_spool_finish(struct zo_spool *s, const char *id, int code, bool timed_out, uint64_t ms)
{
	json_object *m = zo_spool_read_meta(s, "running", id);
	bool cancelled = zo_spool_cancel_marked(s, id);
	const char *result;
	char stamp[40];
	int r;

	if (m && !cancelled && !timed_out && requeue_tempfail(s, id, m, code)) {
		json_object_put(m);
		return;
	}

	result = cancelled ? "cancelled" : timed_out ? "timed out" : code == 0 ? "done" : "failed";
	if (!m) {
		m = json_object_new_object();
		zo_json_add_str(m, "id", id);
		zo_json_add_str(m, "error", "its record was unreadable when it ended");
	}
	zo_spool_now_iso(stamp, sizeof(stamp));
	json_object_object_del(m, "phase");
	zo_json_add_str(m, "finished", stamp);
	zo_json_add_int(m, "exit", code);
	zo_json_add_u64(m, "duration_ms", ms);
	zo_json_add_str(m, "status", result);
	r = zo_spool_write_meta(s, "running", id, m);
	if (r < 0)
		zo_err(&s->log, "%s: cannot record how it ended (%s): %s", id, result, strerror(-r));
	json_object_put(m);
	r = zo_spool_move(s, id, "running", code == 0 && !cancelled ? "done" : "failed");
	if (r < 0)
		zo_err(&s->log, "%s: cannot file it: %s", id, strerror(-r));
	s->dirty = true; /* flushed with the next run's start, or when idle */
	zo_log(&s->log, code == 0 ? LOG_INFO : LOG_WARNING, "%s: %s (exit %d, %.1f s)", id,
	       result, code, (double)ms / 1000);
}

int zo_spool_set_phase(struct zo_spool *s, const char *id, const char *phase)
{
	json_object *m = zo_spool_read_meta(s, "running", id);
	int r;

	if (!m)
		return -ENOENT;
	zo_json_add_str(m, "phase", phase);
	r = zo_spool_write_meta(s, "running", id, m);
	json_object_put(m);
	return r;
}

void zo_spool_fail_start(struct zo_spool *s, const char *id, const char *why)
{
	json_object *m = zo_spool_read_meta(s, "running", id);
	bool cancelled = zo_spool_cancel_marked(s, id);
	int r;

	if (!m)
		m = json_object_new_object();
	zo_json_add_str(m, "status", cancelled ? "cancelled" : "failed");
	if (!cancelled)
		zo_json_add_str(m, "error", why);
	r = zo_spool_write_meta(s, "running", id, m);
	if (r < 0)
		zo_err(&s->log, "%s: cannot record why it did not start: %s", id, strerror(-r));
	json_object_put(m);
	r = zo_spool_move(s, id, "running", "failed");
	if (r < 0)
		zo_err(&s->log, "%s: cannot file it: %s", id, strerror(-r));
	s->dirty = true;
	if (cancelled)
		zo_info(&s->log, "%s: cancelled before it began", id);
	else
		zo_err(&s->log, "%s: not started: %s", id, why);
}
