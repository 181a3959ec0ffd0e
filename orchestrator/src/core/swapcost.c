/* The RAM a swap area costs, part by part.
 *
 * Each term is in 1/4096 byte per page of swap, so the arithmetic stays in
 * whole numbers. Measured on Debian's 6.1.0-57-amd64 under QEMU (the vm
 * tier, tests/vm/test_thin.py), 1 GiB guest, swapon of a thin volume with
 * MemFree read before and after (caches dropped), the areas named by
 * /proc/vmallocinfo:
 *
 *   64G  (16777215 pages), memcg on:              53492 kB  3.265 B/page
 *   256G (67108863 pages), memcg on:             206280 kB  3.148 B/page
 *   256G, memcg on, swapaccount=0:               206280 kB  (6.1 ignores it)
 *   256G, cgroup_disable=memory:                  74736 kB  1.140 B/page
 *   256G, memcg on, device made non-rotational:  207556 kB  +1024 kB
 *
 * and vmallocinfo showed, for 256G: swap_map 64 MiB (__do_sys_swapon),
 * the frontswap bitmap 8 MiB (__do_sys_swapon), the swap cgroup's page
 * array 256 KiB (swap_cgroup_swapon; its 128 MiB of pages are not
 * vmalloc'd), and the page-pointer arrays of the first two (1/512 of
 * each). The 64G figure carries about 2.5 MiB that does not grow with the
 * size (slab), which the 256G one shows to be noise around the slope. */
#include "core/swapcost.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

#include "util/banned.h"

#define Q 4096ULL /* units per byte */

/* swap_map: one byte per page (vzalloc), plus vmalloc's own 16 bytes per
 * page of the area (its struct page pointer and its page-table entry). */
#define SWAP_MAP (Q + 16)
/* mm/swap_cgroup.c: a 2-byte memcg ID per page, in whole pages, and an
 * array of 8-byte pointers to those pages (one per 2048 IDs). Allocated at
 * swapon whether or not any cgroup ever uses swap. */
#define SWAP_CGROUP (2 * Q + 16)
/* A bitmap, one bit per page, with vmalloc's share: frontswap's map
 * (kernels with CONFIG_FRONTSWAP, before 6.5, where frontswap went away)
 * and the zero-page map (6.12 on). */
#define BITMAP (Q / 8 + 2)
/* struct swap_cluster_info (8 bytes) per cluster of 512 pages (256
 * without CONFIG_THP_SWAP), for non-rotational devices only: the 1024 kB
 * measured for 256G of an SSD. */
#define CLUSTER_INFO 8ULL
/* One struct address_space (about 190 bytes) per 2^14 pages: the
 * swap cache's; what the cgroup_disable=memory figure leaves over. */
#define ADDRESS_SPACES 48ULL

static bool at_least(const struct zo_swap_kernel *k, unsigned major, unsigned minor)
{
	return k->major > major || (k->major == major && k->minor >= minor);
}

static bool known_before(const struct zo_swap_kernel *k, unsigned major, unsigned minor)
{
	return k->major && !at_least(k, major, minor);
}

/* Whether swapon allocates the swap cgroup map; *ret_assumed when a fact
 * that could rule it out is unknown. */
static bool swap_cgroup_on(const struct zo_swap_kernel *k, bool *ret_assumed)
{
	*ret_assumed = false;
	if (k->memcg == 0)
		return false;
	if (k->memcg < 0)
		*ret_assumed = true;
	/* 6.1 dropped CONFIG_MEMCG_SWAP: swap is tracked whenever memcg is on,
	 * and swapaccount=0 only logs a warning (measured above). */
	if (!k->major || at_least(k, 6, 1))
		return true;
	if (k->swapaccount >= 0)
		return k->swapaccount == 1;
	/* 5.8 to 6.0: on unless swapaccount=0. Before: the config's default. */
	if (at_least(k, 5, 8))
		return true;
	if (k->memcg_swap_config < 0)
		*ret_assumed = true;
	return k->memcg_swap_config != 0;
}

static uint64_t part(uint64_t pages, uint64_t units)
{
	return pages / Q * units + pages % Q * units / Q;
}

/* The units per page and, when `ret` is set, the parts. */
static uint64_t units_per_page(const struct zo_swap_kernel *k, uint64_t pages,
			       struct zo_swap_cost *ret)
{
	uint64_t cluster = k->thp_swap > 0 ? 512 : 256;
	uint64_t cg = 0, fs = 0, zm = 0, cl = 0;
	bool assumed;

	if (swap_cgroup_on(k, &assumed))
		cg = SWAP_CGROUP;
	if (k->frontswap != 0 && (!k->major || known_before(k, 6, 5)))
		fs = BITMAP;
	if (k->major && at_least(k, 6, 12))
		zm = BITMAP;
	if (k->nonrot != 0)
		cl = CLUSTER_INFO * Q / cluster;
	if (ret) {
		memset(ret, 0, sizeof(*ret));
		ret->pages = pages;
		ret->swap_map = part(pages, SWAP_MAP);
		ret->swap_cgroup = part(pages, cg);
		ret->frontswap = part(pages, fs);
		ret->zeromap = part(pages, zm);
		ret->clusters = part(pages, cl);
		ret->address_spaces = part(pages, ADDRESS_SPACES);
		ret->assumed_swap_cgroup = cg && assumed;
	}
	return SWAP_MAP + cg + fs + zm + cl + ADDRESS_SPACES;
}

static uint64_t page_size(const struct zo_swap_kernel *k)
{
	return k->page_size ? k->page_size : 4096;
}

void zo_swap_cost(const struct zo_swap_kernel *k, uint64_t swap_bytes, struct zo_swap_cost *ret)
{
	uint64_t pages = swap_bytes / page_size(k);
	uint64_t units = units_per_page(k, pages, ret);

	ret->total = ret->swap_map + ret->swap_cgroup + ret->frontswap + ret->zeromap +
		     ret->clusters + ret->address_spaces;
	ret->milli_per_page = units * 1000 / Q;
}

uint64_t zo_swap_cost_max_bytes(const struct zo_swap_kernel *k, uint64_t budget)
{
	uint64_t units = units_per_page(k, 0, NULL);
	uint64_t pages = budget / units * Q + budget % units * Q / units;

	if (pages > UINT64_MAX / page_size(k))
		return UINT64_MAX;
	return pages * page_size(k);
}

uint64_t zo_swap_cost_budget(uint64_t mem_available)
{
	return mem_available / ZO_SWAP_COST_SHARE_DEN * ZO_SWAP_COST_SHARE_NUM;
}

char *zo_swap_cost_parts(const struct zo_swap_cost *c)
{
	const struct {
		const char *name;
		uint64_t bytes;
	} parts[] = {
		{ "swap_map", c->swap_map },
		{ "swap cgroup", c->swap_cgroup },
		{ "frontswap map", c->frontswap },
		{ "zero-page map", c->zeromap },
		{ "cluster info", c->clusters },
		{ "address spaces", c->address_spaces },
	};
	struct zo_strbuf b = { 0 };
	size_t i;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		uint64_t milli;

		if (!parts[i].bytes || !c->pages)
			continue;
		milli = parts[i].bytes * 1000 / c->pages;
		zo_strbuf_appendf(&b, "%s%s %llu.%03llu", b.buf ? ", " : "", parts[i].name,
				  (unsigned long long)(milli / 1000),
				  (unsigned long long)(milli % 1000));
	}
	return b.buf ? zo_strbuf_steal(&b) : strdup("");
}

int zo_parse_kernel_release(const char *release, unsigned *ret_major, unsigned *ret_minor)
{
	unsigned major, minor;

	if (!release || sscanf(release, "%u.%u", &major, &minor) != 2 || !major)
		return -EINVAL;
	*ret_major = major;
	*ret_minor = minor;
	return 0;
}

int zo_parse_cgroups_memory(const char *text)
{
	const char *line;

	/* "#subsys_name	hierarchy	num_cgroups	enabled" */
	for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned hier, num, enabled;

		if (sscanf(line, "memory %u %u %u", &hier, &num, &enabled) == 3)
			return enabled != 0;
	}
	return 0;
}

int zo_parse_cmdline_swapaccount(const char *cmdline)
{
	const char *p = cmdline;
	int value = -1;

	while (p && (p = strstr(p, "swapaccount"))) {
		bool word = p == cmdline || p[-1] == ' ' || p[-1] == '\t';

		p += strlen("swapaccount");
		if (!word)
			continue;
		/* bare "swapaccount" meant 1, as the kernel parsed it */
		if (*p == '\0' || *p == ' ' || *p == '\n')
			value = 1;
		else if (*p == '=' && (p[1] == '0' || p[1] == '1'))
			value = p[1] - '0';
	}
	return value;
}

int zo_parse_kconfig_bool(const char *config, const char *name)
{
	size_t n = strlen(name);
	const char *line;

	for (line = config; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (!strncmp(line, name, n) && line[n] == '=')
			return line[n + 1] == 'y' || line[n + 1] == 'm';
	return 0;
}
