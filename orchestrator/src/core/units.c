#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/macros.h"

#include "util/banned.h"

static const char size_suffixes[] = "KMGT";

int zo_size_parse(const char *s, uint64_t *ret)
{
	uint64_t value = 0, mult = 1;
	const char *p = s;
	const char *suf;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned digit = (unsigned)(*p - '0');

		if (value > (UINT64_MAX - digit) / 10)
			return -ERANGE;
		value = value * 10 + digit;
	}
	if (*p) {
		suf = strchr(size_suffixes, toupper((unsigned char)*p));
		if (!suf)
			return -EINVAL;
		mult = (uint64_t)1 << (10 * (suf - size_suffixes + 1));
		p++;
		if (!strcasecmp(p, "iB") || !strcasecmp(p, "B"))
			p += strlen(p);
		if (*p)
			return -EINVAL;
	}
	if (value > UINT64_MAX / mult)
		return -ERANGE;
	*ret = value * mult;
	return 0;
}

int zo_size_format(uint64_t bytes, char *buf, size_t len)
{
	int shift = 40, n;
	const char *suf = "TGMK";

	for (; shift > 0; shift -= 10, suf++) {
		uint64_t unit = (uint64_t)1 << shift;

		if (bytes && bytes % unit == 0) {
			n = snprintf(buf, len, "%llu%c",
				     (unsigned long long)(bytes / unit), *suf);
			return n < 0 || (size_t)n >= len ? -ENOBUFS : 0;
		}
	}
	n = snprintf(buf, len, "%llu", (unsigned long long)bytes);
	return n < 0 || (size_t)n >= len ? -ENOBUFS : 0;
}

int zo_duration_debug(uint64_t ns, char *buf, size_t len)
{
	static const struct {
		uint64_t unit;
		int digits; /* of the fraction */
		const char *suffix;
	} units[] = { { 1000000000, 9, "s" },
		      { 1000000, 6, "ms" },
		      { 1000, 3, "\xc2\xb5s" },
		      { 1, 0, "ns" } };
	char frac[16] = "";
	size_t i = 0;
	int n;

	while (i + 1 < ZO_ARRAY_SIZE(units) && ns < units[i].unit)
		i++;
	if (ns % units[i].unit) {
		/* the rest, zero-padded to the unit's digits, trailing zeros cut */
		snprintf(frac, sizeof(frac), ".%0*llu", units[i].digits,
			 (unsigned long long)(ns % units[i].unit));
		n = (int)strlen(frac);
		while (n > 1 && frac[n - 1] == '0')
			frac[--n] = '\0';
	}
	n = snprintf(buf, len, "%llu%s%s", (unsigned long long)(ns / units[i].unit), frac,
		     units[i].suffix);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int zo_size_format_human(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	double v = (double)bytes;
	int i = -1, n;

	while (i < 3 && v >= 1024.0) {
		v /= 1024.0;
		i++;
	}
	if (i < 0)
		n = snprintf(buf, len, "%llu", (unsigned long long)bytes);
	else if (v >= 10.0 || v == (double)(uint64_t)v)
		n = snprintf(buf, len, "%.0f%c", v, units[i]);
	else
		n = snprintf(buf, len, "%.1f%c", v, units[i]);
	return n < 0 || (size_t)n >= len ? -ENOBUFS : 0;
}

int zo_bool_parse(const char *s, bool *ret)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i])) {
			*ret = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

int zo_int_parse(const char *s, long long min, long long max, long long *ret)
{
	const char *p = s;
	unsigned long long mag = 0;
	bool neg = false;

	if (*p == '-') {
		neg = true;
		p++;
	}
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned digit = (unsigned)(*p - '0');

		if (mag > (9223372036854775808ULL - digit) / 10)
			return -ERANGE;
		mag = mag * 10 + digit;
	}
	if (*p)
		return -EINVAL;
	if (!neg && mag > 9223372036854775807ULL)
		return -ERANGE;
	{
		long long v = neg ? (long long)(0 - mag) : (long long)mag;

		if (v < min || v > max)
			return -ERANGE;
		*ret = v;
	}
	return 0;
}
