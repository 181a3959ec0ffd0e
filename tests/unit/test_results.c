#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/results.h"
#include "util/str.h"

/* cmocka's assert_float_equal compares floats: too coarse here. */
#define assert_near(a, b, eps)                                                        \
	do {                                                                          \
		double a_ = (a), b_ = (b);                                            \
		if (!(a_ - b_ <= (eps) && b_ - a_ <= (eps)))                          \
			fail_msg("%s is %.17g, want %.17g", #a, a_, b_);              \
	} while (0)

/* exp00000's .params as zsim writes it, trimmed; khz 1000: a cycle is a
 * microsecond, so the expected figures are easy to check by hand. */
#define PARAMS(khz, pages, extra)                                                            \
	"{\"experiment\": \"exp00000\", \"args\": [\"4\"], \"settings\": {\"vm_size\": 4, "  \
	"\"cores\": 1, \"zeros\": true, \"size\": null, \"workload\": \"time_mmap_touch\"" extra \
	"}, \"timestamp\": \"2026-12-01T15:28:47+0100\", \"tsc_khz\": " khz ", "             \
	"\"pages_touched\": \"" pages "\", \"hostname\": \"node1\", "                         \
	"\"config\": {\"zswap\": {\"zpool\": \"ztier\"}}}"

/* Per-page times 100, 100, 50, 50, 240 cycles: p50 = 100, p99 = 240
 * (below 256 cycles the histogram is exact). */
static const char out5[] = "First: 1000\nLast: 1600\n1100\n1200\n1250\n1300\n1540\n";

static void load_in(struct zo_rset *s, const char *dir, const char *params, const char *out,
		    size_t len, size_t chunk)
{
	void *acc;
	size_t i;

	memset(s, 0, sizeof(*s));
	s->dir = strdup(dir);
	s->base = strdup("set");
	assert_int_equal(zo_rset_parse_params(s, params, true), 0);
	if (!s->fmt || !out)
		return;
	acc = s->fmt->open();
	assert_non_null(acc);
	for (i = 0; i < len; i += chunk)
		s->fmt->feed(acc, 0, out + i, len - i < chunk ? len - i : chunk);
	s->fmt->finish(acc, s);
	s->fmt->close(acc);
}

/* In a Slurm sweep's run directory. */
static void load(struct zo_rset *s, const char *params, const char *out, size_t len,
		 size_t chunk)
{
	load_in(s, "/results/node-12_3-r1", params, out, len, chunk);
}

static void headline_figures_from_a_small_out(void **state)
{
	size_t chunk;

	(void)state;
	/* any chunking of the stream gives the same figures */
	for (chunk = 1; chunk <= sizeof(out5); chunk++) {
		struct zo_rset s;

		load(&s, PARAMS("1000", "5", ""), out5, strlen(out5), chunk);
		assert_null(s.broken);
		assert_ptr_equal(s.fmt, &zo_rformat_touch);
		assert_true(s.have_head[0] && s.have_head[1] && s.have_head[2]);
		/* 5 pages in 600 cycles of 1 us */
		assert_near(s.head[0], 5 / 0.0006, 1e-6);
		assert_near(s.head[1], 100000, 1e-9);
		assert_near(s.head[2], 240000, 1e-9);
		zo_rset_release(&s);
	}
}

static void tsc_frequency_comes_from_params(void **state)
{
	struct zo_rset s;

	(void)state;
	/* the same cycles at 2 GHz: half a nanosecond each */
	load(&s, PARAMS("2000000", "5", ""), out5, strlen(out5), 7);
	assert_near(s.head[1], 50, 1e-9);
	assert_near(s.head[2], 120, 1e-9);
	assert_near(s.head[0], 5 / (600 / 2e9), 1e-3);
	zo_rset_release(&s);
	/* not recorded: no time figures at all, never an assumed frequency */
	load(&s, PARAMS("null", "5", ""), out5, strlen(out5), 7);
	assert_null(s.broken);
	assert_false(s.have_head[0] || s.have_head[1] || s.have_head[2]);
	zo_rset_release(&s);
}

static void quick_reads_only_the_ends(void **state)
{
	struct zo_rset s;
	const char *tail = out5 + strlen(out5) - 6;

	(void)state;
	load(&s, PARAMS("1000", "5", ""), NULL, 0, 1);
	s.fmt->quick(&s, out5, 24, tail, 6, strlen(out5));
	assert_null(s.broken);
	assert_true(s.have_head[0]);
	assert_near(s.head[0], 5 / 0.0006, 1e-6);
	zo_rset_release(&s);
	load(&s, PARAMS("1000", "5", ""), NULL, 0, 1);
	s.fmt->quick(&s, out5, 24, "1300\n15", 7, strlen(out5) - 3);
	assert_non_null(s.broken);
	assert_non_null(strstr(s.broken, "truncated"));
	zo_rset_release(&s);
}

static void bad_data_breaks_the_set(void **state)
{
	static const struct {
		const char *out, *pages, *why;
	} cases[] = {
		{ "First: 1000\nLast: 1600\n1100\n12", "5", "ends in the middle of line 4" },
		{ "First: 1000\nLast: 1600\n1100\nabc\n", "5", "line 4: 'abc' is not a TSC value" },
		{ "First: 1000\n", "5", "no 'First:' and 'Last:' lines: truncated" },
		{ "", "5", "empty" },
		{ "First: 1000\nLast: 1600\n", "5", "no TSC records" },
		{ "Start: 1000\nLast: 1600\n1100\n", "1", "line 1 should start with 'First: '" },
		{ "First: 1000\nLast: 1600\n1100\n1200\n", "5", "2 records for 5 pages touched" },
		{ "First: 1000\nLast: 1600\n1100\n1200\n", "1", "2 records for 1 pages" },
		{ "First: 1000\nLast: 1100\n1100\n1200\n", "2", "'Last:' is before" },
		{ "First: 1\nLast: 2\n123456789012345678901234567890\n", "1",
		  "line 3: '123456789012345678901234...' is not a TSC value" },
		{ "First: 1\nLast: 2\n12345678901234567890123456789012345678901234567890\n", "1",
		  "line 3 is too long" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_free_ char *params = zo_asprintf(
			"{\"experiment\": \"exp00000\", \"settings\": {\"workload\": "
			"\"time_mmap_touch\"}, \"tsc_khz\": 1000, \"pages_touched\": %s}",
			cases[i].pages);
		struct zo_rset s;

		load(&s, params, cases[i].out, strlen(cases[i].out), 3);
		if (!s.broken || !strstr(s.broken, cases[i].why))
			fail_msg("case %zu: broken '%s', want '%s'", i, s.broken ? s.broken : "(null)",
				 cases[i].why);
		zo_rset_release(&s);
	}
}

static void params_that_are_not_json_break_the_set(void **state)
{
	struct zo_rset s = { 0 };

	(void)state;
	s.dir = strdup("/r");
	s.base = strdup("x");
	assert_int_equal(zo_rset_parse_params(&s, "{\"experiment\": ", true), -EINVAL);
	assert_string_equal(s.broken, "x.params is not JSON (not a zsim or runner .params)");
	zo_rset_release(&s);
}

/* Large values land in log-spaced buckets: percentiles stay within 0.4 %. */
static void percentiles_are_close_for_large_values(void **state)
{
	struct zo_strbuf out = { 0 };
	struct zo_rset s;
	uint64_t tsc = 1000000;
	int i;

	(void)state;
	zo_strbuf_append(&out, "First: 1000000\nLast: 999999999999\n");
	/* 98 pages of 123457 cycles, 2 of 98765432 */
	for (i = 0; i < 100; i++) {
		tsc += i < 98 ? 123457 : 98765432;
		zo_strbuf_appendf(&out, "%llu\n", (unsigned long long)tsc);
	}
	load(&s, PARAMS("1000", "100", ""), out.buf, out.len, 4096);
	assert_null(s.broken);
	assert_true(s.head[1] > 123457e3 * 0.996 && s.head[1] < 123457e3 * 1.004);
	assert_true(s.head[2] > 98765432e3 * 0.996 && s.head[2] < 98765432e3 * 1.004);
	zo_rset_release(&s);
	zo_strbuf_release(&out);
}

/* 5000 records: every 4th kept (2048 points at most), plus (0,0). */
static void curves_keep_every_sth_record(void **state)
{
	struct zo_strbuf out = { 0 };
	struct zo_rcurves ec = { 0 }, pc = { 0 }, cc = { 0 };
	struct zo_rseries e, p, c;
	struct zo_rset s;
	void *acc;
	int i;

	(void)state;
	zo_strbuf_append(&out, "First: 0\nLast: 5000000\n");
	for (i = 1; i <= 5000; i++)
		zo_strbuf_appendf(&out, "%d\n", i * 1000);
	load(&s, PARAMS("1000", "5000", ""), NULL, 0, 1);
	acc = s.fmt->open();
	s.fmt->feed(acc, 0, out.buf, out.len);
	s.fmt->finish(acc, &s);
	assert_int_equal(s.fmt->series(acc, &s, 0, &ec), 0);
	assert_int_equal(s.fmt->series(acc, &s, 1, &pc), 0);
	assert_int_equal(s.fmt->series(acc, &s, 2, &cc), 0);
	assert_int_equal(ec.n + pc.n + cc.n, 3);
	e = ec.v[0], p = pc.v[0], c = cc.v[0];
	assert_int_equal(e.n, 1 + 1250);
	assert_near(e.x[1], 4 * 4096.0 / (1 << 30), 1e-15);
	assert_near(e.y[1], 0.004, 1e-12); /* record 3: 4000 cycles of 1 us */
	assert_near(e.y[1250], 5, 1e-12);
	assert_int_equal(p.n, 1250);
	for (i = 0; i < 1250; i++)
		assert_near(p.y[i], 1000, 1e-9); /* 1 ms a page, in us */
	assert_int_equal(c.n, 1);
	/* the top of the bucket holding 1000 cycles (4 wide there) */
	assert_near(c.x[0], 1003, 1e-9);
	assert_near(c.y[0], 1, 0);
	zo_rcurves_release(&ec), zo_rcurves_release(&pc), zo_rcurves_release(&cc);
	s.fmt->close(acc);
	zo_rset_release(&s);
	zo_strbuf_release(&out);
}

static void csv_quotes_commas_and_quotes(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "plain", "plain" },	     { "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" }, { "two\nlines", "\"two\nlines\"" },
		{ "cr\r", "\"cr\r\"" },      { "", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct zo_strbuf sb = { 0 };

		assert_int_equal(zo_csv_field(&sb, cases[i].in), 0);
		assert_string_equal(sb.buf ? sb.buf : "", cases[i].want);
		zo_strbuf_release(&sb);
	}
}

static void csv_rows_from_small_sets(void **state)
{
	struct zo_rset a, b;
	const struct zo_rset *v[2] = { &a, &b };
	struct zo_strbuf csv = { 0 };

	(void)state;
	load(&a, PARAMS("1000", "5", ", \"note\": \"x, \\\"y\\\"\""), out5, strlen(out5), 5);
	load_in(&b, "/results/flat", PARAMS("1000", "5", ", \"note\": \"plain\""), out5,
		strlen(out5), 5);
	assert_int_equal(zo_rset_parse_err(&b, "phase: workload\nerror: zsim-touch exited 1\n"), 0);
	assert_int_equal(zo_rcsv(v, 2, &csv), 0);
	assert_string_equal(
		csv.buf,
		"time,experiment,status,failed_phase,error,note,pages_per_s,page_p50_ns,"
		"page_p99_ns,slurm_job,slurm_task,slurm_restart,path\r\n"
		"2026-12-01T15:28:47+0100,exp00000,ok,,,\"x, \"\"y\"\"\",8333.333333,100000,"
		"240000,12,3,1,/results/node-12_3-r1/set\r\n"
		"2026-12-01T15:28:47+0100,exp00000,failed,workload,zsim-touch exited 1,plain,"
		"8333.333333,100000,240000,,,,/results/flat/set\r\n");
	zo_strbuf_release(&csv);
	zo_rset_release(&a);
	zo_rset_release(&b);
}

static void settings_that_differ(void **state)
{
	struct zo_rset a, b, c;
	const struct zo_rset *v[3] = { &a, &b, &c };
	char **keys = NULL;
	_cleanup_free_ char *d = NULL;

	(void)state;
	load(&a, PARAMS("1000", "5", ""), NULL, 0, 1);
	load(&b, PARAMS("1000", "5", ", \"warmup\": true"), NULL, 0, 1);
	load(&c, "{\"experiment\": \"noop\", \"settings\": {\"seconds\": 0}}", NULL, 0, 1);
	assert_int_equal(zo_rsets_varying(v, 2, &keys), 1);
	assert_string_equal(keys[0], "warmup");
	zo_strv_free(keys);
	/* another experiment's settings are not differences; nor are a
	 * broken set's */
	assert_int_equal(zo_rsets_varying(v, 3, &keys), 1);
	zo_strv_free(keys);
	b.broken = strdup("x");
	assert_int_equal(zo_rsets_varying(v, 3, &keys), 0);
	assert_null(keys[0]);
	zo_strv_free(keys);
	free(b.broken);
	b.broken = NULL;
	d = zo_rset_describe(&b, (char *[]){ "vm_size", "nonesuch", "warmup", NULL });
	assert_string_equal(d, "vm_size=4 warmup=true");
	assert_true(zo_rset_matches(&b, "exp00000", 0, (char *[]){ "warmup=true", NULL }));
	assert_true(zo_rset_matches(&b, NULL, 0, (char *[]){ "hostname=node1", NULL }));
	assert_true(zo_rset_matches(&b, NULL, 0, (char *[]){ "config.zswap.zpool=ztier", NULL }));
	assert_false(zo_rset_matches(&a, NULL, 0, (char *[]){ "warmup=true", NULL }));
	assert_false(zo_rset_matches(&a, "noop", 0, NULL));
	assert_false(zo_rset_matches(&a, NULL, a.time + 1, NULL));
	zo_rset_release(&a);
	zo_rset_release(&b);
	zo_rset_release(&c);
}

static void the_old_runners_params(void **state)
{
	struct zo_rset s;

	(void)state;
	load(&s,
	     "{\"app\":\"\\\"TimeMmapTouch\\\"\",\"calibrated\":\"false\",\"cores\":\"1\","
	     "\"exp\":\"0\",\"host\":\"\\\"c220g5:22\\\"\",\"size\":\"null\",\"vm_size\":\"4096\","
	     "\"workload\":\"\\\"bmk\\\"\"}",
	     NULL, 0, 1);
	assert_null(s.broken);
	assert_string_equal(s.experiment, "exp00000");
	assert_ptr_equal(s.fmt, &zo_rformat_touch);
	assert_string_equal(zo_rkvs_get(&s.settings, "app"), "TimeMmapTouch");
	assert_string_equal(zo_rkvs_get(&s.settings, "vm_size"), "4096");
	assert_null(zo_rkvs_get(&s.settings, "host"));
	assert_string_equal(zo_rkvs_get(&s.facts, "host"), "c220g5:22");
	assert_true(s.tsc_khz == 0);
	zo_rset_release(&s);
}

static void identity_time_and_timings(void **state)
{
	struct zo_rtiming *t = NULL;
	struct zo_rset s;
	long long when = 0;
	size_t n = 0;

	(void)state;
	load(&s, PARAMS("1000", "5", ""), NULL, 0, 1);
	assert_string_equal(s.slurm_job, "12");
	assert_string_equal(s.slurm_task, "3");
	assert_string_equal(s.slurm_restart, "1");
	assert_int_equal(s.time, 1796135327LL); /* 14:28:47 UTC */
	zo_rset_release(&s);
	assert_int_equal(zo_rtime_parse("1970-01-02T00:00:00Z", &when), 0);
	assert_int_equal(when, 86400);
	assert_int_equal(zo_rtime_parse("2000-03-01T00:00:00-05:30", &when), 0);
	assert_int_equal(when, 951868800LL + 5 * 3600 + 1800);
	assert_int_equal(zo_rtime_parse("yesterday", &when), -EINVAL);
	assert_int_equal(zo_rtimings_parse("preflight: 1.934 s\nStart VM: 93.514234151s\n"
					   "Warmup: 850.3ms\ngarbage\nx: 12 parsecs\n",
					   &t, &n),
			 0);
	assert_int_equal(n, 3);
	assert_string_equal(t[1].name, "Start VM");
	assert_near(t[0].seconds, 1.934, 1e-12);
	assert_near(t[1].seconds, 93.514234151, 1e-12);
	assert_near(t[2].seconds, 0.8503, 1e-12);
	zo_rtimings_free(t, n);
	/* zsim's .time since it took the runner's format, next to the old
	 * one's above: every unit Rust's Debug prints */
	assert_int_equal(zo_rtimings_parse("Setup host and start VM: 12.5s\nWorkload: 850.3ms\n"
					   "storage: 1.5\xc2\xb5s\nrestore host: 999ns\n"
					   "total: 0ns\n",
					   &t, &n),
			 0);
	assert_int_equal(n, 5);
	assert_string_equal(t[0].name, "Setup host and start VM");
	assert_near(t[0].seconds, 12.5, 1e-12);
	assert_near(t[2].seconds, 1.5e-6, 1e-15);
	assert_near(t[3].seconds, 999e-9, 1e-15);
	assert_near(t[4].seconds, 0, 1e-15);
	zo_rtimings_free(t, n);
}

static void a_governor_not_performance_is_noted(void **state)
{
	struct zo_rset s;
	_cleanup_free_ char *notes = NULL;

	(void)state;
	load(&s,
	     "{\"experiment\": \"exp00000\", \"settings\": {}, \"conditioning\": {\"governor\": "
	     "{\"before\": \"powersave\", \"during\": \"schedutil\"}, \"printk\": \"4\"}}",
	     NULL, 0, 1);
	notes = zo_rset_notes(&s);
	assert_string_equal(notes, "conditioning.governor.during was schedutil, not "
				   "performance: timings are not comparable\n");
	zo_rset_release(&s);
}

static void gnuplot_scripts_quote_what_they_name(void **state)
{
	static const struct zo_rfigure f = { "elapsed", "t", "x", "y", false, true, "top left", false };
	double xs[2] = { 0, 2 }, ys[2] = { 1, 4 };
	struct zo_rseries sr = { xs, ys, 2, NULL };
	const struct zo_rseries *srs[] = { &sr };
	char *titles[] = { (char *)"it's `id`\n", NULL };
	struct zo_strbuf dat = { 0 };
	double range[4];
	_cleanup_free_ char *gp = NULL;

	(void)state;
	zo_rplot_ranges(&f, srs, 1, range);
	assert_near(range[0], 0, 0);
	assert_near(range[1], 2, 0);
	assert_near(range[2], 0.8, 1e-12);
	assert_near(range[3], 5, 1e-12);
	gp = zo_rplot_script(&f, "exp00000", "png", "/o/it's.png", "/o/d.dat", titles, 1, range);
	assert_non_null(strstr(gp, "set output '/o/it''s.png'\n"));
	assert_non_null(strstr(gp, "set xrange [0:2]\nset yrange [0.8:5]\n"));
	assert_non_null(strstr(gp, "'/o/d.dat' index 0 using 1:2 with lines lw 2 lc rgb '#0072b2' "
				   "title 'it''s ?id?" "?'\n"));
	assert_int_equal(zo_rplot_data(srs, 1, titles, &dat), 0);
	assert_string_equal(dat.buf, "# it's `id`?\n0 1\n2 4\n");
	zo_strbuf_release(&dat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(headline_figures_from_a_small_out),
		cmocka_unit_test(tsc_frequency_comes_from_params),
		cmocka_unit_test(quick_reads_only_the_ends),
		cmocka_unit_test(bad_data_breaks_the_set),
		cmocka_unit_test(params_that_are_not_json_break_the_set),
		cmocka_unit_test(percentiles_are_close_for_large_values),
		cmocka_unit_test(curves_keep_every_sth_record),
		cmocka_unit_test(csv_quotes_commas_and_quotes),
		cmocka_unit_test(csv_rows_from_small_sets),
		cmocka_unit_test(settings_that_differ),
		cmocka_unit_test(the_old_runners_params),
		cmocka_unit_test(identity_time_and_timings),
		cmocka_unit_test(a_governor_not_performance_is_noted),
		cmocka_unit_test(gnuplot_scripts_quote_what_they_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
