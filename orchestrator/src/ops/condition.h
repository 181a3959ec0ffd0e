/* Host conditioning for a run: what the old runner did to the host before
 * every experiment (runner/src/common/exp_0sim.rs: the CPU governor,
 * printk, KSM, THP with zswap, ssdswap marking, swap with discard, zswap,
 * and the 0sim knobs around the target's boot), applied as one step, each
 * value read before and after, and put back when the run ends (also after
 * a failure or SIGTERM). The runner rebooted the host before every
 * experiment; a run here starts from a known state instead (caches
 * dropped, memory compacted, swap cycled so zswap's pool is empty).
 *
 * A file this kernel does not have is recorded as "absent" and warned
 * about, never skipped in silence. A value the kernel rejects fails
 * (-errno, ctx->error set; only a warning when `lenient`); what was
 * already changed stays recorded, so zo_condition_restore() puts it back. Everything goes through the root
 * prefix; under a root nothing is swapped off or on. */
#ifndef ZO_OPS_CONDITION_H
#define ZO_OPS_CONDITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "core/knobs.h"
#include "util/ctx.h"

/* What the run asks for (the old runner's exp00000 settings). */
struct zo_condition_spec {
	bool zswap;                   /* on: zpool, max_pool_percent, THP never, ssdswap */
	const char *zpool;            /* [zswap] zpool */
	const char *max_pool_percent; /* [zswap] max_pool_percent */
	bool multicore;               /* multicore offsetting */
	const char *drift_threshold;  /* NULL: left as it is */
	const char *delay;            /* NULL: left as it is */
	bool skip_halt;               /* ZEROSIM_SKIP_HALT (false); "on" writes 3 */
	bool lapic_adjust;            /* ZEROSIM_LAPIC_ADJUST (true) */
};

/* One file conditioning touched, or meant to. */
struct zo_condition_item {
	char *what;    /* "thp", "governor cpu3", "ssdswap sdb" */
	char *path;    /* without the root */
	char *before;  /* comparable value before; NULL: absent */
	char *restore; /* what puts it back */
	char *set[4];  /* what it held after each write, in order */
	size_t n_set;
	char *after;   /* read back after the restore; NULL: absent */
	char *note;    /* how it was set, when not by writing to `path` */
	int error;     /* the write the kernel refused, or 0 */
	bool service;  /* a systemd unit (`path`), stopped and started again */
	bool changed;  /* differs from `before` at some point: restored */
};

/* One step towards the known state (no restore: nothing to put back). */
struct zo_condition_step {
	const char *step;
	char *result;
	uint64_t ms;
};

struct zo_condition {
	struct zo_ctx *ctx;
	/* a stock kernel stands in for 0sim ([host] require_0sim = no): a
	 * value it rejects is recorded and warned about, not a failure */
	bool lenient;
	struct zo_condition_item *items;
	size_t n, cap;
	struct zo_condition_step steps[8];
	size_t n_steps;
	/* the journal ([paths] state/conditioning.journal, root applied):
	 * what puts each file back, on disk before the file changes; NULL
	 * without a config */
	char *journal;
	bool journal_dirty; /* an item it does not hold yet */
};

void zo_condition_init(struct zo_condition *c, struct zo_ctx *ctx);
void zo_condition_release(struct zo_condition *c);

/* Before the target boots: governor performance on every CPU, printk 4,
 * KSM off, THP never (with zswap), ssdswap marking of the swap devices
 * (with zswap, when /sys/module/ssdswap exists), swap cycled with discard,
 * caches dropped and memory compacted, zswap (zpool, max_pool_percent,
 * enabled; or disabled), the drift threshold and delay when given,
 * skip_halt 0, lapic_adjust 1, TSC offsetting off. ksmtuned.service (which
 * turns KSM back on) stopped when systemd runs it, started on restore. */
int zo_condition_host(struct zo_condition *c, const struct zo_condition_spec *s);
/* Once the target runs: TSC offsetting on, skip_halt as asked,
 * multicore_sync 0 or 1, and with multicore offsetting sync_guest_tsc 1. */
int zo_condition_booted(struct zo_condition *c, const struct zo_condition_spec *s);

/* Write `value` to knob `k` (every CPU's file for a per-CPU knob),
 * recorded as above. -ENOENT when the kernel has no such knob (recorded
 * as absent, warned about). */
int zo_condition_knob(struct zo_condition *c, const struct zo_knob *k, const char *value);
/* The same for a file that is not in the knob table. */
int zo_condition_file(struct zo_condition *c, const char *what, const char *path,
		      const char *value);

/* Put back everything changed, the last change first, and read each file
 * back. Failures are warnings (the run is over); returns how many files
 * could not be put back. Once only: a second call does nothing. */
int zo_condition_restore(struct zo_condition *c);

/* A run killed before it put the host back (SIGKILL, a crash, a power
 * cut) left its journal: put back what it lists, the last change first,
 * and remove it. Call only while holding the host lock: the run that
 * wrote the journal held it, so a journal found then is its dead writer's.
 * Says what it restored (a warning each file). Returns how many files it
 * put back (0: no journal), or -errno (ctx->error set: the journal
 * unreadable, or a file that could not be put back; the journal stays). */
int zo_condition_recover(struct zo_ctx *ctx);

/* For .params: {"items": [{knob, path, before, set, after, ...}], "known_state": [...]} */
json_object *zo_condition_json(const struct zo_condition *c);

#endif
