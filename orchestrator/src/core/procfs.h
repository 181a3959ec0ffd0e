/* Parsers for the text of /proc files. They take the text, not a path, so
 * tests feed them strings and fixture trees alike. */
#ifndef ZO_CORE_PROCFS_H
#define ZO_CORE_PROCFS_H

#include <stddef.h>
#include <stdint.h>

struct zo_meminfo {
	uint64_t mem_total;     /* bytes */
	uint64_t mem_available; /* bytes; 0 on kernels without the field */
	uint64_t swap_total;
	uint64_t swap_free;
};

struct zo_swap_entry {
	char *filename; /* octal escapes (\040) decoded */
	char *type;     /* "partition" or "file" */
	uint64_t size;  /* bytes */
	uint64_t used;  /* bytes */
	int priority;
};

int zo_parse_meminfo(const char *text, struct zo_meminfo *ret);
/* Returns the number of entries, also stored in *ret_n. */
int zo_parse_swaps(const char *text, struct zo_swap_entry **ret, size_t *ret_n);
void zo_swap_entries_free(struct zo_swap_entry *v, size_t n);
/* "address sizes : 39 bits physical, 48 bits virtual" of the first CPU.
 * -ENODATA when the line is missing (some virtual CPUs). */
int zo_parse_address_bits(const char *cpuinfo, unsigned *ret_phys,
			  unsigned *ret_virt);
/* The number of "processor" lines: the CPUs the kernel runs on. */
unsigned zo_parse_cpu_count(const char *cpuinfo);
/* A module parameter's value as a switch: 1 for "Y" or "1", 0 for "N" or
 * "0", -1 for anything else or NULL. Boolean parameters read Y/N; some
 * kernels declare kvm_intel's ept as an int, which reads 1/0. */
int zo_parse_param_bool(const char *value);

#endif
