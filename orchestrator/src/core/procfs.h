/* Parsers for the text of /proc files. They take the text, not a path, so
 * tests feed them strings and fixture trees alike. */
#ifndef ZO_CORE_PROCFS_H
#define ZO_CORE_PROCFS_H

#include <stddef.h>
#include <stdint.h>

/* What a kernel can report, beyond which a figure is not trusted (-ERANGE):
 * x86-64 addresses at most 52 physical bits (4 PiB of RAM) and 57 virtual
 * ones; no CPU zsim runs on has fewer than 32; a swap area or a total of
 * them larger than 1 EiB does not exist; Linux runs on at most 8192 CPUs. */
#define ZO_PHYS_BITS_MIN 32
#define ZO_PHYS_BITS_MAX 52
#define ZO_VIRT_BITS_MIN 32
#define ZO_VIRT_BITS_MAX 64
#define ZO_RAM_MAX (1ULL << 52)
#define ZO_SWAP_MAX (1ULL << 60)
#define ZO_CPUS_MAX 8192

struct zo_meminfo {
	uint64_t mem_total;     /* bytes */
	uint64_t mem_available; /* bytes; 0 on kernels without the field */
	uint64_t swap_total;
	uint64_t swap_free;
};

struct zo_swap_entry {
	char *filename; /* octal escapes (\040) decoded */
	char *type;     /* "partition" or "file" */
	char *dm_name;  /* a device-mapper device's name (sys/hostinfo fills
			 * it from /sys/block/dm-N/dm/name), else NULL */
	uint64_t size;  /* bytes */
	uint64_t used;  /* bytes */
	int priority;
};

/* -ENODATA: a field is missing (an empty file); -EINVAL: a field is not
 * "N kB"; -ERANGE: no RAM, more RAM than ZO_RAM_MAX, more swap than
 * ZO_SWAP_MAX or more free swap than swap. */
int zo_parse_meminfo(const char *text, struct zo_meminfo *ret);
/* Returns the number of entries, also stored in *ret_n. -EINVAL for a line
 * not in the kernel's form, -ERANGE for a size over ZO_SWAP_MAX, more used
 * than the size, or sizes that add up to more than ZO_SWAP_MAX. */
int zo_parse_swaps(const char *text, struct zo_swap_entry **ret, size_t *ret_n);
void zo_swap_entries_free(struct zo_swap_entry *v, size_t n);
/* The entry of device-mapper device `dm_name`: named /dev/mapper/NAME, or
 * /dev/dm-N with that dm_name. NULL when it is not swap. */
const struct zo_swap_entry *zo_swap_find_dm(const struct zo_swap_entry *v, size_t n,
					    const char *dm_name);
/* "address sizes : 39 bits physical, 48 bits virtual" of the first CPU.
 * -ENODATA when the line is missing (some virtual CPUs), -EINVAL when it
 * does not read so, -ERANGE outside ZO_PHYS_BITS_* or ZO_VIRT_BITS_*. */
int zo_parse_address_bits(const char *cpuinfo, unsigned *ret_phys,
			  unsigned *ret_virt);
/* The number of "processor" lines: the CPUs the kernel runs on. */
unsigned zo_parse_cpu_count(const char *cpuinfo);
/* A module parameter's value as a switch: 1 for "Y" or "1", 0 for "N" or
 * "0", -1 for anything else or NULL. Boolean parameters read Y/N; some
 * kernels declare kvm_intel's ept as an int, which reads 1/0. */
int zo_parse_param_bool(const char *value);

#endif
