#include "ops/results.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "util/file.h"
#include "util/path.h"
#include "util/spawn.h"
#include "util/str.h"

#include "util/banned.h"

/* the results directory, a spool's NAME-ID/, a sweep's <sweep>/<run>/ */
#define SCAN_DEPTH 3
#define PARAMS_MAX (4u << 20)
#define ERR_MAX (64u << 10)
#define HEAD_BYTES 4096
#define TAIL_BYTES 64
#define CHUNK (1u << 20)

char *zo_results_default_dir(struct zo_ctx *ctx)
{
	const char *dir = zo_config_get(ctx->config, "paths", "results");

	return zo_path(ctx->root, dir && *dir ? dir : "/var/lib/zsim/results");
}

void zo_results_release(struct zo_results *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		zo_rset_release(&r->sets[i]);
	free(r->sets);
	r->sets = NULL;
	r->n = 0;
}

/* ---- one directory's entries ----------------------------------------- */

struct entry {
	char *name;
	unsigned char type; /* DT_REG, DT_DIR, DT_UNKNOWN, ... */
};

struct listing {
	struct entry *v;
	size_t n;
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static void listing_release(struct listing *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
}

/* Takes `fd`. Hidden names left out; sorted. */
static int list_dir(int fd, struct listing *ret)
{
	struct listing l = { NULL, 0 };
	size_t cap = 0;
	struct dirent *de;
	DIR *d = fdopendir(fd);

	if (!d) {
		int r = -errno;

		close(fd);
		return r;
	}
	while ((errno = 0, de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (l.n == cap) {
			struct entry *nv = realloc(l.v, (cap = cap ? cap * 2 : 64) * sizeof(*nv));

			if (!nv)
				goto nomem;
			l.v = nv;
		}
		l.v[l.n].name = strdup(de->d_name);
		l.v[l.n].type = de->d_type;
		if (!l.v[l.n++].name)
			goto nomem;
	}
	closedir(d);
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), entry_cmp);
	*ret = l;
	return 0;
nomem:
	closedir(d);
	listing_release(&l);
	return -ENOMEM;
}

static bool listed(const struct listing *l, const char *name)
{
	struct entry probe = { (char *)name, 0 };

	return bsearch(&probe, l->v, l->n, sizeof(*l->v), entry_cmp) != NULL;
}

/* Whether dir/name (relative to dfd) exists: from the listing when there
 * is one. */
static bool has_file(int dfd, const struct listing *l, const char *base, const char *ext)
{
	_cleanup_free_ char *name = zo_asprintf("%s.%s", base, ext);

	if (!name)
		return false;
	return l ? listed(l, name) : faccessat(dfd, name, F_OK, 0) == 0;
}

static int read_at(int dfd, const char *name, size_t max, char **ret)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((size_t)st.st_size > max)
		return -EFBIG;
	return zo_read_fd(fd, max, ret, NULL);
}

/* ---- reading one set ---------------------------------------------------- */

static void set_mtime(struct zo_rset *s, int dfd)
{
	_cleanup_free_ char *name = zo_asprintf("%s.params", s->base);
	struct stat st;
	struct tm tm;
	char buf[40];

	if (!name || fstatat(dfd, name, &st, 0) < 0)
		return;
	s->time = st.st_mtime;
	if (!s->timestamp && localtime_r(&st.st_mtime, &tm) &&
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S%z", &tm))
		s->timestamp = strdup(buf);
}

static void stream_files(struct zo_rset *s, int dfd, void *acc, char *buf, size_t cap,
			 int *ret_errno);

/* A format without quick() whose files together are at most this big is
 * read whole for `results ls` (a memcached .out of 1 TiB is ~1 MiB). */
#define SMALL_DATA (256u << 10)

/* heads[0] and the truncation check from the data files: their ends
 * (quick()), or the whole of small ones. */
static void quick_data(struct zo_rset *s, int dfd)
{
	size_t nf = zo_rformat_nfiles(s->fmt), i;
	char head[HEAD_BYTES], tail[TAIL_BYTES];
	uint64_t total = 0;
	ssize_t h = 0, t = 0;

	for (i = 0; i < nf && !s->broken; i++) {
		_cleanup_free_ char *name = zo_asprintf("%s.%s", s->base, s->fmt->exts[i]);
		_cleanup_close_ int fd = name ? openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY)
					      : -1;
		struct stat st;

		if (fd < 0 || fstat(fd, &st) < 0) {
			zo_rset_break(s, "%s.%s is missing", s->base, s->fmt->exts[i]);
			break;
		}
		total += (uint64_t)st.st_size;
		h = t = 0;
		if (st.st_size > 0) {
			h = pread(fd, head, sizeof(head), 0);
			t = pread(fd, tail, sizeof(tail),
				  st.st_size > TAIL_BYTES ? st.st_size - TAIL_BYTES : 0);
		}
		if (i == 0 && s->fmt->quick)
			s->fmt->quick(s, head, h > 0 ? (size_t)h : 0, tail, t > 0 ? (size_t)t : 0,
				      (uint64_t)st.st_size);
		else if (st.st_size > 0 && (t <= 0 || tail[t - 1] != '\n'))
			zo_rset_break(s, "%s.%s ends in the middle of a line: truncated", s->base,
				      s->fmt->exts[i]);
	}
	if (!s->broken && !s->fmt->quick && total <= SMALL_DATA) {
		char *buf = malloc(SMALL_DATA + 1);
		void *acc = buf ? s->fmt->open() : NULL;
		int err = 0;

		if (acc) {
			stream_files(s, dfd, acc, buf, SMALL_DATA + 1, &err);
			if (!err)
				s->fmt->finish(acc, s);
			s->fmt->close(acc);
		}
		free(buf);
	}
	/* a failed run's data may well stop short: it is failed, not broken */
	if (s->failed && s->broken) {
		free(s->broken);
		s->broken = NULL;
		memset(s->have_head, 0, sizeof(s->have_head));
	}
}

static int read_set(int dfd, const struct listing *l, struct zo_rset *s, unsigned flags)
{
	_cleanup_free_ char *params = NULL, *err = NULL;
	_cleanup_free_ char *pname = zo_asprintf("%s.params", s->base);
	_cleanup_free_ char *ename = zo_asprintf("%s.err", s->base);
	int r;

	if (!pname || !ename)
		return -ENOMEM;
	r = read_at(dfd, pname, PARAMS_MAX, &params);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		zo_rset_break(s, "cannot read %s.params: %s", s->base, strerror(-r));
	else if (zo_rset_parse_params(s, params, flags & ZO_RSCAN_FACTS) == -ENOMEM)
		return -ENOMEM;
	if (!s->time)
		set_mtime(s, dfd);
	if (has_file(dfd, l, s->base, "err")) {
		r = read_at(dfd, ename, ERR_MAX, &err);
		if (r < 0)
			err = zo_asprintf("(cannot read %s.err: %s)", s->base, strerror(-r));
		if (!err || zo_rset_parse_err(s, err) < 0)
			return -ENOMEM;
	}
	if (!s->broken && s->fmt)
		quick_data(s, dfd);
	return 0;
}

/* ---- scanning ----------------------------------------------------------- */

static int add_set(struct zo_results *out, const char *dir, const char *params_name)
{
	struct zo_rset *v;
	size_t len = strlen(params_name) - strlen(".params");

	if ((out->n & (out->n - 1)) == 0) {
		v = realloc(out->sets, (out->n ? out->n * 2 : 16) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		out->sets = v;
	}
	v = &out->sets[out->n];
	memset(v, 0, sizeof(*v));
	v->dir = strdup(dir);
	v->base = zo_asprintf("%.*s", (int)len, params_name);
	out->n++;
	return v->dir && v->base ? 0 : -ENOMEM;
}

static bool is_type(int dfd, const struct entry *e, unsigned char type)
{
	struct stat st;

	if (e->type != DT_UNKNOWN)
		return e->type == type;
	if (fstatat(dfd, e->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	return type == DT_DIR ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode);
}

static int scan_dir(int fd, const char *path, int depth, unsigned flags, struct zo_results *out)
{
	struct listing l = { 0 };
	size_t i, first = out->n;
	int dfd = dup(fd), r;

	if (dfd < 0)
		return -errno;
	r = list_dir(dfd, &l);
	if (r < 0)
		return r;
	for (i = 0; i < l.n && r >= 0; i++) {
		const struct entry *e = &l.v[i];
		size_t len = strlen(e->name);

		if (len > 7 && !strcmp(e->name + len - 7, ".params") && is_type(fd, e, DT_REG)) {
			r = add_set(out, path, e->name);
		} else if (depth < SCAN_DEPTH && is_type(fd, e, DT_DIR)) {
			_cleanup_close_ int sub =
				openat(fd, e->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			_cleanup_free_ char *subpath = zo_asprintf("%s/%s", path, e->name);

			/* an unreadable directory below is not this listing's failure */
			if (sub >= 0 && subpath)
				r = scan_dir(sub, subpath, depth + 1, flags, out);
			else if (!subpath)
				r = -ENOMEM;
			if (r == -ENOMEM)
				break;
			r = 0;
		}
	}
	for (i = first; i < out->n && r >= 0 && !(flags & ZO_RSCAN_NAMES); i++)
		if (!strcmp(out->sets[i].dir, path))
			r = read_set(fd, &l, &out->sets[i], flags);
	listing_release(&l);
	return r;
}

static int set_cmp(const void *a, const void *b)
{
	const struct zo_rset *x = a, *y = b;
	int r;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	r = strcmp(x->dir, y->dir);
	return r ? r : strcmp(x->base, y->base);
}

int zo_results_scan(struct zo_ctx *ctx, const char *dir, unsigned flags, struct zo_results *ret)
{
	struct zo_results out = { NULL, 0 };
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return zo_fail(ctx, -errno, "cannot read the results directory %s: %s", dir,
			       strerror(errno));
	r = scan_dir(fd, dir, 0, flags, &out);
	if (r < 0) {
		zo_results_release(&out);
		return zo_fail(ctx, r, "cannot list result sets in %s: %s", dir, strerror(-r));
	}
	if (!out.n) {
		free(out.sets);
		return zo_fail(ctx, -ENOENT,
			       "no result sets in %s (a result set is the files of one run, found "
			       "by its .params); give the directory 'zsim-orch run' or a sweep "
			       "wrote to",
			       dir);
	}
	qsort(out.sets, out.n, sizeof(*out.sets), set_cmp);
	*ret = out;
	return 0;
}

/* ---- one set by name ------------------------------------------------------ */

static int read_one(struct zo_ctx *ctx, const char *dir, const char *base, struct zo_rset *ret)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct zo_rset s = { 0 };
	int r;

	if (fd < 0)
		return zo_fail(ctx, -errno, "cannot read %s: %s", dir, strerror(errno));
	s.dir = strdup(dir);
	s.base = strdup(base);
	r = s.dir && s.base ? read_set(fd, NULL, &s, ZO_RSCAN_FACTS) : -ENOMEM;
	if (r < 0) {
		zo_rset_release(&s);
		return zo_fail(ctx, r, "cannot read %s/%s: %s", dir, base, strerror(-r));
	}
	*ret = s;
	return 0;
}

/* dir/base of a .params named by a path, if there is one. */
static int params_of_path(const char *path, char **ret_dir, char **ret_base)
{
	_cleanup_free_ char *p = NULL;
	char *slash, *dot;
	struct stat st;
	size_t len = strlen(path);

	if (len > 2 && !strcmp(path + len - 2, ".*"))
		p = zo_asprintf("%.*s.params", (int)(len - 2), path);
	else if (len > 7 && !strcmp(path + len - 7, ".params"))
		p = strdup(path);
	else
		p = zo_asprintf("%s.params", path);
	if (!p)
		return -ENOMEM;
	if (stat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
		/* another file of the set: BASE.out */
		slash = strrchr(path, '/');
		dot = strrchr(path, '.');
		if (!dot || (slash && dot < slash) || stat(path, &st) < 0)
			return -ENOENT;
		free(p);
		p = zo_asprintf("%.*s.params", (int)(dot - path), path);
		if (!p)
			return -ENOMEM;
		if (stat(p, &st) < 0 || !S_ISREG(st.st_mode))
			return -ENOENT;
	}
	p[strlen(p) - 7] = '\0';
	slash = strrchr(p, '/');
	*ret_dir = slash ? zo_asprintf("%.*s", (int)(slash == p ? 1 : slash - p), p) : strdup(".");
	*ret_base = strdup(slash ? slash + 1 : p);
	return *ret_dir && *ret_base ? 0 : -ENOMEM;
}

static const char *last_component(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The sets of `dir` that `name` names: the exact ones if any, else those
 * it is the start of. */
static size_t matching(const struct zo_results *all, const char *dir, const char *name,
		       size_t *idx, size_t max)
{
	size_t i, n = 0;
	int pass;

	for (pass = 0; pass < 2 && !n; pass++)
		for (i = 0; i < all->n; i++) {
			const struct zo_rset *s = &all->sets[i];
			bool hit = pass == 0 ? !strcmp(s->base, name) ||
						       (strcmp(s->dir, dir) &&
							!strcmp(last_component(s->dir), name))
					     : zo_startswith(s->base, name);

			if (hit && n < max)
				idx[n] = i;
			n += hit;
		}
	return n;
}

static int ambiguous(struct zo_ctx *ctx, const char *name, const struct zo_results *all,
		     const size_t *idx, size_t n, size_t shown)
{
	struct zo_strbuf sb = { 0 };
	size_t i;
	int r;

	for (i = 0; i < shown && i < n; i++)
		zo_strbuf_appendf(&sb, "%s%s/%s", i ? ", " : "", all->sets[idx[i]].dir,
				  all->sets[idx[i]].base);
	r = zo_fail(ctx, -EINVAL, "'%s' names %zu result sets (%s%s); give more of the name or "
				  "a path",
		    name, n, sb.buf ? sb.buf : "", n > shown ? ", ..." : "");
	ctx->fail_kind = ZO_FAIL_USAGE;
	zo_strbuf_release(&sb);
	return r;
}

int zo_results_find(struct zo_ctx *ctx, const char *dir, const char *name, struct zo_rset *ret)
{
	_cleanup_free_ char *pdir = NULL, *pbase = NULL;
	struct zo_results all = { NULL, 0 };
	const char *where = dir;
	size_t idx[4], n;
	struct stat st;
	int r;

	r = params_of_path(name, &pdir, &pbase);
	if (r == 0)
		return read_one(ctx, pdir, pbase, ret);
	if (r == -ENOMEM)
		return zo_fail(ctx, r, "out of memory");
	if (stat(name, &st) == 0 && S_ISDIR(st.st_mode))
		where = name;
	else if (strchr(name, '/'))
		return zo_fail(ctx, -ENOENT, "%s: not a result set (no %s.params); 'zsim-orch "
					     "results ls DIR' lists them",
			       name, name);
	r = zo_results_scan(ctx, where, ZO_RSCAN_NAMES, &all);
	if (r < 0 && where == dir) {
		char why[sizeof(ctx->error)];

		snprintf(why, sizeof(why), "%s", ctx->error);
		return zo_fail(ctx, r, "no result set '%s': not a path to one, and %s", name, why);
	}
	if (r < 0)
		return r;
	n = where == name ? all.n : matching(&all, dir, name, idx, ZO_ARRAY_SIZE(idx));
	if (where == name)
		for (r = 0; r < (int)ZO_ARRAY_SIZE(idx) && r < (int)n; r++)
			idx[r] = (size_t)r;
	if (n == 1)
		r = read_one(ctx, all.sets[idx[0]].dir, all.sets[idx[0]].base, ret);
	else if (n == 0)
		r = zo_fail(ctx, -ENOENT, "no result set '%s' in %s; 'zsim-orch results ls %s' "
					  "lists them",
			    name, dir, dir);
	else
		r = ambiguous(ctx, name, &all, idx, n, ZO_ARRAY_SIZE(idx));
	zo_results_release(&all);
	return r;
}

/* ---- streaming ------------------------------------------------------------ */

/* Feed each of the set's data files (relative to dfd) to `acc`, in
 * chunks of `cap`. A missing file breaks the set (unless it failed); a
 * read error is left in *ret_errno. */
static void stream_files(struct zo_rset *s, int dfd, void *acc, char *buf, size_t cap,
			 int *ret_errno)
{
	size_t nf = zo_rformat_nfiles(s->fmt), i;
	ssize_t n;

	*ret_errno = 0;
	for (i = 0; i < nf; i++) {
		_cleanup_free_ char *name = zo_asprintf("%s.%s", s->base, s->fmt->exts[i]);
		_cleanup_close_ int fd = name ? openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY)
					      : -1;

		if (fd < 0) {
			if (!s->failed)
				zo_rset_break(s, "%s.%s is missing", s->base, s->fmt->exts[i]);
			*ret_errno = ENOENT;
			return;
		}
#ifdef POSIX_FADV_SEQUENTIAL
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
		while ((n = read(fd, buf, cap)) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				*ret_errno = errno;
				return;
			}
			s->fmt->feed(acc, i, buf, (size_t)n);
		}
	}
}

/* Feed the set's whole data files to its format; on success *ret_acc is
 * the finished accumulator (NULL when there is no data file to read). */
static int stream(struct zo_ctx *ctx, struct zo_rset *s, void **ret_acc)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int dfd = -1;
	void *acc;
	int err;

	*ret_acc = NULL;
	if (s->broken || !s->fmt)
		return 0;
	buf = malloc(CHUNK);
	acc = s->fmt->open();
	if (!buf || !acc) {
		if (acc)
			s->fmt->close(acc);
		return zo_fail(ctx, -ENOMEM, "out of memory");
	}
	dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		err = errno;
		s->fmt->close(acc);
		return zo_fail(ctx, -err, "cannot read %s: %s", s->dir, strerror(err));
	}
	stream_files(s, dfd, acc, buf, CHUNK, &err);
	if (err == ENOENT) {
		s->fmt->close(acc);
		return 0;
	}
	if (err) {
		s->fmt->close(acc);
		return zo_fail(ctx, -err, "cannot read %s/%s's data: %s", s->dir, s->base,
			       strerror(err));
	}
	memset(s->have_head, 0, sizeof(s->have_head));
	s->fmt->finish(acc, s);
	*ret_acc = acc;
	return 0;
}

int zo_results_measure(struct zo_ctx *ctx, struct zo_rset *s)
{
	void *acc = NULL;
	int r = stream(ctx, s, &acc);

	if (acc)
		s->fmt->close(acc);
	/* a failed run's data may well stop short: it is failed, not broken */
	if (s->failed && s->broken && acc) {
		free(s->broken);
		s->broken = NULL;
	}
	return r;
}

int zo_results_timings(struct zo_ctx *ctx, const struct zo_rset *s, struct zo_rtiming **ret,
		       size_t *ret_n)
{
	_cleanup_free_ char *path = zo_asprintf("%s/%s.time", s->dir, s->base);
	_cleanup_free_ char *text = NULL;
	int r;

	*ret = NULL;
	*ret_n = 0;
	if (!path)
		return zo_fail(ctx, -ENOMEM, "out of memory");
	r = zo_read_file(path, ERR_MAX, &text, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return zo_fail(ctx, r, "cannot read %s: %s", path, strerror(-r));
	r = zo_rtimings_parse(text, ret, ret_n);
	return r < 0 ? zo_fail(ctx, r, "out of memory") : 0;
}

int zo_results_files(struct zo_ctx *ctx, const struct zo_rset *s, char ***ret)
{
	_cleanup_free_ char *prefix = zo_asprintf("%s.", s->base);
	int r = prefix ? zo_dir_list(s->dir, prefix, ret) : -ENOMEM;

	return r < 0 ? zo_fail(ctx, r, "cannot list %s: %s", s->dir, strerror(-r)) : r;
}

int zo_results_since(struct zo_ctx *ctx, const char *text, long long *ret)
{
	struct tm tm;
	const char *end;
	char unit = 0;
	long long n;
	int used = 0, r;

	if (sscanf(text, "%lld%c%n", &n, &unit, &used) == 2 && !text[used] && n >= 0 &&
	    (unit == 'm' || unit == 'h' || unit == 'd')) {
		*ret = (long long)time(NULL) - n * (unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400);
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(text, "%Y-%m-%d", &tm);
	if (end && (*end == 'T' || *end == ' '))
		end = strptime(end + 1, "%H:%M", &tm);
	if (end && *end == ':')
		end = strptime(end + 1, "%S", &tm);
	if (end && !*end) {
		tm.tm_isdst = -1;
		*ret = (long long)mktime(&tm);
		return 0;
	}
	r = zo_fail(ctx, -EINVAL, "--since %s: give a date (2026-12-01, 2026-12-01T14:30) or an "
				  "age (90m, 12h, 7d)",
		    text);
	ctx->fail_kind = ZO_FAIL_USAGE;
	return r;
}

int zo_results_write(struct zo_ctx *ctx, const char *path, const char *text)
{
	int r = zo_write_file_atomic(path, text);

	return r < 0 ? zo_fail(ctx, r, "cannot write %s: %s", path, strerror(-r)) : 0;
}

/* ---- plotting ------------------------------------------------------------- */

struct plot {
	struct zo_ctx *ctx;
	struct zo_rset *const *sets; /* of one format */
	size_t n;
	const struct zo_rformat *fmt;
	struct zo_rcurves *curves; /* [figure * n + set] */
	char **titles;		   /* a set's */
};

static void plot_release(struct plot *p)
{
	size_t i;

	for (i = 0; p->curves && i < p->fmt->n_figures * p->n; i++)
		zo_rcurves_release(&p->curves[i]);
	free(p->curves);
	zo_strv_free(p->titles);
}

/* A set that cannot be drawn stops the plot: say which and why. */
static int plottable(struct zo_ctx *ctx, const struct zo_rset *s)
{
	const char *why;

	if (s->broken)
		return zo_fail(ctx, -EINVAL, "cannot plot %s/%s: %s", s->dir, s->base, s->broken);
	if (!s->fmt)
		return zo_fail(ctx, -EINVAL, "%s/%s: %s results have no figures", s->dir, s->base,
			       s->experiment);
	if (s->fmt->needs_tsc && !(s->tsc_khz > 0))
		return zo_fail(ctx, -EINVAL, "cannot plot %s/%s: its .params records no TSC "
					     "frequency (tsc_khz), so its cycle counts cannot be "
					     "put on a time axis",
			       s->dir, s->base);
	why = s->fmt->unplottable ? s->fmt->unplottable(s) : NULL;
	if (why)
		return zo_fail(ctx, -EINVAL, "cannot plot %s/%s: %s", s->dir, s->base, why);
	return 0;
}

/* Each set's data files read once, into every figure's curves. */
static int plot_series(struct plot *p)
{
	size_t i, f;
	int r;

	p->curves = calloc(p->fmt->n_figures * p->n, sizeof(*p->curves));
	if (!p->curves)
		return zo_fail(p->ctx, -ENOMEM, "out of memory");
	for (i = 0; i < p->n; i++) {
		struct zo_rset *s = p->sets[i];
		void *acc = NULL;

		r = stream(p->ctx, s, &acc);
		if (r >= 0 && (s->broken || !acc))
			r = plottable(p->ctx, s);
		if (r >= 0 && !acc)
			r = zo_fail(p->ctx, -EINVAL, "cannot plot %s/%s: its data file was not read",
				    s->dir, s->base);
		for (f = 0; r >= 0 && f < p->fmt->n_figures; f++)
			r = p->fmt->series(acc, s, f, &p->curves[f * p->n + i]);
		if (acc)
			p->fmt->close(acc);
		if (r == -ENOMEM)
			return zo_fail(p->ctx, r, "out of memory");
		if (r < 0)
			return p->ctx->error[0] ? r : plottable(p->ctx, s);
	}
	return 0;
}

/* The legend: the settings that differ between the plotted sets; the
 * time too when that leaves two alike. */
static int plot_titles(struct plot *p)
{
	char **keys = NULL;
	size_t i, j;
	int n = zo_rsets_varying((const struct zo_rset *const *)p->sets, p->n, &keys);

	p->titles = n >= 0 ? calloc(p->n + 1, sizeof(char *)) : NULL;
	for (i = 0; p->titles && i < p->n; i++) {
		p->titles[i] = n > 0 ? zo_rset_describe(p->sets[i], keys) : strdup(p->sets[i]->base);
		if (!p->titles[i])
			break;
	}
	for (i = 0; p->titles && n > 0 && i < p->n; i++)
		for (j = 0; j < p->n; j++)
			if (i != j && p->titles[j] && !strncmp(p->titles[i], p->titles[j],
							       strlen(p->titles[j]))) {
				char *t = zo_asprintf("%s %s", p->titles[i],
						      p->sets[i]->timestamp ? p->sets[i]->timestamp
									    : p->sets[i]->base);

				free(p->titles[i]);
				p->titles[i] = t;
				break;
			}
	zo_strv_free(keys);
	for (i = 0; p->titles && i < p->n; i++)
		if (!p->titles[i])
			return zo_fail(p->ctx, -ENOMEM, "out of memory");
	return p->titles ? 0 : zo_fail(p->ctx, -ENOMEM, "out of memory");
}

/* Every curve of figure f, each set's in turn, and its legend entry: the
 * set's title and the curve's label ("local"), or either alone. */
static int figure_curves(struct plot *p, size_t f, const struct zo_rseries ***ret_v,
			 char ***ret_titles, size_t *ret_n)
{
	const struct zo_rseries **v;
	char **titles;
	size_t i, j, n = 0, k = 0;

	for (i = 0; i < p->n; i++)
		n += p->curves[f * p->n + i].n;
	v = calloc(n + 1, sizeof(*v));
	titles = calloc(n + 1, sizeof(*titles));
	for (i = 0; v && titles && i < p->n; i++)
		for (j = 0; j < p->curves[f * p->n + i].n; j++, k++) {
			const struct zo_rseries *c = &p->curves[f * p->n + i].v[j];

			v[k] = c;
			titles[k] = !c->label ? strdup(p->titles[i])
				    : p->n == 1 ? strdup(c->label)
						: zo_asprintf("%s %s", p->titles[i], c->label);
			if (!titles[k])
				break;
		}
	if (!v || !titles || k < n) {
		free(v);
		zo_strv_free(titles);
		return zo_fail(p->ctx, -ENOMEM, "out of memory");
	}
	*ret_v = v;
	*ret_titles = titles;
	*ret_n = n;
	return 0;
}

static int run_gnuplot(struct zo_ctx *ctx, const char *script, const char *image,
		       const char *dir)
{
	char *argv[] = { (char *)"gnuplot", (char *)script, NULL };
	_cleanup_free_ char *out = NULL;
	struct stat st;
	int rc = zo_spawn_capture(argv, &out);

	if (rc == 127 || rc == -ENOENT)
		return zo_fail(ctx, -ENOENT, "gnuplot is not installed: install gnuplot (CentOS) "
					     "or gnuplot-nox (Debian); the data and scripts are "
					     "in %s (gnuplot FILE.gp draws one)",
			       dir);
	if (rc < 0)
		return zo_fail(ctx, rc, "cannot run gnuplot: %s", strerror(-rc));
	if (rc != 0)
		return zo_fail(ctx, -EIO, "gnuplot %s exited %d: %.*s", script, rc,
			       (int)strcspn(out ? out : "", "\n"), out ? out : "");
	if (stat(image, &st) < 0 || st.st_size == 0)
		return zo_fail(ctx, -EIO, "gnuplot %s drew nothing into %s: %.*s", script, image,
			       (int)strcspn(out ? out : "", "\n"), out ? out : "");
	return 0;
}

static int plot_figure(struct plot *p, size_t f, const char *dir, const char *terminal,
		       char **ret_image)
{
	const struct zo_rfigure *fig = &p->fmt->figures[f];
	struct zo_strbuf dat = { 0 };
	_cleanup_free_ char *stem = zo_asprintf("%s/%s-%s", dir, p->fmt->name, fig->name);
	_cleanup_free_ char *dpath = stem ? zo_asprintf("%s.dat", stem) : NULL;
	_cleanup_free_ char *gpath = stem ? zo_asprintf("%s.gp", stem) : NULL;
	_cleanup_free_ char *image = stem ? zo_asprintf("%s.%s", stem, terminal) : NULL;
	_cleanup_free_ char *script = NULL;
	_cleanup_free_ const struct zo_rseries **v = NULL;
	char **titles = NULL;
	double range[4];
	size_t n = 0;
	int r;

	if (!image)
		return zo_fail(p->ctx, -ENOMEM, "out of memory");
	r = figure_curves(p, f, &v, &titles, &n);
	if (r < 0)
		return r;
	if (zo_rplot_data(v, n, titles, &dat) < 0) {
		zo_strv_free(titles);
		return zo_fail(p->ctx, -ENOMEM, "out of memory");
	}
	zo_rplot_ranges(fig, v, n, range);
	script = zo_rplot_script(fig, p->sets[0]->experiment, terminal, image, dpath, titles, n,
				 range);
	zo_strv_free(titles);
	r = script ? zo_results_write(p->ctx, dpath, dat.buf) : zo_fail(p->ctx, -ENOMEM, "oom");
	zo_strbuf_release(&dat);
	if (r >= 0)
		r = zo_results_write(p->ctx, gpath, script);
	if (r >= 0)
		r = run_gnuplot(p->ctx, gpath, image, dir);
	if (r >= 0)
		*ret_image = TAKE_PTR(image);
	return r;
}

/* The output directory, made and made absolute (the scripts name their
 * files by absolute paths, so they run from anywhere). */
static int plot_dir(struct zo_ctx *ctx, const char *outdir, char **ret)
{
	char abs[PATH_MAX];
	const char *c;
	int r = zo_mkdir_parents(outdir);

	if (r == 0 && mkdir(outdir, 0755) < 0 && errno != EEXIST)
		r = -errno;
	if (r < 0 || !realpath(outdir, abs))
		return zo_fail(ctx, r < 0 ? r : -errno, "cannot use %s for the figures: %s", outdir,
			       strerror(r < 0 ? -r : errno));
	for (c = abs; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == '`' || *c == '\'')
			return zo_fail(ctx, -EINVAL, "cannot plot into %s: a gnuplot script cannot "
						     "name it (quote, backquote or control "
						     "character); choose another --out",
				       abs);
	*ret = strdup(abs);
	return *ret ? 0 : zo_fail(ctx, -ENOMEM, "out of memory");
}

int zo_results_plot(struct zo_ctx *ctx, struct zo_rset *sets, size_t n, const char *outdir,
		    const char *terminal, char ***ret_images)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_free_ struct zo_rset **group = calloc(n + 1, sizeof(*group));
	_cleanup_free_ bool *drawn = calloc(n + 1, sizeof(*drawn));
	char **images = calloc(1, sizeof(*images));
	size_t i, f, k = 0;
	int r = group && drawn && images ? 0 : zo_fail(ctx, -ENOMEM, "out of memory");

	for (i = 0; r >= 0 && i < n; i++)
		r = plottable(ctx, &sets[i]);
	if (r >= 0)
		r = plot_dir(ctx, outdir, &dir);
	/* each format's sets on figures of their own */
	while (r >= 0) {
		struct plot p = { ctx, group, 0, NULL, NULL, NULL };


		for (i = 0; i < n; i++)
			if (!drawn[i] && (!p.fmt || sets[i].fmt == p.fmt)) {
				p.fmt = sets[i].fmt;
				group[p.n++] = &sets[i];
				drawn[i] = true;
			}
		if (!p.n)
			break;
		r = plot_series(&p);
		if (r >= 0)
			r = plot_titles(&p);
		for (f = 0; r >= 0 && f < p.fmt->n_figures; f++) {
			char **nv = realloc(images, (k + 2) * sizeof(*nv));

			if (!nv) {
				r = zo_fail(ctx, -ENOMEM, "out of memory");
				break;
			}
			images = nv;
			images[k] = images[k + 1] = NULL;
			r = plot_figure(&p, f, dir, terminal, &images[k]);
			if (r >= 0)
				k++;
		}
		plot_release(&p);
	}
	if (r < 0) {
		zo_strv_free(images);
		return r;
	}
	*ret_images = images;
	return (int)k;
}
