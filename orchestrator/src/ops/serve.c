#include "ops/serve.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/config.h"
#include "ops/spool.h"
#include "util/path.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

/* A run killed with SIGTERM gets this long to clean up (stop its target,
 * restore knobs) before SIGKILL. */
#define STOP_GRACE_MS 60000

struct daemon {
	struct zo_ctx *ctx;
	const struct zo_serve_params *params;
	struct zo_spool spool;
	char *results_base; /* [paths] results, root prefix applied */
	/* the run in progress */
	pid_t child;
	char *child_id;
	uint64_t child_start_ms, deadline_ms, kill_at_ms;
	bool timed_out, stopping;
	sigset_t child_mask;
	pid_t pid;
	int inotify_fd, signal_fd, queued_wd;
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

/* The run, in the forked child, called in-process: the daemon has every
 * library loaded already, and linking them again for each run (exec)
 * costs ~40 ms, more than a short job itself. */
static _Noreturn void run_child(const struct daemon *d, const struct zo_spool_job *j)
{
	struct zo_ctx ctx = *d->ctx;
	struct zo_serve_job job = { .results_dir = j->results, .argc = j->argc, .argv = j->argv };
	int fd, r;

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
	fd = j->log ? open(j->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
	if (fd < 0 || !j->results)
		_exit(127);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	ctx.json = false;
	ctx.dry_run = false;
	/* a manual command holding the host lock delays the run, not fails it */
	ctx.lock_wait = true;
	if (!same_config(d)) {
		/* the daemon's copy is left alone (not freed in the child) */
		ctx.config = NULL;
		job.config_changed = true;
	}
	r = d->params->run(&ctx, &job);
	fflush(NULL);
	_exit(r);
}

static void start_next(struct daemon *d)
{
	struct zo_spool_job j = { 0 };
	pid_t pid;

	if (d->child || d->stopping)
		return;
	if (zo_spool_start_next(&d->spool, d->results_base, &j) <= 0)
		return;
	fflush(NULL); /* nothing buffered may be written twice */
	pid = fork();
	if (pid == 0)
		run_child(d, &j);
	if (pid > 0)
		setpgid(pid, pid); /* before any kill(-pid) can race the child's own */
	if (pid < 0) {
		zo_err(&d->spool.log, "%s: cannot fork: %s", j.id, strerror(errno));
		zo_spool_move(&d->spool, j.id, "running", "queued");
		zo_spool_job_release(&j);
		return;
	}
	d->child = pid;
	d->child_id = TAKE_PTR(j.id);
	d->child_start_ms = zo_now_ms();
	d->timed_out = false;
	d->kill_at_ms = 0;
	d->deadline_ms = j.timeout_s ? d->child_start_ms + j.timeout_s * 1000 : 0;
	zo_spool_write_pid(&d->spool, d->child_id, (long)pid);
	zo_info(&d->spool.log, "%s: started %s (%s), attempt %d, pid %ld", d->child_id, j.name,
		j.argv[0], j.attempt, (long)pid);
	zo_spool_job_release(&j);
}

static void reap(struct daemon *d, int status)
{
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

	zo_spool_finish(&d->spool, d->child_id, code, d->timed_out,
			zo_now_ms() - d->child_start_ms);
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
		zo_warn(&d->spool.log, "%s: timed out; stopping it", d->child_id);
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

static void on_spool_events(struct daemon *d)
{
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n = read(d->inotify_fd, buf, sizeof(buf));
	ssize_t off = 0;

	while (n > 0 && off < n) {
		struct inotify_event *ev = (struct inotify_event *)(buf + off);

		/* a regular file is claimed once it is closed after writing;
		 * links, FIFOs and devices never are, so they are turned away
		 * when they appear */
		if (ev->wd != d->queued_wd && ev->len &&
		    (!(ev->mask & IN_CREATE) || !zo_spool_is_plain_file(&d->spool, ev->name)))
			zo_spool_claim(&d->spool, ev->name);
		off += (ssize_t)sizeof(*ev) + ev->len;
	}
	if (n > 0 && ((struct inotify_event *)buf)->mask & IN_Q_OVERFLOW)
		zo_spool_scan(&d->spool);
}

/* SIGTERM or SIGINT: cancel the running job cleanly, then stop. */
static void begin_stop(struct daemon *d)
{
	d->stopping = true;
	notify("STOPPING=1");
	zo_info(&d->spool.log, "stopping%s", d->child ? ": cancelling the running job" : "");
	if (!d->child)
		return;
	zo_spool_mark_cancel(&d->spool, d->child_id, "daemon stopping\n");
	kill(-d->child, SIGTERM);
	d->kill_at_ms = zo_now_ms() + STOP_GRACE_MS;
}

static void on_signals(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			int status;
			pid_t p;

			while ((p = waitpid(-1, &status, WNOHANG)) > 0)
				if (p == d->child)
					reap(d, status);
		} else if (!d->stopping) {
			begin_stop(d);
		}
	}
}

/* Block the signals into a signalfd and watch the spool and queued (where
 * `queue retry` queues a run directly). */
static int watch(struct daemon *d)
{
	_cleanup_free_ char *queued = zo_asprintf("%s/queued", d->spool.state);
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	d->pid = getpid();
	sigprocmask(SIG_BLOCK, &mask, &d->child_mask);
	d->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->inotify_fd = inotify_init1(IN_CLOEXEC);
	d->queued_wd = -1;
	if (d->signal_fd < 0 || d->inotify_fd < 0 ||
	    (d->queued_wd = inotify_add_watch(d->inotify_fd, queued, IN_MOVED_TO)) < 0 ||
	    inotify_add_watch(d->inotify_fd, d->spool.dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) <
		    0)
		return zo_fail(d->ctx, -errno, "cannot watch %s: %s", d->spool.dir,
			       strerror(errno));
	return 0;
}

static void loop(struct daemon *d)
{
	struct pollfd fds[2];

	fds[0] = (struct pollfd){ .fd = d->inotify_fd, .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = d->signal_fd, .events = POLLIN };
	for (;;) {
		if (poll(fds, 2, wait_ms(d)) < 0 && errno != EINTR)
			break;
		if (fds[0].revents & POLLIN)
			on_spool_events(d);
		if (fds[1].revents & POLLIN)
			on_signals(d);
		check_timers(d);
		if (d->stopping && !d->child)
			break;
		start_next(d);
		zo_spool_flush(&d->spool);
	}
}

static void daemon_release(struct daemon *d)
{
	if (d->inotify_fd >= 0)
		close(d->inotify_fd);
	if (d->signal_fd >= 0)
		close(d->signal_fd);
	free(d->results_base);
	zo_spool_release(&d->spool);
}

int zo_serve(struct zo_ctx *ctx, const struct zo_serve_params *params)
{
	struct daemon d = { .ctx = ctx, .params = params, .inotify_fd = -1, .signal_fd = -1 };
	int r;

	d.config_stat = config_identity(ctx->config_path, &d.config_st);
	r = zo_spool_open(ctx, &d.spool, true);
	if (r < 0)
		return r;
	d.spool.log = params->journal;
	d.results_base = zo_path(ctx->root, zo_config_get(ctx->config, "paths", "results"));
	r = watch(&d);
	if (r < 0) {
		daemon_release(&d);
		return r;
	}
	zo_spool_recover(&d.spool);
	zo_spool_scan(&d.spool);
	zo_info(&d.spool.log, "serving %s", d.spool.dir);
	notify("READY=1\nSTATUS=waiting for jobs");
	start_next(&d);
	loop(&d);
	zo_spool_flush(&d.spool);
	zo_info(&d.spool.log, "stopped");
	daemon_release(&d);
	return 0;
}
