/* exp00006: boot-time struct-page initialisation (ktask), as the old
 * runner's exp00006 measured it (runner/src/exp00006.rs): the guest boot
 * parameter ktask_mem_ncores_div=DIV set (or, with --no_ktask, removed:
 * the runner left an earlier one in place) in a first boot, then the
 * target booted with TSC offsetting on during the boot, and .out =
 * /proc/ktask_instrumentation (a kernel from 0sim's markm_instrument_ktask
 * or markm_instrument_mem_init branch). A target booted directly
 * ([target] kernel) takes its command line from [target] cmdline: there
 * the parameter is checked, not set. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/experiment.h"
#include "exp/kinst.h"
#include "exp/texp.h"
#include "ops/run.h"
#include "util/str.h"

#include "util/banned.h"

#define MAX_VM_GB (1024ULL * 1024)
#define PARAM "ktask_mem_ncores_div"
#define TSC_OFFSETTING "/sys/module/kvm_intel/parameters/enable_tsc_offsetting"
#define GUEST_OUT "/results/exp00006.out"
/* the runner's first boot, for the parameter: 10 GB, 1 core */
#define PARAM_BOOT_GB 10

static const struct zo_param params[] = {
	{ "vm_size", NULL, "VMSIZE", ZO_PARAM_UINT, true, 1, MAX_VM_GB, NULL, NULL, true,
	  "target memory in GB" },
	{ "cores", NULL, "CORES", ZO_PARAM_UINT, true, 1, 4096, NULL, NULL, true,
	  "target vCPUs, pinned 1:1 to host CPUs" },
	{ "ktask_div", NULL, "DIV", ZO_PARAM_UINT, false, 1, 4096, NULL, NULL, true,
	  "ktask's threads are CORES / DIV (4 is ktask's default): the boot parameter " PARAM },
	{ "no_ktask", "--no-ktask", NULL, ZO_PARAM_FLAG, false, 0, 0, NULL, NULL, false,
	  "measure the boot without ktask (the boot parameter removed)" },
};

static const struct zo_param_runner runner[] = {
	{ "no_ktask", "--no_ktask", NULL },
};

static const char *const phases[] = {
	"preflight",	"storage", "boot parameter", "condition host", "target start",
	"collect",	"target stop", "restore host", NULL,
};

static int check(const struct zo_exp_args *a, char **ret_error)
{
	bool div = zo_exp_get(a, "ktask_div") != NULL, no = zo_exp_flag(a, "no_ktask");

	if (div == no) {
		*ret_error = zo_asprintf(div ? "give DIV or --no_ktask, not both"
					     : "give DIV (ktask's divisor) or --no_ktask");
		return -EINVAL;
	}
	return 0;
}

static const char *workload(const struct zo_exp_args *a)
{
	return zo_exp_get(a, "ktask_div") ? "ktask_boot_mem_init" : "boot_mem_init";
}

/* The runner's settings! block, in its order. */
static int settings(const struct zo_exp_args *a, struct zo_exp_settings *s)
{
	int r = 0;

	r |= zo_exp_settings_str(s, "workload", true, workload(a));
	r |= zo_exp_settings_uint(s, "exp", false, 6);
	r |= zo_exp_settings_uint(s, "vm_size", true, zo_exp_get_uint(a, "vm_size"));
	r |= zo_exp_settings_uint(s, "cores", true, zo_exp_get_uint(a, "cores"));
	if (zo_exp_get(a, "ktask_div"))
		r |= zo_exp_settings_uint(s, "ktask_div", true, zo_exp_get_uint(a, "ktask_div"));
	return r < 0 ? -ENOMEM : 0;
}

static bool direct_boot(struct zo_texp *t)
{
	const char *k = zo_config_get(t->run->ctx->config, "target", "kernel");

	return k && *k;
}

/* Exit 0 when /proc/cmdline holds the parameter as asked (DIV, or none). */
static char *cmdline_check(const char *div)
{
	if (div)
		return zo_asprintf("grep -qw '" PARAM "=%s' /proc/cmdline", div);
	return strdup("! grep -q '" PARAM "=' /proc/cmdline");
}

/* In the boot loader's configuration, for the next boot: grubby where
 * there is one (CentOS, whose profile set its other parameters with it),
 * else /etc/default/grub and update-grub (Debian). */
static int set_param(struct zo_texp *t, const char *div)
{
	_cleanup_free_ char *grubby = div ? zo_asprintf(" && grubby --update-kernel=ALL --args="
							PARAM "=%s",
							div)
					  : strdup("");
	_cleanup_free_ char *grub = div ? zo_asprintf(" && sed -i -e '/^GRUB_CMDLINE_LINUX=/s/\"$/ "
						      PARAM "=%s\"/' /etc/default/grub",
						      div)
					: strdup("");
	_cleanup_free_ char *sh = grubby && grub ? zo_asprintf(
		"if command -v grubby >/dev/null; then "
		"grubby --update-kernel=ALL --remove-args=" PARAM "%s; "
		"elif [ -f /etc/default/grub ] && command -v update-grub >/dev/null; then "
		"sed -i -e 's/ *" PARAM "=[0-9]*//g' /etc/default/grub%s && "
		"update-grub >/dev/null 2>&1; "
		"else echo 'the target has neither grubby nor update-grub' >&2; exit 1; fi",
		grubby, grub) : NULL;

	return sh ? zo_texp_sh(t, "setting the boot parameter " PARAM, sh) : -ENOMEM;
}

static int param_in_target(struct zo_texp *t)
{
	const char *const need[] = { "/proc/ktask_instrumentation", NULL };
	const char *div = zo_exp_get(t->run->args, "ktask_div");
	_cleanup_free_ char *sh = cmdline_check(div);
	struct zo_guest_exec e;
	int r = zo_kinst_require_guest(t, need);

	if (r < 0)
		return r;
	if (!direct_boot(t))
		return set_param(t, div);
	{
		char *argv[] = { (char *)"sh", (char *)"-c", sh, NULL };

		r = sh ? zo_texp_guest(t, argv, &e) : -ENOMEM;
	}
	if (r < 0)
		return r;
	r = e.exit_code;
	zo_guest_exec_release(&e);
	if (r == 0)
		return 0;
	if (div)
		return zo_run_fail(t->run, -EPERM, "the target boots its kernel directly ([target] "
						   "kernel), so its command line is [target] cmdline: "
						   "add " PARAM "=%s there",
				   div);
	return zo_run_fail(t->run, -EPERM, "the target boots its kernel directly ([target] "
					   "kernel), so its command line is [target] cmdline: "
					   "remove " PARAM " from it for --no_ktask");
}

/* The runner's first boot: the parameter set, then powered off. */
static int phase_boot_param(struct zo_texp *t)
{
	unsigned long long vm = zo_exp_get_uint(t->run->args, "vm_size");
	_cleanup_free_ char *gb = zo_asprintf("%llu", vm < PARAM_BOOT_GB ? vm : PARAM_BOOT_GB);
	int r;

	r = zo_target_open(t->run->ctx, &t->target);
	t->target_open = true;
	if (r < 0)
		return zo_texp_failed(t, r);
	t->started = true;
	r = zo_target_start(&t->target, gb, 1, zo_run_stop_flag());
	if (r < 0)
		return zo_texp_failed(t, r);
	r = param_in_target(t);
	if (r < 0)
		return r;
	t->started = false;
	if (zo_target_stop(&t->target, 120) < 0)
		return zo_texp_failed(t, -EIO);
	zo_target_release(&t->target);
	t->target_open = false;
	return 0;
}

/* The runner's host conditioning, and TSC offsetting on for the boot
 * (start_vagrant with fast = false). */
static int phase_condition(struct zo_texp *t)
{
	int r = zo_texp_condition(t);

	if (r < 0)
		return r;
	r = zo_run_set_knob(t->run, TSC_OFFSETTING, "Y");
	if (r == -ENOENT) /* recorded as absent and warned about: a stock KVM */
		r = 0;
	return r < 0 ? zo_texp_failed(t, r) : 0;
}

/* The parameter as asked in /proc/cmdline, then the counters. */
static int phase_collect(struct zo_texp *t)
{
	_cleanup_free_ char *check = cmdline_check(zo_exp_get(t->run->args, "ktask_div"));
	_cleanup_free_ char *sh = check ? zo_asprintf("%s || { echo \"/proc/cmdline: $(cat "
						      "/proc/cmdline)\" >&2; exit 1; }; cat "
						      "/proc/ktask_instrumentation > " GUEST_OUT,
						      check)
					: NULL;
	static const char *const files[] = { GUEST_OUT, "out", NULL };
	int r = sh ? zo_texp_sh(t, "the boot parameter check and /proc/ktask_instrumentation", sh)
		   : -ENOMEM;

	return r < 0 ? r : zo_texp_collect(t, files);
}

static int run(struct zo_run *run)
{
	static const struct zo_texp_phase_fn steps[] = {
		{ "preflight", zo_texp_preflight },
		{ "storage", zo_texp_storage },
		{ "boot parameter", phase_boot_param },
		{ "condition host", phase_condition },
		{ "target start", zo_texp_target_start },
		{ "collect", phase_collect },
	};
	struct zo_texp x;

	memset(&x, 0, sizeof(x));
	x.run = run;
	return zo_texp_run_phases(&x, steps, ZO_ARRAY_SIZE(steps));
}

const struct zo_experiment zo_exp_exp00006 = {
	.name = "exp00006",
	.summary = "boot-time memory init with ktask: /proc/ktask_instrumentation after a boot "
		   "with TSC offsetting on (needs a markm_instrument_ktask or "
		   "markm_instrument_mem_init target kernel)",
	.params = params,
	.n_params = ZO_ARRAY_SIZE(params),
	.runner = runner,
	.n_runner = ZO_ARRAY_SIZE(runner),
	.phases = phases,
	.check = check,
	.workload = workload,
	.settings = settings,
	.run = run,
};
