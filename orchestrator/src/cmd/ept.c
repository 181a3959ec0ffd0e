/* zsim-orch ept on|off|status: reload the KVM module with EPT on or off.
 * A CPU with 39 physical address bits maps at most 512 GB with EPT, and
 * QEMU then hangs at boot with no message; large targets need it off. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "ops/record.h"
#include "sys/kmod.h"
#include "sys/sysfs.h"
#include "sys/virt.h"
#include "util/file.h"
#include "util/path.h"
#include "util/str.h"

#include "util/banned.h"

#define MODPROBE_FILE "/etc/modprobe.d/zsim-kvm.conf"

struct ept {
	const char *module, *param;
	char *param_path; /* /sys/module/M/parameters/P */
};

static int ept_open(struct zo_ctx *ctx, struct ept *e)
{
	e->module = zo_config_get(ctx->config, "kvm", "module");
	e->param = zo_config_get(ctx->config, "kvm", "param");
	e->param_path = zo_asprintf("/sys/module/%s/parameters/%s", e->module, e->param);
	return e->param_path ? 0 : -ENOMEM;
}

/* "Y"/"1" on, "N"/"0" off, else -1. */
static int read_value(struct zo_ctx *ctx, const struct ept *e, char **ret_raw)
{
	_cleanup_free_ char *v = NULL;

	*ret_raw = NULL;
	if (zo_sysfs_read_line(ctx->root, e->param_path, &v) < 0)
		return -1;
	*ret_raw = strdup(v);
	if (!strcmp(v, "Y") || !strcmp(v, "1"))
		return 1;
	if (!strcmp(v, "N") || !strcmp(v, "0"))
		return 0;
	return -1;
}

static int ept_status(struct zo_ctx *ctx, struct ept *e)
{
	struct zo_kmod_state st;
	_cleanup_free_ char *raw = NULL, *persist = NULL, *path = zo_path(ctx->root,
									 MODPROBE_FILE);
	int v = read_value(ctx, e, &raw);

	if (zo_kmod_state(e->module, &st) < 0)
		memset(&st, 0, sizeof(st));
	/* a fixture tree has the module's sysfs files but no module */
	if (!st.loaded && raw)
		st.loaded = true;
	printf("module:    %s %s", e->module, st.loaded ? "loaded" : "not loaded");
	if (st.refcnt > 0)
		printf(" (in use: refcount %d)", st.refcnt);
	if (raw)
		printf("\nvalue:     %s=%s (%s)\n", e->param, raw,
		       v == 1 ? "on" : v == 0 ? "off" : "?");
	else
		printf("\nvalue:     unknown (%s is not loaded)\n", e->module);
	if (path && zo_read_file(path, 4096, &persist, NULL) == 0) {
		char *line = strstr(persist, "options ");

		printf("persisted: %s", line ? line : "(no options line)\n");
	} else {
		printf("persisted: no %s\n", MODPROBE_FILE);
	}
	printf("config:    [kvm] ept = %s\n", zo_config_get(ctx->config, "kvm", "ept"));
	return ZO_EXIT_OK;
}

/* Refuse while anything runs on KVM: the reload would pull it away. */
static int check_idle(struct zo_ctx *ctx, const struct ept *e, const struct zo_kmod_state *st)
{
	const char *uri = zo_config_get(ctx->config, "target", "uri");
	struct zo_virt *v = NULL;
	char **names = NULL;
	int n, i, ret = ZO_EXIT_OK;

	if (zo_virt_connect(uri, &v) == 0) {
		n = zo_virt_list_active(v, &names);
		if (n > 0) {
			struct zo_strbuf sb = { 0 };

			for (i = 0; i < n; i++)
				zo_strbuf_appendf(&sb, "%s%s", i ? ", " : "", names[i]);
			zo_error(ctx, "refusing to reload %s: %d VM%s running on %s (%s); stop %s "
				      "first",
				 e->module, n, n == 1 ? " is" : "s are", uri, sb.buf ? sb.buf : "?",
				 n == 1 ? "it" : "them");
			zo_strbuf_release(&sb);
			ret = ZO_EXIT_REFUSED;
		}
		zo_strv_free(names);
	}
	zo_virt_close(v);
	if (ret == ZO_EXIT_OK && st->refcnt > 0) {
		zo_error(ctx, "refusing to reload %s: it is in use (refcount %d), by a VM outside "
			      "libvirt or another module; stop it first",
			 e->module, st->refcnt);
		ret = ZO_EXIT_REFUSED;
	}
	return ret;
}

static int persist(struct zo_ctx *ctx, const struct ept *e, bool on)
{
	_cleanup_free_ char *path = zo_path(ctx->root, MODPROBE_FILE);
	_cleanup_free_ char *text = zo_asprintf("# Written by 'zsim-orch ept %s'; it keeps the "
						"setting across reboots.\noptions %s %s=%d\n",
						on ? "on" : "off", e->module, e->param, on ? 1 : 0);
	int r;

	if (!path || !text)
		return -ENOMEM;
	r = zo_mkdir_parents(path);
	if (r == 0)
		r = zo_write_file_atomic(path, text);
	if (r == 0)
		r = zo_config_record(ctx, "kvm", "ept", on ? "on" : "off");
	return r;
}

static int ept_set(struct zo_ctx *ctx, struct ept *e, bool on)
{
	struct zo_kmod_state st;
	_cleanup_free_ char *old_raw = NULL, *new_raw = NULL, *opts = NULL, *undo = NULL;
	int old, now, r, ret;

	r = zo_kmod_state(e->module, &st);
	if (r < 0) {
		zo_error(ctx, "cannot look up %s with libkmod: %s", e->module, strerror(-r));
		return ZO_EXIT_FAILED;
	}
	if (st.builtin) {
		zo_error(ctx, "%s is built into this kernel and cannot be reloaded; boot with "
			      "%s.%s=%d instead",
			 e->module, e->module, e->param, on ? 1 : 0);
		return ZO_EXIT_FAILED;
	}
	old = st.loaded ? read_value(ctx, e, &old_raw) : -1;
	if (st.loaded && old == (on ? 1 : 0)) {
		r = ctx->dry_run ? 0 : persist(ctx, e, on);
		printf("%s: %s=%s already; %s\n", e->module, e->param, old_raw,
		       r < 0 ? "could not persist it" : "persisted");
		return r < 0 ? ZO_EXIT_FAILED : ZO_EXIT_OK;
	}
	ret = check_idle(ctx, e, &st);
	if (ret)
		return ret;
	opts = zo_asprintf("%s=%d", e->param, on ? 1 : 0);
	if (!opts)
		return ZO_EXIT_FAILED;
	if (ctx->dry_run) {
		if (st.loaded)
			printf("would remove %s\n", e->module);
		printf("would insert %s %s\nwould write %s and record [kvm] ept = %s\n", e->module,
		       opts, MODPROBE_FILE, on ? "on" : "off");
		return ZO_EXIT_OK;
	}
	if (st.loaded) {
		r = zo_kmod_remove(e->module);
		if (r < 0) {
			zo_error(ctx, "cannot remove %s: %s%s", e->module, strerror(-r),
				 r == -EBUSY ? " (something started using it)" : "");
			return r == -EBUSY ? ZO_EXIT_REFUSED : ZO_EXIT_FAILED;
		}
	}
	r = zo_kmod_insert(e->module, opts, &ctx->log);
	now = r == 0 ? read_value(ctx, e, &new_raw) : -1;
	if (r < 0 || now != (on ? 1 : 0)) {
		/* put the module back the way it was */
		if (r == 0)
			zo_kmod_remove(e->module);
		undo = old_raw ? zo_asprintf("%s=%s", e->param, old_raw) : NULL;
		if (st.loaded && zo_kmod_insert(e->module, undo, &ctx->log) == 0)
			zo_error(ctx, "loading %s with %s failed (%s); restored it with %s", e->module,
				 opts, r < 0 ? strerror(-r) : "the value did not stick",
				 undo ? undo : "its defaults");
		else if (st.loaded)
			zo_error(ctx, "loading %s with %s failed (%s), and so did restoring it: %s is "
				      "NOT loaded now; run 'modprobe %s'",
				 e->module, opts, r < 0 ? strerror(-r) : "the value did not stick",
				 e->module, e->module);
		else
			zo_error(ctx, "loading %s with %s failed: %s", e->module, opts,
				 r < 0 ? strerror(-r) : "the value did not stick");
		return ZO_EXIT_FAILED;
	}
	r = persist(ctx, e, on);
	if (r < 0) {
		zo_error(ctx, "%s reloaded with %s, but persisting it failed: %s", e->module, opts,
			 strerror(-r));
		return ZO_EXIT_FAILED;
	}
	printf("%s: %s=%s (was %s); persisted in %s\n", e->module, e->param, new_raw,
	       old_raw ? old_raw : "not loaded", MODPROBE_FILE);
	return ZO_EXIT_OK;
}

static int cmd_ept(struct zo_ctx *ctx, int argc, char **argv)
{
	struct ept e = { 0 };
	int r;

	r = zo_no_options(ctx, &zo_cmd_ept, argc, argv);
	if (r >= 0)
		return r;
	if (argc != 2)
		return zo_usage_error(ctx, &zo_cmd_ept, "give on, off or status");
	if (ept_open(ctx, &e) < 0)
		return ZO_EXIT_FAILED;
	if (!strcmp(argv[1], "status"))
		r = ept_status(ctx, &e);
	else if ((!strcmp(argv[1], "on") || !strcmp(argv[1], "off")) && *ctx->root)
		/* libkmod acts on the running kernel, never on a --root tree */
		r = zo_usage_error(ctx, &zo_cmd_ept, "'ept %s' reloads a module of the running kernel; "
					       "it does not take --root",
				   argv[1]);
	else if (!strcmp(argv[1], "on") || !strcmp(argv[1], "off"))
		r = ept_set(ctx, &e, !strcmp(argv[1], "on"));
	else
		r = zo_usage_error(ctx, &zo_cmd_ept, "'%s': give on, off or status", argv[1]);
	free(e.param_path);
	return r;
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
