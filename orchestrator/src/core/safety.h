/* The rule that protects data: what may be overwritten with a swap header,
 * a dm table or a filesystem. Facts come from sys/blockdev; the verdict and
 * its message are decided here, so the rule is unit-tested without disks. */
#ifndef ZO_CORE_SAFETY_H
#define ZO_CORE_SAFETY_H

#include <stdbool.h>

struct zo_device_facts {
	char *devnode;     /* what the user's spec resolved to */
	char *fs_type;     /* a superblock signature ("ext4", "swap", ...) */
	char *fs_label;
	char *fs_uuid;
	char *pt_type;     /* a partition table ("gpt", "dos") */
	char *mountpoint;  /* where it, or a partition of it, is mounted */
	bool in_use;       /* an O_EXCL open failed with EBUSY (mounted, swap,
			    * held by dm or md) */
	bool backs_root;   /* "/" lives on it, on a partition of it, or on a
			    * device stacked on it */
	bool active_swap;  /* listed in /proc/swaps */
};

void zo_device_facts_release(struct zo_device_facts *f);

enum zo_safety {
	ZO_SAFE,
	ZO_SAFE_FORCED,    /* a signature is overwritten because of --force */
	ZO_REFUSED,        /* a signature, and no --force */
	ZO_REFUSED_ALWAYS, /* mounted, in use or backing /: --force does not help */
};

/* `purpose` completes "refusing to use DEV for PURPOSE". *ret_message is set
 * for every verdict but ZO_SAFE and says what was found and what to do. */
int zo_safety_check(const struct zo_device_facts *f, const char *purpose,
		    bool force, enum zo_safety *ret, char **ret_message);

#endif
