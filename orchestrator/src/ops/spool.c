#include "ops/spool.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/job.h"
#include "sys/process.h"
#include "util/file.h"
#include "util/ini.h"
#include "util/json.h"
#include "util/path.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

const char *const zo_spool_states[ZO_SPOOL_STATES] = { "queued", "running", "done", "failed" };

/* SPOOL: group zsim drops files; the sticky bit keeps members from moving
 * or replacing what is not theirs (.zsim above all). */
#define SPOOL_MODE 03770

static bool owned_by_us(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

/* SPOOL: a directory of root's (or ours); writable by others only with
 * the sticky bit, which the daemon adds itself. */
static int check_spool_dir(struct zo_ctx *ctx, const struct zo_spool *s, bool daemon)
{
	struct stat st;

	if (stat(s->dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return zo_refuse(ctx, -ENOTDIR, "refusing to use the spool %s: it is not a directory; "
						"remove it ('zsim-orch serve' creates it)",
				 s->dir);
	if (!owned_by_us(&st))
		return zo_refuse(ctx, -EPERM, "refusing to use the spool %s: it belongs to uid %u, "
					      "not root; run 'chown root:zsim %s'",
				 s->dir, (unsigned)st.st_uid, s->dir);
	if (!(st.st_mode & (S_IWGRP | S_IWOTH)) || (st.st_mode & S_ISVTX))
		return 0;
	if (daemon && chmod(s->dir, (st.st_mode & 07777) | S_ISVTX) == 0) {
		zo_log(&s->log, LOG_NOTICE,
		       "set the sticky bit on %s: without it any member of its group could "
		       "move %s/.zsim away and put their own in its place",
		       s->dir, s->dir);
		return 0;
	}
	return zo_refuse(ctx, -EPERM, "refusing to use the spool %s: its group may write to it but "
				      "the sticky bit is not set, so any member could replace "
				      "%s/.zsim; run 'chmod +t %s' (zsim-orch serve sets it)",
			 s->dir, s->dir, s->dir);
}

/* SPOOL/.zsim: a real directory of root's (or ours) only its owner may
 * write. ENOENT is returned as it is (no daemon has made it yet). */
static int check_state_dir(struct zo_ctx *ctx, const struct zo_spool *s)
{
	struct stat st;

	if (lstat(s->state, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return zo_refuse(ctx, -ENOTDIR, "refusing to use the spool: %s is not a directory (a "
						"symbolic link or a file someone put there); remove "
						"it and restart zsim-orch serve",
				 s->state);
	if (!owned_by_us(&st))
		return zo_refuse(ctx, -EPERM, "refusing to use the spool: %s belongs to uid %u, not "
					      "root, so its records cannot be trusted; move it "
					      "away and restart zsim-orch serve",
				 s->state, (unsigned)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return zo_refuse(ctx, -EPERM, "refusing to use the spool: %s may be written by its "
					      "group or others (mode %04o); run 'chmod 755 %s'",
				 s->state, (unsigned)(st.st_mode & 07777), s->state);
	return 0;
}

static int make_dirs(struct zo_ctx *ctx, const struct zo_spool *s)
{
	const char *dirs[] = { "incoming", "jobs", "queued", "running", "done", "failed", "rejected" };
	size_t i;
	int r;

	if (mkdir(s->dir, SPOOL_MODE) == 0) {
		/* members of group zsim drop jobs; files inherit the group */
		struct group *g = getgrnam("zsim");

		if (g && chown(s->dir, 0, g->gr_gid) < 0)
			return -errno;
		if (chmod(s->dir, SPOOL_MODE) < 0)
			return -errno;
	} else if (errno != EEXIST) {
		return -errno;
	}
	r = check_spool_dir(ctx, s, true);
	if (r < 0)
		return r;
	if (mkdir(s->state, 0755) < 0 && errno != EEXIST)
		return -errno;
	r = check_state_dir(ctx, s);
	if (r < 0)
		return r;
	for (i = 0; i < ZO_ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *p = zo_asprintf("%s/%s", s->state, dirs[i]);

		if (!p)
			return -ENOMEM;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
	}
	return 0;
}

static int check_layout(struct zo_ctx *ctx, const struct zo_spool *s)
{
	int r = check_spool_dir(ctx, s, false);

	if (r < 0)
		return r;
	r = check_state_dir(ctx, s);
	return r == -ENOENT ? 0 : r;
}

int zo_spool_open(struct zo_ctx *ctx, struct zo_spool *s, bool create)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->lock_fd = s->ids_fd = -1;
	s->dir = zo_path(ctx->root, zo_config_get(ctx->config, "paths", "spool"));
	s->state = s->dir ? zo_asprintf("%s/.zsim", s->dir) : NULL;
	s->log = ctx->log;
	zo_clear_error(ctx);
	if (!s->state)
		r = -ENOMEM;
	else if (!create)
		r = check_layout(ctx, s);
	else
		r = make_dirs(ctx, s);
	if (r >= 0)
		return 0;
	/* a refusal has said why already */
	if (!ctx->error[0] && create)
		zo_fail(ctx, r, "cannot set up the spool %s: %s", s->dir ? s->dir : "?",
			strerror(-r));
	else if (!ctx->error[0])
		zo_fail(ctx, r, "no spool at %s (%s); 'zsim-orch serve' creates it",
			s->dir ? s->dir : "?", strerror(-r));
	zo_spool_release(s);
	return r;
}

int zo_spool_lock(struct zo_ctx *ctx, struct zo_spool *s)
{
	_cleanup_free_ char *path = zo_asprintf("%s/serve.lock", s->state);
	_cleanup_close_ int fd = -1;
	char text[32];
	int len;

	if (!path)
		return zo_fail(ctx, -ENOMEM, "out of memory");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return zo_fail(ctx, -errno, "cannot open %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		long pid = 0;
		ssize_t n;

		if (errno != EWOULDBLOCK)
			return zo_fail(ctx, -errno, "cannot lock %s: %s", path, strerror(errno));
		n = pread(fd, text, sizeof(text) - 1, 0);
		if (n > 0) {
			text[n] = '\0';
			pid = strtol(text, NULL, 10);
		}
		if (pid > 0)
			return zo_refuse(ctx, -EBUSY, "another zsim-orch serve (pid %ld) serves %s; "
						      "one daemon per spool: stop that one first",
					 pid, s->dir);
		return zo_refuse(ctx, -EBUSY, "another zsim-orch serve serves %s (it holds %s); one "
					      "daemon per spool: stop that one first",
				 s->dir, path);
	}
	len = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, text, (size_t)len, 0) != len)
		zo_warn(&s->log, "cannot record this daemon's pid in %s: %s", path, strerror(errno));
	s->lock_fd = TAKE_FD(fd);
	/* the daemon hands out most IDs: its ids file stays open (if it
	 * cannot be made now, zo_spool_new_id tries again each time) */
	free(path);
	path = zo_asprintf("%s/ids", s->state);
	if (path)
		s->ids_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	return 0;
}

void zo_spool_release(struct zo_spool *s)
{
	if (s->dir && s->lock_fd >= 0)
		close(s->lock_fd);
	if (s->dir && s->ids_fd >= 0)
		close(s->ids_fd);
	free(s->dir);
	free(s->state);
	memset(s, 0, sizeof(*s));
}

static bool all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

bool zo_spool_id_valid(const char *id)
{
	size_t len = strlen(id);

	if (len < 15 || !all_digits(id, 13) || id[13] != '-')
		return false;
	if (len == 15)
		return id[14] == 'r';
	return (len == 18 || len == 19) && all_digits(id + 14, len - 14);
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

	if (!zo_spool_id_valid(id))
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
	const char *state;

	if (!zo_spool_id_valid(id))
		return zo_fail(ctx, -ENOENT, "no job %s in %s: not a job ID (they look like "
					     "1700000000000-0001; 'zsim-orch queue ls' lists them)",
			       *id ? id : "\"\"", s->dir);
	state = zo_spool_find(s, id);
	if (!state)
		return zo_fail(ctx, -ENOENT, "no job %s in %s ('zsim-orch queue ls' lists them)",
			       id, s->dir);
	*ret_state = state;
	return 0;
}

json_object *zo_spool_read_meta(const struct zo_spool *s, const char *state, const char *id)
{
	_cleanup_free_ char *p = zo_spool_path(s, state, id, "job.json");
	json_object *m = p ? json_object_from_file(p) : NULL;

	if (m && !json_object_is_type(m, json_type_object)) {
		json_object_put(m);
		return NULL;
	}
	return m;
}

static bool small_int(json_object *m, const char *key, int64_t max)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(m, key, &v))
		return true; /* optional */
	if (!json_object_is_type(v, json_type_int))
		return false;
	n = json_object_get_int64(v);
	return n >= 0 && n <= max;
}

/* Whether args is missing (and may be) or a list of strings. */
static bool good_args(json_object *m, bool needed)
{
	json_object *args;
	size_t i, n;

	if (!json_object_object_get_ex(m, "args", &args))
		return !needed;
	if (!json_object_is_type(args, json_type_array))
		return false;
	n = json_object_array_length(args);
	for (i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(args, i), json_type_string))
			return false;
	return true;
}

int zo_spool_check_meta(json_object *m, bool runnable, const char **ret_why)
{
	if (!m || !json_object_is_type(m, json_type_object)) {
		*ret_why = "job.json is missing, not JSON or not a JSON object";
		return -EBADMSG;
	}
	if (!good_args(m, runnable)) {
		*ret_why = "job.json's args is not a list of strings";
		return -EBADMSG;
	}
	if (!runnable)
		return 0;
	if (!zo_json_get_str(m, "experiment")) {
		*ret_why = "job.json has no experiment (a string)";
		return -EBADMSG;
	}
	if (!zo_json_get_str(m, "name")) {
		*ret_why = "job.json has no name (a string)";
		return -EBADMSG;
	}
	if (!small_int(m, "timeout_s", (int64_t)ZO_JOB_MAX_TIMEOUT_S)) {
		*ret_why = "job.json's timeout_s is not a number of seconds up to 365 days";
		return -EBADMSG;
	}
	if (!small_int(m, "attempt", 1000)) {
		*ret_why = "job.json's attempt is not a small whole number";
		return -EBADMSG;
	}
	return 0;
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
	/* a half-made run (".ID.tmp") is hidden; anything else is not a run */
	for (i = 0; i < n; i++) {
		if (zo_spool_id_valid(v[i]))
			v[k++] = v[i];
		else
			free(v[i]);
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

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int zo_spool_new_id(const struct zo_spool *s, uint64_t *ret)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int own = -1;
	int fd = s->ids_fd, len, r = 0;
	char buf[32];
	ssize_t n;
	uint64_t last = 0, ms;

	if (fd < 0) {
		path = zo_asprintf("%s/ids", s->state);
		if (!path)
			return -ENOMEM;
		fd = own = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0)
			return -errno;
	}
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return -errno;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n > 0) {
		buf[n] = '\0';
		last = strtoull(buf, NULL, 10);
	}
	/* strictly increasing whatever the clock does, in every process */
	ms = wall_ms();
	if (ms <= last)
		ms = last + 1;
	len = snprintf(buf, sizeof(buf), "%013llu\n", (unsigned long long)ms);
	n = pwrite(fd, buf, (size_t)len, 0);
	if (n != len)
		r = n < 0 ? -errno : -ENOSPC;
	flock(fd, LOCK_UN);
	if (r < 0)
		return r;
	*ret = ms;
	return 0;
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

int zo_spool_remove_dir(const char *path)
{
	struct dirent *de;
	DIR *d = opendir(path);
	int r = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
			r = -errno;
	closedir(d);
	if (rmdir(path) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

void zo_spool_now_iso(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

/* ---- which process is the run ---- */

int zo_spool_run_process(const struct zo_spool *s, const char *id, long *ret_pgid,
			 const char **ret_why)
{
	_cleanup_free_ char *pidfile = zo_spool_path(s, "running", id, "pid");
	_cleanup_free_ char *text = NULL;
	char recorded_boot[ZO_BOOT_ID_LEN + 1], boot[ZO_BOOT_ID_LEN + 1];
	struct zo_proc_stat st;
	unsigned long long start;
	long pid;
	int r;

	if (!pidfile)
		return -ENOMEM;
	r = zo_read_line(pidfile, &text);
	if (r == -ENOENT) {
		*ret_why = "no process is recorded for it";
		return 0;
	}
	if (r < 0)
		return r;
	if (sscanf(text, "%ld %llu %36s", &pid, &start, recorded_boot) != 3 || pid <= 1) {
		*ret_why = "its pid file does not say when the process started (an older "
			   "zsim-orch wrote it), and a pid alone may name another process now";
		return 0;
	}
	if (zo_boot_id(NULL, boot) < 0) {
		*ret_why = "this boot's ID cannot be read, so the pid cannot be checked";
		return 0;
	}
	if (strcmp(boot, recorded_boot)) {
		*ret_why = "its process was started before the host last booted";
		return 0;
	}
	r = zo_proc_stat(NULL, pid, &st);
	if (r < 0) {
		*ret_why = r == -ENOENT ? "its process has exited"
					: "its process's /proc/PID/stat cannot be read";
		return 0;
	}
	if (st.start != start) {
		*ret_why = "its pid now belongs to another process (started at another time)";
		return 0;
	}
	if (st.pgrp != pid) {
		*ret_why = "its process no longer leads its own process group";
		return 0;
	}
	*ret_pgid = pid;
	return 1;
}

/* ---- queue ---- */

int zo_spool_submit(const struct zo_spool *s, const char *name, const char *text,
		    char **ret_path)
{
	_cleanup_free_ char *tmp = zo_asprintf("%s/.%s.tmp", s->dir, name);
	char *final = zo_asprintf("%s/%s.job", s->dir, name);
	int fd, r = 0;
	size_t len = strlen(text);
	ssize_t n;

	if (!tmp || !final) {
		free(final);
		return -ENOMEM;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0) {
		free(final);
		return -errno;
	}
	n = write(fd, text, len);
	if (n != (ssize_t)len)
		r = n < 0 ? -errno : -ENOSPC;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	/* never replace a job file that is still waiting to be claimed */
	if (r == 0 && access(final, F_OK) == 0)
		r = -EEXIST;
	if (r == 0 && rename(tmp, final) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
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

int zo_spool_load_job(const char *path, const char *name, struct zo_diags *diags,
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

char *zo_spool_job_name(const char *file)
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
	name = zo_spool_job_name(file);
	if (!name)
		return -ENOMEM;
	/* the daemon ignores hidden files: such a job would never run */
	if (!*name || name[0] == '.') {
		zo_fail(ctx, -EINVAL, "%s: a job file named with a leading '.' is never claimed "
				      "by the daemon (hidden files are ignored); rename it",
			file);
		ctx->fail_kind = ZO_FAIL_USAGE;
		return -EINVAL;
	}
	r = zo_spool_load_job(file, name, ret_diags, &runs, &n, &why);
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

static int cancel_running(struct zo_ctx *ctx, const struct zo_spool *s, const char *id,
			  const char **ret_why)
{
	long pgid = 0;
	int r;

	r = zo_spool_mark_cancel(s, id, "cancelled by zsim-orch queue cancel\n");
	if (r == -ENOENT) {
		const char *now = zo_spool_find(s, id);

		return zo_fail(ctx, -EALREADY, "%s already finished (%s)", id, now ? now : "gone");
	}
	if (r < 0)
		return zo_fail(ctx, r, "cannot mark %s as cancelled: %s", id, strerror(-r));
	/* a signal goes only to a process proven to be the run */
	r = zo_spool_run_process(s, id, &pgid, ret_why);
	if (r < 0)
		return zo_fail(ctx, r, "%s: cannot read its pid file: %s", id, strerror(-r));
	if (r == 0)
		return ZO_SPOOL_CANCEL_MARKED;
	/* the run stops its target and restores the knobs on SIGTERM */
	if (kill((pid_t)-pgid, SIGTERM) == 0)
		return ZO_SPOOL_STOPPING;
	if (errno == ESRCH) {
		*ret_why = "its process has exited";
		return ZO_SPOOL_CANCEL_MARKED;
	}
	return zo_fail(ctx, -errno, "%s: cannot signal its process group %ld: %s", id, pgid,
		       strerror(errno));
}

int zo_spool_cancel(struct zo_ctx *ctx, const struct zo_spool *s, const char *id,
		    const char *state, const char **ret_why)
{
	if (!strcmp(state, "queued"))
		return cancel_queued(ctx, s, id);
	if (!strcmp(state, "running"))
		return cancel_running(ctx, s, id, ret_why);
	return zo_fail(ctx, -EALREADY, "%s already finished (%s)", id, state);
}

int zo_spool_mark_cancel(const struct zo_spool *s, const char *id, const char *why)
{
	_cleanup_free_ char *c = zo_spool_path(s, "running", id, "cancel");

	return c ? zo_write_file_replace(c, why) : -ENOMEM;
}

/* Queue `m` (finished run `of`'s record, made a fresh one) as run `id`:
 * written in a hidden directory, then renamed into queued. */
static int requeue_as(struct zo_ctx *ctx, const struct zo_spool *s, json_object *m,
		      const char *id, const char *of)
{
	static const char *const drop[] = { "status",	   "exit",    "started", "finished",
					    "duration_ms", "results", "error",   "requeued",
					    "interrupted_results" };
	_cleanup_free_ char *tmp = zo_asprintf("%s/queued/.%s.tmp", s->state, id);
	_cleanup_free_ char *dst = zo_spool_path(s, "queued", id, NULL);
	_cleanup_free_ char *meta = tmp ? zo_asprintf("%s/job.json", tmp) : NULL;
	size_t i;
	int r;

	if (!meta || !dst)
		return zo_fail(ctx, -ENOMEM, "out of memory");
	if (mkdir(tmp, 0755) < 0)
		return zo_fail(ctx, -errno, "cannot queue the retry of %s: %s", of, strerror(errno));
	for (i = 0; i < ZO_ARRAY_SIZE(drop); i++)
		json_object_object_del(m, drop[i]);
	zo_json_add_str(m, "id", id);
	zo_json_add_str(m, "retry_of", of);
	json_object_object_add(m, "attempt", json_object_new_int(0));
	r = zo_write_file_replace(meta, zo_json_text(m));
	if (r == 0 && rename(tmp, dst) < 0)
		r = -errno;
	if (r < 0) {
		zo_spool_remove_dir(tmp);
		return zo_fail(ctx, r, "cannot queue the retry of %s: %s", of, strerror(-r));
	}
	r = zo_spool_sync(s);
	if (r < 0)
		return zo_fail(ctx, r, "queued the retry of %s as %s, but cannot flush it to disk: %s",
			       of, id, strerror(-r));
	return 0;
}

int zo_spool_retry(struct zo_ctx *ctx, const struct zo_spool *s, const char *id,
		   const char *state, char **ret_id)
{
	_cleanup_free_ char *new_id = NULL;
	const char *why = NULL;
	json_object *m;
	uint64_t ms;
	int r;

	if (strcmp(state, "failed") && strcmp(state, "done"))
		return zo_fail(ctx, -EBUSY, "%s is %s; only finished jobs can be retried", id,
			       state);
	m = zo_spool_read_meta(s, state, id);
	if (zo_spool_check_meta(m, true, &why) < 0) {
		if (m)
			json_object_put(m);
		return zo_fail(ctx, -EBADMSG, "cannot retry %s: %s", id, why);
	}
	/* unique across processes: two retries never share an ID */
	r = zo_spool_new_id(s, &ms);
	new_id = r < 0 ? NULL : zo_asprintf("%013llu-r", (unsigned long long)ms);
	if (!new_id)
		r = r < 0 ? zo_fail(ctx, r, "cannot retry %s: cannot take a new ID: %s", id,
				    strerror(-r))
			  : zo_fail(ctx, -ENOMEM, "out of memory");
	else
		r = requeue_as(ctx, s, m, new_id, id);
	json_object_put(m);
	if (r < 0)
		return r;
	*ret_id = TAKE_PTR(new_id);
	return 0;
}

/* Hand everything from the log's current offset on to the reader. */
static int drain(int fd, const struct zo_spool_log_reader *rd)
{
	char buf[64 * 1024];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		rd->text(rd->userdata, buf, (size_t)n);
	}
}

static volatile sig_atomic_t follow_stop;

static void on_follow_stop(int sig)
{
	follow_stop = sig;
}

/* SIGINT and SIGTERM end a follow between two reads (no SA_RESTART: the
 * sleep returns at once). */
static void catch_follow_stop(bool on)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on ? on_follow_stop : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* What the reader last heard of the run: "STATE STATUS PHASE". */
static char *record_key(const char *state, json_object *m)
{
	const char *status = m ? zo_json_get_str(m, "status") : NULL;
	const char *phase = m ? zo_json_get_str(m, "phase") : NULL;

	return zo_asprintf("%s %s %s", state, status ? status : "-", phase ? phase : "-");
}

/* Tell the reader the record when it changed since `*key`. */
static void tell_record(const struct zo_spool *s, const char *id, const char *state,
			const struct zo_spool_log_reader *rd, char **key)
{
	json_object *m;
	char *now;

	if (!rd->record)
		return;
	m = zo_spool_read_meta(s, state, id);
	now = record_key(state, m);
	if (!*key || !now || strcmp(*key, now))
		rd->record(rd->userdata, state, m);
	free(*key);
	*key = now;
	if (m)
		json_object_put(m);
}

static int show_log(struct zo_ctx *ctx, const struct zo_spool *s, const char *id,
		    const char *state, bool follow, struct zo_spool_log_reader *rd)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *key = NULL;
	int r;

	tell_record(s, id, state, rd, &key);
	for (;;) {
		/* the run's directory moves between states; an open log
		 * stays the same file */
		bool last = !follow || (strcmp(state, "running") && strcmp(state, "queued"));

		if (fd < 0) {
			_cleanup_free_ char *path = zo_spool_path(s, state, id, "log");

			if (!path)
				return zo_fail(ctx, -ENOMEM, "out of memory");
			fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (fd < 0 && errno != ENOENT)
				return zo_fail(ctx, -errno, "cannot read %s: %s", path,
					       strerror(errno));
		}
		if (fd >= 0) {
			r = drain(fd, rd);
			if (r < 0)
				return zo_fail(ctx, r, "cannot read the log of %s: %s", id,
					       strerror(-r));
		}
		if (follow)
			tell_record(s, id, state, rd, &key);
		if (last)
			return 0;
		if (zo_sleep_ms(250, &follow_stop) < 0 || follow_stop) {
			rd->signal = (int)follow_stop;
			return -EINTR;
		}
		state = zo_spool_find(s, id);
		if (!state)
			return 0;
	}
}

int zo_spool_show_log(struct zo_ctx *ctx, const struct zo_spool *s, const char *id,
		      const char *state, bool follow, struct zo_spool_log_reader *rd)
{
	int r;

	rd->signal = 0;
	if (!follow)
		return show_log(ctx, s, id, state, false, rd);
	follow_stop = 0;
	catch_follow_stop(true);
	r = show_log(ctx, s, id, state, true, rd);
	catch_follow_stop(false);
	return r;
}
