#include "log.h"

#include "banned.h"

void zo_logv(const struct zo_log *log, int priority, const char *fmt,
	     va_list ap)
{
	if (!log || !log->fn || priority > log->max_priority)
		return;
	log->fn(log->userdata, priority, fmt, ap);
}

void zo_log(const struct zo_log *log, int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	zo_logv(log, priority, fmt, ap);
	va_end(ap);
}
