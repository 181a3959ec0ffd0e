/* What identifies a process beyond its pid, which the kernel hands out
 * again: the boot it belongs to (/proc/sys/kernel/random/boot_id) and its
 * start time in clock ticks since that boot (/proc/PID/stat field 22).
 * Together they name one process for the life of the host; a pid alone
 * after a crash or a reboot may name any service (issue 16). Read under
 * the root prefix. */
#ifndef ZO_SYS_PROCESS_H
#define ZO_SYS_PROCESS_H

#include <stdint.h>

#define ZO_BOOT_ID_LEN 36 /* "8-4-4-4-12" hex digits and dashes */

struct zo_proc_stat {
	char state;          /* field 3: R, S, D, Z... */
	long ppid;           /* field 4 */
	long pgrp;           /* field 5: its process group */
	uint64_t start;      /* field 22: clock ticks after boot */
};

/* Parse the text of /proc/PID/stat (the command name in parentheses may
 * hold spaces and parentheses itself). -EINVAL when it is not that. */
int zo_proc_stat_parse(const char *text, struct zo_proc_stat *ret);
/* /proc/PID/stat of `pid`: -ENOENT when there is no such process. */
int zo_proc_stat(const char *root, long pid, struct zo_proc_stat *ret);
/* This boot's ID, ZO_BOOT_ID_LEN characters and a NUL. */
int zo_boot_id(const char *root, char ret[ZO_BOOT_ID_LEN + 1]);

#endif
