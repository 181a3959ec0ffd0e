/* Running a host program: no shell, its output captured. */
#ifndef ZO_UTIL_SPAWN_H
#define ZO_UTIL_SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Run argv[0] (looked up in PATH) with argv and wait for it, its stdout
 * and stderr captured together into *ret_output (when not NULL; "" for
 * none). Returns its exit status (128+N when signal N killed it, 127 when
 * it could not be executed), or -errno when it could not be started. */
int zo_spawn_capture(char *const argv[], char **ret_output);

/* pipe(fds), then fork(): 0 in the child, the child's pid in the parent,
 * or -errno with nothing left open. The read end fds[0] is close-on-exec. */
pid_t zo_fork_piped(int fds[2]);
/* Wait for the child `pid` (through EINTR): its exit status, 128+N when
 * signal N ended it. */
int zo_wait_status(pid_t pid);

/* Whether `name` is an executable file in a PATH directory. */
bool zo_have_program(const char *name);

/* A program run with its stdout and stderr captured apart, stdin from
 * /dev/null, in a process group of its own that is killed (SIGKILL) when
 * `timeout_ms` (0: none) has passed. */
struct zo_spawn_result {
	int status;     /* exit status; 128+N after signal N; 127: not executed */
	bool timed_out; /* killed when the time was up */
	char *out, *err; /* what it printed ("" for nothing) */
};

/* Run argv[0] (looked up in PATH) with argv. Returns 0 with *ret filled
 * (release it with zo_spawn_result_release), or -errno when it could not
 * be started. */
int zo_spawn_run(char *const argv[], uint64_t timeout_ms, struct zo_spawn_result *ret);
void zo_spawn_result_release(struct zo_spawn_result *r);

/* Run argv[0] (looked up in PATH) with argv, stdin from /dev/null, and hand
 * each line it prints (stdout and stderr together, without the newline)
 * to `line` as it comes: for long builds whose output is progress, never
 * held whole in memory. Returns its exit status as zo_spawn_capture does,
 * or -errno when it could not be started. */
typedef void (*zo_spawn_line_fn)(void *userdata, const char *line);
int zo_spawn_lines(char *const argv[], zo_spawn_line_fn line, void *userdata);

#endif
