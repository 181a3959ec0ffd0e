/* core/params.c: what run --from takes from a .params text, and every
 * shape it refuses with the reason. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/params.h"

static int parse(const char *text, struct zo_params *p, char **why)
{
	return zo_params_parse(text, strlen(text), p, why);
}

static void a_params_file_gives_its_experiment_and_args(void **state)
{
	struct zo_params p;
	char *why = NULL;

	(void)state;
	assert_int_equal(parse("{\"experiment\": \"noop\", \"args\": [\"--seconds\", \"0\"],\n"
			       " \"kernel\": \"6.1.0\", \"zsim_orch_commit\": null,\n"
			       " \"config\": {\"paths\": {\"results\": \"/r\"}}}\n",
			       &p, &why),
			 0);
	assert_null(why);
	assert_int_equal(p.argc, 3);
	assert_string_equal(p.argv[0], "noop");
	assert_string_equal(p.argv[1], "--seconds");
	assert_string_equal(p.argv[2], "0");
	assert_null(p.argv[3]);
	assert_string_equal(p.kernel, "6.1.0");
	assert_null(p.commit);
	assert_non_null(p.config);
	zo_params_release(&p);
	assert_int_equal(parse("{\"experiment\": \"noop\", \"args\": []}", &p, &why), 0);
	assert_int_equal(p.argc, 1);
	assert_null(p.argv[1]);
	assert_null(p.config);
	zo_params_release(&p);
}

static void refused(const char *text, size_t len, const char *want)
{
	struct zo_params p;
	char *why = NULL;

	if (zo_params_parse(text, len, &p, &why) != -EINVAL)
		fail_msg("accepted: %s", text);
	assert_non_null(why);
	if (strncmp(why, want, strlen(want)))
		fail_msg("'%s': '%s', not '%s'", text, why, want);
	free(why);
}

static void every_wrong_shape_is_refused_with_the_reason(void **state)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "{\"experiment\": \"noop\", \"args\": [null]}", "\"args\"[0] is null, not a string" },
		{ "{\"experiment\": \"noop\", \"args\": [\"a\", 1]}", "\"args\"[1] is a number" },
		{ "{\"experiment\": \"noop\", \"args\": [\"a\\u0000b\"]}",
		  "\"args\"[0] is a string with a NUL byte" },
		{ "{\"experiment\": \"noop\", \"args\": \"x\"}", "\"args\" is a string, not an array" },
		{ "{\"experiment\": \"noop\"}", "no \"args\" recorded in it" },
		{ "{\"args\": []}", "no \"experiment\" recorded in it" },
		{ "{\"experiment\": [], \"args\": []}", "\"experiment\" is an array, not a name" },
		{ "{\"experiment\": \"\", \"args\": []}", "\"experiment\" is empty, not a name" },
		{ "{\"experiment\": \"noop\", \"args\": [], \"kernel\": {}}", "\"kernel\" is an object" },
		{ "{\"experiment\": \"noop\", \"args\": [], \"config\": 1}", "\"config\" is a number" },
		{ "[1, 2]", "the top level is an array, not an object" },
		{ "null", "the top level is null, not an object" },
		{ "1.5", "the top level is a number, not an object" },
		{ "", "empty, not JSON" },
		{ " \n", "empty, not JSON" },
		{ "{\"experiment\": ", "not JSON: " },
		{ "{} {}", "not JSON: text after the object" },
		{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
		  "not JSON: " },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		refused(cases[i].text, strlen(cases[i].text), cases[i].why);
	refused("{}\0{}", 5, "not JSON text (a NUL byte in it)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_params_file_gives_its_experiment_and_args),
		cmocka_unit_test(every_wrong_shape_is_refused_with_the_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
