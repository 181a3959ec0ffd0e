/* Result sets read back: what `zsim-orch results` lists, compares, writes
 * as CSV and plots. A set is the files DIR/BASE.EXT of one run, identified
 * by its .params; its settings come from .params (never from the name),
 * its status from .err, its phase timings from .time, and its data file
 * (.out) is streamed in chunks into bounded summaries: the headline
 * figures and the series its figures plot. Each experiment's data format,
 * headline figures and figures are defined once, here.
 *
 * Pure: callers hand in file contents and get values and texts back. */
#ifndef ZO_CORE_RESULTS_H
#define ZO_CORE_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "util/str.h"

#define ZO_RES_MAX_HEADS 4

/* A flattened setting or fact: values as text ("4096", "true", "null",
 * "time_mmap_touch"). Kept sorted by key. */
struct zo_rkv {
	char *key;
	char *value;
};

struct zo_rkvs {
	struct zo_rkv *v;
	size_t n;
};

/* A headline figure: key (CSV column, JSON member), label and unit. */
struct zo_rhead_def {
	const char *key;
	const char *label;
	const char *unit; /* "pages/s", "ns" */
};

/* A figure kind: what is plotted against what. */
struct zo_rfigure {
	const char *name; /* file names: <format>-<name>.png */
	const char *title;
	const char *xlabel, *ylabel;
	bool xlog, ylog;
	const char *key_pos; /* gnuplot's "set key" position */
};

/* One curve: at most a few thousand points, whatever the data's size. */
struct zo_rseries {
	double *x, *y;
	size_t n;
};

struct zo_rset;

/* A data format: the file streamed, its headline figures (heads[0] is the
 * one `results ls` shows, computed by quick() from the file's first and
 * last bytes), its figures, and the streaming accumulator that computes
 * everything else in bounded memory. */
struct zo_rformat {
	const char *name; /* "time_mmap_touch" */
	const char *data_ext;
	const struct zo_rhead_def *heads;
	size_t n_heads;
	const struct zo_rfigure *figures;
	size_t n_figures;
	/* heads[0] and an early truncation check; sets s->broken when the
	 * file cannot be this format. `size` is the whole file's. */
	void (*quick)(struct zo_rset *s, const char *head, size_t head_len, const char *tail,
		      size_t tail_len, uint64_t size);
	void *(*open)(void);
	/* Any chunking of the file gives the same result. */
	void (*feed)(void *acc, const char *buf, size_t len);
	/* Every headline figure, or s->broken with the first problem. */
	void (*finish)(void *acc, struct zo_rset *s);
	/* After finish: the series of one figure. 0 or -ENOMEM. */
	int (*series)(void *acc, const struct zo_rset *s, size_t figure, struct zo_rseries *ret);
	void (*close)(void *acc);
};

/* One result set. */
struct zo_rset {
	char *dir;    /* where its files are */
	char *base;   /* their name without the extension */
	char *broken; /* why it cannot be read; NULL when it can */
	char *experiment;
	char *timestamp; /* as recorded: 2026-12-01T15:28:47+0000 */
	long long time;	 /* seconds since the epoch; 0 unknown */
	struct zo_rkvs settings;
	struct zo_rkvs facts; /* all else in .params, flattened: "kernel", "config.zswap.zpool" */
	bool failed;	      /* a .err exists */
	char *failed_phase, *failed_error;
	const struct zo_rformat *fmt; /* NULL: no data file to read */
	double tsc_khz;		      /* 0: not recorded */
	unsigned long long pages;     /* pages touched (0: not recorded) */
	unsigned long long pages_per_record; /* 0: derived from the counts */
	char *slurm_job, *slurm_task, *slurm_restart;
	double head[ZO_RES_MAX_HEADS];
	bool have_head[ZO_RES_MAX_HEADS];
};

void zo_rkvs_release(struct zo_rkvs *kv);
const char *zo_rkvs_get(const struct zo_rkvs *kv, const char *key);
void zo_rset_release(struct zo_rset *s);
/* Set s->broken (first reason wins); returns -EINVAL. */
int zo_rset_break(struct zo_rset *s, const char *fmt, ...) ZO_PRINTF(2, 3);

/* Fill experiment, timestamp, time, settings, format and the values its
 * format needs from a .params text (zsim's JSON, or the old runner's flat
 * map of JSON texts); with `all`, facts too. s->dir and s->base must be
 * set. Sets s->broken when the text is not a .params. */
int zo_rset_parse_params(struct zo_rset *s, const char *text, bool all);
/* Status from a .err text: "phase: X\nerror: Y\n". */
int zo_rset_parse_err(struct zo_rset *s, const char *text);

/* The format of an experiment's data file, or NULL for none. */
const struct zo_rformat *zo_rformat_for(const char *experiment, const struct zo_rkvs *settings);
extern const struct zo_rformat zo_rformat_touch;

/* Phase timings from a .time text: "label: 1.234 s", or the old runner's
 * Rust durations "label: 93.514234151s" / "850.3ms". */
struct zo_rtiming {
	char *name;
	double seconds;
};
int zo_rtimings_parse(const char *text, struct zo_rtiming **ret, size_t *ret_n);
void zo_rtimings_free(struct zo_rtiming *t, size_t n);

/* "2026-12-01T15:28:47+0000" (or +00:00, Z) to seconds since the epoch. */
int zo_rtime_parse(const char *text, long long *ret);

/* The settings keys whose values differ between the readable sets
 * (missing counts as a value), sorted. Returns the count or -ENOMEM. */
int zo_rsets_varying(const struct zo_rset *const *sets, size_t n, char ***ret);
/* "vm_size=4096 cores=2": the given keys of one set. */
char *zo_rset_describe(const struct zo_rset *s, char *const *keys);
/* Whether the set passes --exp, --since and each --where KEY=VALUE (KEY
 * a setting, else a fact). */
bool zo_rset_matches(const struct zo_rset *s, const char *exp, long long since,
		     char *const *where);

/* Two sets' settings (or facts) side by side: every key of either, sorted;
 * a or b NULL where that set has none. Pointers into a and b. */
struct zo_rdiff {
	const char *key;
	const char *a, *b;
	bool differs;
};
int zo_rkvs_diff(const struct zo_rkvs *a, const struct zo_rkvs *b, struct zo_rdiff **ret,
		 size_t *ret_n);
/* What a user must see before trusting a set: host conditioning that was
 * not as 0sim runs need it (a CPU governor other than performance). One
 * line per finding, or NULL when there is none. */
char *zo_rset_notes(const struct zo_rset *s);

/* One headline figure as text, with its unit: "81,391 pages/s", "1.23 µs";
 * "-" when not known. */
void zo_rhead_format(const struct zo_rhead_def *d, bool have, double v, char *buf, size_t len);
/* "ok", "failed (workload)", "broken: <why>". */
char *zo_rset_status(const struct zo_rset *s);

/* A CSV field per RFC 4180: quoted when it holds a comma, quote, CR or
 * LF (quotes doubled). */
int zo_csv_field(struct zo_strbuf *sb, const char *field);
/* The whole CSV: a header, then a row per set: time, experiment, status,
 * failed phase, error, each varying setting, every headline figure of the
 * sets' formats, the Slurm identity and the path. CRLF line ends. */
int zo_rcsv(const struct zo_rset *const *sets, size_t n, struct zo_strbuf *out);

/* A set as JSON: with `all`, its facts too; with `t`, its timings. */
json_object *zo_rset_json(const struct zo_rset *s, bool all, const struct zo_rtiming *t,
			  size_t nt);
/* `results ls --json`: the directory, the varying keys, the sets. */
json_object *zo_rsets_json(const struct zo_rset *const *v, size_t n, char *const *keys,
			   const char *dir);
/* `results compare --json`: both sets whole, and the keys that differ. */
json_object *zo_rcompare_json(const struct zo_rset *s, const struct zo_rtiming *const *t,
			      const size_t *nt);

/* Gnuplot: the data file of one figure (a block per set, blocks two blank
 * lines apart, read with `index`), its axis ranges, and the script. */
int zo_rplot_data(const struct zo_rseries *series, size_t n, char *const *titles,
		  struct zo_strbuf *out);
void zo_rplot_ranges(const struct zo_rfigure *f, const struct zo_rseries *series, size_t n,
		     double ret[4]);
/* `terminal` is png, svg or pdf; paths are put in single quotes. */
char *zo_rplot_script(const struct zo_rfigure *f, const char *experiment, const char *terminal,
		      const char *out_path, const char *data_path, char *const *titles, size_t n,
		      const double range[4]);
/* The colour of curve i ("#0072b2"), as the script draws it. */
const char *zo_rplot_colour(size_t i);

#endif
