/* zsim-orch serve: the spool daemon. Blocks on inotify and a signalfd (no
 * polling: idle CPU is zero), claims job files by renaming them, runs one
 * experiment at a time as a child `zsim-orch run`, and files each run as
 * done or failed. See cmd/spool.h for the layout. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/spool.h"
#include "core/job.h"
#include "util/file.h"
#include "util/json.h"
#include "util/path.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

/* A run killed with SIGTERM gets this long to clean up (stop its target,
 * restore knobs) before SIGKILL. */
#define STOP_GRACE_MS 60000

struct daemon {
	struct zo_ctx *ctx;
	struct zo_spool spool;
	uint64_t last_id_ms;
	/* the run in progress */
	pid_t child;
	char *child_id;
	uint64_t child_start_ms, deadline_ms, kill_at_ms;
	bool timed_out, stopping;
	/* spool changes not yet flushed to disk (see flush()) */
	bool dirty;
	sigset_t child_mask;
	pid_t pid;
	int inotify_fd, signal_fd;
	/* the config file as the loaded config saw it (see same_config()) */
	struct stat config_st;
	int config_stat;
};

static int config_identity(const char *path, struct stat *st)
{
	return stat(path, st) < 0 ? -errno : 0;
}

/* Each run reads the config afresh so an edit between jobs applies, but
 * parsing it again per job was a sixth of a queued no-op job's cost: the
 * daemon's own copy is used while the file is the one it was loaded from
 * (or still absent). Writers replace the file by rename, which changes
 * the inode. */
static bool same_config(const struct daemon *d)
{
	struct stat st;
	int r = config_identity(d->ctx->config_path, &st);

	if (r != d->config_stat)
		return false;
	return r < 0 || (st.st_ino == d->config_st.st_ino && st.st_dev == d->config_st.st_dev &&
			 st.st_size == d->config_st.st_size &&
			 st.st_mtim.tv_sec == d->config_st.st_mtim.tv_sec &&
			 st.st_mtim.tv_nsec == d->config_st.st_mtim.tv_nsec);
}

/* journald reads "<N>" at the start of a line as the priority */
static void say(int prio, const char *fmt, ...) ZO_PRINTF(2, 3);
static void say(int prio, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "<%d>", prio);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void now_iso(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

/* systemd's Type=notify, by hand: one datagram to $NOTIFY_SOCKET. */
static void notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, strlen(path));
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa, (socklen_t)len);
	close(fd);
}

static void reject(struct daemon *d, const char *name, const char *why)
{
	_cleanup_free_ char *from = zo_asprintf("%s/%s", d->spool.dir, name);
	_cleanup_free_ char *to = zo_asprintf("%s/rejected/%s", d->spool.state, name);
	_cleanup_free_ char *err = zo_asprintf("%s/rejected/%s.error", d->spool.state, name);
	_cleanup_free_ char *text = zo_asprintf("%s\n", why);

	say(4, "rejected %s: %s", name, why);
	d->dirty = true;
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

static char *new_id(struct daemon *d)
{
	struct timespec ts;
	uint64_t ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	/* strictly increasing, so IDs sort in claim order */
	if (ms <= d->last_id_ms)
		ms = d->last_id_ms + 1;
	d->last_id_ms = ms;
	return zo_asprintf("%013llu", (unsigned long long)ms);
}

/* Queue every run a claimed file stands for; reject it if it is bad. */
static void expand(struct daemon *d, const char *id, const char *path, const char *name)
{
	struct zo_ini *ini = NULL;
	struct zo_diags diags = { 0 };
	struct zo_job_run *runs = NULL;
	_cleanup_free_ char *why = NULL, *base = strdup(name), *text = NULL;
	char stamp[40];
	size_t n = 0, i;

	if (base && strlen(base) > 4)
		base[strlen(base) - 4] = '\0';
	if (zo_ini_load(path, &ini, &diags) < 0) {
		why = diags.n ? zo_asprintf("line %u: %s", diags.v[0].line, diags.v[0].message)
			      : strdup("unreadable job file");
	} else if (zo_job_expand(ini, base ? base : "job", &runs, &n, &why) == 0) {
		zo_read_file(path, ZO_JOB_MAX_BYTES, &text, NULL);
		now_iso(stamp, sizeof(stamp));
		for (i = 0; i < n; i++) {
			_cleanup_free_ char *rid = zo_asprintf("%s-%04zu", id, i + 1);
			_cleanup_free_ char *tmp = rid ? zo_asprintf("%s/queued/.%s.tmp",
								     d->spool.state, rid)
						      : NULL;
			_cleanup_free_ char *dst = rid ? zo_spool_path(&d->spool, "queued", rid, NULL)
						      : NULL;
			_cleanup_free_ char *meta_path = tmp ? zo_asprintf("%s/job.json", tmp) : NULL;
			_cleanup_free_ char *ini_path = tmp ? zo_asprintf("%s/job.ini", tmp) : NULL;
			json_object *m = json_object_new_object(), *arr = json_object_new_array();
			size_t k;

			if (!meta_path || !ini_path || !dst || mkdir(tmp, 0755) < 0) {
				json_object_put(m);
				json_object_put(arr);
				continue;
			}
			zo_json_add_str(m, "id", rid);
			zo_json_add_str(m, "name", runs[i].name);
			zo_json_add_str(m, "file", name);
			zo_json_add_str(m, "experiment", runs[i].experiment);
			for (k = 0; runs[i].argv[k]; k++)
				json_object_array_add(arr, json_object_new_string(runs[i].argv[k]));
			json_object_object_add(m, "args", arr);
			zo_json_add_u64(m, "timeout_s", runs[i].timeout_s);
			zo_json_add_int(m, "attempt", 0);
			zo_json_add_str(m, "submitted", stamp);
			zo_write_file_replace(meta_path, zo_json_text(m));
			zo_write_file_replace(ini_path, text ? text : "");
			json_object_put(m);
			if (rename(tmp, dst) < 0)
				say(3, "cannot queue %s: %s", rid, strerror(errno));
		}
		say(6, "queued %s: %zu run%s", name, n, n == 1 ? "" : "s");
	}
	if (why) {
		_cleanup_free_ char *back = zo_asprintf("%s/%s", d->spool.dir, name);

		/* put it where reject() expects it */
		if (back && rename(path, back) == 0)
			reject(d, name, why);
		else
			unlink(path);
	} else {
		unlink(path);
	}
	zo_job_runs_free(runs, n);
	zo_diags_release(&diags);
	zo_ini_free(ini);
}

/* Make every spool change so far durable, with one journal commit: a run
 * must be on disk as running before it starts (or a power cut could run
 * it twice) and as finished before the next one starts. */
static void flush(struct daemon *d)
{
	int r;

	if (!d->dirty)
		return;
	r = zo_spool_sync(&d->spool);
	if (r < 0)
		say(3, "cannot flush %s to disk: %s", d->spool.state, strerror(-r));
	d->dirty = false;
}

/* Check one dropped file and claim it. */
static void claim(struct daemon *d, const char *name)
{
	_cleanup_free_ char *path = zo_asprintf("%s/%s", d->spool.dir, name);
	_cleanup_free_ char *id = NULL, *dest = NULL;
	struct stat st, fst, after;
	size_t len = strlen(name);
	int fd;

	if (!path || name[0] == '.' || len < 5 || strcmp(name + len - 4, ".job"))
		return;
	if (lstat(path, &st) < 0)
		return;
	if (S_ISLNK(st.st_mode))
		return reject(d, name, "a symbolic link; submit the job file itself");
	if (!S_ISREG(st.st_mode))
		return reject(d, name, "not a regular file (a FIFO, a device or a directory)");
	if (st.st_nlink != 1)
		return reject(d, name, "a hard link to another file; submit a copy");
	if (st.st_size > ZO_JOB_MAX_BYTES)
		return reject(d, name, "larger than 64 KiB; a job file is a few lines");
	if (!may_submit(st.st_uid))
		return reject(d, name, "owned by a user who is neither root nor in group zsim");
	/* the same file as inspected: opened without following links, and
	 * after the rename still the same inode */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &fst) < 0 || fst.st_ino != st.st_ino || fst.st_dev != st.st_dev) {
		close(fd);
		return reject(d, name, "replaced while it was being checked");
	}
	close(fd);
	id = new_id(d);
	dest = id ? zo_asprintf("%s/incoming/%s.job", d->spool.state, id) : NULL;
	if (!dest || rename(path, dest) < 0)
		return;
	d->dirty = true;
	if (lstat(dest, &after) < 0 || after.st_ino != st.st_ino) {
		_cleanup_free_ char *back = zo_asprintf("%s/%s", d->spool.dir, name);

		if (back)
			rename(dest, back);
		return reject(d, name, "replaced while it was being claimed");
	}
	expand(d, id, dest, name);
}

static bool regular_file(const struct daemon *d, const char *name)
{
	_cleanup_free_ char *path = zo_asprintf("%s/%s", d->spool.dir, name);
	struct stat st;

	return path && lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1;
}

static void scan_spool(struct daemon *d)
{
	_cleanup_free_ char *inc = zo_asprintf("%s/incoming", d->spool.state);
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
			expand(d, id, p, de->d_name);
	}
	if (dir)
		closedir(dir);
	dir = opendir(d->spool.dir);
	while (dir && (de = readdir(dir)))
		claim(d, de->d_name);
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

/* After a crash: a run left "running" is queued again once, or failed. */
static void recover(struct daemon *d)
{
	char **ids = NULL;
	int n = zo_spool_list(&d->spool, "running", &ids), i;

	d->dirty = n > 0;

	for (i = 0; i < n; i++) {
		json_object *m = zo_spool_read_meta(&d->spool, "running", ids[i]), *a;
		int attempt = m && json_object_object_get_ex(m, "attempt", &a)
				      ? json_object_get_int(a)
				      : 1;

		_cleanup_free_ char *pidfile = zo_spool_path(&d->spool, "running", ids[i], "pid");
		_cleanup_free_ char *pid = NULL;

		/* a run the old daemon left behind would run twice: stop it */
		if (pidfile && zo_read_line(pidfile, &pid) == 0) {
			long p = strtol(pid, NULL, 10);
			int waited;

			if (p > 1 && kill((pid_t)-p, SIGTERM) == 0)
				for (waited = 0; waited < 100 && kill((pid_t)-p, 0) == 0; waited++)
					zo_sleep_ms(100, NULL);
			if (p > 1)
				kill((pid_t)-p, SIGKILL);
		}
		if (!m) {
			zo_spool_move(&d->spool, ids[i], "running", "failed");
			continue;
		}
		set_aside_results(m, attempt);
		if (attempt < 2) {
			zo_json_add_str(m, "requeued", "the daemon stopped while it ran");
			zo_spool_write_meta(&d->spool, "running", ids[i], m);
			zo_spool_move(&d->spool, ids[i], "running", "queued");
			say(4, "%s: the daemon stopped while it ran; queued again (attempt %d next)",
			    ids[i], attempt + 1);
		} else {
			zo_json_add_str(m, "status", "failed");
			zo_json_add_str(m, "error", "the daemon stopped while it ran, twice; not "
						    "run again");
			zo_spool_write_meta(&d->spool, "running", ids[i], m);
			zo_spool_move(&d->spool, ids[i], "running", "failed");
			say(3, "%s: interrupted twice; failed", ids[i]);
		}
		json_object_put(m);
	}
	zo_strv_free(ids);
}

/* The run, in the forked child. It is the command `zsim-orch run
 * --results-dir RESULTS EXP ARGS...` would run, called in-process: the
 * daemon has every library loaded already, and linking them again for each
 * run (exec) costs ~40 ms, more than a short job itself. The config is read
 * again, so edits made while jobs wait apply to the next one. */
static _Noreturn void run_child(struct daemon *d, const char *log, const char *results,
				const char *exp, json_object *args)
{
	struct zo_ctx ctx = *d->ctx;
	size_t nargs = json_object_array_length(args), i;
	char **argv = calloc(nargs + 5, sizeof(char *));
	int fd, k = 0, r;

	close(d->inotify_fd);
	close(d->signal_fd);
	setpgid(0, 0);
	/* the mask was blocked for the signalfd: a run that cannot see
	 * SIGTERM cannot stop its target cleanly */
	sigprocmask(SIG_SETMASK, &d->child_mask, NULL);
	/* if the daemon dies (kill -9), its run stops cleanly too, rather
	 * than finishing unseen and then being run again */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != d->pid)
		_exit(143);
	fd = log ? open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
	if (!argv || fd < 0 || !results)
		_exit(127);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	argv[k++] = (char *)"run";
	argv[k++] = (char *)"--results-dir";
	argv[k++] = (char *)results;
	argv[k++] = (char *)exp;
	for (i = 0; i < nargs; i++)
		argv[k++] = (char *)json_object_get_string(json_object_array_get_idx(args, i));
	argv[k] = NULL;
	ctx.json = false;
	ctx.dry_run = false;
	r = ZO_EXIT_OK;
	if (!same_config(d)) {
		ctx.config = NULL;
		r = zo_load_config(&ctx);
	}
	if (r == ZO_EXIT_OK) {
		optind = 0;
		r = cmd_run(&ctx, k, argv);
	}
	fflush(NULL);
	_exit(r);
}

static void start_next(struct daemon *d)
{
	char **ids = NULL;
	json_object *m = NULL, *args, *a;
	_cleanup_free_ char *log = NULL, *results = NULL, *base = NULL, *first = NULL;
	const char *id, *exp, *name;
	char stamp[40];
	int n, attempt;
	pid_t pid;

	if (d->child || d->stopping)
		return;
	n = zo_spool_list(&d->spool, "queued", &ids);
	/* freed now, not after the fork: every page the daemon writes while
	 * the child shares it is copied (with a TLB shootdown), and a long
	 * queue's list spans many pages */
	id = n > 0 ? first = strdup(ids[0]) : NULL;
	zo_strv_free(ids);
	ids = NULL;
	if (!id)
		return;
	if (zo_spool_move(&d->spool, id, "queued", "running") < 0)
		goto out;
	m = zo_spool_read_meta(&d->spool, "running", id);
	exp = m ? zo_json_get_str(m, "experiment") : NULL;
	name = m ? zo_json_get_str(m, "name") : NULL;
	if (!exp || !name || !json_object_object_get_ex(m, "args", &args)) {
		zo_spool_move(&d->spool, id, "running", "failed");
		goto out;
	}
	attempt = json_object_object_get_ex(m, "attempt", &a) ? json_object_get_int(a) + 1 : 1;
	json_object_object_add(m, "attempt", json_object_new_int(attempt));
	now_iso(stamp, sizeof(stamp));
	zo_json_add_str(m, "started", stamp);
	base = zo_path(d->ctx->root, zo_config_get(d->ctx->config, "paths", "results"));
	results = base ? zo_asprintf("%s/%s-%s", base, name, id) : NULL;
	zo_json_add_str(m, "results", results);
	zo_spool_write_meta(&d->spool, "running", id, m);
	d->dirty = true;
	flush(d);
	log = zo_spool_path(&d->spool, "running", id, "log");
	fflush(NULL); /* nothing buffered may be written twice */
	pid = fork();
	if (pid == 0)
		run_child(d, log, results, exp, args);
	if (pid > 0)
		setpgid(pid, pid); /* before any kill(-pid) can race the child's own */
	if (pid < 0) {
		say(3, "%s: cannot fork: %s", id, strerror(errno));
		zo_spool_move(&d->spool, id, "running", "queued");
		goto out;
	}
	d->child = pid;
	d->child_id = strdup(id);
	d->child_start_ms = zo_now_ms();
	d->timed_out = false;
	d->kill_at_ms = 0;
	{
		json_object *t;
		uint64_t timeout = json_object_object_get_ex(m, "timeout_s", &t)
					   ? (uint64_t)json_object_get_int64(t)
					   : 0;

		d->deadline_ms = timeout ? d->child_start_ms + timeout * 1000 : 0;
	}
	{
		_cleanup_free_ char *pidfile = zo_spool_path(&d->spool, "running", id, "pid");
		_cleanup_free_ char *text = zo_asprintf("%ld\n", (long)pid);

		if (pidfile && text)
			zo_write_file_replace(pidfile, text);
	}
	say(6, "%s: started %s (%s), attempt %d, pid %ld", id, name, exp, attempt, (long)pid);
out:
	if (m)
		json_object_put(m);
	zo_strv_free(ids);
}

static void finish(struct daemon *d, int status)
{
	const char *id = d->child_id;
	json_object *m = zo_spool_read_meta(&d->spool, "running", id);
	_cleanup_free_ char *cancel = zo_spool_path(&d->spool, "running", id, "cancel");
	bool cancelled = cancel && access(cancel, F_OK) == 0;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	const char *result;
	char stamp[40];
	uint64_t ms = zo_now_ms() - d->child_start_ms;

	result = cancelled ? "cancelled" : d->timed_out ? "timed out" : code == 0 ? "done"
												 : "failed";
	if (m) {
		now_iso(stamp, sizeof(stamp));
		zo_json_add_str(m, "finished", stamp);
		zo_json_add_int(m, "exit", code);
		zo_json_add_u64(m, "duration_ms", ms);
		zo_json_add_str(m, "status", result);
		zo_spool_write_meta(&d->spool, "running", id, m);
		json_object_put(m);
	}
	zo_spool_move(&d->spool, id, "running", code == 0 && !cancelled ? "done" : "failed");
	d->dirty = true; /* flushed with the next run's start, or when idle */
	say(code == 0 ? 6 : 4, "%s: %s (exit %d, %.1f s)", id, result, code, (double)ms / 1000);
	free(d->child_id);
	d->child_id = NULL;
	d->child = 0;
}

static void check_timers(struct daemon *d)
{
	uint64_t now = zo_now_ms();

	if (!d->child)
		return;
	if (d->deadline_ms && now >= d->deadline_ms && !d->timed_out) {
		say(4, "%s: timed out; stopping it", d->child_id);
		d->timed_out = true;
		kill(-d->child, SIGTERM);
		d->kill_at_ms = now + STOP_GRACE_MS;
	}
	if (d->kill_at_ms && now >= d->kill_at_ms) {
		kill(-d->child, SIGKILL);
		d->kill_at_ms = 0;
	}
}

static int wait_ms(const struct daemon *d)
{
	uint64_t now = zo_now_ms(), next = 0;

	if (d->child && d->deadline_ms && !d->timed_out)
		next = d->deadline_ms;
	if (d->kill_at_ms && (!next || d->kill_at_ms < next))
		next = d->kill_at_ms;
	if (!next)
		return -1; /* nothing to time: block */
	return next > now ? (int)(next - now) : 0;
}

static int cmd_serve(struct zo_ctx *ctx, int argc, char **argv)
{
	struct daemon d = { 0 };
	sigset_t mask;
	struct pollfd fds[2];
	_cleanup_free_ char *queued = NULL;
	int ino, sfd, r, queued_wd = -1;

	r = zo_no_options(ctx, &zo_cmd_serve, argc, argv);
	if (r >= 0)
		return r;
	if (argc > 1)
		return zo_usage_error(ctx, &zo_cmd_serve, "'serve' takes no arguments");
	d.ctx = ctx;
	d.config_stat = config_identity(ctx->config_path, &d.config_st);
	r = zo_spool_open(ctx, &d.spool, true);
	if (r < 0) {
		zo_error(ctx, "cannot set up the spool %s: %s", d.spool.dir ? d.spool.dir : "?",
			 strerror(-r));
		zo_spool_release(&d.spool);
		return ZO_EXIT_FAILED;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	d.pid = getpid();
	sigprocmask(SIG_BLOCK, &mask, &d.child_mask);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	/* `queue retry` queues a run directly; the loop starts it */
	queued = zo_asprintf("%s/queued", d.spool.state);
	ino = inotify_init1(IN_CLOEXEC);
	if (sfd < 0 || ino < 0 ||
	    (queued_wd = inotify_add_watch(ino, queued, IN_MOVED_TO)) < 0 ||
	    inotify_add_watch(ino, d.spool.dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0) {
		zo_error(ctx, "cannot watch %s: %s", d.spool.dir, strerror(errno));
		zo_spool_release(&d.spool);
		return ZO_EXIT_FAILED;
	}
	d.inotify_fd = ino;
	d.signal_fd = sfd;
	recover(&d);
	scan_spool(&d);
	say(6, "serving %s", d.spool.dir);
	notify("READY=1\nSTATUS=waiting for jobs");
	start_next(&d);
	fds[0] = (struct pollfd){ .fd = ino, .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (;;) {
		if (poll(fds, 2, wait_ms(&d)) < 0 && errno != EINTR)
			break;
		if (fds[0].revents & POLLIN) {
			char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
			ssize_t n = read(ino, buf, sizeof(buf));
			ssize_t off = 0;

			while (n > 0 && off < n) {
				struct inotify_event *ev = (struct inotify_event *)(buf + off);

				/* a regular file is claimed once it is closed after
				 * writing; links, FIFOs and devices never are, so they
				 * are turned away when they appear */
				if (ev->wd != queued_wd && ev->len &&
				    (!(ev->mask & IN_CREATE) || !regular_file(&d, ev->name)))
					claim(&d, ev->name);
				off += (ssize_t)sizeof(*ev) + ev->len;
			}
			if (n > 0 && ((struct inotify_event *)buf)->mask & IN_Q_OVERFLOW)
				scan_spool(&d);
		}
		if (fds[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGCHLD) {
					int status;
					pid_t p;

					while ((p = waitpid(-1, &status, WNOHANG)) > 0)
						if (p == d.child)
							finish(&d, status);
				} else if (!d.stopping) {
					d.stopping = true;
					notify("STOPPING=1");
					say(6, "stopping%s", d.child ? ": cancelling the running job" : "");
					if (d.child) {
						_cleanup_free_ char *c = zo_spool_path(
							&d.spool, "running", d.child_id, "cancel");

						if (c)
							zo_write_file_replace(c, "daemon stopping\n");
						kill(-d.child, SIGTERM);
						d.kill_at_ms = zo_now_ms() + STOP_GRACE_MS;
					}
				}
			}
		}
		check_timers(&d);
		if (d.stopping && !d.child)
			break;
		start_next(&d);
		flush(&d);
	}
	flush(&d);
	close(ino);
	close(sfd);
	zo_spool_release(&d.spool);
	say(6, "stopped");
	return ZO_EXIT_OK;
}

const struct zo_cmd zo_cmd_serve = {
	.name = "serve",
	.fn = cmd_serve,
	.summary = "the spool daemon: run queued jobs one at a time",
	.usage = "zsim-orch serve\n"
		 "\n"
		 "Watches [paths] spool with inotify (names starting with '.' or ending in\n"
		 ".tmp are ignored), claims each *.job by renaming it, and runs its\n"
		 "experiments one at a time as 'zsim-orch run', each into its own results\n"
		 "directory, filing it under done or failed with exit status and times.\n"
		 "Symlinks, hard links, FIFOs, devices, files over 64 KiB and files of\n"
		 "users neither root nor in group zsim are moved to .zsim/rejected with an\n"
		 ".error. A run found running after a crash is queued again once. Logs go\n"
		 "to stderr with <N> priorities for journald; READY=1 goes to\n"
		 "$NOTIFY_SOCKET (systemd Type=notify); SIGTERM cancels the running job\n"
		 "cleanly and exits.\n",
	.flags = ZO_CMD_NEED_CONFIG,
};
