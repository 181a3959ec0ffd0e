/* Cleanup helpers in the systemd style; gcc 4.8 supports the cleanup
 * attribute, so these keep every error path a plain `return`. */
#ifndef ZO_UTIL_MACROS_H
#define ZO_UTIL_MACROS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ZO_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ZO_UNUSED __attribute__((unused))
#define ZO_PRINTF(a, b) __attribute__((format(printf, a, b)))

static inline void zo_freep(void *p)
{
	free(*(void **)p);
}

static inline void zo_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void zo_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(zo_freep)
#define _cleanup_close_ _cleanup_(zo_closep)
#define _cleanup_fclose_ _cleanup_(zo_fclosep)

/* Hand ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p)                                                            \
	({                                                                     \
		__typeof__(p) _taken = (p);                                    \
		(p) = NULL;                                                    \
		_taken;                                                        \
	})
#define TAKE_FD(fd)                                                            \
	({                                                                     \
		int _taken = (fd);                                             \
		(fd) = -1;                                                     \
		_taken;                                                        \
	})

#endif
