/* Many nodes through Slurm (ops/slurm.h). */
#include "ops/slurm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/job.h"
#include "core/units.h"
#include "ops/knobs.h"
#include "ops/lock.h"
#include "ops/preflight.h"
#include "ops/run.h"
#include "ops/spool.h"
#include "sys/hostinfo.h"
#include "sys/slurm.h"
#include "sys/virt.h"
#include "util/file.h"
#include "util/json.h"
#include "util/str.h"

#include "util/banned.h"

#define MANIFEST "manifest.json"
#define SCRIPT "batch.sh"
#define JOBID_FILE "job"
#define LOG_DIR "log"
/* a 10,000-run manifest is about 1.5 MB */
#define MANIFEST_MAX_BYTES (64u << 20)
#define LIBVIRT_TIMEOUT_MS 15000

void zo_slurm_submitted_release(struct zo_slurm_submitted *s)
{
	free(s->sweep);
	free(s->sweep_dir);
	free(s->jobid);
	memset(s, 0, sizeof(*s));
}

/* ---- submit ---- */

static int manifest_from_job(const struct zo_job_file *job, struct zo_slurm_manifest *m)
{
	size_t i, k;

	m->entries = calloc(job->runs ? job->runs : 1, sizeof(*m->entries));
	if (!m->entries)
		return -ENOMEM;
	for (i = 0; i < job->runs; i++) {
		const struct zo_job_run *run = &job->expanded[i];
		struct zo_slurm_entry *e = &m->entries[i];

		m->n = i + 1;
		e->name = strdup(run->name);
		e->experiment = strdup(run->experiment);
		e->argv = calloc(zo_strv_length(run->argv) + 1, sizeof(char *));
		e->repeat = run->repeat;
		e->timeout_s = run->timeout_s;
		if (!e->name || !e->experiment || !e->argv)
			return -ENOMEM;
		for (k = 0; run->argv[k]; k++)
			if (!(e->argv[k] = strdup(run->argv[k])))
				return -ENOMEM;
	}
	return 0;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* NAME-YYYYMMDD-HHMMSS[-N]: free under SHARED/sweeps and SHARED. Under
 * --dry-run only looked for; otherwise reserved by creating the (empty)
 * sweep directory. */
static int choose_sweep(struct zo_ctx *ctx, const char *shared, const char *sweeps,
			const char *name, char **ret_id)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	unsigned k;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	for (k = 1; k < 1000; k++) {
		_cleanup_free_ char *id = k == 1 ? zo_asprintf("%s-%s", name, stamp)
						 : zo_asprintf("%s-%s-%u", name, stamp, k);
		_cleanup_free_ char *dir = id ? zo_asprintf("%s/%s", sweeps, id) : NULL;
		_cleanup_free_ char *results = id ? zo_asprintf("%s/%s", shared, id) : NULL;

		if (!dir || !results)
			return -ENOMEM;
		if (exists(results) || exists(dir))
			continue;
		if (!ctx->dry_run && mkdir(dir, 0755) < 0) {
			if (errno == EEXIST)
				continue;
			return zo_fail(ctx, -errno, "cannot create %s: %s", dir, strerror(errno));
		}
		*ret_id = TAKE_PTR(id);
		return 0;
	}
	return zo_fail(ctx, -EEXIST, "no free sweep name %s-%s-N under %s", name, stamp, sweeps);
}

/* What submit writes into a sweep directory, and only that. */
static void remove_sweep_dir(const char *dir)
{
	static const char *const files[] = { MANIFEST, SCRIPT, JOBID_FILE };
	size_t i;

	for (i = 0; i < ZO_ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *p = zo_asprintf("%s/%s", dir, files[i]);

		if (p)
			unlink(p);
	}
	{
		_cleanup_free_ char *log = zo_asprintf("%s/" LOG_DIR, dir);

		if (log)
			rmdir(log);
	}
	rmdir(dir);
}

/* Write the manifest and the script into a directory of their own, then
 * rename it over the reserved (empty) sweep directory: the sweep appears
 * whole or not at all. */
static int write_sweep(struct zo_ctx *ctx, const char *sweeps, const char *sweep_dir,
		       const char *id, const char *manifest, const char *script)
{
	_cleanup_free_ char *tmp = zo_asprintf("%s/.%s.%ld.tmp", sweeps, id, (long)getpid());
	_cleanup_free_ char *m = tmp ? zo_asprintf("%s/" MANIFEST, tmp) : NULL;
	_cleanup_free_ char *s = tmp ? zo_asprintf("%s/" SCRIPT, tmp) : NULL;
	_cleanup_free_ char *log = tmp ? zo_asprintf("%s/" LOG_DIR, tmp) : NULL;
	int r;

	if (!m || !s || !log)
		return -ENOMEM;
	if (mkdir(tmp, 0755) < 0)
		return zo_fail(ctx, -errno, "cannot create %s: %s", tmp, strerror(errno));
	r = zo_write_file_atomic(m, manifest);
	if (r == 0)
		r = zo_write_file_atomic(s, script);
	if (r == 0 && mkdir(log, 0755) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, sweep_dir) < 0)
		r = -errno;
	if (r == 0)
		r = zo_syncfs(sweeps);
	if (r < 0) {
		remove_sweep_dir(tmp);
		return zo_fail(ctx, r, "cannot write the sweep to %s: %s", sweep_dir, strerror(-r));
	}
	return 0;
}

static void plan_submit(struct zo_ctx *ctx, const char *manifest_path, const char *manifest,
			const char *script_path, const char *script, char **argv)
{
	struct zo_strbuf sb = { 0 };
	_cleanup_free_ char *copy = strdup(manifest);
	char *line, *save = NULL;
	size_t i;

	zo_plan(ctx, "would write %s:", manifest_path);
	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		zo_plan(ctx, "  %s", line);
	zo_plan(ctx, "would write %s:", script_path);
	free(copy);
	copy = strdup(script);
	save = NULL;
	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		zo_plan(ctx, "  %s", line);
	for (i = 0; argv[i]; i++) {
		_cleanup_free_ char *q = zo_sh_quote(argv[i]);
		bool plain = strspn(argv[i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					     "0123456789-_=.,:/%@+") == strlen(argv[i]);

		zo_strbuf_appendf(&sb, "%s%s", i ? " " : "", plain || !q ? argv[i] : q);
	}
	zo_plan(ctx, "would run: %s", sb.buf ? sb.buf : "");
	zo_strbuf_release(&sb);
}

/* Slurm refuses a constraint naming a feature no node has: ask which
 * exist (under --dry-run, assume every one when Slurm cannot be asked). */
static int node_constraint(struct zo_ctx *ctx, uint64_t target_gb, char **ret)
{
	_cleanup_free_ char *why = NULL;
	char **features = NULL;
	int r = zo_slurm_features(&features, &why);

	if (r < 0 && ctx->dry_run) {
		zo_warn(&ctx->log, "cannot ask Slurm which node features exist (%s): the "
				   "constraint below names every address width",
			why ? why : strerror(-r));
	} else if (r < 0) {
		return zo_fail(ctx, r, "cannot ask Slurm which node features exist: %s; %s; "
				       "nothing was submitted",
			       why ? why : strerror(-r),
			       r == -ENOENT ? "install Slurm's client commands here, or submit from "
					      "a host that has them"
					    : "check that slurmctld runs ('scontrol ping') and "
					      "SLURM_CONF names the cluster's slurm.conf");
	} else {
		size_t i;
		bool zerosim = false;

		for (i = 0; features[i]; i++)
			zerosim |= !strcmp(features[i], "zerosim");
		if (!zerosim) {
			zo_strv_free(features);
			return zo_fail(ctx, -ENODEV, "no Slurm node has the feature zerosim: put each "
						     "node's 'zsim-orch slurm node-conf' line into "
						     "slurm.conf; nothing was submitted");
		}
	}
	r = zo_slurm_constraint(target_gb, features, ret);
	zo_strv_free(features);
	if (r == -ENODEV) {
		r = zo_fail(ctx, r, "no Slurm node can take a %llu GB target: it needs %s (EPT maps "
				    "too little with fewer address bits); nothing was submitted",
			    (unsigned long long)target_gb, *ret ? *ret : "EPT off");
		free(*ret);
		*ret = NULL;
	}
	return r;
}

static int sbatch_failed(struct zo_ctx *ctx, int r, const char *why, const char *sweep_dir)
{
	if (r == -ENOENT)
		return zo_fail(ctx, r, "%s; install Slurm's client commands here, or submit from a "
				       "host that has them; nothing was submitted",
			       why);
	return zo_fail(ctx, r, "sbatch failed: %s; check that slurmctld runs ('scontrol ping') "
			       "and SLURM_CONF names the cluster's slurm.conf; nothing was "
			       "submitted (%s removed)",
		       why ? why : strerror(-r), sweep_dir);
}

/* What the nodes must have: the largest target of the runs (or the one
 * asked for) and the longest timeout. */
static void runs_needs(const struct zo_job_file *job, const struct zo_slurm_submit_opts *o,
		       struct zo_slurm_submit_plan *p)
{
	size_t i;

	p->target_gb = o->target_gb;
	for (i = 0; i < job->runs; i++) {
		const struct zo_job_run *run = &job->expanded[i];
		struct zo_slurm_entry e = { .name = run->name, .experiment = run->experiment,
					    .argv = run->argv };
		uint64_t gb = o->target_gb ? 0 : zo_slurm_target_gb(&e);

		if (gb > p->target_gb)
			p->target_gb = gb;
		if (run->timeout_s > p->timeout_s)
			p->timeout_s = run->timeout_s;
	}
}

/* The sweep directory whole, then sbatch; its job ID recorded. When
 * sbatch fails the directory goes again. */
static int write_and_submit(struct zo_ctx *ctx, const char *sweeps, const char *sweep_dir,
			    const struct zo_slurm_manifest *m, const char *text,
			    const char *script, char **argv, char **ret_jobid)
{
	_cleanup_free_ char *jobid = NULL, *why = NULL, *jobid_path = NULL, *jobid_text = NULL;
	int r;

	r = write_sweep(ctx, sweeps, sweep_dir, m->sweep, text, script);
	if (r < 0)
		return r;
	r = zo_slurm_sbatch(argv, &jobid, &why);
	if (r < 0) {
		remove_sweep_dir(sweep_dir);
		zo_syncfs(sweeps);
		return sbatch_failed(ctx, r, why, sweep_dir);
	}
	zo_info(&ctx->log, "sweep %s: %zu runs, job %s", m->sweep, m->n, jobid);
	jobid_path = zo_asprintf("%s/" JOBID_FILE, sweep_dir);
	jobid_text = zo_asprintf("%s\n", jobid);
	r = jobid_path && jobid_text ? zo_write_file_atomic(jobid_path, jobid_text) : -ENOMEM;
	if (r < 0)
		/* submitted all the same: say so, do not undo */
		zo_warn(&ctx->log, "cannot record job %s in %s: %s", jobid,
			jobid_path ? jobid_path : sweep_dir, strerror(-r));
	*ret_jobid = TAKE_PTR(jobid);
	return 0;
}

int zo_slurm_submit(struct zo_ctx *ctx, const struct zo_slurm_submit_opts *o,
		    struct zo_diags *diags, struct zo_slurm_submitted *ret)
{
	struct zo_job_file job = { 0 };
	struct zo_slurm_manifest m = { 0 };
	struct zo_slurm_submit_plan p = { 0 };
	_cleanup_free_ char *sweeps = NULL, *sweep_dir = NULL, *manifest_path = NULL,
			    *script_path = NULL, *text = NULL, *script = NULL, *constraint = NULL;
	char **argv = NULL, submitted[40];
	time_t now = time(NULL);
	struct tm tm;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = zo_spool_read_job(ctx, o->job_file, &job, diags);
	if (r < 0)
		return r;
	runs_needs(&job, o, &p);
	if (!exists(o->shared)) {
		r = zo_fail(ctx, -ENOENT, "the shared results directory %s does not exist; mount it "
					  "here and on every node (NFS), or give another "
					  "--results-dir",
			    o->shared);
		goto out;
	}
	r = node_constraint(ctx, p.target_gb, &constraint);
	if (r < 0)
		goto out;
	sweeps = zo_asprintf("%s/sweeps", o->shared);
	if (!sweeps) {
		r = -ENOMEM;
		goto out;
	}
	if (!ctx->dry_run && mkdir(sweeps, 0755) < 0 && errno != EEXIST) {
		r = zo_fail(ctx, -errno, "cannot create %s: %s", sweeps, strerror(errno));
		goto out;
	}
	r = choose_sweep(ctx, o->shared, sweeps, job.name, &m.sweep);
	if (r < 0)
		goto out;
	localtime_r(&now, &tm);
	strftime(submitted, sizeof(submitted), "%Y-%m-%dT%H:%M:%S%z", &tm);
	m.job_file = strdup(job.name);
	m.results = zo_asprintf("%s/%s", o->shared, m.sweep);
	m.submitted = strdup(submitted);
	sweep_dir = zo_asprintf("%s/%s", sweeps, m.sweep);
	manifest_path = zo_asprintf("%s/" MANIFEST, sweep_dir);
	script_path = zo_asprintf("%s/" SCRIPT, sweep_dir);
	r = m.job_file && m.results && m.submitted && sweep_dir && manifest_path && script_path
		    ? manifest_from_job(&job, &m)
		    : -ENOMEM;
	if (r < 0)
		goto unreserve;

	p.sweep_dir = sweep_dir;
	p.script = script_path;
	p.job_name = m.sweep;
	p.n_runs = m.n;
	p.parallel = o->parallel;
	p.partition = o->partition;
	p.node_ram_gb = o->node_ram_gb;
	p.constraint = constraint;
	text = zo_slurm_manifest_text(&m);
	script = zo_slurm_batch_script(manifest_path);
	argv = zo_slurm_sbatch_argv(&p);
	if (!text || !script || !argv) {
		r = -ENOMEM;
		goto unreserve;
	}
	ret->sweep = strdup(m.sweep);
	ret->sweep_dir = strdup(sweep_dir);
	ret->n_runs = m.n;
	if (!ret->sweep || !ret->sweep_dir) {
		r = -ENOMEM;
		goto unreserve;
	}
	if (ctx->dry_run) {
		plan_submit(ctx, manifest_path, text, script_path, script, argv);
		goto out;
	}
	r = write_and_submit(ctx, sweeps, sweep_dir, &m, text, script, argv, &ret->jobid);
	if (r >= 0)
		goto out;
unreserve:
	if (sweep_dir && !ctx->dry_run)
		rmdir(sweep_dir);
out:
	if (r < 0)
		zo_slurm_submitted_release(ret);
	zo_strv_free(argv);
	zo_slurm_manifest_release(&m);
	zo_job_file_release(&job);
	return r;
}

/* ---- task ---- */

static int read_manifest(struct zo_ctx *ctx, const char *path, const char *node,
			 struct zo_slurm_manifest *ret)
{
	_cleanup_free_ char *text = NULL, *why = NULL;
	int r = zo_read_file(path, MANIFEST_MAX_BYTES, &text, NULL);

	if (r < 0)
		/* the shared directory missing on this node: another may have it */
		return zo_fail_transient(ctx, r, "cannot read the sweep manifest %s on %s: %s; is "
						 "the shared results directory mounted here?",
					 path, node ? node : "this node", strerror(-r));
	r = zo_slurm_manifest_parse(text, ret, &why);
	if (r < 0)
		return zo_fail(ctx, r, "%s: %s", path, why ? why : strerror(-r));
	return 0;
}

static int parse_index(const char *s, size_t n, size_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v >= n)
		return -ERANGE;
	*ret = (size_t)v;
	return 0;
}

/* A run that boots a target needs libvirt: when this node's does not
 * answer, another node's may (host-transient: exit 75, requeued). */
static int libvirt_answers_here(struct zo_ctx *ctx, const char *node)
{
	const char *uri = zo_config_get(ctx->config, "target", "uri");
	struct zo_virt_probe probe = { 0 };
	int r = zo_virt_probe_emulator(uri, LIBVIRT_TIMEOUT_MS, NULL, NULL, &probe, &ctx->log);

	if (r == 0 && !probe.answered)
		r = zo_fail_transient(ctx, -EHOSTDOWN, "libvirt at %s does not answer on %s: %s; the "
						       "task goes back to Slurm's queue",
				      uri, node ? node : "this node", probe.error ? probe.error : "?");
	else if (r < 0)
		r = zo_fail_transient(ctx, r, "cannot ask libvirt at %s whether it answers: %s; the "
					      "task goes back to Slurm's queue",
				      uri, strerror(-r));
	zo_virt_probe_release(&probe);
	return r;
}

int zo_slurm_task(struct zo_ctx *ctx, const char *manifest, const struct zo_slurm_task_env *env,
		  char **ret_results)
{
	struct zo_slurm_manifest m = { 0 };
	const char *array_job = env->array_job_id ? env->array_job_id : env->job_id;
	const char *restart = env->restart_count && *env->restart_count ? env->restart_count : "0";
	_cleanup_free_ char *dir = NULL, *index_s = NULL;
	struct zo_run_fact facts[7];
	char **argv = NULL;
	size_t index = 0, i;
	long long attempt;
	int r;

	*ret_results = NULL;
	if (!env->array_task_id || !array_job) {
		r = zo_fail(ctx, -EINVAL, "not an array task of a sweep: SLURM_ARRAY_TASK_ID and "
					  "SLURM_ARRAY_JOB_ID are not set ('zsim-orch slurm "
					  "submit' starts tasks)");
		ctx->fail_kind = ZO_FAIL_USAGE;
		return r;
	}
	if (zo_int_parse(restart, 0, 1000000, &attempt) < 0) {
		r = zo_fail(ctx, -EINVAL, "SLURM_RESTART_COUNT=%s: not a count", restart);
		ctx->fail_kind = ZO_FAIL_USAGE;
		return r;
	}
	r = read_manifest(ctx, manifest, env->node, &m);
	if (r < 0)
		return r;
	if (parse_index(env->array_task_id, m.n, &index) < 0) {
		r = zo_fail(ctx, -ERANGE, "SLURM_ARRAY_TASK_ID=%s: %s has runs 0 to %zu",
			    env->array_task_id, manifest, m.n ? m.n - 1 : 0);
		goto out;
	}
	dir = zo_slurm_attempt_dir(&m, index, array_job, (unsigned)attempt);
	index_s = zo_asprintf("%zu", index);
	argv = calloc(zo_strv_length(m.entries[index].argv) + 2, sizeof(char *));
	if (!dir || !index_s || !argv) {
		r = -ENOMEM;
		goto out;
	}
	argv[0] = m.entries[index].experiment;
	for (i = 0; m.entries[index].argv[i]; i++)
		argv[i + 1] = m.entries[index].argv[i];
	if (!ctx->dry_run) {
		/* a busy host is this node's state, not the run's */
		r = zo_host_lock(ctx, "slurm task");
		if (r == -EBUSY) {
			_cleanup_free_ char *busy = strdup(ctx->error);

			r = zo_fail_transient(ctx, r, "%s; the task goes back to Slurm's queue",
					      busy ? busy : "the host lock is held");
			goto out;
		}
		if (r < 0)
			goto out;
		if (zo_slurm_target_gb(&m.entries[index]) > 0) {
			r = libvirt_answers_here(ctx, env->node);
			if (r < 0)
				goto out;
		}
		r = zo_mkdir_parents(dir);
		if (r == 0 && mkdir(dir, 0755) < 0)
			r = -errno;
		if (r == -EEXIST) {
			r = zo_fail(ctx, r, "%s exists already: an attempt with restart count %s ran "
					    "before; two attempts never share a directory",
				    dir, restart);
			goto out;
		}
		if (r < 0) {
			r = zo_fail_transient(ctx, r, "cannot create %s: %s", dir, strerror(-r));
			goto out;
		}
	}
	facts[0] = (struct zo_run_fact){ "slurm_sweep", m.sweep };
	facts[1] = (struct zo_run_fact){ "slurm_job_id", env->job_id ? env->job_id : array_job };
	facts[2] = (struct zo_run_fact){ "slurm_array_job_id", array_job };
	facts[3] = (struct zo_run_fact){ "slurm_array_task_id", index_s };
	facts[4] = (struct zo_run_fact){ "slurm_node", env->node ? env->node : "" };
	facts[5] = (struct zo_run_fact){ "slurm_restart_count", restart };
	facts[6] = (struct zo_run_fact){ "slurm_run_name", m.entries[index].name };
	r = zo_run_argv_facts(ctx, dir, facts, ZO_ARRAY_SIZE(facts),
			      (int)zo_strv_length(m.entries[index].argv) + 1, argv, ret_results);
out:
	free(argv);
	zo_slurm_manifest_release(&m);
	return r;
}

/* ---- node-conf ---- */

int zo_slurm_node_facts(struct zo_ctx *ctx, const char *name, struct zo_slurm_node_facts *ret,
			char **ret_name)
{
	struct zo_hostinfo h;
	char host[256] = "";
	int r;

	memset(ret, 0, sizeof(*ret));
	*ret_name = NULL;
	if (!name) {
		if (gethostname(host, sizeof(host) - 1) < 0)
			return zo_fail(ctx, -errno, "cannot read the host name: %s", strerror(errno));
		host[strcspn(host, ".")] = '\0';
		name = host;
	}
	r = zo_hostinfo_read(ctx->root, zo_config_get(ctx->config, "kvm", "module"),
			     zo_config_get(ctx->config, "kvm", "param"), &h);
	if (r < 0)
		return zo_fail(ctx, r, "cannot read this host's facts: %s", strerror(-r));
	*ret_name = strdup(name);
	ret->name = *ret_name;
	ret->cpus = h.cpus;
	ret->mem_bytes = h.mem_err ? 0 : h.mem.mem_total;
	ret->zerosim = h.zerosim > 0;
	ret->ept = zo_host_module_loaded(&h.kvm) || h.kvm.state == ZO_MODULE_BUILTIN ? h.kvm.on : -1;
	ret->phys_bits = h.bits_err ? 0 : h.phys_bits;
	ret->swap_bytes = h.swap_active;
	zo_hostinfo_release(&h);
	if (!*ret_name)
		return -ENOMEM;
	if (!ret->cpus || !ret->mem_bytes)
		return zo_fail(ctx, -ENODATA, "cannot read the CPU count or MemTotal under %s/proc",
			       ctx->root);
	return 0;
}

int zo_slurm_node_conf_line(struct zo_ctx *ctx, const char *name, bool dynamic, char **ret)
{
	struct zo_slurm_node_facts f;
	_cleanup_free_ char *owned = NULL;
	int r = zo_slurm_node_facts(ctx, name, &f, &owned);

	if (r < 0)
		return r;
	*ret = zo_slurm_node_conf(&f, dynamic);
	return *ret ? 0 : -ENOMEM;
}

/* ---- healthcheck ---- */

void zo_slurm_health_release(struct zo_slurm_health *h)
{
	free(h->node);
	free(h->failures);
	free(h->reason);
	memset(h, 0, sizeof(*h));
}

static bool libvirt_answers(const struct zo_preflight_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++)
		if (!strcmp(rep->checks[i].name, "QEMU"))
			return rep->checks[i].level != ZO_CHECK_FAIL;
	return false;
}

/* The configured target running on a node Slurm calls idle: a job left it. */
static void check_leftover_target(struct zo_ctx *ctx, struct zo_strbuf *failures)
{
	const char *uri = zo_config_get(ctx->config, "target", "uri");
	const char *name = zo_config_get(ctx->config, "target", "name");
	struct zo_dom_info info;
	struct zo_virt *v = NULL;

	if (zo_virt_connect(uri, &v) < 0) {
		zo_virt_close(v);
		return;
	}
	if (zo_virt_dom_info(v, name, &info) == 0) {
		if (info.state == ZO_DOM_RUNNING || info.state == ZO_DOM_PAUSED)
			zo_strbuf_appendf(failures, "%starget: %s is %s on an idle node (zsim-orch "
						    "target destroy)",
					  failures->len ? "; " : "", name, info.state_name);
		zo_dom_info_release(&info);
	}
	zo_virt_close(v);
}

static int node_checks(struct zo_ctx *ctx, const struct zo_slurm_node_facts *f,
		       const struct zo_slurm_node *sn, struct zo_strbuf *failures)
{
	struct zo_preflight_report rep;
	_cleanup_free_ char *differ = NULL;
	int r;

	r = zo_preflight_check(ctx, 0, 1, &rep);
	if (r < 0)
		return r;
	if (zo_preflight_failed(&rep))
		zo_strbuf_append(failures, rep.failures);
	if (!f->swap_bytes)
		zo_strbuf_appendf(failures, "%sswap: none enabled (zsim-orch swap on, or thin "
					    "activate)",
				  failures->len ? "; " : "");
	differ = zo_slurm_features_differ(sn->features, sn->gres, f);
	if (differ)
		zo_strbuf_appendf(failures, "%sfeatures: %s", failures->len ? "; " : "", differ);
	if (libvirt_answers(&rep) && !strncasecmp(sn->state, "idle", 4))
		check_leftover_target(ctx, failures);
	zo_preflight_report_release(&rep);
	return 0;
}

int zo_slurm_healthcheck(struct zo_ctx *ctx, const char *node, struct zo_slurm_health *ret)
{
	struct zo_slurm_node_facts f;
	struct zo_slurm_node sn = { 0 };
	struct zo_strbuf failures = { 0 };
	_cleanup_free_ char *why = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = zo_slurm_node_facts(ctx, node, &f, &ret->node);
	if (r < 0)
		return r;
	r = zo_slurm_node_get(ret->node, &sn, &why);
	if (r < 0)
		return zo_fail(ctx, r, "cannot ask Slurm about node %s: %s", ret->node,
			       why ? why : strerror(-r));
	r = node_checks(ctx, &f, &sn, &failures);
	if (r < 0)
		goto out;
	ret->failures = failures.buf ? zo_strbuf_steal(&failures) : strdup("");
	if (!ret->failures) {
		r = -ENOMEM;
		goto out;
	}
	ret->action = zo_slurm_health_decide(sn.state, sn.reason, ret->failures, &ret->reason);
	if (ret->action == ZO_SLURM_HEALTH_NONE)
		goto out;
	if (ctx->dry_run) {
		if (ret->action == ZO_SLURM_HEALTH_DRAIN)
			zo_plan(ctx, "would run: scontrol update NodeName=%s State=DRAIN Reason='%s'",
				ret->node, ret->reason);
		else
			zo_plan(ctx, "would run: scontrol update NodeName=%s State=RESUME", ret->node);
		goto out;
	}
	r = zo_slurm_node_update(ret->node,
				 ret->action == ZO_SLURM_HEALTH_DRAIN ? "DRAIN" : "RESUME",
				 ret->action == ZO_SLURM_HEALTH_DRAIN ? ret->reason : NULL, &why);
	if (r < 0)
		r = zo_fail(ctx, r, "cannot %s node %s: %s",
			    ret->action == ZO_SLURM_HEALTH_DRAIN ? "drain" : "resume", ret->node,
			    why ? why : strerror(-r));
out:
	zo_strbuf_release(&failures);
	zo_slurm_node_release(&sn);
	return r;
}

/* ---- epilog ---- */

static int destroy_leftover(struct zo_ctx *ctx, bool *ret_destroyed)
{
	const char *uri = zo_config_get(ctx->config, "target", "uri");
	const char *name = zo_config_get(ctx->config, "target", "name");
	struct zo_virt_probe probe = { 0 };
	struct zo_dom_info info;
	struct zo_virt *v = NULL;
	int r;

	r = zo_virt_probe_emulator(uri, LIBVIRT_TIMEOUT_MS, NULL, NULL, &probe, &ctx->log);
	if (r == 0 && !probe.answered)
		r = zo_fail(ctx, -EIO, "libvirt at %s does not answer: %s; cannot make sure the "
				       "target %s is stopped (start libvirtd)",
			    uri, probe.error ? probe.error : "?", name);
	zo_virt_probe_release(&probe);
	if (r < 0)
		return r;
	r = zo_virt_connect(uri, &v);
	if (r == 0)
		r = zo_virt_dom_info(v, name, &info);
	if (r < 0) {
		r = zo_fail(ctx, r, "cannot look up the target %s at %s: %s", name, uri,
			    v ? zo_virt_error(v) : strerror(-r));
		zo_virt_close(v);
		return r;
	}
	if (info.state == ZO_DOM_RUNNING || info.state == ZO_DOM_PAUSED ||
	    info.state == ZO_DOM_OTHER) {
		if (ctx->dry_run) {
			zo_plan(ctx, "would destroy the target %s (%s)", name, info.state_name);
		} else {
			r = zo_virt_dom_destroy(v, name);
			if (r < 0)
				r = zo_fail(ctx, r, "cannot destroy the target %s left by the job: %s",
					    name, zo_virt_error(v));
			else
				*ret_destroyed = true;
		}
	}
	zo_dom_info_release(&info);
	zo_virt_close(v);
	return r;
}

int zo_slurm_epilog(struct zo_ctx *ctx, bool *ret_destroyed)
{
	struct zo_knob_sets sets = { 0 };
	int r;

	*ret_destroyed = false;
	r = destroy_leftover(ctx, ret_destroyed);
	if (r < 0)
		return r;
	r = zo_knobs_add_profile(ctx, &sets);
	if (r >= 0)
		r = zo_knobs_write(ctx, &sets);
	zo_knob_sets_release(&sets);
	return r;
}

/* ---- status ---- */

void zo_slurm_status_release(struct zo_slurm_status *s)
{
	size_t i;

	for (i = 0; s->runs && i < s->n; i++) {
		free(s->runs[i].settings);
		free(s->runs[i].node);
		free(s->runs[i].results);
	}
	free(s->runs);
	zo_slurm_manifest_release(&s->manifest);
	free(s->sweep_dir);
	free(s->jobid);
	free(s->slurm_error);
	memset(s, 0, sizeof(*s));
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* done (a .params and no .err), failed (.err), or running (neither yet);
 * the node from .params. */
static const char *attempt_state(const char *dir, char **ret_node)
{
	char **files = NULL;
	const char *state = "running";
	int i, n = zo_dir_list(dir, "", &files);

	for (i = 0; i < n; i++) {
		if (has_suffix(files[i], ".err")) {
			state = "failed";
		} else if (has_suffix(files[i], ".params")) {
			_cleanup_free_ char *p = zo_asprintf("%s/%s", dir, files[i]);
			json_object *o = p ? json_object_from_file(p) : NULL;

			if (strcmp(state, "failed"))
				state = "done";
			if (o && zo_json_get_str(o, "slurm_node") && !*ret_node)
				*ret_node = strdup(zo_json_get_str(o, "slurm_node"));
			if (o)
				json_object_put(o);
		}
	}
	zo_strv_free(files);
	return state;
}

/* The arguments that vary across the sweep, each with the option it
 * belongs to ("--seconds 4"), and the repeat when the sweep repeats. */
static char *settings_of(const struct zo_slurm_entry *e, const bool *vary, size_t n_vary,
			 bool repeats)
{
	struct zo_strbuf sb = { 0 };
	size_t k;

	for (k = 0; e->argv[k] && k < n_vary; k++) {
		if (!vary[k])
			continue;
		if (k > 0 && !vary[k - 1] && e->argv[k - 1][0] == '-')
			zo_strbuf_appendf(&sb, "%s%s", sb.len ? " " : "", e->argv[k - 1]);
		zo_strbuf_appendf(&sb, "%s%s", sb.len ? " " : "", e->argv[k]);
	}
	if (repeats)
		zo_strbuf_appendf(&sb, "%srepeat %u", sb.len ? " " : "", e->repeat);
	if (!sb.buf)
		zo_strbuf_append(&sb, "-");
	return zo_strbuf_steal(&sb);
}

static const struct zo_slurm_task *task_row(const struct zo_slurm_task *t, size_t n, size_t index)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].index == (long)index)
			return &t[i];
	return NULL;
}

static void run_status(struct zo_slurm_status *s, size_t index, char **dirs, int n_dirs,
		       const struct zo_slurm_task *tasks, size_t n_tasks, const bool *vary,
		       size_t n_vary, bool repeats)
{
	struct zo_slurm_run_status *rs = &s->runs[index];
	const struct zo_slurm_entry *e = &s->manifest.entries[index];
	const struct zo_slurm_task *t = task_row(tasks, n_tasks, index);
	_cleanup_free_ char *prefix = s->jobid ? zo_slurm_attempt_prefix(&s->manifest, index,
									  s->jobid)
					       : NULL;
	const char *last = NULL;
	long best = -1;
	int i;

	rs->index = index;
	rs->name = e->name;
	rs->settings = settings_of(e, vary, n_vary, repeats);
	for (i = 0; prefix && i < n_dirs; i++) {
		const char *rest;
		char *end;
		long k;

		if (!zo_startswith(dirs[i], prefix))
			continue;
		rest = dirs[i] + strlen(prefix);
		k = strtol(rest, &end, 10);
		if (end == rest || *end)
			continue;
		rs->attempts++;
		if (k > best) {
			best = k;
			last = dirs[i];
		}
	}
	rs->state = s->jobid ? "unknown" : "not submitted";
	if (last) {
		rs->results = zo_asprintf("%s/%s", s->manifest.results, last);
		rs->state = rs->results ? attempt_state(rs->results, &rs->node) : "unknown";
	}
	if (t && !strcmp(t->state, "PENDING"))
		rs->state = rs->attempts ? "requeued" : "pending";
	else if (t && (!strcmp(t->state, "RUNNING") || !strcmp(t->state, "COMPLETING")))
		rs->state = "running";
	else if (t && !last)
		rs->state = !strcmp(t->state, "COMPLETED") ? "done" : "failed";
	if (!rs->node && t && *t->node)
		rs->node = strdup(t->node);
}

int zo_slurm_status_read(struct zo_ctx *ctx, const char *sweep, const char *shared,
			 struct zo_slurm_status *ret)
{
	_cleanup_free_ char *manifest = NULL, *jobid_path = NULL, *why = NULL;
	struct zo_slurm_task *tasks = NULL;
	bool *vary = NULL, repeats = false;
	size_t n_tasks = 0, n_vary = 0, i;
	char **dirs = NULL;
	int n_dirs, r;

	memset(ret, 0, sizeof(*ret));
	if (strchr(sweep, '/'))
		ret->sweep_dir = strdup(sweep);
	else if (shared)
		ret->sweep_dir = zo_asprintf("%s/sweeps/%s", shared, sweep);
	else
		return zo_fail(ctx, -EINVAL, "sweep %s: give --results-dir SHARED, or the sweep's "
					     "directory (SHARED/sweeps/%s)",
			       sweep, sweep);
	manifest = ret->sweep_dir ? zo_asprintf("%s/" MANIFEST, ret->sweep_dir) : NULL;
	jobid_path = ret->sweep_dir ? zo_asprintf("%s/" JOBID_FILE, ret->sweep_dir) : NULL;
	if (!manifest || !jobid_path)
		return -ENOMEM;
	r = read_manifest(ctx, manifest, NULL, &ret->manifest);
	if (r < 0) {
		/* no sweep here: the caller's mistake, not the host's */
		ctx->fail_kind = ZO_FAIL_ERROR;
		return r;
	}
	if (zo_read_line(jobid_path, &ret->jobid) == 0 && ret->jobid[0]) {
		r = zo_slurm_array_tasks(ret->jobid, &tasks, &n_tasks, &why);
		if (r < 0)
			ret->slurm_error = TAKE_PTR(why);
	}
	ret->runs = calloc(ret->manifest.n ? ret->manifest.n : 1, sizeof(*ret->runs));
	if (!ret->runs || zo_slurm_varying_args(&ret->manifest, &vary, &n_vary) < 0) {
		zo_slurm_tasks_free(tasks, n_tasks);
		return -ENOMEM;
	}
	ret->n = ret->manifest.n;
	for (i = 0; i < ret->n; i++)
		repeats |= ret->manifest.entries[i].repeat > 1;
	n_dirs = zo_dir_list(ret->manifest.results, "", &dirs);
	for (i = 0; i < ret->n; i++)
		run_status(ret, i, dirs, n_dirs < 0 ? 0 : n_dirs, tasks, n_tasks, vary, n_vary,
			   repeats);
	zo_strv_free(dirs);
	free(vary);
	zo_slurm_tasks_free(tasks, n_tasks);
	return 0;
}
