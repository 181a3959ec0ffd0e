/* The command table in main.c: for the help, and for the tests and
 * generators (man page, completion) that read the descriptors. Commands
 * never look each other up. */
#ifndef ZO_CMDTABLE_H
#define ZO_CMDTABLE_H

#include <stddef.h>
#include <stdio.h>

#include "cmd/cmd.h"

extern const struct zo_cmd *const zo_commands[];
extern const size_t zo_n_commands;

/* The options before COMMAND. */
struct zo_global_option {
	struct zo_opt opt;
	int val;	  /* getopt_long's code for it */
	const char *help; /* lines after the first start with '\n' */
};
extern const struct zo_global_option zo_global_options[];
extern const size_t zo_n_global_options;
/* "-c, --config FILE", "    --json": snprintf's return. */
int zo_global_option_form(const struct zo_global_option *g, char *buf, size_t len);

/* What the exit codes mean (ZO_EXIT_*, and 128 + a stopping signal). */
struct zo_exit_status {
	int code;
	const char *meaning; /* lines after the first start with '\n' */
};
extern const struct zo_exit_status zo_exit_statuses[];
extern const size_t zo_n_exit_statuses;

const struct zo_cmd *zo_cmd_find(const char *name);
const char *zo_cmd_closest(const char *name);
void zo_print_main_help(FILE *f);

#endif
