/* Kernel configuration rules for guest kernels (`target kernel build`):
 * the old runner's setup00001 options, the user's +CONFIG_X / -CONFIG_X
 * arguments, and what a .config says about an option. Pure. */
#ifndef ZO_CORE_KCONFIG_H
#define ZO_CORE_KCONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* setup00001's rules, applied on the base config before the user's:
 * these =y ... */
extern const char *const zo_kconfig_rule_on[];
/* ... and these off; both NULL-terminated, names without CONFIG_. */
extern const char *const zo_kconfig_rule_off[];

/* Whether `arg` is "+CONFIG_NAME" or "-CONFIG_NAME" (NAME: A-Z, 0-9, _). */
bool zo_kconfig_arg_valid(const char *arg);

enum zo_kconfig_state {
	ZO_KCONFIG_ABSENT, /* no line: unknown, or its dependencies are unmet */
	ZO_KCONFIG_OFF,    /* "# CONFIG_X is not set" */
	ZO_KCONFIG_Y,
	ZO_KCONFIG_M,
	ZO_KCONFIG_VALUE,  /* a string or number */
};

/* What the .config text says about `name` (without CONFIG_). */
enum zo_kconfig_state zo_kconfig_state(const char *config, const char *name);

/* A LOCALVERSION suffix from a branch name (its first 15 characters, '_'
 * as '-', only [A-Za-z0-9.+-] kept, as the runner's) and a commit (its
 * first 12 hex digits; NULL: none): "-<branch>-<hash>", into buf. */
void zo_kconfig_localversion(const char *branch, const char *commit, char *buf, size_t len);

#endif
