/* target kernel build (ops/kernel.h): a guest kernel package, built out of
 * tree under [paths] state/kernels:
 *   src/<branch>-<hash>/  a --git clone (kept: the next build fetches)
 *   build/<tree>-<hash>/obj/  the O= directory of one source tree (kept:
 *                         a second build of the same tree is incremental)
 *   packages/             the packages made */
#include "ops/kernel.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/kconfig.h"
#include "ops/hostwork.h"
#include "ops/target.h"
#include "util/file.h"
#include "util/path.h"
#include "util/sha256.h"
#include "util/spawn.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

/* the lines of a failed step's output quoted in its error */
#define TAIL_LINES 15

struct build {
	struct zo_ctx *ctx;
	const struct zo_kernel_build *b;
	const char *format; /* deb | rpm */
	char *kdir;         /* [paths] state/kernels */
	char *tree, *out, *obj, *config;
	char *commit;       /* the tree's HEAD, when it is a git tree */
	char localversion[64];
};

static void build_release(struct build *k)
{
	free(k->kdir);
	free(k->tree);
	free(k->out);
	free(k->obj);
	free(k->config);
	free(k->commit);
}

void zo_kernel_package_release(struct zo_kernel_package *p)
{
	free(p->path);
	free(p->release);
	free(p->format);
	memset(p, 0, sizeof(*p));
}

bool zo_kernel_profile_known(const char *profile)
{
	return profile && (!strcmp(profile, "debian12") || !strcmp(profile, "centos7"));
}

static int usage_fail(struct zo_ctx *ctx, int r)
{
	ctx->fail_kind = ZO_FAIL_USAGE;
	return r;
}

/* A short stable hash of a string, for directory names. */
static void short_hash(const char *s, char out[9])
{
	struct zo_sha256 c;
	char hex[65];

	zo_sha256_init(&c);
	zo_sha256_update(&c, s, strlen(s));
	zo_sha256_hex(&c, hex);
	memcpy(out, hex, 8);
	out[8] = '\0';
}

/* argv as one line, for plans and messages. */
static char *argv_line(char *const argv[])
{
	struct zo_strbuf sb = { 0 };
	size_t i;

	for (i = 0; argv[i]; i++)
		zo_strbuf_appendf(&sb, "%s%s", i ? " " : "", argv[i]);
	return sb.buf ? zo_strbuf_steal(&sb) : strdup("");
}

/* One long step's output: its last lines kept for an error, its latest
 * line as progress (at most ten times a second). */
struct step {
	struct zo_ctx *ctx;
	const char *what;
	char *tail[TAIL_LINES];
	size_t n, lines;
	uint64_t shown_ms;
};

static void step_line(void *userdata, const char *line)
{
	struct step *s = userdata;
	uint64_t now = zo_now_ms();

	free(s->tail[s->n % TAIL_LINES]);
	s->tail[s->n % TAIL_LINES] = strdup(line);
	s->n++;
	s->lines++;
	if (now - s->shown_ms < 100)
		return;
	s->shown_ms = now;
	zo_progress(s->ctx, "kernel build: %s: %.60s", s->what, line + strspn(line, " \t"));
}

static char *step_tail(struct step *s)
{
	struct zo_strbuf sb = { 0 };
	size_t i, first = s->n > TAIL_LINES ? s->n - TAIL_LINES : 0;

	for (i = first; i < s->n; i++)
		zo_strbuf_appendf(&sb, "\n  %s", s->tail[i % TAIL_LINES] ? s->tail[i % TAIL_LINES] : "");
	for (i = 0; i < TAIL_LINES; i++)
		free(s->tail[i]);
	return sb.buf ? zo_strbuf_steal(&sb) : strdup("");
}

/* Run one step (a plan line under --dry-run). 0, or -EIO with the end of
 * its output; `status` (may be NULL) gets its exit status instead of
 * failing on it. */
static int run_step(struct zo_ctx *ctx, const char *what, char *const argv[], int *status)
{
	_cleanup_free_ char *line = argv_line(argv), *tail = NULL;
	struct step s = { .ctx = ctx, .what = what };
	int r;

	if (ctx->dry_run) {
		zo_plan(ctx, "%s", line ? line : argv[0]);
		if (status)
			*status = 0;
		return 0;
	}
	zo_phase(ctx, "kernel build: %s", what);
	zo_info(&ctx->log, "kernel build: %s", line ? line : argv[0]);
	r = zo_spawn_lines(argv, step_line, &s);
	tail = step_tail(&s);
	if (r < 0)
		return zo_fail(ctx, r, "cannot run %s: %s", argv[0], strerror(-r));
	if (status) {
		*status = r;
		return 0;
	}
	if (r == 127)
		return zo_refuse(ctx, -ENOENT, "cannot run %s: not installed (the kernel build needs "
					       "git, make, gcc, flex, bison, bc, libelf and OpenSSL "
					       "headers, and dpkg-dev or rpm-build)",
				 argv[0]);
	if (r != 0)
		return zo_fail(ctx, -EIO, "%s failed (exit %d): %s; its last lines:%s", what, r,
			       line ? line : argv[0], tail ? tail : "");
	return 0;
}

/* The text a command prints (stdout and stderr), stripped; NULL when it
 * failed. */
static char *output_of(char *const argv[])
{
	char *out = NULL, *s;
	int r = zo_spawn_capture(argv, &out);

	if (r != 0) {
		free(out);
		return NULL;
	}
	s = zo_strstrip(out);
	memmove(out, s, strlen(s) + 1);
	return out;
}

/* A tree the kernel's build system can build out of tree. */
static int check_tree(struct build *k, const char *how)
{
	static const char *const needed[] = { "Makefile", "Kconfig", "scripts/config",
					      "arch/x86/Kconfig" };
	struct zo_ctx *ctx = k->ctx;
	size_t i;

	for (i = 0; i < ZO_ARRAY_SIZE(needed); i++) {
		_cleanup_free_ char *p = zo_asprintf("%s/%s", k->tree, needed[i]);

		if (!p || access(p, F_OK) < 0)
			return usage_fail(ctx, zo_fail(ctx, -EINVAL, "%s %s is not a Linux kernel "
								     "source tree (no %s); give the "
								     "top directory of one",
						       how, k->tree, needed[i]));
	}
	for (i = 0; i < 2; i++) {
		_cleanup_free_ char *p = zo_asprintf("%s/%s", k->tree,
						     i ? "include/config" : ".config");

		if (p && access(p, F_OK) == 0)
			return usage_fail(ctx, zo_fail(ctx, -EINVAL, "%s %s has been configured in "
								     "place (it has %s): an out-of-tree "
								     "build needs a clean tree; run "
								     "'make mrproper' in it",
						       how, k->tree, i ? "include/config" : ".config"));
	}
	return 0;
}

/* git -C tree rev-parse HEAD, when it is a git tree. */
static void tree_commit(struct build *k)
{
	char *argv[] = { (char *)"git", (char *)"-C", k->tree, (char *)"rev-parse", (char *)"HEAD",
			 NULL };
	_cleanup_free_ char *dotgit = zo_asprintf("%s/.git", k->tree);

	if (dotgit && access(dotgit, F_OK) == 0)
		k->commit = output_of(argv);
}

/* The branch or tag exists at the URL: asked before anything is cloned. */
static int check_ref(struct build *k, const char *ref)
{
	struct zo_ctx *ctx = k->ctx;
	const struct zo_kernel_build *b = k->b;
	char *argv[] = { (char *)"git", (char *)"ls-remote", (char *)"--exit-code", (char *)b->git,
			 (char *)ref, NULL };
	int status = 0, r = run_step(ctx, "asking for the branch", argv, &status);

	if (r < 0)
		return r;
	if (status == 2)
		return usage_fail(ctx, zo_fail(ctx, -ENOENT, "--branch %s: %s has no %s %s%s", b->branch,
					       b->git, b->tag ? "tag" : "branch", b->branch,
					       b->tag ? "" : " (a tag needs --tag)"));
	if (status != 0)
		return zo_fail(ctx, -EIO, "cannot reach the repository %s (git ls-remote exit %d); "
					  "check the URL and the network",
			       b->git, status);
	return 0;
}

/* --git: clone (or fetch into the kept clone) and check the ref out. */
static int git_source(struct build *k)
{
	const struct zo_kernel_build *b = k->b;
	struct zo_ctx *ctx = k->ctx;
	_cleanup_free_ char *key = zo_asprintf("%s\n%s", b->git, b->branch), *dotgit = NULL;
	_cleanup_free_ char *ref = zo_asprintf("refs/%s/%s", b->tag ? "tags" : "heads", b->branch);
	_cleanup_free_ char *fetch = NULL, *local = NULL;
	char hash[9], lv[32];
	int r;

	if (!key || !ref)
		return -ENOMEM;
	short_hash(key, hash);
	zo_kconfig_localversion(b->branch, NULL, lv, sizeof(lv));
	k->tree = zo_asprintf("%s/src/%s-%s", k->kdir, *lv ? lv + 1 : "tree", hash);
	local = zo_asprintf("%s/%s", b->tag ? "refs/tags" : "refs/remotes/origin", b->branch);
	fetch = zo_asprintf("+%s:%s", ref, local);
	dotgit = k->tree ? zo_asprintf("%s/.git", k->tree) : NULL;
	if (!local || !fetch || !dotgit)
		return -ENOMEM;
	r = check_ref(k, ref);
	if (r == 0 && access(dotgit, F_OK) < 0) {
		char *clone[] = { (char *)"git", (char *)"clone", (char *)"--quiet",
				  (char *)"--no-checkout", (char *)b->git, k->tree, NULL };

		if (!ctx->dry_run)
			zo_mkdir_parents(k->tree);
		r = run_step(ctx, "cloning", clone, NULL);
	}
	if (r == 0) {
		/* the clone is a build cache: no automatic repacking (a
		 * local clone's hard-linked loose objects would start one)
		 * taking CPUs from the build */
		char *argv[] = { (char *)"git", (char *)"-C", k->tree, (char *)"-c",
				 (char *)"gc.auto=0", (char *)"fetch", (char *)"--quiet",
				 (char *)"origin", fetch, NULL };

		r = run_step(ctx, "fetching", argv, NULL);
	}
	if (r == 0) {
		char *argv[] = { (char *)"git", (char *)"-C", k->tree, (char *)"checkout",
				 (char *)"--quiet", (char *)"--force", (char *)"--detach", local, NULL };

		r = run_step(ctx, "checking out", argv, NULL);
	}
	return r;
}

/* The source tree, the build directories and the release suffix. */
static int source(struct build *k)
{
	const struct zo_kernel_build *b = k->b;
	char hash[9], lv[64];
	const char *base;
	int r;

	if (b->git) {
		r = git_source(k);
		if (r < 0)
			return r;
	} else {
		char real[PATH_MAX];

		if (!realpath(b->tree, real))
			return usage_fail(k->ctx, zo_fail(k->ctx, -errno, "--tree %s: %s", b->tree,
							  strerror(errno)));
		k->tree = strdup(real);
		if (!k->tree)
			return -ENOMEM;
	}
	if (!k->ctx->dry_run || !b->git) {
		r = check_tree(k, b->git ? "the checkout of" : "--tree");
		if (r < 0)
			return r;
		tree_commit(k);
	}
	zo_kconfig_localversion(b->git ? b->branch : "zsim", k->commit, lv, sizeof(lv));
	snprintf(k->localversion, sizeof(k->localversion), "%s", lv);
	short_hash(k->tree, hash);
	base = strrchr(k->tree, '/');
	k->out = zo_asprintf("%s/build/%.40s-%s", k->kdir, base ? base + 1 : k->tree, hash);
	k->obj = k->out ? zo_asprintf("%s/obj", k->out) : NULL;
	k->config = k->obj ? zo_asprintf("%s/.config", k->obj) : NULL;
	return k->config ? 0 : -ENOMEM;
}

/* The running target's own config (/boot/config-$(uname -r)), through
 * its agent. */
static int guest_config(struct zo_ctx *ctx, char **ret, size_t *ret_len)
{
	char *uname[] = { (char *)"uname", (char *)"-r", NULL };
	struct zo_guest_exec e = { 0 };
	struct zo_target t;
	_cleanup_free_ char *path = NULL;
	int r = zo_target_open(ctx, &t);

	if (r == 0 && zo_target_agent_ping(&t, 5) != 0)
		r = zo_refuse(ctx, -EAGAIN, "--base-config guest reads the target's own "
					    "/boot/config-RELEASE through its agent, and %s does not "
					    "answer: start it ('zsim-orch target start') or give "
					    "--base-config FILE",
			      t.name);
	if (r == 0)
		r = zo_target_exec(&t, uname, NULL, &e);
	if (r == 0 && e.exit_code != 0)
		r = zo_fail(ctx, -EIO, "uname -r failed in the target");
	if (r == 0) {
		path = zo_asprintf("/boot/config-%.*s", (int)strcspn(e.out, "\n"), e.out);
		r = path ? zo_target_read(&t, path, ret, ret_len) : -ENOMEM;
	}
	zo_guest_exec_release(&e);
	zo_target_release(&t);
	return r;
}

/* The base config as obj/.config. */
static int base_config(struct build *k)
{
	struct zo_ctx *ctx = k->ctx;
	const char *from = k->b->base_config;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	if (ctx->dry_run) {
		zo_plan(ctx, "# base config: %s -> %s", !strcmp(from, "guest") ?
			"the target's /boot/config-$(uname -r), read through its agent" : from,
			k->config);
		return 0;
	}
	if (!strcmp(from, "guest")) {
		r = guest_config(ctx, &text, &len);
	} else {
		r = zo_read_file(from, 64 << 20, &text, &len);
		if (r < 0)
			return usage_fail(ctx, zo_fail(ctx, r, "--base-config %s: %s", from,
						       strerror(-r)));
	}
	if (r == 0 && !strstr(text, "CONFIG_"))
		return usage_fail(ctx, zo_fail(ctx, -EINVAL, "--base-config %s is not a kernel "
							     "config (no CONFIG_ line)",
					       from));
	if (r == 0)
		r = zo_mkdir_parents(k->config);
	if (r == 0)
		r = zo_write_file(k->config, text, len);
	if (r < 0 && !ctx->error[0])
		return zo_fail(ctx, r, "cannot write %s: %s", k->config, strerror(-r));
	return r;
}

/* make -C TREE O=OBJ LOCALVERSION= <args...>: the release is the
 * version and CONFIG_LOCALVERSION only (an unset LOCALVERSION would let
 * scripts/setlocalversion add a "+" in a git tree). */
static int make(struct build *k, const char *what, const char *a1, const char *a2,
		const char *a3)
{
	_cleanup_free_ char *o = zo_asprintf("O=%s", k->obj);
	char *argv[] = { (char *)"make", (char *)"-C", k->tree, o, (char *)"LOCALVERSION=",
			 (char *)a1, (char *)a2, (char *)a3, NULL };

	return o ? run_step(k->ctx, what, argv, NULL) : -ENOMEM;
}

/* Whether some Kconfig file of the tree defines `name`. */
static bool kconfig_defines(struct build *k, const char *name)
{
	_cleanup_free_ char *re = zo_asprintf("^[[:space:]]*(menu)?config[[:space:]]+%s[[:space:]]*$",
					      name);
	char *argv[] = { (char *)"grep", (char *)"-rqE", (char *)"--include=Kconfig*", re, k->tree,
			 NULL };

	return re && zo_spawn_capture(argv, NULL) == 0;
}

/* Every rule, then every +/- option, in one scripts/config call. */
static int apply_options(struct build *k)
{
	const struct zo_kernel_build *b = k->b;
	_cleanup_free_ char *script = zo_asprintf("%s/scripts/config", k->tree);
	size_t n = 0, i;
	char **argv = calloc(2 * b->n_options + 32, sizeof(*argv));
	int r;

	if (!script || !argv) {
		free(argv);
		return -ENOMEM;
	}
	argv[n++] = script;
	argv[n++] = (char *)"--file";
	argv[n++] = k->config;
	for (i = 0; zo_kconfig_rule_on[i]; i++) {
		argv[n++] = (char *)"--enable";
		argv[n++] = (char *)zo_kconfig_rule_on[i];
	}
	for (i = 0; zo_kconfig_rule_off[i]; i++) {
		argv[n++] = (char *)"--disable";
		argv[n++] = (char *)zo_kconfig_rule_off[i];
	}
	for (i = 0; i < b->n_options; i++) {
		argv[n++] = (char *)(b->options[i][0] == '+' ? "--enable" : "--disable");
		argv[n++] = b->options[i] + strlen("+CONFIG_");
	}
	argv[n++] = (char *)"--disable";
	argv[n++] = (char *)"LOCALVERSION_AUTO";
	argv[n++] = (char *)"--set-str";
	argv[n++] = (char *)"LOCALVERSION";
	argv[n++] = k->localversion;
	r = run_step(k->ctx, "applying the options", argv, NULL);
	free(argv);
	return r;
}

/* The user's option `opt` as the resolved config has it, or why not. */
static int check_option(struct build *k, const char *config, const char *opt)
{
	struct zo_ctx *ctx = k->ctx;
	const char *name = opt + strlen("+CONFIG_");
	enum zo_kconfig_state s = zo_kconfig_state(config, name);

	if (opt[0] == '+' && s == ZO_KCONFIG_Y)
		return 0;
	if (opt[0] == '-' && (s == ZO_KCONFIG_OFF || s == ZO_KCONFIG_ABSENT))
		return 0;
	if (opt[0] == '+' && s == ZO_KCONFIG_ABSENT && !kconfig_defines(k, name))
		return usage_fail(ctx, zo_fail(ctx, -EINVAL, "%s: this kernel does not know "
							     "CONFIG_%s (no Kconfig file in %s "
							     "defines it); the base config %s was "
							     "left as it was",
					       opt, name, k->tree, k->b->base_config));
	return usage_fail(ctx, zo_fail(ctx, -EINVAL, "%s did not stick: the resolved %s has it %s "
						     "(%s); nothing was built",
				       opt, k->config,
				       s == ZO_KCONFIG_ABSENT ? "unset" :
				       s == ZO_KCONFIG_OFF ? "off" : "on",
				       opt[0] == '+' ? "its dependencies are not met" :
						       "another option selects it"));
}

/* Whether the user's options name `name` (they win over the rules). */
static bool overridden(const struct zo_kernel_build *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->n_options; i++)
		if (!strcmp(b->options[i] + strlen("+CONFIG_"), name))
			return true;
	return false;
}

/* The user's options must hold; the rules' that cannot are named. */
static int check_config(struct build *k)
{
	struct zo_ctx *ctx = k->ctx;
	_cleanup_free_ char *config = NULL;
	struct zo_strbuf missing = { 0 };
	size_t i;
	int r;

	if (ctx->dry_run)
		return 0;
	r = zo_read_file(k->config, 64 << 20, &config, NULL);
	if (r < 0)
		return zo_fail(ctx, r, "cannot read %s: %s", k->config, strerror(-r));
	for (i = 0; i < k->b->n_options; i++) {
		r = check_option(k, config, k->b->options[i]);
		if (r < 0)
			return r;
	}
	for (i = 0; zo_kconfig_rule_on[i]; i++)
		if (zo_kconfig_state(config, zo_kconfig_rule_on[i]) != ZO_KCONFIG_Y &&
		    !overridden(k->b, zo_kconfig_rule_on[i]))
			zo_strbuf_appendf(&missing, " CONFIG_%s", zo_kconfig_rule_on[i]);
	if (missing.buf)
		zo_warn(&ctx->log, "this kernel has no%s (setup00001 turns them on; 0sim's "
				   "instrumented branches provide CONFIG_ZTIER and CONFIG_SBALLOC; "
				   "on x86 CONFIG_FRAME_POINTER needs +CONFIG_UNWINDER_FRAME_POINTER)",
			missing.buf);
	zo_strbuf_release(&missing);
	return 0;
}

static int configure(struct build *k)
{
	int r = base_config(k);

	if (r == 0)
		r = make(k, "resolving the base config", "olddefconfig", NULL, NULL);
	if (r == 0)
		r = apply_options(k);
	if (r == 0)
		r = make(k, "resolving the options", "olddefconfig", NULL, NULL);
	if (r == 0)
		r = check_config(k);
	return r;
}

/* Remove the packages an earlier build left, so the one found is ours. */
static void remove_old_packages(struct build *k)
{
	static const char *const pats[] = { "*.deb", "*.buildinfo", "*.changes",
					    "rpmbuild/RPMS/*/*.rpm" };
	size_t i, j;

	for (i = 0; i < ZO_ARRAY_SIZE(pats); i++) {
		_cleanup_free_ char *pat = zo_asprintf("%s/%s", k->out, pats[i]);
		glob_t g;

		if (!pat || glob(pat, 0, NULL, &g) != 0)
			continue;
		for (j = 0; j < g.gl_pathc; j++)
			unlink(g.gl_pathv[j]);
		globfree(&g);
	}
}

static int make_packages(struct build *k)
{
	_cleanup_free_ char *jobs = zo_asprintf("-j%ld", zo_host_ncpus());
	_cleanup_free_ char *rpmopts = zo_asprintf("RPMOPTS=--define \"_topdir %s/rpmbuild\"",
						   k->out);

	if (!jobs || !rpmopts)
		return -ENOMEM;
	if (!k->ctx->dry_run)
		remove_old_packages(k);
	/* gzip, not dpkg-deb's default xz: the packages only travel to a
	 * target on this host, and xz took 19 s of every build for the
	 * headers package of even a minimal kernel (gzip: 2.6 s) */
	if (!strcmp(k->format, "deb"))
		return make(k, "compiling and packaging (make bindeb-pkg)", jobs, "bindeb-pkg",
			    "KDEB_COMPRESS=gzip");
	return make(k, "compiling and packaging (make binrpm-pkg)", jobs, "binrpm-pkg", rpmopts);
}

/* The package the build made, moved to [paths] state/kernels/packages. */
static int package(struct build *k, const char *release, struct zo_kernel_package *ret)
{
	struct zo_ctx *ctx = k->ctx;
	_cleanup_free_ char *pat = NULL, *dir = zo_asprintf("%s/packages", k->kdir);
	const char *base;
	glob_t g;
	int r;

	if (!dir)
		return -ENOMEM;
	if (ctx->dry_run)
		return 0;
	pat = !strcmp(k->format, "deb") ? zo_asprintf("%s/linux-image-%s_*.deb", k->out, release) :
					  zo_asprintf("%s/rpmbuild/RPMS/*/kernel-[0-9]*.rpm", k->out);
	if (!pat)
		return -ENOMEM;
	if (glob(pat, 0, NULL, &g) != 0 || g.gl_pathc != 1) {
		r = zo_fail(ctx, -ENOENT, "the build ended without one package %s", pat);
		if (g.gl_pathc)
			globfree(&g);
		return r;
	}
	base = strrchr(g.gl_pathv[0], '/') + 1;
	ret->path = zo_asprintf("%s/%s", dir, base);
	r = ret->path ? zo_mkdir_parents(ret->path) : -ENOMEM;
	if (r == 0 && rename(g.gl_pathv[0], ret->path) < 0)
		r = -errno;
	globfree(&g);
	if (r < 0)
		return zo_fail(ctx, r, "cannot keep the package in %s: %s", dir, strerror(-r));
	return 0;
}

/* make -s kernelrelease */
static int kernel_release(struct build *k, char **ret)
{
	_cleanup_free_ char *o = zo_asprintf("O=%s", k->obj);
	char *argv[] = { (char *)"make", (char *)"-s", (char *)"-C", k->tree, o,
			 (char *)"LOCALVERSION=", (char *)"kernelrelease", NULL };

	if (k->ctx->dry_run) {
		*ret = zo_asprintf("<version>%s", k->localversion);
		return *ret ? 0 : -ENOMEM;
	}
	*ret = o ? output_of(argv) : NULL;
	if (!*ret || !**ret || strchr(*ret, '\n') || strchr(*ret, '/'))
		return zo_fail(k->ctx, -EIO, "cannot learn the kernel release (make -s "
					     "kernelrelease in %s)",
			       k->obj);
	return 0;
}

static int build_profile(struct zo_ctx *ctx, const struct zo_kernel_build *b, const char **ret)
{
	const char *p = b->profile ? b->profile : zo_config_get(ctx->config, "target",
								 "base_profile");

	if (!p || !*p) {
		zo_fail(ctx, -EINVAL, "no target distribution: [target] base_profile is not set "
				      "('zsim-orch target prepare' records it); give --profile "
				      "centos7|debian12");
		return usage_fail(ctx, -EINVAL);
	}
	if (!zo_kernel_profile_known(p)) {
		zo_fail(ctx, -EINVAL, "%s %s: kernels are packaged for centos7 (RPM) or debian12 "
				      "(deb)",
			b->profile ? "--profile" : "[target] base_profile", p);
		return usage_fail(ctx, -EINVAL);
	}
	*ret = !strcmp(p, "centos7") ? "rpm" : "deb";
	return 0;
}

int zo_kernel_build(struct zo_ctx *ctx, const struct zo_kernel_build *b,
		    struct zo_kernel_package *ret)
{
	const char *state = zo_config_get(ctx->config, "paths", "state");
	struct build k = { .ctx = ctx, .b = b };
	struct zo_kernel_package p = { 0 };
	int r;

	r = build_profile(ctx, b, &k.format);
	if (r < 0)
		return r;
	_cleanup_free_ char *state_path = zo_path(ctx->root, state);

	k.kdir = state_path ? zo_asprintf("%s/kernels", state_path) : NULL;
	if (!k.kdir) {
		r = -ENOMEM;
		goto out;
	}
	r = source(&k);
	if (r == 0)
		r = configure(&k);
	if (r == 0)
		r = make_packages(&k);
	/* known once the build has synced the config */
	if (r == 0)
		r = kernel_release(&k, &p.release);
	if (r == 0)
		r = package(&k, p.release, &p);
	if (r == 0 && ctx->dry_run)
		p.path = zo_asprintf("%s/packages/%s", k.kdir, !strcmp(k.format, "deb") ?
				     "linux-image-<release>_<version>_amd64.deb" :
				     "kernel-<version>.x86_64.rpm");
	p.format = strdup(k.format);
	if (r == 0 && (!p.path || !p.format))
		r = -ENOMEM;
	if (r == 0) {
		*ret = p;
		memset(&p, 0, sizeof(p));
	}
out:
	zo_progress_end(ctx);
	zo_kernel_package_release(&p);
	build_release(&k);
	return r == -ENOMEM ? zo_fail(ctx, r, "kernel build: out of memory") : r;
}
