/* Preflight: this host's facts (sys/hostinfo, the thin pool, whether the
 * libvirt URI answers) judged by the rules of core/preflight, before
 * anything boots. */
#ifndef ZO_OPS_PREFLIGHT_H
#define ZO_OPS_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/preflight.h"
#include "sys/hostinfo.h"
#include "util/ctx.h"

struct zo_preflight_report {
	struct zo_check *checks; /* every check, in core's order */
	size_t n;
	char *failures; /* "NAME: MEASURED (FIX); ..."; "" when none failed */
	/* libvirt did not answer: a host that is not ready now, not one
	 * that cannot run the target (exit 75, not 3) */
	bool libvirt_silent;
};

/* Gather and judge for a target of `vm_gb` GB with `cores` vCPUs. Returns
 * 0 with the report whatever the checks say; -errno (ctx->error set) only
 * when they could not be made. */
int zo_preflight_check(struct zo_ctx *ctx, uint64_t vm_gb, unsigned cores,
		       struct zo_preflight_report *ret);
void zo_preflight_report_release(struct zo_preflight_report *r);
static inline bool zo_preflight_failed(const struct zo_preflight_report *r)
{
	return r->failures && r->failures[0];
}

/* The thin volume's swap as the kernel enabled it: 1 with its nominal
 * size ([thin] virtual_size) and the bytes of swap /proc/swaps shows on it
 * (0: none) when a thin pool is configured ([thin] data); 0 when none is;
 * -errno when /proc/swaps could not be read. */
int zo_thin_swap_enabled(struct zo_ctx *ctx, const struct zo_hostinfo *h, uint64_t *ret_nominal,
			 uint64_t *ret_enabled);

/* The report as a table (JSON under --json) through zo_say(). */
int zo_preflight_show(struct zo_ctx *ctx, const struct zo_preflight_report *r);

/* The first phase of a run: the same checks, the table shown through
 * zo_say() when `show_table` (JSON under --json). Returns 0, or -EPERM
 * refused with ctx->error "preflight: <the failures>". */
int zo_preflight_for_run(struct zo_ctx *ctx, uint64_t vm_gb, unsigned cores,
			 bool show_table);

/* The same in two halves, so that libvirt's answer (on a daemon that has
 * just started: its first probe of the target's emulator, seconds) is
 * awaited while the run conditions the host. _begin gathers the host's
 * facts and refuses (as above, ctx->error set) when a check libvirt's
 * answer does not decide fails; else it starts asking libvirt and returns
 * 0 with a pending preflight. _end waits for the answer, shows the table
 * (when `show_table`) and judges as zo_preflight_for_run; it and _abandon
 * (which stops asking) each free the pending preflight; _abandon(NULL)
 * does nothing. */
struct zo_preflight_pending;
int zo_preflight_begin(struct zo_ctx *ctx, uint64_t vm_gb, unsigned cores, bool show_table,
		       struct zo_preflight_pending **ret);
int zo_preflight_end(struct zo_ctx *ctx, struct zo_preflight_pending *p);
void zo_preflight_abandon(struct zo_preflight_pending *p);

#endif
