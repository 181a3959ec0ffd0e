/* zsim-orch: global options, the command table, and the shared setup every
 * command gets (git.c's commands[] and kmod's tools/kmod.c). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmdtable.h"
#include "core/job.h"
#include "ops/lock.h"
#include "util/path.h"
#include "util/str.h"
#include "util/time.h"
#include "version.h"


#include "util/banned.h"

const char zo_version[] = ZO_VERSION;
const char zo_git_commit[] = ZO_GIT_COMMIT;

/* Sorted by name: the help lists them in this order. */
const struct zo_cmd *const zo_commands[] = {
	&zo_cmd_config, &zo_cmd_ept,   &zo_cmd_help,  &zo_cmd_knobs,  &zo_cmd_preflight,
	&zo_cmd_queue,	&zo_cmd_results, &zo_cmd_run,	&zo_cmd_serve, &zo_cmd_setup,
	&zo_cmd_slurm,	&zo_cmd_status,	 &zo_cmd_swap,	&zo_cmd_target, &zo_cmd_thin,
	&zo_cmd_version,
};
const size_t zo_n_commands = ZO_ARRAY_SIZE(zo_commands);

static const char main_usage[] = "usage: zsim-orch [OPTIONS] COMMAND [ARGS]...";

/* The help, getopt's table and the man page are made from this. */
const struct zo_global_option zo_global_options[] = {
	{ { "config", 'c', "FILE" }, 'c', "configuration file (default " ZO_DEFAULT_CONFIG_PATH ")" },
	{ { "connect", 0, "URI" }, 'C', "libvirt URI (default: [target] uri in the config)" },
	{ { "root", 'r', "DIR" }, 'r', "resolve /proc, /sys, /etc and /var paths under DIR\n"
				       "(also ZSIM_ROOT)" },
	{ { "dry-run", 'n', NULL }, 'n', "print the plan; change nothing" },
	{ { "wait", 0, NULL }, 'w', "wait for another command changing this host to\n"
				    "finish (default: refuse, exit 3)" },
	{ { "json", 0, NULL }, 'j', "machine-readable output" },
	{ { "progress", 0, NULL }, 'P', "show progress on stderr even when it is not a\n"
					"terminal (default: only on a terminal)" },
	{ { "progress-json", 0, NULL }, 'J', "stderr as JSON Lines, for scripts: each phase,\n"
					     "update and end of long work, and each message,\n"
					     "one JSON object a line" },
	{ { "verbose", 'v', NULL }, 'v', "more messages (twice: debug)" },
	{ { "quiet", 'q', NULL }, 'q', "errors only: no progress, no notices" },
	{ { "help", 'h', NULL }, 'h', "this help; 'zsim-orch help COMMAND' for a command" },
	{ { "version", 'V', NULL }, 'V', "version and git commit" },
};
const size_t zo_n_global_options = ZO_ARRAY_SIZE(zo_global_options);

const struct zo_exit_status zo_exit_statuses[] = {
	{ 0, "done" },
	{ 1, "failed" },
	{ 2, "usage error: the arguments or the config cannot work" },
	{ 3, "refused by a safety or preflight check (the message says what to do)" },
	{ 75, "temporary host failure (libvirt not answering): try again later or\n"
	      "elsewhere; Slurm's RequeueExit, and serve queues the run once more" },
	{ 130, "stopped by SIGINT" },
	{ 143, "stopped by SIGTERM" },
};
const size_t zo_n_exit_statuses = ZO_ARRAY_SIZE(zo_exit_statuses);

/* "-c, --config FILE" */
int zo_global_option_form(const struct zo_global_option *g, char *buf, size_t len)
{
	char sh[8] = "    ";

	if (g->opt.short_name)
		snprintf(sh, sizeof(sh), "-%c, ", g->opt.short_name);
	return snprintf(buf, len, "%s--%s%s%s", sh, g->opt.name, g->opt.arg ? " " : "",
			g->opt.arg ? g->opt.arg : "");
}

/* `text` with each '\n' followed by `indent` spaces. */
static void print_indented(FILE *f, const char *text, int indent)
{
	for (; *text; text++) {
		fputc(*text, f);
		if (*text == '\n')
			fprintf(f, "%*s", indent, "");
	}
}

const struct zo_cmd *zo_cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < ZO_ARRAY_SIZE(zo_commands); i++)
		if (!strcmp(zo_commands[i]->name, name))
			return zo_commands[i];
	return NULL;
}

const char *zo_cmd_closest(const char *name)
{
	const char *names[ZO_ARRAY_SIZE(zo_commands)];
	size_t i;

	for (i = 0; i < ZO_ARRAY_SIZE(zo_commands); i++)
		names[i] = zo_commands[i]->name;
	return zo_closest(name, names, i);
}

void zo_cmd_print_usage(const struct zo_cmd *cmd, FILE *f)
{
	fprintf(f, "usage: %s", cmd->usage);
}

void zo_print_main_help(FILE *f)
{
	char form[64];
	size_t i;

	fprintf(f, "%s\n\n"
		   "Sets up a 0sim simulation host and runs experiments on it.\n\n"
		   "Options:\n",
		main_usage);
	for (i = 0; i < zo_n_global_options; i++) {
		zo_global_option_form(&zo_global_options[i], form, sizeof(form));
		fprintf(f, "  %-17s  ", form);
		print_indented(f, zo_global_options[i].help, 21);
		fputc('\n', f);
	}
	fprintf(f, "\nCommands:\n");
	for (i = 0; i < zo_n_commands; i++)
		fprintf(f, "  %-9s %s\n", zo_commands[i]->name, zo_commands[i]->summary);
	fprintf(f, "\nExit status:\n");
	for (i = 0; i < zo_n_exit_statuses; i++) {
		fprintf(f, "  %3d  ", zo_exit_statuses[i].code);
		print_indented(f, zo_exit_statuses[i].meaning, 7);
		fputc('\n', f);
	}
	fprintf(f, "\nSee zsim-orch(8), zsim.conf(5) and zsim-job(5).\n");
}

static int cmd_help(struct zo_ctx *ctx, int argc, char **argv)
{
	const struct zo_cmd *c;
	const char *near;

	if (argc > 2)
		return zo_usage_error(ctx, &zo_cmd_help, "'help' takes at most one command name");
	if (argc < 2 || zo_is_help(argv[1])) {
		if (argc < 2)
			zo_print_main_help(stdout);
		else
			zo_cmd_print_usage(&zo_cmd_help, stdout);
		return ZO_EXIT_OK;
	}
	c = zo_cmd_find(argv[1]);
	if (c) {
		zo_cmd_print_usage(c, stdout);
		return ZO_EXIT_OK;
	}
	near = zo_cmd_closest(argv[1]);
	if (near)
		return zo_usage_error(ctx, &zo_cmd_help, "unknown command '%s'; did you mean '%s'?",
				      argv[1], near);
	return zo_usage_error(ctx, &zo_cmd_help,
			      "unknown command '%s'; 'zsim-orch --help' lists them", argv[1]);
}

const struct zo_cmd zo_cmd_help = {
	.name = "help",
	.fn = cmd_help,
	.summary = "show help for zsim-orch or one command",
	.usage = "zsim-orch help [COMMAND]\n",
	.args = "[COMMAND]",
};

static void print_version(void)
{
	printf("zsim-orch %s (git %s)\n", ZO_VERSION, ZO_GIT_COMMIT);
}

static int cmd_version(struct zo_ctx *ctx, int argc, char **argv)
{
	int r = zo_no_options(ctx, &zo_cmd_version, argc, argv);

	if (r >= 0)
		return r;
	if (argc > 1)
		return zo_usage_error(ctx, &zo_cmd_version, "'version' takes no arguments");
	print_version();
	return ZO_EXIT_OK;
}

const struct zo_cmd zo_cmd_version = {
	.name = "version",
	.fn = cmd_version,
	.summary = "print the version and the git commit",
	.usage = "zsim-orch version\n",
};

static void log_stderr(void *userdata, int priority, const char *fmt, va_list ap)
{
	(void)userdata;
	fputs("zsim-orch: ", stderr);
	if (priority <= LOG_ERR)
		fputs("error: ", stderr);
	else if (priority == LOG_WARNING)
		fputs("warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static int main_usage_error(const char *fmt, ...) ZO_PRINTF(1, 2);
static int main_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("zsim-orch: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s\nRun 'zsim-orch --help' for the options and commands.\n",
		main_usage);
	return ZO_EXIT_USAGE;
}

static int unknown_option(const char *arg)
{
	const char *names[ZO_ARRAY_SIZE(zo_global_options)];
	_cleanup_free_ char *word = strdup(arg);
	const char *near;
	size_t i;

	if (!word)
		return ZO_EXIT_FAILED;
	if (zo_startswith(arg, "--")) {
		word[strcspn(word, "=")] = '\0';
		for (i = 0; i < zo_n_global_options; i++)
			names[i] = zo_global_options[i].opt.name;
		near = zo_closest(word + 2, names, i);
		if (near)
			return main_usage_error("unknown option '%s'; did you mean '--%s'?",
						word, near);
	}
	return main_usage_error("unknown option '%s'", arg);
}

static int check_root(const char *root)
{
	struct stat st;

	if (!*root)
		return 0;
	if (stat(root, &st) < 0)
		return main_usage_error("--root %s: %s; give an existing directory "
					"(a fixture tree or a mounted system)",
					root, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return main_usage_error("--root %s: not a directory", root);
	return 0;
}

/* The shared setup once, then the command, then make sure its output really
 * reached stdout (a full disk or a closed pipe is a failure). */
static int run_cmd(struct zo_ctx *ctx, const struct zo_cmd *cmd, int argc,
		   char **argv)
{
	int r;

	if (cmd->flags & ZO_CMD_NEED_CONFIG) {
		r = zo_load_config(ctx);
		if (r != ZO_EXIT_OK)
			return r;
	}
	r = zo_cmd_call(ctx, cmd->fn, cmd->flags, cmd->name, argc, argv);
	zo_host_unlock(ctx);
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		zo_error(ctx, "cannot write output: %s",
			 errno ? strerror(errno) : "write error");
		return ZO_EXIT_FAILED;
	}
	return r;
}

#ifndef ZO_MAIN
#define ZO_MAIN main
#endif

int ZO_MAIN(int argc, char **argv)
{
	struct option options[ZO_ARRAY_SIZE(zo_global_options) + 1];
	struct zo_ctx ctx;
	struct zo_progress_json progress_json = { .start_ms = zo_now_ms() };
	_cleanup_free_ char *default_config = NULL;
	const struct zo_cmd *cmd;
	const char *near;
	bool progress = isatty(STDERR_FILENO);
	int verbosity = 0, c, r;
	size_t i;

	for (i = 0; i < zo_n_global_options; i++)
		options[i] = (struct option){ zo_global_options[i].opt.name,
					      zo_global_options[i].opt.arg ? required_argument
									   : no_argument,
					      NULL, zo_global_options[i].val };
	options[i] = (struct option){ NULL, 0, NULL, 0 };
	zo_ctx_init(&ctx);
	ctx.log.fn = log_stderr;
	ctx.out = zo_out_to_stdout;
	if (getenv("ZSIM_ROOT"))
		ctx.root = getenv("ZSIM_ROOT");
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:c:r:nvqhV", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			ctx.config_path = optarg;
			ctx.config_explicit = true;
			break;
		case 'C':
			ctx.connect = optarg;
			break;
		case 'r':
			ctx.root = optarg;
			break;
		case 'n':
			ctx.dry_run = true;
			break;
		case 'w':
			ctx.lock_wait = true;
			break;
		case 'j':
			ctx.json = true;
			break;
		case 'P':
			ctx.progress_forced = true;
			break;
		case 'J':
			ctx.progress_event = zo_progress_to_json;
			ctx.progress_userdata = &progress_json;
			ctx.log.fn = zo_log_to_json;
			break;
		case 'v':
			verbosity++;
			break;
		case 'q':
			verbosity = -1;
			progress = false;
			break;
		case 'h':
			return run_cmd(&ctx, &zo_cmd_help, 1, argv);
		case 'V':
			return run_cmd(&ctx, &zo_cmd_version, 1, argv);
		case ':':
			return main_usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return unknown_option(argv[optind - 1]);
		}
	}
	/* --progress forces the live line (as git's does, even with -q) */
	if (progress || ctx.progress_forced)
		ctx.progress = zo_progress_to_tty;
	ctx.log.max_priority = verbosity < 0   ? LOG_ERR
			       : verbosity == 0 ? LOG_NOTICE
			       : verbosity == 1 ? LOG_INFO
						: LOG_DEBUG;
	r = check_root(ctx.root);
	if (r)
		return r;
	if (!ctx.config_path) {
		default_config = zo_path(ctx.root, ZO_DEFAULT_CONFIG_PATH);
		if (!default_config)
			return ZO_EXIT_FAILED;
		ctx.config_path = default_config;
	}
	if (optind >= argc)
		return main_usage_error("no command given");

	cmd = zo_cmd_find(argv[optind]);
	if (!cmd) {
		near = zo_cmd_closest(argv[optind]);
		if (near)
			return main_usage_error("unknown command '%s'; did you mean '%s'?",
						argv[optind], near);
		return main_usage_error("unknown command '%s'", argv[optind]);
	}
	c = optind;
	/* Commands parse their own options from argv[1]; 0 makes glibc's getopt
	 * start over, including the leading '+'. */
	optind = 0;
	r = run_cmd(&ctx, cmd, argc - c, argv + c);
	zo_config_free(ctx.config);
	return r;
}
