#include "cmd/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"
#include "util/json.h"
#include "util/path.h"
#include "util/str.h"

#include "util/banned.h"

const char *const zo_spool_states[ZO_SPOOL_STATES] = { "queued", "running", "done", "failed" };

int zo_spool_open(struct zo_ctx *ctx, struct zo_spool *s, bool create)
{
	const char *dirs[] = { "incoming", "queued", "running", "done", "failed", "rejected" };
	size_t i;

	s->dir = zo_path(ctx->root, zo_config_get(ctx->config, "paths", "spool"));
	s->state = s->dir ? zo_asprintf("%s/.zsim", s->dir) : NULL;
	if (!s->state)
		return -ENOMEM;
	if (!create)
		return access(s->dir, F_OK) == 0 ? 0 : -errno;
	if (mkdir(s->dir, 02770) == 0) {
		/* members of group zsim drop jobs; files inherit the group */
		struct group *g = getgrnam("zsim");

		if (g && chown(s->dir, 0, g->gr_gid) < 0)
			return -errno;
		chmod(s->dir, 02770);
	} else if (errno != EEXIST) {
		return -errno;
	}
	if (mkdir(s->state, 0755) < 0 && errno != EEXIST)
		return -errno;
	for (i = 0; i < ZO_ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *p = zo_asprintf("%s/%s", s->state, dirs[i]);

		if (!p)
			return -ENOMEM;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
	}
	return 0;
}

void zo_spool_release(struct zo_spool *s)
{
	free(s->dir);
	free(s->state);
	memset(s, 0, sizeof(*s));
}

char *zo_spool_path(const struct zo_spool *s, const char *state, const char *id,
		    const char *file)
{
	if (!id)
		return zo_asprintf("%s/%s", s->state, state);
	if (!file)
		return zo_asprintf("%s/%s/%s", s->state, state, id);
	return zo_asprintf("%s/%s/%s/%s", s->state, state, id, file);
}

const char *zo_spool_find(const struct zo_spool *s, const char *id)
{
	size_t i;

	if (strchr(id, '/') || id[0] == '.')
		return NULL;
	for (i = 0; i < ZO_SPOOL_STATES; i++) {
		_cleanup_free_ char *p = zo_spool_path(s, zo_spool_states[i], id, NULL);

		if (p && access(p, F_OK) == 0)
			return zo_spool_states[i];
	}
	return NULL;
}

json_object *zo_spool_read_meta(const struct zo_spool *s, const char *state, const char *id)
{
	_cleanup_free_ char *p = zo_spool_path(s, state, id, "job.json");

	return p ? json_object_from_file(p) : NULL;
}

int zo_spool_write_meta(const struct zo_spool *s, const char *state, const char *id,
			json_object *meta)
{
	_cleanup_free_ char *p = zo_spool_path(s, state, id, "job.json");

	return p ? zo_write_file_replace(p, zo_json_text(meta)) : -ENOMEM;
}

int zo_spool_list(const struct zo_spool *s, const char *state, char ***ret)
{
	_cleanup_free_ char *p = zo_spool_path(s, state, NULL, NULL);
	char **v = NULL;
	int n, i, k = 0;

	if (!p)
		return -ENOMEM;
	n = zo_dir_list(p, "", &v);
	if (n < 0)
		return n;
	/* an interrupted write's leftovers are not runs */
	for (i = 0; i < n; i++) {
		if (strstr(v[i], ".tmp"))
			free(v[i]);
		else
			v[k++] = v[i];
	}
	v[k] = NULL;
	*ret = v;
	return k;
}

int zo_spool_move(const struct zo_spool *s, const char *id, const char *from, const char *to)
{
	_cleanup_free_ char *a = zo_spool_path(s, from, id, NULL);
	_cleanup_free_ char *b = zo_spool_path(s, to, id, NULL);

	if (!a || !b)
		return -ENOMEM;
	return rename(a, b) < 0 ? -errno : 0;
}

int zo_spool_submit(const struct zo_spool *s, const char *name, const char *text,
		    char **ret_path)
{
	_cleanup_free_ char *tmp = zo_asprintf("%s/.%s.tmp", s->dir, name);
	char *final = zo_asprintf("%s/%s.job", s->dir, name);
	int fd, r = 0;
	size_t len = strlen(text);

	if (!tmp || !final) {
		free(final);
		return -ENOMEM;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0) {
		free(final);
		return -errno;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	close(fd);
	/* never replace a job file that is still waiting to be claimed */
	if (r == 0 && access(final, F_OK) == 0)
		r = -EEXIST;
	if (r == 0 && rename(tmp, final) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	if (r < 0) {
		free(final);
		return r;
	}
	*ret_path = final;
	return 0;
}

int zo_spool_sync(const struct zo_spool *s)
{
	return zo_syncfs(s->state);
}
