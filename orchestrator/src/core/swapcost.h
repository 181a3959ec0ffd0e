/* What swapon(2) costs in RAM: the tables the kernel allocates for a swap
 * area, per page of swap, as a function of facts about the running kernel
 * that can be read without turning swap on. Pure: the facts come in as
 * values (ops/swap.c reads them), the parsers take text.
 *
 * Measured on Debian's 6.1 kernel (6.1.0-57-amd64) in the vm tier; the
 * terms for other kernels follow their source (see swapcost.c). */
#ifndef ZO_CORE_SWAPCOST_H
#define ZO_CORE_SWAPCOST_H

#include <stdbool.h>
#include <stdint.h>

/* A fact is 1 (yes), 0 (no) or -1 (could not be read). */
struct zo_swap_kernel {
	unsigned major, minor; /* the release; 0.0 when unknown */
	uint64_t page_size;    /* bytes; 0 is taken as 4096 */
	int memcg;             /* the memory controller is enabled (/proc/cgroups) */
	int swapaccount;       /* swapaccount=1/0 on the command line; -1 not given */
	int memcg_swap_config; /* CONFIG_MEMCG_SWAP_ENABLED, for kernels before 5.8 */
	int frontswap;         /* CONFIG_FRONTSWAP (or zswap, which selects it) */
	int thp_swap;          /* CONFIG_THP_SWAP: clusters of 512 pages, else 256 */
	int nonrot;            /* the swap device is not rotational (an SSD) */
};

/* The parts, in bytes, and whether a fact had to be assumed. */
struct zo_swap_cost {
	uint64_t pages;
	uint64_t swap_map, swap_cgroup, frontswap, zeromap, clusters, address_spaces;
	uint64_t total;
	/* bytes per page in thousandths, for people: 3145 -> "3.145" */
	uint64_t milli_per_page;
	bool assumed_swap_cgroup; /* counted because it could not be ruled out */
};

/* The cost of a swap area of `swap_bytes` on kernel `k`. An unknown fact
 * counts as the costlier answer, so the estimate errs high. */
void zo_swap_cost(const struct zo_swap_kernel *k, uint64_t swap_bytes, struct zo_swap_cost *ret);

/* The largest swap area whose cost is at most `budget` bytes, in whole
 * pages. */
uint64_t zo_swap_cost_max_bytes(const struct zo_swap_kernel *k, uint64_t budget);

/* The share of MemAvailable that swap's tables may take: the rest is left
 * for everything else the host runs (the target's memory, the zswap pool). */
#define ZO_SWAP_COST_SHARE_NUM 3
#define ZO_SWAP_COST_SHARE_DEN 4
uint64_t zo_swap_cost_budget(uint64_t mem_available);

/* "swap_map 1.004, swap cgroup 2.004, frontswap 0.126, address spaces
 * 0.012": the parts per page, largest first; malloc'd. */
char *zo_swap_cost_parts(const struct zo_swap_cost *c);

/* Parsers of the facts' text. */
/* "6.1.0-57-amd64" -> 6, 1; -EINVAL when it does not start "N.N". */
int zo_parse_kernel_release(const char *release, unsigned *ret_major, unsigned *ret_minor);
/* /proc/cgroups: the "memory" line's enabled column; 0 without one. */
int zo_parse_cgroups_memory(const char *text);
/* The kernel command line's swapaccount=0/1 (the last one wins); -1 when
 * absent. */
int zo_parse_cmdline_swapaccount(const char *cmdline);
/* A kernel config's "CONFIG_X=y" (1), "# CONFIG_X is not set" or absent
 * (0); "=m" counts as 1. */
int zo_parse_kconfig_bool(const char *config, const char *name);

#endif
