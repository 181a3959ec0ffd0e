/* What an experiment's runner gets from `zsim-orch run` (cmd/run.c): the
 * parsed arguments, where its results go, and phase bookkeeping. */
#ifndef ZO_CMD_RUN_H
#define ZO_CMD_RUN_H

#include <signal.h>
#include <stdint.h>

#include "cmd/cmd.h"
#include "core/experiment.h"

#define ZO_RUN_MAX_PHASES 16
#define ZO_RUN_MAX_FACTS 16

struct zo_run {
	struct zo_ctx *ctx;
	const struct zo_exp_args *args;
	const char *dir; /* results directory (root prefix applied) */
	char *base;      /* file name without extension */
	char timestamp[40];
	const char *phase; /* running now, or NULL */
	uint64_t phase_start_ms;
	struct {
		const char *name;
		uint64_t ms;
	} timings[ZO_RUN_MAX_PHASES];
	size_t n_timings;
	struct {
		const char *name;
		char *value;
	} facts[ZO_RUN_MAX_FACTS]; /* extra .params entries learned while running */
	size_t n_facts;
	char *error; /* why the run failed, for .err and the message */
};

void zo_run_phase_begin(struct zo_run *run, const char *name);
void zo_run_phase_end(struct zo_run *run);
char *zo_run_file(const struct zo_run *run, const char *ext);
int zo_run_write(struct zo_run *run, const char *ext, const char *text);
int zo_run_add_fact(struct zo_run *run, const char *name, const char *value);
int zo_run_write_host_sim(struct zo_run *run, const char *extra);
/* Set to the signal number by SIGINT/SIGTERM during a run. */
volatile sig_atomic_t *zo_run_stop_flag(void);

/* Runners return 0, or -errno with run->error set; -EPERM means a
 * preflight refusal (exit 3). */
int zo_run_exp00000(struct zo_run *run);

#endif
