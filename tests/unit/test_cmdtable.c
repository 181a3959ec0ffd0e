/* The command table in main.c: lookup, suggestions and the help text are
 * all built from it. main.c is compiled here with ZO_MAIN renamed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmdtable.h"

static char *capture(void (*fn)(FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f);
	fclose(f);
	return buf;
}

static void table_is_sorted_and_complete(void **state)
{
	size_t i;

	(void)state;
	assert_true(zo_n_commands >= 4);
	for (i = 0; i < zo_n_commands; i++) {
		const struct zo_cmd *c = zo_commands[i];
		char prefix[64];

		assert_non_null(c->fn);
		assert_non_null(c->summary);
		snprintf(prefix, sizeof(prefix), "zsim-orch %s", c->name);
		/* usage starts with the command it documents */
		assert_int_equal(strncmp(c->usage, prefix, strlen(prefix)), 0);
		assert_int_equal(c->usage[strlen(c->usage) - 1], '\n');
		if (i > 0)
			assert_true(strcmp(zo_commands[i - 1]->name, c->name) < 0);
		assert_ptr_equal(zo_cmd_find(c->name), c);
	}
	assert_null(zo_cmd_find("nope"));
	assert_null(zo_cmd_find(""));
}

static void suggestions(void **state)
{
	(void)state;
	assert_string_equal(zo_cmd_closest("stauts"), "status");
	assert_string_equal(zo_cmd_closest("statu"), "status");
	assert_string_equal(zo_cmd_closest("confg"), "config");
	assert_string_equal(zo_cmd_closest("conf"), "config");
	assert_null(zo_cmd_closest("xyzzy"));
	assert_string_equal(zo_cmd_closest("q"), "queue");
	assert_null(zo_cmd_closest("z"));
}

static void help_lists_every_command(void **state)
{
	char *help = capture(zo_print_main_help);
	size_t i;

	(void)state;
	for (i = 0; i < zo_n_commands; i++) {
		char line[128];

		snprintf(line, sizeof(line), "\n  %-9s %s\n", zo_commands[i]->name,
			 zo_commands[i]->summary);
		assert_non_null(strstr(help, line));
	}
	assert_non_null(strstr(help, "--config FILE"));
	assert_non_null(strstr(help, "--connect URI"));
	assert_non_null(strstr(help, "--root DIR"));
	assert_non_null(strstr(help, "--dry-run"));
	assert_non_null(strstr(help, "--json"));
	assert_non_null(strstr(help, "--version"));
	free(help);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_is_sorted_and_complete),
		cmocka_unit_test(suggestions),
		cmocka_unit_test(help_lists_every_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
