/* Kernel configuration rules (core/kconfig.h). */
#include "core/kconfig.h"

#include <stdio.h>
#include <string.h>

#include "util/banned.h"

/* setup00001.rs:53-68: zswap and 0sim's allocators, frame pointers for
 * the instrumentation's stack traces, CPU randomness trusted for a fast
 * boot; no page-table isolation or retpolines (their cost would be
 * simulated too). */
const char *const zo_kconfig_rule_on[] = {
	"ZSWAP",   "ZPOOL",	    "ZBUD", "ZTIER", "SBALLOC", "ZSMALLOC",
	"FRAME_POINTER", "RANDOM_TRUST_CPU", NULL,
};
const char *const zo_kconfig_rule_off[] = { "PAGE_TABLE_ISOLATION", "RETPOLINE", NULL };

bool zo_kconfig_arg_valid(const char *arg)
{
	const char *p;

	if ((arg[0] != '+' && arg[0] != '-') || strncmp(arg + 1, "CONFIG_", 7) || !arg[8])
		return false;
	for (p = arg + 8; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

/* Whether `line` (up to its end) is `prefix` `name` then `end`. */
static bool line_is(const char *line, const char *prefix, const char *name, const char *end)
{
	size_t p = strlen(prefix), n = strlen(name);

	return !strncmp(line, prefix, p) && !strncmp(line + p, name, n) &&
	       !strncmp(line + p + n, end, strlen(end));
}

enum zo_kconfig_state zo_kconfig_state(const char *config, const char *name)
{
	const char *line = config;

	while (line && *line) {
		if (line_is(line, "# CONFIG_", name, " is not set"))
			return ZO_KCONFIG_OFF;
		if (line_is(line, "CONFIG_", name, "=")) {
			const char *v = line + strlen("CONFIG_") + strlen(name) + 1;

			if (v[0] == 'y' && (v[1] == '\n' || !v[1]))
				return ZO_KCONFIG_Y;
			if (v[0] == 'm' && (v[1] == '\n' || !v[1]))
				return ZO_KCONFIG_M;
			return ZO_KCONFIG_VALUE;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return ZO_KCONFIG_ABSENT;
}

void zo_kconfig_localversion(const char *branch, const char *commit, char *buf, size_t len)
{
	char b[16];
	size_t i, k = 0;

	for (i = 0; branch && branch[i] && i < 15; i++) {
		char c = branch[i] == '_' ? '-' : branch[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '+' || c == '-')
			b[k++] = c;
	}
	b[k] = '\0';
	snprintf(buf, len, "%s%s%s%.12s", k ? "-" : "", b, commit ? "-" : "", commit ? commit : "");
}
