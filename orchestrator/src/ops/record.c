#include "ops/record.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "core/config.h"
#include "util/ini.h"
#include "util/str.h"

#include "util/banned.h"

static bool list_has(char **list, const char *id)
{
	size_t i;

	for (i = 0; list[i]; i++)
		if (!strcmp(list[i], id))
			return true;
	return false;
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
		zo_fail(ctx, r, "%s: [%s] %s: %s", ctx->config_path, section, key,
			diags.n ? diags.v[0].message : "invalid value");
		zo_diags_release(&diags);
		return r;
	}
	if (current && !strcmp(current, value) &&
	    zo_config_value(ctx->config, section, key)->source == ZO_SOURCE_FILE)
		return 0; /* already recorded: setup stays idempotent */
	if (ctx->dry_run) {
		zo_plan(ctx, "would record in %s: [%s] %s = %s", ctx->config_path, section,
			key, value);
		return 0;
	}
	r = zo_ini_set(ctx->config_path, section, key, value);
	if (r < 0)
		return zo_fail(ctx, r, "cannot record [%s] %s in %s: %s", section, key,
			       ctx->config_path, strerror(-r));
	zo_info(&ctx->log, "recorded in %s: [%s] %s = %s", ctx->config_path,
		section, key, value);
	return zo_config_override(ctx->config, section, key, value,
				  ZO_SOURCE_FILE, &diags);
}

/* [host] swap with stable_id added (or removed), the others in order. */
static int swap_list_edit(struct zo_ctx *ctx, const char *stable_id, bool add)
{
	char **list = NULL;
	struct zo_strbuf sb = { 0 };
	size_t i;
	int r;

	r = zo_config_get_list(ctx->config, "host", "swap", &list);
	if (r < 0)
		return zo_fail(ctx, r, "cannot read [host] swap from %s: %s", ctx->config_path,
			       strerror(-r));
	if (list_has(list, stable_id) == add) {
		zo_strv_free(list); /* already as wanted: setup stays idempotent */
		return 0;
	}
	for (i = 0; list[i] && r >= 0; i++)
		if (strcmp(list[i], stable_id))
			r = zo_strbuf_appendf(&sb, "%s%s", sb.len ? ", " : "", list[i]);
	if (add && r >= 0)
		r = zo_strbuf_appendf(&sb, "%s%s", sb.len ? ", " : "", stable_id);
	zo_strv_free(list);
	/* a list cut short by a failed allocation must not be recorded */
	if (r >= 0)
		r = zo_config_record(ctx, "host", "swap", sb.buf ? sb.buf : "");
	else
		r = zo_fail(ctx, r, "out of memory");
	zo_strbuf_release(&sb);
	return r;
}

int zo_swap_record(struct zo_ctx *ctx, const char *stable_id)
{
	return swap_list_edit(ctx, stable_id, true);
}

int zo_swap_unrecord(struct zo_ctx *ctx, const char *stable_id)
{
	return swap_list_edit(ctx, stable_id, false);
}
