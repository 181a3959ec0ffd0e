/* Helpers shared by the command files: error printing, nested verbs,
 * config loading. */
#include "cmd/cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "util/ini.h"
#include "util/json.h"
#include "util/str.h"

#include "util/banned.h"

void zo_error(struct zo_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	zo_logv(&ctx->log, LOG_ERR, fmt, ap);
	va_end(ap);
}

int zo_usage_error(struct zo_ctx *ctx, const char *cmd, const char *fmt, ...)
{
	const struct zo_cmd *c = zo_cmd_find(cmd);
	va_list ap;

	va_start(ap, fmt);
	zo_logv(&ctx->log, LOG_ERR, fmt, ap);
	va_end(ap);
	if (c)
		fprintf(stderr, "usage: %.*s\n", (int)strcspn(c->usage, "\n"),
			c->usage);
	fprintf(stderr, "Run 'zsim-orch %s --help' for details.\n", cmd);
	return ZO_EXIT_USAGE;
}

static bool is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

int zo_no_options(struct zo_ctx *ctx, const char *cmd, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			zo_cmd_print_usage(zo_cmd_find(cmd), stdout);
			return ZO_EXIT_OK;
		}
		if (argv[i][0] == '-' && argv[i][1])
			return zo_usage_error(ctx, cmd, "unknown option '%s'",
					      argv[i]);
	}
	return -1;
}

int zo_json_options(struct zo_ctx *ctx, const char *cmd, const char *what, int argc,
		    char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'j') {
			ctx->json = true;
		} else if (c == 'h') {
			zo_cmd_print_usage(zo_cmd_find(cmd), stdout);
			return ZO_EXIT_OK;
		} else if (what) {
			return zo_usage_error(ctx, cmd, "unknown option '%s' for '%s'",
					      argv[optind - 1], what);
		} else {
			return zo_usage_error(ctx, cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	return -1;
}

int zo_dispatch_sub(struct zo_ctx *ctx, const char *cmd,
		    const struct zo_subcmd *subs, size_t n, int argc,
		    char **argv)
{
	const char *names[32];
	const char *near;
	size_t i;

	if (argc < 2)
		return zo_usage_error(ctx, cmd, "'%s' needs a subcommand", cmd);
	if (is_help(argv[1])) {
		zo_cmd_print_usage(zo_cmd_find(cmd), stdout);
		return ZO_EXIT_OK;
	}
	for (i = 0; i < n; i++)
		if (!strcmp(subs[i].name, argv[1]))
			return subs[i].fn(ctx, argc - 1, argv + 1);
	for (i = 0; i < n && i < ZO_ARRAY_SIZE(names); i++)
		names[i] = subs[i].name;
	near = zo_closest(argv[1], names, i);
	if (near)
		return zo_usage_error(ctx, cmd,
				      "unknown subcommand '%s %s'; did you mean '%s %s'?",
				      cmd, argv[1], cmd, near);
	return zo_usage_error(ctx, cmd, "unknown subcommand '%s %s'", cmd, argv[1]);
}

int zo_print_json(json_object *o)
{
	if (!o)
		return -ENOMEM;
	fputs(zo_json_text(o), stdout);
	fputc('\n', stdout);
	return 0;
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

int zo_config_record(struct zo_ctx *ctx, const char *section, const char *key,
		     const char *value)
{
	const struct zo_key_def *def = zo_config_key(section, key);
	const char *current = zo_config_get(ctx->config, section, key);
	struct zo_diags diags = { 0 };
	int r;

	if (!def)
		return -ENOENT;
	r = zo_config_check_value(def, value, 0, &diags);
	if (r < 0) {
		zo_print_diags(ctx->config_path, &diags);
		zo_diags_release(&diags);
		return r;
	}
	if (current && !strcmp(current, value) &&
	    zo_config_value(ctx->config, section, key)->source == ZO_SOURCE_FILE)
		return 0; /* already recorded: setup stays idempotent */
	if (ctx->dry_run) {
		printf("would record in %s: [%s] %s = %s\n", ctx->config_path,
		       section, key, value);
		return 0;
	}
	r = zo_ini_set(ctx->config_path, section, key, value);
	if (r < 0)
		return r;
	zo_info(&ctx->log, "recorded in %s: [%s] %s = %s", ctx->config_path,
		section, key, value);
	return zo_config_override(ctx->config, section, key, value,
				  ZO_SOURCE_FILE, &diags);
}
