/* systemd units, through systemctl: the only file that runs it. */
#ifndef ZO_SYS_SERVICE_H
#define ZO_SYS_SERVICE_H

#include <stdbool.h>

/* Whether systemd runs this host (under `root`): sd_booted()'s test,
 * /run/systemd/system is a directory. */
bool zo_service_systemd(const char *root);

/* The unit's state as `systemctl is-active UNIT` prints it ("active",
 * "inactive", "failed", ...): 0 with *ret_state, or -errno with what
 * systemctl said (or why it could not run) in *ret_why. Free both. */
int zo_service_state(const char *unit, char **ret_state, char **ret_why);

/* `systemctl stop|start UNIT`: 0, or -EIO with what it said in *ret_why
 * (-errno when it could not run). */
int zo_service_stop(const char *unit, char **ret_why);
int zo_service_start(const char *unit, char **ret_why);

#endif
