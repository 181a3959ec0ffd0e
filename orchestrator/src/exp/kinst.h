/* What the experiments on 0sim's instrumented kernels share (exp00003,
 * exp00004, exp00006, exp00008): the check that a kernel has the /proc
 * files its branch adds, refused naming the branch; the target's swap
 * file ([target] guest_swap) turned on; the runner's THP settings. */
#ifndef ZO_EXP_KINST_H
#define ZO_EXP_KINST_H

#include "exp/texp.h"

/* Where `target prepare` puts the swap file ([target] guest_swap). */
#define ZO_GUEST_SWAPFILE "/swapfile"

/* 0sim's branch that adds the /proc file `path`, or NULL. */
const char *zo_kinst_branch(const char *path);
/* Refuse the run (-EPERM, exit 3) unless the target's kernel has every
 * file of `paths` (NULL-terminated), naming the branches that add them. */
int zo_kinst_require_guest(struct zo_texp *x, const char *const *paths);
/* The same on the host (under the root). */
int zo_kinst_require_host(struct zo_run *run, const char *const *paths);
/* swapon the target's swap file (as the runner's `swapon
 * /home/vagrant/swap`): 0 when on (its size the fact guest_swap_kb, an
 * info line says so), 1 when the target has none. Experiments try it
 * before the kernel check (the runner turned swap on first), and refuse
 * with zo_kinst_guest_swap_missing, which says how to get one, after. */
int zo_kinst_guest_swap_try(struct zo_texp *x);
int zo_kinst_guest_swap_missing(struct zo_texp *x);
/* The runner's turn_on_thp (common.rs:389-428): enabled=always,
 * defrag=always, khugepaged/defrag=1, alloc_sleep and scan_sleep 1000 ms;
 * in the target, or (host) on the host, recorded and put back. */
int zo_kinst_guest_thp(struct zo_texp *x);
int zo_kinst_host_thp(struct zo_run *run);
/* The runner's THP settings (recorded, not important). */
int zo_kinst_thp_settings(struct zo_exp_settings *s);
/* Refuse unless the target has each program of `programs` (space-
 * separated) in its PATH; memcached comes from its package, the others
 * with a target prepared by `target prepare`. */
int zo_kinst_guest_programs(struct zo_texp *x, const char *programs);

/* A loop in the target appending `file` to `out` every `interval` s until
 * stopped, then once more (the runner's exp00008 sampler); stop waits up
 * to interval + 5 s for it to end. */
int zo_kinst_sampler_start(struct zo_texp *x, const char *file, const char *out,
			   unsigned long long interval);
int zo_kinst_sampler_stop(struct zo_texp *x, unsigned long long interval);

#endif
