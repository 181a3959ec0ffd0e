/* The experiments `zsim-orch run` knows (core/experiment.h declares the
 * list): each defined in its own exp/<name>.c. Adding one is its file, its
 * line below, and its source in orchestrator/CMakeLists.txt. */
#include "core/experiment.h"
#include "util/macros.h"

#include "util/banned.h"

/* One line per experiment, in the order `run --list` shows them. */
#define ZO_EXPERIMENTS(X) \
	X(exp00000)       \
	X(exp00002)       \
	X(exp00003)       \
	X(exp00004)       \
	X(exp00005)       \
	X(exp00006)       \
	X(exp00007)       \
	X(exp00008)       \
	X(exp00009)       \
	X(exp00010)       \
	X(noop)

#define DECLARE(name) extern const struct zo_experiment zo_exp_##name;
#define ENTRY(name) &zo_exp_##name,

ZO_EXPERIMENTS(DECLARE)

const struct zo_experiment *const zo_experiments[] = { ZO_EXPERIMENTS(ENTRY) };
const size_t zo_n_experiments = ZO_ARRAY_SIZE(zo_experiments);
