/* A kernel build on the host (ops/kbuild.h). */
#include "ops/kbuild.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "ops/hostwork.h"
#include "sys/sysfs.h"
#include "util/file.h"
#include "util/path.h"
#include "util/spawn.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

#ifndef PR_SET_CHILD_SUBREAPER
#define PR_SET_CHILD_SUBREAPER 36
#endif

#define STAMP ".zsim-unpacked"
#define STOP_GRACE_MS 10000
#define KILL_WAIT_MS 10000

#define HOW_TO_GET                                                                      \
	"install Debian's linux-source (apt-get install linux-source: "                 \
	"/usr/src/linux-source-*.tar.xz), or unpack a kernel.org release (the old "     \
	"runner built linux-5.1.4.tar.xz) and set [kbuild] source to its directory or " \
	"tarball in %s; CentOS's kernel-devel holds only headers, which build no kernel"

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool is_file(const char *dir, const char *name, mode_t type)
{
	_cleanup_free_ char *p = zo_asprintf("%s/%s", dir, name);
	struct stat st;

	return p && stat(p, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

/* A tree that builds a kernel, not the headers of one. */
static bool full_tree(const char *dir)
{
	return is_file(dir, "Makefile", S_IFREG) && is_file(dir, "init/main.c", S_IFREG) &&
	       is_file(dir, "kernel", S_IFDIR);
}

/* The tarball's tree: under [paths] state/kbuild, named as the tarball
 * without its .tar.* (Debian's linux-source-6.1.tar.xz holds
 * linux-source-6.1/, kernel.org's linux-5.1.4.tar.xz linux-5.1.4/). */
static int use_tarball(struct zo_ctx *ctx, struct zo_kbuild *kb, char *path)
{
	_cleanup_free_ char *copy = strdup(path);
	_cleanup_free_ char *state =
		zo_path(ctx->root, zo_config_get(ctx->config, "paths", "state"));
	char *name = copy ? basename(copy) : NULL, *tar;

	if (!name || !state) {
		free(path);
		return -ENOMEM;
	}
	tar = strstr(name, ".tar");
	if (tar)
		*tar = '\0';
	kb->source = path;
	kb->from_tarball = true;
	kb->tree = zo_asprintf("%s/kbuild/%s", state, name);
	return kb->tree ? 0 : -ENOMEM;
}

static int use_tree(struct zo_kbuild *kb, char *path)
{
	kb->source = path;
	kb->tree = strdup(path);
	return kb->tree ? 0 : -ENOMEM;
}

/* [kbuild] source: a full tree or a linux-*.tar.* of one. */
static int configured_source(struct zo_ctx *ctx, struct zo_kbuild *kb, const char *key)
{
	char *p = zo_path(ctx->root, key);
	struct stat st;

	if (!p)
		return -ENOMEM;
	if (stat(p, &st) < 0) {
		int e = errno;

		free(p);
		return zo_refuse(ctx, -EPERM, "[kbuild] source = %s in %s: %s; " HOW_TO_GET, key,
				 ctx->config_path, strerror(e), ctx->config_path);
	}
	if (S_ISDIR(st.st_mode) && full_tree(p))
		return use_tree(kb, p);
	if (S_ISREG(st.st_mode) && strstr(key, ".tar"))
		return use_tarball(ctx, kb, p);
	free(p);
	return zo_refuse(ctx, -EPERM,
			 "[kbuild] source = %s in %s is neither a full Linux source tree (with "
			 "Makefile, init/main.c and kernel/) nor a .tar.* of one; " HOW_TO_GET,
			 key, ctx->config_path, ctx->config_path);
}

/* Installed ones: Debian's linux-source tarball (the newest), else a full
 * tree at /usr/src/linux. */
static int installed_source(struct zo_ctx *ctx, struct zo_kbuild *kb)
{
	_cleanup_free_ char *pattern = zo_path(ctx->root, "/usr/src/linux-source-*.tar.*");
	_cleanup_free_ char *usr_linux = zo_path(ctx->root, "/usr/src/linux");
	glob_t g;
	char *p;

	if (!pattern || !usr_linux)
		return -ENOMEM;
	if (glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0) {
		p = strdup(g.gl_pathv[g.gl_pathc - 1]);
		globfree(&g);
		return p ? use_tarball(ctx, kb, p) : -ENOMEM;
	}
	globfree(&g);
	if (full_tree(usr_linux))
		return use_tree(kb, TAKE_PTR(usr_linux));
	return zo_refuse(ctx, -EPERM,
			 "no Linux source tree for the host's kernel build ([kbuild] source is "
			 "empty, and neither /usr/src/linux-source-*.tar.* nor a full tree at "
			 "/usr/src/linux is there): " HOW_TO_GET,
			 ctx->config_path);
}

/* The running kernel's config, which [kbuild] config = current starts from. */
static char *running_config(struct zo_ctx *ctx)
{
	_cleanup_free_ char *release = NULL, *boot = NULL;

	if (zo_sysfs_read_line(ctx->root, "/proc/sys/kernel/osrelease", &release) < 0)
		return NULL;
	boot = zo_asprintf("/boot/config-%s", zo_strstrip(release));
	return boot ? zo_path(ctx->root, boot) : NULL;
}

int zo_kbuild_find(struct zo_ctx *ctx, struct zo_kbuild *kb)
{
	const char *key = zo_config_get(ctx->config, "kbuild", "source");
	_cleanup_free_ char *boot = NULL;
	long long jobs = 0;
	int r;

	kb->config = zo_config_get(ctx->config, "kbuild", "config");
	kb->target = zo_config_get(ctx->config, "kbuild", "target");
	if (!kb->config)
		kb->config = "current";
	if (!kb->target)
		kb->target = "all";
	zo_config_get_int(ctx->config, "kbuild", "jobs", &jobs);
	kb->jobs = jobs > 0 ? (long)jobs : zo_host_ncpus();
	r = key && *key ? configured_source(ctx, kb, key) : installed_source(ctx, kb);
	if (r < 0 || strcmp(kb->config, "current"))
		return r;
	boot = running_config(ctx);
	if (!boot || access(boot, R_OK) < 0)
		return zo_refuse(ctx, -EPERM,
				 "[kbuild] config = current builds the running kernel's config, "
				 "but %s is not there; set [kbuild] config = defconfig in %s",
				 boot ? boot : "/boot/config-RELEASE", ctx->config_path);
	return 0;
}

void zo_kbuild_plan(struct zo_ctx *ctx, const struct zo_kbuild *kb)
{
	if (kb->from_tarball)
		zo_plan(ctx, "would unpack %s into %s (once: reused while the tarball is "
			     "unchanged)",
			kb->source, kb->tree);
	zo_plan(ctx, "would run in %s: make clean; %s", kb->tree,
		strcmp(kb->config, "current") ? kb->config
					       : "the running kernel's config with "
						 "PAGE_TABLE_ISOLATION and RETPOLINE off, "
						 "FRAME_POINTER on, make olddefconfig");
	zo_plan(ctx, "would run make -j %ld %s in %s on the host while the workload runs, "
		     "stopped when it ends",
		kb->jobs, kb->target, kb->tree);
}

/* make (or `argv`) in the tree, in a process group of its own, its output
 * to log_fd; stopped with SIGTERM should zsim-orch die. */
static pid_t spawn_in_tree(const char *tree, char *const argv[], int log_fd)
{
	pid_t pid = fork();
	sigset_t all;
	int in;

	if (pid != 0) {
		if (pid > 0)
			setpgid(pid, pid);
		return pid;
	}
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (in < 0 || dup2(in, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0 ||
	    chdir(tree) < 0)
		_exit(126);
	execvp(argv[0], argv);
	_exit(127);
}

static int exit_status(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* One preparation step, waited for. */
static int step(struct zo_ctx *ctx, struct zo_kbuild *kb, char *const argv[], int log_fd,
		volatile sig_atomic_t *stop)
{
	struct zo_strbuf cmd = { 0 };
	int st = 0, i;
	pid_t pid;

	for (i = 0; argv[i]; i++)
		zo_strbuf_appendf(&cmd, "%s%s", i ? " " : "", argv[i]);
	dprintf(log_fd, "zsim-orch: %s (in %s)\n", cmd.buf ? cmd.buf : argv[0], kb->tree);
	pid = spawn_in_tree(kb->tree, argv, log_fd);
	if (pid < 0) {
		zo_strbuf_release(&cmd);
		return zo_fail(ctx, -errno, "cannot run %s: fork: %s", argv[0], strerror(errno));
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			st = 127 << 8;
			break;
		}
		if (stop && *stop)
			kill(-pid, SIGTERM);
	}
	kill(-pid, SIGKILL); /* whatever it left behind */
	st = exit_status(st);
	if (stop && *stop)
		st = zo_fail(ctx, -EINTR, "%s in %s stopped by signal %d", cmd.buf, kb->tree,
			     (int)*stop);
	else if (st != 0)
		st = zo_fail(ctx, -EIO, "%s in %s exited %d; its output is in the run's .kbuild "
				       "file",
			     cmd.buf ? cmd.buf : argv[0], kb->tree, st);
	zo_strbuf_release(&cmd);
	return st;
}

static char *stamp_text(const char *tarball)
{
	struct stat st;

	if (stat(tarball, &st) < 0)
		return NULL;
	return zo_asprintf("%s %lld %lld\n", tarball, (long long)st.st_size,
			   (long long)st.st_mtime);
}

/* `rm -rf dir` (a tree of ours under [paths] state/kbuild). */
static void remove_tree(const char *dir)
{
	char *argv[] = { (char *)"rm", (char *)"-rf", (char *)dir, NULL };

	zo_spawn_capture(argv, NULL);
}

/* The tarball unpacked next to the tree, then renamed into place. */
static int unpack(struct zo_ctx *ctx, struct zo_kbuild *kb, int log_fd)
{
	_cleanup_free_ char *want = stamp_text(kb->source), *have = NULL, *stamp = NULL;
	_cleanup_free_ char *dir = strdup(kb->tree), *tmp = NULL, *top = NULL, *stale = NULL;
	char *argv[] = { (char *)"tar", (char *)"-xf", kb->source, (char *)"-C", NULL, NULL };
	char *parent = dir ? dirname(dir) : NULL;
	_cleanup_free_ char *out = NULL;
	int r;

	stamp = zo_asprintf("%s/" STAMP, kb->tree);
	if (!want || !stamp || !parent)
		return zo_fail(ctx, -ENOMEM, "cannot unpack %s: out of memory", kb->source);
	if (zo_read_file(stamp, 4096, &have, NULL) == 0 && !strcmp(have, want))
		return 0;
	tmp = zo_asprintf("%s/.unpack-%ld", parent, (long)getpid());
	stale = zo_asprintf("%s/.stale-%ld", parent, (long)getpid());
	top = zo_asprintf("%s/%s", tmp, kb->tree + strlen(parent) + 1);
	if (!tmp || !stale || !top)
		return -ENOMEM;
	remove_tree(tmp);
	r = zo_mkdir_parents(tmp);
	if (r == 0 && mkdir(tmp, 0755) < 0)
		r = -errno;
	if (r < 0)
		return zo_fail(ctx, r, "cannot make %s: %s", tmp, strerror(-r));
	dprintf(log_fd, "zsim-orch: tar -xf %s -C %s\n", kb->source, tmp);
	argv[4] = tmp;
	r = zo_spawn_capture(argv, &out);
	if (r == 0 && !full_tree(top))
		r = zo_fail(ctx, -EIO, "%s holds no Linux tree named %s", kb->source,
			    kb->tree + strlen(parent) + 1);
	else if (r != 0)
		r = zo_fail(ctx, r < 0 ? r : -EIO, "cannot unpack %s into %s: tar %s%d: %s",
			    kb->source, tmp, r < 0 ? "failed " : "exited ", r,
			    out ? zo_strstrip(out) : "");
	if (r == 0 && rename(kb->tree, stale) == 0)
		remove_tree(stale);
	if (r == 0 && rename(top, kb->tree) < 0)
		r = zo_fail(ctx, -errno, "cannot move %s to %s: %s", top, kb->tree, strerror(errno));
	remove_tree(tmp);
	if (r == 0 && zo_write_file_atomic(stamp, want) < 0)
		zo_warn(&ctx->log, "cannot write %s: the tarball is unpacked again next time", stamp);
	return r;
}

int zo_kbuild_prepare(struct zo_ctx *ctx, struct zo_kbuild *kb, int log_fd,
		      volatile sig_atomic_t *stop)
{
	char *clean[] = { (char *)"make", (char *)"clean", NULL };
	char *cfg[] = { (char *)"make", (char *)kb->config, NULL };
	char *tweak[] = { (char *)"./scripts/config", (char *)"--file", (char *)".config",
			  (char *)"--disable", (char *)"PAGE_TABLE_ISOLATION",
			  (char *)"--disable", (char *)"RETPOLINE",
			  (char *)"--enable", (char *)"FRAME_POINTER", NULL };
	char *olddef[] = { (char *)"make", (char *)"olddefconfig", NULL };
	_cleanup_free_ char *boot = NULL, *dot = NULL;
	int r = 0;

	if (kb->from_tarball)
		r = unpack(ctx, kb, log_fd);
	if (r == 0)
		r = step(ctx, kb, clean, log_fd, stop);
	if (r < 0 || strcmp(kb->config, "current"))
		return r < 0 ? r : step(ctx, kb, cfg, log_fd, stop);
	/* the runner's build_kernel: the running kernel's config, its
	 * options, `yes '' | make oldconfig` (= olddefconfig) */
	boot = running_config(ctx);
	dot = zo_asprintf("%s/.config", kb->tree);
	if (!boot || !dot)
		return -ENOMEM;
	dprintf(log_fd, "zsim-orch: cp %s %s\n", boot, dot);
	r = zo_copy_file(boot, dot, 0644);
	if (r < 0)
		return zo_fail(ctx, r, "cannot copy %s to %s: %s", boot, dot, strerror(-r));
	r = step(ctx, kb, tweak, log_fd, stop);
	return r < 0 ? r : step(ctx, kb, olddef, log_fd, stop);
}

int zo_kbuild_start(struct zo_ctx *ctx, struct zo_kbuild *kb, int log_fd)
{
	_cleanup_free_ char *jobs = zo_asprintf("-j%ld", kb->jobs);
	char *argv[] = { (char *)"make", jobs, (char *)kb->target, NULL };

	if (!jobs)
		return -ENOMEM;
	/* what it leaves when it dies becomes ours to reap, not init's */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	dprintf(log_fd, "zsim-orch: make %s %s (in %s)\n", jobs, kb->target, kb->tree);
	kb->start_ms = wall_ms();
	kb->pid = spawn_in_tree(kb->tree, argv, log_fd);
	if (kb->pid < 0) {
		kb->pid = 0;
		return zo_fail(ctx, -errno, "cannot start make in %s: fork: %s", kb->tree,
			       strerror(errno));
	}
	kb->started = true;
	return 0;
}

bool zo_kbuild_poll(struct zo_kbuild *kb)
{
	int st;

	if (!kb->started || kb->ended)
		return kb->ended;
	if (waitpid(kb->pid, &st, WNOHANG) == kb->pid) {
		kb->status = exit_status(st);
		kb->end_ms = wall_ms();
		kb->ended = true;
	}
	return kb->ended;
}

/* Reap every process left in the build's group (they are ours: make's
 * children, or its orphans reparented to this subreaper); SIGKILL them
 * when `kill_at` has passed. True when none is left. */
static bool reap_group(struct zo_kbuild *kb, uint64_t kill_at, uint64_t give_up)
{
	bool killed = false;
	pid_t p;
	int st;

	for (;;) {
		p = waitpid(-kb->pid, &st, WNOHANG);
		if (p == kb->pid && !kb->ended) {
			kb->status = exit_status(st);
			kb->end_ms = wall_ms();
			kb->ended = true;
		}
		if (p > 0)
			continue;
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0 && kill(-kb->pid, 0) < 0)
			return true; /* ECHILD, and nothing of the group is left */
		if (zo_now_ms() >= give_up)
			return false;
		if (!killed && zo_now_ms() >= kill_at) {
			kill(-kb->pid, SIGKILL);
			killed = kb->killed = true;
		}
		zo_sleep_ms(20, NULL);
	}
}

int zo_kbuild_stop(struct zo_ctx *ctx, struct zo_kbuild *kb)
{
	uint64_t now = zo_now_ms();
	bool gone;

	if (!kb->started)
		return 0;
	if (!zo_kbuild_poll(kb)) {
		kb->stopped = true;
		kill(-kb->pid, SIGTERM);
	} else if (kill(-kb->pid, 0) == 0) {
		kill(-kb->pid, SIGTERM); /* something make left running */
	}
	gone = reap_group(kb, now + STOP_GRACE_MS, now + STOP_GRACE_MS + KILL_WAIT_MS);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	kb->started = false;
	if (!kb->ended) {
		kb->end_ms = wall_ms();
		kb->ended = true;
		kb->status = 128 + SIGKILL;
	}
	if (!gone)
		return zo_fail(ctx, -EIO, "processes of the kernel build in %s (process group %ld) "
					  "outlived SIGKILL",
			       kb->tree, (long)kb->pid);
	return 0;
}

const char *zo_kbuild_outcome(const struct zo_kbuild *kb, char *buf, size_t len)
{
	if (!kb->ended)
		snprintf(buf, len, "%s", kb->start_ms ? "running" : "not started");
	else if (kb->stopped)
		snprintf(buf, len, "stopped (%s) when the workload ended",
			 kb->killed ? "SIGKILL, SIGTERM was not enough" : "SIGTERM");
	else if (kb->status >= 128)
		snprintf(buf, len, "killed by signal %d", kb->status - 128);
	else
		snprintf(buf, len, "exited %d", kb->status);
	return buf;
}

void zo_kbuild_release(struct zo_kbuild *kb)
{
	free(kb->source);
	free(kb->tree);
	kb->source = kb->tree = NULL;
}
