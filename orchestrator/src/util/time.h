#ifndef ZO_UTIL_TIME_H
#define ZO_UTIL_TIME_H

#include <signal.h>
#include <stdint.h>

/* Milliseconds on the monotonic clock. */
uint64_t zo_now_ms(void);
/* Nanoseconds on the same clock. */
uint64_t zo_now_ns(void);

/* Sleep `ms`, waking early once *stop is set (by a signal handler, which
 * interrupts the sleep). Returns 0 after the full time, -EINTR if stopped. */
int zo_sleep_ms(uint64_t ms, volatile sig_atomic_t *stop);

/* The poll(2) timeout that wakes at `deadline` (a zo_now_ms() time; 0
 * for none) when it is `now`: -1 for none, 0 when it has passed, else the
 * milliseconds left but at most an hour, so that no conversion to int
 * overflows (the caller looks at its deadlines again on waking). */
int zo_poll_timeout_ms(uint64_t now, uint64_t deadline);

#endif
