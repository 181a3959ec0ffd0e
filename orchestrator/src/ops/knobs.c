#include "ops/knobs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "sys/hostinfo.h"
#include "sys/sysfs.h"
#include "util/macros.h"
#include "util/str.h"

#include "util/banned.h"

void zo_knob_sets_release(struct zo_knob_sets *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].value);
	s->n = 0;
}

static int usage(struct zo_ctx *ctx, int r)
{
	ctx->fail_kind = ZO_FAIL_USAGE;
	return r;
}

int zo_knobs_add(struct zo_ctx *ctx, struct zo_knob_sets *s, const char *name,
		 const char *value)
{
	const struct zo_knob *k = zo_knob_find(name);
	_cleanup_free_ char *why = NULL;
	const char *names[ZO_KNOBS_MAX], *near;
	size_t i;

	if (!k) {
		for (i = 0; i < zo_n_knobs && i < ZO_ARRAY_SIZE(names); i++)
			names[i] = zo_knobs[i].name;
		near = zo_closest(name, names, i);
		zo_fail(ctx, -EINVAL, "unknown knob '%s'%s%s%s; 'zsim-orch knobs show' lists them",
			name, near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
		return usage(ctx, -EINVAL);
	}
	if (s->n >= ZO_KNOBS_MAX) {
		zo_fail(ctx, -E2BIG, "at most %d knobs at once", ZO_KNOBS_MAX);
		return usage(ctx, -E2BIG);
	}
	if (zo_knob_normalize(k, value, &s->v[s->n].value, &why) < 0) {
		zo_fail(ctx, -EINVAL, "%s", why ? why : "out of memory");
		return usage(ctx, -EINVAL);
	}
	s->v[s->n].knob = k;
	s->n++;
	return 0;
}

int zo_knobs_add_profile(struct zo_ctx *ctx, struct zo_knob_sets *s)
{
	static const struct {
		const char *section, *key, *knob;
	} profile[] = {
		{ "zswap", "zpool", "zswap_zpool" },
		{ "zswap", "max_pool_percent", "zswap_max_pool_percent" },
		{ "zswap", "enabled", "zswap_enabled" },
		{ "zerosim", "drift_threshold", "zerosim_drift_threshold" },
		{ "zerosim", "delay", "zerosim_delay" },
		{ "zerosim", "multicore_sync", "zerosim_multicore_sync" },
		{ "zerosim", "lapic_adjust", "zerosim_lapic_adjust" },
	};
	bool require = true, zerosim = zo_host_zerosim(ctx->root, NULL) > 0;
	size_t i;
	int r;

	zo_config_get_bool(ctx->config, "host", "require_0sim", &require);
	for (i = 0; i < ZO_ARRAY_SIZE(profile); i++) {
		const char *v = zo_config_get(ctx->config, profile[i].section, profile[i].key);

		if (!v || !*v)
			continue;
		if (!strcmp(profile[i].section, "zerosim") && !zerosim) {
			if (require)
				return zo_refuse(ctx, -EPERM, "[zerosim] %s is set but this is not a "
							      "0sim kernel; boot the 0sim kernel or "
							      "set [host] require_0sim = no; nothing "
							      "was changed",
						 profile[i].key);
			zo_warn(&ctx->log, "[zerosim] %s skipped: not a 0sim kernel", profile[i].key);
			continue;
		}
		r = zo_knobs_add(ctx, s, profile[i].knob, v);
		if (r < 0)
			return r;
	}
	/* KSM merges the target's identical pages behind the simulation's back */
	if (zo_sysfs_exists(ctx->root, "/sys/kernel/mm/ksm/run") > 0)
		return zo_knobs_add(ctx, s, "ksm", "0");
	return 0;
}

/* Every knob is there, or nothing is written. */
static int check_exist(struct zo_ctx *ctx, const struct zo_knob_sets *s)
{
	bool zerosim = zo_host_zerosim(ctx->root, NULL) > 0;
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct zo_knob *k = s->v[i].knob;
		_cleanup_free_ char *cur = NULL;

		/* present (readable) on this kernel; a per-CPU knob on some CPU */
		if (zo_host_knob(ctx->root, k, &cur) != -ENOENT)
			continue;
		if (k->zerosim && !zerosim)
			return zo_refuse(ctx, -EPERM, "%s: not a 0sim kernel (no %s); nothing was "
						      "changed",
					 k->name, k->path);
		return zo_fail(ctx, -ENOENT, "%s: %s does not exist on this kernel%s; nothing was "
					     "changed",
			       k->name, k->path,
			       !strncmp(k->path, "/sys/module/kvm_intel", 21) ? " (kvm_intel not "
										"loaded)"
									      : "");
	}
	return 0;
}

int zo_knobs_write(struct zo_ctx *ctx, const struct zo_knob_sets *s)
{
	size_t i;
	int r;

	r = check_exist(ctx, s);
	if (r < 0)
		return r;
	for (i = 0; i < s->n; i++) {
		const struct zo_knob *k = s->v[i].knob;
		_cleanup_free_ char *cur = NULL;

		zo_host_knob(ctx->root, k, &cur);
		if (cur && !strcmp(cur, s->v[i].value)) {
			zo_say(ctx, "%s = %s (unchanged)", k->name, cur);
			continue;
		}
		if (ctx->dry_run) {
			zo_plan(ctx, "would write %s to %s", s->v[i].value, k->path);
			continue;
		}
		r = zo_host_knob_write(ctx->root, k, s->v[i].value);
		if (r < 0)
			return zo_fail(ctx, r, "%s=%s: the kernel refused it: %s%s", k->name,
				       s->v[i].value, strerror(-r),
				       i ? " (the knobs before it were set)" : "");
		zo_say(ctx, "%s = %s (was %s)", k->name, s->v[i].value, cur ? cur : "?");
	}
	return 0;
}
