#include "ops/kvm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "ops/record.h"
#include "sys/kmod.h"
#include "sys/sysfs.h"
#include "sys/virt.h"
#include "util/file.h"
#include "util/path.h"
#include "util/str.h"

#include "util/banned.h"

int zo_ept_status(struct zo_ctx *ctx, struct zo_ept_status *ret)
{
	struct zo_ept_status s;
	int r;

	memset(&s, 0, sizeof(s));
	s.module = zo_config_get(ctx->config, "kvm", "module");
	s.param = zo_config_get(ctx->config, "kvm", "param");
	s.recorded = zo_config_get(ctx->config, "kvm", "ept");
	r = zo_host_module(ctx->root, s.module, s.param, &s.mod);
	if (r < 0)
		return zo_fail(ctx, r, "cannot read /sys/module/%s: %s", s.module, strerror(-r));
	s.loaded = zo_host_module_active(&s.mod);
	if (zo_sysfs_read_max(ctx->root, ZO_EPT_MODPROBE_FILE, 4096, &s.persisted) == 0)
		s.options = strstr(s.persisted, "options ");
	*ret = s;
	return 0;
}

void zo_ept_status_release(struct zo_ept_status *s)
{
	zo_host_module_release(&s->mod);
	free(s->persisted);
	memset(s, 0, sizeof(*s));
}

struct ept {
	const char *module, *param;
	struct zo_host_module mod;
	const char *old; /* the value before, while loaded; else NULL */
	bool on;
	char opts[128];  /* "ept=1" */
	char *release;   /* the kernel release whose modules libkmod loads */
	char *now;       /* the value after the reload */
};

/* Refuse while anything runs on KVM: the reload would pull it away. */
static int check_idle(struct zo_ctx *ctx, const struct ept *e)
{
	const char *uri = zo_config_get(ctx->config, "target", "uri");
	struct zo_virt *v = NULL;
	struct zo_strbuf sb = { 0 };
	char **names = NULL;
	int n = 0, i, r = 0;

	if (zo_virt_connect(uri, &v) == 0)
		n = zo_virt_list_active(v, &names);
	zo_virt_close(v);
	for (i = 0; i < n; i++)
		zo_strbuf_appendf(&sb, "%s%s", i ? ", " : "", names[i]);
	if (n > 0)
		r = zo_refuse(ctx, -EBUSY, "refusing to reload %s: %d VM%s running on %s (%s); "
					   "stop %s first",
			      e->module, n, n == 1 ? " is" : "s are", uri, sb.buf ? sb.buf : "?",
			      n == 1 ? "it" : "them");
	else if (e->mod.refcnt > 0)
		r = zo_refuse(ctx, -EBUSY, "refusing to reload %s: it is in use (refcount %d), by a "
					   "VM outside libvirt or another module; stop it first",
			      e->module, e->mod.refcnt);
	zo_strbuf_release(&sb);
	zo_strv_free(names);
	return r;
}

/* The modprobe.d line for the next boot, and [kvm] ept in the config. */
static int persist(struct zo_ctx *ctx, const struct ept *e)
{
	_cleanup_free_ char *path = zo_path(ctx->root, ZO_EPT_MODPROBE_FILE);
	_cleanup_free_ char *text = zo_asprintf("# Written by 'zsim-orch ept %s'; it keeps the "
						"setting across reboots.\noptions %s %s\n",
						e->on ? "on" : "off", e->module, e->opts);
	int r;

	if (!path || !text)
		return -ENOMEM;
	r = zo_mkdir_parents(path);
	if (r == 0)
		r = zo_write_file_atomic(path, text);
	if (r == 0)
		r = zo_config_record(ctx, "kvm", "ept", e->on ? "on" : "off");
	return r;
}

/* libkmod for the root's modules: under a root, those of the root's
 * kernel release. */
static int kmod_open(struct zo_ctx *ctx, struct ept *e, struct zo_kmod **ret)
{
	int r = zo_host_osrelease(ctx->root, &e->release);

	if (r < 0)
		return zo_fail(ctx, r, "cannot tell the kernel release from %s%s: %s", ctx->root,
			       "/proc/sys/kernel/osrelease", strerror(-r));
	r = zo_kmod_new(ctx->root, e->release, &ctx->log, ret);
	return r < 0 ? zo_fail(ctx, r, "cannot start libkmod: %s", strerror(-r)) : 0;
}

/* Before a loaded module is removed: its file must be there to load it
 * again, or the host would be left without it. */
static int check_file(struct zo_ctx *ctx, struct zo_kmod *k, const struct ept *e)
{
	_cleanup_free_ char *path = NULL;
	int r = zo_kmod_find(k, e->module, &path);

	if (r < 0)
		return zo_fail(ctx, r, "cannot reload %s: libkmod finds no module file for it in "
				       "%s/lib/modules/%s (%s); nothing was changed",
			       e->module, ctx->root, e->release, strerror(-r));
	return 0;
}

static int failed_insert(struct zo_ctx *ctx, struct zo_kmod *k, const struct ept *e, int r)
{
	_cleanup_free_ char *undo = e->old ? zo_asprintf("%s=%s", e->param, e->old) : NULL;
	const char *why = r < 0 ? strerror(-r) : "the value did not stick";

	/* put the module back the way it was */
	if (r == 0)
		zo_kmod_remove(k, e->module);
	if (!zo_host_module_loaded(&e->mod))
		return zo_fail(ctx, -EIO, "loading %s with %s failed: %s", e->module, e->opts, why);
	if (zo_kmod_insert(k, e->module, undo) == 0)
		return zo_fail(ctx, -EIO, "loading %s with %s failed (%s); restored it with %s",
			       e->module, e->opts, why, undo ? undo : "its defaults");
	return zo_fail(ctx, -EIO, "loading %s with %s failed (%s), and so did restoring it: %s is "
				  "NOT loaded now; run 'modprobe %s'",
		       e->module, e->opts, why, e->module, e->module);
}

/* Remove, insert with the new value, check it took; else roll back. */
static int reload(struct zo_ctx *ctx, struct zo_kmod *k, struct ept *e)
{
	struct zo_host_module now;
	int r;

	if (zo_host_module_loaded(&e->mod)) {
		r = zo_kmod_remove(k, e->module);
		if (r == -EBUSY)
			return zo_refuse(ctx, r, "cannot remove %s: %s (something started using it)",
					 e->module, strerror(-r));
		if (r < 0)
			return zo_fail(ctx, r, "cannot remove %s: %s", e->module, strerror(-r));
	}
	r = zo_kmod_insert(k, e->module, e->opts);
	if (r == 0 && zo_host_module(ctx->root, e->module, e->param, &now) == 0) {
		if (now.on == (e->on ? 1 : 0))
			e->now = TAKE_PTR(now.value);
		zo_host_module_release(&now);
		if (e->now)
			return 0;
	}
	return failed_insert(ctx, k, e, r);
}

static int ept_open(struct zo_ctx *ctx, bool on, struct ept *e)
{
	int r;

	memset(e, 0, sizeof(*e));
	e->module = zo_config_get(ctx->config, "kvm", "module");
	e->param = zo_config_get(ctx->config, "kvm", "param");
	e->on = on;
	snprintf(e->opts, sizeof(e->opts), "%s=%d", e->param, on ? 1 : 0);
	r = zo_host_module(ctx->root, e->module, e->param, &e->mod);
	if (r < 0)
		return zo_fail(ctx, r, "cannot read /sys/module/%s: %s", e->module, strerror(-r));
	e->old = zo_host_module_loaded(&e->mod) ? e->mod.value : NULL;
	return 0;
}

/* The value is there already: keep it across reboots. */
static int already(struct zo_ctx *ctx, const struct ept *e)
{
	int r = ctx->dry_run ? 0 : persist(ctx, e);

	zo_say(ctx, "%s: %s=%s already; %s", e->module, e->param, e->old,
	       r < 0 ? "could not persist it" : "persisted");
	if (r < 0)
		return zo_fail(ctx, r, "%s: %s=%s already, but persisting it failed: %s", e->module,
			       e->param, e->old, strerror(-r));
	return 0;
}

static int plan(struct zo_ctx *ctx, const struct ept *e)
{
	if (zo_host_module_loaded(&e->mod))
		zo_plan(ctx, "would remove %s", e->module);
	zo_plan(ctx, "would insert %s %s", e->module, e->opts);
	zo_plan(ctx, "would write %s and record [kvm] ept = %s", ZO_EPT_MODPROBE_FILE,
		e->on ? "on" : "off");
	return 0;
}

/* The module is loaded with another value, or not at all. */
static int change(struct zo_ctx *ctx, struct ept *e)
{
	struct zo_kmod *k = NULL;
	int r;

	r = check_idle(ctx, e);
	if (r == 0)
		r = kmod_open(ctx, e, &k);
	if (r == 0 && zo_host_module_loaded(&e->mod))
		r = check_file(ctx, k, e);
	if (r == 0 && ctx->dry_run)
		r = plan(ctx, e);
	else if (r == 0)
		r = reload(ctx, k, e);
	zo_kmod_free(k);
	if (r < 0 || ctx->dry_run)
		return r;
	r = persist(ctx, e);
	if (r < 0)
		return zo_fail(ctx, r, "%s reloaded with %s, but persisting it failed: %s", e->module,
			       e->opts, strerror(-r));
	zo_say(ctx, "%s: %s=%s (was %s); persisted in %s", e->module, e->param, e->now,
	       e->old ? e->old : "not loaded", ZO_EPT_MODPROBE_FILE);
	return 0;
}

int zo_ept_set(struct zo_ctx *ctx, bool on)
{
	struct ept e;
	int r;

	r = ept_open(ctx, on, &e);
	if (r < 0)
		return r;
	if (e.mod.state == ZO_MODULE_BUILTIN)
		r = zo_fail(ctx, -EINVAL, "%s is built into this kernel and cannot be reloaded; boot "
					  "with %s.%s instead",
			    e.module, e.module, e.opts);
	else if (e.old && zo_parse_param_bool(e.old) == (on ? 1 : 0))
		r = already(ctx, &e);
	else
		r = change(ctx, &e);
	zo_host_module_release(&e.mod);
	free(e.release);
	free(e.now);
	return r;
}
