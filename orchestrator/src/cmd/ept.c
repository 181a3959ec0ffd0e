/* zsim-orch ept on|off|status: reload the KVM module with EPT on or off
 * (ops/kvm). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "ops/kvm.h"
#include "util/json.h"

#include "util/banned.h"

static void print_status_text(const struct zo_ept_status *s)
{
	printf("module:    %s %s", s->module, s->loaded ? "loaded" : "not loaded");
	if (s->mod.refcnt > 0)
		printf(" (in use: refcount %d)", s->mod.refcnt);
	if (s->mod.value)
		printf("\nvalue:     %s=%s (%s)\n", s->param, s->mod.value,
		       s->mod.on == 1 ? "on" : s->mod.on == 0 ? "off" : "?");
	else
		printf("\nvalue:     unknown (%s is not loaded)\n", s->module);
	if (s->persisted)
		printf("persisted: %s", s->options ? s->options : "(no options line)\n");
	else
		printf("persisted: no %s\n", ZO_EPT_MODPROBE_FILE);
	printf("config:    [kvm] ept = %s\n", s->recorded);
}

static void print_status_json(const struct zo_ept_status *s)
{
	json_object *o = json_object_new_object();

	zo_json_add_str(o, "module", s->module);
	zo_json_add_bool(o, "loaded", s->loaded);
	if (s->loaded && s->mod.refcnt >= 0)
		zo_json_add_int(o, "refcount", s->mod.refcnt);
	else
		zo_json_add_null(o, "refcount");
	zo_json_add_str(o, "param", s->param);
	zo_json_add_str(o, "value", s->mod.value);
	if (s->mod.value && s->mod.on >= 0)
		zo_json_add_bool(o, "ept", s->mod.on == 1);
	else
		zo_json_add_null(o, "ept");
	zo_json_add_str(o, "modprobe_file", ZO_EPT_MODPROBE_FILE);
	zo_json_add_bool(o, "persisted", s->persisted != NULL);
	if (s->options) {
		_cleanup_free_ char *line = strndup(s->options, strcspn(s->options, "\n"));

		zo_json_add_str(o, "options", line);
	} else {
		zo_json_add_null(o, "options");
	}
	zo_json_add_str(o, "recorded", s->recorded);
	zo_print_json("ept.status", o);
}

static int ept_status(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_ept_status s;
	int r = zo_json_options(ctx, &zo_cmd_ept, "ept status", argc, argv);

	if (r >= 0)
		return r;
	if (optind < argc)
		return zo_usage_error(ctx, &zo_cmd_ept, "'ept status' takes no arguments");
	r = zo_ept_status(ctx, &s);
	if (r < 0)
		return zo_exit_code(ctx, r);
	if (ctx->json)
		print_status_json(&s);
	else
		print_status_text(&s);
	zo_ept_status_release(&s);
	return ZO_EXIT_OK;
}

static int ept_set(struct zo_ctx *ctx, int argc, char **argv)
{
	bool on = !strcmp(argv[0], "on");
	int r;

	if (argc != 1)
		return zo_usage_error(ctx, &zo_cmd_ept, "give on, off or status");
	r = zo_cmd_require(ctx, ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK, on ? "ept on" : "ept off");
	if (r >= 0)
		return r;
	return zo_exit_code(ctx, zo_ept_set(ctx, on));
}

static const struct zo_opt json_opt[] = { { "json", 0, NULL }, { NULL, 0, NULL } };
/* The root check and the lock are ept_set's: they name "ept on". */
static const struct zo_subcmd subs[] = {
	{ "off", ept_set, 0, NULL, NULL },
	{ "on", ept_set, 0, NULL, NULL },
	{ "status", ept_status, 0, json_opt, NULL },
};

/* Its own dispatch, for the messages it has always given. */
static int cmd_ept(struct zo_ctx *ctx, int argc, char **argv)
{
	size_t i;
	int r;

	if (argc >= 2 && !strcmp(argv[1], "status"))
		return ept_status(ctx, argc - 1, argv + 1);
	r = zo_no_options(ctx, &zo_cmd_ept, argc, argv);
	if (r >= 0)
		return r;
	if (argc != 2)
		return zo_usage_error(ctx, &zo_cmd_ept, "give on, off or status");
	for (i = 0; i < ZO_ARRAY_SIZE(subs); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(ctx, argc - 1, argv + 1);
	return zo_usage_error(ctx, &zo_cmd_ept, "'%s': give on, off or status", argv[1]);
}

const struct zo_cmd zo_cmd_ept = {
	.name = "ept",
	.fn = cmd_ept,
	.summary = "reload the KVM module with EPT on or off",
	.usage = "zsim-orch ept on|off|status [--json]\n"
		 "\n"
		 "on, off  reload [kvm] module (kvm_intel) with [kvm] param (ept) = 1 or 0\n"
		 "         through libkmod, check the value took, write it to\n"
		 "         /etc/modprobe.d/zsim-kvm.conf and record [kvm] ept. Refused\n"
		 "         (exit 3) while any VM runs (libvirt's, named) or the module is in\n"
		 "         use. If loading with the new value fails, the old value is\n"
		 "         restored and the command says so. Large targets need EPT off: with\n"
		 "         39 physical address bits EPT maps at most 512 GB.\n"
		 "status   loaded or not, the value, what is persisted and recorded\n",
	.flags = ZO_CMD_NEED_CONFIG,
	.subs = subs,
	.n_subs = ZO_ARRAY_SIZE(subs),
};
