/* Logging callback: util, core and sys never print; they report through the
 * callback the caller passes in (as libkmod's kmod_set_log_fn does). */
#ifndef ZO_UTIL_LOG_H
#define ZO_UTIL_LOG_H

#include <stdarg.h>
#include <syslog.h>

#include "macros.h"

typedef void (*zo_log_fn)(void *userdata, int priority, const char *fmt,
			  va_list ap);

struct zo_log {
	zo_log_fn fn;
	void *userdata;
	int max_priority; /* messages above this (less urgent) are dropped */
};

void zo_logv(const struct zo_log *log, int priority, const char *fmt,
	     va_list ap);
void zo_log(const struct zo_log *log, int priority, const char *fmt, ...)
	ZO_PRINTF(3, 4);

#define zo_err(log, ...) zo_log(log, LOG_ERR, __VA_ARGS__)
#define zo_warn(log, ...) zo_log(log, LOG_WARNING, __VA_ARGS__)
#define zo_info(log, ...) zo_log(log, LOG_INFO, __VA_ARGS__)
#define zo_debug(log, ...) zo_log(log, LOG_DEBUG, __VA_ARGS__)

#endif
