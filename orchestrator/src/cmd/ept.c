/* zsim-orch ept on|off|status: reload the KVM module with EPT on or off
 * (ops/kvm). */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "ops/kvm.h"

#include "util/banned.h"

static int ept_status(struct zo_ctx *ctx)
{
	struct zo_ept_status s;
	int r = zo_ept_status(ctx, &s);

	if (r < 0)
		return zo_exit_code(ctx, r);
	printf("module:    %s %s", s.module, s.loaded ? "loaded" : "not loaded");
	if (s.mod.refcnt > 0)
		printf(" (in use: refcount %d)", s.mod.refcnt);
	if (s.mod.value)
		printf("\nvalue:     %s=%s (%s)\n", s.param, s.mod.value,
		       s.mod.on == 1 ? "on" : s.mod.on == 0 ? "off" : "?");
	else
		printf("\nvalue:     unknown (%s is not loaded)\n", s.module);
	if (s.persisted)
		printf("persisted: %s", s.options ? s.options : "(no options line)\n");
	else
		printf("persisted: no %s\n", ZO_EPT_MODPROBE_FILE);
	printf("config:    [kvm] ept = %s\n", s.recorded);
	zo_ept_status_release(&s);
	return ZO_EXIT_OK;
}

static int cmd_ept(struct zo_ctx *ctx, int argc, char **argv)
{
	int r;

	r = zo_no_options(ctx, &zo_cmd_ept, argc, argv);
	if (r >= 0)
		return r;
	if (argc != 2)
		return zo_usage_error(ctx, &zo_cmd_ept, "give on, off or status");
	if (!strcmp(argv[1], "status"))
		return ept_status(ctx);
	if (strcmp(argv[1], "on") && strcmp(argv[1], "off"))
		return zo_usage_error(ctx, &zo_cmd_ept, "'%s': give on, off or status", argv[1]);
	r = zo_cmd_require(ctx, ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK,
			   !strcmp(argv[1], "on") ? "ept on" : "ept off");
	if (r >= 0)
		return r;
	return zo_exit_code(ctx, zo_ept_set(ctx, !strcmp(argv[1], "on")));
}

const struct zo_cmd zo_cmd_ept = {
	.name = "ept",
	.fn = cmd_ept,
	.summary = "reload the KVM module with EPT on or off",
	.usage = "zsim-orch ept on|off|status\n"
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
};
