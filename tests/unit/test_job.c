#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/job.h"
#include "util/diag.h"
#include "util/ini.h"

static void split_ok(const char *in, const char *const *want)
{
	char **v = NULL, *why = NULL;
	size_t i;

	assert_int_equal(zo_job_split(in, &v, &why), 0);
	assert_null(why);
	for (i = 0; want[i]; i++) {
		if (!v[i])
			fail_msg("'%s': word %zu is missing", in, i);
		assert_string_equal(v[i], want[i]);
	}
	assert_null(v[i]);
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

static void split_fails(const char *in, const char *msg)
{
	char **v = NULL, *why = NULL;

	assert_true(zo_job_split(in, &v, &why) < 0);
	assert_null(v);
	assert_non_null(why);
	assert_non_null(strstr(why, msg));
	free(why);
}

static void split_follows_the_documented_quoting(void **state)
{
	(void)state;
	split_ok("4096 1 --zeros", (const char *const[]){ "4096", "1", "--zeros", NULL });
	split_ok("  a   b  ", (const char *const[]){ "a", "b", NULL });
	split_ok("", (const char *const[]){ NULL });
	split_ok("'a b' c", (const char *const[]){ "a b", "c", NULL });
	split_ok("'it\\'", (const char *const[]){ "it\\", NULL });
	split_ok("\"a \\\"q\\\" \\\\ b\"", (const char *const[]){ "a \"q\" \\ b", NULL });
	split_ok("a\\ b", (const char *const[]){ "a b", NULL });
	split_ok("x'y z'w", (const char *const[]){ "xy zw", NULL });
	split_ok("''", (const char *const[]){ "", NULL });
	/* nothing a shell would expand is special */
	split_ok("$(reboot) `id` * ~ | &&", (const char *const[]){ "$(reboot)", "`id`", "*", "~",
								  "|", "&&", NULL });
	/* comments start only where a word would */
	split_ok("a b ; c", (const char *const[]){ "a", "b", NULL });
	split_ok("a #c", (const char *const[]){ "a", NULL });
	split_ok("a#b c;d ';' \\#", (const char *const[]){ "a#b", "c;d", ";", "#", NULL });
	split_fails("'open", "' is not closed");
	split_fails("\"open", "\" is not closed");
	split_fails("end\\", "\\ ends");
}

static char *write_job(const char *text)
{
	char tmpl[] = "/tmp/zsim-job-test.XXXXXX";
	int fd = mkstemp(tmpl);
	size_t len = strlen(text);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return strdup(tmpl);
}

static int expand(const char *text, struct zo_job_run **runs, size_t *n, char **why)
{
	char *path = write_job(text);
	struct zo_ini *ini = NULL;
	struct zo_diags diags = { 0 };
	int r;

	r = zo_ini_load(path, &ini, &diags);
	unlink(path);
	free(path);
	assert_int_equal(r, 0);
	r = zo_job_expand(ini, "myjob", runs, n, why);
	zo_diags_release(&diags);
	zo_ini_free(ini);
	return r;
}

static void expand_fails(const char *text, const char *msg)
{
	struct zo_job_run *runs = NULL;
	size_t n = 0;
	char *why = NULL;

	if (expand(text, &runs, &n, &why) >= 0)
		fail_msg("accepted: %s", text);
	assert_null(runs);
	assert_non_null(why);
	if (!strstr(why, msg))
		fail_msg("'%s' does not contain '%s'", why, msg);
	free(why);
}

static void a_plain_job_is_one_run(void **state)
{
	struct zo_job_run *runs = NULL;
	size_t n = 0;
	char *why = NULL;

	(void)state;
	assert_int_equal(expand("[job]\nexperiment = exp00000\nargs = 4096 1 --zeros --warmup\n"
				"timeout = 48h\n",
				&runs, &n, &why),
			 0);
	assert_int_equal(n, 1);
	assert_string_equal(runs[0].name, "myjob");
	assert_string_equal(runs[0].experiment, "exp00000");
	assert_string_equal(runs[0].argv[0], "4096");
	assert_string_equal(runs[0].argv[3], "--warmup");
	assert_null(runs[0].argv[4]);
	assert_int_equal(runs[0].timeout_s, 48 * 3600);
	zo_job_runs_free(runs, n);

	/* the INI reader would keep only `a b` of this line, or only `x` of
	 * `x#y`: args are split from the text as written */
	assert_int_equal(expand("[job]\nexperiment = noop ; the queue test\n"
				"args = \"--seconds\" 5 ; five seconds\n",
				&runs, &n, &why),
			 0);
	assert_int_equal(n, 1);
	assert_string_equal(runs[0].experiment, "noop");
	assert_string_equal(runs[0].argv[0], "--seconds");
	assert_string_equal(runs[0].argv[1], "5");
	assert_null(runs[0].argv[2]);
	zo_job_runs_free(runs, n);
}

static void matrix_and_repeat_expand_in_order(void **state)
{
	struct zo_job_run *runs = NULL;
	size_t n = 0;
	char *why = NULL;

	(void)state;
	assert_int_equal(expand("[job]\nexperiment = exp00000\nargs = 4096 {cores} --size {size}\n"
				"name = zeros-4t\nrepeat = 2\n"
				"[matrix]\nsize = 64, 128, 256\ncores = 1,2\n",
				&runs, &n, &why),
			 0);
	assert_null(why);
	assert_int_equal(n, 12);
	/* the first key varies slowest; repeats are adjacent */
	assert_string_equal(runs[0].name, "zeros-4t-size64-cores1-r1");
	assert_string_equal(runs[1].name, "zeros-4t-size64-cores1-r2");
	assert_string_equal(runs[2].name, "zeros-4t-size64-cores2-r1");
	assert_string_equal(runs[11].name, "zeros-4t-size256-cores2-r2");
	assert_string_equal(runs[11].argv[1], "2");
	assert_string_equal(runs[11].argv[3], "256");
	zo_job_runs_free(runs, n);
}

static void the_documented_example_parses(void **state)
{
	struct zo_job_run *runs = NULL;
	size_t n = 0;
	char *why = NULL;

	(void)state;
	/* as in the README, comments after a section header included */
	assert_int_equal(expand("[job]\nexperiment = exp00000\n"
				"args = 4096 1 --zeros --size {size}   ; split like a shell would\n"
				"name = zeros-4t          ; optional\n"
				"repeat = 3               ; optional\n"
				"timeout = 48h            ; optional\n"
				"[matrix]                 ; optional: {key} in args expands\n"
				"size = 64, 128, 256\n",
				&runs, &n, &why),
			 0);
	assert_null(why);
	assert_int_equal(n, 9);
	assert_string_equal(runs[0].name, "zeros-4t-size64-r1");
	assert_string_equal(runs[8].name, "zeros-4t-size256-r3");
	assert_string_equal(runs[8].argv[4], "256");
	assert_null(runs[8].argv[5]);
	assert_int_equal(runs[8].timeout_s, 48 * 3600);
	zo_job_runs_free(runs, n);
}

static void bad_jobs_are_refused_with_the_reason(void **state)
{
	(void)state;
	expand_fails("[job]\nargs = 1\n", "experiment is missing");
	expand_fails("[job]\nexperiment = exp99999\n", "no such experiment");
	expand_fails("[job]\nexperiment = noop\nargs = --seconds x\n", "--seconds x");
	expand_fails("[job]\nexperiment = noop\nargs = --bogus\n", "--bogus");
	expand_fails("[job]\nexperiment = noop\nargs = --seconds {n}\n", "{n} in args is not");
	expand_fails("[job]\nexperiment = noop\nrepeat = 0\n", "repeat = 0");
	expand_fails("[job]\nexperiment = noop\nrepeat = 1001\n", "repeat = 1001");
	expand_fails("[job]\nexperiment = noop\ntimeout = forever\n", "timeout = forever");
	expand_fails("[job]\nexperiment = noop\nname = ../x\n", "name '../x'");
	expand_fails("[job]\nexperiment = noop\nargs = 'x\n", "' is not closed");
	expand_fails("[job]\nexperiment = noop\nargs = \"--seconds 1; rm -rf /\"\n",
		     "--seconds 1; rm -rf /: unknown option");
	expand_fails("[job]\nexperiment = noop\nargs = --seconds \\\n 1\n",
		     "continued over several lines");
	expand_fails("[job]\nexperiment = noop\ncolour = red\n", "unknown key 'colour'");
	expand_fails("[job]\nexperiment = noop\n[extra]\na = 1\n", "unknown section [extra]");
	expand_fails("[job]\nexperiment = exp00000\nargs = {a} {b} {c} {d}\n[matrix]\n"
		     "a = 1,2,3,4,5,6,7,8,9,10\nb = 1,2,3,4,5,6,7,8,9,10\n"
		     "c = 1,2,3,4,5,6,7,8,9,10\nd = 1,2,3,4,5,6,7,8,9,10,11\n",
		     "more than 10000 runs");
	/* found by fuzzing: leaked the split list */
	expand_fails("[job]\nexperiment = noop\nargs = --seconds {a}\n[matrix]\na = , ,\n",
		     "[matrix] a: give comma-separated values");
	/* a matrix value is checked like any argument */
	expand_fails("[job]\nexperiment = noop\nargs = --seconds {s}\n[matrix]\ns = 1, $(id)\n",
		     "$(id)");
}

/* issue 16: a [matrix] key or value becomes part of the run's name and so
 * of its results directory; both are held to the rule for name= */
static void matrix_keys_and_values_are_names(void **state)
{
	(void)state;
	expand_fails("[job]\nexperiment = noop\nargs = --seconds 0\n[matrix]\n"
		     "x = /../../../../tmp/pwned\n",
		     "[matrix] x = /../../../../tmp/pwned: use letters, digits, '_', '.' and '-'");
	expand_fails("[job]\nexperiment = noop\nargs = --seconds {x}\n[matrix]\n"
		     "x = 1, ../../x\n",
		     "[matrix] x = ../../x: use letters");
	expand_fails("[job]\nexperiment = noop\nargs = --seconds 0\n[matrix]\n"
		     "../../../../tmp/pwned = 1\n",
		     "[matrix] key '../../../../tmp/pwned': use letters");
	expand_fails("[job]\nexperiment = noop\nargs = --seconds 0\n[matrix]\n"
		     "a = 1\nb c = 2\n",
		     "[matrix] key 'b c'");
	/* a run name too long for a directory entry */
	expand_fails("[job]\nexperiment = noop\nargs = --seconds 0\n"
		     "name = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
		     "[matrix]\n"
		     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb = "
		     "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\n",
		     "longer than 200 characters");
	/* a name the daemon would take for a hidden file */
	expand_fails("[job]\nexperiment = noop\nname = .hidden\n", "name '.hidden'");
	expand_fails("[job]\nexperiment = noop\nname = ..\n", "name '..'");
}

/* issue 16: 18446744073709552s overflowed to a 0.4 s timeout, and
 * anything from about 25 days never fired */
static void timeouts_are_bounded(void **state)
{
	struct zo_job_run *runs = NULL;
	size_t n = 0;
	char *why = NULL;

	(void)state;
	expand_fails("[job]\nexperiment = noop\ntimeout = 18446744073709552s\n",
		     "[job] timeout = 18446744073709552s: at most 365d");
	expand_fails("[job]\nexperiment = noop\ntimeout = 366d\n", "at most 365d");
	expand_fails("[job]\nexperiment = noop\ntimeout = 0\n", "timeout = 0");
	assert_int_equal(expand("[job]\nexperiment = noop\ntimeout = 365d\n", &runs, &n, &why), 0);
	assert_int_equal(runs[0].timeout_s, 365 * 86400);
	zo_job_runs_free(runs, n);
}

/* issue 16: a trailing backslash on the last line continued the value
 * onto nothing, and the key was silently dropped */
static void a_backslash_on_the_last_line_is_an_error(void **state)
{
	static const char *const texts[] = {
		"[job]\nexperiment = noop\nargs = --seconds 5 \\",
		"[job]\nexperiment = noop\nargs = --seconds 5 \\\n",
		"[job]\nexperiment = noop\nargs = --seconds \\\n 5 \\\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		char *path = write_job(texts[i]);
		struct zo_ini *ini = NULL;
		struct zo_diags diags = { 0 };

		assert_int_equal(zo_ini_load(path, &ini, &diags), -EINVAL);
		assert_null(ini);
		assert_int_equal(diags.n, 1);
		assert_non_null(strstr(diags.v[0].message, "ends with '\\'"));
		assert_int_equal(diags.v[0].line, 3);
		zo_diags_release(&diags);
		unlink(path);
		free(path);
	}
}

static void durations(void **state)
{
	uint64_t s;

	(void)state;
	assert_int_equal(zo_duration_parse("90", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(zo_duration_parse("90s", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(zo_duration_parse("30m", &s), 0);
	assert_int_equal(s, 1800);
	assert_int_equal(zo_duration_parse("48h", &s), 0);
	assert_int_equal(s, 48 * 3600);
	assert_int_equal(zo_duration_parse("2d", &s), 0);
	assert_int_equal(s, 2 * 86400);
	assert_true(zo_duration_parse("", &s) < 0);
	assert_true(zo_duration_parse("h", &s) < 0);
	assert_true(zo_duration_parse("-1", &s) < 0);
	assert_true(zo_duration_parse("1x", &s) < 0);
	assert_true(zo_duration_parse("1 h", &s) < 0);
	assert_true(zo_duration_parse("99999999999999999999d", &s) < 0);
	assert_true(zo_duration_parse("999999999999999999d", &s) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(split_follows_the_documented_quoting),
		cmocka_unit_test(a_plain_job_is_one_run),
		cmocka_unit_test(matrix_and_repeat_expand_in_order),
		cmocka_unit_test(the_documented_example_parses),
		cmocka_unit_test(bad_jobs_are_refused_with_the_reason),
		cmocka_unit_test(durations),
		cmocka_unit_test(matrix_keys_and_values_are_names),
		cmocka_unit_test(timeouts_are_bounded),
		cmocka_unit_test(a_backslash_on_the_last_line_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
