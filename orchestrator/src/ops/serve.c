#include "ops/serve.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
#include "ops/resultdir.h"
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
	char *child_name;
	/* the run's phases arrive here (a socketpair: the run child sends
	 * each phase as one datagram), or -1 */
	int phase_fd;
	uint64_t child_start_ms, deadline_ms, kill_at_ms;
	bool timed_out, stopping;
	bool idle_said; /* STATUS= says no job runs */
	sigset_t child_mask;
	pid_t pid;
	int inotify_fd, signal_fd, queued_wd, spool_wd;
	bool lost; /* the spool was removed or moved away */
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

/* STATUS= with a formatted text. */
static void notify_status(const char *fmt, ...) ZO_PRINTF(1, 2);
static void notify_status(const char *fmt, ...)
{
	_cleanup_free_ char *text = NULL, *msg = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	msg = zo_asprintf("STATUS=%s", text);
	if (msg)
		notify(msg);
}

/* ctx->phase_fn of a run: the phase to the daemon, never blocking and
 * never raising SIGPIPE (a daemon gone is no reason to stop the run). */
static void send_phase(void *userdata, const char *phase)
{
	int fd = (int)(intptr_t)userdata;

	send(fd, phase, strlen(phase), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* The run, in the forked child, called in-process: the daemon has every
 * library loaded already, and linking them again for each run (exec)
 * costs ~40 ms, more than a short job itself. It begins only when the
 * daemon has recorded it (a byte on `gate`). Its phases go to
 * `phase_fd`. */
static _Noreturn void run_child(const struct daemon *d, const struct zo_spool_job *j, int gate,
				int results_fd, int phase_fd)
{
	struct zo_ctx ctx = *d->ctx;
	struct zo_serve_job job = { .results_dir = j->results, .results_fd = results_fd,
				    .argc = j->argc, .argv = j->argv };
	char go;
	int fd, r;

	close(d->inotify_fd);
	close(d->signal_fd);
	/* the spool's lock is the daemon's alone */
	close(d->spool.lock_fd);
	if (d->spool.ids_fd >= 0)
		close(d->spool.ids_fd);
	setpgid(0, 0);
	/* the mask was blocked for the signalfd: a run that cannot see
	 * SIGTERM cannot stop its target cleanly */
	sigprocmask(SIG_SETMASK, &d->child_mask, NULL);
	/* if the daemon dies (kill -9), its run stops cleanly too, rather
	 * than finishing unseen and then being run again */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != d->pid)
		_exit(143);
	while ((r = (int)read(gate, &go, 1)) < 0 && errno == EINTR)
		;
	if (r != 1)
		_exit(127); /* not recorded: never begun */
	close(gate);
	fd = j->log ? open(j->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
	if (fd < 0 || !j->results)
		_exit(127);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	ctx.json = false;
	ctx.dry_run = false;
	/* its log is a file: plain progress lines, never a live one */
	ctx.progress = NULL;
	ctx.phase_fn = send_phase;
	ctx.phase_userdata = (void *)(intptr_t)phase_fd;
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

static void close_phase(struct daemon *d)
{
	if (d->phase_fd >= 0)
		close(d->phase_fd);
	d->phase_fd = -1;
}

/* A child that was never let begin: gone once its gate closes. */
static void abandon_child(pid_t pid, int gate)
{
	close(gate);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Fork the run `j` (its results directory open as results_fd) and let it
 * begin once its pid file is written. 1 started, 0 filed as not started,
 * -errno (fork, pipe) to put it back in the queue. */
static int launch(struct daemon *d, struct zo_spool_job *j, int results_fd)
{
	int gate[2], phase[2], r;
	pid_t pid;

	if (pipe2(gate, O_CLOEXEC) < 0)
		return -errno;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, phase) < 0) {
		r = -errno;
		close(gate[0]);
		close(gate[1]);
		return r;
	}
	fflush(NULL); /* nothing buffered may be written twice */
	pid = fork();
	if (pid == 0) {
		close(gate[1]);
		close(phase[0]);
		run_child(d, j, gate[0], results_fd, phase[1]);
	}
	close(gate[0]);
	close(phase[1]);
	if (pid < 0) {
		r = -errno;
		close(gate[1]);
		close(phase[0]);
		return r;
	}
	d->phase_fd = phase[0];
	setpgid(pid, pid); /* before any kill(-pid) can race the child's own */
	/* recorded before it may begin, so cancel and recover can prove it */
	r = zo_spool_write_pid(&d->spool, j->id, (long)pid);
	if (r < 0 || zo_spool_cancel_marked(&d->spool, j->id)) {
		_cleanup_free_ char *why = zo_asprintf("cannot record its process: %s", strerror(-r));

		abandon_child(pid, gate[1]);
		close_phase(d);
		zo_spool_fail_start(&d->spool, j->id, why ? why : "cannot record its process");
		return 0;
	}
	if (write(gate[1], "x", 1) != 1) {
		abandon_child(pid, gate[1]);
		close_phase(d);
		zo_spool_fail_start(&d->spool, j->id, "cannot let it begin (its pipe failed)");
		return 0;
	}
	close(gate[1]);
	d->child = pid;
	return 1;
}

static void start_next(struct daemon *d)
{
	while (!d->child && !d->stopping) {
		struct zo_spool_job j = { 0 };
		_cleanup_close_ int results_fd = -1;
		int r;

		if (zo_spool_start_next(&d->spool, d->results_base, &j) <= 0)
			return;
		/* a new directory below [paths] results, or the run does not
		 * start: nothing it says can put results elsewhere */
		zo_clear_error(d->ctx);
		r = zo_results_open_dir(d->ctx, d->results_base, j.results_name, ZO_RESULTS_NEW,
					&results_fd);
		if (r < 0) {
			zo_spool_fail_start(&d->spool, j.id, d->ctx->error);
			zo_clear_error(d->ctx);
			zo_spool_job_release(&j);
			continue;
		}
		r = launch(d, &j, results_fd);
		if (r < 0) {
			zo_err(&d->spool.log, "%s: cannot start it: %s; queued again", j.id,
			       strerror(-r));
			rmdir(j.results);
			zo_spool_move(&d->spool, j.id, "running", "queued");
			zo_spool_job_release(&j);
			return;
		}
		if (r == 0) {
			rmdir(j.results);
			zo_spool_job_release(&j);
			continue;
		}
		d->child_id = TAKE_PTR(j.id);
		d->child_name = TAKE_PTR(j.name);
		d->child_start_ms = zo_now_ms();
		d->timed_out = false;
		d->kill_at_ms = 0;
		d->deadline_ms = j.timeout_s ? d->child_start_ms + j.timeout_s * 1000 : 0;
		zo_info(&d->spool.log, "%s: started %s (%s), attempt %d, pid %ld", d->child_id,
			d->child_name, j.argv[0], j.attempt, (long)d->child);
		notify_status("running %s (%s)", d->child_id, d->child_name);
		d->idle_said = false;
		zo_spool_job_release(&j);
	}
}

/* The phases the run sent: the last one is recorded for queue ls and
 * shown in STATUS=. */
static void on_phase(struct daemon *d)
{
	char buf[512], last[512] = "";
	ssize_t n;

	while (d->phase_fd >= 0 &&
	       (n = recv(d->phase_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		memcpy(last, buf, (size_t)n + 1);
	}
	if (!last[0] || !d->child_id)
		return;
	if (zo_spool_set_phase(&d->spool, d->child_id, last) < 0)
		zo_debug(&d->spool.log, "%s: cannot record its phase", d->child_id);
	notify_status("running %s (%s): %s", d->child_id, d->child_name, last);
}

static void reap(struct daemon *d, int status)
{
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

	on_phase(d); /* what it said last, before it is filed */
	close_phase(d);
	zo_spool_finish(&d->spool, d->child_id, code, d->timed_out,
			zo_now_ms() - d->child_start_ms);
	free(d->child_id);
	free(d->child_name);
	d->child_id = d->child_name = NULL;
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
	uint64_t next = 0;

	if (d->child && d->deadline_ms && !d->timed_out)
		next = d->deadline_ms;
	if (d->kill_at_ms && (!next || d->kill_at_ms < next))
		next = d->kill_at_ms;
	return zo_poll_timeout_ms(zo_now_ms(), next);
}

/* SIGTERM or SIGINT: cancel the running job cleanly, then stop. */
static void begin_stop(struct daemon *d)
{
	d->stopping = true;
	notify(d->child ? "STOPPING=1\nSTATUS=stopping: cancelling the running job"
			: "STOPPING=1\nSTATUS=stopping");
	zo_info(&d->spool.log, "stopping%s", d->child ? ": cancelling the running job" : "");
	if (!d->child)
		return;
	zo_spool_mark_cancel(&d->spool, d->child_id, "daemon stopping\n");
	kill(-d->child, SIGTERM);
	d->kill_at_ms = zo_now_ms() + STOP_GRACE_MS;
}

static void on_spool_events(struct daemon *d)
{
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n = read(d->inotify_fd, buf, sizeof(buf));
	ssize_t off = 0;
	bool rescan = false;

	while (n > 0 && off < n) {
		struct inotify_event *ev = (struct inotify_event *)(buf + off);

		off += (ssize_t)sizeof(*ev) + ev->len;
		if (ev->mask & IN_Q_OVERFLOW)
			rescan = true;
		/* the spool (or its queue) removed or moved: nothing more
		 * arrives on this watch */
		if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
			if (!d->lost)
				zo_err(&d->spool.log, "%s was removed or moved away; stopping, for the "
						      "service manager to start serve again",
				       ev->wd == d->queued_wd ? "the queue directory" : d->spool.dir);
			d->lost = true;
			if (!d->stopping)
				begin_stop(d);
			continue;
		}
		/* a regular file is claimed once it is closed after writing;
		 * links, FIFOs and devices never are, so they are turned away
		 * when they appear */
		if (ev->wd == d->spool_wd && ev->len && !d->lost &&
		    (!(ev->mask & IN_CREATE) || !zo_spool_is_plain_file(&d->spool, ev->name)))
			zo_spool_claim(&d->spool, ev->name);
	}
	if (rescan && !d->lost)
		zo_spool_scan(&d->spool);
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
		} else if (si.ssi_signo == SIGHUP) {
			zo_log(&d->spool.log, LOG_NOTICE,
			       "SIGHUP: nothing to reload (each run reads %s again when it has "
			       "changed); going on",
			       d->ctx->config_path);
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
	sigaddset(&mask, SIGHUP);
	d->pid = getpid();
	sigprocmask(SIG_BLOCK, &mask, &d->child_mask);
	d->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->inotify_fd = inotify_init1(IN_CLOEXEC);
	d->queued_wd = d->spool_wd = -1;
	if (d->signal_fd < 0 || d->inotify_fd < 0 ||
	    (d->queued_wd = inotify_add_watch(d->inotify_fd, queued,
					      IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)) < 0 ||
	    (d->spool_wd = inotify_add_watch(d->inotify_fd, d->spool.dir,
					     IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE |
						     IN_DELETE_SELF | IN_MOVE_SELF)) < 0)
		return zo_fail(d->ctx, -errno, "cannot watch %s: %s", d->spool.dir,
			       strerror(errno));
	return 0;
}

static void loop(struct daemon *d)
{
	struct pollfd fds[3];

	fds[0] = (struct pollfd){ .fd = d->inotify_fd, .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = d->signal_fd, .events = POLLIN };
	for (;;) {
		/* -1 (no run): poll skips it */
		fds[2] = (struct pollfd){ .fd = d->phase_fd, .events = POLLIN };
		if (poll(fds, 3, wait_ms(d)) < 0 && errno != EINTR)
			break;
		if (fds[2].revents & POLLIN)
			on_phase(d);
		if (fds[0].revents & POLLIN)
			on_spool_events(d);
		if (fds[1].revents & POLLIN)
			on_signals(d);
		check_timers(d);
		if (d->stopping && !d->child)
			break;
		start_next(d);
		if (!d->child && !d->idle_said && !d->stopping) {
			notify_status("waiting for jobs");
			d->idle_said = true;
		}
		zo_spool_flush(&d->spool);
	}
}

static void daemon_release(struct daemon *d)
{
	if (d->inotify_fd >= 0)
		close(d->inotify_fd);
	if (d->signal_fd >= 0)
		close(d->signal_fd);
	close_phase(d);
	free(d->results_base);
	zo_spool_release(&d->spool);
}

int zo_serve(struct zo_ctx *ctx, const struct zo_serve_params *params)
{
	struct daemon d = { .ctx = ctx, .params = params, .inotify_fd = -1, .signal_fd = -1,
			    .phase_fd = -1 };
	int r;

	d.config_stat = config_identity(ctx->config_path, &d.config_st);
	r = zo_spool_open(ctx, &d.spool, true);
	if (r < 0)
		return r;
	r = zo_spool_lock(ctx, &d.spool);
	if (r < 0) {
		zo_spool_release(&d.spool);
		return r;
	}
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
	d.idle_said = true;
	start_next(&d);
	loop(&d);
	zo_spool_flush(&d.spool);
	zo_info(&d.spool.log, "stopped");
	r = 0;
	if (d.lost)
		r = zo_fail(ctx, -ENOENT, "the spool %s was removed or moved away while it was "
					  "served; start zsim-orch serve again (systemd does, "
					  "Restart=on-failure) to serve it anew",
			    d.spool.dir);
	daemon_release(&d);
	return r;
}
