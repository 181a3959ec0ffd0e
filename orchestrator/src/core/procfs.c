#include "procfs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/macros.h"
#include "util/str.h"

#include "util/banned.h"

static int meminfo_field(const char *text, const char *name, uint64_t *ret)
{
	size_t nl = strlen(name);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, name, nl) && p[nl] == ':') {
			unsigned long long kb;

			if (sscanf(p + nl + 1, " %llu kB", &kb) != 1)
				return -EINVAL;
			*ret = (uint64_t)kb * 1024;
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

	r = meminfo_field(text, "MemTotal", &m.mem_total);
	if (r < 0)
		return r;
	r = meminfo_field(text, "MemAvailable", &m.mem_available);
	if (r < 0 && r != -ENODATA)
		return r;
	r = meminfo_field(text, "SwapTotal", &m.swap_total);
	if (r < 0)
		return r;
	r = meminfo_field(text, "SwapFree", &m.swap_free);
	if (r < 0)
		return r;
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
	}
	free(v);
}

int zo_parse_swaps(const char *text, struct zo_swap_entry **ret, size_t *ret_n)
{
	_cleanup_free_ char *copy = strdup(text);
	struct zo_swap_entry *v = NULL;
	size_t n = 0;
	char *line, *next;
	bool header = true;

	if (!copy)
		return -ENOMEM;
	for (line = copy; line && *line; line = next) {
		char name[4096], type[64];
		unsigned long long size_kb, used_kb;
		int prio;
		struct zo_swap_entry *nv;

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
		if (sscanf(line, "%4095s %63s %llu %llu %d", name, type, &size_kb,
			   &used_kb, &prio) != 5) {
			zo_swap_entries_free(v, n);
			return -EINVAL;
		}
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			zo_swap_entries_free(v, n);
			return -ENOMEM;
		}
		v = nv;
		v[n].filename = unescape(name);
		v[n].type = strdup(type);
		v[n].size = (uint64_t)size_kb * 1024;
		v[n].used = (uint64_t)used_kb * 1024;
		v[n].priority = prio;
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

int zo_parse_address_bits(const char *cpuinfo, unsigned *ret_phys,
			  unsigned *ret_virt)
{
	const char *p = cpuinfo;

	while (p && *p) {
		if (zo_startswith(p, "address sizes")) {
			unsigned phys, virt;
			const char *colon = strchr(p, ':');

			if (!colon || sscanf(colon + 1, " %u bits physical, %u bits virtual",
					     &phys, &virt) != 2)
				return -EINVAL;
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
