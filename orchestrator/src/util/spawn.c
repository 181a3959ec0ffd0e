#include "spawn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macros.h"
#include "str.h"

#include "banned.h"

int zo_spawn_capture(char *const argv[], char **ret_output)
{
	struct zo_strbuf out = { 0 };
	char buf[4096];
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(fds[0]);
		close(fds[1]);
		return r;
	}
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
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (ret_output)
		*ret_output = out.buf ? zo_strbuf_steal(&out) : strdup("");
	else
		zo_strbuf_release(&out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
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
