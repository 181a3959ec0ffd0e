/* Running a host program: no shell, its output captured. */
#ifndef ZO_UTIL_SPAWN_H
#define ZO_UTIL_SPAWN_H

#include <stdbool.h>

/* Run argv[0] (looked up in PATH) with argv and wait for it, its stdout
 * and stderr captured together into *ret_output (when not NULL; "" for
 * none). Returns its exit status (128+N when signal N killed it, 127 when
 * it could not be executed), or -errno when it could not be started. */
int zo_spawn_capture(char *const argv[], char **ret_output);

/* Whether `name` is an executable file in a PATH directory. */
bool zo_have_program(const char *name);

#endif
