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
#define ZO_RES_MAX_FILES 2

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
	const char *unit; /* "pages/s", "ns", "cycles", "%", "GiB", "puts/s" */
};

/* A figure kind: what is plotted against what. */
struct zo_rfigure {
	const char *name; /* file names: <format>-<name>.png */
	const char *title;
	const char *xlabel, *ylabel;
	bool xlog, ylog;
	const char *key_pos; /* gnuplot's "set key" position */
	bool points;	     /* dots, as the old scripts drew operations, not lines */
};

/* One curve: at most a few thousand points, whatever the data's size.
 * `label` names it among one set's curves ("local", "order 9"); NULL
 * when the set has one curve on the figure. */
struct zo_rseries {
	double *x, *y;
	size_t n;
	char *label;
};

/* A set's curves on one figure. */
struct zo_rcurves {
	struct zo_rseries *v;
	size_t n;
};
void zo_rcurves_release(struct zo_rcurves *c);
/* Room for n curves of up to `points` points each; 0 or -ENOMEM. */
int zo_rcurves_alloc(struct zo_rcurves *c, size_t n, size_t points);

struct zo_rset;

/* A data format: the files streamed (data_ext, and exts[1] when it
 * reads two), its headline figures (heads[0] is the one `results ls`
 * shows: computed by quick() from the first file's first and last bytes
 * when the format has one, else by reading small files whole), its
 * figures, and the streaming accumulator that computes everything else
 * in bounded memory. */
struct zo_rformat {
	const char *name; /* "time_mmap_touch" */
	const char *data_ext;
	const char *exts[ZO_RES_MAX_FILES]; /* every file read; exts[0] is data_ext */
	bool needs_tsc;			    /* its figures put cycles on a time axis */
	const struct zo_rhead_def *heads;
	size_t n_heads;
	const struct zo_rfigure *figures;
	size_t n_figures;
	/* heads[0] and an early truncation check; sets s->broken when the
	 * file cannot be this format. `size` is the whole file's. */
	void (*quick)(struct zo_rset *s, const char *head, size_t head_len, const char *tail,
		      size_t tail_len, uint64_t size);
	void *(*open)(void);
	/* Chunks of file `file` (an index into exts), each file in order;
	 * any chunking gives the same result. */
	void (*feed)(void *acc, size_t file, const char *buf, size_t len);
	/* Every headline figure, or s->broken with the first problem. */
	void (*finish)(void *acc, struct zo_rset *s);
	/* After finish: the curves of one figure. 0, -ENOMEM, or -EDOM with
	 * what the set lacks for it (unplottable() says what). */
	int (*series)(void *acc, const struct zo_rset *s, size_t figure, struct zo_rcurves *ret);
	void (*close)(void *acc);
	/* Why the set's figures cannot be drawn (NULL: they can), beyond
	 * needs_tsc. Optional. */
	const char *(*unplottable)(const struct zo_rset *s);
};

/* The number of files a format reads. */
size_t zo_rformat_nfiles(const struct zo_rformat *f);

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

/* The format of an experiment's data files, from the experiment and the
 * names the run gave its workload (NULL-terminated), or NULL for none. */
const struct zo_rformat *zo_rformat_for(const char *experiment, const char *const *names);
extern const struct zo_rformat zo_rformat_touch;
/* memcached_gen_data's and redis_gen_data's .out (exp00000 -m/-r,
 * exp00010 memcached, exp00009 -m), time_loop's .out (exp00002 -t,
 * exp00010), locality_mem_access's .local and .nonlocal, exp00007's
 * buddyinfo samples, exp00005's .vmstat and .zswapstats: results_fmt.c. */
extern const struct zo_rformat zo_rformat_memcached, zo_rformat_redis, zo_rformat_time_loop,
	zo_rformat_locality, zo_rformat_buddyinfo, zo_rformat_vmstat;
/* memcached_and_capture_thp's .out (compaction counters) and exp00003's
 * .memcached_latency; exp00004 (bare metal) only the .out. */
extern const struct zo_rformat zo_rformat_compaction, zo_rformat_compaction_bare;

/* ---- pieces the formats share ---- */

/* Log-spaced histogram of whole numbers: 128 buckets per power of two,
 * exact below 256; percentiles within 0.4 %, 58 KiB, deterministic. */
#define ZO_RHIST_SUB_BITS 7
#define ZO_RHIST_N ((64 - ZO_RHIST_SUB_BITS + 1) << ZO_RHIST_SUB_BITS)
struct zo_rhist {
	uint64_t count[ZO_RHIST_N];
	uint64_t total, max;
};
void zo_rhist_add(struct zo_rhist *h, uint64_t v);
/* Nearest rank: the middle of the bucket holding it. */
double zo_rhist_quantile(const struct zo_rhist *h, double frac);
size_t zo_rhist_index(uint64_t v);
uint64_t zo_rhist_low(size_t i);
uint64_t zo_rhist_width(size_t i);
/* The CDF: (top of each non-empty bucket * scale, fraction at or below). */
int zo_rhist_cdf(const struct zo_rhist *h, double scale, struct zo_rseries *ret);

/* A curve thinned to at most ZO_RKEEP_MAX points as it streams: each
 * point stands for `stride` consecutive ones (the last of them, or with
 * `peak` the one with the largest y: spikes survive); stride doubles
 * whenever the buffer fills. */
#define ZO_RKEEP_MAX 2048
struct zo_rkeep {
	double x[ZO_RKEEP_MAX], y[ZO_RKEEP_MAX];
	size_t n;
	uint64_t stride, in_window;
	bool peak;
};
void zo_rkeep_init(struct zo_rkeep *k, bool peak);
void zo_rkeep_add(struct zo_rkeep *k, double x, double y);
/* Copy (scaled) into a series; 0 or -ENOMEM. */
int zo_rkeep_series(const struct zo_rkeep *k, double xs, double ys, struct zo_rseries *ret);

/* Lines of a streamed file, whatever the chunking: fn gets each complete
 * line (1-based number, text without the newline); a line longer than
 * ZO_RLINE_MAX is an error. The first error is kept in `error` ("line N:
 * ..."), and fn is not called after it. */
#define ZO_RLINE_MAX 512
struct zo_rlines {
	uint64_t line;
	char part[ZO_RLINE_MAX];
	size_t part_len;
	bool part_long;
	char *error;
};
typedef void (*zo_rline_fn)(void *acc, struct zo_rlines *l, const char *s, size_t len);
void zo_rlines_feed(struct zo_rlines *l, const char *buf, size_t len, zo_rline_fn fn, void *acc);
/* Record the first error of this file: "line N: ...". */
void zo_rlines_error(struct zo_rlines *l, const char *fmt, ...) ZO_PRINTF(2, 3);
/* At the end: sets s broken with this file's first problem (an error,
 * a last line without its newline, nothing at all when `empty_ok` is
 * false). Returns true when the file was fine. */
bool zo_rlines_check(struct zo_rlines *l, struct zo_rset *s, const char *ext, bool empty_ok);
void zo_rlines_release(struct zo_rlines *l);

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
/* Whether two sets can be compared: their data formats have the same
 * headline figures (a run and its bare-metal baseline, exp00010, or
 * memcached and redis), or neither has a data file and they are of one
 * experiment. */
bool zo_rsets_comparable(const struct zo_rset *a, const struct zo_rset *b);

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
int zo_rplot_data(const struct zo_rseries *const *series, size_t n, char *const *titles,
		  struct zo_strbuf *out);
void zo_rplot_ranges(const struct zo_rfigure *f, const struct zo_rseries *const *series, size_t n,
		     double ret[4]);
/* `terminal` is png, svg or pdf; paths are put in single quotes. */
char *zo_rplot_script(const struct zo_rfigure *f, const char *experiment, const char *terminal,
		      const char *out_path, const char *data_path, char *const *titles, size_t n,
		      const double range[4]);
/* The colour of curve i ("#0072b2"), as the script draws it. */
const char *zo_rplot_colour(size_t i);

#endif
