/* Result sets on disk: found by their .params files in a results
 * directory, a spool's per-run directories (RESULTS/NAME-ID/) or a Slurm
 * sweep (SHARED/<sweep>/<name>-<job>_<task>-r<N>/); read with bounded
 * memory (data files are streamed); plotted by writing gnuplot's data and
 * script and running gnuplot. The formats and figures: core/results.h. */
#ifndef ZO_OPS_RESULTS_H
#define ZO_OPS_RESULTS_H

#include <stddef.h>

#include "core/results.h"
#include "util/ctx.h"

struct zo_results {
	struct zo_rset *sets;
	size_t n;
};

enum {
	ZO_RSCAN_FACTS = 1 << 0, /* every fact of .params, not only what ls shows */
	ZO_RSCAN_NAMES = 1 << 1, /* only where the sets are: read no file */
};

/* [paths] results under the root. NULL when out of memory. */
char *zo_results_default_dir(struct zo_ctx *ctx);

/* Every result set in `dir` and the directories below it (three levels),
 * sorted by time, each read as `results ls` shows it: settings, status
 * from .err, the first headline figure from the data file's first and
 * last bytes. A set that cannot be read is in the list with ->broken set.
 * -ENOENT (message set) when `dir` holds no result set. */
int zo_results_scan(struct zo_ctx *ctx, const char *dir, unsigned flags, struct zo_results *ret);
void zo_results_release(struct zo_results *r);

/* One set, named by a path (its .params, any of its files, DIR/BASE, the
 * RESULTS: line's DIR/BASE.*, or a directory holding one set) or by name
 * (BASE, or its run directory's name) in `dir`. Read with every fact.
 * -ENOENT / -EINVAL (ambiguous) with the message set. */
int zo_results_find(struct zo_ctx *ctx, const char *dir, const char *name, struct zo_rset *ret);

/* Stream the set's data file in chunks: every headline figure. A file
 * that does not parse marks the set broken (returns 0: that is a fact
 * about the set). */
int zo_results_measure(struct zo_ctx *ctx, struct zo_rset *s);

/* The set's .time (none: 0 entries). */
int zo_results_timings(struct zo_ctx *ctx, const struct zo_rset *s, struct zo_rtiming **ret,
		       size_t *ret_n);
/* The names of the set's files (BASE.EXT), sorted. */
int zo_results_files(struct zo_ctx *ctx, const struct zo_rset *s, char ***ret);

/* --since: YYYY-MM-DD[THH:MM[:SS]] in local time, or N followed by m, h
 * or d (that long ago). */
int zo_results_since(struct zo_ctx *ctx, const char *text, long long *ret);

/* Write `text` to `path`, replacing it whole. */
int zo_results_write(struct zo_ctx *ctx, const char *path, const char *text);

/* Every figure of the sets' format into `outdir` (created if missing):
 * <format>-<figure>.{dat,gp} and the image gnuplot draws from them,
 * `terminal` png, svg or pdf. Each set's data file is streamed once.
 * Returns the images' paths. */
int zo_results_plot(struct zo_ctx *ctx, struct zo_rset *sets, size_t n, const char *outdir,
		    const char *terminal, char ***ret_images);

#endif
