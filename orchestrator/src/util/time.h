#ifndef ZO_UTIL_TIME_H
#define ZO_UTIL_TIME_H

#include <signal.h>
#include <stdint.h>

/* Milliseconds on the monotonic clock. */
uint64_t zo_now_ms(void);

/* Sleep `ms`, waking early once *stop is set (by a signal handler, which
 * interrupts the sleep). Returns 0 after the full time, -EINTR if stopped. */
int zo_sleep_ms(uint64_t ms, volatile sig_atomic_t *stop);

#endif
