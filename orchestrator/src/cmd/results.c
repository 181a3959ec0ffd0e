/* zsim-orch results: look at result sets: list, show, CSV, plot,
 * compare. Finding, reading and plotting: ops/results.h; formats,
 * headline figures and figures: core/results.h. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "ops/results.h"
#include "util/json.h"
#include "util/str.h"

#include "util/banned.h"

struct opts {
	const char *exp;
	long long since;
	char **where; /* KEY=VALUE..., NULL-terminated */
	size_t nwhere;
	const char *out;
	const char *format;
};

/* The options `allowed` (their short letters) of one subcommand: -1 to go
 * on with optind at the operands, else the exit code. */
static int parse_opts(struct zo_ctx *ctx, const char *what, const char *allowed, int argc,
		      char **argv, struct opts *o)
{
	static const struct option opts[] = {
		{ "exp", required_argument, NULL, 'E' },   { "since", required_argument, NULL, 'S' },
		{ "where", required_argument, NULL, 'W' }, { "json", no_argument, NULL, 'j' },
		{ "out", required_argument, NULL, 'o' },   { "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },	   { NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->format = "png";
	o->where = calloc((size_t)argc + 1, sizeof(char *));
	if (!o->where)
		return ZO_EXIT_FAILED;
	optind = 0;
	opterr = 0;
	/* options may follow the operands: results plot A B --out DIR */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			zo_cmd_print_usage(&zo_cmd_results, stdout);
			return ZO_EXIT_OK;
		}
		if (c == '?' || c == ':' || !strchr(allowed, c))
			return zo_usage_error(ctx, &zo_cmd_results, "unknown option '%s' for '%s'",
					      argv[optind - 1], what);
		if (c == 'W' && !strchr(optarg, '='))
			return zo_usage_error(ctx, &zo_cmd_results, "--where %s: give KEY=VALUE",
					      optarg);
		if (c == 'f' && strcmp(optarg, "png") && strcmp(optarg, "svg") &&
		    strcmp(optarg, "pdf"))
			return zo_usage_error(ctx, &zo_cmd_results, "--format %s: use png, svg or pdf",
					      optarg);
		if (c == 'S' && zo_results_since(ctx, optarg, &o->since) < 0)
			return zo_exit_code(ctx, -EINVAL);
		o->exp = c == 'E' ? optarg : o->exp;
		o->out = c == 'o' ? optarg : o->out;
		o->format = c == 'f' ? optarg : o->format;
		ctx->json = ctx->json || c == 'j';
		if (c == 'W')
			o->where[o->nwhere++] = optarg;
	}
	return -1;
}

/* The sets of `all` that pass the filters, in order. */
static const struct zo_rset **select_sets(const struct zo_results *all, const struct opts *o,
					  size_t *ret_n)
{
	const struct zo_rset **v = calloc(all->n + 1, sizeof(*v));
	bool filtered = o->exp || o->since || o->nwhere;
	size_t i;

	*ret_n = 0;
	for (i = 0; v && i < all->n; i++)
		if (!filtered || zo_rset_matches(&all->sets[i], o->exp, o->since, o->where))
			v[(*ret_n)++] = &all->sets[i];
	return v;
}

/* The directory operand, or [paths] results. */
static char *dir_operand(struct zo_ctx *ctx, int argc, char **argv)
{
	return optind < argc ? strdup(argv[optind]) : zo_results_default_dir(ctx);
}

static void print_row(const int *w, const char *const *col)
{
	printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", w[0], col[0], w[1], col[1], w[2], col[2],
	       w[3], col[3], w[4], col[4], col[5]);
}

/* One row of the listing's text; `buf` holds the headline figure. */
static void ls_cells(const struct zo_rset *s, char **keys, char **cells, char *buf, size_t len)
{
	cells[0] = zo_asprintf("%.10s %.8s", s->timestamp ? s->timestamp : "-",
			       s->timestamp && strlen(s->timestamp) > 11 ? s->timestamp + 11 : "");
	cells[1] = zo_rset_describe(s, keys);
	cells[2] = s->broken ? strdup("broken") : zo_rset_status(s);
	zo_rhead_format(s->fmt ? &s->fmt->heads[0] : NULL, s->fmt && s->have_head[0], s->head[0],
			buf, len);
	cells[3] = zo_asprintf("%s/%s", s->dir, s->base);
}

static void print_listing(const struct zo_rset **v, size_t n, char **keys)
{
	int w[5] = { 19, 10, 8, 6, 8 };
	char *(*cells)[4] = calloc(n + 1, sizeof(*cells));
	char (*heads)[48] = calloc(n + 1, sizeof(*heads));
	size_t i, k;

	for (i = 0; cells && heads && i < n; i++) {
		ls_cells(v[i], keys, cells[i], heads[i], sizeof(heads[i]));
		w[1] = (int)strlen(v[i]->experiment ? v[i]->experiment : "-") > w[1]
			       ? (int)strlen(v[i]->experiment) : w[1];
		for (k = 1; k < 3; k++)
			if (cells[i][k] && (int)strlen(cells[i][k]) > w[k + 1])
				w[k + 1] = (int)strlen(cells[i][k]);
		w[4] = (int)strlen(heads[i]) > w[4] ? (int)strlen(heads[i]) : w[4];
	}
	print_row(w, (const char *const[]){ "TIME", "EXPERIMENT", "SETTINGS", "STATUS",
					    "HEADLINE", "PATH" });
	for (i = 0; cells && heads && i < n; i++) {
		const char *col[6] = { cells[i][0], v[i]->experiment ? v[i]->experiment : "-",
				       cells[i][1] && *cells[i][1] ? cells[i][1] : "-",
				       cells[i][2], heads[i], cells[i][3] };

		print_row(w, col);
		for (k = 0; k < 4; k++)
			free(cells[i][k]);
	}
	free(cells);
	free(heads);
}

static int results_ls(struct zo_ctx *ctx, int argc, char **argv)
{
	struct opts o;
	struct zo_results all = { NULL, 0 };
	const struct zo_rset **v = NULL;
	_cleanup_free_ char *dir = NULL;
	char **keys = NULL;
	size_t n = 0, i;
	int r = parse_opts(ctx, "results ls", "ESWj", argc, argv, &o);

	if (r >= 0)
		goto out;
	if (argc - optind > 1) {
		r = zo_usage_error(ctx, &zo_cmd_results, "'results ls' takes at most one directory");
		goto out;
	}
	dir = dir_operand(ctx, argc, argv);
	r = dir ? zo_results_scan(ctx, dir, o.nwhere ? ZO_RSCAN_FACTS : 0, &all) : -ENOMEM;
	v = r < 0 ? NULL : select_sets(&all, &o, &n);
	if (v && zo_rsets_varying(v, n, &keys) >= 0) {
		if (ctx->json) {
			zo_print_json("results.ls", zo_rsets_json(v, n, keys, dir));
		} else {
			print_listing(v, n, keys);
		}
		for (i = 0; i < n; i++)
			if (v[i]->broken)
				zo_warn(&ctx->log, "%s/%s: %s", v[i]->dir, v[i]->base, v[i]->broken);
		if (!n)
			zo_warn(&ctx->log, "no result set in %s passes the filters", dir);
	}
	r = zo_exit_code(ctx, r < 0 ? r : v && keys ? 0 : -ENOMEM);
out:
	zo_strv_free(keys);
	free(v);
	free(o.where);
	zo_results_release(&all);
	return r;
}

static int results_csv(struct zo_ctx *ctx, int argc, char **argv)
{
	struct opts o;
	struct zo_results all = { NULL, 0 };
	struct zo_strbuf csv = { 0 };
	const struct zo_rset **v = NULL;
	_cleanup_free_ char *dir = NULL;
	size_t n = 0, i;
	int r = parse_opts(ctx, "results csv", "ESWo", argc, argv, &o);

	if (r >= 0)
		goto out;
	if (argc - optind > 1) {
		r = zo_usage_error(ctx, &zo_cmd_results, "'results csv' takes at most one directory");
		goto out;
	}
	dir = dir_operand(ctx, argc, argv);
	r = dir ? zo_results_scan(ctx, dir, o.nwhere ? ZO_RSCAN_FACTS : 0, &all) : -ENOMEM;
	v = r < 0 ? NULL : select_sets(&all, &o, &n);
	/* every headline figure: each data file streamed once */
	for (i = 0; v && r >= 0 && i < n; i++)
		r = zo_results_measure(ctx, (struct zo_rset *)v[i]);
	if (r >= 0)
		r = v && zo_rcsv(v, n, &csv) >= 0 ? 0 : -ENOMEM;
	if (r >= 0 && o.out)
		r = zo_results_write(ctx, o.out, csv.buf);
	if (r >= 0 && o.out)
		printf("wrote %s: %zu result set%s\n", o.out, n, n == 1 ? "" : "s");
	else if (r >= 0)
		fputs(csv.buf, stdout);
	r = zo_exit_code(ctx, r);
out:
	zo_strbuf_release(&csv);
	free(v);
	free(o.where);
	zo_results_release(&all);
	return r;
}

/* A named set, with every headline figure. */
static int find_set(struct zo_ctx *ctx, const char *name, struct zo_rset *ret)
{
	_cleanup_free_ char *dir = zo_results_default_dir(ctx);
	int r = dir ? zo_results_find(ctx, dir, name, ret) : -ENOMEM;

	if (r >= 0)
		r = zo_results_measure(ctx, ret);
	return r;
}

/* Which section of `show` a fact belongs to: 1 host conditioning (as
 * the run harness records it), 2 the config in force, 0 the rest. */
static int fact_group(const char *key)
{
	if (zo_startswith(key, "config."))
		return 2;
	return zo_startswith(key, "conditioning.") || zo_startswith(key, "host_conditioning.");
}

static void print_kvs(const char *title, const struct zo_rkvs *kv, int group)
{
	bool any = false;
	size_t i;

	for (i = 0; i < kv->n; i++) {
		if (group >= 0 && fact_group(kv->v[i].key) != group)
			continue;
		if (!any)
			printf("%s\n", title);
		any = true;
		printf("  %-36s %s\n", kv->v[i].key, kv->v[i].value);
	}
}

static void print_heads(const struct zo_rset *s)
{
	char buf[64];
	size_t i;

	for (i = 0; s->fmt && i < s->fmt->n_heads; i++) {
		zo_rhead_format(&s->fmt->heads[i], s->have_head[i], s->head[i], buf, sizeof(buf));
		printf("%s  %-36s %s\n", i ? "" : "headline figures\n", s->fmt->heads[i].label, buf);
	}
}

static void show_text(const struct zo_rset *s, const struct zo_rtiming *t, size_t nt,
		      char **files)
{
	_cleanup_free_ char *status = zo_rset_status(s), *notes = zo_rset_notes(s);
	size_t i;

	printf("result set  %s/%s\nexperiment  %s\ntime        %s\nstatus      %s\n", s->dir,
	       s->base, s->experiment ? s->experiment : "-", s->timestamp ? s->timestamp : "-",
	       status ? status : "?");
	if (s->failed_error)
		printf("error       %s\n", s->failed_error);
	if (notes)
		printf("note        %s", notes);
	print_kvs("settings", &s->settings, -1);
	print_heads(s);
	for (i = 0; i < nt; i++)
		printf("%s  %-36s %.3f s\n", i ? "" : "phase timings\n", t[i].name, t[i].seconds);
	print_kvs("host conditioning", &s->facts, 1);
	print_kvs("run facts", &s->facts, 0);
	print_kvs("config in force", &s->facts, 2);
	for (i = 0; files && files[i]; i++)
		printf("%s  %s/%s\n", i ? "" : "files\n", s->dir, files[i]);
}

static int results_show(struct zo_ctx *ctx, int argc, char **argv)
{
	struct opts o;
	struct zo_rset s = { 0 };
	struct zo_rtiming *t = NULL;
	char **files = NULL;
	size_t nt = 0, i;
	int r = parse_opts(ctx, "results show", "j", argc, argv, &o);

	free(o.where);
	if (r >= 0)
		return r;
	if (argc - optind != 1)
		return zo_usage_error(ctx, &zo_cmd_results, "'results show' takes one result set");
	r = find_set(ctx, argv[optind], &s);
	if (r >= 0)
		r = zo_results_timings(ctx, &s, &t, &nt);
	if (r >= 0)
		r = zo_results_files(ctx, &s, &files);
	if (r >= 0 && ctx->json) {
		json_object *j = zo_rset_json(&s, true, t, nt), *a = json_object_new_array();

		for (i = 0; files[i]; i++)
			json_object_array_add(a, json_object_new_string(files[i]));
		json_object_object_add(j, "files", a);
		zo_print_json("results.show", j);
	} else if (r >= 0) {
		show_text(&s, t, nt, files);
	}
	r = zo_exit_code(ctx, r);
	/* shown as far as it can be read, and still a failure */
	if (r == ZO_EXIT_OK && s.broken) {
		zo_error(ctx, "%s/%s is broken: %s", s.dir, s.base, s.broken);
		r = ZO_EXIT_FAILED;
	}
	zo_strv_free(files);
	zo_rtimings_free(t, nt);
	zo_rset_release(&s);
	return r;
}

static int results_plot(struct zo_ctx *ctx, int argc, char **argv)
{
	struct opts o;
	struct zo_rset *sets = NULL;
	char **images = NULL;
	int r = parse_opts(ctx, "results plot", "of", argc, argv, &o), i, n = argc - optind;

	free(o.where);
	if (r >= 0)
		return r;
	if (n < 1)
		return zo_usage_error(ctx, &zo_cmd_results, "'results plot' needs a result set");
	sets = calloc((size_t)n, sizeof(*sets));
	r = sets ? 0 : -ENOMEM;
	for (i = 0; r >= 0 && i < n; i++) {
		_cleanup_free_ char *dir = zo_results_default_dir(ctx);

		r = dir ? zo_results_find(ctx, dir, argv[optind + i], &sets[i]) : -ENOMEM;
	}
	if (r >= 0)
		r = zo_results_plot(ctx, sets, (size_t)n, o.out ? o.out : ".", o.format, &images);
	for (i = 0; r >= 0 && images[i]; i++)
		printf("%s\n", images[i]);
	zo_strv_free(images);
	for (i = 0; sets && i < n; i++)
		zo_rset_release(&sets[i]);
	free(sets);
	return zo_exit_code(ctx, r);
}

/* Rows of two sets side by side, '*' where they differ; only the
 * differing ones when `all` is false. */
static void compare_kvs(const char *title, const struct zo_rkvs *a, const struct zo_rkvs *b,
			bool all)
{
	struct zo_rdiff *d = NULL;
	size_t n = 0, i, shown = 0;

	if (zo_rkvs_diff(a, b, &d, &n) < 0)
		return;
	for (i = 0; i < n; i++) {
		if (!all && !d[i].differs)
			continue;
		if (!shown++)
			printf("%-36s %-30s %s\n", title, "A", "B");
		printf("%c %-34s %-30s %s\n", d[i].differs ? '*' : ' ', d[i].key,
		       d[i].a ? d[i].a : "(none)", d[i].b ? d[i].b : "(none)");
	}
	if (!shown)
		printf("%s: all %zu the same\n", title, n);
	free(d);
}

static void compare_heads(const struct zo_rset *a, const struct zo_rset *b)
{
	char x[64], y[64];
	size_t i;

	/* memcached and redis share theirs */
	if (!a->fmt || !b->fmt || a->fmt->heads != b->fmt->heads)
		return;
	printf("%-36s %-30s %-30s %s\n", "headline figures", "A", "B", "B/A");
	for (i = 0; i < a->fmt->n_heads; i++) {
		zo_rhead_format(&a->fmt->heads[i], a->have_head[i], a->head[i], x, sizeof(x));
		zo_rhead_format(&a->fmt->heads[i], b->have_head[i], b->head[i], y, sizeof(y));
		printf("  %-34s %-30s %-30s ", a->fmt->heads[i].label, x, y);
		if (a->have_head[i] && b->have_head[i] && a->head[i] > 0)
			printf("%.3f\n", b->head[i] / a->head[i]);
		else
			printf("-\n");
	}
}

static void compare_timings(const struct zo_rtiming *ta, size_t na, const struct zo_rtiming *tb,
			    size_t nb)
{
	size_t i, j;

	printf("%-36s %-30s %-30s %s\n", "phase timings (s)", "A", "B", "B/A");
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb && strcmp(ta[i].name, tb[j].name); j++)
			;
		printf("  %-34s %-30.3f ", ta[i].name, ta[i].seconds);
		if (j == nb)
			printf("%-30s -\n", "(none)");
		else if (ta[i].seconds > 0)
			printf("%-30.3f %.3f\n", tb[j].seconds, tb[j].seconds / ta[i].seconds);
		else
			printf("%-30.3f -\n", tb[j].seconds);
	}
}

static void compare_text(const struct zo_rset *s, const struct zo_rtiming *const *t,
			 const size_t *nt)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		_cleanup_free_ char *status = zo_rset_status(&s[i]), *notes = zo_rset_notes(&s[i]);

		printf("%c  %s/%s\n   %s, %s, %s\n", 'A' + (int)i, s[i].dir, s[i].base,
		       s[i].experiment ? s[i].experiment : "-",
		       s[i].timestamp ? s[i].timestamp : "-", status ? status : "?");
		if (notes)
			printf("   note: %s", notes);
	}
	compare_kvs("settings", &s[0].settings, &s[1].settings, true);
	compare_heads(&s[0], &s[1]);
	compare_timings(t[0], nt[0], t[1], nt[1]);
	compare_kvs("host conditioning and run facts (differences)", &s[0].facts, &s[1].facts,
		    false);
}

/* Two readable sets that measure different things are a usage error. */
static bool compare_refused(struct zo_ctx *ctx, const struct zo_rset *s, char **names)
{
	if (s[0].broken || s[1].broken || zo_rsets_comparable(&s[0], &s[1]))
		return false;
	zo_usage_error(ctx, &zo_cmd_results,
		       "cannot compare %s (%s, %s) with %s (%s, %s): they measure different "
		       "things; compare two runs of one experiment, or a run with its bare-metal "
		       "baseline (exp00010) of the same workload",
		       names[0], s[0].experiment ? s[0].experiment : "?",
		       s[0].fmt ? s[0].fmt->name : "no data file", names[1],
		       s[1].experiment ? s[1].experiment : "?",
		       s[1].fmt ? s[1].fmt->name : "no data file");
	return true;
}

static int results_compare(struct zo_ctx *ctx, int argc, char **argv)
{
	struct opts o;
	struct zo_rset s[2];
	struct zo_rtiming *t[2] = { NULL, NULL };
	size_t nt[2] = { 0, 0 }, i;
	int r = parse_opts(ctx, "results compare", "j", argc, argv, &o);

	free(o.where);
	if (r >= 0)
		return r;
	if (argc - optind != 2)
		return zo_usage_error(ctx, &zo_cmd_results, "'results compare' takes two result sets");
	memset(s, 0, sizeof(s));
	for (i = 0, r = 0; i < 2 && r >= 0; i++)
		r = find_set(ctx, argv[optind + (int)i], &s[i]);
	if (r >= 0 && compare_refused(ctx, s, argv + optind)) {
		for (i = 0; i < 2; i++)
			zo_rset_release(&s[i]);
		return ZO_EXIT_USAGE;
	}
	for (i = 0; i < 2 && r >= 0; i++)
		r = zo_results_timings(ctx, &s[i], &t[i], &nt[i]);
	if (r >= 0 && ctx->json) {
		zo_print_json("results.compare",
			      zo_rcompare_json(s, (const struct zo_rtiming *const *)t, nt));
	} else if (r >= 0) {
		compare_text(s, (const struct zo_rtiming *const *)t, nt);
	}
	r = zo_exit_code(ctx, r);
	for (i = 0; i < 2; i++) {
		if (r != ZO_EXIT_USAGE && s[i].broken) {
			zo_error(ctx, "%s/%s is broken: %s", s[i].dir, s[i].base, s[i].broken);
			r = ZO_EXIT_FAILED;
		}
		zo_rtimings_free(t[i], nt[i]);
		zo_rset_release(&s[i]);
	}
	return r;
}

static const struct zo_opt json_opt[] = { { "json", 0, NULL }, { NULL, 0, NULL } };
static const struct zo_opt ls_opts[] = {
	{ "exp", 0, "EXP" }, { "since", 0, "WHEN" }, { "where", 0, "KEY=VALUE" }, { "json", 0, NULL },
	{ NULL, 0, NULL },
};
static const struct zo_opt csv_opts[] = {
	{ "out", 0, "FILE" }, { "exp", 0, "EXP" }, { "since", 0, "WHEN" }, { "where", 0, "KEY=VALUE" },
	{ NULL, 0, NULL },
};
static const struct zo_opt plot_opts[] = {
	{ "out", 0, "DIR" }, { "format", 0, "png|svg|pdf" }, { NULL, 0, NULL },
};
static const struct zo_subcmd subs[] = {
	{ "compare", results_compare, 0, json_opt, "SET SET" },
	{ "csv", results_csv, 0, csv_opts, "[DIR]" },
	{ "ls", results_ls, 0, ls_opts, "[DIR]" },
	{ "plot", results_plot, 0, plot_opts, "SET..." },
	{ "show", results_show, 0, json_opt, "SET" },
};

static int cmd_results(struct zo_ctx *ctx, int argc, char **argv)
{
	return zo_dispatch_sub(ctx, &zo_cmd_results, subs, ZO_ARRAY_SIZE(subs), argc, argv);
}

const struct zo_cmd zo_cmd_results = {
	.name = "results",
	.fn = cmd_results,
	.summary = "list, show, compare and plot result sets",
	.usage = "zsim-orch results ls [DIR] [--exp EXP] [--since WHEN] [--where KEY=VALUE]...\n"
		 "       zsim-orch results show SET\n"
		 "       zsim-orch results csv [DIR] [--out FILE] [--exp EXP] [--since WHEN]\n"
		 "                             [--where KEY=VALUE]...\n"
		 "       zsim-orch results plot SET... [--out DIR] [--format png|svg|pdf]\n"
		 "       zsim-orch results compare A B\n"
		 "\n"
		 "A result set is the files one run wrote (BASE.params, .out, .time, .sim,\n"
		 ".err), found by its .params in DIR (default [paths] results) and the\n"
		 "directories below it: a spool's per-run directories and a Slurm sweep's\n"
		 "SHARED/<sweep>/<name>-<job>_<task>-r<N>/ too. Settings are read from\n"
		 ".params, never from file names. SET is a path (DIR/BASE, any of its\n"
		 "files, the RESULTS: line, a directory holding one set) or a name in\n"
		 "[paths] results (BASE, the start of it, or the run directory's name).\n"
		 "\n"
		 "ls       one line per set, oldest first: time, experiment, the settings\n"
		 "         that differ between the sets listed, status (ok, failed (PHASE)\n"
		 "         from .err, broken: the reason is printed as a warning), the\n"
		 "         headline figure, path. --exp, --since (2026-12-01[T14:30], or\n"
		 "         90m, 12h, 7d ago) and --where KEY=VALUE (a setting or a .params\n"
		 "         fact, e.g. hostname=node3) filter; --json\n"
		 "show     every setting, headline figure, phase timing, fact, host\n"
		 "         conditioning and config value, and the set's files; --json\n"
		 "csv      a row per set (RFC 4180): time, experiment, status, each setting\n"
		 "         that varies, every headline figure, the Slurm job, task and\n"
		 "         restart, the path; to stdout or --out FILE\n"
		 "plot     the figures of the sets' experiment, several sets on one figure\n"
		 "         with a legend from the settings that differ; drawn by gnuplot\n"
		 "         into --out DIR (default .) as <format>-<figure>.png (or .svg,\n"
		 "         .pdf) next to the .dat and .gp it ran\n"
		 "compare  settings side by side (* marks a difference), headline figures\n"
		 "         and phase timings with the ratio B/A, the host conditioning and\n"
		 "         facts that differ; --json\n"
		 "\n"
		 "Headline figures and figures per data format, from the files (cycles\n"
		 "become time by the TSC frequency .params records; a line the old\n"
		 "plotting scripts would not parse makes the set broken, naming the file\n"
		 "and the line):\n"
		 "time_mmap_touch (exp00000 -z/-c, exp00009, exp00010): pages per second,\n"
		 "  p50/p99 time per 4 KiB page; figures elapsed, per-page, cdf\n"
		 "memcached_gen_data, redis_gen_data (exp00000 -m/-r, exp00010): puts per\n"
		 "  second, p50/p99 time per put (over the 100 puts between DONE lines),\n"
		 "  puts refused; per-op, elapsed and cdf against the data stored\n"
		 "time_loop (exp00002 -t, exp00010): the longest gap between two TSC reads,\n"
		 "  p50/p99 gap in cycles; gaps, cdf\n"
		 "locality_mem_access (.local, .nonlocal): p50/p99 cycles per access; cdf\n"
		 "buddyinfo (exp00007): share of free memory in blocks of 2 MiB or more,\n"
		 "  at the end and lowest, free memory; free-per-order, free-huge\n"
		 "vmstat (exp00005 .vmstat, .zswapstats): pages swapped out and in per\n"
		 "  second, the most zswap held and its compression; swap, free, zswap\n"
		 "memcached_compaction (exp00003 .out, .memcached_latency; exp00004 .out):\n"
		 "  p50/p99 time per operation, the compaction counters' last reading;\n"
		 "  compaction (counters per sample), latency-cdf (per phase)\n"
		 "exp00006 and exp00008 (instrumented kernels' output) have no figures.\n"
		 "Data files are streamed: memory stays bounded whatever their size.\n",
	.flags = ZO_CMD_NEED_CONFIG,
	.subs = subs,
	.n_subs = ZO_ARRAY_SIZE(subs),
};
