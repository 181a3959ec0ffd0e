/* What the experiments that boot a target share: the old runner's host
 * preparation and the target's start and stop, as phases of a run
 * (ops/run.h). Each experiment's file keeps its workload. */
#ifndef ZO_EXP_TEXP_H
#define ZO_EXP_TEXP_H

#include <stdbool.h>

#include "core/procfs.h"
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

/* The phases of an experiment run by zo_texp_run, as its descriptor
 * lists them (with "target stop" and the harness's "restore host"):
 * with the warmup step, and without (an experiment that has none). */
extern const char *const zo_texp_phases[];
extern const char *const zo_texp_phases_no_warmup[];

/* An experiment's check that one workload was given: 0 when `given`,
 * else -EINVAL and "give one workload: CHOICES" (the runner's flags, as
 * "-m (memcached) or -h (memhog)"). */
int zo_texp_one_workload(bool given, const char *choices, char **ret_error);

/* The runner's name for a workload: `choice` renamed by `names` (ending
 * with { NULL, NULL }), else `choice` itself (NULL: NULL). */
struct zo_texp_name {
	const char *choice, *name;
};
const char *zo_texp_name(const char *choice, const struct zo_texp_name *names);

/* The reason an operation left in ctx->error becomes the run's. */
int zo_texp_failed(struct zo_texp *x, int r);
/* Run one phase: begin, fn, end when it succeeded. */
int zo_texp_phase(struct zo_texp *x, const char *name, int (*fn)(struct zo_texp *x));
/* The phases "preflight", "storage", "condition host" (zswap unless
 * disable_zswap, the offsetting knobs when the experiment has them) and
 * "target start" (vm_size GB, cores vCPUs). */
int zo_texp_preflight(struct zo_texp *x);
int zo_texp_storage(struct zo_texp *x);
/* The storage phase of any run: the thin pool and [host] swap on, or a
 * warning that `what` ("a target") larger than RAM will not fit. */
int zo_texp_storage_for(struct zo_run *run, const char *what);
int zo_texp_condition(struct zo_texp *x);
int zo_texp_target_start(struct zo_texp *x);
/* A command in the target; on failure the run's reason is set. */
int zo_texp_guest(struct zo_texp *x, char *const *argv, struct zo_guest_exec *e);
/* A command in the target for its exit status (>= 0, 128+N when signal N
 * ended it; -errno, the run's reason set, when it could not run); *ret_line, when not NULL, the first
 * line of its output when it exited 0, else NULL. */
int zo_texp_guest_status(struct zo_texp *x, char *const *argv, char **ret_line);
/* `sh -c script` in the target; a failure (exit status != 0) is the
 * run's, named `what` with the start of its stderr. */
int zo_texp_sh(struct zo_texp *x, const char *what, const char *script);
/* The target's /proc/meminfo into m, and into the run's EXT file when
 * `ext` is not NULL; a failure is the run's. */
int zo_texp_meminfo(struct zo_texp *x, const char *ext, struct zo_meminfo *m);
/* The NAS CG program in the target's PATH (NPB 3.4: not packaged
 * anywhere): the first found of `names` (NULL-terminated) into *path, else
 * the run is refused (-EPERM, exit 3) naming them and saying how to get
 * it. */
int zo_texp_nas_cg(struct zo_texp *x, const char *const *names, char **path);
/* memcached -m MB -d -u root -f 1.11 in the target (with -M when
 * `no_evict`), after vm.max_map_count = 1e9, listening on port 11211
 * before this returns (it detaches before it listens). */
int zo_texp_memcached(struct zo_texp *x, unsigned long long mb, bool no_evict);
/* The next vCPU to pin a program to, as text (free it). */
char *zo_texp_next_core(struct zo_texp *x);
/* .sim with the target's meminfo and whole kernel log (written to
 * /results/.zsim-dmesg in the target first), taken while it runs. */
int zo_texp_write_sim(struct zo_texp *x);
/* Copy guest_path out of the target into the run's EXT file, created new
 * in the directory the run opened (never through a link); a failure is
 * the phase's, with zo_texp_failed's wording. */
int zo_texp_fetch(struct zo_texp *x, const char *guest_path, const char *ext);
/* The usual collect phase: each pair (guest path, extension) of `files`
 * (NULL-terminated) fetched with zo_texp_fetch, then .sim. */
int zo_texp_collect(struct zo_texp *x, const char *const *files);
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
/* zo_texp_run of the experiment's state `x`, `size` bytes that begin
 * with its struct zo_texp, zeroed first, its run `run`. */
int zo_texp_run_new(struct zo_run *run, void *x, size_t size, const struct zo_texp_steps *s);

/* Named phases run in order until one fails (zo_texp_phase), for an
 * experiment whose phases are not zo_texp_run's; then zo_texp_finish. */
struct zo_texp_phase_fn {
	const char *name;
	int (*fn)(struct zo_texp *x);
};
int zo_texp_run_phases(struct zo_texp *x, const struct zo_texp_phase_fn *p, size_t n);

#endif
