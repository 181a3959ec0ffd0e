/* Swap headers and swapon(2)/swapoff(2). */
#ifndef ZO_SYS_SWAP_H
#define ZO_SYS_SWAP_H

#include <stdbool.h>
#include <stdint.h>

#include "util/log.h"

#define ZO_SWAP_LABEL_MAX 16

/* Write a version-1 swap header (the format mkswap writes) with a random
 * UUID over the whole of `devnode` (`size` bytes), then fsync. The
 * 36-character UUID is returned in `ret_uuid` (37 bytes). */
int zo_swap_write_header(const char *devnode, uint64_t size, const char *label,
			 char ret_uuid[37]);

/* priority < 0: kernel default. */
int zo_swap_on(const char *devnode, int priority, bool discard);
int zo_swap_off(const char *devnode);

/* 1 if `devnode` (compared by device number) is in /proc/swaps, else 0. */
int zo_swap_is_active(const char *root, const char *devnode);

#endif
