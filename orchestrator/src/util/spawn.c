#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macros.h"
#include "str.h"
#include "time.h"

#include "banned.h"

/* zo_spawn_lines: the longest line handed on in one piece */
#define ZO_SPAWN_LINE_MAX 4096

pid_t zo_fork_piped(int fds[2])
{
	pid_t pid;
	int r;

	if (pipe(fds) < 0)
		return -errno;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(fds[0]);
		close(fds[1]);
		return r;
	}
	return pid;
}

int zo_wait_status(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int zo_spawn_capture(char *const argv[], char **ret_output)
{
	struct zo_strbuf out = { 0 };
	char buf[4096];
	int fds[2], status;
	ssize_t n;
	pid_t pid = zo_fork_piped(fds);

	if (pid < 0)
		return (int)pid;
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			zo_strbuf_appendf(&out, "%.*s", (int)n, buf);
	close(fds[0]);
	status = zo_wait_status(pid);
	if (ret_output)
		*ret_output = out.buf ? zo_strbuf_steal(&out) : strdup("");
	else
		zo_strbuf_release(&out);
	return status;
}

bool zo_have_program(const char *name)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = strdup(path && *path ? path : "/usr/bin:/bin");
	char *dir, *save = NULL;

	for (dir = copy ? strtok_r(copy, ":", &save) : NULL; dir; dir = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *p = zo_asprintf("%s/%s", *dir ? dir : ".", name);

		if (p && access(p, X_OK) == 0)
			return true;
	}
	return false;
}

void zo_spawn_result_release(struct zo_spawn_result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

static void spawn_child(char *const argv[], int out, int err)
{
	int null = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	if (null >= 0)
		dup2(null, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	dup2(err, STDERR_FILENO);
	execvp(argv[0], argv);
	_exit(127);
}

/* Read both pipes until both are closed or the deadline (0: none)
 * passes. */
static int drain(int fds[2], struct zo_strbuf sb[2], uint64_t deadline, bool *ret_timed_out)
{
	char buf[4096];
	ssize_t n;
	int open_fds = 2, i;

	while (open_fds > 0) {
		struct pollfd p[2];
		int wait_ms = -1, k = 0, map[2];
		uint64_t now = zo_now_ms();

		if (deadline) {
			if (now >= deadline) {
				*ret_timed_out = true;
				return 0;
			}
			wait_ms = (int)(deadline - now);
		}
		for (i = 0; i < 2; i++)
			if (fds[i] >= 0) {
				p[k].fd = fds[i];
				p[k].events = POLLIN;
				map[k++] = i;
			}
		if (poll(p, (nfds_t)k, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < k; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(fds[map[i]]);
				fds[map[i]] = -1;
				open_fds--;
				continue;
			}
			if (zo_strbuf_appendf(&sb[map[i]], "%.*s", (int)n, buf) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

int zo_spawn_run(char *const argv[], uint64_t timeout_ms, struct zo_spawn_result *ret)
{
	struct zo_strbuf sb[2] = { { 0 }, { 0 } };
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, fds[2], status = 0, r, i;
	bool timed_out = false;
	pid_t pid;

	memset(ret, 0, sizeof(*ret));
	if (pipe(out) < 0 || pipe(err) < 0) {
		r = -errno;
		goto fail;
	}
	fcntl(out[0], F_SETFD, FD_CLOEXEC);
	fcntl(err[0], F_SETFD, FD_CLOEXEC);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto fail;
	}
	if (pid == 0)
		spawn_child(argv, out[1], err[1]);
	/* both sides: the child may not have run setpgid yet when we kill */
	setpgid(pid, pid);
	close(out[1]);
	close(err[1]);
	fds[0] = out[0];
	fds[1] = err[0];
	r = drain(fds, sb, timeout_ms ? zo_now_ms() + timeout_ms : 0, &timed_out);
	if (timed_out || r < 0)
		kill(-pid, SIGKILL);
	for (i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0) {
		zo_strbuf_release(&sb[0]);
		zo_strbuf_release(&sb[1]);
		return r;
	}
	ret->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	ret->timed_out = timed_out;
	ret->out = sb[0].buf ? zo_strbuf_steal(&sb[0]) : strdup("");
	ret->err = sb[1].buf ? zo_strbuf_steal(&sb[1]) : strdup("");
	if (!ret->out || !ret->err) {
		zo_spawn_result_release(ret);
		return -ENOMEM;
	}
	return 0;
fail:
	for (i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	return r;
}

/* Hand the complete lines in buf[0..*len) to `line`; keep the rest. */
static void split_lines(char *buf, size_t *len, bool flush, zo_spawn_line_fn line,
			void *userdata)
{
	size_t start = 0, i;

	for (i = 0; i < *len; i++) {
		if (buf[i] != '\n')
			continue;
		buf[i] = '\0';
		line(userdata, buf + start);
		start = i + 1;
	}
	/* a line longer than the buffer goes out in pieces */
	if (start == 0 && (flush || *len == ZO_SPAWN_LINE_MAX) && *len > 0) {
		buf[*len] = '\0';
		line(userdata, buf);
		start = *len;
	}
	memmove(buf, buf + start, *len - start);
	*len -= start;
}

int zo_spawn_lines(char *const argv[], zo_spawn_line_fn line, void *userdata)
{
	char buf[ZO_SPAWN_LINE_MAX + 1];
	size_t len = 0;
	int fds[2];
	ssize_t n;
	pid_t pid = zo_fork_piped(fds);

	if (pid < 0)
		return (int)pid;
	if (pid == 0) {
		/* in our process group: a ^C on the terminal stops it too */
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + len, ZO_SPAWN_LINE_MAX - len)) > 0 ||
	       (n < 0 && errno == EINTR)) {
		if (n <= 0)
			continue;
		len += (size_t)n;
		split_lines(buf, &len, false, line, userdata);
	}
	split_lines(buf, &len, true, line, userdata);
	close(fds[0]);
	return zo_wait_status(pid);
}
