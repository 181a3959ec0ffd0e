/* Job files for the spool: INI text (read with util/ini) turned into the
 * runs it stands for. Arguments are split here with documented quoting and
 * never pass through a shell; every expanded run is checked against its
 * experiment's schema before it is queued. Pure. */
#ifndef ZO_CORE_JOB_H
#define ZO_CORE_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "util/ini.h"

#define ZO_JOB_MAX_BYTES (64 * 1024)
#define ZO_JOB_MAX_RUNS 10000
/* A run's name (name=, then "-KEYvalue" for each [matrix] key): its
 * results directory is NAME-ID, one file name of at most 255 bytes. */
#define ZO_JOB_MAX_NAME 200
/* 365 days: longer is a typo, and the daemon's clock arithmetic stays far
 * from overflow. */
#define ZO_JOB_MAX_TIMEOUT_S (365ULL * 86400)

#define ZO_JOB_QUOTING                                                         \
	"args are split at spaces; '...' keeps everything inside literally, "  \
	"\"...\" allows \\\" and \\\\ inside, a backslash outside quotes "    \
	"keeps the next character; an unquoted ; or # at the start of a "    \
	"word begins a comment; nothing is expanded ($, `, *, ~ are plain "   \
	"characters)"

struct zo_job_run {
	char *name;       /* job name, with the matrix values for expanded runs */
	char *experiment;
	char **argv;      /* arguments after the experiment name */
	uint64_t timeout_s; /* 0: none */
	unsigned repeat;    /* which of [job] repeat: 1, 2, ... */
};

/* Split `s` by the rules in ZO_JOB_QUOTING. */
int zo_job_split(const char *s, char ***ret, char **ret_error);

/* The runs a job file stands for: [job] experiment, args, name, repeat,
 * timeout (at most 365d); [matrix] key = v1, v2 expands {key} in args over
 * the product of all keys. `default_name` comes from the file name. The
 * name, every [matrix] key and value use letters, digits, '_', '.' and '-'
 * only (the name not starting with '.'), so a run's name is one safe file
 * name. */
int zo_job_expand(const struct zo_ini *ini, const char *default_name,
		  struct zo_job_run **ret, size_t *ret_n, char **ret_error);
void zo_job_runs_free(struct zo_job_run *runs, size_t n);

/* "90", "90s", "30m", "48h", "2d" -> seconds. */
int zo_duration_parse(const char *s, uint64_t *ret);

#endif
