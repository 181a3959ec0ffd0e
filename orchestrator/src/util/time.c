#include "util/time.h"

#include <errno.h>
#include <time.h>

#include "util/banned.h"

uint64_t zo_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t zo_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

int zo_sleep_ms(uint64_t ms, volatile sig_atomic_t *stop)
{
	uint64_t end = zo_now_ms() + ms;

	while (!(stop && *stop)) {
		uint64_t now = zo_now_ms(), left;
		struct timespec ts;

		if (now >= end)
			return 0;
		left = end - now;
		/* wake at least once a second: a signal that arrives just
		 * before nanosleep starts would otherwise be missed */
		if (left > 1000)
			left = 1000;
		ts.tv_sec = (time_t)(left / 1000);
		ts.tv_nsec = (long)(left % 1000) * 1000000;
		nanosleep(&ts, NULL);
	}
	return -EINTR;
}

int zo_poll_timeout_ms(uint64_t now, uint64_t deadline)
{
	const uint64_t max = 3600 * 1000;

	if (!deadline)
		return -1;
	if (deadline <= now)
		return 0;
	return deadline - now > max ? (int)max : (int)(deadline - now);
}
