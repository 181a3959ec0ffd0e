/* Reads (and later writes) under /proc and /sys, always through the root
 * prefix. */
#ifndef ZO_SYS_SYSFS_H
#define ZO_SYS_SYSFS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

/* Linux has no errno for "not a regular file": what the readers below
 * return for a FIFO, a device or a socket in place of a /proc or /sys
 * file (those are always regular files). zo_host_strerror() words it. */
#define ZO_ENOTREG EMEDIUMTYPE

/* The whole file, at most `max` bytes (-EFBIG beyond). Only a regular
 * file is read: the path is opened without blocking and anything else is
 * refused (-EISDIR, -ZO_ENOTREG) rather than waited on. */
int zo_sysfs_read_max(const char *root, const char *abs, size_t max, char **ret);
/* The whole file (at most 4 MiB: /proc/cpuinfo on a large host). */
int zo_sysfs_read(const char *root, const char *abs, char **ret);
/* The first line, without its newline (the file at most 64 KiB). */
int zo_sysfs_read_line(const char *root, const char *abs, char **ret);
/* 1 if the path exists, 0 if not, -errno on other errors. */
int zo_sysfs_exists(const char *root, const char *abs);
/* Sorted names of the entries in directory `abs` that start with `prefix`;
 * returns the count. -ENOENT when the directory is missing. */
int zo_sysfs_list(const char *root, const char *abs, const char *prefix,
		  char ***ret);

/* Write `value` to a /proc or /sys file. -errno as the kernel gave it. */
int zo_sysfs_write(const char *root, const char *abs, const char *value);

/* Whether /dev/kvm can create a VM here. A device that opens is not
 * enough (some hosts expose one that cannot run a stock guest), so this
 * is only the first half of "accel = auto"; `target start` still turns a
 * silent guest into an error naming the setting. */
bool zo_kvm_usable(const char *root);

/* The TSC frequency in kHz: the kernel's own figure where it exports one
 * (tsc_freq_khz), else measured against CLOCK_MONOTONIC_RAW over 100 ms. */
int zo_tsc_khz(const char *root, unsigned long long *ret, const char **ret_source);

/* The TSC and CLOCK_MONOTONIC_RAW read together. */
struct zo_tsc_sample {
	unsigned long long tsc, ns;
};
void zo_tsc_sample(struct zo_tsc_sample *ret);
/* As zo_tsc_khz, but measured from `start` until now when that is at
 * least `min_ms` (a run's whole length: nothing to wait for, and more
 * exact than 100 ms); source "measured over the run". */
int zo_tsc_khz_since(const char *root, const struct zo_tsc_sample *start,
		     unsigned long long min_ms, unsigned long long *ret, const char **ret_source);

#endif
