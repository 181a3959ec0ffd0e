/* The data formats of core/results_fmt.c: headline figures and curves
 * from small files with known answers, whatever the chunking; the lines
 * the old plotting scripts reject break the set, naming file and line. */
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

#define assert_near(a, b, eps)                                                        \
	do {                                                                          \
		double a_ = (a), b_ = (b);                                            \
		if (!(a_ - b_ <= (eps) && b_ - a_ <= (eps)))                          \
			fail_msg("%s is %.17g, want %.17g", #a, a_, b_);              \
	} while (0)

/* A set of `params` whose files (one or two) are fed in chunks of
 * `chunk` and finished; the accumulator is returned open (or NULL). */
static void *load(struct zo_rset *s, const char *params, const char *const *files,
		  size_t chunk)
{
	void *acc;
	size_t f, i, len;

	memset(s, 0, sizeof(*s));
	s->dir = strdup("/r");
	s->base = strdup("set");
	assert_int_equal(zo_rset_parse_params(s, params, true), 0);
	assert_non_null(s->fmt);
	acc = s->fmt->open();
	assert_non_null(acc);
	for (f = 0; files[f]; f++) {
		len = strlen(files[f]);
		for (i = 0; i < len; i += chunk)
			s->fmt->feed(acc, f, files[f] + i, len - i < chunk ? len - i : chunk);
	}
	s->fmt->finish(acc, s);
	return acc;
}

static void done(struct zo_rset *s, void *acc)
{
	s->fmt->close(acc);
	zo_rset_release(s);
}

#define MC_PARAMS                                                                            \
	"{\"experiment\": \"exp00000\", \"settings\": {\"workload\": \"memcached_gen_data\"}, " \
	"\"workload\": \"bmk\", \"app\": \"Memcached\", \"tsc_khz\": 1000}"
#define RD_PARAMS                                                                            \
	"{\"experiment\": \"exp00000\", \"settings\": {\"workload\": \"redis\"}, "            \
	"\"workload\": \"bmk\", \"app\": \"Redis\", \"tsc_khz\": 1000}"

/* Puts 0, 1-100, 101-200: 1 us, 200 us, 1 s; one refused. */
static const char mc_out[] = "DONE 0 Duration { secs: 0, nanos: 1000 } 0\n"
			     "DONE 100 Duration { secs: 0, nanos: 200000 } 0\n"
			     "memcached returned error: SERVER_ERROR out of memory storing object\n"
			     "DONE 200 Duration { secs: 1, nanos: 0 }\n";

static void kv_figures(void **state)
{
	size_t chunk;

	(void)state;
	for (chunk = 1; chunk <= sizeof(mc_out); chunk += 3) {
		struct zo_rset s;
		struct zo_rcurves c = { 0 };
		void *acc = load(&s, MC_PARAMS, (const char *[]){ mc_out, NULL }, chunk);

		assert_null(s.broken);
		assert_ptr_equal(s.fmt, &zo_rformat_memcached);
		assert_near(s.head[0], 201 / 1.000201, 1e-9);
		/* per put: 1000, 2000, 10^7 ns; 2000 is in an 8-wide bucket */
		assert_near(s.head[1], 2003.5, 1e-9);
		assert_near(s.head[2], (double)((10000000 >> 16) << 16) + (65536 - 1) / 2.0, 1e-6);
		assert_near(s.head[3], 1, 0);
		assert_int_equal(s.fmt->series(acc, &s, 0, &c), 0);
		assert_int_equal(c.n, 1);
		assert_int_equal(c.v[0].n, 3);
		assert_near(c.v[0].x[1], 101 * 523800.0 / (1 << 30), 1e-15);
		assert_near(c.v[0].y[1], 0.2, 1e-12); /* ms */
		zo_rcurves_release(&c);
		assert_int_equal(s.fmt->series(acc, &s, 1, &c), 0);
		assert_near(c.v[0].y[2], 1.000201, 1e-12); /* s */
		zo_rcurves_release(&c);
		done(&s, acc);
	}
}

static void kv_bad_lines(void **state)
{
	static const struct {
		const char *params, *out, *why;
	} cases[] = {
		{ MC_PARAMS, "DONE 0 Duration { secs: 0, nanos: 1 } 0\nDONE 10 Duration { secs: 0, nan\n",
		  "set.out line 2: 'DONE 10 Duration { secs: 0, nan' is not a 'DONE" },
		{ MC_PARAMS,
		  "DONE 100 Duration { secs: 0, nanos: 1 } 0\n"
		  "DONE 0 Duration { secs: 0, nanos: 1 } 0\n",
		  "set.out line 2: DONE 0 after DONE 100: the puts go back" },
		{ MC_PARAMS, "DONE 0 Duration { secs: 0, nanos: 1 } x\n", "line 1: " },
		{ MC_PARAMS, "DONE 0 Duration { secs: 0, nanos: 1 } 0\nDONE 100 Dura",
		  "set.out ends in the middle of a line (line 2): truncated" },
		{ MC_PARAMS, "memcached returned error: x\n", "set.out has no DONE lines" },
		{ MC_PARAMS, "", "set.out is empty" },
		/* redis' client says "Error", memcached's does not */
		{ RD_PARAMS, "memcached returned error: x\nDONE 0 Duration { secs: 0, nanos: 1 } 0\n",
		  "set.out line 1: 'memcached returned error: x' is not" },
		/* -p's page-table lines are not what the plots read */
		{ MC_PARAMS, "DONE 0 1234\n", "set.out line 1: 'DONE 0 1234' is not" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct zo_rset s;
		void *acc = load(&s, cases[i].params, (const char *[]){ cases[i].out, NULL }, 5);

		if (!s.broken || !strstr(s.broken, cases[i].why))
			fail_msg("case %zu: broken '%s', want '%s'", i, s.broken ? s.broken : "(null)",
				 cases[i].why);
		done(&s, acc);
	}
	{
		struct zo_rset s;
		void *acc = load(&s, RD_PARAMS,
				 (const char *[]){ "Error An error was signalled by the server: OOM\n"
						   "DONE 0 Duration { secs: 0, nanos: 5 } 0\n",
						   NULL },
				 4);

		assert_null(s.broken);
		assert_ptr_equal(s.fmt, &zo_rformat_redis);
		assert_near(s.head[3], 1, 0);
		done(&s, acc);
	}
}

#define TL_PARAMS(khz)                                                                         \
	"{\"experiment\": \"exp00002\", \"settings\": {\"workload\": \"time_loop\", \"n\": 4}, " \
	"\"workload\": \"time_loop\", \"tsc_khz\": " khz "}"

static void time_loop_gaps(void **state)
{
	struct zo_rset s;
	struct zo_rcurves c = { 0 };
	void *acc;

	(void)state;
	/* gaps 30, 0 (a step back), 875 */
	acc = load(&s, TL_PARAMS("1000"), (const char *[]){ "100\n130\n125\n1000\n", NULL }, 2);
	assert_null(s.broken);
	assert_ptr_equal(s.fmt, &zo_rformat_time_loop);
	assert_near(s.head[0], 875, 0);
	assert_near(s.head[1], 30, 0);
	assert_near(s.head[2], 873.5, 1e-9); /* 872..875 */
	assert_near(s.head[3], 875000, 1e-6);
	assert_int_equal(s.fmt->series(acc, &s, 0, &c), 0);
	assert_int_equal(c.v[0].n, 3);
	assert_near(c.v[0].y[2], 875, 0);
	zo_rcurves_release(&c);
	assert_int_equal(s.fmt->series(acc, &s, 1, &c), 0);
	assert_int_equal(c.v[0].n, 3);
	assert_near(c.v[0].x[1], 30, 1e-12); /* 30 cycles of 1 us */
	assert_near(c.v[0].y[1], 2.0 / 3, 1e-12);
	zo_rcurves_release(&c);
	done(&s, acc);
	/* no TSC frequency: cycles still, no time, no figure */
	acc = load(&s, TL_PARAMS("null"), (const char *[]){ "1\n2\n", NULL }, 1);
	assert_true(s.have_head[0] && !s.have_head[3]);
	assert_true(s.fmt->needs_tsc);
	assert_int_equal(s.fmt->series(acc, &s, 1, &c), -EDOM);
	done(&s, acc);
	acc = load(&s, TL_PARAMS("1000"), (const char *[]){ "5\n", NULL }, 1);
	assert_string_equal(s.broken, "set.out has 1 TSC value: no gap to measure");
	done(&s, acc);
	acc = load(&s, TL_PARAMS("1000"), (const char *[]){ "5\n=== warmup\n6\n", NULL }, 1);
	assert_string_equal(s.broken, "set.out line 2: '=== warmup' is not a TSC value (one whole "
				      "number a line)");
	done(&s, acc);
}

static void locality_reads_two_files(void **state)
{
	struct zo_rset s;
	struct zo_rcurves c = { 0 };
	void *acc;

	(void)state;
	acc = load(&s,
		   "{\"experiment\": \"exp00010\", \"settings\": {\"workload\": "
		   "\"locality_mem_access\"}, \"workload\": \"bare_metal\", \"app\": "
		   "\"locality_mem_access\", \"tsc_khz\": 2000}",
		   (const char *[]){ "10\n20\n30\n40\n", "100\n300\n", NULL }, 3);
	assert_null(s.broken);
	assert_ptr_equal(s.fmt, &zo_rformat_locality);
	assert_int_equal(zo_rformat_nfiles(s.fmt), 2);
	assert_near(s.head[0], 100, 0); /* non-local p50 */
	assert_near(s.head[1], 20, 0);
	assert_near(s.head[2], 40, 0);
	assert_near(s.head[3], 300.5, 1e-9); /* 300..301 */
	assert_int_equal(s.fmt->series(acc, &s, 0, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[0].label, "local");
	assert_string_equal(c.v[1].label, "nonlocal");
	assert_near(c.v[0].x[0], 10 * 0.5, 1e-12); /* 10 cycles at 2 MHz: 5 us */
	zo_rcurves_release(&c);
	done(&s, acc);
	acc = load(&s,
		   "{\"experiment\": \"exp00002\", \"settings\": {\"workload\": "
		   "\"locality_mem_access\"}, \"tsc_khz\": 2000}",
		   (const char *[]){ "10\n", "", NULL }, 3);
	assert_string_equal(s.broken, "set.nonlocal is empty");
	done(&s, acc);
}

#define BI_PARAMS(iv)                                                                           \
	"{\"experiment\": \"exp00007\", \"settings\": {\"interval\": " iv ", \"workload\": "    \
	"\"memhog\"}, \"workload\": \"fragmentation\", \"app\": \"memhog\"}"
#define ZONES(a, b)                                                                    \
	"Node 0, zone      DMA      1      0      0      0      0      0      0      0      0      0      0 \n" \
	"Node 0, zone    DMA32      0      0      0      0      0      0      0      0      0      " a "      0 \n" \
	"Node 0, zone   Normal      " b "      0      0      0      0      0      0      0      0      0      1 \n"

static void buddyinfo_samples(void **state)
{
	struct zo_rset s;
	struct zo_rcurves c = { 0 };
	void *acc;

	(void)state;
	/* sample 1: 1 + 512 * 2 + 1024 pages, 1536 + ... in blocks >= 2 MiB */
	acc = load(&s, BI_PARAMS("30"), (const char *[]){ ZONES("2", "3") ZONES("0", "1023"), NULL },
		   7);
	assert_null(s.broken);
	assert_ptr_equal(s.fmt, &zo_rformat_buddyinfo);
	/* last: 1 + 1023 + 1024 pages, 1024 of them in an order-10 block */
	assert_near(s.head[0], 100.0 * 1024 / 2048, 1e-12);
	assert_near(s.head[1], 100.0 * 1024 / 2048, 1e-12);
	assert_near(s.head[2], 2048 * 4096.0 / (1 << 30), 1e-15);
	assert_near(s.head[3], 2, 0);
	assert_int_equal(s.fmt->series(acc, &s, 1, &c), 0);
	assert_int_equal(c.v[0].n, 2);
	assert_near(c.v[0].x[1], 30, 0);
	assert_near(c.v[0].y[0], 100.0 * 2048 / 2052, 1e-12);
	zo_rcurves_release(&c);
	assert_int_equal(s.fmt->series(acc, &s, 0, &c), 0);
	assert_int_equal(c.n, 11);
	assert_string_equal(c.v[9].label, "order 9");
	assert_near(c.v[9].y[0], 1024 * 4096.0 / (1 << 30), 1e-15);
	zo_rcurves_release(&c);
	done(&s, acc);
	acc = load(&s, BI_PARAMS("30"),
		   (const char *[]){ "Node 0, zone   Normal   1   2 \nNode 0, zone  Movable   1   2 \n",
				     NULL },
		   5);
	assert_string_equal(s.broken, "set.out line 2: 'Node 0, zone  Movable   1   2 ' is not a "
				      "/proc/buddyinfo line 'Node N, zone (DMA|DMA32|Normal) <free "
				      "blocks per order>...'");
	done(&s, acc);
	acc = load(&s, BI_PARAMS("30"),
		   (const char *[]){ "Node 0, zone   Normal   1   2 \nNode 0, zone  DMA   1 \n", NULL },
		   5);
	assert_string_equal(s.broken, "set.out line 2: 1 free-list orders where the lines before "
				      "have 2");
	done(&s, acc);
	/* no interval: no time axis */
	acc = load(&s,
		   "{\"experiment\": \"exp00007\", \"settings\": {\"memhog\": true}}",
		   (const char *[]){ "Node 0, zone   Normal   1   2 \n", NULL }, 5);
	assert_null(s.broken);
	assert_non_null(s.fmt->unplottable(&s));
	done(&s, acc);
}

#define VM_PARAMS                                                                            \
	"{\"experiment\": \"exp00005\", \"settings\": {\"duration\": 3}, \"workload\": "       \
	"\"nas_cg_class_e\"}"
#define VMSTAT(free, in, out) "nr_free_pages " free "\npswpin " in "\npswpout " out "\nnr_x -3\n"
#define ZSWAP(pool, stored)                                                                   \
	"==> /sys/kernel/debug/zswap/pool_limit_hit <==\n0\n\n"                             \
	"==> /sys/kernel/debug/zswap/pool_total_size <==\n" pool "\n\n"                       \
	"==> /sys/kernel/debug/zswap/stored_pages <==\n" stored "\n"

static void vmstat_and_zswap(void **state)
{
	struct zo_rset s;
	struct zo_rcurves c = { 0 };
	void *acc;

	(void)state;
	acc = load(&s, VM_PARAMS,
		   (const char *[]){ VMSTAT("1000", "0", "10") VMSTAT("900", "5", "110")
					     VMSTAT("800", "7", "410"),
				     ZSWAP("4096", "2") ZSWAP("8192", "16") ZSWAP("8192", "8"), NULL },
		   6);
	assert_null(s.broken);
	assert_ptr_equal(s.fmt, &zo_rformat_vmstat);
	assert_near(s.head[0], 200, 1e-12); /* (410 - 10) / 2 s */
	assert_near(s.head[1], 3.5, 1e-12);
	assert_near(s.head[2], 16 * 4096.0 / (1 << 30), 1e-15);
	assert_near(s.head[3], 8, 1e-12); /* 64 KiB held in 8 KiB */
	assert_int_equal(s.fmt->series(acc, &s, 0, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[1].label, "pswpout");
	assert_int_equal(c.v[1].n, 2);
	assert_near(c.v[1].x[1], 2, 0);
	assert_near(c.v[1].y[1], 300, 0);
	zo_rcurves_release(&c);
	assert_int_equal(s.fmt->series(acc, &s, 2, &c), 0);
	assert_int_equal(c.v[0].n, 3);
	assert_near(c.v[0].y[1], 16 * 4096.0 / (1 << 30), 1e-15);
	zo_rcurves_release(&c);
	done(&s, acc);
	acc = load(&s, VM_PARAMS, (const char *[]){ "nr_free_pages 1\npswpin x\n", "", NULL }, 6);
	assert_string_equal(s.broken, "set.vmstat line 2: 'pswpin x' is not a /proc/vmstat line "
				      "'name value'");
	done(&s, acc);
	acc = load(&s, VM_PARAMS, (const char *[]){ "pswpin 1\n", "12\n", NULL }, 6);
	assert_string_equal(s.broken, "set.zswapstats line 1: '12' is not a '==> FILE <==' header "
				      "(tail's) before a value");
	done(&s, acc);
	/* a host without zswap debugfs: zsim says so, and there is no zswap figure */
	acc = load(&s, VM_PARAMS,
		   (const char *[]){ "pswpin 1\n", "(no /sys/kernel/debug/zswap: debugfs not mounted)\n",
				     NULL },
		   6);
	assert_null(s.broken);
	assert_false(s.have_head[2]);
	done(&s, acc);
}

static void compaction_counters_and_latencies(void **state)
{
	struct zo_rset s;
	struct zo_rcurves c = { 0 };
	void *acc;

	(void)state;
	acc = load(&s,
		   "{\"experiment\": \"exp00003\", \"settings\": {\"vm_size\": 4}, \"tsc_khz\": 1000}",
		   (const char *[]){ "5 0\n9 1\nNEXT!\n12 1\nNEXT!\n20 3\nDONE!\n",
				     "10\n20\nNEXT!\n30\nNEXT!\n40\n1000\n", NULL },
		   4);
	assert_null(s.broken);
	assert_ptr_equal(s.fmt, &zo_rformat_compaction);
	assert_near(s.head[0], 30000, 1e-9); /* cycles of 1 us, in ns */
	assert_near(s.head[1], 1001.5 * 1000, 1e-6); /* 1000..1003 */
	assert_near(s.head[2], 20, 0);
	assert_near(s.head[3], 3, 0);
	assert_int_equal(s.fmt->series(acc, &s, 0, &c), 0);
	assert_int_equal(c.v[0].n, 4);
	assert_near(c.v[1].y[3], 3, 0);
	zo_rcurves_release(&c);
	assert_int_equal(s.fmt->series(acc, &s, 1, &c), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.v[2].label, "insert again");
	zo_rcurves_release(&c);
	done(&s, acc);
	acc = load(&s, "{\"experiment\": \"exp00004\", \"settings\": {}}",
		   (const char *[]){ "5 0\nDONE!\n7 0\n", NULL }, 4);
	assert_ptr_equal(s.fmt, &zo_rformat_compaction_bare);
	assert_string_equal(s.broken, "set.out line 3: '7 0' is not anything: it follows 'DONE!'");
	done(&s, acc);
	acc = load(&s, "{\"experiment\": \"exp00003\", \"settings\": {}}",
		   (const char *[]){ "5 0\n", "1\nNEXT!\nNEXT!\nNEXT!\n", NULL }, 4);
	assert_string_equal(s.broken, "set.memcached_latency line 4: a fourth phase: "
				      "memcached_and_capture_thp has three");
	done(&s, acc);
}

static void thinned_curves_keep_the_peaks(void **state)
{
	static struct zo_rkeep k;
	int i;

	(void)state;
	zo_rkeep_init(&k, true);
	for (i = 0; i < 100000; i++)
		zo_rkeep_add(&k, i, i == 77777 ? 1e9 : i % 1000);
	assert_true(k.n <= ZO_RKEEP_MAX && k.n > ZO_RKEEP_MAX / 2);
	for (i = 0; i < (int)k.n && k.y[i] != 1e9; i++)
		;
	assert_true(i < (int)k.n);
	assert_near(k.x[i], 77777, 0);
	zo_rkeep_init(&k, false);
	for (i = 0; i < 5000; i++)
		zo_rkeep_add(&k, i, i);
	/* the last of each window, and the last point itself */
	assert_near(k.x[k.n - 1], 4999, 0);
	assert_near(k.x[0], k.stride - 1, 0);
}

static void formats_by_experiment_and_workload(void **state)
{
	static const struct {
		const char *exp, *names[3];
		const struct zo_rformat *want;
	} cases[] = {
		{ "exp00000", { "Memcached", "bmk", NULL }, &zo_rformat_memcached },
		{ "exp00000", { "Redis", "bmk", NULL }, &zo_rformat_redis },
		{ "exp00000", { "MatrixMult2", "bmk", NULL }, NULL },
		{ "exp00000", { "matrixmult", NULL }, NULL },
		{ "exp00010", { "time_loop", "bare_metal", NULL }, &zo_rformat_time_loop },
		{ "exp00010", { "memcached", "bare_metal", NULL }, &zo_rformat_memcached },
		{ "exp00009", { "memcached_gen_data_host_kbuild", NULL }, &zo_rformat_memcached },
		{ "exp00009", { "time_mmap_touch_host_kbuild", NULL }, &zo_rformat_touch },
		{ "exp00002", { "locality_mem_access", NULL }, &zo_rformat_locality },
		{ "exp00007", { "nas_cg", "fragmentation", NULL }, &zo_rformat_buddyinfo },
		{ "exp00005", { "nas_cg", NULL }, &zo_rformat_vmstat },
		{ "exp00008", { "swap_memcached", NULL }, NULL },
		{ "exp00006", { "ktask_boot_mem_init", NULL }, NULL },
		{ "exp00003", { "memcached_gen_data", NULL }, &zo_rformat_compaction },
		{ "exp00004", { NULL }, &zo_rformat_compaction_bare },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (zo_rformat_for(cases[i].exp, cases[i].names) != cases[i].want)
			fail_msg("case %zu (%s %s)", i, cases[i].exp, cases[i].names[0]);
}

static void comparable_sets(void **state)
{
	struct zo_rset a = { 0 }, b = { 0 };

	(void)state;
	a.experiment = (char *)"exp00000", b.experiment = (char *)"exp00010";
	a.fmt = b.fmt = &zo_rformat_touch;
	assert_true(zo_rsets_comparable(&a, &b));
	a.fmt = &zo_rformat_memcached, b.fmt = &zo_rformat_redis;
	assert_true(zo_rsets_comparable(&a, &b));
	b.fmt = &zo_rformat_time_loop;
	assert_false(zo_rsets_comparable(&a, &b));
	b.fmt = NULL;
	assert_false(zo_rsets_comparable(&a, &b));
	a.fmt = NULL;
	assert_false(zo_rsets_comparable(&a, &b));
	b.experiment = (char *)"exp00000";
	assert_true(zo_rsets_comparable(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kv_figures),
		cmocka_unit_test(kv_bad_lines),
		cmocka_unit_test(time_loop_gaps),
		cmocka_unit_test(locality_reads_two_files),
		cmocka_unit_test(buddyinfo_samples),
		cmocka_unit_test(vmstat_and_zswap),
		cmocka_unit_test(compaction_counters_and_latencies),
		cmocka_unit_test(thinned_curves_keep_the_peaks),
		cmocka_unit_test(formats_by_experiment_and_workload),
		cmocka_unit_test(comparable_sets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
