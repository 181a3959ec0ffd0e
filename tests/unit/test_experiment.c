/* core/experiment.c with the registered schemas: argument parsing, the
 * canonical argv, and result names (the contract with the old runner's
 * plotting scripts) for every combination exp00000's schema allows. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/experiment.h"

/* 2026-11-23 10:00:00, the time every name below is made at */
static const struct tm when = { .tm_year = 126, .tm_mon = 10, .tm_mday = 23, .tm_hour = 10 };

static const struct zo_experiment *find(const char *name)
{
	const struct zo_experiment *e = zo_experiment_find(name);

	if (!e)
		fail_msg("no experiment '%s' registered", name);
	return e;
}

/* argv from a NULL-terminated list */
static int parse(const char *exp, const char *const *args, struct zo_exp_args *ret,
		 char **ret_error)
{
	int n = 0;

	while (args[n])
		n++;
	return zo_exp_parse(find(exp), n, (char *const *)args, ret, ret_error);
}

static void parse_ok(const char *exp, const char *const *args, struct zo_exp_args *ret)
{
	char *why = NULL;

	if (parse(exp, args, ret, &why) < 0)
		fail_msg("%s %s...: %s", exp, args[0] ? args[0] : "", why ? why : "?");
	assert_null(why);
}

static void parse_fails(const char *exp, const char *const *args, const char *msg)
{
	struct zo_exp_args a;
	char *why = NULL;

	/* the result is written only on success */
	memset(&a, 0x5a, sizeof(a));
	assert_int_equal(parse(exp, args, &a, &why), -EINVAL);
	assert_non_null(why);
	if (strcmp(why, msg))
		fail_msg("%s %s...:\n  got  '%s'\n  want '%s'", exp, args[0] ? args[0] : "", why,
			 msg);
	assert_true(a.exp == (const struct zo_experiment *)(uintptr_t)0x5a5a5a5a5a5a5a5aULL);
	free(why);
}

static char *name_of(const char *exp, const char *const *args)
{
	struct zo_exp_args a;
	char *base;

	parse_ok(exp, args, &a);
	base = zo_exp_results_base(&a, &when);
	zo_exp_args_release(&a);
	assert_non_null(base);
	return base;
}

static void name_is(const char *exp, const char *const *args, const char *want)
{
	char *got = name_of(exp, args);

	assert_string_equal(got, want);
	free(got);
}

static void registry_lists_every_experiment(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(zo_n_experiments, 11);
	assert_string_equal(zo_experiments[0]->name, "exp00000");
	assert_string_equal(zo_experiments[1]->name, "exp00002");
	assert_string_equal(zo_experiments[2]->name, "exp00003");
	assert_string_equal(zo_experiments[3]->name, "exp00004");
	assert_string_equal(zo_experiments[4]->name, "exp00005");
	assert_string_equal(zo_experiments[5]->name, "exp00006");
	assert_string_equal(zo_experiments[6]->name, "exp00007");
	assert_string_equal(zo_experiments[7]->name, "exp00008");
	assert_string_equal(zo_experiments[8]->name, "exp00009");
	assert_string_equal(zo_experiments[9]->name, "exp00010");
	assert_string_equal(zo_experiments[10]->name, "noop");
	for (i = 0; i < zo_n_experiments; i++) {
		const struct zo_experiment *e = zo_experiments[i];

		assert_ptr_equal(zo_experiment_find(e->name), e);
		assert_non_null(e->run);
		assert_non_null(e->summary);
		assert_non_null(e->phases[0]);
		assert_true(e->n_params <= ZO_EXP_MAX_PARAMS);
	}
	assert_null(zo_experiment_find("exp99999"));
	assert_null(zo_experiment_find(""));
	assert_null(zo_experiment_find("EXP00000"));
}

/* Canonical argv of a parse, joined: equal strings mean equal settings. */
static char *settings_of(const char *exp, const char *const *args)
{
	struct zo_exp_args a;
	char **argv, *joined = NULL;
	size_t i, len = 1;

	parse_ok(exp, args, &a);
	argv = zo_exp_argv(&a);
	assert_non_null(argv);
	for (i = 0; argv[i]; i++)
		len += strlen(argv[i]) + 1;
	joined = calloc(1, len);
	assert_non_null(joined);
	for (i = 0; argv[i]; i++) {
		strcat(joined, i ? " " : "");
		strcat(joined, argv[i]);
		free(argv[i]);
	}
	free(argv);
	zo_exp_args_release(&a);
	return joined;
}

/* exp00000's names by the old runner's gen_file_name (common/output.rs)
 * over its settings (exp00000.rs): workload "bmk", app, vm_size, cores
 * when > 1, size when given, disable_zswap and multicore_offsetting when
 * set, the drift threshold and delay when given; each as NAME + its JSON
 * value with quotes made '_'. Every combination, in zsim's spellings and
 * in the runner's, which must mean the same settings. */
static void exp00000_names_for_every_combination(void **state)
{
	static const struct {
		const char *flag, *runner, *app;
	} workloads[] = {
		{ NULL, NULL, "TimeMmapTouch" },
		{ "--zeros", "-z", "TimeMmapTouch" },
		{ "--counter", "-c", "TimeMmapTouch" },
		{ "--memcached", "-m", "Memcached" },
		{ "--redis", "-r", "Redis" },
		{ "--matrixmult", "-M", "MatrixMult2" },
	};
	static const struct {
		const char *flag, *runner, *name;
	} flags[] = {
		{ "--warmup", "-w", "" },
		{ "--prefault", "-p", "" },
		{ "--disable-zswap", "--disable_zswap", "-disable_zswaptrue" },
		{ "--multicore-offsetting", "--multicore_offsetting", "-multicore_offsettingtrue" },
	};
	size_t w, cores, size, mask, drift, delay, i, n_names = 0, n_refused = 0;

	(void)state;
	for (w = 0; w < 6; w++)
		for (cores = 0; cores < 2; cores++)
			for (size = 0; size < 2; size++)
				for (mask = 0; mask < 16; mask++)
					for (drift = 0; drift < 2; drift++)
						for (delay = 0; delay < 2; delay++) {
		const char *args[20], *old[20];
		char want[256], *mine, *theirs;
		int n = 0, m = 0;

		args[n++] = old[m++] = "4";
		if (cores)
			args[n++] = old[m++] = "2";
		if (workloads[w].flag) {
			args[n++] = workloads[w].flag;
			old[m++] = workloads[w].runner;
		}
		for (i = 0; i < 4; i++)
			if (mask & (1u << i)) {
				args[n++] = flags[i].flag;
				old[m++] = flags[i].runner;
			}
		if (size) {
			args[n++] = "--size";
			args[n++] = "1";
			old[m++] = "-s";
			old[m++] = "1";
		}
		if (drift) {
			args[n++] = "--drift-thresh";
			args[n++] = "100000";
			old[m++] = "--drift_thresh";
			old[m++] = "100000";
		}
		if (delay) {
			args[n++] = "--delay=30000";
			old[m++] = "--delay";
			old[m++] = "30000";
		}
		args[n] = old[m] = NULL;
		if ((drift || delay) && !(mask & 8)) {
			/* clap's requires[MULTICORE_OFFSETTING] */
			parse_fails("exp00000", args,
				    drift ? "--drift-thresh needs --multicore-offsetting (the old "
					    "runner's rule)"
					  : "--delay needs --multicore-offsetting (the old runner's rule)");
			parse_fails("exp00000", old,
				    drift ? "--drift_thresh needs --multicore_offsetting (the old "
					    "runner's rule)"
					  : "--delay needs --multicore-offsetting (the old runner's rule)");
			n_refused++;
			continue;
		}
		snprintf(want, sizeof(want),
			 "workload_bmk_-app_%s_-vm_size4%s%s%s%s%s%s-2026-11-23-10-00-00",
			 workloads[w].app, cores ? "-cores2" : "", size ? "-size1" : "",
			 mask & 4 ? flags[2].name : "", mask & 8 ? flags[3].name : "",
			 drift ? "-zerosim_drift_threshold100000" : "",
			 delay ? "-zerosim_delay30000" : "");
		name_is("exp00000", args, want);
		name_is("exp00000", old, want);
		mine = settings_of("exp00000", args);
		theirs = settings_of("exp00000", old);
		assert_string_equal(mine, theirs);
		free(mine);
		free(theirs);
		n_names++;
	}
	assert_int_equal(n_names + n_refused, 6 * 2 * 2 * 16 * 2 * 2);
	assert_int_equal(n_refused, 6 * 2 * 2 * 8 * 3);
	/* the example, and the bounds of each named setting */
	name_is("exp00000", (const char *const[]){ "4096", NULL },
		"workload_bmk_-app_TimeMmapTouch_-vm_size4096-2026-11-23-10-00-00");
	name_is("exp00000", (const char *const[]){ "1", NULL },
		"workload_bmk_-app_TimeMmapTouch_-vm_size1-2026-11-23-10-00-00");
	name_is("exp00000", (const char *const[]){ "1048576", "4096", "--size", "1048576", NULL },
		"workload_bmk_-app_TimeMmapTouch_-vm_size1048576-cores4096-size1048576-"
		"2026-11-23-10-00-00");
	/* cores 1 given is still cores 1: not in the name */
	name_is("exp00000", (const char *const[]){ "4096", "1", "-m", NULL },
		"workload_bmk_-app_Memcached_-vm_size4096-2026-11-23-10-00-00");
	/* numbers as they read, not as typed */
	name_is("exp00000", (const char *const[]){ "0004", "01", "--size=02", NULL },
		"workload_bmk_-app_TimeMmapTouch_-vm_size4-size2-2026-11-23-10-00-00");
}

/* The runner's rule itself, on settings made up to hit its corners. */
static void gen_file_name_rule(void **state)
{
	struct zo_exp_settings s = { .n = 0 };
	char *name;

	(void)state;
	assert_int_equal(zo_exp_settings_str(&s, "w", true, "a b'c\"d"), 0);
	assert_int_equal(zo_exp_settings_uint(&s, "n", true, 7), 0);
	assert_int_equal(zo_exp_settings_bool(&s, "hidden", false, true), 0);
	assert_int_equal(zo_exp_settings_null(&s, "x", true), 0);
	assert_int_equal(zo_exp_settings_bool(&s, "b", true, false), 0);
	assert_string_equal(s.v[0].json, "\"a b'c\\\"d\"");
	name = zo_exp_file_name(&s, &when);
	/* spaces, quotes and apostrophes -> '_'; a backslash stays */
	assert_string_equal(name, "w_a_b_c\\_d_-n7-xnull-bfalse-2026-11-23-10-00-00");
	free(name);
	zo_exp_settings_release(&s);
	assert_int_equal(s.n, 0);
}

static void noop_names(void **state)
{
	(void)state;
	name_is("noop", (const char *const[]){ NULL }, "noop-seconds1-2026-11-23-10-00-00");
	name_is("noop", (const char *const[]){ "--seconds", "0", NULL },
		"noop-seconds0-2026-11-23-10-00-00");
	name_is("noop", (const char *const[]){ "--seconds=604800", NULL },
		"noop-seconds604800-2026-11-23-10-00-00");
}

static void the_time_is_local_and_zero_padded(void **state)
{
	struct tm t = { .tm_year = 99, .tm_mon = 0, .tm_mday = 2, .tm_hour = 3, .tm_min = 4,
			.tm_sec = 5 };
	struct zo_exp_args a;
	char *base;

	(void)state;
	parse_ok("noop", (const char *const[]){ NULL }, &a);
	base = zo_exp_results_base(&a, &t);
	assert_string_equal(base, "noop-seconds1-1999-01-02-03-04-05");
	free(base);
	zo_exp_args_release(&a);
}

/* The spellings the schema accepts for one setting, and what they mean. */
static void exp00000_spellings_and_defaults(void **state)
{
	struct zo_exp_args a;

	(void)state;
	/* nothing but the target size: every default */
	parse_ok("exp00000", (const char *const[]){ "4", NULL }, &a);
	assert_string_equal(zo_exp_get(&a, "vm_size"), "4");
	assert_string_equal(zo_exp_get(&a, "cores"), "1");
	assert_string_equal(zo_exp_choice(&a, "workload"), "zeros");
	assert_true(zo_exp_flag(&a, "zeros"));
	assert_false(zo_exp_flag(&a, "counter"));
	assert_false(zo_exp_flag(&a, "warmup"));
	assert_null(zo_exp_get(&a, "size"));
	assert_null(zo_exp_get(&a, "drift_thresh"));
	assert_null(zo_exp_get(&a, "nonexistent"));
	assert_int_equal(zo_exp_get_uint(&a, "size"), 0);
	assert_string_equal(zo_exp_workload(&a), "time_mmap_touch");
	zo_exp_args_release(&a);

	/* options before, between and after the positionals; NAME=VALUE; the
	 * last of a repeated option wins; "--" ends the options */
	parse_ok("exp00000", (const char *const[]){ "--counter", "--size=1", "8", "--warmup",
						    "--size", "2", "--warmup", "--", "3", NULL },
		 &a);
	assert_int_equal(zo_exp_get_uint(&a, "vm_size"), 8);
	assert_int_equal(zo_exp_get_uint(&a, "cores"), 3);
	assert_int_equal(zo_exp_get_uint(&a, "size"), 2);
	assert_true(zo_exp_flag(&a, "counter"));
	assert_false(zo_exp_flag(&a, "zeros")); /* a group default yields to a choice */
	assert_true(zo_exp_flag(&a, "warmup"));
	assert_string_equal(zo_exp_choice(&a, "workload"), "counter");
	zo_exp_args_release(&a);

	parse_ok("exp00000", (const char *const[]){ "4", "--memcached", "--drift-thresh", "0",
						    "--delay", "4611686018427387904",
						    "--multicore-offsetting", NULL },
		 &a);
	assert_string_equal(zo_exp_workload(&a), "memcached_gen_data");
	assert_string_equal(zo_exp_get(&a, "drift_thresh"), "0");
	assert_string_equal(zo_exp_get(&a, "delay"), "4611686018427387904");
	zo_exp_args_release(&a);

	/* the runner's: `runner exp00000 HOST USER 4096 1 -m` */
	parse_ok("exp00000", (const char *const[]){ "4096", "1", "-m", NULL }, &a);
	assert_string_equal(zo_exp_choice(&a, "workload"), "memcached");
	assert_int_equal(zo_exp_get_uint(&a, "cores"), 1);
	zo_exp_args_release(&a);
	/* bundled and attached short options, as clap took them */
	parse_ok("exp00000", (const char *const[]){ "8", "2", "-wpc", "-s4", NULL }, &a);
	assert_true(zo_exp_flag(&a, "warmup"));
	assert_true(zo_exp_flag(&a, "prefault"));
	assert_true(zo_exp_flag(&a, "counter"));
	assert_int_equal(zo_exp_get_uint(&a, "size"), 4);
	assert_string_equal(zo_exp_spelling(&a, "size"), "-s");
	zo_exp_args_release(&a);
	parse_ok("exp00000", (const char *const[]){ "8", "-zws", "3", "--multicore_offsetting",
						    "--drift_thresh=5", "--delay", "6",
						    "--disable_zswap", NULL },
		 &a);
	assert_true(zo_exp_flag(&a, "zeros"));
	assert_int_equal(zo_exp_get_uint(&a, "size"), 3);
	assert_true(zo_exp_flag(&a, "multicore_offsetting"));
	assert_true(zo_exp_flag(&a, "disable_zswap"));
	assert_int_equal(zo_exp_get_uint(&a, "drift_thresh"), 5);
	assert_int_equal(zo_exp_get_uint(&a, "delay"), 6);
	zo_exp_args_release(&a);
}

static void canonical_argv_runs_the_same_again(void **state)
{
	static const char *const want[] = { "8", "--counter", "--warmup", "--size", "2", NULL };
	struct zo_exp_args a, b;
	char **argv, *first, *second;
	size_t i;

	(void)state;
	parse_ok("exp00000", (const char *const[]){ "--size=02", "--warmup", "--counter", "8",
						    NULL },
		 &a);
	argv = zo_exp_argv(&a);
	assert_non_null(argv);
	for (i = 0; want[i]; i++)
		assert_string_equal(argv[i], want[i]);
	assert_null(argv[i]);
	parse_ok("exp00000", (const char *const *)argv, &b);
	first = zo_exp_results_base(&a, &when);
	second = zo_exp_results_base(&b, &when);
	assert_string_equal(first, second);
	free(first);
	free(second);
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
	zo_exp_args_release(&a);
	zo_exp_args_release(&b);

	/* defaults are not written out: nothing given, nothing recorded */
	parse_ok("noop", (const char *const[]){ NULL }, &a);
	argv = zo_exp_argv(&a);
	assert_non_null(argv);
	assert_null(argv[0]);
	free(argv);
	zo_exp_args_release(&a);
}

static void bad_input_is_named(void **state)
{
	static const struct {
		const char *exp;
		const char *args[6];
		const char *msg;
	} cases[] = {
		{ "exp00000", { NULL },
		  "VMSIZE is missing; usage: zsim-orch run exp00000 VMSIZE [OPTIONS]" },
		{ "exp00000", { "--zeros", NULL },
		  "VMSIZE is missing; usage: zsim-orch run exp00000 VMSIZE [OPTIONS]" },
		{ "exp00000", { "abc", NULL },
		  "VMSIZE abc: use a whole number from 1 to 1048576" },
		{ "exp00000", { "0", NULL }, "VMSIZE 0: use a whole number from 1 to 1048576" },
		{ "exp00000", { "1048577", NULL },
		  "VMSIZE 1048577: use a whole number from 1 to 1048576" },
		{ "exp00000", { "4k", NULL },
		  "VMSIZE 4k: use a whole number from 1 to 1048576" },
		{ "exp00000", { " 4", NULL },
		  "VMSIZE  4: use a whole number from 1 to 1048576" },
		{ "exp00000", { "", NULL }, "VMSIZE : use a whole number from 1 to 1048576" },
		{ "exp00000", { "99999999999999999999", NULL },
		  "VMSIZE 99999999999999999999: use a whole number from 1 to 1048576" },
		{ "exp00000", { "-1", NULL },
		  "-1: unknown option for exp00000; see 'zsim-orch run exp00000 --help'" },
		{ "exp00000", { "4", "0", NULL },
		  "CORES 0: use a whole number from 1 to 4096" },
		{ "exp00000", { "4", "4097", NULL },
		  "CORES 4097: use a whole number from 1 to 4096" },
		{ "exp00000", { "4", "1", "1", NULL }, "unexpected argument '1'" },
		{ "exp00000", { "4", "1", "--zeros", "--counter", NULL },
		  "--zeros and --counter exclude each other; give one workload" },
		{ "exp00000", { "4", "--redis", "--matrixmult", NULL },
		  "--redis and --matrixmult exclude each other; give one workload" },
		{ "exp00000", { "4", "1", "-z", "-m", NULL },
		  "-z and -m exclude each other; give one workload" },
		{ "exp00000", { "4", "-zc", NULL }, "-z and -c exclude each other; give one workload" },
		{ "exp00000", { "4", "--size", "8", NULL },
		  "--size 8 is larger than the target (4 GB)" },
		{ "exp00000", { "4", "-s", "8", NULL }, "-s 8 is larger than the target (4 GB)" },
		{ "exp00000", { "4", "-s5", NULL }, "-s 5 is larger than the target (4 GB)" },
		{ "exp00000", { "4", "--delay", "5", NULL },
		  "--delay needs --multicore-offsetting (the old runner's rule)" },
		{ "exp00000", { "4", "--drift_thresh", "5", NULL },
		  "--drift_thresh needs --multicore_offsetting (the old runner's rule)" },
		{ "exp00000", { "4", "-s", NULL }, "-s needs a value (GB)" },
		{ "exp00000", { "4", "-wx", NULL },
		  "-wx: unknown option for exp00000; see 'zsim-orch run exp00000 --help'" },
		{ "exp00000", { "4", "-w=1", NULL }, "-w takes no value" },
		{ "exp00000", { "4", "--size", "0", NULL },
		  "--size 0: use a whole number from 1 to 1048576" },
		{ "exp00000", { "4", "--size", NULL }, "--size needs a value (GB)" },
		{ "exp00000", { "4", "--delay", NULL }, "--delay needs a value (N)" },
		{ "exp00000", { "4", "--drift-thresh", "x", NULL },
		  "--drift-thresh x: use a whole number from 0 to 4611686018427387904" },
		{ "exp00000", { "4", "--delay=-1", NULL },
		  "--delay -1: use a whole number from 0 to 4611686018427387904" },
		{ "exp00000", { "4", "--warmup=yes", NULL }, "--warmup takes no value" },
		{ "exp00000", { "4", "--bogus", NULL },
		  "--bogus: unknown option for exp00000; see 'zsim-orch run exp00000 --help'" },
		{ "exp00000", { "4", "--size2", NULL },
		  "--size2: unknown option for exp00000; see 'zsim-orch run exp00000 --help'" },
		{ "noop", { "--seconds", "; rm -rf /", NULL },
		  "--seconds ; rm -rf /: use a whole number from 0 to 604800" },
		{ "noop", { "--seconds", "604801", NULL },
		  "--seconds 604801: use a whole number from 0 to 604800" },
		{ "noop", { "$(reboot)", NULL }, "unexpected argument '$(reboot)'" },
		{ "noop", { "--", "--seconds", NULL }, "unexpected argument '--seconds'" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		parse_fails(cases[i].exp, cases[i].args, cases[i].msg);
}

static void usage_lists_options_and_phases(void **state)
{
	char *u;

	(void)state;
	u = zo_exp_usage(find("exp00000"));
	assert_non_null(u);
	assert_non_null(strstr(u, "usage: zsim-orch run exp00000 VMSIZE [CORES] [OPTIONS]\n"));
	assert_non_null(strstr(u, "  --size GB "));
	assert_non_null(strstr(u, "(1..1048576)"));
	assert_non_null(strstr(u, "(1..4096, default 1)"));
	assert_non_null(strstr(u, "\nPhases: preflight, storage, condition host, target start, "
				  "setup, warmup, workload, collect, target stop, restore host\n"));
	assert_non_null(strstr(u, "[also -s]"));
	assert_non_null(strstr(u, "[also --drift_thresh] [needs --multicore-offsetting]"));
	free(u);
	u = zo_exp_usage(find("noop"));
	assert_non_null(u);
	assert_non_null(strstr(u, "usage: zsim-orch run noop [OPTIONS]\n"));
	assert_non_null(strstr(u, "  --seconds N "));
	assert_non_null(strstr(u, "\nPhases: sleep, collect\n"));
	free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(registry_lists_every_experiment),
		cmocka_unit_test(exp00000_names_for_every_combination),
		cmocka_unit_test(gen_file_name_rule),
		cmocka_unit_test(noop_names),
		cmocka_unit_test(the_time_is_local_and_zero_padded),
		cmocka_unit_test(exp00000_spellings_and_defaults),
		cmocka_unit_test(canonical_argv_runs_the_same_again),
		cmocka_unit_test(bad_input_is_named),
		cmocka_unit_test(usage_lists_options_and_phases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
