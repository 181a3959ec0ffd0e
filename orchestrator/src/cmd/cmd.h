/* The command layer: one file per subcommand, dispatched from main.c. */
#ifndef ZO_CMD_H
#define ZO_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "core/config.h"
#include "util/log.h"

enum {
	ZO_EXIT_OK = 0,
	ZO_EXIT_FAILED = 1,
	ZO_EXIT_USAGE = 2,
	ZO_EXIT_REFUSED = 3,
};

struct zo_ctx {
	const char *root;        /* "" when not set */
	const char *config_path; /* the file to read (explicit or default) */
	bool config_explicit;    /* given with --config */
	const char *connect;     /* --connect, or NULL */
	struct zo_config *config;
	bool dry_run;
	bool json;
	struct zo_log log;
};

enum {
	ZO_CMD_NEED_CONFIG = 1 << 0,
};

struct zo_cmd {
	const char *name;
	int (*fn)(struct zo_ctx *ctx, int argc, char **argv);
	const char *summary;
	const char *usage; /* full usage text, ends with a newline */
	unsigned flags;
};

/* A nested verb table ("config show"). */
struct zo_subcmd {
	const char *name;
	int (*fn)(struct zo_ctx *ctx, int argc, char **argv);
};

extern const struct zo_cmd zo_commands[];
/* From the build (main.c): recorded in every result set. */
extern const char zo_version[];
extern const char zo_git_commit[];
extern const size_t zo_n_commands;

const struct zo_cmd *zo_cmd_find(const char *name);
void zo_cmd_print_usage(const struct zo_cmd *cmd, FILE *f);
void zo_print_main_help(FILE *f);
const char *zo_cmd_closest(const char *name);

/* For command implementations. */
void zo_error(struct zo_ctx *ctx, const char *fmt, ...) ZO_PRINTF(2, 3);
int zo_usage_error(struct zo_ctx *ctx, const char *cmd, const char *fmt, ...)
	ZO_PRINTF(3, 4);
int zo_dispatch_sub(struct zo_ctx *ctx, const char *cmd,
		    const struct zo_subcmd *subs, size_t n, int argc,
		    char **argv);
/* Parse only --help for commands without options; returns -1 to go on, or
 * an exit code. */
int zo_no_options(struct zo_ctx *ctx, const char *cmd, int argc, char **argv);
/* For commands whose options are only --json and --help: -1 to go on
 * (getopt's optind at the first operand), else the exit code. `what`
 * names the subcommand in the error ("thin status"), or NULL. */
int zo_json_options(struct zo_ctx *ctx, const char *cmd, const char *what, int argc,
		    char **argv);
int zo_print_json(json_object *o);
/* Load (or reload) the config named by ctx; prints diagnostics. Returns an
 * exit code. */
int zo_load_config(struct zo_ctx *ctx);
void zo_print_diags(const char *path, struct zo_diags *d);
/* Write `value` for [section] key into the config file (validated, kept
 * if unchanged, printed instead under --dry-run) and into ctx->config.
 * Returns 0 or -errno; -EINVAL after printing why the value is bad. */
int zo_config_record(struct zo_ctx *ctx, const char *section, const char *key,
		     const char *value);
/* Add a stable ID to [host] swap unless it is there (cmd/swap.c). */
int zo_swap_record(struct zo_ctx *ctx, const char *stable_id);
/* Remove it again (thin remove). */
int zo_swap_unrecord(struct zo_ctx *ctx, const char *stable_id);
/* The preflight checks for a VMSIZE GB, CORES vCPU target; prints the
 * table when `print`; the failures as one line in *ret_failures. Exit code
 * (3 on any failure). */
int zo_preflight_run(struct zo_ctx *ctx, uint64_t vm_gb, unsigned cores, bool print,
		     char **ret_failures);
/* Restore the recorded thin pool (cmd/thin.c; also used by setup). */
int cmd_thin_activate(struct zo_ctx *ctx);
/* The running pool's status with its block size (sectors) and low-water
 * mark (blocks) from its table: for the run preflight. */
struct zo_thin_pool_status;
int zo_thin_pool_read(struct zo_thin_pool_status *ret, uint64_t *ret_block_sectors,
		      uint64_t *ret_low_water);

int cmd_config(struct zo_ctx *ctx, int argc, char **argv);
int cmd_ept(struct zo_ctx *ctx, int argc, char **argv);
int cmd_help(struct zo_ctx *ctx, int argc, char **argv);
int cmd_knobs(struct zo_ctx *ctx, int argc, char **argv);
int cmd_preflight(struct zo_ctx *ctx, int argc, char **argv);
int cmd_queue(struct zo_ctx *ctx, int argc, char **argv);
int cmd_run(struct zo_ctx *ctx, int argc, char **argv);
int cmd_serve(struct zo_ctx *ctx, int argc, char **argv);
int cmd_setup(struct zo_ctx *ctx, int argc, char **argv);
int cmd_status(struct zo_ctx *ctx, int argc, char **argv);
int cmd_swap(struct zo_ctx *ctx, int argc, char **argv);
int cmd_target(struct zo_ctx *ctx, int argc, char **argv);
int cmd_thin(struct zo_ctx *ctx, int argc, char **argv);
int cmd_version(struct zo_ctx *ctx, int argc, char **argv);

#endif
