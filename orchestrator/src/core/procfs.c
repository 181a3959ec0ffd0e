#include "procfs.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/macros.h"
#include "util/str.h"

#include "util/banned.h"

/* A decimal number after optional blanks, at most `max`; *ret_end after
 * it. -EINVAL without digits, -ERANGE above `max` (overflow included). */
static int parse_u64(const char *s, uint64_t max, uint64_t *ret, const char **ret_end)
{
	uint64_t v = 0;
	bool over = false;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (over || v > (UINT64_MAX - d) / 10)
			over = true;
		else
			v = v * 10 + d;
	}
	if (ret_end)
		*ret_end = s;
	if (over || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

/* "Name:   N kB" in bytes, at most `max` bytes. */
static int meminfo_field(const char *text, const char *name, uint64_t max, uint64_t *ret)
{
	size_t nl = strlen(name);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, name, nl) && p[nl] == ':') {
			const char *end;
			uint64_t kb;
			int r = parse_u64(p + nl + 1, max / 1024, &kb, &end);

			if (r < 0)
				return r;
			while (*end == ' ' || *end == '\t')
				end++;
			if (strncmp(end, "kB", 2))
				return -EINVAL;
			*ret = kb * 1024;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENODATA;
}

int zo_parse_meminfo(const char *text, struct zo_meminfo *ret)
{
	struct zo_meminfo m = { 0 };
	int r;

	r = meminfo_field(text, "MemTotal", ZO_RAM_MAX, &m.mem_total);
	if (r < 0)
		return r;
	if (!m.mem_total)
		return -ERANGE;
	r = meminfo_field(text, "MemAvailable", ZO_RAM_MAX, &m.mem_available);
	if (r < 0 && r != -ENODATA)
		return r;
	r = meminfo_field(text, "SwapTotal", ZO_SWAP_MAX, &m.swap_total);
	if (r < 0)
		return r;
	r = meminfo_field(text, "SwapFree", ZO_SWAP_MAX, &m.swap_free);
	if (r < 0)
		return r;
	if (m.swap_free > m.swap_total)
		return -ERANGE;
	*ret = m;
	return 0;
}

/* The kernel writes /proc/swaps names with seq_escape(" \t\n\\"). */
static char *unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

void zo_swap_entries_free(struct zo_swap_entry *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].filename);
		free(v[i].type);
		free(v[i].dm_name);
	}
	free(v);
}

/* "NAME TYPE SIZE USED PRIORITY", sizes in KiB. */
static int swap_line(const char *line, char *name, char *type, struct zo_swap_entry *e)
{
	const char *p;
	uint64_t size, used, prio;
	bool negative;
	int off = 0, r;

	if (sscanf(line, "%4095s %63s%n", name, type, &off) != 2 || !off)
		return -EINVAL;
	r = parse_u64(line + off, ZO_SWAP_MAX / 1024, &size, &p);
	if (r == 0)
		r = parse_u64(p, size, &used, &p);
	if (r < 0)
		return r;
	while (*p == ' ' || *p == '\t')
		p++;
	negative = *p == '-';
	r = parse_u64(p + negative, INT_MAX, &prio, &p);
	if (r < 0)
		return r == -ERANGE ? -EINVAL : r;
	if (*zo_strstrip((char *)p))
		return -EINVAL;
	e->size = size * 1024;
	e->used = used * 1024;
	e->priority = negative ? -(int)prio : (int)prio;
	return 0;
}

int zo_parse_swaps(const char *text, struct zo_swap_entry **ret, size_t *ret_n)
{
	_cleanup_free_ char *copy = strdup(text);
	struct zo_swap_entry *v = NULL;
	size_t n = 0;
	uint64_t total = 0;
	char *line, *next;
	bool header = true;

	if (!copy)
		return -ENOMEM;
	for (line = copy; line && *line; line = next) {
		char name[4096], type[64];
		struct zo_swap_entry e = { 0 }, *nv;
		int r;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (header) {
			header = false;
			if (zo_startswith(line, "Filename"))
				continue;
		}
		if (!*zo_strstrip(line))
			continue;
		r = swap_line(line, name, type, &e);
		if (r == 0 && e.size > ZO_SWAP_MAX - total)
			r = -ERANGE;
		if (r < 0) {
			zo_swap_entries_free(v, n);
			return r;
		}
		total += e.size;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			zo_swap_entries_free(v, n);
			return -ENOMEM;
		}
		v = nv;
		v[n] = e;
		v[n].filename = unescape(name);
		v[n].type = strdup(type);
		n++;
		if (!v[n - 1].filename || !v[n - 1].type) {
			zo_swap_entries_free(v, n);
			return -ENOMEM;
		}
	}
	*ret = v;
	*ret_n = n;
	return (int)n;
}

const struct zo_swap_entry *zo_swap_find_dm(const struct zo_swap_entry *v, size_t n,
					    const char *dm_name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *f = v[i].filename;

		if ((v[i].dm_name && !strcmp(v[i].dm_name, dm_name)) ||
		    (zo_startswith(f, "/dev/mapper/") && !strcmp(f + 12, dm_name)))
			return &v[i];
	}
	return NULL;
}

/* "N bits WHAT" of an "address sizes" line, between `min` and `max`. */
static int bits(const char **p, const char *what, unsigned min, unsigned max, unsigned *ret)
{
	uint64_t v;
	int r = parse_u64(*p, UINT64_MAX, &v, p);

	if (r == -EINVAL)
		return r;
	if (r < 0)
		v = UINT64_MAX; /* too many digits: out of range, if it reads right */
	while (**p == ' ')
		(*p)++;
	if (!zo_startswith(*p, "bits ") || !zo_startswith(*p + 5, what))
		return -EINVAL;
	*p += 5 + strlen(what);
	if (v < min || v > max)
		return -ERANGE;
	*ret = (unsigned)v;
	return 0;
}

int zo_parse_address_bits(const char *cpuinfo, unsigned *ret_phys,
			  unsigned *ret_virt)
{
	const char *p = cpuinfo;

	while (p && *p) {
		if (zo_startswith(p, "address sizes")) {
			unsigned phys = 0, virt = 0;
			const char *q = strchr(p, ':');
			int r, r2;

			if (!q || q > strchrnul(p, '\n'))
				return -EINVAL;
			q++;
			r = bits(&q, "physical", ZO_PHYS_BITS_MIN, ZO_PHYS_BITS_MAX, &phys);
			if (r == -EINVAL)
				return r;
			if (*q++ != ',')
				return -EINVAL;
			r2 = bits(&q, "virtual", ZO_VIRT_BITS_MIN, ZO_VIRT_BITS_MAX, &virt);
			if (r2 < 0)
				return r2;
			if (r < 0)
				return r;
			*ret_phys = phys;
			*ret_virt = virt;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENODATA;
}

unsigned zo_parse_cpu_count(const char *cpuinfo)
{
	unsigned n = 0;
	const char *p = cpuinfo;

	while (p && (p = strstr(p, "processor")) != NULL) {
		if (p == cpuinfo || p[-1] == '\n')
			n++;
		p += 9;
	}
	return n;
}

int zo_parse_param_bool(const char *value)
{
	if (!value)
		return -1;
	if (!strcmp(value, "Y") || !strcmp(value, "1"))
		return 1;
	if (!strcmp(value, "N") || !strcmp(value, "0"))
		return 0;
	return -1;
}
