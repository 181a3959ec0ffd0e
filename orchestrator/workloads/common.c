#include "common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int wl_parse_count(const char *s, unsigned long long max, unsigned long long *ret)
{
	unsigned long long v;
	char *end;

	if (!*s || s[0] == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*ret = v;
	return 0;
}

int wl_usage_error(const char *prog, const char *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage);
	return 2;
}

int wl_single_count(int argc, char **argv, const char *prog, const char *usage,
		    unsigned long long max, unsigned long long *ret)
{
	if (argc == 2 && !strcmp(argv[1], "--help")) {
		fputs(usage, stdout);
		exit(0);
	}
	if (argc != 2 || argv[1][0] == '-')
		return wl_usage_error(prog, usage, "give exactly one argument, a whole number");
	if (wl_parse_count(argv[1], max, ret) < 0)
		return wl_usage_error(prog, usage, "%s is not a whole number (up to %llu)",
				      argv[1], max);
	return 0;
}
