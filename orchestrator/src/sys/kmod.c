#include "sys/kmod.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libkmod.h>

#include "util/banned.h"

static const struct zo_log *current_log;

/* libkmod's own messages (the kernel's reason for a failed insert among
 * them) go to our log instead of stderr. */
static void kmod_log(void *data, int priority, const char *file, int line, const char *fn,
		     const char *format, va_list args)
{
	(void)data;
	(void)file;
	(void)line;
	(void)fn;
	if (current_log)
		zo_logv(current_log, priority, format, args);
}

static int open_module(const char *module, struct kmod_ctx **ret_ctx, struct kmod_module **ret)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);
	int r;

	if (!ctx)
		return -ENOMEM;
	kmod_set_log_fn(ctx, kmod_log, NULL);
	r = kmod_module_new_from_name(ctx, module, ret);
	if (r < 0) {
		kmod_unref(ctx);
		return r;
	}
	*ret_ctx = ctx;
	return 0;
}

static void close_module(struct kmod_ctx *ctx, struct kmod_module *mod)
{
	kmod_module_unref(mod);
	kmod_unref(ctx);
}

int zo_kmod_state(const char *module, struct zo_kmod_state *ret)
{
	struct kmod_ctx *ctx;
	struct kmod_module *mod;
	int r, state;

	memset(ret, 0, sizeof(*ret));
	r = open_module(module, &ctx, &mod);
	if (r < 0)
		return r;
	state = kmod_module_get_initstate(mod);
	ret->builtin = state == KMOD_MODULE_BUILTIN;
	ret->loaded = state == KMOD_MODULE_LIVE || state == KMOD_MODULE_COMING;
	if (ret->loaded)
		ret->refcnt = kmod_module_get_refcnt(mod);
	close_module(ctx, mod);
	return 0;
}

int zo_kmod_remove(const char *module)
{
	struct kmod_ctx *ctx;
	struct kmod_module *mod;
	int r = open_module(module, &ctx, &mod);

	if (r < 0)
		return r;
	r = kmod_module_remove_module(mod, 0);
	close_module(ctx, mod);
	return r;
}

int zo_kmod_insert(const char *module, const char *options, const struct zo_log *log)
{
	struct kmod_ctx *ctx;
	struct kmod_module *mod;
	int r;

	current_log = log;
	r = open_module(module, &ctx, &mod);
	if (r == 0) {
		r = kmod_module_probe_insert_module(mod, 0, options, NULL, NULL, NULL);
		close_module(ctx, mod);
	}
	current_log = NULL;
	return r;
}
