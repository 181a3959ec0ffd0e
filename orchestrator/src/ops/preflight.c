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
#include "util/macros.h"
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
	return 0;
}

/* The version of the one QEMU the target uses, asked in a child process:
 * asking for the hypervisor's makes a daemon's first call probe every
 * emulator. */
static int probe_start(struct zo_ctx *ctx, struct zo_virt_probe_job *job)
{
	return zo_virt_probe_emulator_start(zo_config_get(ctx->config, "target", "uri"),
					    LIBVIRT_TIMEOUT_MS, "x86_64",
					    strcmp(zo_target_accel(ctx), "kvm") ? "qemu" : "kvm",
					    job, &ctx->log);
}

static void probe_finish(struct zo_virt_probe_job *job, struct gathered *g)
{
	struct zo_preflight_facts *f = &g->f;

	if (zo_virt_probe_finish(job, &g->probe) == 0) {
		f->libvirt_answered = g->probe.answered;
		f->libvirt_error = g->probe.error;
		f->hypervisor = g->probe.hypervisor;
		f->hypervisor_version = g->probe.hypervisor_version;
	}
}

/* The checks made on what `g` holds: 0 with the report, or -errno. */
static int judge(struct zo_ctx *ctx, struct gathered *g, struct zo_preflight_report *ret)
{
	struct zo_preflight_report rep = { NULL, 0, NULL, false };
	int r;

	r = zo_preflight(&g->f, &rep.checks, &rep.n);
	rep.libvirt_silent = !g->f.libvirt_answered;
	if (r == 0) {
		rep.failures = zo_checks_failures(rep.checks, rep.n);
		if (!rep.failures)
			r = -ENOMEM;
	}
	if (r < 0) {
		zo_preflight_report_release(&rep);
		return zo_fail(ctx, r, "the preflight checks could not run: %s", strerror(-r));
	}
	*ret = rep;
	return 0;
}

int zo_preflight_check(struct zo_ctx *ctx, uint64_t vm_gb, unsigned cores,
		       struct zo_preflight_report *ret)
{
	struct zo_virt_probe_job job;
	struct gathered g;
	int r;

	r = gather(ctx, vm_gb, cores, &g);
	if (r < 0)
		return r;
	if (probe_start(ctx, &job) == 0)
		probe_finish(&job, &g);
	r = judge(ctx, &g, ret);
	zo_hostinfo_release(&g.host);
	zo_virt_probe_release(&g.probe);
	return r;
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

/* The report shown (when `show_table`) and judged: 0, refused (-EPERM),
 * or transient (libvirt silent and nothing else wrong). */
static int verdict(struct zo_ctx *ctx, struct zo_preflight_report *rep, bool show_table)
{
	if (show_table && zo_preflight_show(ctx, rep) < 0)
		return zo_fail(ctx, -ENOMEM, "the preflight checks could not run: %s",
			       strerror(ENOMEM));
	if (zo_preflight_failed(rep) && rep->libvirt_silent && only_qemu_failed(rep))
		return zo_fail_transient(ctx, -EAGAIN, "preflight: %s", rep->failures);
	if (zo_preflight_failed(rep))
		return zo_refuse(ctx, -EPERM, "preflight: %s", rep->failures);
	return 0;
}

int zo_preflight_for_run(struct zo_ctx *ctx, uint64_t vm_gb, unsigned cores,
			 bool show_table)
{
	struct zo_preflight_report rep;
	int r;

	r = zo_preflight_check(ctx, vm_gb, cores, &rep);
	if (r < 0)
		return r;
	r = verdict(ctx, &rep, show_table);
	zo_preflight_report_release(&rep);
	return r;
}

struct zo_preflight_pending {
	struct gathered g;
	struct zo_virt_probe_job job;
	bool show_table;
};

/* The checks libvirt's answer does not decide, judged now: a host that
 * fails them is refused before anything changes, libvirt not asked. */
static int judge_host(struct zo_ctx *ctx, struct gathered *g, bool show_table)
{
	struct zo_preflight_report rep;
	size_t i;
	int r;

	g->f.libvirt_answered = false;
	r = judge(ctx, g, &rep);
	if (r < 0 || only_qemu_failed(&rep)) {
		zo_preflight_report_release(&rep);
		return r;
	}
	for (i = 0; i < rep.n; i++) {
		if (strcmp(rep.checks[i].name, "QEMU"))
			continue;
		rep.checks[i].level = ZO_CHECK_WARN;
		free(rep.checks[i].measured);
		free(rep.checks[i].fix);
		rep.checks[i].measured = strdup("libvirt not asked: the host failed other checks");
		rep.checks[i].fix = strdup("fix those first");
	}
	free(rep.failures);
	rep.failures = zo_checks_failures(rep.checks, rep.n);
	rep.libvirt_silent = false;
	r = rep.failures ? verdict(ctx, &rep, show_table) : zo_fail(ctx, -ENOMEM, "out of memory");
	zo_preflight_report_release(&rep);
	return r;
}

/* Whether the daemon answered its first question (a round trip); false
 * too when that could not be asked. */
static bool daemon_answers(struct zo_virt_probe_job *job)
{
	struct zo_virt_probe early;
	bool answered;

	if (zo_virt_probe_answered(job, &early) < 0)
		return false;
	answered = early.answered;
	zo_virt_probe_release(&early);
	return answered;
}

int zo_preflight_begin(struct zo_ctx *ctx, uint64_t vm_gb, unsigned cores, bool show_table,
		       struct zo_preflight_pending **ret)
{
	struct zo_preflight_pending *p = calloc(1, sizeof(*p));
	int r;

	*ret = NULL;
	if (!p)
		return zo_fail(ctx, -ENOMEM, "out of memory");
	p->show_table = show_table;
	p->job.pid = -1;
	r = gather(ctx, vm_gb, cores, &p->g);
	if (r == 0)
		r = judge_host(ctx, &p->g, show_table);
	if (r == 0 && (probe_start(ctx, &p->job) < 0 || !daemon_answers(&p->job)))
		/* nothing is changed on a host whose libvirt is silent: the
		 * verdict now (no answer: exit 75) */
		r = zo_preflight_end(ctx, TAKE_PTR(p));
	if (r < 0) {
		zo_preflight_abandon(p);
		return r;
	}
	*ret = p;
	return 0;
}

int zo_preflight_end(struct zo_ctx *ctx, struct zo_preflight_pending *p)
{
	struct zo_preflight_report rep;
	int r;

	if (p->job.pid >= 0)
		probe_finish(&p->job, &p->g);
	r = judge(ctx, &p->g, &rep);
	if (r == 0) {
		r = verdict(ctx, &rep, p->show_table);
		zo_preflight_report_release(&rep);
	}
	zo_preflight_abandon(p);
	return r;
}

void zo_preflight_abandon(struct zo_preflight_pending *p)
{
	if (!p)
		return;
	zo_virt_probe_cancel(&p->job);
	zo_hostinfo_release(&p->g.host);
	zo_virt_probe_release(&p->g.probe);
	free(p);
}
