/* The command layer: one file per command, each defining its descriptor;
 * main.c lists pointers to them (kmod's tools/, git's builtins). Commands
 * parse, call operations, print, and choose the exit code. A command never
 * calls another command. */
#ifndef ZO_CMD_H
#define ZO_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "core/config.h"
#include "util/ctx.h"
#include "util/log.h"

enum {
	ZO_EXIT_OK = 0,
	ZO_EXIT_FAILED = 1,
	ZO_EXIT_USAGE = 2,
	ZO_EXIT_REFUSED = 3,
	ZO_EXIT_TEMPFAIL = 75, /* EX_TEMPFAIL: Slurm's RequeueExit */
};

enum {
	ZO_CMD_NEED_CONFIG = 1 << 0, /* load the config before the command runs */
	ZO_CMD_NEED_ROOT = 1 << 1,   /* refuse unless root (or --root, --dry-run) */
	ZO_CMD_NEED_LOCK = 1 << 2,   /* hold the host lock (not under --dry-run) */
};
/* NEED_ROOT and NEED_LOCK are checked and taken when the command calls
 * zo_cmd_parsed(), after it has parsed and validated its arguments (a bad
 * one is exit 2 even while another command holds the lock), and before it
 * changes anything. A command with either flag that returns 0 without
 * having called it is an internal error (exit 1). */

/* One option of a command or nested verb, for the help, the man page and
 * the bash completion (tools/docgen.c). The command's getopt_long table
 * parses it; tests check that the usage text, this list and the parser
 * agree. --help is implied everywhere and not listed. */
struct zo_opt {
	const char *name; /* long name, without "--" */
	char short_name;  /* 0: none */
	/* NULL: a flag. Else the value, as the usage names it; completion
	 * reads it: FILE (FILE.job, CLOUD.qcow2: files with that extension),
	 * DIR, DEV, EXP (an experiment), ID (a spool job), SET (a result
	 * set), COMMAND, "a|b|c" (one of these words); anything else
	 * (SIZE, N, URI...) is typed. */
	const char *arg;
};

/* A nested verb ("thin create"); flags as for commands, except that
 * NEED_CONFIG is the parent's. */
struct zo_subcmd {
	const char *name;
	int (*fn)(struct zo_ctx *ctx, int argc, char **argv);
	unsigned flags;
	const struct zo_opt *opts; /* ends with { NULL }; NULL: none */
	const char *args;          /* operands as the usage names them ("ID", "[FILE]") */
};

struct zo_cmd {
	const char *name;
	int (*fn)(struct zo_ctx *ctx, int argc, char **argv);
	const char *summary;
	const char *usage; /* full usage text, ends with a newline */
	unsigned flags;
	/* Its nested verbs (what zo_dispatch_sub is given), or NULL; then
	 * its own options and operands as for a nested verb. */
	const struct zo_subcmd *subs;
	size_t n_subs;
	const struct zo_opt *opts;
	const char *args;
};

/* The descriptors, one per cmd/<verb>.c (help and version: main.c). */
extern const struct zo_cmd zo_cmd_config, zo_cmd_ept, zo_cmd_help, zo_cmd_knobs,
	zo_cmd_preflight, zo_cmd_queue, zo_cmd_results, zo_cmd_run, zo_cmd_serve, zo_cmd_setup,
	zo_cmd_slurm, zo_cmd_status, zo_cmd_swap, zo_cmd_target, zo_cmd_thin, zo_cmd_version;

/* From the build (main.c): recorded in every result set. */
extern const char zo_version[];
extern const char zo_git_commit[];

void zo_cmd_print_usage(const struct zo_cmd *cmd, FILE *f);

/* For command implementations. */
void zo_error(struct zo_ctx *ctx, const char *fmt, ...) ZO_PRINTF(2, 3);
int zo_usage_error(struct zo_ctx *ctx, const struct zo_cmd *cmd, const char *fmt, ...)
	ZO_PRINTF(3, 4);
/* An operation returned r: 0 for r >= 0; else print ctx->error (or
 * strerror) and map the failure's kind to an exit code. */
int zo_exit_code(struct zo_ctx *ctx, int r);
int zo_dispatch_sub(struct zo_ctx *ctx, const struct zo_cmd *cmd,
		    const struct zo_subcmd *subs, size_t n, int argc, char **argv);
/* The arguments are parsed and valid: the root check and the host lock
 * that the descriptor's flags ask for (nothing for commands without
 * them, and no lock under --dry-run). Returns -1 to go on, or the exit
 * code. Every command and nested verb with NEED_ROOT or NEED_LOCK calls
 * it, after its last usage error and before its first change. */
int zo_cmd_parsed(struct zo_ctx *ctx);
/* The same checks for flags a command chooses after parsing, its
 * descriptor declaring none (run --list takes no lock; ept names "ept
 * on"). `what` names the holder ("run"). -1 to go on, or the exit code. */
int zo_cmd_require(struct zo_ctx *ctx, unsigned flags, const char *what);
/* For run_cmd and zo_dispatch_sub: run `fn` with `flags`' needs pending
 * (none when --help is asked), and catch a command that forgot
 * zo_cmd_parsed. */
int zo_cmd_call(struct zo_ctx *ctx, int (*fn)(struct zo_ctx *, int, char **), unsigned flags,
		const char *what, int argc, char **argv);
bool zo_is_help(const char *arg);
/* Parse only --help for commands without options; returns -1 to go on, or
 * an exit code. */
int zo_no_options(struct zo_ctx *ctx, const struct zo_cmd *cmd, int argc, char **argv);
/* For commands whose options are only --json and --help: -1 to go on
 * (getopt's optind at the first operand), else the exit code. `what`
 * names the subcommand in the error ("thin status"), or NULL. */
int zo_json_options(struct zo_ctx *ctx, const struct zo_cmd *cmd, const char *what,
		    int argc, char **argv);
/* Print `o` as the --json document `schema` ("status", "queue.ls": see
 * util/json.h) and free it. -ENOMEM when o is NULL. */
int zo_print_json(const char *schema, json_object *o);
/* The same as one line of a JSON Lines stream on `f`, flushed (queue log
 * --json, --progress-json). */
int zo_print_json_line(FILE *f, const char *schema, json_object *o);
/* Load (or reload) the config named by ctx; prints diagnostics. Returns an
 * exit code. */
int zo_load_config(struct zo_ctx *ctx);
void zo_print_diags(const char *path, struct zo_diags *d);
/* ctx->out for the program: each line to stdout. */
void zo_out_to_stdout(void *userdata, const char *line);
/* ctx->progress when stderr is a terminal (or --progress): the line
 * rewritten in place. */
void zo_progress_to_tty(void *userdata, const char *line);

/* --progress-json: stderr is JSON Lines. ctx->progress_event writes
 * zsim.progress.phase/1, zsim.progress.update/1 (at most one a second
 * within a phase) and zsim.progress.end/1; ctx->log.fn writes each
 * message as zsim.log/1. */
struct zo_progress_json {
	uint64_t start_ms;  /* when the command started (zo_now_ms) */
	uint64_t update_ms; /* when the last update was written; 0: none in this phase */
	char phase[512];    /* the phase, "" before the first */
};
void zo_progress_to_json(void *userdata, enum zo_progress_kind kind, const char *line);
void zo_log_to_json(void *userdata, int priority, const char *fmt, va_list ap);

/* After ops/run's zo_run_argv/zo_run_from: the exit code (130/143 when a
 * signal stopped it), and "RESULTS: <path>.*", the line the spool and
 * scripts read last. Frees `results`. For run and the spool daemon. */
int zo_run_done(struct zo_ctx *ctx, int r, char *results);

#endif
