#include "sys/kmod.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libkmod.h>

#include "util/macros.h"
#include "util/path.h"
#include "util/str.h"

#include "util/banned.h"

struct zo_kmod {
	struct kmod_ctx *ctx;
};

/* libkmod's own messages go to our log (its data pointer) instead of
 * stderr. */
static void kmod_log(void *data, int priority, const char *file, int line, const char *fn,
		     const char *format, va_list args)
{
	(void)file;
	(void)line;
	(void)fn;
	if (data)
		zo_logv(data, priority, format, args);
}

int zo_kmod_new(const char *root, const char *release, const struct zo_log *log,
		struct zo_kmod **ret)
{
	_cleanup_free_ char *rel = NULL, *dir = NULL, *etc = NULL, *run = NULL, *lib = NULL;
	const char *paths[4];
	struct zo_kmod *k;

	if (root && *root) {
		rel = zo_asprintf("/lib/modules/%s", release);
		dir = rel ? zo_path(root, rel) : NULL;
		etc = zo_path(root, "/etc/modprobe.d");
		run = zo_path(root, "/run/modprobe.d");
		lib = zo_path(root, "/lib/modprobe.d");
		if (!dir || !etc || !run || !lib)
			return -ENOMEM;
	}
	paths[0] = etc;
	paths[1] = run;
	paths[2] = lib;
	paths[3] = NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->ctx = kmod_new(dir, dir ? paths : NULL);
	if (!k->ctx) {
		free(k);
		return -ENOMEM;
	}
	/* cast: libkmod passes the pointer back to kmod_log untouched */
	kmod_set_log_fn(k->ctx, kmod_log, (void *)log);
	*ret = k;
	return 0;
}

struct zo_kmod *zo_kmod_free(struct zo_kmod *k)
{
	if (k) {
		kmod_unref(k->ctx);
		free(k);
	}
	return NULL;
}

int zo_kmod_find(struct zo_kmod *k, const char *module, char **ret_path)
{
	struct kmod_module *mod;
	const char *path;
	int r = kmod_module_new_from_name(k->ctx, module, &mod);

	if (r < 0)
		return r;
	path = kmod_module_get_path(mod);
	r = !path ? -ENOENT : (*ret_path = strdup(path)) ? 0 : -ENOMEM;
	kmod_module_unref(mod);
	return r;
}

int zo_kmod_remove(struct zo_kmod *k, const char *module)
{
	struct kmod_module *mod;
	int r = kmod_module_new_from_name(k->ctx, module, &mod);

	if (r < 0)
		return r;
	r = kmod_module_remove_module(mod, 0);
	kmod_module_unref(mod);
	return r;
}

int zo_kmod_insert(struct zo_kmod *k, const char *module, const char *options)
{
	struct kmod_module *mod;
	int r = kmod_module_new_from_name(k->ctx, module, &mod);

	if (r < 0)
		return r;
	r = kmod_module_probe_insert_module(mod, 0, options, NULL, NULL, NULL);
	kmod_module_unref(mod);
	return r;
}
