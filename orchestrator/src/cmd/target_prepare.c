/* zsim-orch target prepare: make the pristine base image from a cloud image.
 *
 * The cloud image is copied into the zsim storage pool, booted once with a
 * cloud-init NoCloud seed (an ISO labelled cidata holding the profile's
 * user-data and our workload programs), and shut down when the guest has
 * written its marker file. Only then does the copy become the base image,
 * with its SHA-256 recorded, so a failed prepare changes nothing and `run`
 * can tell a modified base from the prepared one. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "ops/record.h"
#include "cmd/target.h"
#include "core/units.h"
#include "sys/virt.h"
#include "util/file.h"
#include "util/path.h"
#include "util/sha256.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

#define POOL "zsim"
#define MARKER "/var/lib/zsim/prepared"
#define WORKLOADS "zsim-touch"
/* cloud-init and package installs want more than a tiny target */
#define PREPARE_MEMORY_KIB (2ULL * 1024 * 1024)

extern const struct {
	const char *name, *text;
} zo_embedded_profiles[];

static const char *profile_text(const char *name)
{
	size_t i;

	for (i = 0; zo_embedded_profiles[i].name; i++)
		if (!strcmp(zo_embedded_profiles[i].name, name))
			return zo_embedded_profiles[i].text;
	return NULL;
}

static char *render(const char *tmpl)
{
	struct zo_strbuf sb = { 0 };
	const char *p = tmpl, *at;

	while ((at = strstr(p, "@WORKLOADS@"))) {
		zo_strbuf_appendf(&sb, "%.*s%s", (int)(at - p), p, WORKLOADS);
		p = at + strlen("@WORKLOADS@");
	}
	zo_strbuf_append(&sb, p);
	return zo_strbuf_steal(&sb);
}

/* Run a host tool, its stdout and stderr captured; its exit status. */
static int run_tool(char *const argv[], char **ret_output)
{
	struct zo_strbuf out = { 0 };
	char buf[4096];
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			zo_strbuf_appendf(&out, "%.*s", (int)n, buf);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (ret_output)
		*ret_output = out.buf ? zo_strbuf_steal(&out) : strdup("");
	else
		zo_strbuf_release(&out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool have_tool(const char *name)
{
	char *argv[] = { (char *)"sh", (char *)"-c", NULL, NULL };
	_cleanup_free_ char *cmd = zo_asprintf("command -v %s", name);

	argv[2] = cmd;
	return cmd && run_tool(argv, NULL) == 0;
}

/* A cloud image is qcow2 and intact; say exactly what is wrong if not. */
static int check_image(struct zo_ctx *ctx, const char *path)
{
	unsigned char magic[4] = { 0 };
	_cleanup_free_ char *out = NULL;
	char *argv[] = { (char *)"qemu-img", (char *)"check", (char *)"-q", (char *)path, NULL };
	struct stat st;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		zo_error(ctx, "--from %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return ZO_EXIT_FAILED;
	}
	r = (int)read(fd, magic, sizeof(magic));
	close(fd);
	if (!S_ISREG(st.st_mode) || r != 4 || memcmp(magic, "QFI\xfb", 4)) {
		zo_error(ctx, "--from %s is not a qcow2 disk image; cloud images come as qcow2 "
			      "(CentOS-7-x86_64-GenericCloud.qcow2, "
			      "debian-12-genericcloud-amd64.qcow2); convert a raw one with "
			      "'qemu-img convert -O qcow2'",
			 path);
		return ZO_EXIT_FAILED;
	}
	r = run_tool(argv, &out);
	if (r == 127 || r < 0) {
		zo_error(ctx, "cannot run qemu-img to check %s (install qemu-img)", path);
		return ZO_EXIT_FAILED;
	}
	if (r != 0) {
		zo_error(ctx, "--from %s is damaged (truncated or corrupt): qemu-img check: %s",
			 path, out && *out ? zo_strstrip(out) : "failed");
		return ZO_EXIT_FAILED;
	}
	return ZO_EXIT_OK;
}

/* Our workload programs: --workloads, next to this binary (a build tree),
 * or the installed libexec directory. */
static char *find_workloads(const char *opt)
{
	char self[PATH_MAX];
	ssize_t n;
	char *dir;

	if (opt)
		return strdup(opt);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		dir = zo_asprintf("%s/" WORKLOADS, dirname(self));
		if (dir && access(dir, X_OK) == 0) {
			free(dir);
			return strdup(self);
		}
		free(dir);
	}
	return strdup(ZO_LIBEXECDIR);
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char *buf = malloc(1 << 20);
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, r = 0;
	ssize_t n;

	if (!buf || in < 0) {
		r = buf ? -errno : -ENOMEM;
		goto out;
	}
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0) {
		r = -errno;
		goto out;
	}
	while ((n = read(in, buf, 1 << 20)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(out, buf, (size_t)n) != n) {
			r = -errno ? -errno : -EIO;
			break;
		}
	}
	if (r == 0 && fsync(out) < 0)
		r = -errno;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	free(buf);
	return r;
}

static int make_seed(struct zo_ctx *ctx, const char *dir, const char *iso,
		     const char *user_data, const char *workloads)
{
	_cleanup_free_ char *ud = zo_asprintf("%s/user-data", dir);
	_cleanup_free_ char *md = zo_asprintf("%s/meta-data", dir);
	_cleanup_free_ char *meta = zo_asprintf("instance-id: zsim-prepare-%llu\n"
						"local-hostname: zsim-target\n",
						(unsigned long long)zo_now_ms());
	_cleanup_free_ char *src = zo_asprintf("%s/" WORKLOADS, workloads);
	_cleanup_free_ char *dst = zo_asprintf("%s/" WORKLOADS, dir);
	_cleanup_free_ char *out = NULL;
	const char *tool = have_tool("xorriso")       ? "xorriso"
			   : have_tool("genisoimage") ? "genisoimage"
			   : have_tool("mkisofs")     ? "mkisofs"
						      : NULL;
	char *argv[12];
	int k = 0, r;

	if (!ud || !md || !meta || !src || !dst)
		return ZO_EXIT_FAILED;
	if (!tool) {
		zo_error(ctx, "no ISO tool for the cloud-init seed: install xorriso (or "
			      "genisoimage)");
		return ZO_EXIT_FAILED;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		zo_error(ctx, "cannot create %s: %s", dir, strerror(errno));
		return ZO_EXIT_FAILED;
	}
	if (zo_write_file_replace(ud, user_data) < 0 || zo_write_file_replace(md, meta) < 0) {
		zo_error(ctx, "cannot write the seed in %s: %s", dir, strerror(errno));
		return ZO_EXIT_FAILED;
	}
	r = copy_file(src, dst, 0755);
	if (r < 0) {
		zo_error(ctx, "cannot copy the workload %s: %s (build it, or give --workloads "
			      "DIR)",
			 src, strerror(-r));
		return ZO_EXIT_FAILED;
	}
	argv[k++] = (char *)tool;
	if (!strcmp(tool, "xorriso")) {
		argv[k++] = (char *)"-as";
		argv[k++] = (char *)"mkisofs";
	}
	argv[k++] = (char *)"-quiet";
	argv[k++] = (char *)"-V";
	argv[k++] = (char *)"cidata";
	argv[k++] = (char *)"-J";
	argv[k++] = (char *)"-r";
	argv[k++] = (char *)"-o";
	argv[k++] = (char *)iso;
	argv[k++] = (char *)dir;
	argv[k] = NULL;
	r = run_tool(argv, &out);
	if (r != 0) {
		zo_error(ctx, "%s could not make the seed ISO: %s", tool, out ? out : "");
		return ZO_EXIT_FAILED;
	}
	chmod(iso, 0644);
	return ZO_EXIT_OK;
}

static char *log_tail(const char *path, int lines)
{
	_cleanup_free_ char *text = NULL;
	const char *p;
	int seen = 0;

	if (zo_read_file(path, 16 << 20, &text, NULL) < 0 || !*text)
		return strdup("(the serial log is empty)");
	p = text + strlen(text);
	while (p > text && seen <= lines)
		if (*--p == '\n')
			seen++;
	return strdup(p == text ? p : p + 1);
}

enum progress { WAITING, PREPARED, SCRIPT_FAILED };

/* The guest has finished when the agent can read the marker back (on
 * CentOS 7 that also proves guest-exec was unblocked). cloud-init done
 * without the marker means the profile's script stopped on an error:
 * no point waiting out the timeout. result.json lives in /run, so it is
 * this boot's, and runcmd writes the marker before it: asking for it
 * first leaves no window in which a good run looks failed. */
static enum progress progress(struct zo_target *t)
{
	char *const marker[] = { (char *)"/bin/cat", (char *)MARKER, NULL };
	char *const finished[] = { (char *)"/bin/sh", (char *)"-c",
				   (char *)"test -e /run/cloud-init/result.json", NULL };
	struct zo_guest_exec e = { 0 };
	bool cloud_init_done;
	enum progress p = WAITING;

	if (zo_target_agent_ping(t, 2) != 0)
		return WAITING;
	cloud_init_done = zo_virt_guest_exec(t->virt, t->name, finished, NULL, &e) == 0 &&
			  e.exit_code == 0;
	zo_guest_exec_release(&e);
	if (zo_virt_guest_exec(t->virt, t->name, marker, NULL, &e) == 0 && e.exit_code == 0)
		p = PREPARED;
	else if (cloud_init_done)
		p = SCRIPT_FAILED;
	zo_guest_exec_release(&e);
	return p;
}

static int boot_once(struct zo_ctx *ctx, struct zo_target *t, const char *disk, const char *iso,
		     const char *profile, long long timeout)
{
	_cleanup_free_ char *xml = NULL;
	struct zo_dom_info info;
	bool tty = isatty(STDERR_FILENO);
	enum progress p;
	uint64_t start;

	if (zo_target_xml(t, PREPARE_MEMORY_KIB, 1, disk, iso, &xml) < 0) {
		zo_error(ctx, "cannot build the domain XML");
		return ZO_EXIT_FAILED;
	}
	unlink(t->serial_log);
	if (zo_virt_dom_create_transient(t->virt, xml) < 0) {
		zo_error(ctx, "cannot boot the image: %s", zo_virt_error(t->virt));
		return ZO_EXIT_FAILED;
	}
	start = zo_now_ms();
	for (;;) {
		uint64_t waited = (zo_now_ms() - start) / 1000;

		if (tty)
			fprintf(stderr, "\r%s: cloud-init preparing the image: %llu s ", t->name,
				(unsigned long long)waited);
		p = progress(t);
		if (p == PREPARED)
			break;
		if (p == SCRIPT_FAILED || waited >= (uint64_t)timeout) {
			_cleanup_free_ char *tail = log_tail(t->serial_log, 20);

			if (tty)
				fputc('\n', stderr);
			zo_virt_dom_destroy(t->virt, t->name);
			if (p == SCRIPT_FAILED)
				zo_error(ctx, "cloud-init finished but the %s profile's script did "
					      "not (no %s), so the image was stopped and not kept. "
					      "Last lines of the serial log %s:\n%s",
					 profile, MARKER, t->serial_log, tail ? tail : "");
			else
				zo_error(ctx, "cloud-init did not finish within %lld s (no %s in the "
					      "guest), so the image was stopped and not kept. Last "
					      "lines of the serial log %s:\n%s",
					 timeout, MARKER, t->serial_log, tail ? tail : "");
			return ZO_EXIT_FAILED;
		}
		sleep(2);
	}
	if (tty)
		fputc('\n', stderr);
	printf("%s: prepared after %.0f s; shutting down\n", t->name,
	       (double)(zo_now_ms() - start) / 1000);
	zo_virt_dom_shutdown(t->virt, t->name, true);
	start = zo_now_ms();
	for (;;) {
		if (zo_virt_dom_info(t->virt, t->name, &info) < 0)
			break;
		zo_dom_info_release(&info);
		if (info.state == ZO_DOM_ABSENT || info.state == ZO_DOM_SHUTOFF)
			break;
		if (zo_now_ms() - start > 120000) {
			/* the marker and the edits were synced before it was written */
			zo_warn(&ctx->log, "%s did not power off within 120 s; stopped it",
				t->name);
			zo_virt_dom_destroy(t->virt, t->name);
			break;
		}
		zo_sleep_ms(500, NULL);
	}
	return ZO_EXIT_OK;
}

/* libvirt reports a domain shut off once QEMU's monitor has gone, which
 * can be before QEMU has flushed and closed its images; the image's
 * checksum must be taken after that. QEMU holds OFD locks on its images
 * while it has them open (image locking, QEMU >= 2.10), and the kernel
 * drops them when the last descriptor closes. */
static int wait_image_closed(const char *path, int timeout_s)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t start = zo_now_ms();

	if (fd < 0)
		return -errno;
	for (;;) {
		struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

		if (fcntl(fd, F_OFD_GETLK, &lk) < 0)
			return -errno;
		if (lk.l_type == F_UNLCK)
			return 0;
		if (zo_now_ms() - start > (uint64_t)timeout_s * 1000)
			return -EBUSY;
		zo_sleep_ms(100, NULL);
	}
}

/* Hashing a base of many GB at every run would cost minutes: a verified
 * digest is remembered with the file's identity (size, mtime, inode) next
 * to the image, and the file is hashed again only when that changes. */
static char *verified_path(const char *base)
{
	return zo_asprintf("%s.verified", base);
}

static char *identity(const struct stat *st, const char *sum)
{
	return zo_asprintf("%s %lld %lld.%09ld %llu\n", sum, (long long)st->st_size,
			   (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
			   (unsigned long long)st->st_ino);
}

int zo_target_check_base(struct zo_ctx *ctx, char **ret_why)
{
	const char *base = zo_config_get(ctx->config, "target", "base_image");
	const char *want = zo_config_get(ctx->config, "target", "base_sha256");
	_cleanup_free_ char *path = NULL, *cache = NULL, *seen = NULL, *now = NULL;
	char sum[65];
	struct stat st;
	int r;

	*ret_why = NULL;
	if (!base || !*base)
		return ZO_EXIT_OK; /* direct kernel boot: no base image */
	path = zo_path(ctx->root, base);
	if (!path)
		return ZO_EXIT_FAILED;
	if (!want || !*want) {
		*ret_why = zo_asprintf("[target] base_image %s was not made by 'zsim-orch target "
				       "prepare' (no base_sha256 recorded); prepare one with "
				       "'zsim-orch target prepare --from CLOUD.qcow2'",
				       base);
		return ZO_EXIT_REFUSED;
	}
	if (stat(path, &st) < 0) {
		*ret_why = zo_asprintf("[target] base_image %s: %s; prepare one with 'zsim-orch "
				       "target prepare --from CLOUD.qcow2'",
				       base, strerror(errno));
		return ZO_EXIT_REFUSED;
	}
	cache = verified_path(path);
	now = identity(&st, want);
	if (cache && now && zo_read_file(cache, 4096, &seen, NULL) == 0 && !strcmp(seen, now))
		return ZO_EXIT_OK;
	r = zo_sha256_file(path, sum);
	if (r < 0) {
		*ret_why = zo_asprintf("cannot read %s: %s", path, strerror(-r));
		return ZO_EXIT_FAILED;
	}
	if (strcmp(sum, want)) {
		*ret_why = zo_asprintf("[target] base_image %s changed since 'target prepare' "
				       "(sha256 %.12s..., recorded %.12s...); a base must stay "
				       "pristine: prepare it again with 'zsim-orch target prepare "
				       "--from CLOUD.qcow2 --force'",
				       base, sum, want);
		return ZO_EXIT_REFUSED;
	}
	if (cache && now)
		zo_write_file_replace(cache, now);
	return ZO_EXIT_OK;
}

int zo_target_prepare(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "profile", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "workloads", required_argument, NULL, 'w' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = NULL, *profile = "centos7", *workloads_opt = NULL, *tmpl;
	_cleanup_free_ char *user_data = NULL, *workloads = NULL, *base = NULL, *tmp = NULL;
	_cleanup_free_ char *seed_dir = NULL, *iso = NULL, *prep_name = NULL;
	struct zo_target t = { 0 };
	struct zo_dom_info info;
	struct stat st;
	long long timeout = 1800;
	bool force = false;
	char sum[65];
	const char *name;
	uint64_t start = zo_now_ms();
	int c, r, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			from = optarg;
			break;
		case 'p':
			profile = optarg;
			break;
		case 't':
			if (zo_int_parse(optarg, 1, 7 * 24 * 3600, &timeout) < 0)
				return zo_usage_error(ctx, &zo_cmd_target, "--timeout %s: use seconds "
								     "from 1 to 604800", optarg);
			break;
		case 'w':
			workloads_opt = optarg;
			break;
		case 'F':
			force = true;
			break;
		case 'h':
			zo_cmd_print_usage(&zo_cmd_target, stdout);
			return ZO_EXIT_OK;
		default:
			return zo_usage_error(ctx, &zo_cmd_target, "unknown option '%s' for 'target "
							     "prepare'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return zo_usage_error(ctx, &zo_cmd_target, "'target prepare' takes no arguments");
	tmpl = profile_text(profile);
	if (!tmpl)
		return zo_usage_error(ctx, &zo_cmd_target, "--profile %s: use centos7 or debian12",
				      profile);
	user_data = render(tmpl);
	if (!user_data)
		return ZO_EXIT_FAILED;
	if (ctx->dry_run) {
		printf("# user-data for profile %s\n%s", profile, user_data);
		printf("# would copy %s into the zsim pool, boot it once with this seed, wait "
		       "up to %lld s for %s, and record it as [target] base_image\n",
		       from ? from : "--from IMAGE", timeout, MARKER);
		return ZO_EXIT_OK;
	}
	if (!from)
		return zo_usage_error(ctx, &zo_cmd_target, "'target prepare' needs --from "
						     "CLOUD.qcow2");
	ret = check_image(ctx, from);
	if (ret)
		return ret;
	workloads = find_workloads(workloads_opt);
	ret = zo_target_open(ctx, &t);
	if (ret)
		goto out;
	ret = ZO_EXIT_REFUSED;
	if (zo_virt_dom_info(t.virt, t.name, &info) == 0) {
		bool running = info.state == ZO_DOM_RUNNING || info.state == ZO_DOM_PAUSED;

		zo_dom_info_release(&info);
		if (running) {
			zo_error(ctx, "%s is running; 'zsim-orch target stop' it before preparing "
				      "a new base image",
				 t.name);
			goto out;
		}
	}
	ret = ZO_EXIT_FAILED;
	base = zo_asprintf("%s/base-%s.qcow2", t.images_dir, profile);
	tmp = zo_asprintf("%s/.base-%s.qcow2.preparing", t.images_dir, profile);
	seed_dir = zo_asprintf("%s/.seed-%s", t.images_dir, profile);
	iso = zo_asprintf("%s/seed-%s.iso", t.images_dir, profile);
	/* short: the agent socket path holds the domain name */
	prep_name = zo_asprintf("%.20s-prep", t.name);
	if (!base || !tmp || !seed_dir || !iso || !prep_name)
		goto out;
	if (access(base, F_OK) == 0 && !force) {
		zo_error(ctx, "%s exists; --force replaces it (then 'zsim-orch target create "
			      "--destroy-existing' puts the target on the new base)",
			 base);
		ret = ZO_EXIT_REFUSED;
		goto out;
	}
	if (zo_virt_pool_ensure(t.virt, POOL, t.images_dir) < 0) {
		zo_error(ctx, "cannot set up the storage pool in %s: %s", t.images_dir,
			 zo_virt_error(t.virt));
		goto out;
	}
	printf("copying %s into %s\n", from, t.images_dir);
	r = copy_file(from, tmp, 0644);
	/* QEMU runs as whoever owns the pool (libvirt's own user for an
	 * unprivileged daemon) and must write the image while preparing */
	if (r == 0 && stat(t.images_dir, &st) == 0 && chown(tmp, st.st_uid, st.st_gid) < 0)
		r = -errno;
	if (r < 0) {
		zo_error(ctx, "cannot copy %s to %s: %s", from, tmp, strerror(-r));
		goto cleanup;
	}
	if (make_seed(ctx, seed_dir, iso, user_data, workloads))
		goto cleanup;
	name = t.name;
	t.name = prep_name;
	ret = boot_once(ctx, &t, tmp, iso, profile, timeout);
	t.name = name;
	if (ret)
		goto cleanup;
	r = wait_image_closed(tmp, 60);
	if (r < 0) {
		zo_error(ctx, "QEMU still has %s open 60 s after the preparing domain stopped: %s",
			 tmp, strerror(-r));
		ret = ZO_EXIT_FAILED;
		goto cleanup;
	}
	r = zo_sha256_file(tmp, sum);
	if (r == 0) {
		_cleanup_free_ char *cache = verified_path(base);

		if (cache)
			unlink(cache);
	}
	if (r < 0 || rename(tmp, base) < 0) {
		zo_error(ctx, "cannot keep the prepared image as %s: %s", base,
			 strerror(r < 0 ? -r : errno));
		ret = ZO_EXIT_FAILED;
		goto cleanup;
	}
	if (zo_config_record(ctx, "target", "base_image", base) < 0 ||
	    zo_config_record(ctx, "target", "base_sha256", sum) < 0 ||
	    zo_config_record(ctx, "target", "base_profile", profile) < 0) {
		ret = ZO_EXIT_FAILED;
		goto cleanup;
	}
	printf("prepared %s (profile %s, sha256 %.12s...) in %.0f s; 'zsim-orch target create "
	       "--destroy-existing' puts the target on it\n",
	       base, profile, sum, (double)(zo_now_ms() - start) / 1000);
	ret = ZO_EXIT_OK;
cleanup:
	unlink(tmp);
	unlink(iso);
	if (seed_dir) {
		_cleanup_free_ char *ud = zo_asprintf("%s/user-data", seed_dir);
		_cleanup_free_ char *md = zo_asprintf("%s/meta-data", seed_dir);
		_cleanup_free_ char *wl = zo_asprintf("%s/" WORKLOADS, seed_dir);

		if (ud)
			unlink(ud);
		if (md)
			unlink(md);
		if (wl)
			unlink(wl);
		rmdir(seed_dir);
	}
out:
	zo_target_release(&t);
	return ret;
}
