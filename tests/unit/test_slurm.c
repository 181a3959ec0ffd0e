/* core/slurm: manifests, the sbatch argv, node lines and health decisions. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/slurm.h"
#include "util/str.h"

static char *const noop_args[] = { (char *)"--seconds", (char *)"1", NULL };

static void make_manifest(struct zo_slurm_manifest *m, size_t n)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->sweep = strdup("sw-20260101-120000");
	m->job_file = strdup("sw");
	m->results = strdup("/shared/sw-20260101-120000");
	m->submitted = strdup("2026-01-01T12:00:00+0000");
	m->entries = calloc(n, sizeof(*m->entries));
	m->n = n;
	for (i = 0; i < n; i++) {
		char **argv = calloc(3, sizeof(char *));

		argv[0] = strdup("--seconds");
		argv[1] = zo_asprintf("%zu", i % 2);
		m->entries[i].name = zo_asprintf("sw-s%zu-r%zu", i % 2, i / 2 + 1);
		m->entries[i].experiment = strdup("noop");
		m->entries[i].argv = argv;
		m->entries[i].repeat = (unsigned)(i / 2 + 1);
		m->entries[i].timeout_s = 600;
	}
}

static void manifest_round_trips(void **state)
{
	struct zo_slurm_manifest m, back;
	char *text, *why = NULL;
	size_t i, lines = 0;

	(void)state;
	make_manifest(&m, 4);
	free(m.entries[3].name);
	m.entries[3].name = strdup("quote\"and\\back");
	text = zo_slurm_manifest_text(&m);
	assert_non_null(text);
	/* a header line, one line per run, the closing line */
	for (i = 0; text[i]; i++)
		lines += text[i] == '\n';
	assert_int_equal(lines, 4 + 2);
	assert_int_equal(zo_slurm_manifest_parse(text, &back, &why), 0);
	assert_null(why);
	assert_string_equal(back.sweep, m.sweep);
	assert_string_equal(back.results, m.results);
	assert_int_equal(back.n, 4);
	for (i = 0; i < 4; i++) {
		assert_string_equal(back.entries[i].name, m.entries[i].name);
		assert_string_equal(back.entries[i].experiment, "noop");
		assert_string_equal(back.entries[i].argv[1], m.entries[i].argv[1]);
		assert_null(back.entries[i].argv[2]);
		assert_int_equal(back.entries[i].repeat, m.entries[i].repeat);
		assert_int_equal(back.entries[i].timeout_s, 600);
	}
	free(text);
	zo_slurm_manifest_release(&back);
	zo_slurm_manifest_release(&m);
}

static void bad_manifests_are_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[]",
		"{\"sweep\":\"s\",\"results\":\"/r\",\"n\":2,\"runs\":[]}",
		"{\"sweep\":\"s\",\"results\":\"/r\",\"n\":1,\"runs\":[{\"index\":1,\"name\":\"a\","
		"\"experiment\":\"noop\",\"args\":[],\"repeat\":1,\"timeout_s\":0}]}",
		"{\"sweep\":\"s\",\"results\":\"/r\",\"n\":1,\"runs\":[{\"index\":0,\"name\":\"a\","
		"\"experiment\":\"noop\",\"args\":[1],\"repeat\":1,\"timeout_s\":0}]}",
		"{\"sweep\":\"s\",\"results\":\"/r\",\"n\":1,\"runs\":[{\"index\":0,\"name\":\"a\","
		"\"experiment\":\"noop\",\"repeat\":1,\"timeout_s\":0}]}",
	};
	struct zo_slurm_manifest m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *why = NULL;

		if (zo_slurm_manifest_parse(bad[i], &m, &why) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(why);
		free(why);
	}
}

static void attempts_have_their_own_directory(void **state)
{
	struct zo_slurm_manifest m;
	char *a, *b, *p;

	(void)state;
	make_manifest(&m, 2);
	a = zo_slurm_attempt_dir(&m, 1, "4242", 0);
	b = zo_slurm_attempt_dir(&m, 1, "4242", 1);
	p = zo_slurm_attempt_prefix(&m, 1, "4242");
	assert_string_equal(a, "/shared/sw-20260101-120000/sw-s1-r1-4242_1-r0");
	assert_string_equal(b, "/shared/sw-20260101-120000/sw-s1-r1-4242_1-r1");
	assert_string_equal(p, "sw-s1-r1-4242_1-r");
	free(a);
	free(b);
	free(p);
	zo_slurm_manifest_release(&m);
}

static void constraint_follows_the_ept_rule(void **state)
{
	char *const fleet[] = { (char *)"ept_off", (char *)"ept_on", (char *)"pabits39",
				(char *)"pabits46", (char *)"zerosim", NULL };
	char *const ept_on_only[] = { (char *)"ept_on", (char *)"pabits39", (char *)"zerosim",
				      NULL };
	char *c = NULL;

	(void)state;
	/* every width maps a small target with EPT */
	assert_int_equal(zo_slurm_constraint(0, fleet, &c), 0);
	assert_string_equal(c, "zerosim");
	free(c);
	assert_int_equal(zo_slurm_constraint(63, NULL, &c), 0);
	assert_string_equal(c, "zerosim");
	free(c);
	/* 600 GB: 39 bits map 512 GB, 40 bits 1 TB */
	assert_int_equal(zo_slurm_constraint(600, NULL, &c), 0);
	assert_non_null(strstr(c, "zerosim&(ept_off|pabits40|pabits41|"));
	assert_null(strstr(c, "pabits39"));
	assert_non_null(strstr(c, "|pabits52)"));
	free(c);
	/* only the features some node has (Slurm refuses others) */
	assert_int_equal(zo_slurm_constraint(600, fleet, &c), 0);
	assert_string_equal(c, "zerosim&(ept_off|pabits46)");
	free(c);
	/* preflight refuses EPT at exactly the limit */
	assert_int_equal(zo_slurm_constraint(512, NULL, &c), 0);
	assert_non_null(strstr(c, "(ept_off|pabits40|"));
	free(c);
	/* 64 TB: beyond 46 bits */
	assert_int_equal(zo_slurm_constraint(65536, fleet, &c), 0);
	assert_string_equal(c, "zerosim&ept_off");
	free(c);
	/* beyond every width: EPT off only */
	assert_int_equal(zo_slurm_constraint(1ULL << 23, NULL, &c), 0);
	assert_string_equal(c, "zerosim&ept_off");
	free(c);
	/* no node could */
	assert_int_equal(zo_slurm_constraint(600, ept_on_only, &c), -ENODEV);
	assert_string_equal(c, "ept_off, or pabits40 or more");
	free(c);
	assert_int_equal(zo_slurm_constraint(1ULL << 23, ept_on_only, &c), -ENODEV);
	assert_string_equal(c, "ept_off");
	free(c);
}

static void join(char **argv, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; argv[i]; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", argv[i]);
}

static void sbatch_argv_is_exact(void **state)
{
	struct zo_slurm_submit_plan p = {
		.sweep_dir = "/shared/sweeps/sw-1",
		.script = "/shared/sweeps/sw-1/batch.sh",
		.job_name = "sw-1",
		.n_runs = 60,
		.parallel = 3,
		.partition = "zsim",
		.constraint = "zerosim&(ept_off|pabits43)",
		.target_gb = 4096,
		.node_ram_gb = 64,
		.timeout_s = 3600,
	};
	char buf[2048], **v;

	(void)state;
	v = zo_slurm_sbatch_argv(&p);
	join(v, buf, sizeof(buf));
	assert_non_null(strstr(buf, "sbatch --parsable --array=0-59%3 --exclusive --requeue "
				    "--constraint=zerosim&(ept_off|pabits43) "));
	/* 4096 GB - 64 GB of RAM; (3600 + 300) s in minutes */
	assert_non_null(strstr(buf, " --gres=swapgb:4032 --mem=64G --time=65 "
				    "--signal=B:TERM@300 --partition=zsim --job-name=sw-1 "
				    "--chdir=/shared/sweeps/sw-1 "
				    "--output=/shared/sweeps/sw-1/log/%A_%a.log --open-mode=append "
				    "/shared/sweeps/sw-1/batch.sh"));
	zo_strv_free(v);

	/* noop runs: no GRES, no memory, no time limit; no cap when P >= N */
	p.target_gb = 0;
	p.node_ram_gb = 0;
	p.timeout_s = 0;
	p.partition = NULL;
	p.constraint = "zerosim";
	p.parallel = 60;
	v = zo_slurm_sbatch_argv(&p);
	join(v, buf, sizeof(buf));
	assert_string_equal(buf, "sbatch --parsable --array=0-59 --exclusive --requeue "
				 "--constraint=zerosim --signal=B:TERM@300 --job-name=sw-1 "
				 "--chdir=/shared/sweeps/sw-1 "
				 "--output=/shared/sweeps/sw-1/log/%A_%a.log --open-mode=append "
				 "/shared/sweeps/sw-1/batch.sh");
	zo_strv_free(v);

	p.n_runs = 0;
	assert_null(zo_slurm_sbatch_argv(&p));
}

static void batch_script_only_execs_the_task(void **state)
{
	char *s;

	(void)state;
	s = zo_slurm_batch_script("/shared/it's here/manifest.json");
	assert_string_equal(s, "#!/bin/sh\n"
			       "# One run of a zsim sweep: the array task's entry of the manifest.\n"
			       "exec zsim-orch slurm task '/shared/it'\\''s here/manifest.json'\n");
	free(s);
}

static void node_line_from_facts(void **state)
{
	struct zo_slurm_node_facts f = {
		.name = "zn1",
		.cpus = 32,
		.mem_bytes = 65855908ULL * 1024,
		.zerosim = true,
		.ept = 0,
		.phys_bits = 39,
		/* the kernel enabled 2 TiB of a 10T volume */
		.swap_bytes = 2147483644ULL * 1024,
	};
	char *s;

	(void)state;
	s = zo_slurm_node_conf(&f, false);
	assert_string_equal(s, "NodeName=zn1 CPUs=32 RealMemory=64312 "
			       "Features=zerosim,ept_off,pabits39 Gres=swapgb:no_consume:2047");
	free(s);
	s = zo_slurm_node_conf(&f, true);
	assert_string_equal(s, "CPUs=32 RealMemory=64312 Features=zerosim,ept_off,pabits39 "
			       "Gres=swapgb:no_consume:2047");
	free(s);
	/* a stock kernel, kvm_intel not loaded, no address sizes line */
	f.zerosim = false;
	f.ept = -1;
	f.phys_bits = 0;
	f.swap_bytes = 0;
	s = zo_slurm_node_conf(&f, false);
	assert_string_equal(s, "NodeName=zn1 CPUs=32 RealMemory=64312 Gres=swapgb:no_consume:0");
	free(s);
}

static void health_drains_and_resumes_only_its_own(void **state)
{
	char *reason = NULL;

	(void)state;
	assert_int_equal(zo_slurm_health_decide("idle", "", "", &reason), ZO_SLURM_HEALTH_NONE);
	assert_int_equal(zo_slurm_health_decide("idle", "", "swap: none", &reason),
			 ZO_SLURM_HEALTH_DRAIN);
	assert_string_equal(reason, "zsim: swap: none");
	free(reason);
	/* already drained for that reason: nothing more */
	assert_int_equal(zo_slurm_health_decide("drained", "zsim: swap: none", "swap: none",
						&reason),
			 ZO_SLURM_HEALTH_NONE);
	assert_null(reason);
	/* another of our reasons: drained again with the new one */
	assert_int_equal(zo_slurm_health_decide("draining", "zsim: swap: none", "QEMU: down",
						&reason),
			 ZO_SLURM_HEALTH_DRAIN);
	assert_string_equal(reason, "zsim: QEMU: down");
	free(reason);
	/* fixed: resumed */
	assert_int_equal(zo_slurm_health_decide("IDLE+DRAIN", "zsim: QEMU: down", "", &reason),
			 ZO_SLURM_HEALTH_RESUME);
	assert_int_equal(zo_slurm_health_decide("drained*", "zsim: x", "", &reason),
			 ZO_SLURM_HEALTH_RESUME);
	/* an admin's drain is theirs, passing or failing */
	assert_int_equal(zo_slurm_health_decide("drained", "disk swap", "", &reason),
			 ZO_SLURM_HEALTH_NONE);
	assert_int_equal(zo_slurm_health_decide("drained", "disk swap", "swap: none", &reason),
			 ZO_SLURM_HEALTH_NONE);
	/* a reason on a node that is not drained is no drain */
	assert_int_equal(zo_slurm_health_decide("idle", "zsim: old", "", &reason),
			 ZO_SLURM_HEALTH_NONE);
}

static void health_reason_is_bounded(void **state)
{
	char failures[1000], *reason = NULL;

	(void)state;
	memset(failures, 'x', sizeof(failures) - 1);
	failures[sizeof(failures) - 1] = '\0';
	assert_int_equal(zo_slurm_health_decide("idle", "", failures, &reason),
			 ZO_SLURM_HEALTH_DRAIN);
	assert_int_equal(strlen(reason), 250);
	assert_true(strncmp(reason, "zsim: xxx", 9) == 0);
	free(reason);
}

static void advertised_features_are_checked(void **state)
{
	struct zo_slurm_node_facts f = {
		.name = "zn1", .cpus = 2, .mem_bytes = 1ULL << 36, .zerosim = true, .ept = 0,
		.phys_bits = 39, .swap_bytes = 10240ULL << 30,
	};
	char *d;

	(void)state;
	assert_null(zo_slurm_features_differ("zerosim,ept_off,pabits39", "swapgb:10K", &f));
	assert_null(zo_slurm_features_differ("zerosim,ept_off,pabits39", "swapgb:10240", &f));
	/* advertising less swap than there is does no harm */
	assert_null(zo_slurm_features_differ("zerosim,ept_off,pabits39", "swapgb:2K", &f));
	d = zo_slurm_features_differ("zerosim,ept_on,pabits39", "swapgb:10K", &f);
	assert_non_null(strstr(d, "Features=zerosim,ept_on,pabits39 in slurm.conf but the host is "
				  "zerosim,ept_off,pabits39"));
	free(d);
	f.swap_bytes = 0;
	d = zo_slurm_features_differ("zerosim,ept_off,pabits39", "swapgb:10K", &f);
	assert_non_null(strstr(d, "Gres=swapgb:10K in slurm.conf but the kernel enabled 0 GiB"));
	free(d);
	d = zo_slurm_features_differ("zerosim,ept_off,pabits39", "", &f);
	assert_non_null(d);
	free(d);
}

static void target_size_comes_from_the_schema(void **state)
{
	char *big[] = { (char *)"4096", (char *)"2", NULL };
	struct zo_slurm_entry e = { .name = (char *)"x", .experiment = (char *)"exp00000",
				    .argv = big };

	(void)state;
	assert_int_equal(zo_slurm_target_gb(&e), 4096);
	e.experiment = (char *)"noop";
	e.argv = (char **)noop_args;
	assert_int_equal(zo_slurm_target_gb(&e), 0);
	e.experiment = (char *)"nosuch";
	assert_int_equal(zo_slurm_target_gb(&e), 0);
	assert_int_equal(zo_slurm_swap_gb(4096, 64), 4032);
	assert_int_equal(zo_slurm_swap_gb(32, 64), 0);
}

static void varying_arguments(void **state)
{
	struct zo_slurm_manifest m;
	bool *v = NULL;
	size_t n = 0;

	(void)state;
	make_manifest(&m, 4);
	assert_int_equal(zo_slurm_varying_args(&m, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_false(v[0]);
	assert_true(v[1]);
	free(v);
	zo_slurm_manifest_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(manifest_round_trips),
		cmocka_unit_test(bad_manifests_are_refused),
		cmocka_unit_test(attempts_have_their_own_directory),
		cmocka_unit_test(constraint_follows_the_ept_rule),
		cmocka_unit_test(sbatch_argv_is_exact),
		cmocka_unit_test(batch_script_only_execs_the_task),
		cmocka_unit_test(node_line_from_facts),
		cmocka_unit_test(health_drains_and_resumes_only_its_own),
		cmocka_unit_test(health_reason_is_bounded),
		cmocka_unit_test(advertised_features_are_checked),
		cmocka_unit_test(target_size_comes_from_the_schema),
		cmocka_unit_test(varying_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
