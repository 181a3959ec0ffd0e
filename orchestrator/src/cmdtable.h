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

const struct zo_cmd *zo_cmd_find(const char *name);
const char *zo_cmd_closest(const char *name);
void zo_print_main_help(FILE *f);

#endif
