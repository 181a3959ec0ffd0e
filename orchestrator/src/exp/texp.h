/* What the experiments that boot a target share: the old runner's host
 * preparation and the target's start and stop, as phases of a run
 * (ops/run.h). Each experiment's file keeps its workload. */
#ifndef ZO_EXP_TEXP_H
#define ZO_EXP_TEXP_H

#include <stdbool.h>

#include "ops/preflight.h"
#include "ops/run.h"
#include "ops/target.h"

/* How a target gets NAS CG or Metis (not packaged anywhere): the recipe
 * image/target/zsim-build-benchmarks, which target prepare installs and
 * runs; `what` is its argument, "nas" or "metis". */
#define ZO_TEXP_BUILD_HOW(what)                                                          \
	"'zsim-orch target prepare' builds it from its pinned upstream sources when the " \
	"guest has a network; in a prepared target, 'zsim-build-benchmarks " what "' as "  \
	"root builds it (image/target/zsim-build-benchmarks)"

struct zo_texp {
	struct zo_run *run;
	struct zo_target target;
	bool target_open, started;
	struct zo_condition_spec spec;
	unsigned next_core; /* the runner's TasksetCtx: round-robin over the vCPUs */
	/* the experiment's own host checks, first in "preflight"; NULL: none */
	int (*preflight)(struct zo_texp *x);
	/* "preflight" asked libvirt; "target start" awaits the answer */
	struct zo_preflight_pending *preflight_pending;
};

/* The reason an operation left in ctx->error becomes the run's. */
int zo_texp_failed(struct zo_texp *x, int r);
/* Run one phase: begin, fn, end when it succeeded. */
int zo_texp_phase(struct zo_texp *x, const char *name, int (*fn)(struct zo_texp *x));
/* The phases "preflight", "storage", "condition host" (zswap unless
 * disable_zswap, the offsetting knobs when the experiment has them) and
 * "target start" (vm_size GB, cores vCPUs). */
int zo_texp_preflight(struct zo_texp *x);
int zo_texp_storage(struct zo_texp *x);
int zo_texp_condition(struct zo_texp *x);
int zo_texp_target_start(struct zo_texp *x);
/* A command in the target; on failure the run's reason is set. */
int zo_texp_guest(struct zo_texp *x, char *const *argv, struct zo_guest_exec *e);
/* `sh -c script` in the target; a failure (exit status != 0) is the
 * run's, named `what` with the start of its stderr. */
int zo_texp_sh(struct zo_texp *x, const char *what, const char *script);
/* The next vCPU to pin a program to, as text (free it). */
char *zo_texp_next_core(struct zo_texp *x);
/* .sim with the target's meminfo and whole kernel log (written to
 * /results/.zsim-dmesg in the target first), taken while it runs. */
int zo_texp_write_sim(struct zo_texp *x);
/* Copy guest_path out of the target into the run's EXT file, created new
 * in the directory the run opened (never through a link); a failure is
 * the phase's, with zo_texp_failed's wording. */
int zo_texp_fetch(struct zo_texp *x, const char *guest_path, const char *ext);
/* "target stop" (when it started, after success) and release. */
int zo_texp_finish(struct zo_texp *x, int r);

/* What an experiment that boots a target does itself; NULL: nothing. */
struct zo_texp_steps {
	int (*setup)(struct zo_texp *x);
	int (*warmup)(struct zo_texp *x); /* only with --warmup */
	int (*workload)(struct zo_texp *x);
	int (*collect)(struct zo_texp *x);
};
/* preflight, storage, condition host, target start, then the steps as the
 * runner ordered them, each a phase; then zo_texp_finish, whatever
 * happened. */
int zo_texp_run(struct zo_texp *x, const struct zo_texp_steps *s);

#endif
