/* The instrumented-kernel experiments' shared steps (exp/kinst.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/experiment.h"
#include "exp/kinst.h"
#include "util/file.h"
#include "util/path.h"
#include "util/str.h"

#include "util/banned.h"

#define THP "/sys/kernel/mm/transparent_hugepage"
#define STOP "/tmp/exp-stop"
#define STOPPED "/tmp/exp-stopped"

/* The /proc files of 0sim's instrumented branches (the runner's
 * experiments' headers and setup00001). */
static const struct {
	const char *path, *branch;
} branches[] = {
	{ "/proc/compact_instrumentation", "markm_instrumented" },
	{ "/proc/compact_spurious_fail", "markm_instrumented" },
	{ "/proc/compact_trigger", "markm_instrumented" },
	{ "/proc/ktask_instrumentation", "markm_instrument_ktask or markm_instrument_mem_init" },
	{ "/proc/swap_instrumentation", "markm_instrument_swap" },
	{ "/proc/swap_extra_factor", "markm_instrument_swap" },
};

const char *zo_kinst_branch(const char *path)
{
	size_t i;

	for (i = 0; i < ZO_ARRAY_SIZE(branches); i++)
		if (!strcmp(branches[i].path, path))
			return branches[i].branch;
	return NULL;
}

/* The refusal: `missing` is a space-separated list of paths. */
static int refuse(struct zo_run *run, const char *where, const char *release,
		  const char *missing)
{
	_cleanup_free_ char *first = strndup(missing, strcspn(missing, " "));
	const char *branch = first ? zo_kinst_branch(first) : NULL;

	if (!branch)
		branch = "markm_instrumented";
	return zo_run_fail(run, -EPERM,
			   "%s needs %s, which %s's kernel (%s) does not have: it comes with a "
			   "kernel from 0sim's %s branch (github.com/multifacet/0sim); build and "
			   "install one (for a target: 'zsim-orch target kernel build --git "
			   "https://github.com/multifacet/0sim --branch BRANCH', then 'zsim-orch "
			   "target kernel install PKG')",
			   run->args->exp->name, missing, where, release, branch);
}

int zo_kinst_require_guest(struct zo_texp *x, const char *const *paths)
{
	struct zo_strbuf sb = { 0 };
	_cleanup_free_ char *script = NULL, *missing = NULL, *release = NULL;
	struct zo_guest_exec e;
	size_t i;
	int r;

	zo_strbuf_append(&sb, "uname -r; for f in");
	for (i = 0; paths[i]; i++)
		zo_strbuf_appendf(&sb, " %s", paths[i]);
	zo_strbuf_append(&sb, "; do [ -e \"$f\" ] || printf '%s ' \"$f\"; done");
	script = zo_strbuf_steal(&sb);
	if (!script)
		return zo_run_fail(x->run, -ENOMEM, "out of memory");
	{
		char *argv[] = { (char *)"sh", (char *)"-c", script, NULL };

		r = zo_texp_guest(x, argv, &e);
	}
	if (r < 0)
		return r;
	release = strndup(e.out, strcspn(e.out, "\n"));
	missing = strdup(e.out + strcspn(e.out, "\n") + (strchr(e.out, '\n') ? 1 : 0));
	zo_guest_exec_release(&e);
	if (!release || !missing)
		return zo_run_fail(x->run, -ENOMEM, "out of memory");
	zo_run_add_fact(x->run, "target_kernel", release);
	zo_strstrip(missing);
	return *missing ? refuse(x->run, "the target", release, missing) : 0;
}

int zo_kinst_require_host(struct zo_run *run, const char *const *paths)
{
	struct zo_strbuf sb = { 0 };
	_cleanup_free_ char *missing = NULL, *release = NULL;
	size_t i;

	for (i = 0; paths[i]; i++) {
		_cleanup_free_ char *p = zo_path(run->ctx->root, paths[i]);

		if (!p || access(p, F_OK) < 0)
			zo_strbuf_appendf(&sb, "%s%s", sb.len ? " " : "", paths[i]);
	}
	missing = zo_strbuf_steal(&sb);
	if (!missing || !*missing)
		return missing ? 0 : zo_run_fail(run, -ENOMEM, "out of memory");
	{
		_cleanup_free_ char *osrel = zo_path(run->ctx->root, "/proc/sys/kernel/osrelease");

		if (!osrel || zo_read_file(osrel, 256, &release, NULL) < 0)
			release = strdup("unknown");
	}
	if (release)
		zo_strstrip(release);
	return refuse(run, "this host", release ? release : "unknown", missing);
}

int zo_kinst_guest_swap_try(struct zo_texp *x)
{
	char *const argv[] = {
		(char *)"sh", (char *)"-c",
		(char *)"[ -f " ZO_GUEST_SWAPFILE " ] || exit 3; "
			"grep -q '^" ZO_GUEST_SWAPFILE " ' /proc/swaps || swapon " ZO_GUEST_SWAPFILE
			" || exit; sed -n 's|^" ZO_GUEST_SWAPFILE " *[a-z]* *\\([0-9]*\\).*|\\1|p' "
			"/proc/swaps",
		NULL
	};
	_cleanup_free_ char *kb = NULL;
	struct zo_guest_exec e;
	int r = zo_texp_guest(x, argv, &e), code;

	if (r < 0)
		return r;
	code = e.exit_code;
	kb = strndup(e.out, strcspn(e.out, "\n"));
	if (code != 0 && code != 3)
		r = zo_run_fail(x->run, -EIO, "swapon " ZO_GUEST_SWAPFILE " in the target exited %d: "
					      "%.*s",
				code, (int)(e.err_len > 300 ? 300 : e.err_len), e.err);
	zo_guest_exec_release(&e);
	if (r < 0 || code == 3)
		return r < 0 ? r : 1;
	zo_run_add_fact(x->run, "guest_swap_kb", kb ? kb : "");
	zo_info(&x->run->ctx->log, "the target's swap file " ZO_GUEST_SWAPFILE " is on (%s kB)",
		kb ? kb : "?");
	return 0;
}

int zo_kinst_guest_swap_missing(struct zo_texp *x)
{
	return zo_run_fail(x->run, -EPERM,
			   "%s turns on the target's swap file " ZO_GUEST_SWAPFILE ", which this "
			   "target does not have: set [target] guest_swap = 10G (the runner's size) "
			   "in %s and prepare the base again ('zsim-orch target prepare --from "
			   "CLOUD.qcow2 --force')",
			   x->run->args->exp->name, x->run->ctx->config_path);
}

int zo_kinst_guest_thp(struct zo_texp *x)
{
	return zo_texp_sh(x, "the target's THP settings",
			  "echo always > " THP "/enabled && echo always > " THP "/defrag && "
			  "echo 1 > " THP "/khugepaged/defrag && "
			  "echo 1000 > " THP "/khugepaged/alloc_sleep_millisecs && "
			  "echo 1000 > " THP "/khugepaged/scan_sleep_millisecs");
}

int zo_kinst_host_thp(struct zo_run *run)
{
	static const struct {
		const char *file, *value;
	} thp[] = {
		{ THP "/enabled", "always" },
		{ THP "/defrag", "always" },
		{ THP "/khugepaged/defrag", "1" },
		{ THP "/khugepaged/alloc_sleep_millisecs", "1000" },
		{ THP "/khugepaged/scan_sleep_millisecs", "1000" },
	};
	size_t i;
	int r = 0;

	for (i = 0; i < ZO_ARRAY_SIZE(thp) && r == 0; i++)
		r = zo_run_set_knob(run, thp[i].file, thp[i].value);
	if (r < 0)
		return zo_run_fail(run, r, "%s", run->ctx->error);
	return 0;
}

int zo_kinst_thp_settings(struct zo_exp_settings *s)
{
	int r = 0;

	r |= zo_exp_settings_str(s, "transparent_hugepage_enabled", false, "always");
	r |= zo_exp_settings_str(s, "transparent_hugepage_defrag", false, "always");
	r |= zo_exp_settings_uint(s, "transparent_hugepage_khugepaged_defrag", false, 1);
	r |= zo_exp_settings_uint(s, "transparent_hugepage_khugepaged_alloc_sleep_ms", false, 1000);
	r |= zo_exp_settings_uint(s, "transparent_hugepage_khugepaged_scan_sleep_ms", false, 1000);
	return r < 0 ? -ENOMEM : 0;
}

int zo_kinst_guest_programs(struct zo_texp *x, const char *programs)
{
	_cleanup_free_ char *sh = zo_asprintf("for p in %s; do command -v \"$p\" >/dev/null || "
					      "printf '%%s ' \"$p\"; done",
					      programs);
	char *argv[] = { (char *)"sh", (char *)"-c", sh, NULL };
	_cleanup_free_ char *missing = NULL;
	struct zo_guest_exec e;
	int r;

	if (!sh)
		return zo_run_fail(x->run, -ENOMEM, "out of memory");
	r = zo_texp_guest(x, argv, &e);
	if (r < 0)
		return r;
	missing = strdup(e.out);
	zo_guest_exec_release(&e);
	if (!missing)
		return zo_run_fail(x->run, -ENOMEM, "out of memory");
	zo_strstrip(missing);
	if (!*missing)
		return 0;
	return zo_run_fail(x->run, -EPERM,
			   "the target has no %s for %s: memcached comes with its package (CentOS "
			   "and Debian), the workload programs and taskset with a target prepared "
			   "by 'zsim-orch target prepare'",
			   missing, x->run->args->exp->name);
}

int zo_kinst_sampler_start(struct zo_texp *x, const char *file, const char *out,
			   unsigned long long interval)
{
	_cleanup_free_ char *sh = zo_asprintf(
		"rm -f " STOP " " STOPPED " %s; (while [ ! -e " STOP " ]; do cat %s >> %s; "
		"sleep %llu; done; cat %s >> %s; touch " STOPPED ") </dev/null >/dev/null 2>&1 &",
		out, file, out, interval, file, out);

	return sh ? zo_texp_sh(x, "the sampler", sh) : zo_run_fail(x->run, -ENOMEM, "out of memory");
}

int zo_kinst_sampler_stop(struct zo_texp *x, unsigned long long interval)
{
	_cleanup_free_ char *sh = zo_asprintf("touch " STOP "; n=0; while [ ! -e " STOPPED " ] && "
					      "[ $n -lt %llu ]; do sleep 1; n=$((n+1)); done",
					      interval + 5);

	return sh ? zo_texp_sh(x, "stopping the sampler", sh)
		  : zo_run_fail(x->run, -ENOMEM, "out of memory");
}
