/* The phases the experiments that boot a target share (exp/texp.h), as
 * the old runner prepared the host and the VM for each of them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/experiment.h"
#include "exp/texp.h"
#include "ops/preflight.h"
#include "ops/storage.h"
#include "sys/hostinfo.h"
#include "sys/virt.h"
#include "util/str.h"

#include "util/banned.h"

#define GUEST_DMESG "/results/.zsim-dmesg"

const char *const zo_texp_phases[] = {
	"preflight", "storage",	 "condition host", "target start", "setup",
	"warmup",    "workload", "collect",	   "target stop",  "restore host",
	NULL,
};

const char *const zo_texp_phases_no_warmup[] = {
	"preflight", "storage", "condition host", "target start", "setup",
	"workload",  "collect", "target stop",	  "restore host", NULL,
};

int zo_texp_one_workload(bool given, const char *choices, char **ret_error)
{
	if (given)
		return 0;
	*ret_error = zo_asprintf("give one workload: %s", choices);
	return -EINVAL;
}

const char *zo_texp_name(const char *choice, const struct zo_texp_name *names)
{
	size_t i;

	if (!choice)
		return NULL;
	for (i = 0; names[i].choice; i++)
		if (!strcmp(names[i].choice, choice))
			return names[i].name;
	return choice;
}

int zo_texp_failed(struct zo_texp *x, int r)
{
	return zo_run_fail(x->run, r, "%s", x->run->ctx->error);
}

int zo_texp_phase(struct zo_texp *x, const char *name, int (*fn)(struct zo_texp *x))
{
	int r;

	zo_run_phase_begin(x->run, name);
	r = fn(x);
	if (r == 0)
		zo_run_phase_end(x->run);
	return r;
}

int zo_texp_preflight(struct zo_texp *x)
{
	struct zo_ctx *ctx = x->run->ctx;
	bool require = true;
	int n, r;

	zo_config_get_bool(ctx->config, "host", "require_0sim", &require);
	x->run->cond.lenient = !require;
	n = zo_host_zerosim(ctx->root, NULL);
	zo_run_add_fact(x->run, "zerosim_kernel", n > 0 ? "yes" : "no");
	/* libvirt's answer is awaited in "target start": a daemon's first
	 * probe of the emulator runs while the host is conditioned */
	r = zo_preflight_begin(ctx, zo_exp_get_uint(x->run->args, "vm_size"),
			       (unsigned)zo_exp_get_uint(x->run->args, "cores"), true,
			       &x->preflight_pending);
	if (r == 0)
		r = zo_target_check_base(ctx);
	if (r < 0)
		return zo_texp_failed(x, r);
	if (n <= 0)
		zo_warn(&ctx->log, "not a 0sim kernel: a stock kernel stands in (require_0sim = "
				   "no); these results are not a 0sim simulation");
	return 0;
}

int zo_texp_storage_for(struct zo_run *run, const char *what)
{
	struct zo_ctx *ctx = run->ctx;
	const char *data = zo_config_get(ctx->config, "thin", "data");
	const char *swap = zo_config_get(ctx->config, "host", "swap");
	int r = 0;

	if (data && *data)
		r = zo_thin_activate(ctx);
	if (r == 0 && swap && *swap)
		r = zo_swap_on_recorded(ctx);
	if (r < 0)
		return zo_run_fail(run, r, "%s", ctx->error);
	if ((!data || !*data) && (!swap || !*swap))
		zo_warn(&ctx->log, "no swap or thin pool in %s: %s larger than RAM will not fit "
				   "(zsim-orch setup)", ctx->config_path, what);
	return 0;
}

int zo_texp_storage(struct zo_texp *x)
{
	return zo_texp_storage_for(x->run, "a target");
}

/* The old runner's host setup, made reversible: the harness puts it back. */
int zo_texp_condition(struct zo_texp *x)
{
	const struct zo_exp_args *a = x->run->args;
	struct zo_ctx *ctx = x->run->ctx;
	struct zo_condition_spec *s = &x->spec;
	const char *pct = zo_config_get(ctx->config, "zswap", "max_pool_percent");

	s->zswap = !zo_exp_flag(a, "disable_zswap");
	s->zpool = zo_config_get(ctx->config, "zswap", "zpool");
	s->max_pool_percent = pct;
	s->multicore = zo_exp_flag(a, "multicore_offsetting");
	s->drift_threshold = zo_exp_get(a, "drift_thresh");
	s->delay = zo_exp_get(a, "delay");
	s->skip_halt = false;   /* ZEROSIM_SKIP_HALT */
	s->lapic_adjust = true; /* ZEROSIM_LAPIC_ADJUST */
	/* the runner's value is always 50; say so when the config differs */
	if (pct && strcmp(pct, "50"))
		zo_run_add_fact(x->run, "zswap_max_pool_percent", pct);
	return zo_run_condition_host(x->run, s);
}

/* The target's kernel (`uname -r` through the agent) into .params;
 * a target that cannot say is recorded as unknown, not a failed run. */
static void guest_kernel(struct zo_texp *x)
{
	char *const argv[] = { (char *)"uname", (char *)"-r", NULL };
	struct zo_guest_exec e = { 0 };
	_cleanup_free_ char *rel = NULL;

	if (zo_target_exec(&x->target, argv, zo_run_stop_flag(), &e) == 0 && e.exit_code == 0 &&
	    e.out)
		rel = strndup(e.out, strcspn(e.out, "\n"));
	else
		zo_clear_error(x->run->ctx);
	zo_run_add_fact(x->run, "guest_kernel", rel && *rel ? rel : "unknown");
	zo_guest_exec_release(&e);
}

/* The rest of the preflight: libvirt's answer, asked in "preflight". */
static int preflight_end(struct zo_texp *x)
{
	struct zo_preflight_pending *p = x->preflight_pending;
	int r;

	if (!p)
		return 0;
	x->preflight_pending = NULL;
	r = zo_preflight_end(x->run->ctx, p);
	return r < 0 ? zo_texp_failed(x, r) : 0;
}

int zo_texp_target_start(struct zo_texp *x)
{
	const struct zo_exp_args *a = x->run->args;
	int r;

	r = preflight_end(x);
	if (r < 0)
		return r;
	r = zo_target_open(x->run->ctx, &x->target);
	x->target_open = true;
	if (r < 0)
		return zo_texp_failed(x, r);
	x->target.progress = x->run->ctx->progress;
	x->target.progress_userdata = x->run->ctx->progress_userdata;
	x->started = true;
	r = zo_target_start(&x->target, zo_exp_get(a, "vm_size"),
			    (long long)zo_exp_get_uint(a, "cores"), zo_run_stop_flag());
	if (zo_run_stop_signal())
		return zo_run_fail(x->run, -EINTR, "stopped by signal %d while booting",
				   zo_run_stop_signal());
	if (r < 0)
		return zo_texp_failed(x, r);
	if (x->target.boot_ms) {
		_cleanup_free_ char *ms = zo_asprintf("%llu", (unsigned long long)x->target.boot_ms);

		zo_run_add_fact(x->run, "boot_to_agent_ms", ms);
	}
	guest_kernel(x);
	return zo_run_condition_booted(x->run, &x->spec);
}

int zo_texp_guest(struct zo_texp *x, char *const *argv, struct zo_guest_exec *e)
{
	int r = zo_target_exec(&x->target, argv, zo_run_stop_flag(), e);

	if (r < 0) {
		zo_guest_exec_release(e);
		return zo_texp_failed(x, r);
	}
	return 0;
}

int zo_texp_guest_status(struct zo_texp *x, char *const *argv, char **ret_line)
{
	struct zo_guest_exec e;
	int r = zo_texp_guest(x, argv, &e);

	if (r < 0)
		return r;
	r = e.exit_code < 0 ? 128 + e.signal : e.exit_code;
	if (ret_line)
		*ret_line = r == 0 ? strndup(e.out, strcspn(e.out, "\n")) : NULL;
	zo_guest_exec_release(&e);
	return r;
}

int zo_texp_sh(struct zo_texp *x, const char *what, const char *script)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)script, NULL };
	struct zo_guest_exec e;
	int r = zo_texp_guest(x, argv, &e);

	if (r < 0)
		return r;
	if (e.exit_code != 0)
		r = zo_run_fail(x->run, -EIO, "%s exited %d: %.*s", what, e.exit_code,
				(int)(e.err_len > 300 ? 300 : e.err_len), e.err);
	zo_guest_exec_release(&e);
	return r;
}

int zo_texp_meminfo(struct zo_texp *x, const char *ext, struct zo_meminfo *m)
{
	char *const argv[] = { (char *)"cat", (char *)"/proc/meminfo", NULL };
	struct zo_guest_exec e;
	int r = zo_texp_guest(x, argv, &e);

	if (r < 0)
		return r;
	r = zo_parse_meminfo(e.out, m);
	if (r == 0 && ext)
		r = zo_run_write(x->run, ext, e.out);
	zo_guest_exec_release(&e);
	if (r < 0)
		return zo_run_fail(x->run, r, "cannot read%s the target's /proc/meminfo",
				   ext ? " or keep" : "");
	return 0;
}

int zo_texp_nas_cg(struct zo_texp *x, const char *const *names, char **path)
{
	char *argv[8] = { (char *)"sh", (char *)"-c",
			  (char *)"for p; do command -v \"$p\" && exit 0; done; exit 1",
			  (char *)"sh" };
	struct zo_strbuf sb = { 0 };
	_cleanup_free_ char *which = NULL;
	size_t i;
	int r;

	for (i = 0; names[i] && i < 3; i++) {
		argv[4 + i] = (char *)names[i];
		zo_strbuf_appendf(&sb, "%s%s", i ? " or " : "", names[i]);
	}
	argv[4 + i] = NULL;
	which = zo_strbuf_steal(&sb);
	if (!which)
		return zo_run_fail(x->run, -ENOMEM, "out of memory");
	r = zo_texp_guest_status(x, argv, path);
	if (r < 0)
		return r;
	if (r != 0)
		return zo_run_fail(x->run, -EPERM,
				   "the target has no NAS CG (%s) in its PATH: NPB 3.4 is not "
				   "packaged anywhere; " ZO_TEXP_BUILD_HOW("nas"),
				   which);
	return *path ? 0 : zo_run_fail(x->run, -ENOMEM, "out of memory");
}

int zo_texp_memcached(struct zo_texp *x, unsigned long long mb, bool no_evict)
{
	/* -d detaches before it listens: wait for port 11211 (2BCB) in
	 * state 0A (LISTEN) */
	_cleanup_free_ char *sh = zo_asprintf(
		"echo 1000000000 > /proc/sys/vm/max_map_count && "
		"memcached %s-m %llu -d -u root -f 1.11 && "
		"n=0; while ! cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | "
		"grep -q ':2BCB 0*:0000 0A' && [ $n -lt 300 ]; do sleep 0.1; "
		"n=$((n+1)); done; [ $n -lt 300 ] || "
		"{ echo 'memcached is not listening on 11211 after 30 s' >&2; exit 1; }",
		no_evict ? "-M " : "", mb);

	return sh ? zo_texp_sh(x, "memcached", sh) : zo_run_fail(x->run, -ENOMEM, "out of memory");
}

char *zo_texp_next_core(struct zo_texp *x)
{
	unsigned long long cores = zo_exp_get_uint(x->run->args, "cores");
	char *core = zo_asprintf("%u", x->next_core);

	x->next_core = (x->next_core + 1) % (unsigned)(cores ? cores : 1);
	return core;
}

int zo_texp_write_sim(struct zo_texp *x)
{
	char *const argv[] = { (char *)"sh", (char *)"-c",
			       (char *)"dmesg > " GUEST_DMESG "; cat /proc/meminfo", NULL };
	_cleanup_free_ char *dmesg = NULL;
	struct zo_guest_exec e;
	size_t dlen = 0;
	int r = zo_texp_guest(x, argv, &e);

	if (r < 0)
		return r;
	if (zo_target_read(&x->target, GUEST_DMESG, &dmesg, &dlen) < 0) {
		zo_warn(&x->run->ctx->log, "%s", x->run->ctx->error);
		zo_clear_error(x->run->ctx);
	}
	r = zo_run_write_sim(x->run, e.out, dmesg ? dmesg : "(the target's dmesg was not readable)",
			     NULL);
	zo_guest_exec_release(&e);
	return r;
}

int zo_texp_finish(struct zo_texp *x, int r)
{
	struct zo_run *run = x->run;
	int s;

	zo_preflight_abandon(x->preflight_pending);
	x->preflight_pending = NULL;

	/* clean up whatever happened: the target off (the harness puts the
	 * host back) */
	if (x->started) {
		if (r == 0)
			zo_run_phase_begin(run, "target stop");
		s = zo_target_stop(&x->target, r == 0 ? 60 : 5);
		if (s < 0)
			zo_warn(&run->ctx->log, "could not stop the target: %s",
				zo_virt_error(x->target.virt));
		if (r == 0)
			zo_run_phase_end(run);
	}
	if (x->target_open)
		zo_target_release(&x->target);
	return r;
}

int zo_texp_fetch(struct zo_texp *x, const char *guest_path, const char *ext)
{
	_cleanup_free_ char *out = zo_run_file(x->run, ext);
	size_t len = 0;
	int fd, r;

	if (!out)
		return zo_run_fail(x->run, -ENOMEM, "out of memory");
	fd = zo_run_create(x->run, ext);
	if (fd < 0)
		return fd;
	r = zo_target_fetch_fd(&x->target, guest_path, fd, out, &len);
	return r < 0 ? zo_texp_failed(x, r) : 0;
}

int zo_texp_collect(struct zo_texp *x, const char *const *files)
{
	int r = 0;

	for (; r == 0 && files[0]; files += 2)
		r = zo_texp_fetch(x, files[0], files[1]);
	return r < 0 ? r : zo_texp_write_sim(x);
}

/* The experiment's own checks, then the shared ones. */
static int preflight(struct zo_texp *x)
{
	int r = x->preflight ? x->preflight(x) : 0;

	return r < 0 ? r : zo_texp_preflight(x);
}

int zo_texp_run_phases(struct zo_texp *x, const struct zo_texp_phase_fn *p, size_t n)
{
	size_t i;
	int r = 0;

	for (i = 0; i < n && r == 0; i++)
		if (p[i].fn)
			r = zo_texp_phase(x, p[i].name, p[i].fn);
	return zo_texp_finish(x, r);
}

int zo_texp_run(struct zo_texp *x, const struct zo_texp_steps *s)
{
	const struct zo_texp_phase_fn phases[] = {
		{ "preflight", preflight },
		{ "storage", zo_texp_storage },
		{ "condition host", zo_texp_condition },
		{ "target start", zo_texp_target_start },
		{ "setup", s->setup },
		{ "warmup", zo_exp_flag(x->run->args, "warmup") ? s->warmup : NULL },
		{ "workload", s->workload },
		{ "collect", s->collect },
	};

	return zo_texp_run_phases(x, phases, ZO_ARRAY_SIZE(phases));
}

int zo_texp_run_new(struct zo_run *run, void *x, size_t size, const struct zo_texp_steps *s)
{
	struct zo_texp *t = x;

	memset(x, 0, size);
	t->run = run;
	return zo_texp_run(t, s);
}
