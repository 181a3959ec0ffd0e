/* The host knobs an experiment depends on: 0sim's /proc/zerosim_*, KVM's
 * TSC offsetting, zswap, transparent hugepages, KSM, the CPU frequency
 * governor and the console log level. One table: name, file, accepted
 * values. Pure: values are checked here, written by sys. */
#ifndef ZO_CORE_KNOBS_H
#define ZO_CORE_KNOBS_H

#include <stdbool.h>
#include <stddef.h>

enum zo_knob_kind {
	ZO_KNOB_UINT,  /* a decimal number in [min, max] */
	ZO_KNOB_YN,    /* Y or N (module parameters); accepts yes/no/1/0/on/off */
	ZO_KNOB_01,    /* 0 or 1; accepts the same words */
	ZO_KNOB_WORDS, /* one of `words` */
};

struct zo_knob {
	const char *name;
	const char *path;
	enum zo_knob_kind kind;
	unsigned long long min, max;
	const char *words; /* '|'-separated, ZO_KNOB_WORDS */
	bool zerosim;      /* exists only on a 0sim kernel */
	const char *help;
	const char *on;   /* ZO_KNOB_01: what "yes" writes (NULL: "1") */
	bool first_field; /* the value is the file's first field (printk's 4 fields) */
};

extern const struct zo_knob zo_knobs[];
extern const size_t zo_n_knobs;

const struct zo_knob *zo_knob_find(const char *name);

/* The value to write for `text` ("yes" -> "Y" for a module parameter), or
 * -EINVAL with the accepted form in *ret_error. */
int zo_knob_normalize(const struct zo_knob *k, const char *text, char **ret_value,
		      char **ret_error);

/* What a read shows, made comparable: "always [madvise] never" ->
 * "madvise", printk's "4\t4\t1\t7" -> "4". Returns a new string. */
char *zo_knob_current(const struct zo_knob *k, const char *raw);

/* What to write to put back a value read as `raw` ("madvise" for THP,
 * the whole line for printk). Returns a new string. */
char *zo_knob_restore_value(const struct zo_knob *k, const char *raw);

/* A knob with one file per CPU: its path names "cpu*" (the governor). */
bool zo_knob_per_cpu(const struct zo_knob *k);
/* Its file for CPU directory `cpu` ("cpu3"), allocated. */
char *zo_knob_cpu_path(const struct zo_knob *k, const char *cpu);
/* Whether a /sys/devices/system/cpu entry names a CPU ("cpu12"). */
bool zo_knob_is_cpu_dir(const char *name);

#endif
