/* The command table in main.c: lookup, suggestions and the help text are
 * all built from it. main.c is compiled here with ZO_MAIN renamed. */
#include <setjmp.h>
#include <stdbool.h>
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

static bool declared(const struct zo_opt *opts, const char *name, size_t len)
{
	for (; opts && opts->name; opts++)
		if (strlen(opts->name) == len && !strncmp(opts->name, name, len))
			return true;
	return false;
}

static bool declared_anywhere(const struct zo_cmd *c, const char *name, size_t len)
{
	size_t i;

	if (declared(c->opts, name, len))
		return true;
	for (i = 0; i < c->n_subs; i++)
		if (declared(c->subs[i].opts, name, len))
			return true;
	for (i = 0; i < zo_n_global_options; i++)
		if (strlen(zo_global_options[i].opt.name) == len &&
		    !strncmp(zo_global_options[i].opt.name, name, len))
			return true;
	return !strncmp(name, "help", len) && len == 4;
}

static void usage_names(const char *usage, const struct zo_opt *opts)
{
	char word[80];

	for (; opts && opts->name; opts++) {
		char shortw[8];

		snprintf(word, sizeof(word), "--%s", opts->name);
		snprintf(shortw, sizeof(shortw), "[-%c ", opts->short_name);
		if (!strstr(usage, word) && !(opts->short_name && strstr(usage, shortw)))
			fail_msg("%s is declared but not in the usage", word);
	}
}

/* The descriptors' verbs and options (the man page and the completion
 * are made from them) and the usage text say the same. */
static void descriptors_match_the_usage(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < zo_n_commands; i++) {
		const struct zo_cmd *c = zo_commands[i];
		const char *p, *end;

		assert_true(!c->subs == !c->n_subs);
		assert_true(!c->subs || (!c->opts && !c->args));
		usage_names(c->usage, c->opts);
		for (j = 0; j < c->n_subs; j++) {
			char word[80];

			snprintf(word, sizeof(word), "%s", c->subs[j].name);
			if (!strstr(c->usage, word))
				fail_msg("%s %s is not in the usage", c->name, word);
			usage_names(c->usage, c->subs[j].opts);
		}
		/* every --option the synopsis names is one of the command's */
		end = strstr(c->usage, "\n\n");
		for (p = strstr(c->usage, "--"); p && (!end || p < end); p = strstr(p + 2, "--")) {
			size_t len = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz-");

			if (len && !declared_anywhere(c, p + 2, len))
				fail_msg("%s: the usage names --%.*s, which no descriptor declares",
					 c->name, (int)len, p + 2);
		}
	}
}

/* A command with NEED_LOCK: fn_forgets acts without zo_cmd_parsed,
 * fn_parses calls it (under --dry-run, which takes no lock). */
static int fn_forgets(struct zo_ctx *ctx, int argc, char **argv)
{
	(void)ctx, (void)argc, (void)argv;
	return ZO_EXIT_OK;
}

static int fn_parses(struct zo_ctx *ctx, int argc, char **argv)
{
	int r;

	(void)argc, (void)argv;
	if (argc > 1 && !strcmp(argv[1], "bad"))
		return ZO_EXIT_USAGE;
	r = zo_cmd_parsed(ctx);
	return r >= 0 ? r : ZO_EXIT_OK;
}

static void lock_comes_after_parsing(void **state)
{
	char a0[] = "x", bad[] = "bad", help[] = "--help";
	char *plain[] = { a0, NULL }, *with_bad[] = { a0, bad, NULL },
	     *with_help[] = { a0, help, NULL };
	unsigned flags = ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK;
	struct zo_ctx ctx;

	(void)state;
	zo_ctx_init(&ctx);
	ctx.dry_run = true;
	assert_int_equal(zo_cmd_call(&ctx, fn_parses, flags, "x", 1, plain), ZO_EXIT_OK);
	assert_int_equal(ctx.needs, 0);
	assert_int_equal(zo_cmd_call(&ctx, fn_parses, flags, "x", 2, with_bad), ZO_EXIT_USAGE);
	assert_int_equal(ctx.needs, 0);
	/* acting without having taken the lock is caught */
	assert_int_equal(zo_cmd_call(&ctx, fn_forgets, flags, "x", 1, plain), ZO_EXIT_FAILED);
	/* ... unless it printed its usage */
	assert_int_equal(zo_cmd_call(&ctx, fn_forgets, flags, "x", 2, with_help), ZO_EXIT_OK);
	/* and commands without the flags need not call it */
	assert_int_equal(zo_cmd_call(&ctx, fn_forgets, 0, "x", 1, plain), ZO_EXIT_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_is_sorted_and_complete),
		cmocka_unit_test(suggestions),
		cmocka_unit_test(help_lists_every_command),
		cmocka_unit_test(descriptors_match_the_usage),
		cmocka_unit_test(lock_comes_after_parsing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
