/* The spool's answer to a run that exits 75 (the host did not answer:
 * ZO_SPOOL_EXIT_TEMPFAIL): queued again once with its partial results set
 * aside, failed the second time; never for a cancelled or timed-out run.
 * A real spool in a temporary directory, driven through ops/spool.h as
 * the daemon drives it (a run child exiting 75 needs a host that does
 * not answer, which the integration tier cannot make of a run yet). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "ops/spool.h"
#include "util/json.h"
#include "util/str.h"

static char base[64];
static struct zo_ctx ctx;
static struct zo_spool spool;
static char results[128];

static int setup(void **state)
{
	struct zo_diags diags = { 0 };
	char path[128];

	(void)state;
	snprintf(base, sizeof(base), "/tmp/zsim-tempfail.XXXXXX");
	if (!mkdtemp(base))
		return -1;
	chmod(base, 0755);
	zo_ctx_init(&ctx);
	if (zo_config_from_ini("/nonexistent/zsim.conf", NULL, &ctx.config, &diags) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/spool", base);
	if (zo_config_override(ctx.config, "paths", "spool", path, ZO_SOURCE_COMMAND_LINE,
			       &diags) < 0)
		return -1;
	snprintf(results, sizeof(results), "%s/results", base);
	mkdir(results, 0755);
	zo_diags_release(&diags);
	return zo_spool_open(&ctx, &spool, true) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	zo_spool_release(&spool);
	zo_config_free(ctx.config);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

/* Drop NAME.job running noop and claim it. */
static void submit(const char *name)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/spool/%s.job", base, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[job]\nexperiment = noop\nargs = --seconds 0\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s.job", name);
	zo_spool_claim(&spool, path);
}

/* Start the next run and make its results directory, as serve does. */
static void start(struct zo_spool_job *j)
{
	assert_int_equal(zo_spool_start_next(&spool, results, j), 1);
	assert_int_equal(mkdir(j->results, 0755), 0);
}

static int64_t meta_int(const char *state, const char *id, const char *key)
{
	json_object *m = zo_spool_read_meta(&spool, state, id), *v;
	int64_t n = -1;

	assert_non_null(m);
	if (json_object_object_get_ex(m, key, &v) && v)
		n = json_object_get_int64(v);
	json_object_put(m);
	return n;
}

static bool meta_has(const char *state, const char *id, const char *key)
{
	json_object *m = zo_spool_read_meta(&spool, state, id);
	bool has;

	assert_non_null(m);
	has = zo_json_get_str(m, key) != NULL;
	json_object_put(m);
	return has;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void exit_75_requeues_once(void **state)
{
	struct zo_spool_job j = { 0 };
	_cleanup_free_ char *id = NULL, *first = NULL, *aside = NULL;

	(void)state;
	submit("flaky");
	start(&j);
	id = strdup(j.id);
	first = strdup(j.results);
	assert_int_equal(j.attempt, 1);
	zo_spool_set_phase(&spool, id, "target start");
	assert_true(meta_has("running", id, "phase"));
	zo_spool_finish(&spool, id, ZO_SPOOL_EXIT_TEMPFAIL, false, 5);
	assert_string_equal(zo_spool_find(&spool, id), "queued");
	assert_true(meta_has("queued", id, "requeued"));
	assert_false(meta_has("queued", id, "phase"));
	/* its partial results kept, apart from the next attempt's */
	aside = zo_asprintf("%s.attempt1-tempfail", first);
	assert_true(is_dir(aside));
	assert_false(is_dir(first));
	zo_spool_job_release(&j);

	start(&j);
	assert_string_equal(j.id, id);
	assert_int_equal(j.attempt, 2);
	zo_spool_finish(&spool, id, ZO_SPOOL_EXIT_TEMPFAIL, false, 5);
	assert_string_equal(zo_spool_find(&spool, id), "failed");
	assert_int_equal(meta_int("failed", id, "exit"), 75);
	zo_spool_job_release(&j);
}

static void not_for_a_cancelled_or_timed_out_run(void **state)
{
	struct zo_spool_job j = { 0 };

	(void)state;
	submit("cancelled");
	start(&j);
	zo_spool_mark_cancel(&spool, j.id, "test\n");
	zo_spool_finish(&spool, j.id, ZO_SPOOL_EXIT_TEMPFAIL, false, 5);
	assert_string_equal(zo_spool_find(&spool, j.id), "failed");
	zo_spool_job_release(&j);

	submit("slow");
	start(&j);
	zo_spool_finish(&spool, j.id, ZO_SPOOL_EXIT_TEMPFAIL, true, 5);
	assert_string_equal(zo_spool_find(&spool, j.id), "failed");
	zo_spool_job_release(&j);

	/* other failures are filed at once, as before */
	submit("broken");
	start(&j);
	zo_spool_finish(&spool, j.id, 1, false, 5);
	assert_string_equal(zo_spool_find(&spool, j.id), "failed");
	zo_spool_job_release(&j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exit_75_requeues_once),
		cmocka_unit_test(not_for_a_cancelled_or_timed_out_run),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
