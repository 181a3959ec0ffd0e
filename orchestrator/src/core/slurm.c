#include "core/slurm.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/experiment.h"
#include "core/preflight.h"
#include "util/json.h"
#include "util/macros.h"
#include "util/str.h"

#include "util/banned.h"

/* x86-64's widest physical address; the narrowest a 0sim host has. */
#define MAX_PABITS 52
#define MIN_PABITS 36

/* ---- manifest ---- */

static json_object *entry_json(const struct zo_slurm_entry *e, size_t index)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	size_t i;

	zo_json_add_u64(o, "index", index);
	zo_json_add_str(o, "name", e->name);
	zo_json_add_str(o, "experiment", e->experiment);
	for (i = 0; e->argv && e->argv[i]; i++)
		json_object_array_add(a, json_object_new_string(e->argv[i]));
	json_object_object_add(o, "args", a);
	zo_json_add_u64(o, "repeat", e->repeat);
	zo_json_add_u64(o, "timeout_s", e->timeout_s);
	return o;
}

char *zo_slurm_manifest_text(const struct zo_slurm_manifest *m)
{
	json_object *head = json_object_new_object();
	struct zo_strbuf sb = { 0 };
	const char *h;
	size_t i, len;

	zo_json_add_str(head, "sweep", m->sweep);
	zo_json_add_str(head, "job_file", m->job_file);
	zo_json_add_str(head, "results", m->results);
	zo_json_add_str(head, "submitted", m->submitted);
	zo_json_add_u64(head, "n", m->n);
	/* {"sweep": ..., "runs": [\n{entry},\n{entry}\n]}: one object per
	 * line, compact, written by json-c so strings are escaped its way */
	h = json_object_to_json_string_ext(head, JSON_C_TO_STRING_PLAIN);
	len = strlen(h);
	zo_strbuf_appendf(&sb, "%.*s,\"runs\":[\n", (int)(len - 1), h);
	json_object_put(head);
	for (i = 0; i < m->n; i++) {
		json_object *e = entry_json(&m->entries[i], i);

		zo_strbuf_appendf(&sb, "%s%s\n", json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN),
				  i + 1 < m->n ? "," : "");
		json_object_put(e);
	}
	zo_strbuf_append(&sb, "]}\n");
	return zo_strbuf_steal(&sb);
}

void zo_slurm_manifest_release(struct zo_slurm_manifest *m)
{
	size_t i;

	for (i = 0; m->entries && i < m->n; i++) {
		free(m->entries[i].name);
		free(m->entries[i].experiment);
		zo_strv_free(m->entries[i].argv);
	}
	free(m->entries);
	free(m->sweep);
	free(m->job_file);
	free(m->results);
	free(m->submitted);
	memset(m, 0, sizeof(*m));
}

static char *dup_str(json_object *o, const char *key)
{
	const char *v = zo_json_get_str(o, key);

	return v ? strdup(v) : NULL;
}

static bool get_u64(json_object *o, const char *key, uint64_t *ret)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return false;
	*ret = (uint64_t)json_object_get_int64(v);
	return true;
}

static int parse_entry(json_object *o, size_t index, struct zo_slurm_entry *e, char **ret_error)
{
	json_object *args;
	uint64_t idx = 0, repeat = 0;
	size_t i, n;

	if (!json_object_is_type(o, json_type_object) || !get_u64(o, "index", &idx) ||
	    idx != index || !zo_json_get_str(o, "name") || !zo_json_get_str(o, "experiment") ||
	    !json_object_object_get_ex(o, "args", &args) ||
	    !json_object_is_type(args, json_type_array) || !get_u64(o, "repeat", &repeat) ||
	    !get_u64(o, "timeout_s", &e->timeout_s)) {
		*ret_error = zo_asprintf("run %zu: not an entry with index, name, experiment, "
					 "args, repeat and timeout_s",
					 index);
		return -EINVAL;
	}
	e->repeat = (unsigned)repeat;
	e->name = dup_str(o, "name");
	e->experiment = dup_str(o, "experiment");
	n = (size_t)json_object_array_length(args);
	e->argv = calloc(n + 1, sizeof(char *));
	if (!e->name || !e->experiment || !e->argv)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(args, (int)i);

		if (!json_object_is_type(a, json_type_string)) {
			*ret_error = zo_asprintf("run %zu: an argument is not a string", index);
			return -EINVAL;
		}
		e->argv[i] = strdup(json_object_get_string(a));
		if (!e->argv[i])
			return -ENOMEM;
	}
	return 0;
}

int zo_slurm_manifest_parse(const char *text, struct zo_slurm_manifest *ret, char **ret_error)
{
	json_object *o = json_tokener_parse(text), *runs;
	struct zo_slurm_manifest m = { 0 };
	uint64_t n = 0;
	size_t i;
	int r = 0;

	*ret_error = NULL;
	if (!o || !json_object_is_type(o, json_type_object) || !zo_json_get_str(o, "sweep") ||
	    !zo_json_get_str(o, "results") || !json_object_object_get_ex(o, "runs", &runs) ||
	    !json_object_is_type(runs, json_type_array) || !get_u64(o, "n", &n) ||
	    n != (uint64_t)json_object_array_length(runs)) {
		*ret_error = strdup("not a sweep manifest (JSON with sweep, results, n and runs)");
		if (o)
			json_object_put(o);
		return -EINVAL;
	}
	m.sweep = dup_str(o, "sweep");
	m.job_file = dup_str(o, "job_file");
	m.results = dup_str(o, "results");
	m.submitted = dup_str(o, "submitted");
	m.entries = calloc(n ? n : 1, sizeof(*m.entries));
	if (!m.sweep || !m.results || !m.entries)
		r = -ENOMEM;
	for (i = 0; r == 0 && i < n; i++) {
		m.n = i + 1;
		r = parse_entry(json_object_array_get_idx(runs, (int)i), i, &m.entries[i], ret_error);
	}
	json_object_put(o);
	if (r < 0) {
		zo_slurm_manifest_release(&m);
		return r;
	}
	m.n = n;
	*ret = m;
	return 0;
}

char *zo_slurm_attempt_prefix(const struct zo_slurm_manifest *m, size_t index,
			      const char *array_job_id)
{
	return zo_asprintf("%s-%s_%zu-r", m->entries[index].name, array_job_id, index);
}

char *zo_slurm_attempt_dir(const struct zo_slurm_manifest *m, size_t index,
			   const char *array_job_id, unsigned restart)
{
	_cleanup_free_ char *prefix = zo_slurm_attempt_prefix(m, index, array_job_id);

	return prefix ? zo_asprintf("%s/%s%u", m->results, prefix, restart) : NULL;
}

/* ---- requirements ---- */

uint64_t zo_slurm_target_gb(const struct zo_slurm_entry *e)
{
	const struct zo_experiment *x = zo_experiment_find(e->experiment);
	struct zo_exp_args a;
	char *why = NULL;
	uint64_t gb = 0;
	size_t i;

	if (!x || zo_exp_parse(x, (int)zo_strv_length(e->argv), e->argv, &a, &why) < 0) {
		free(why);
		return 0;
	}
	for (i = 0; i < x->n_params; i++)
		if (!strcmp(x->params[i].name, "vm_size"))
			gb = zo_exp_get_uint(&a, "vm_size");
	zo_exp_args_release(&a);
	return gb;
}

static bool have(char *const *features, const char *name)
{
	size_t i;

	if (!features)
		return true;
	for (i = 0; features[i]; i++)
		if (!strcmp(features[i], name))
			return true;
	return false;
}

int zo_slurm_constraint(uint64_t target_gb, char *const *features, char **ret)
{
	struct zo_strbuf sb = { 0 }, alt = { 0 };
	unsigned bits = MIN_PABITS, need, terms = 0;

	*ret = NULL;
	/* preflight refuses EPT when the target is at least what the
	 * address bits map */
	while (bits <= MAX_PABITS && target_gb >= zo_ept_limit_gb(bits))
		bits++;
	if (bits == MIN_PABITS) {
		*ret = strdup("zerosim");
		return *ret ? 0 : -ENOMEM;
	}
	need = bits;
	if (have(features, "ept_off")) {
		zo_strbuf_append(&alt, "ept_off");
		terms++;
	}
	for (; bits <= MAX_PABITS; bits++) {
		char name[16];

		snprintf(name, sizeof(name), "pabits%u", bits);
		if (have(features, name)) {
			zo_strbuf_appendf(&alt, "%s%s", terms ? "|" : "", name);
			terms++;
		}
	}
	if (!terms) {
		zo_strbuf_release(&alt);
		*ret = need > MAX_PABITS ? strdup("ept_off")
					 : zo_asprintf("ept_off, or pabits%u or more", need);
		return -ENODEV;
	}
	if (terms == 1)
		zo_strbuf_appendf(&sb, "zerosim&%s", alt.buf);
	else
		zo_strbuf_appendf(&sb, "zerosim&(%s)", alt.buf);
	zo_strbuf_release(&alt);
	*ret = zo_strbuf_steal(&sb);
	return *ret ? 0 : -ENOMEM;
}

uint64_t zo_slurm_swap_gb(uint64_t target_gb, uint64_t node_ram_gb)
{
	return target_gb > node_ram_gb ? target_gb - node_ram_gb : 0;
}

char *zo_sh_quote(const char *text)
{
	struct zo_strbuf sb = { 0 };
	const char *p;

	zo_strbuf_append(&sb, "'");
	for (p = text; *p; p++) {
		if (*p == '\'')
			zo_strbuf_append(&sb, "'\\''");
		else
			zo_strbuf_appendf(&sb, "%c", *p);
	}
	zo_strbuf_append(&sb, "'");
	return zo_strbuf_steal(&sb);
}

char *zo_slurm_batch_script(const char *manifest_path)
{
	_cleanup_free_ char *q = zo_sh_quote(manifest_path);

	return q ? zo_asprintf("#!/bin/sh\n"
			       "# One run of a zsim sweep: the array task's entry of the manifest.\n"
			       "exec zsim-orch slurm task %s\n",
			       q)
		 : NULL;
}

static int push(char ***v, size_t *n, char *s)
{
	char **grown;

	if (!s)
		return -ENOMEM;
	grown = realloc(*v, (*n + 2) * sizeof(char *));
	if (!grown) {
		free(s);
		return -ENOMEM;
	}
	*v = grown;
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
	return 0;
}

char **zo_slurm_sbatch_argv(const struct zo_slurm_submit_plan *p)
{
	const char *constraint = p->constraint;
	uint64_t swap = zo_slurm_swap_gb(p->target_gb, p->node_ram_gb);
	char **v = NULL;
	size_t n = 0;
	int r = 0;

	if (!constraint || !p->n_runs)
		return NULL;
	r |= push(&v, &n, strdup("sbatch"));
	r |= push(&v, &n, strdup("--parsable"));
	if (p->parallel && p->parallel < p->n_runs)
		r |= push(&v, &n, zo_asprintf("--array=0-%zu%%%u", p->n_runs - 1, p->parallel));
	else
		r |= push(&v, &n, zo_asprintf("--array=0-%zu", p->n_runs - 1));
	r |= push(&v, &n, strdup("--exclusive"));
	r |= push(&v, &n, strdup("--requeue"));
	r |= push(&v, &n, zo_asprintf("--constraint=%s", constraint));
	if (swap)
		r |= push(&v, &n, zo_asprintf("--gres=" ZO_SLURM_GRES ":%llu",
					      (unsigned long long)swap));
	if (p->node_ram_gb)
		r |= push(&v, &n, zo_asprintf("--mem=%lluG", (unsigned long long)p->node_ram_gb));
	if (p->timeout_s)
		r |= push(&v, &n, zo_asprintf("--time=%llu",
					      (unsigned long long)((p->timeout_s + ZO_SLURM_GRACE_S +
								    59) / 60)));
	r |= push(&v, &n, zo_asprintf("--signal=B:TERM@%d", ZO_SLURM_GRACE_S));
	if (p->partition)
		r |= push(&v, &n, zo_asprintf("--partition=%s", p->partition));
	r |= push(&v, &n, zo_asprintf("--job-name=%s", p->job_name));
	r |= push(&v, &n, zo_asprintf("--chdir=%s", p->sweep_dir));
	r |= push(&v, &n, zo_asprintf("--output=%s/log/%%A_%%a.log", p->sweep_dir));
	r |= push(&v, &n, strdup("--open-mode=append"));
	r |= push(&v, &n, strdup(p->script));
	if (r < 0)
		return zo_strv_free(v);
	return v;
}

/* ---- nodes ---- */

uint64_t zo_slurm_node_swap_gb(uint64_t swap_bytes)
{
	return swap_bytes >> 30;
}

char *zo_slurm_node_features(const struct zo_slurm_node_facts *f)
{
	struct zo_strbuf sb = { 0 };

	if (f->zerosim)
		zo_strbuf_append(&sb, "zerosim");
	if (f->ept >= 0)
		zo_strbuf_appendf(&sb, "%s%s", sb.len ? "," : "", f->ept ? "ept_on" : "ept_off");
	if (f->phys_bits)
		zo_strbuf_appendf(&sb, "%spabits%u", sb.len ? "," : "", f->phys_bits);
	if (!sb.buf)
		zo_strbuf_append(&sb, "");
	return zo_strbuf_steal(&sb);
}

char *zo_slurm_node_conf(const struct zo_slurm_node_facts *f, bool dynamic)
{
	_cleanup_free_ char *features = zo_slurm_node_features(f);
	struct zo_strbuf sb = { 0 };

	if (!features)
		return NULL;
	if (!dynamic)
		zo_strbuf_appendf(&sb, "NodeName=%s ", f->name);
	zo_strbuf_appendf(&sb, "CPUs=%u RealMemory=%llu", f->cpus ? f->cpus : 1,
			  (unsigned long long)(f->mem_bytes >> 20));
	if (*features)
		zo_strbuf_appendf(&sb, " Features=%s", features);
	zo_strbuf_appendf(&sb, " Gres=" ZO_SLURM_GRES ":no_consume:%llu",
			  (unsigned long long)zo_slurm_node_swap_gb(f->swap_bytes));
	return zo_strbuf_steal(&sb);
}

enum zo_slurm_health_action zo_slurm_health_decide(const char *state, const char *reason,
						   const char *failures, char **ret_reason)
{
	/* "drained", "draining", "IDLE+DRAIN", "drained*" */
	bool drained = strcasestr(state, "drain") != NULL;
	bool ours = !strncmp(reason, ZO_SLURM_REASON_PREFIX, strlen(ZO_SLURM_REASON_PREFIX));
	_cleanup_free_ char *want = NULL;

	*ret_reason = NULL;
	if (!*failures)
		return drained && ours ? ZO_SLURM_HEALTH_RESUME : ZO_SLURM_HEALTH_NONE;
	/* someone else's drain (or a maintenance reason on a node that is not
	 * drained) is theirs to lift */
	if (drained && !ours)
		return ZO_SLURM_HEALTH_NONE;
	want = zo_asprintf(ZO_SLURM_REASON_PREFIX " %.*s", 250 - (int)strlen(ZO_SLURM_REASON_PREFIX) - 1,
			   failures);
	if (!want)
		return ZO_SLURM_HEALTH_NONE;
	/* Slurm keeps the reason as given; the same drain again is nothing */
	if (drained && !strcmp(reason, want))
		return ZO_SLURM_HEALTH_NONE;
	*ret_reason = TAKE_PTR(want);
	return ZO_SLURM_HEALTH_DRAIN;
}

/* Slurm shows a count as "2K" or "10239": in units of 1024 with K, M, G. */
static bool gres_count(const char *gres, uint64_t *ret)
{
	const char *p = strstr(gres, ZO_SLURM_GRES ":");
	char *end;
	unsigned long long v;

	if (!p)
		return false;
	p += strlen(ZO_SLURM_GRES ":");
	if (!strncmp(p, "no_consume:", 11))
		p += 11;
	if (!isdigit((unsigned char)*p))
		return false;
	v = strtoull(p, &end, 10);
	if (*end == 'K')
		v <<= 10;
	else if (*end == 'M')
		v <<= 20;
	else if (*end == 'G')
		v <<= 30;
	*ret = v;
	return true;
}

char *zo_slurm_features_differ(const char *advertised_features, const char *advertised_gres,
			       const struct zo_slurm_node_facts *host)
{
	_cleanup_free_ char *features = zo_slurm_node_features(host);
	uint64_t want = zo_slurm_node_swap_gb(host->swap_bytes), have = 0;
	bool gres_ok;

	if (!features)
		return NULL;
	if (!strcmp(advertised_features, "(null)"))
		advertised_features = "";
	if (strcmp(advertised_features, features))
		return zo_asprintf("Features=%s in slurm.conf but the host is %s (zsim-orch slurm "
				   "node-conf prints its line)",
				   *advertised_features ? advertised_features : "(none)",
				   *features ? features : "(none)");
	gres_ok = gres_count(advertised_gres, &have);
	/* more swap than advertised is no harm; less sends targets that
	 * do not fit */
	if (!gres_ok || have > want)
		return zo_asprintf("Gres=%s in slurm.conf but the kernel enabled %llu GiB of swap "
				   "(zsim-orch slurm node-conf prints its line)",
				   *advertised_gres ? advertised_gres : "(none)",
				   (unsigned long long)want);
	return NULL;
}

int zo_slurm_varying_args(const struct zo_slurm_manifest *m, bool **ret, size_t *ret_n)
{
	size_t i, k, longest = 0;
	bool *v;

	for (i = 0; i < m->n; i++)
		longest = zo_strv_length(m->entries[i].argv) > longest ? zo_strv_length(m->entries[i].argv) : longest;
	v = calloc(longest ? longest : 1, sizeof(bool));
	if (!v)
		return -ENOMEM;
	for (i = 1; i < m->n; i++) {
		char **a = m->entries[0].argv, **b = m->entries[i].argv;
		size_t na = zo_strv_length(a), nb = zo_strv_length(b);

		for (k = 0; k < longest; k++)
			if ((k < na) != (k < nb) || (k < na && strcmp(a[k], b[k])))
				v[k] = true;
	}
	*ret = v;
	*ret_n = longest;
	return 0;
}
