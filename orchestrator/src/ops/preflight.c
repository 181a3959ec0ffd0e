#include "ops/preflight.h"
#include "ops/storage.h"
#include "ops/target.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/procfs.h"
#include "core/thin.h"
#include "sys/hostinfo.h"
#include "sys/virt.h"
#include "util/json.h"
#include "util/str.h"

#include "util/banned.h"

/* long enough for a libvirtd that has just started and probes QEMU on the
 * first connection; short enough to report a hung one */
#define LIBVIRT_TIMEOUT_MS 15000

struct gathered {
	struct zo_preflight_facts f;
	struct zo_hostinfo host;
	struct zo_virt_probe probe;
	/* what could not be read, for the facts' `*_unknown` */
	char zerosim_why[128], bits_why[128], mem_why[128], swap_why[128], cpus_why[128];
};

/* "FILE: WHY" into `buf` when `err` is set (`missing` for -ENODATA); NULL
 * when the fact is known. */
static const char *why(char *buf, size_t len, const char *file, int err, const char *missing)
{
	if (!err)
		return NULL;
	snprintf(buf, len, "%s: %s", file, err == -ENODATA ? missing : zo_host_strerror(err));
	return buf;
}

int zo_thin_swap_enabled(struct zo_ctx *ctx, const struct zo_hostinfo *h, uint64_t *ret_nominal,
			 uint64_t *ret_enabled)
{
	const char *data = zo_config_get(ctx->config, "thin", "data");
	const struct zo_swap_entry *e;

	if (!data || !*data || zo_config_get_size(ctx->config, "thin", "virtual_size",
						  ret_nominal) < 0)
		return 0;
	if (h->swaps_err)
		return h->swaps_err;
	e = zo_swap_find_dm(h->swaps, h->n_swaps, ZO_THIN_VOLUME_NAME);
	*ret_enabled = e ? e->size : 0;
	return 1;
}

static void gather_thin(struct zo_ctx *ctx, struct gathered *g)
{
	struct zo_preflight_facts *f = &g->f;
	struct zo_thin_pool_status st;
	uint64_t block = 0, low = 0;

	if (zo_thin_swap_enabled(ctx, &g->host, &f->thin_virtual, &f->thin_swap) == 0)
		return;
	/* the pool is read from the running kernel, not the root prefix */
	if (!*ctx->root && zo_thin_pool_read(ctx, &st, &block, &low) < 0) {
		/* no pool running is a fact for the rules, not a failure */
		zo_clear_error(ctx);
	} else if (!*ctx->root) {
		f->thin_active = true;
		f->thin_data_used = st.data_used;
		f->thin_data_total = st.data_total;
		f->thin_low_water = low;
	}
}

static int gather(struct zo_ctx *ctx, uint64_t vm_gb, unsigned cores, struct gathered *g)
{
	struct zo_preflight_facts *f = &g->f;
	bool require = true;
	int r;

	memset(g, 0, sizeof(*g));
	f->kvm_module = zo_config_get(ctx->config, "kvm", "module");
	f->kvm_param = zo_config_get(ctx->config, "kvm", "param");
	r = zo_hostinfo_read(ctx->root, f->kvm_module, f->kvm_param, &g->host);
	if (r < 0)
		return zo_fail(ctx, r, "the preflight checks could not run: %s", strerror(-r));
	f->vm_gb = vm_gb;
	f->cores = cores;
	f->is_root = zo_host_is_superuser();
	f->zerosim_kernel = g->host.zerosim > 0;
	f->zerosim_unknown = why(g->zerosim_why, sizeof(g->zerosim_why), "/proc",
				 g->host.zerosim < 0 ? g->host.zerosim : 0, "cannot be listed");
	zo_config_get_bool(ctx->config, "host", "require_0sim", &require);
	f->require_0sim = require;
	f->ept = g->host.kvm.on;
	f->ept_value = g->host.kvm.value;
	f->kvm_loaded = zo_host_module_active(&g->host.kvm);
	f->phys_bits = g->host.bits_err ? 0 : g->host.phys_bits;
	f->phys_bits_unknown = why(g->bits_why, sizeof(g->bits_why), "/proc/cpuinfo",
				   g->host.bits_err, "no 'address sizes' line");
	f->host_cpus = g->host.cpus;
	f->host_cpus_unknown = why(g->cpus_why, sizeof(g->cpus_why), "/proc/cpuinfo",
				   g->host.cpus_err, "no 'processor' line");
	f->mem_total = g->host.mem_err ? 0 : g->host.mem.mem_total;
	f->mem_unknown = why(g->mem_why, sizeof(g->mem_why), "/proc/meminfo", g->host.mem_err,
			     "no MemTotal, SwapTotal or SwapFree");
	f->swap_total = g->host.swap_active;
	f->swap_unknown = why(g->swap_why, sizeof(g->swap_why), "/proc/swaps",
			      g->host.swaps_err, "empty");
	gather_thin(ctx, g);
	f->libvirt_uri = zo_config_get(ctx->config, "target", "uri");
	/* the version of the one QEMU the target uses: asking for the
	 * hypervisor's makes a daemon's first call probe every emulator */
	if (zo_virt_probe_emulator(f->libvirt_uri, LIBVIRT_TIMEOUT_MS, "x86_64",
				   strcmp(zo_target_accel(ctx), "kvm") ? "qemu" : "kvm", &g->probe,
				   &ctx->log) == 0) {
		f->libvirt_answered = g->probe.answered;
		f->libvirt_error = g->probe.error;
		f->hypervisor = g->probe.hypervisor;
		f->hypervisor_version = g->probe.hypervisor_version;
	}
	return 0;
}

int zo_preflight_check(struct zo_ctx *ctx, uint64_t vm_gb, unsigned cores,
		       struct zo_preflight_report *ret)
{
	struct zo_preflight_report rep = { NULL, 0, NULL, false };
	struct gathered g;
	int r;

	r = gather(ctx, vm_gb, cores, &g);
	if (r < 0)
		return r;
	r = zo_preflight(&g.f, &rep.checks, &rep.n);
	rep.libvirt_silent = !g.f.libvirt_answered;
	if (r == 0) {
		rep.failures = zo_checks_failures(rep.checks, rep.n);
		if (!rep.failures)
			r = -ENOMEM;
	}
	zo_hostinfo_release(&g.host);
	zo_virt_probe_release(&g.probe);
	if (r < 0) {
		zo_preflight_report_release(&rep);
		return zo_fail(ctx, r, "the preflight checks could not run: %s", strerror(-r));
	}
	*ret = rep;
	return 0;
}

void zo_preflight_report_release(struct zo_preflight_report *r)
{
	zo_checks_free(r->checks, r->n);
	free(r->failures);
	memset(r, 0, sizeof(*r));
}

int zo_preflight_show(struct zo_ctx *ctx, const struct zo_preflight_report *rep)
{
	_cleanup_free_ char *table = NULL;
	const char *p, *nl;

	if (ctx->json) {
		json_object *arr = zo_checks_json(rep->checks, rep->n);

		if (!arr)
			return -ENOMEM;
		zo_say(ctx, "%s", zo_json_text(arr));
		json_object_put(arr);
		return 0;
	}
	table = zo_checks_table(rep->checks, rep->n);
	if (!table)
		return -ENOMEM;
	for (p = table; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		zo_say(ctx, "%.*s", (int)(nl - p), p);
	return 0;
}

/* Whether libvirt not answering is the only thing that failed: then the
 * host may run the target once libvirtd is back (or another host now). */
static bool only_qemu_failed(const struct zo_preflight_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->checks[i].level == ZO_CHECK_FAIL && strcmp(r->checks[i].name, "QEMU"))
			return false;
	return true;
}

int zo_preflight_for_run(struct zo_ctx *ctx, uint64_t vm_gb, unsigned cores,
			 bool show_table)
{
	struct zo_preflight_report rep;
	int r;

	r = zo_preflight_check(ctx, vm_gb, cores, &rep);
	if (r < 0)
		return r;
	if (show_table && zo_preflight_show(ctx, &rep) < 0)
		r = zo_fail(ctx, -ENOMEM, "the preflight checks could not run: %s",
			    strerror(ENOMEM));
	else if (zo_preflight_failed(&rep) && rep.libvirt_silent && only_qemu_failed(&rep))
		r = zo_fail_transient(ctx, -EAGAIN, "preflight: %s", rep.failures);
	else if (zo_preflight_failed(&rep))
		r = zo_refuse(ctx, -EPERM, "preflight: %s", rep.failures);
	zo_preflight_report_release(&rep);
	return r;
}
