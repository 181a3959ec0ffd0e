/* zsim-orch config show|check|default */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cmd/cmd.h"
#include "util/ini.h"
#include "util/json.h"
#include "util/str.h"

#include "util/banned.h"

static const char *source_name(const struct zo_config_value *v)
{
	switch (v->source) {
	case ZO_SOURCE_FILE:
		return "file";
	case ZO_SOURCE_COMMAND_LINE:
		return "command line";
	case ZO_SOURCE_DEFAULT:
		break;
	}
	return "default";
}

/* Quoted as the config file is written, to read back the same. */
static void print_value(const char *v)
{
	if (zo_ini_needs_quotes(v))
		printf("\"%s\"", v);
	else
		fputs(v, stdout);
}

static int config_show(struct zo_ctx *ctx, int argc, char **argv)
{
	const char *section = NULL;
	json_object *o, *sections, *sec = NULL;
	int code, idx, r;
	size_t i;

	code = zo_json_options(ctx, &zo_cmd_config, "config show", argc, argv);
	if (code >= 0)
		return code;
	idx = optind;
	if (idx < argc)
		return zo_usage_error(ctx, &zo_cmd_config, "'config show' takes no arguments");
	r = zo_load_config(ctx);
	if (r != ZO_EXIT_OK)
		return r;

	if (!ctx->json) {
		printf("# effective configuration; file: %s%s\n", ctx->config->path,
		       ctx->config->file_present ? "" : " (not present: defaults)");
		for (i = 0; i < zo_config_n_keys; i++) {
			const struct zo_key_def *d = &zo_config_keys[i];
			const struct zo_config_value *v = &ctx->config->values[i];
			int w;

			if (!section || strcmp(section, d->section)) {
				section = d->section;
				printf("\n[%s]\n", section);
			}
			w = printf("%s = ", d->key);
			print_value(v->value);
			w += (int)strlen(v->value);
			printf("%*s# %s", w < 40 ? 40 - w : 1, "", source_name(v));
			if (v->line)
				printf(":%u", v->line);
			putchar('\n');
		}
		return ZO_EXIT_OK;
	}

	o = json_object_new_object();
	sections = json_object_new_object();
	zo_json_add_str(o, "file", ctx->config->path);
	zo_json_add_bool(o, "file_present", ctx->config->file_present);
	json_object_object_add(o, "sections", sections);
	for (i = 0; i < zo_config_n_keys; i++) {
		const struct zo_key_def *d = &zo_config_keys[i];
		const struct zo_config_value *v = &ctx->config->values[i];
		json_object *k = json_object_new_object();

		if (!section || strcmp(section, d->section)) {
			section = d->section;
			sec = json_object_new_object();
			json_object_object_add(sections, section, sec);
		}
		zo_json_add_str(k, "value", v->value);
		zo_json_add_str(k, "source", source_name(v));
		if (v->line)
			zo_json_add_int(k, "line", v->line);
		else
			zo_json_add_null(k, "line");
		json_object_object_add(sec, d->key, k);
	}
	return zo_print_json("config.show", o) < 0 ? ZO_EXIT_FAILED : ZO_EXIT_OK;
}

static json_object *diags_json(const struct zo_diags *d, enum zo_severity sev)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct zo_diag *e = &d->v[i];
		json_object *o;

		if (e->severity != sev)
			continue;
		o = json_object_new_object();
		if (e->line)
			zo_json_add_int(o, "line", e->line);
		else
			zo_json_add_null(o, "line");
		zo_json_add_str(o, "section", e->section);
		zo_json_add_str(o, "key", e->key);
		zo_json_add_str(o, "message", e->message);
		json_object_array_add(a, o);
	}
	return a;
}

static int config_check(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_diags diags = { 0 };
	struct zo_ini *ini = NULL;
	struct zo_config *config = NULL;
	const char *path = ctx->config_path;
	bool explicit_file = ctx->config_explicit;
	size_t errors, warnings;
	int code, idx, r;

	code = zo_json_options(ctx, &zo_cmd_config, "config check", argc, argv);
	if (code >= 0)
		return code;
	idx = optind;
	if (argc - idx > 1)
		return zo_usage_error(ctx, &zo_cmd_config, "'config check' takes at most one FILE");
	if (idx < argc) {
		path = argv[idx];
		explicit_file = true;
	}

	r = zo_ini_load(path, &ini, &diags);
	if (r == -ENOENT && explicit_file) {
		zo_error(ctx, "config file %s does not exist; give an existing file", path);
		zo_diags_release(&diags);
		return ZO_EXIT_USAGE;
	}
	if (r == -ENOENT) {
		printf("%s: not present; every key takes its default\n", path);
		return ZO_EXIT_OK;
	}
	if (r == -EFBIG) {
		zo_error(ctx, "config file %s is larger than %d KiB; is it the right file?",
			 path, ZO_INI_MAX_BYTES / 1024);
		return ZO_EXIT_FAILED;
	}
	if (r < 0 && r != -EINVAL) {
		zo_error(ctx, "cannot read config file %s: %s", path, strerror(-r));
		return ZO_EXIT_FAILED;
	}
	if (r == 0)
		zo_config_from_ini(path, ini, &config, &diags);
	errors = zo_diags_count(&diags, ZO_ERROR);
	warnings = zo_diags_count(&diags, ZO_WARNING);

	if (ctx->json) {
		json_object *o = json_object_new_object();

		zo_json_add_str(o, "file", path);
		zo_json_add_bool(o, "valid", errors == 0);
		zo_diags_sort(&diags);
		json_object_object_add(o, "errors", diags_json(&diags, ZO_ERROR));
		json_object_object_add(o, "warnings", diags_json(&diags, ZO_WARNING));
		zo_print_json("config.check", o);
	} else {
		zo_print_diags(path, &diags);
		if (!errors && !warnings)
			printf("%s: OK\n", path);
		else
			printf("%s: %zu error%s, %zu warning%s\n", path, errors,
			       errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
	}
	zo_config_free(config);
	zo_ini_free(ini);
	zo_diags_release(&diags);
	return errors ? ZO_EXIT_FAILED : ZO_EXIT_OK;
}

/* Wrap `text` as '#' comment lines of at most 76 columns. */
static void print_comment(const char *text)
{
	const char *p = text;

	while (*p) {
		size_t len = strlen(p), cut = len;

		if (len > 74) {
			cut = 74;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = 74;
		}
		printf("# %.*s\n", (int)cut, p);
		p += cut;
		while (*p == ' ')
			p++;
	}
}

static int config_default(struct zo_ctx *ctx, int argc, char **argv)
{
	const char *section = NULL;
	char form[256];
	size_t i;
	int r = zo_no_options(ctx, &zo_cmd_config, argc, argv);

	if (r >= 0)
		return r;
	if (argc > 1)
		return zo_usage_error(ctx, &zo_cmd_config, "'config default' takes no arguments");
	printf("# zsim-orch configuration (" ZO_DEFAULT_CONFIG_PATH ").\n"
	       "#\n"
	       "# Every key is listed with its default value, commented out.\n"
	       "# `zsim-orch setup` writes the values it chooses; `zsim-orch config\n"
	       "# check` validates this file and `zsim-orch config show` prints the\n"
	       "# effective values.\n");
	for (i = 0; i < zo_config_n_keys; i++) {
		const struct zo_key_def *d = &zo_config_keys[i];

		if (!section || strcmp(section, d->section)) {
			section = d->section;
			printf("\n[%s]\n", section);
		}
		putchar('\n');
		print_comment(d->help);
		{
			_cleanup_free_ char *accepted = zo_asprintf(
				"Accepted: %s%s.", zo_type_form(d, form, sizeof(form)),
				d->optional ? ", or empty" : "");
			print_comment(accepted ? accepted : "");
		}
		printf("#%s = %s\n", d->key, d->def);
	}
	return ZO_EXIT_OK;
}

static const struct zo_opt json_opt[] = { { "json", 0, NULL }, { NULL, 0, NULL } };
static const struct zo_subcmd subs[] = {
	{ "show", config_show, 0, json_opt, NULL },
	{ "check", config_check, 0, json_opt, "[FILE]" },
	{ "default", config_default, 0, NULL, NULL },
};

static int cmd_config(struct zo_ctx *ctx, int argc, char **argv)
{
	return zo_dispatch_sub(ctx, &zo_cmd_config, subs, ZO_ARRAY_SIZE(subs), argc, argv);
}

const struct zo_cmd zo_cmd_config = {
	.name = "config",
	.fn = cmd_config,
	.summary = "show or check the configuration",
	.usage = "zsim-orch config show [--json]\n"
		 "       zsim-orch config check [--json] [FILE]\n"
		 "       zsim-orch config default\n"
		 "\n"
		 "show     the effective configuration: every key, its value, and whether\n"
		 "         it came from the file, the command line or the defaults\n"
		 "         (--json for a machine-readable form)\n"
		 "check    report every problem in FILE (default: the --config file) at once;\n"
		 "         exit 1 if any value is invalid, 0 if there are only warnings\n"
		 "default  print the commented default configuration file\n",
	.flags = 0,
	.subs = subs,
	.n_subs = ZO_ARRAY_SIZE(subs),
};
