#include "ops/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/job.h"
#include "util/file.h"
#include "util/ini.h"
#include "util/json.h"
#include "util/path.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

const char *const zo_spool_states[ZO_SPOOL_STATES] = { "queued", "running", "done", "failed" };

static int make_dirs(const struct zo_spool *s)
{
	const char *dirs[] = { "incoming", "queued", "running", "done", "failed", "rejected" };
	size_t i;

	if (mkdir(s->dir, 02770) == 0) {
		/* members of group zsim drop jobs; files inherit the group */
		struct group *g = getgrnam("zsim");

		if (g && chown(s->dir, 0, g->gr_gid) < 0)
			return -errno;
		chmod(s->dir, 02770);
	} else if (errno != EEXIST) {
		return -errno;
	}
	if (mkdir(s->state, 0755) < 0 && errno != EEXIST)
		return -errno;
	for (i = 0; i < ZO_ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *p = zo_asprintf("%s/%s", s->state, dirs[i]);

		if (!p)
			return -ENOMEM;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
	}
	return 0;
}

int zo_spool_open(struct zo_ctx *ctx, struct zo_spool *s, bool create)
{
	int r;

	s->dir = zo_path(ctx->root, zo_config_get(ctx->config, "paths", "spool"));
	s->state = s->dir ? zo_asprintf("%s/.zsim", s->dir) : NULL;
	s->log = ctx->log;
	if (!s->state)
		r = -ENOMEM;
	else if (!create)
		r = access(s->dir, F_OK) == 0 ? 0 : -errno;
	else
		r = make_dirs(s);
	if (r >= 0)
		return 0;
	if (create)
		zo_fail(ctx, r, "cannot set up the spool %s: %s", s->dir ? s->dir : "?",
			strerror(-r));
	else
		zo_fail(ctx, r, "no spool at %s (%s); 'zsim-orch serve' creates it",
			s->dir ? s->dir : "?", strerror(-r));
	zo_spool_release(s);
	return r;
}

void zo_spool_release(struct zo_spool *s)
{
	free(s->dir);
	free(s->state);
	memset(s, 0, sizeof(*s));
}

char *zo_spool_path(const struct zo_spool *s, const char *state, const char *id,
		    const char *file)
{
	if (!id)
		return zo_asprintf("%s/%s", s->state, state);
	if (!file)
		return zo_asprintf("%s/%s/%s", s->state, state, id);
	return zo_asprintf("%s/%s/%s/%s", s->state, state, id, file);
}

const char *zo_spool_find(const struct zo_spool *s, const char *id)
{
	size_t i;

	if (strchr(id, '/') || id[0] == '.')
		return NULL;
	for (i = 0; i < ZO_SPOOL_STATES; i++) {
		_cleanup_free_ char *p = zo_spool_path(s, zo_spool_states[i], id, NULL);

		if (p && access(p, F_OK) == 0)
			return zo_spool_states[i];
	}
	return NULL;
}

int zo_spool_locate(struct zo_ctx *ctx, const struct zo_spool *s, const char *id,
		    const char **ret_state)
{
	const char *state = zo_spool_find(s, id);

	if (!state)
		return zo_fail(ctx, -ENOENT, "no job %s in %s ('zsim-orch queue ls' lists them)",
			       id, s->dir);
	*ret_state = state;
	return 0;
}

json_object *zo_spool_read_meta(const struct zo_spool *s, const char *state, const char *id)
{
	_cleanup_free_ char *p = zo_spool_path(s, state, id, "job.json");

	return p ? json_object_from_file(p) : NULL;
}

int zo_spool_write_meta(const struct zo_spool *s, const char *state, const char *id,
			json_object *meta)
{
	_cleanup_free_ char *p = zo_spool_path(s, state, id, "job.json");

	return p ? zo_write_file_replace(p, zo_json_text(meta)) : -ENOMEM;
}

int zo_spool_list(const struct zo_spool *s, const char *state, char ***ret)
{
	_cleanup_free_ char *p = zo_spool_path(s, state, NULL, NULL);
	char **v = NULL;
	int n, i, k = 0;

	if (!p)
		return -ENOMEM;
	n = zo_dir_list(p, "", &v);
	if (n < 0)
		return n;
	/* an interrupted write's leftovers are not runs */
	for (i = 0; i < n; i++) {
		if (strstr(v[i], ".tmp"))
			free(v[i]);
		else
			v[k++] = v[i];
	}
	v[k] = NULL;
	*ret = v;
	return k;
}

int zo_spool_move(const struct zo_spool *s, const char *id, const char *from, const char *to)
{
	_cleanup_free_ char *a = zo_spool_path(s, from, id, NULL);
	_cleanup_free_ char *b = zo_spool_path(s, to, id, NULL);

	if (!a || !b)
		return -ENOMEM;
	return rename(a, b) < 0 ? -errno : 0;
}

int zo_spool_sync(const struct zo_spool *s)
{
	return zo_syncfs(s->state);
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct zo_spool_entry *)a)->id,
		      ((const struct zo_spool_entry *)b)->id);
}

int zo_spool_list_all(const struct zo_spool *s, struct zo_spool_entry **ret, size_t *ret_n)
{
	struct zo_spool_entry *v = NULL;
	size_t k, n = 0;

	for (k = 0; k < ZO_SPOOL_STATES; k++) {
		char **ids = NULL;
		int m = zo_spool_list(s, zo_spool_states[k], &ids), i;

		for (i = 0; i < m; i++) {
			struct zo_spool_entry *grown = realloc(v, (n + 1) * sizeof(*v));

			if (!grown)
				break;
			v = grown;
			v[n].id = ids[i];
			v[n++].state = zo_spool_states[k];
			ids[i] = NULL;
		}
		for (i = 0; i < m; i++)
			free(ids[i]);
		free(ids);
	}
	/* one list in ID order, which is submission order, whatever the state */
	if (v)
		qsort(v, n, sizeof(*v), by_id);
	*ret = v;
	*ret_n = n;
	return 0;
}

void zo_spool_entries_free(struct zo_spool_entry *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i].id);
	free(v);
}

/* ---- queue ---- */

int zo_spool_submit(const struct zo_spool *s, const char *name, const char *text,
		    char **ret_path)
{
	_cleanup_free_ char *tmp = zo_asprintf("%s/.%s.tmp", s->dir, name);
	char *final = zo_asprintf("%s/%s.job", s->dir, name);
	int fd, r = 0;
	size_t len = strlen(text);

	if (!tmp || !final) {
		free(final);
		return -ENOMEM;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0) {
		free(final);
		return -errno;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	close(fd);
	/* never replace a job file that is still waiting to be claimed */
	if (r == 0 && access(final, F_OK) == 0)
		r = -EEXIST;
	if (r == 0 && rename(tmp, final) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	if (r < 0) {
		free(final);
		return r;
	}
	*ret_path = final;
	return 0;
}

int zo_spool_submit_run(struct zo_ctx *ctx, const struct zo_spool *s, const char *experiment,
			int argc, char **argv, char **ret_path)
{
	struct zo_strbuf text = { 0 };
	_cleanup_free_ char *name = NULL;
	int i, r;

	/* validated arguments are numbers and option names: no quoting needed */
	zo_strbuf_appendf(&text, "[job]\nexperiment = %s\nargs =", experiment);
	for (i = 0; i < argc; i++)
		zo_strbuf_appendf(&text, " %s", argv[i]);
	zo_strbuf_append(&text, "\n");
	name = zo_asprintf("%s-%llu-%ld", experiment, (unsigned long long)time(NULL),
			   (long)getpid());
	r = name && text.buf ? zo_spool_submit(s, name, text.buf, ret_path) : -ENOMEM;
	zo_strbuf_release(&text);
	if (r < 0)
		return zo_fail(ctx, r, "cannot write to %s: %s", s->dir, strerror(-r));
	return 0;
}

/* The runs the job file at `path` stands for, named after `name`.
 * -EBADMSG: not INI (`diags` say why); -EINVAL: *ret_why says why (or is
 * NULL when memory ran out). */
static int load_job(const char *path, const char *name, struct zo_diags *diags,
		    struct zo_job_run **ret_runs, size_t *ret_n, char **ret_why)
{
	struct zo_ini *ini = NULL;
	int r;

	*ret_why = NULL;
	if (zo_ini_load(path, &ini, diags) < 0) {
		zo_ini_free(ini);
		return -EBADMSG;
	}
	r = zo_job_expand(ini, name, ret_runs, ret_n, ret_why);
	zo_ini_free(ini);
	return r < 0 ? -EINVAL : 0;
}

/* "dir/NAME.job" -> "NAME" (a name without .job stays as it is). */
static char *job_name(const char *file)
{
	const char *slash = strrchr(file, '/');
	char *base = strdup(slash ? slash + 1 : file);
	size_t len = base ? strlen(base) : 0;

	if (len > 4 && !strcmp(base + len - 4, ".job"))
		base[len - 4] = '\0';
	return base;
}

int zo_spool_read_job(struct zo_ctx *ctx, const char *file, struct zo_job_file *ret,
		      struct zo_diags *ret_diags)
{
	_cleanup_free_ char *text = NULL, *why = NULL, *name = NULL;
	struct zo_job_run *runs = NULL;
	size_t n = 0;
	int r;

	r = zo_read_file(file, ZO_JOB_MAX_BYTES, &text, NULL);
	if (r < 0)
		return zo_fail(ctx, r, "%s: %s", file,
			       r == -EFBIG ? "larger than 64 KiB" : strerror(-r));
	name = job_name(file);
	if (!name)
		return -ENOMEM;
	r = load_job(file, name, ret_diags, &runs, &n, &why);
	if (r < 0)
		zo_job_runs_free(runs, n);
	if (r == -EINVAL) {
		zo_fail(ctx, r, "%s: %s", file, why ? why : "invalid job");
		ctx->fail_kind = ZO_FAIL_USAGE;
		return r;
	}
	if (r < 0)
		return r;
	ret->text = TAKE_PTR(text);
	ret->name = TAKE_PTR(name);
	ret->runs = n;
	ret->expanded = runs;
	return 0;
}

void zo_job_file_release(struct zo_job_file *j)
{
	zo_job_runs_free(j->expanded, j->runs);
	free(j->text);
	free(j->name);
	memset(j, 0, sizeof(*j));
}

int zo_spool_submit_file(struct zo_ctx *ctx, const struct zo_spool *s, const char *file,
			 const struct zo_job_file *job, char **ret_path)
{
	int r = zo_spool_submit(s, job->name, job->text, ret_path);

	if (r < 0)
		return zo_fail(ctx, r, "cannot queue %s: %s%s", file, strerror(-r),
			       r == -EEXIST ? " (a job of that name is waiting)" : "");
	return 0;
}

/* The process group recorded for a running run, or 0. */
static long read_pid(const struct zo_spool *s, const char *id)
{
	_cleanup_free_ char *pidfile = zo_spool_path(s, "running", id, "pid");
	_cleanup_free_ char *pid = NULL;

	if (pidfile && zo_read_line(pidfile, &pid) == 0)
		return strtol(pid, NULL, 10);
	return 0;
}

int zo_spool_write_pid(const struct zo_spool *s, const char *id, long pid)
{
	_cleanup_free_ char *pidfile = zo_spool_path(s, "running", id, "pid");
	_cleanup_free_ char *text = zo_asprintf("%ld\n", pid);

	return pidfile && text ? zo_write_file_replace(pidfile, text) : -ENOMEM;
}

int zo_spool_mark_cancel(const struct zo_spool *s, const char *id, const char *why)
{
	_cleanup_free_ char *c = zo_spool_path(s, "running", id, "cancel");

	return c ? zo_write_file_replace(c, why) : -ENOMEM;
}

static int cancel_queued(struct zo_ctx *ctx, const struct zo_spool *s, const char *id)
{
	json_object *m;

	/* the rename decides the race with the daemon starting it */
	if (zo_spool_move(s, id, "queued", "failed") < 0)
		return zo_fail(ctx, -EAGAIN, "%s started meanwhile; cancel it again", id);
	m = zo_spool_read_meta(s, "failed", id);
	if (m) {
		zo_json_add_str(m, "status", "cancelled");
		zo_spool_write_meta(s, "failed", id, m);
		json_object_put(m);
	}
	zo_spool_sync(s);
	return ZO_SPOOL_CANCELLED;
}

static int cancel_running(struct zo_ctx *ctx, const struct zo_spool *s, const char *id)
{
	_cleanup_free_ char *cancel = zo_spool_path(s, "running", id, "cancel");
	long p;

	if (cancel)
		zo_write_file_atomic(cancel, "cancelled by zsim-orch queue cancel\n");
	p = read_pid(s, id);
	/* the run stops its target and restores the knobs on SIGTERM */
	if (p > 1 && kill((pid_t)-p, SIGTERM) == 0)
		return ZO_SPOOL_STOPPING;
	return zo_fail(ctx, errno ? -errno : -ESRCH, "%s: cannot signal its process: %s", id,
		       strerror(errno));
}

int zo_spool_cancel(struct zo_ctx *ctx, const struct zo_spool *s, const char *id,
		    const char *state)
{
	if (!strcmp(state, "queued"))
		return cancel_queued(ctx, s, id);
	if (!strcmp(state, "running"))
		return cancel_running(ctx, s, id);
	return zo_fail(ctx, -EALREADY, "%s already finished (%s)", id, state);
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Queue `m` (finished run `of`'s record, made a fresh one) as run `id`. */
static int requeue_as(struct zo_ctx *ctx, const struct zo_spool *s, json_object *m,
		      const char *id, const char *of)
{
	_cleanup_free_ char *tmp = id ? zo_asprintf("%s/queued/.%s.tmp", s->state, id) : NULL;
	_cleanup_free_ char *dst = id ? zo_spool_path(s, "queued", id, NULL) : NULL;
	_cleanup_free_ char *meta = tmp ? zo_asprintf("%s/job.json", tmp) : NULL;

	if (!m || !meta || !dst || mkdir(tmp, 0755) < 0)
		return zo_fail(ctx, -EIO, "cannot retry %s", of);
	json_object_object_del(m, "status");
	json_object_object_del(m, "exit");
	json_object_object_del(m, "started");
	json_object_object_del(m, "finished");
	json_object_object_del(m, "duration_ms");
	json_object_object_del(m, "results");
	zo_json_add_str(m, "id", id);
	zo_json_add_str(m, "retry_of", of);
	json_object_object_add(m, "attempt", json_object_new_int(0));
	if (zo_write_file_replace(meta, zo_json_text(m)) < 0 || rename(tmp, dst) < 0 ||
	    zo_spool_sync(s) < 0)
		return zo_fail(ctx, errno ? -errno : -EIO, "cannot queue the retry: %s",
			       strerror(errno));
	return 0;
}

int zo_spool_retry(struct zo_ctx *ctx, const struct zo_spool *s, const char *id,
		   const char *state, char **ret_id)
{
	_cleanup_free_ char *new_id = NULL;
	json_object *m;
	int r;

	if (strcmp(state, "failed") && strcmp(state, "done"))
		return zo_fail(ctx, -EBUSY, "%s is %s; only finished jobs can be retried", id,
			       state);
	m = zo_spool_read_meta(s, state, id);
	new_id = zo_asprintf("%013llu-r", (unsigned long long)wall_ms());
	r = requeue_as(ctx, s, m, new_id, id);
	if (m)
		json_object_put(m);
	if (r < 0)
		return r;
	*ret_id = TAKE_PTR(new_id);
	return 0;
}

int zo_spool_show_log(const struct zo_spool *s, const char *id, const char *state, bool follow,
		      zo_spool_emit_fn emit, void *userdata)
{
	size_t shown = 0;

	for (;;) {
		_cleanup_free_ char *path = zo_spool_path(s, state, id, "log");
		_cleanup_free_ char *text = NULL;
		size_t len = 0;

		if (path && zo_read_file(path, 64 * 1024 * 1024, &text, &len) == 0 && len > shown) {
			emit(userdata, text + shown, len - shown);
			shown = len;
		}
		if (!follow || (strcmp(state, "running") && strcmp(state, "queued")))
			break;
		zo_sleep_ms(250, NULL);
		state = zo_spool_find(s, id);
		if (!state)
			break;
	}
	return 0;
}

/* ---- the daemon's side ---- */

static void now_iso(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

static void reject(struct zo_spool *s, const char *name, const char *why)
{
	_cleanup_free_ char *from = zo_asprintf("%s/%s", s->dir, name);
	_cleanup_free_ char *to = zo_asprintf("%s/rejected/%s", s->state, name);
	_cleanup_free_ char *err = zo_asprintf("%s/rejected/%s.error", s->state, name);
	_cleanup_free_ char *text = zo_asprintf("%s\n", why);

	zo_warn(&s->log, "rejected %s: %s", name, why);
	s->dirty = true;
	if (from && to && rename(from, to) < 0)
		unlink(from);
	if (err && text)
		zo_write_file_replace(err, text);
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

static char *new_id(struct zo_spool *s)
{
	uint64_t ms = wall_ms();

	/* strictly increasing, so IDs sort in claim order */
	if (ms <= s->last_id_ms)
		ms = s->last_id_ms + 1;
	s->last_id_ms = ms;
	return zo_asprintf("%013llu", (unsigned long long)ms);
}

/* Queue run `rid`: its job.json and the job file's text, written in a
 * hidden directory and renamed into queued. */
static void queue_run(struct zo_spool *s, const char *rid, const struct zo_job_run *run,
		      const char *file, const char *text, const char *stamp)
{
	_cleanup_free_ char *tmp = zo_asprintf("%s/queued/.%s.tmp", s->state, rid);
	_cleanup_free_ char *dst = zo_spool_path(s, "queued", rid, NULL);
	_cleanup_free_ char *meta_path = tmp ? zo_asprintf("%s/job.json", tmp) : NULL;
	_cleanup_free_ char *ini_path = tmp ? zo_asprintf("%s/job.ini", tmp) : NULL;
	json_object *m, *arr;
	size_t k;

	if (!meta_path || !ini_path || !dst || mkdir(tmp, 0755) < 0)
		return;
	m = json_object_new_object();
	arr = json_object_new_array();
	zo_json_add_str(m, "id", rid);
	zo_json_add_str(m, "name", run->name);
	zo_json_add_str(m, "file", file);
	zo_json_add_str(m, "experiment", run->experiment);
	for (k = 0; run->argv[k]; k++)
		json_object_array_add(arr, json_object_new_string(run->argv[k]));
	json_object_object_add(m, "args", arr);
	zo_json_add_u64(m, "timeout_s", run->timeout_s);
	zo_json_add_int(m, "attempt", 0);
	zo_json_add_str(m, "submitted", stamp);
	zo_write_file_replace(meta_path, zo_json_text(m));
	zo_write_file_replace(ini_path, text ? text : "");
	json_object_put(m);
	if (rename(tmp, dst) < 0)
		zo_err(&s->log, "cannot queue %s: %s", rid, strerror(errno));
}

/* Queue every run a claimed file stands for; reject it if it is bad. */
static void expand(struct zo_spool *s, const char *id, const char *path, const char *name)
{
	struct zo_diags diags = { 0 };
	struct zo_job_run *runs = NULL;
	_cleanup_free_ char *why = NULL, *base = job_name(name), *text = NULL;
	char stamp[40];
	size_t n = 0, i;
	int r;

	r = load_job(path, base ? base : "job", &diags, &runs, &n, &why);
	if (r == -EBADMSG) {
		why = diags.n ? zo_asprintf("line %u: %s", diags.v[0].line, diags.v[0].message)
			      : strdup("unreadable job file");
	} else if (r == 0) {
		zo_read_file(path, ZO_JOB_MAX_BYTES, &text, NULL);
		now_iso(stamp, sizeof(stamp));
		for (i = 0; i < n; i++) {
			_cleanup_free_ char *rid = zo_asprintf("%s-%04zu", id, i + 1);

			if (rid)
				queue_run(s, rid, &runs[i], name, text, stamp);
		}
		zo_info(&s->log, "queued %s: %zu run%s", name, n, n == 1 ? "" : "s");
	}
	if (why) {
		_cleanup_free_ char *back = zo_asprintf("%s/%s", s->dir, name);

		/* put it where reject() expects it */
		if (back && rename(path, back) == 0)
			reject(s, name, why);
		else
			unlink(path);
	} else {
		unlink(path);
	}
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
static const char *check_dropped(const struct stat *st)
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
	return NULL;
}

void zo_spool_claim(struct zo_spool *s, const char *name)
{
	_cleanup_free_ char *path = zo_asprintf("%s/%s", s->dir, name);
	_cleanup_free_ char *id = NULL, *dest = NULL;
	struct stat st, fst, after;
	size_t len = strlen(name);
	const char *why;
	int fd;

	if (!path || name[0] == '.' || len < 5 || strcmp(name + len - 4, ".job"))
		return;
	if (lstat(path, &st) < 0)
		return;
	why = check_dropped(&st);
	if (why)
		return reject(s, name, why);
	/* the same file as inspected: opened without following links, and
	 * after the rename still the same inode */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &fst) < 0 || fst.st_ino != st.st_ino || fst.st_dev != st.st_dev) {
		close(fd);
		return reject(s, name, "replaced while it was being checked");
	}
	close(fd);
	id = new_id(s);
	dest = id ? zo_asprintf("%s/incoming/%s.job", s->state, id) : NULL;
	if (!dest || rename(path, dest) < 0)
		return;
	s->dirty = true;
	if (lstat(dest, &after) < 0 || after.st_ino != st.st_ino) {
		_cleanup_free_ char *back = zo_asprintf("%s/%s", s->dir, name);

		if (back)
			rename(dest, back);
		return reject(s, name, "replaced while it was being claimed");
	}
	expand(s, id, dest, name);
}

bool zo_spool_is_plain_file(const struct zo_spool *s, const char *name)
{
	_cleanup_free_ char *path = zo_asprintf("%s/%s", s->dir, name);
	struct stat st;

	return path && lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1;
}

void zo_spool_scan(struct zo_spool *s)
{
	_cleanup_free_ char *inc = zo_asprintf("%s/incoming", s->state);
	struct dirent *de;
	DIR *dir;

	/* claimed before a crash but not yet expanded */
	dir = inc ? opendir(inc) : NULL;
	while (dir && (de = readdir(dir))) {
		_cleanup_free_ char *p = NULL, *id = NULL;
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < 5)
			continue;
		p = zo_asprintf("%s/%s", inc, de->d_name);
		id = strndup(de->d_name, len - 4);
		if (p && id)
			expand(s, id, p, de->d_name);
	}
	if (dir)
		closedir(dir);
	dir = opendir(s->dir);
	while (dir && (de = readdir(dir)))
		zo_spool_claim(s, de->d_name);
	if (dir)
		closedir(dir);
}

/* An interrupted attempt's partial results are kept, but apart from the
 * next attempt's, so no results directory ever mixes two runs. */
static void set_aside_results(json_object *m, int attempt)
{
	const char *results = zo_json_get_str(m, "results");
	_cleanup_free_ char *aside = NULL;

	if (!results || access(results, F_OK) != 0)
		return;
	aside = zo_asprintf("%s.attempt%d-interrupted", results, attempt);
	if (aside && rename(results, aside) == 0)
		zo_json_add_str(m, "interrupted_results", aside);
}

/* A run the old daemon left behind would run twice: stop it. */
static void stop_leftover(const struct zo_spool *s, const char *id)
{
	long p = read_pid(s, id);
	int waited;

	if (p > 1 && kill((pid_t)-p, SIGTERM) == 0)
		for (waited = 0; waited < 100 && kill((pid_t)-p, 0) == 0; waited++)
			zo_sleep_ms(100, NULL);
	if (p > 1)
		kill((pid_t)-p, SIGKILL);
}

/* Queue an interrupted run again (or fail it, the second time). */
static void requeue_interrupted(struct zo_spool *s, const char *id, json_object *m, int attempt)
{
	set_aside_results(m, attempt);
	if (attempt < 2) {
		zo_json_add_str(m, "requeued", "the daemon stopped while it ran");
		zo_spool_write_meta(s, "running", id, m);
		zo_spool_move(s, id, "running", "queued");
		zo_warn(&s->log,
			"%s: the daemon stopped while it ran; queued again (attempt %d next)", id,
			attempt + 1);
	} else {
		zo_json_add_str(m, "status", "failed");
		zo_json_add_str(m, "error", "the daemon stopped while it ran, twice; not "
					    "run again");
		zo_spool_write_meta(s, "running", id, m);
		zo_spool_move(s, id, "running", "failed");
		zo_err(&s->log, "%s: interrupted twice; failed", id);
	}
}

void zo_spool_recover(struct zo_spool *s)
{
	char **ids = NULL;
	int n = zo_spool_list(s, "running", &ids), i;

	s->dirty = n > 0;
	for (i = 0; i < n; i++) {
		json_object *m = zo_spool_read_meta(s, "running", ids[i]), *a;
		int attempt = m && json_object_object_get_ex(m, "attempt", &a)
				      ? json_object_get_int(a)
				      : 1;

		stop_leftover(s, ids[i]);
		if (!m) {
			zo_spool_move(s, ids[i], "running", "failed");
			continue;
		}
		requeue_interrupted(s, ids[i], m, attempt);
		json_object_put(m);
	}
	zo_strv_free(ids);
}

/* The run's argv (experiment first) from its record. */
static int job_argv(json_object *m, const char *exp, struct zo_spool_job *j)
{
	json_object *args;
	size_t nargs, i;

	if (!json_object_object_get_ex(m, "args", &args) ||
	    !json_object_is_type(args, json_type_array))
		return -EINVAL;
	nargs = json_object_array_length(args);
	j->argv = calloc(nargs + 2, sizeof(char *));
	if (!j->argv)
		return -ENOMEM;
	j->argv[j->argc++] = strdup(exp);
	for (i = 0; i < nargs; i++) {
		const char *a = json_object_get_string(json_object_array_get_idx(args, i));

		j->argv[j->argc++] = a ? strdup(a) : NULL;
	}
	for (i = 0; i < (size_t)j->argc; i++)
		if (!j->argv[i])
			return -ENOMEM;
	return 0;
}

/* Record the attempt about to start in `m` and fill `j` from it. */
static void begin_attempt(json_object *m, const char *id, const char *name,
			  const char *results_base, struct zo_spool_job *j)
{
	json_object *a, *t;
	char stamp[40];

	j->attempt = json_object_object_get_ex(m, "attempt", &a) ? json_object_get_int(a) + 1
								  : 1;
	json_object_object_add(m, "attempt", json_object_new_int(j->attempt));
	now_iso(stamp, sizeof(stamp));
	zo_json_add_str(m, "started", stamp);
	j->results = results_base ? zo_asprintf("%s/%s-%s", results_base, name, id) : NULL;
	zo_json_add_str(m, "results", j->results);
	j->timeout_s = json_object_object_get_ex(m, "timeout_s", &t)
			       ? (uint64_t)json_object_get_int64(t)
			       : 0;
}

int zo_spool_start_next(struct zo_spool *s, const char *results_base, struct zo_spool_job *ret)
{
	struct zo_spool_job j = { 0 };
	char **ids = NULL;
	json_object *m;
	const char *exp, *name;
	int n;

	n = zo_spool_list(s, "queued", &ids);
	/* freed now, not after the fork: every page the daemon writes while
	 * the child shares it is copied (with a TLB shootdown), and a long
	 * queue's list spans many pages */
	j.id = n > 0 ? strdup(ids[0]) : NULL;
	zo_strv_free(ids);
	if (!j.id)
		return 0;
	if (zo_spool_move(s, j.id, "queued", "running") < 0) {
		zo_spool_job_release(&j);
		return 0;
	}
	m = zo_spool_read_meta(s, "running", j.id);
	exp = m ? zo_json_get_str(m, "experiment") : NULL;
	name = m ? zo_json_get_str(m, "name") : NULL;
	if (!exp || !name || job_argv(m, exp, &j) < 0 || !(j.name = strdup(name))) {
		zo_spool_move(s, j.id, "running", "failed");
		if (m)
			json_object_put(m);
		zo_spool_job_release(&j);
		return 0;
	}
	begin_attempt(m, j.id, name, results_base, &j);
	zo_spool_write_meta(s, "running", j.id, m);
	json_object_put(m);
	s->dirty = true;
	zo_spool_flush(s);
	j.log = zo_spool_path(s, "running", j.id, "log");
	*ret = j;
	return 1;
}

void zo_spool_job_release(struct zo_spool_job *j)
{
	int i;

	for (i = 0; j->argv && i < j->argc; i++)
		free(j->argv[i]);
	free(j->argv);
	free(j->id);
	free(j->name);
	free(j->results);
	free(j->log);
	memset(j, 0, sizeof(*j));
}

void zo_spool_finish(struct zo_spool *s, const char *id, int code, bool timed_out, uint64_t ms)
{
	json_object *m = zo_spool_read_meta(s, "running", id);
	_cleanup_free_ char *cancel = zo_spool_path(s, "running", id, "cancel");
	bool cancelled = cancel && access(cancel, F_OK) == 0;
	const char *result;
	char stamp[40];

	result = cancelled ? "cancelled" : timed_out ? "timed out" : code == 0 ? "done" : "failed";
	if (m) {
		now_iso(stamp, sizeof(stamp));
		zo_json_add_str(m, "finished", stamp);
		zo_json_add_int(m, "exit", code);
		zo_json_add_u64(m, "duration_ms", ms);
		zo_json_add_str(m, "status", result);
		zo_spool_write_meta(s, "running", id, m);
		json_object_put(m);
	}
	zo_spool_move(s, id, "running", code == 0 && !cancelled ? "done" : "failed");
	s->dirty = true; /* flushed with the next run's start, or when idle */
	zo_log(&s->log, code == 0 ? LOG_INFO : LOG_WARNING, "%s: %s (exit %d, %.1f s)", id,
	       result, code, (double)ms / 1000);
}
