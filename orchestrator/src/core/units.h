/* Parsing and printing of the value forms users type: sizes, booleans,
 * bounded integers. Pure functions; errors are -EINVAL (wrong form) or
 * -ERANGE (right form, out of range). */
#ifndef ZO_CORE_UNITS_H
#define ZO_CORE_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZO_KIB ((uint64_t)1 << 10)
#define ZO_MIB ((uint64_t)1 << 20)
#define ZO_GIB ((uint64_t)1 << 30)
#define ZO_TIB ((uint64_t)1 << 40)

#define ZO_SIZE_FORM                                                           \
	"a whole number of bytes with an optional K, M, G or T suffix "        \
	"(powers of 1024), e.g. 128M or 10T"
#define ZO_BOOL_FORM "yes, no, true, false, on, off, 1 or 0"

/* "10T" -> 10 * 2^40. Accepts an optional trailing "B" or "iB" ("10TiB"). */
int zo_size_parse(const char *s, uint64_t *ret);
/* The shortest exact form ("10T", "1536M", "4097"): what zo_size_parse
 * reads back to the same number. */
int zo_size_format(uint64_t bytes, char *buf, size_t len);
/* A rounded form for people ("1.5G"). */
int zo_size_format_human(uint64_t bytes, char *buf, size_t len);

/* `ns` nanoseconds as Rust's Debug of std::time::Duration prints them (the
 * old runner's .time): the largest unit of s, ms, µs (UTF-8 'µ') and ns
 * that is at most the value, the whole number of it, then the rest as a
 * decimal fraction without trailing zeros: "0ns", "999ns", "1.5µs",
 * "850.3ms", "1s", "93.514234151s". 0, or -ENOSPC when `len` is too
 * small (40 bytes always do). */
int zo_duration_debug(uint64_t ns, char *buf, size_t len);

int zo_bool_parse(const char *s, bool *ret);
int zo_int_parse(const char *s, long long min, long long max, long long *ret);

#endif
