/* EPT: the KVM module ([kvm] module, kvm_intel) reloaded with its EPT
 * parameter ([kvm] param, ept) on or off through libkmod, checked, rolled
 * back when the new value does not take, and kept across reboots in
 * modprobe.d and the config. A CPU with 39 physical address bits maps at
 * most 512 GB with EPT, and QEMU then hangs at boot with no message; large
 * targets need it off. */
#ifndef ZO_OPS_KVM_H
#define ZO_OPS_KVM_H

#include <stdbool.h>

#include "sys/hostinfo.h"
#include "util/ctx.h"

#define ZO_EPT_MODPROBE_FILE "/etc/modprobe.d/zsim-kvm.conf"

struct zo_ept_status {
	const char *module, *param; /* [kvm] module and param */
	struct zo_host_module mod;  /* its state and the parameter's value */
	bool loaded;          /* zo_host_module_active(): loaded or built in */
	char *persisted;      /* ZO_EPT_MODPROBE_FILE's text; NULL: no file */
	const char *options;  /* in `persisted`: from its "options " on, or NULL */
	const char *recorded; /* [kvm] ept */
};

int zo_ept_status(struct zo_ctx *ctx, struct zo_ept_status *ret);
void zo_ept_status_release(struct zo_ept_status *s);

/* Reload the module with EPT on or off, unless it has that value already;
 * then persist. Refused (-EBUSY) while a libvirt VM runs or the module is
 * in use. Under --dry-run, plan lines only. The outcome is said through
 * zo_say(); -errno with ctx->error otherwise, saying whether the old value
 * was restored. */
int zo_ept_set(struct zo_ctx *ctx, bool on);

#endif
