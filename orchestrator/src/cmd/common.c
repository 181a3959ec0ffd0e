/* Helpers shared by the command files: error printing, nested verbs,
 * config loading. */
#include "cmd/cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>


#include "ops/lock.h"
#include "ops/run.h"
#include "sys/hostinfo.h"
#include "util/ini.h"
#include "util/json.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

void zo_error(struct zo_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	zo_logv(&ctx->log, LOG_ERR, fmt, ap);
	va_end(ap);
}

int zo_usage_error(struct zo_ctx *ctx, const struct zo_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	zo_logv(&ctx->log, LOG_ERR, fmt, ap);
	va_end(ap);
	if (ctx->log.fn == zo_log_to_json) /* every stderr line is JSON */
		return ZO_EXIT_USAGE;
	fprintf(stderr, "usage: %.*s\n", (int)strcspn(cmd->usage, "\n"), cmd->usage);
	fprintf(stderr, "Run 'zsim-orch %s --help' for details.\n", cmd->name);
	return ZO_EXIT_USAGE;
}

int zo_exit_code(struct zo_ctx *ctx, int r)
{
	if (r >= 0)
		return ZO_EXIT_OK;
	zo_error(ctx, "%s", ctx->error[0] ? ctx->error : strerror(-r));
	switch (ctx->error[0] ? ctx->fail_kind : ZO_FAIL_ERROR) {
	case ZO_FAIL_REFUSED:
		return ZO_EXIT_REFUSED;
	case ZO_FAIL_TRANSIENT:
		return ZO_EXIT_TEMPFAIL;
	case ZO_FAIL_USAGE:
		return ZO_EXIT_USAGE;
	case ZO_FAIL_ERROR:
		break;
	}
	return ZO_EXIT_FAILED;
}

bool zo_is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

/* --help anywhere before "--": a command may print its usage and return 0
 * without zo_cmd_parsed. */
static bool asks_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (zo_is_help(argv[i]))
			return true;
	return false;
}

int zo_cmd_parsed(struct zo_ctx *ctx)
{
	unsigned needs = ctx->needs;

	ctx->needs = 0;
	return zo_cmd_require(ctx, needs, ctx->needs_what);
}

int zo_cmd_call(struct zo_ctx *ctx, int (*fn)(struct zo_ctx *, int, char **), unsigned flags,
		const char *what, int argc, char **argv)
{
	int r;

	ctx->needs = flags & (ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK);
	snprintf(ctx->needs_what, sizeof(ctx->needs_what), "%s", what);
	r = fn(ctx, argc, argv);
	if (ctx->needs && r == ZO_EXIT_OK && !asks_help(argc, argv)) {
		zo_error(ctx, "internal error: '%s' never took the host lock (zo_cmd_parsed)",
			 what);
		r = ZO_EXIT_FAILED;
	}
	ctx->needs = 0;
	return r;
}

int zo_cmd_require(struct zo_ctx *ctx, unsigned flags, const char *what)
{
	int r;

	if (ctx->dry_run)
		return -1;
	/* Under --root the "host" is a tree of files: its owner may change it. */
	if ((flags & ZO_CMD_NEED_ROOT) && !*ctx->root && !zo_host_is_superuser()) {
		zo_error(ctx, "'%s' changes this host and needs root; run it with sudo "
			      "(or --dry-run to see what it would do)",
			 what);
		return ZO_EXIT_REFUSED;
	}
	if (flags & ZO_CMD_NEED_LOCK) {
		r = zo_host_lock(ctx, what);
		if (r < 0)
			return zo_exit_code(ctx, r);
	}
	return -1;
}

int zo_no_options(struct zo_ctx *ctx, const struct zo_cmd *cmd, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (zo_is_help(argv[i])) {
			zo_cmd_print_usage(cmd, stdout);
			return ZO_EXIT_OK;
		}
		if (argv[i][0] == '-' && argv[i][1])
			return zo_usage_error(ctx, cmd, "unknown option '%s'",
					      argv[i]);
	}
	return -1;
}

int zo_json_options(struct zo_ctx *ctx, const struct zo_cmd *cmd, const char *what,
		    int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'j') {
			ctx->json = true;
		} else if (c == 'h') {
			zo_cmd_print_usage(cmd, stdout);
			return ZO_EXIT_OK;
		} else if (c == ':') {
			return zo_usage_error(ctx, cmd, "option '%s' needs a value", argv[optind - 1]);
		} else if (optopt && !strncmp(argv[optind - 1], "--", 2) &&
			   strchr(argv[optind - 1], '=')) {
			/* "--json=yes": a known flag given a value */
			return zo_usage_error(ctx, cmd, "option '%.*s' takes no value",
					      (int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
		} else if (what) {
			return zo_usage_error(ctx, cmd, "unknown option '%s' for '%s'",
					      argv[optind - 1], what);
		} else {
			return zo_usage_error(ctx, cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	return -1;
}

int zo_dispatch_sub(struct zo_ctx *ctx, const struct zo_cmd *cmd,
		    const struct zo_subcmd *subs, size_t n, int argc, char **argv)
{
	const char *names[32];
	const char *near;
	char what[64];
	size_t i;

	if (argc < 2)
		return zo_usage_error(ctx, cmd, "'%s' needs a subcommand", cmd->name);
	if (zo_is_help(argv[1])) {
		zo_cmd_print_usage(cmd, stdout);
		return ZO_EXIT_OK;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(subs[i].name, argv[1]))
			continue;
		snprintf(what, sizeof(what), "%s %s", cmd->name, subs[i].name);
		return zo_cmd_call(ctx, subs[i].fn, subs[i].flags, what, argc - 1, argv + 1);
	}
	for (i = 0; i < n && i < ZO_ARRAY_SIZE(names); i++)
		names[i] = subs[i].name;
	near = zo_closest(argv[1], names, i);
	if (near)
		return zo_usage_error(ctx, cmd,
				      "unknown subcommand '%s %s'; did you mean '%s %s'?",
				      cmd->name, argv[1], cmd->name, near);
	return zo_usage_error(ctx, cmd, "unknown subcommand '%s %s'", cmd->name, argv[1]);
}

void zo_out_to_stdout(void *userdata, const char *line)
{
	(void)userdata;
	fputs(line, stdout);
	fputc('\n', stdout);
}

/* "\r" to the start of the line, the text, then erase what an earlier,
 * longer line left (ANSI "erase in line", as git's progress does). */
void zo_progress_to_tty(void *userdata, const char *line)
{
	(void)userdata;
	if (line)
		fprintf(stderr, "\r%s\033[K", line);
	else
		fputc('\n', stderr);
	fflush(stderr);
}

static int print_doc(FILE *f, const char *schema, json_object *o, bool line)
{
	json_object *doc = zo_json_doc(schema, o);

	json_object_put(o);
	if (!doc)
		return -ENOMEM;
	fputs(line ? zo_json_line(doc) : zo_json_text(doc), f);
	fputc('\n', f);
	json_object_put(doc);
	if (line)
		fflush(f);
	return 0;
}

int zo_print_json(const char *schema, json_object *o)
{
	return print_doc(stdout, schema, o, false);
}

int zo_print_json_line(FILE *f, const char *schema, json_object *o)
{
	return print_doc(f, schema, o, true);
}

/* A string member that is valid UTF-8 whatever the bytes were. */
static void add_text(json_object *o, const char *key, const char *text, size_t len)
{
	_cleanup_free_ char *valid = zo_utf8_copy(text, len);

	zo_json_add_str(o, key, valid ? valid : "");
}

void zo_progress_to_json(void *userdata, enum zo_progress_kind kind, const char *line)
{
	static const char *const schemas[] = { "progress.phase", "progress.update",
					       "progress.end" };
	struct zo_progress_json *p = userdata;
	uint64_t now = zo_now_ms();
	json_object *o;

	if (kind == ZO_PROGRESS_UPDATE && p->update_ms && now - p->update_ms < 1000)
		return;
	if (kind == ZO_PROGRESS_PHASE) {
		snprintf(p->phase, sizeof(p->phase), "%s", line);
		p->update_ms = 0;
	} else if (kind == ZO_PROGRESS_UPDATE) {
		p->update_ms = now;
	}
	o = json_object_new_object();
	if (!o)
		return;
	zo_json_add_str(o, "phase", p->phase[0] ? p->phase : NULL);
	if (kind == ZO_PROGRESS_UPDATE)
		add_text(o, "text", line, strlen(line));
	zo_json_add_u64(o, "elapsed_ms", now - p->start_ms);
	zo_print_json_line(stderr, schemas[kind], o);
	if (kind == ZO_PROGRESS_END)
		p->phase[0] = '\0';
}

void zo_log_to_json(void *userdata, int priority, const char *fmt, va_list ap)
{
	static const char *const levels[] = { "error", "error", "error", "error",
					      "warning", "notice", "info", "debug" };
	_cleanup_free_ char *text = NULL;
	json_object *o;
	int n;

	(void)userdata;
	n = vasprintf(&text, fmt, ap);
	o = n < 0 ? NULL : json_object_new_object();
	if (!o)
		return;
	zo_json_add_str(o, "level", levels[priority < 0 ? 0 : priority > 7 ? 7 : priority]);
	add_text(o, "text", text, (size_t)n);
	zo_print_json_line(stderr, "log", o);
}

void zo_print_diags(const char *path, struct zo_diags *d)
{
	size_t i;

	zo_diags_sort(d);
	for (i = 0; i < d->n; i++) {
		const struct zo_diag *e = &d->v[i];
		const char *sev = e->severity == ZO_ERROR ? "error" : "warning";

		if (e->line)
			fprintf(stderr, "%s:%u: %s: ", path, e->line, sev);
		else
			fprintf(stderr, "%s: %s: ", path, sev);
		if (e->section && e->key)
			fprintf(stderr, "[%s] %s: ", e->section, e->key);
		fprintf(stderr, "%s\n", e->message);
	}
}

int zo_load_config(struct zo_ctx *ctx)
{
	struct zo_diags diags = { 0 };
	struct zo_ini *ini = NULL;
	struct zo_config *config = NULL;
	int r, ret = ZO_EXIT_OK;

	r = zo_ini_load(ctx->config_path, &ini, &diags);
	if (r == -ENOENT && !ctx->config_explicit) {
		/* No config yet is normal before `setup` runs. */
		zo_debug(&ctx->log, "%s does not exist; using defaults",
			 ctx->config_path);
		r = 0;
	} else if (r == -ENOENT) {
		zo_error(ctx, "config file %s does not exist; give an existing file, "
			      "or leave out --config to use %s",
			 ctx->config_path, ZO_DEFAULT_CONFIG_PATH);
		ret = ZO_EXIT_USAGE;
		goto out;
	} else if (r == -EFBIG) {
		zo_error(ctx, "config file %s is larger than %d KiB; is it the right file?",
			 ctx->config_path, ZO_INI_MAX_BYTES / 1024);
		ret = ZO_EXIT_FAILED;
		goto out;
	} else if (r < 0 && r != -EINVAL) {
		zo_error(ctx, "cannot read config file %s: %s", ctx->config_path,
			 strerror(-r));
		ret = ZO_EXIT_FAILED;
		goto out;
	}
	if (r == 0)
		r = zo_config_from_ini(ctx->config_path, ini, &config, &diags);
	zo_print_diags(ctx->config_path, &diags);
	if (r < 0) {
		zo_error(ctx, "%s has errors; nothing was done", ctx->config_path);
		ret = ZO_EXIT_FAILED;
		goto out;
	}
	if (ctx->connect) {
		zo_diags_release(&diags);
		r = zo_config_override(config, "target", "uri", ctx->connect,
				       ZO_SOURCE_COMMAND_LINE, &diags);
		if (r < 0) {
			zo_error(ctx, "--connect %s: not a libvirt URI; use a form such as "
				      "qemu:///system or test:///default",
				 ctx->connect);
			config = zo_config_free(config);
			ret = ZO_EXIT_USAGE;
			goto out;
		}
	}
	zo_config_free(ctx->config);
	ctx->config = config;
out:
	zo_ini_free(ini);
	zo_diags_release(&diags);
	return ret;
}

/* The exit code, and the results line the spool and scripts read last. */
int zo_run_done(struct zo_ctx *ctx, int r, char *results)
{
	int ret = zo_exit_code(ctx, r);

	/* stopped by SIGINT/SIGTERM: 130/143, as a shell reports it */
	if (r == -EINTR && zo_run_stop_signal())
		ret = 128 + zo_run_stop_signal();
	if (results)
		printf("RESULTS: %s.*\n", results);
	free(results);
	return ret;
}
