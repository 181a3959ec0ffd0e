/* Workload programs on the host (ops/hostwork.h). */
#include "ops/hostwork.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/file.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

#define PROBE "zsim-touch"
#define ERR_KEEP 2048

char *zo_workloads_dir(const char *opt)
{
	char self[PATH_MAX];
	ssize_t n;

	if (opt)
		return strdup(opt);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		const char *dir;
		_cleanup_free_ char *program = NULL;

		self[n] = '\0';
		dir = dirname(self);
		program = zo_asprintf("%s/" PROBE, dir);
		if (program && access(program, X_OK) == 0)
			return strdup(dir);
	}
	return strdup(ZO_LIBEXECDIR);
}

long zo_host_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n;
}

int zo_host_workload_check(struct zo_ctx *ctx, const char *path)
{
	if (access(path, X_OK) == 0)
		return 0;
	return zo_refuse(ctx, -EPERM, "%s is not on this host; install zsim-orch (its workload "
				      "programs go to libexec/zsim) or build it (cmake --build)",
			 path);
}

int zo_host_daemon_stop(struct zo_ctx *ctx, const char *pidfile)
{
	_cleanup_free_ char *text = NULL;
	long pid;
	int i;

	if (zo_read_file(pidfile, 64, &text, NULL) < 0)
		return 0;
	pid = strtol(text, NULL, 10);
	unlink(pidfile);
	if (pid <= 1)
		return zo_fail(ctx, -EINVAL, "%s holds no pid: '%s'", pidfile, zo_strstrip(text));
	if (kill((pid_t)pid, SIGTERM) < 0)
		return errno == ESRCH ? 0 : zo_fail(ctx, -errno, "cannot stop pid %ld: %s", pid,
						    strerror(errno));
	for (i = 0; i < 50 && kill((pid_t)pid, 0) == 0; i++)
		zo_sleep_ms(100, NULL);
	if (kill((pid_t)pid, 0) == 0)
		kill((pid_t)pid, SIGKILL);
	return 0;
}

static void child(char *const argv[], int cpu, const char *out_path, int err_fd)
{
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int out = open(out_path ? out_path : "/dev/null",
		       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(126);
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			_exit(125);
	}
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	_exit(127);
}

int zo_host_workload(struct zo_ctx *ctx, char *const argv[], int cpu, const char *out_path,
		     volatile sig_atomic_t *stop)
{
	char err[ERR_KEEP + 1], buf[4096];
	size_t err_len = 0;
	bool killed = false;
	int p[2], status = 0;
	pid_t pid;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0)
		return zo_fail(ctx, -errno, "cannot run %s: pipe: %s", argv[0], strerror(errno));
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return zo_fail(ctx, -e, "cannot run %s: fork: %s", argv[0], strerror(e));
	}
	if (pid == 0)
		child(argv, cpu, out_path, p[1]);
	close(p[1]);
	for (;;) {
		n = read(p[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR) {
			if (stop && *stop && !killed) {
				kill(pid, SIGTERM);
				killed = true;
			}
			continue;
		}
		if (n <= 0)
			break;
		if (err_len < ERR_KEEP) {
			size_t k = (size_t)n < ERR_KEEP - err_len ? (size_t)n : ERR_KEEP - err_len;

			memcpy(err + err_len, buf, k);
			err_len += k;
		}
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		if (stop && *stop && !killed) {
			kill(pid, SIGTERM);
			killed = true;
		}
	err[err_len] = '\0';
	if (killed || (stop && *stop))
		return zo_fail(ctx, -EINTR, "%s stopped by signal %d", argv[0], stop ? (int)*stop : 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return zo_fail(ctx, -ENOENT, "cannot run %s: not an executable; the workload "
					     "programs are installed with zsim-orch (libexec/zsim)",
			       argv[0]);
	return zo_fail(ctx, -EIO, "%s %s %d: %s", argv[0],
		       WIFEXITED(status) ? "exited" : "was killed by signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		       *err ? zo_strstrip(err) : "(nothing on stderr)");
}

int zo_host_wait_listening(struct zo_ctx *ctx, unsigned port, unsigned timeout_ms)
{
	struct sockaddr_in sa;
	uint64_t deadline = zo_now_ms() + timeout_ms;
	int fd, r;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (;;) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return zo_fail(ctx, -errno, "cannot make a socket: %s", strerror(errno));
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
		close(fd);
		if (r == 0)
			return 0;
		if (zo_now_ms() >= deadline)
			return zo_fail(ctx, -ETIMEDOUT,
				       "nothing listens on 127.0.0.1:%u after %u ms (%s); is another "
				       "server on that port, or did it fail to start?",
				       port, timeout_ms, strerror(-r));
		zo_sleep_ms(50, NULL);
	}
}
