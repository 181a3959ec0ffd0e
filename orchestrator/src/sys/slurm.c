#include "sys/slurm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/macros.h"
#include "util/spawn.h"
#include "util/str.h"

#include "util/banned.h"

/* sbatch retries an unreachable controller for about 10 s, a missing
 * slurm.conf for 60 s; the others answer at once or not at all. The
 * health check must finish within Slurm's 60 s. */
#define SBATCH_TIMEOUT_MS 120000
#define QUERY_TIMEOUT_MS 30000

/* The health check and epilog run with an empty environment. */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* What a failed command said: its last non-empty stderr line (Slurm's
 * "sbatch: error: ..."), else its stdout's, else its status. */
static char *last_words(const struct zo_spawn_result *res)
{
	const char *texts[] = { res->err, res->out };
	size_t i;

	for (i = 0; i < ZO_ARRAY_SIZE(texts); i++) {
		_cleanup_free_ char *copy = strdup(texts[i] ? texts[i] : "");
		char *line, *save = NULL, *last = NULL;

		if (!copy)
			return NULL;
		for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			if (*zo_strstrip(line))
				last = line;
		if (last)
			return strdup(zo_strstrip(last));
	}
	return zo_asprintf("exit status %d", res->status);
}

static int run(char *const argv[], unsigned timeout_ms, char **ret_out, char **ret_error)
{
	struct zo_spawn_result res;
	int r;

	*ret_error = NULL;
	if (!getenv("PATH") || !*getenv("PATH"))
		setenv("PATH", DEFAULT_PATH, 1);
	if (!zo_have_program(argv[0])) {
		*ret_error = zo_asprintf("%s is not installed (Debian: apt-get install "
					 "slurm-client; EL: yum install slurm)",
					 argv[0]);
		return -ENOENT;
	}
	r = zo_spawn_run(argv, timeout_ms, &res);
	if (r < 0) {
		*ret_error = zo_asprintf("cannot run %s: %s", argv[0], strerror(-r));
		return r;
	}
	if (res.timed_out) {
		*ret_error = zo_asprintf("%s did not finish within %u s", argv[0], timeout_ms / 1000);
		r = -ETIMEDOUT;
	} else if (res.status != 0) {
		*ret_error = last_words(&res);
		r = -EIO;
	} else if (ret_out) {
		*ret_out = TAKE_PTR(res.out);
	}
	zo_spawn_result_release(&res);
	return r;
}

int zo_slurm_run(char *const argv[], char **ret_out, char **ret_error)
{
	return run(argv, QUERY_TIMEOUT_MS, ret_out, ret_error);
}

int zo_slurm_sbatch(char *const argv[], char **ret_jobid, char **ret_error)
{
	_cleanup_free_ char *out = NULL;
	int r = run(argv, SBATCH_TIMEOUT_MS, &out, ret_error);
	char *id;

	if (r < 0)
		return r;
	/* --parsable: "JOBID" or "JOBID;CLUSTER" */
	id = zo_strstrip(out);
	id[strcspn(id, ";\n")] = '\0';
	if (!*id || strspn(id, "0123456789") != strlen(id)) {
		*ret_error = zo_asprintf("sbatch printed '%s', not a job ID", id);
		return -EIO;
	}
	*ret_jobid = strdup(id);
	return *ret_jobid ? 0 : -ENOMEM;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int zo_slurm_features(char ***ret, char **ret_error)
{
	char *argv[] = { (char *)"sinfo", (char *)"-h", (char *)"-o", (char *)"%f", NULL };
	_cleanup_free_ char *out = NULL;
	char **v = NULL, *tok, *save = NULL;
	size_t n = 0, i;
	int r;

	r = run(argv, QUERY_TIMEOUT_MS, &out, ret_error);
	if (r < 0)
		return r;
	v = calloc(1, sizeof(char *));
	for (tok = strtok_r(out, ",\n", &save); v && tok; tok = strtok_r(NULL, ",\n", &save)) {
		char **grown;

		tok = zo_strstrip(tok);
		if (!*tok || !strcmp(tok, "(null)"))
			continue;
		for (i = 0; i < n && strcmp(v[i], tok); i++)
			;
		if (i < n)
			continue;
		grown = realloc(v, (n + 2) * sizeof(char *));
		if (!grown)
			break;
		v = grown;
		v[n] = strdup(tok);
		v[++n] = NULL;
		if (!v[n - 1])
			break;
	}
	if (!v || tok) {
		zo_strv_free(v);
		return -ENOMEM;
	}
	qsort(v, n, sizeof(char *), by_name);
	*ret = v;
	return 0;
}

void zo_slurm_node_release(struct zo_slurm_node *n)
{
	free(n->state);
	free(n->reason);
	free(n->features);
	free(n->gres);
	memset(n, 0, sizeof(*n));
}

/* Split `line` at '|' into exactly n fields (pointers into it). */
static bool fields(char *line, char **f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		f[i] = line;
		line = strchr(line, '|');
		if (!line)
			return i + 1 == n;
		*line++ = '\0';
	}
	return false;
}

static char *none_as_empty(const char *s)
{
	return strdup(!strcmp(s, "none") || !strcmp(s, "(null)") ? "" : s);
}

int zo_slurm_node_get(const char *name, struct zo_slurm_node *ret, char **ret_error)
{
	char *argv[] = { (char *)"sinfo", (char *)"-h", (char *)"-N", (char *)"-n", (char *)name,
			 (char *)"-o", (char *)"%T|%E|%f|%G", NULL };
	_cleanup_free_ char *out = NULL;
	char *f[4];
	int r;

	memset(ret, 0, sizeof(*ret));
	r = run(argv, QUERY_TIMEOUT_MS, &out, ret_error);
	if (r < 0)
		return r;
	/* one line per partition the node is in: the first says it all */
	out[strcspn(out, "\n")] = '\0';
	if (!*out || !fields(out, f, 4)) {
		*ret_error = zo_asprintf("Slurm has no node %s (sinfo -N lists them)", name);
		return -ENODEV;
	}
	ret->state = strdup(f[0]);
	ret->reason = none_as_empty(f[1]);
	ret->features = none_as_empty(f[2]);
	ret->gres = none_as_empty(f[3]);
	if (!ret->state || !ret->reason || !ret->features || !ret->gres) {
		zo_slurm_node_release(ret);
		return -ENOMEM;
	}
	return 0;
}

int zo_slurm_node_update(const char *name, const char *state, const char *reason,
			 char **ret_error)
{
	_cleanup_free_ char *node = zo_asprintf("NodeName=%s", name);
	_cleanup_free_ char *st = zo_asprintf("State=%s", state);
	_cleanup_free_ char *why = reason ? zo_asprintf("Reason=%s", reason) : NULL;
	char *argv[] = { (char *)"scontrol", (char *)"update", node, st, why, NULL };

	*ret_error = NULL;
	if (!node || !st || (reason && !why))
		return -ENOMEM;
	return run(argv, QUERY_TIMEOUT_MS, NULL, ret_error);
}

void zo_slurm_tasks_free(struct zo_slurm_task *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].state);
		free(v[i].node);
		free(v[i].reason);
	}
	free(v);
}

int zo_slurm_array_tasks(const char *jobid, struct zo_slurm_task **ret, size_t *ret_n,
			 char **ret_error)
{
	char *argv[] = { (char *)"squeue", (char *)"-h", (char *)"-r", (char *)"-t", (char *)"all",
			 (char *)"-j", (char *)jobid, (char *)"-o", (char *)"%K|%T|%N|%r", NULL };
	_cleanup_free_ char *out = NULL;
	struct zo_slurm_task *v = NULL;
	char *line, *save = NULL;
	size_t n = 0;
	int r;

	r = run(argv, QUERY_TIMEOUT_MS, &out, ret_error);
	if (r < 0) {
		/* a job the controller has forgotten (past MinJobAge) is no error */
		if (r == -EIO && *ret_error && strstr(*ret_error, "Invalid job id")) {
			free(*ret_error);
			*ret_error = NULL;
			*ret = NULL;
			*ret_n = 0;
			return 0;
		}
		return r;
	}
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct zo_slurm_task *grown;
		char *f[4], *end;

		if (!fields(line, f, 4))
			continue;
		grown = realloc(v, (n + 1) * sizeof(*v));
		if (!grown) {
			zo_slurm_tasks_free(v, n);
			return -ENOMEM;
		}
		v = grown;
		v[n].index = strtol(f[0], &end, 10);
		if (end == f[0] || *end)
			v[n].index = -1;
		v[n].state = strdup(f[1]);
		v[n].node = strdup(f[2]);
		v[n].reason = none_as_empty(f[3]);
		n++;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
