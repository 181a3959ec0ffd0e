/* exp00000: boot a VMSIZE GB target and time touching its memory with
 * zsim-touch (the old runner's time_mmap_touch experiment). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cmd/run.h"
#include "core/procfs.h"
#include "ops/target.h"
#include "sys/sysfs.h"
#include "sys/virt.h"
#include "util/str.h"

#include "util/banned.h"

#define TOUCH "/usr/bin/zsim-touch"
#define GUEST_OUT "/results/zsim-touch.out"

/* A knob we changed, to put back afterwards. */
struct saved_knob {
	const char *path;
	char *old;
};

struct exp {
	struct zo_run *run;
	struct zo_target target;
	bool target_open, started;
	struct saved_knob knobs[8];
	size_t n_knobs;
	bool lenient; /* [host] require_0sim = no: a stock kernel stands in */
};

static int fail(struct exp *x, int err, char *msg)
{
	free(x->run->error);
	x->run->error = msg;
	return err;
}

static int set_knob(struct exp *x, const char *path, const char *value)
{
	struct zo_ctx *ctx = x->run->ctx;
	_cleanup_free_ char *old = NULL;
	int r;

	if (zo_sysfs_read_line(ctx->root, path, &old) < 0)
		return -ENOENT;
	if (!strcmp(old, value))
		return 0;
	r = zo_sysfs_write(ctx->root, path, value);
	if (r < 0)
		return r;
	if (x->n_knobs < ZO_ARRAY_SIZE(x->knobs)) {
		x->knobs[x->n_knobs].path = path;
		x->knobs[x->n_knobs].old = old;
		old = NULL;
		x->n_knobs++;
	}
	return 0;
}

static void restore_knobs(struct exp *x)
{
	while (x->n_knobs > 0) {
		struct saved_knob *k = &x->knobs[--x->n_knobs];

		if (zo_sysfs_write(x->run->ctx->root, k->path, k->old) < 0)
			zo_warn(&x->run->ctx->log, "could not restore %s to %s", k->path, k->old);
		free(k->old);
	}
}

/* One knob of the experiment: fatal on a real node, a warning when a
 * stock kernel stands in for 0sim. */
static int knob(struct exp *x, const char *path, const char *value)
{
	int r = set_knob(x, path, value);

	if (r == 0)
		return 0;
	if (x->lenient) {
		zo_warn(&x->run->ctx->log, "not set: %s = %s (%s)", path, value, strerror(-r));
		return 0;
	}
	return fail(x, r, zo_asprintf("cannot set %s to %s: %s", path, value, strerror(-r)));
}

static int phase_preflight(struct exp *x)
{
	struct zo_ctx *ctx = x->run->ctx;
	_cleanup_free_ char *failures = NULL;
	char **knobs = NULL;
	bool require = true;
	int n, ret;

	zo_config_get_bool(ctx->config, "host", "require_0sim", &require);
	x->lenient = !require;
	n = zo_sysfs_list(ctx->root, "/proc", "zerosim_", &knobs);
	zo_strv_free(knobs);
	zo_run_add_fact(x->run, "zerosim_kernel", n > 0 ? "yes" : "no");
	ret = zo_preflight_run(ctx, zo_exp_get_uint(x->run->args, "vm_size"),
			       (unsigned)zo_exp_get_uint(x->run->args, "cores"), true, &failures);
	if (ret == ZO_EXIT_REFUSED)
		return fail(x, -EPERM, zo_asprintf("preflight: %s", failures));
	if (ret != ZO_EXIT_OK)
		return fail(x, -EIO, strdup("the preflight checks could not run"));
	ret = zo_target_check_base(ctx);
	if (ret < 0)
		return fail(x, ret == -EPERM ? -EPERM : -EIO, strdup(ctx->error));
	if (n <= 0)
		zo_warn(&ctx->log, "not a 0sim kernel: a stock kernel stands in (require_0sim = "
				   "no); these results are not a 0sim simulation");
	return 0;
}

static int phase_storage(struct exp *x)
{
	struct zo_ctx *ctx = x->run->ctx;
	const char *data = zo_config_get(ctx->config, "thin", "data");
	const char *swap = zo_config_get(ctx->config, "host", "swap");
	char *on[] = { (char *)"swap", (char *)"on", NULL };

	if (data && *data && cmd_thin_activate(ctx) != ZO_EXIT_OK)
		return fail(x, -EIO, strdup("the thin pool could not be activated (see above)"));
	if (swap && *swap && cmd_swap(ctx, 2, on) != ZO_EXIT_OK)
		return fail(x, -EIO, strdup("swap could not be turned on (see above)"));
	if ((!data || !*data) && (!swap || !*swap))
		zo_warn(&ctx->log, "no swap or thin pool in %s: a target larger than RAM will "
				   "not fit (zsim-orch setup)", ctx->config_path);
	return 0;
}

static int phase_knobs(struct exp *x)
{
	const struct zo_exp_args *a = x->run->args;
	struct zo_ctx *ctx = x->run->ctx;
	const char *zpool = zo_config_get(ctx->config, "zswap", "zpool");
	const char *pct = zo_config_get(ctx->config, "zswap", "max_pool_percent");
	int r;

	if (zo_exp_flag(a, "disable_zswap")) {
		r = knob(x, "/sys/module/zswap/parameters/enabled", "N");
	} else {
		r = knob(x, "/sys/module/zswap/parameters/zpool", zpool);
		if (r == 0)
			r = knob(x, "/sys/module/zswap/parameters/max_pool_percent", pct);
		if (r == 0)
			r = knob(x, "/sys/module/zswap/parameters/enabled", "Y");
	}
	if (r == 0 && zo_exp_get(a, "drift_thresh"))
		r = knob(x, "/proc/zerosim_drift_threshold", zo_exp_get(a, "drift_thresh"));
	if (r == 0 && zo_exp_get(a, "delay"))
		r = knob(x, "/proc/zerosim_delay", zo_exp_get(a, "delay"));
	if (r == 0 && zo_exp_flag(a, "multicore_offsetting"))
		r = knob(x, "/proc/zerosim_multicore_sync", "1");
	return r;
}

static int guest(struct exp *x, char *const *argv, struct zo_guest_exec *e)
{
	int r = zo_virt_guest_exec(x->target.virt, x->target.name, argv, zo_run_stop_flag(), e);

	if (r == -EINTR)
		return fail(x, r, zo_asprintf("stopped by signal %d", (int)*zo_run_stop_flag()));
	if (r < 0)
		return fail(x, r, zo_asprintf("cannot run %s in the target: %s", argv[0],
					      zo_virt_error(x->target.virt)));
	return 0;
}

/* The wait for the guest agent on a terminal: one line, rewritten. */
static void tty_progress(void *userdata, const char *line)
{
	(void)userdata;
	if (!isatty(STDERR_FILENO))
		return;
	if (line)
		fprintf(stderr, "\r%s ", line);
	else
		fputc('\n', stderr);
}

static int phase_target_start(struct exp *x)
{
	const struct zo_exp_args *a = x->run->args;
	struct zo_ctx *ctx = x->run->ctx;
	int ret;

	ret = zo_target_open(ctx, &x->target);
	x->target_open = true;
	if (ret < 0) {
		zo_error(ctx, "%s", ctx->error);
		return fail(x, -EIO, strdup("libvirt is not reachable (see above)"));
	}
	x->target.progress = tty_progress;
	x->started = true;
	ret = zo_target_start(&x->target, zo_exp_get(a, "vm_size"),
			      (long long)zo_exp_get_uint(a, "cores"), zo_run_stop_flag());
	if (*zo_run_stop_flag())
		return fail(x, -EINTR, zo_asprintf("stopped by signal %d while booting",
						   (int)*zo_run_stop_flag()));
	if (ret < 0) {
		zo_error(ctx, "%s", ctx->error);
		return fail(x, -EIO, strdup("the target did not come up (see above)"));
	}
	return 0;
}

/* The workload's program must be in the target before anything runs. */
static int check_workload_program(struct exp *x, const char **ret_path)
{
	static const struct {
		const char *choice, *program;
	} programs[] = {
		{ "zeros", TOUCH },		 { "counter", TOUCH },
		{ "memcached", "memcached" },	 { "redis", "redis-server" },
		{ "matrixmult", "matrixmult" },
	};
	const char *choice = zo_exp_choice(x->run->args, "workload");
	const char *program = TOUCH;
	struct zo_guest_exec e;
	size_t i;
	int r;

	for (i = 0; i < ZO_ARRAY_SIZE(programs); i++)
		if (choice && !strcmp(programs[i].choice, choice))
			program = programs[i].program;
	{
		char *const argv[] = { (char *)"sh", (char *)"-c", (char *)"command -v \"$0\"",
				       (char *)program, NULL };

		r = guest(x, argv, &e);
	}
	if (r < 0)
		return r;
	r = e.exit_code;
	zo_guest_exec_release(&e);
	if (r != 0)
		return fail(x, -EPERM,
			    zo_asprintf("the target has no %s for --%s; a target prepared with "
					"'zsim-orch target prepare' installs it",
					program, choice ? choice : "zeros"));
	if (strcmp(program, TOUCH))
		return fail(x, -ENOTSUP,
			    zo_asprintf("--%s: running %s is not part of this zsim-orch yet; "
					"--zeros and --counter are",
					choice, program));
	*ret_path = program;
	return 0;
}

static int mem_available_kb(struct exp *x, unsigned long long *ret)
{
	char *const argv[] = { (char *)"cat", (char *)"/proc/meminfo", NULL };
	struct zo_guest_exec e;
	struct zo_meminfo m;
	int r = guest(x, argv, &e);

	if (r < 0)
		return r;
	r = zo_parse_meminfo(e.out, &m);
	zo_guest_exec_release(&e);
	if (r < 0)
		return fail(x, r, strdup("cannot read the target's /proc/meminfo"));
	*ret = m.mem_available / 1024;
	return 0;
}

static int touch(struct exp *x, unsigned long long pages, const char *pattern, bool prefault,
		 const char *out)
{
	_cleanup_free_ char *n = zo_asprintf("%llu", pages);
	char *argv[8];
	struct zo_guest_exec e;
	int k = 0, r;

	argv[k++] = (char *)TOUCH;
	argv[k++] = n;
	argv[k++] = (char *)pattern;
	if (prefault)
		argv[k++] = (char *)"-p";
	argv[k++] = (char *)"-o";
	argv[k++] = (char *)out;
	argv[k] = NULL;
	r = guest(x, argv, &e);
	if (r < 0)
		return r;
	if (e.exit_code != 0)
		r = fail(x, -EIO, zo_asprintf("zsim-touch exited %d: %.*s", e.exit_code,
					      (int)(e.err_len > 300 ? 300 : e.err_len), e.err));
	zo_guest_exec_release(&e);
	return r;
}

static int phase_workload(struct exp *x)
{
	const struct zo_exp_args *a = x->run->args;
	unsigned long long avail_kb = 0, bytes, pages;
	const char *program = NULL;
	struct rusage before, after;
	_cleanup_free_ char *text = NULL, *fact = NULL, *cpu = NULL;
	size_t len = 0;
	int r;

	r = check_workload_program(x, &program);
	if (r < 0)
		return r;
	r = mem_available_kb(x, &avail_kb);
	if (r < 0)
		return r;
	fact = zo_asprintf("%llu", avail_kb);
	zo_run_add_fact(x->run, "target_mem_available_kb", fact);
	if (zo_exp_flag(a, "warmup")) {
		zo_run_phase_end(x->run);
		zo_run_phase_begin(x->run, "warmup");
		r = touch(x, (zo_exp_get_uint(a, "vm_size") << 30 >> 12) / 2, "-z", false,
			  "/dev/null");
		if (r < 0)
			return r;
		zo_run_phase_end(x->run);
		zo_run_phase_begin(x->run, "workload");
	}
	bytes = zo_exp_get(a, "size") ? zo_exp_get_uint(a, "size") << 30 : avail_kb * 1024;
	pages = bytes / 4096;
	getrusage(RUSAGE_SELF, &before);
	r = touch(x, pages, zo_exp_flag(a, "counter") ? "-c" : "-z", zo_exp_flag(a, "prefault"),
		  GUEST_OUT);
	getrusage(RUSAGE_SELF, &after);
	if (r < 0)
		return r;
	/* zsim-orch's own CPU while the target works: it must wait, not spin */
	cpu = zo_asprintf("%ld",
			  (after.ru_utime.tv_sec - before.ru_utime.tv_sec) * 1000 +
				  (after.ru_utime.tv_usec - before.ru_utime.tv_usec) / 1000 +
				  (after.ru_stime.tv_sec - before.ru_stime.tv_sec) * 1000 +
				  (after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1000);
	zo_run_add_fact(x->run, "orch_cpu_ms_during_workload", cpu);
	fact = (free(fact), zo_asprintf("%llu", pages));
	zo_run_add_fact(x->run, "pages_touched", fact);
	zo_run_phase_end(x->run);
	zo_run_phase_begin(x->run, "collect");
	r = zo_virt_guest_read(x->target.virt, x->target.name, GUEST_OUT, &text, &len);
	if (r < 0)
		return fail(x, r, zo_asprintf("cannot fetch %s: %s", GUEST_OUT,
					      zo_virt_error(x->target.virt)));
	if (zo_run_write(x->run, "out", text) < 0)
		return -EIO;
	{
		char *const dmesg[] = { (char *)"dmesg", NULL };
		struct zo_guest_exec e;
		_cleanup_free_ char *extra = NULL;

		if (guest(x, dmesg, &e) == 0) {
			const char *tail = e.out_len > 8192 ? e.out + e.out_len - 8192 : e.out;

			extra = zo_asprintf("==> target dmesg (tail) <==\n%s", tail);
			zo_guest_exec_release(&e);
		}
		r = zo_run_write_host_sim(x->run, extra);
	}
	return r < 0 ? -EIO : 0;
}

int zo_run_exp00000(struct zo_run *run)
{
	struct exp x = { .run = run };
	int r, s;

	zo_run_phase_begin(run, "preflight");
	r = phase_preflight(&x);
	if (r == 0) {
		zo_run_phase_end(run);
		zo_run_phase_begin(run, "storage");
		r = phase_storage(&x);
	}
	if (r == 0) {
		zo_run_phase_end(run);
		zo_run_phase_begin(run, "knobs");
		r = phase_knobs(&x);
	}
	if (r == 0) {
		zo_run_phase_end(run);
		zo_run_phase_begin(run, "target start");
		r = phase_target_start(&x);
	}
	if (r == 0) {
		zo_run_phase_end(run);
		zo_run_phase_begin(run, "workload");
		r = phase_workload(&x);
	}
	if (r == 0)
		zo_run_phase_end(run);
	/* clean up whatever happened: the target off, the knobs back */
	if (x.started) {
		if (r == 0)
			zo_run_phase_begin(run, "target stop");
		s = zo_target_stop(&x.target, r == 0 ? 60 : 5);
		if (s < 0)
			zo_warn(&run->ctx->log, "could not stop the target: %s",
				zo_virt_error(x.target.virt));
		if (r == 0)
			zo_run_phase_end(run);
	}
	if (x.n_knobs) {
		if (r == 0)
			zo_run_phase_begin(run, "restore knobs");
		restore_knobs(&x);
		if (r == 0)
			zo_run_phase_end(run);
	}
	if (x.target_open)
		zo_target_release(&x.target);
	return r;
}
