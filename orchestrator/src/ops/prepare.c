/* target prepare (ops/prepare.h) and the check of the base it made. */
#include "ops/prepare.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/units.h"
#include "core/domain.h"
#include "ops/hostwork.h"
#include "ops/record.h"
#include "sys/loop.h"
#include "util/file.h"
#include "util/path.h"
#include "util/sha256.h"
#include "util/spawn.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

#define MARKER "/var/lib/zsim/prepared"
/* the workload programs the seed carries, space-separated
 * (orchestrator/CMakeLists.txt's ZSIM_WORKLOADS) */
#define WORKLOADS ZO_WORKLOADS
/* the one whose presence marks a directory of them */
/* cloud-init and package installs want more than a tiny target */
#define PREPARE_MEMORY_KIB (2ULL * 1024 * 1024)

/* orchestrator/embed.cmake: image/target/<name>.user-data */
extern const struct {
	const char *name, *text;
} zo_embedded_profiles[];
/* and the scripts the profiles run from the seed (image/target/) */
extern const struct {
	const char *name, *text;
} zo_embedded_recipes[];

static const char *profile_text(const char *name)
{
	size_t i;

	for (i = 0; zo_embedded_profiles[i].name; i++)
		if (!strcmp(zo_embedded_profiles[i].name, name))
			return zo_embedded_profiles[i].text;
	return NULL;
}

bool zo_prepare_profile_known(const char *profile)
{
	return profile_text(profile) != NULL;
}

/* The next name in WORKLOADS at *pos (advanced past it): its length, 0 at
 * the end. */
static size_t next_workload(const char **pos, const char **name)
{
	const char *end;

	while (**pos == ' ')
		(*pos)++;
	*name = *pos;
	end = strchrnul(*pos, ' ');
	*pos = end;
	return (size_t)(end - *name);
}

/* The profile with @WORKLOADS@ and @GUEST_SWAP_MIB@ filled in. */
static char *render(const char *tmpl, uint64_t swap_mib)
{
	struct zo_strbuf sb = { 0 };
	const char *p = tmpl, *at;
	char mib[32];

	snprintf(mib, sizeof(mib), "%llu", (unsigned long long)swap_mib);
	while ((at = strchr(p, '@'))) {
		const char *with = !strncmp(at, "@WORKLOADS@", 11)	   ? WORKLOADS
				   : !strncmp(at, "@GUEST_SWAP_MIB@", 16) ? mib
									  : NULL;

		zo_strbuf_appendf(&sb, "%.*s%s", (int)(at - p), p, with ? with : "@");
		p = at + (with ? (with == mib ? 16 : 11) : 1);
	}
	zo_strbuf_append(&sb, p);
	return zo_strbuf_steal(&sb);
}

/* [target] guest_swap in bytes (0: none). */
static uint64_t guest_swap(struct zo_ctx *ctx)
{
	uint64_t bytes = 0;

	if (zo_config_get_size(ctx->config, "target", "guest_swap", &bytes) < 0)
		return 0;
	return bytes;
}

/* A cloud image is qcow2 and intact; say exactly what is wrong if not. */
static int check_image(struct zo_ctx *ctx, const char *path)
{
	unsigned char h[ZO_QCOW2_HEADER_LEN];
	char *argv[] = { (char *)"qemu-img", (char *)"check", (char *)"-q", (char *)path, NULL };
	_cleanup_free_ char *out = NULL;
	struct stat st;
	int r = stat(path, &st) < 0 ? -errno : 0;

	if (r == 0 && S_ISREG(st.st_mode))
		r = zo_read_head(path, h, sizeof(h));
	if (r < 0)
		return zo_fail(ctx, r, "--from %s: %s", path, strerror(-r));
	if (!S_ISREG(st.st_mode) || zo_qcow2_header(h, sizeof(h), NULL) < 0)
		return zo_fail(ctx, -EINVAL, "--from %s is not a qcow2 disk image; cloud images come as "
				       "qcow2 (CentOS-7-x86_64-GenericCloud.qcow2, "
				       "debian-12-genericcloud-amd64.qcow2); convert a raw one with "
				       "'qemu-img convert -O qcow2'",
			       path);
	r = zo_spawn_capture(argv, &out);
	if (r == 127 || r < 0)
		return zo_fail(ctx, -ENOENT, "cannot run qemu-img to check %s (install qemu-img)",
			       path);
	if (r != 0)
		return zo_fail(ctx, -EINVAL, "--from %s is damaged (truncated or corrupt): qemu-img "
					     "check: %s",
			       path, out && *out ? zo_strstrip(out) : "failed");
	return 0;
}

static const char *iso_tool(void)
{
	static const char *const tools[] = { "xorriso", "genisoimage", "mkisofs" };
	size_t i;

	for (i = 0; i < ZO_ARRAY_SIZE(tools); i++)
		if (zo_have_program(tools[i]))
			return tools[i];
	return NULL;
}

/* The seed's files in `dir`: user-data, meta-data, the workloads. */
static int seed_files(struct zo_ctx *ctx, const char *dir, const char *user_data,
		      const char *workloads)
{
	_cleanup_free_ char *ud = zo_asprintf("%s/user-data", dir);
	_cleanup_free_ char *md = zo_asprintf("%s/meta-data", dir);
	_cleanup_free_ char *meta = zo_asprintf("instance-id: zsim-prepare-%llu\n"
						"local-hostname: zsim-target\n",
						(unsigned long long)zo_now_ms());
	const char *pos = WORKLOADS, *name;
	size_t len, i;
	int r;

	if (!ud || !md || !meta)
		return zo_fail(ctx, -ENOMEM, "cannot make the seed: out of memory");
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return zo_fail(ctx, -errno, "cannot create %s: %s", dir, strerror(errno));
	r = zo_write_file_replace(ud, user_data);
	if (r == 0)
		r = zo_write_file_replace(md, meta);
	if (r < 0)
		return zo_fail(ctx, r, "cannot write the seed in %s: %s", dir, strerror(-r));
	for (i = 0; zo_embedded_recipes[i].name; i++) {
		_cleanup_free_ char *dst = zo_asprintf("%s/%s", dir, zo_embedded_recipes[i].name);

		r = dst ? zo_write_file_replace(dst, zo_embedded_recipes[i].text) : -ENOMEM;
		if (r == 0 && chmod(dst, 0755) < 0)
			r = -errno;
		if (r < 0)
			return zo_fail(ctx, r, "cannot write the seed in %s: %s", dir, strerror(-r));
	}
	while ((len = next_workload(&pos, &name))) {
		_cleanup_free_ char *src = zo_asprintf("%s/%.*s", workloads, (int)len, name);
		_cleanup_free_ char *dst = zo_asprintf("%s/%.*s", dir, (int)len, name);

		if (!src || !dst)
			return zo_fail(ctx, -ENOMEM, "cannot make the seed: out of memory");
		r = zo_copy_file(src, dst, 0755);
		if (r < 0)
			return zo_fail(ctx, r, "cannot copy the workload %s: %s (build it, or give "
					       "--workloads DIR)",
				       src, strerror(-r));
	}
	return 0;
}

int zo_make_iso(struct zo_ctx *ctx, const char *label, const char *dir, const char *iso)
{
	const char *tool = iso_tool();
	_cleanup_free_ char *out = NULL;
	char *argv[12];
	int k = 0, r;

	if (!tool)
		return zo_fail(ctx, -ENOENT, "no ISO tool for the %s disc: install xorriso "
					     "(or genisoimage)",
			       label);
	argv[k++] = (char *)tool;
	if (!strcmp(tool, "xorriso")) {
		argv[k++] = (char *)"-as";
		argv[k++] = (char *)"mkisofs";
	}
	argv[k++] = (char *)"-quiet";
	argv[k++] = (char *)"-V";
	argv[k++] = (char *)label;
	argv[k++] = (char *)"-J";
	argv[k++] = (char *)"-r";
	argv[k++] = (char *)"-o";
	argv[k++] = (char *)iso;
	argv[k++] = (char *)dir;
	argv[k] = NULL;
	r = zo_spawn_capture(argv, &out);
	if (r != 0)
		return zo_fail(ctx, -EIO, "%s could not make the %s ISO: %s", tool, label,
			       out ? out : "");
	chmod(iso, 0644);
	return 0;
}

/* The cloud-init NoCloud seed: an ISO labelled cidata made from `dir`. */
static int make_seed(struct zo_ctx *ctx, const char *dir, const char *iso,
		     const char *user_data, const char *workloads)
{
	int r = seed_files(ctx, dir, user_data, workloads);

	return r < 0 ? r : zo_make_iso(ctx, "cidata", dir, iso);
}

/* BOOTING: its agent does not answer yet; RUNNING: it does, cloud-init
 * has not finished. */
enum progress { BOOTING, RUNNING, PREPARED, SCRIPT_FAILED };

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
	enum progress p = RUNNING;

	if (zo_target_agent_ping(t, 2) != 0)
		return BOOTING;
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

/* Why the guest was stopped, with the end of its serial log. */
static int not_prepared(struct zo_target *t, enum progress p, const char *profile,
			long long timeout)
{
	struct zo_ctx *ctx = t->ctx;
	_cleanup_free_ char *tail = NULL;

	if (zo_target_log_tail(ctx, 20, &tail) < 0 || !*tail) {
		free(tail);
		tail = strdup("(the serial log is empty)");
	}
	if (p == SCRIPT_FAILED)
		return zo_fail(ctx, -EIO, "cloud-init finished but the %s profile's script did not "
					  "(no %s), so the image was stopped and not kept. Last "
					  "lines of the serial log %s:\n%s",
			       profile, MARKER, t->serial_log, tail ? tail : "");
	return zo_fail(ctx, -ETIMEDOUT, "cloud-init did not finish within %lld s (no %s in the "
					"guest), so the image was stopped and not kept. Last lines "
					"of the serial log %s:\n%s",
		       timeout, MARKER, t->serial_log, tail ? tail : "");
}

/* Boot the image once with the seed, wait for the profile to finish, and
 * shut it down. */
static int boot_once(struct zo_target *t, const char *disk, const char *iso,
		     const char *profile, long long timeout)
{
	struct zo_ctx *ctx = t->ctx;
	_cleanup_free_ char *xml = NULL;
	enum progress p, said = BOOTING;
	uint64_t start;
	int r;

	r = zo_target_xml(t, PREPARE_MEMORY_KIB, 1, disk, iso, &xml);
	if (r < 0)
		return r;
	unlink(t->serial_log);
	zo_phase(ctx, "target prepare: booting %s with the %s seed", t->name, profile);
	if (zo_virt_dom_create_transient(t->virt, xml) < 0)
		return zo_fail(ctx, -EIO, "cannot boot the image: %s", zo_virt_error(t->virt));
	start = zo_now_ms();
	for (;;) {
		uint64_t waited = (zo_now_ms() - start) / 1000;

		zo_target_progress(t, "%s: cloud-init preparing the image: %llu s", t->name,
				   (unsigned long long)waited);
		p = progress(t);
		if (p == RUNNING && said == BOOTING) {
			zo_phase(ctx, "target prepare: the guest agent answers; cloud-init runs "
				      "the %s profile",
				 profile);
			said = RUNNING;
		}
		if (p == PREPARED)
			break;
		if (p == SCRIPT_FAILED || waited >= (uint64_t)timeout) {
			zo_target_progress_end(t);
			zo_virt_dom_destroy(t->virt, t->name);
			return not_prepared(t, p, profile, timeout);
		}
		sleep(2);
	}
	zo_say(ctx, "%s: prepared after %.0f s; shutting down", t->name,
	       (double)(zo_now_ms() - start) / 1000);
	zo_phase(ctx, "target prepare: shutting %s down", t->name);
	/* the marker and the edits were synced before it was written */
	if (zo_target_stop(t, 120) == 2)
		zo_warn(&ctx->log, "%s did not power off within 120 s; stopped it", t->name);
	zo_clear_error(ctx);
	return 0;
}

/* libvirt reports a domain shut off once QEMU's monitor has gone, which
 * can be before QEMU has flushed and closed its images; the image's
 * checksum must be taken after that. QEMU holds OFD locks on its images
 * while it has them open (image locking, QEMU >= 2.10), and the kernel
 * drops them when the last descriptor closes. */
int zo_image_wait_closed(const char *path, int timeout_s)
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

int zo_target_check_base(struct zo_ctx *ctx)
{
	const char *base = zo_config_get(ctx->config, "target", "base_image");
	const char *want = zo_config_get(ctx->config, "target", "base_sha256");
	_cleanup_free_ char *path = NULL, *cache = NULL, *seen = NULL, *now = NULL;
	char sum[65];
	struct stat st;
	int r;

	if (!base || !*base)
		return 0; /* direct kernel boot: no base image */
	path = zo_path(ctx->root, base);
	if (!path)
		return zo_fail(ctx, -ENOMEM, "cannot check the base image");
	if (!want || !*want)
		return zo_refuse(ctx, -EPERM, "[target] base_image %s was not made by 'zsim-orch "
					      "target prepare' (no base_sha256 recorded); prepare "
					      "one with 'zsim-orch target prepare --from CLOUD.qcow2'",
				 base);
	if (stat(path, &st) < 0)
		return zo_refuse(ctx, -EPERM, "[target] base_image %s: %s; prepare one with "
					      "'zsim-orch target prepare --from CLOUD.qcow2'",
				 base, strerror(errno));
	cache = verified_path(path);
	now = identity(&st, want);
	if (cache && now && zo_read_file(cache, 4096, &seen, NULL) == 0 && !strcmp(seen, now))
		return 0;
	r = zo_sha256_file(path, sum);
	if (r < 0)
		return zo_fail(ctx, r, "cannot read %s: %s", path, strerror(-r));
	if (strcmp(sum, want))
		return zo_refuse(ctx, -EPERM, "[target] base_image %s changed since 'target "
					      "prepare' (sha256 %.12s..., recorded %.12s...); a base "
					      "must stay pristine: prepare it again with 'zsim-orch "
					      "target prepare --from CLOUD.qcow2 --force'",
				 base, sum, want);
	if (cache && now)
		zo_write_file_replace(cache, now);
	return 0;
}

/* The files one prepare makes in the images directory. */
struct prep_files {
	char *base, *tmp, *seed_dir, *iso, *name;
};

static void prep_files_remove(struct prep_files *f)
{
	const char *pos = "user-data meta-data " WORKLOADS, *name;
	size_t len, i;

	unlink(f->tmp);
	unlink(f->iso);
	for (i = 0; zo_embedded_recipes[i].name; i++) {
		_cleanup_free_ char *p = zo_asprintf("%s/%s", f->seed_dir,
						     zo_embedded_recipes[i].name);

		if (p)
			unlink(p);
	}
	while ((len = next_workload(&pos, &name))) {
		_cleanup_free_ char *p = zo_asprintf("%s/%.*s", f->seed_dir, (int)len, name);

		if (p)
			unlink(p);
	}
	rmdir(f->seed_dir);
}

static void prep_files_release(struct prep_files *f)
{
	free(f->base);
	free(f->tmp);
	free(f->seed_dir);
	free(f->iso);
	free(f->name);
}

static int prep_files_init(struct zo_target *t, const char *profile, struct prep_files *f)
{
	f->base = zo_asprintf("%s/base-%s.qcow2", t->images_dir, profile);
	f->tmp = zo_asprintf("%s/.base-%s.qcow2.preparing", t->images_dir, profile);
	f->seed_dir = zo_asprintf("%s/.seed-%s", t->images_dir, profile);
	f->iso = zo_asprintf("%s/seed-%s.iso", t->images_dir, profile);
	/* short: the agent socket path holds the domain name */
	f->name = zo_asprintf("%.20s-prep", t->name);
	if (!f->base || !f->tmp || !f->seed_dir || !f->iso || !f->name)
		return zo_fail(t->ctx, -ENOMEM, "cannot prepare: out of memory");
	return 0;
}

int zo_target_check_stopped(struct zo_target *t)
{
	struct zo_dom_info info;
	bool running;

	if (zo_virt_dom_info(t->virt, t->name, &info) < 0)
		return 0;
	running = info.state == ZO_DOM_RUNNING || info.state == ZO_DOM_PAUSED;
	zo_dom_info_release(&info);
	if (running)
		return zo_refuse(t->ctx, -EBUSY, "%s is running; 'zsim-orch target stop' it before "
						 "making a new base image",
				 t->name);
	return 0;
}

/* The cloud image's copy, owned like the pool: QEMU runs as whoever owns
 * it (libvirt's own user for an unprivileged daemon) and must write the
 * image while preparing. */
/* "copying X: 1.2G of 2.0G (60%)", at each whole percent. */
struct copy_progress {
	struct zo_ctx *ctx;
	const char *from;
	int percent;
};

static void copied(void *userdata, uint64_t done, uint64_t total)
{
	struct copy_progress *c = userdata;
	char a[32], b[32];
	int percent = total ? (int)(done * 100 / total) : 0;

	if (percent == c->percent)
		return;
	c->percent = percent;
	zo_size_format_human(done, a, sizeof(a));
	zo_size_format_human(total, b, sizeof(b));
	zo_progress(c->ctx, "copying %s: %s of %s (%d%%)", c->from, a, b, percent);
}

int zo_target_copy_in(struct zo_target *t, const char *from, const char *tmp)
{
	struct copy_progress c = { t->ctx, from, -1 };
	struct stat st;
	int r;

	zo_say(t->ctx, "copying %s into %s", from, t->images_dir);
	zo_phase(t->ctx, "copying %s into %s", from, t->images_dir);
	r = zo_copy_file_progress(from, tmp, 0644, copied, &c);
	if (r == 0 && stat(t->images_dir, &st) == 0 && chown(tmp, st.st_uid, st.st_gid) < 0)
		r = -errno;
	if (r < 0)
		return zo_fail(t->ctx, r, "cannot copy %s to %s: %s", from, tmp, strerror(-r));
	return 0;
}

/* Room for the swap file: the disk grows by its size (cloud-init's
 * growpart and resizefs grow the root filesystem at the boot). */
static int grow_for_swap(struct zo_target *t, const char *tmp)
{
	uint64_t bytes = guest_swap(t->ctx);
	_cleanup_free_ char *plus = zo_asprintf("+%llu", (unsigned long long)bytes);
	_cleanup_free_ char *out = NULL;
	char *argv[] = { (char *)"qemu-img", (char *)"resize", (char *)"-q", (char *)"-f",
			 (char *)"qcow2", (char *)tmp, plus, NULL };
	int r;

	if (!bytes)
		return 0;
	if (!plus)
		return zo_fail(t->ctx, -ENOMEM, "out of memory");
	zo_phase(t->ctx, "target prepare: growing the disk by %s for the swap file", plus + 1);
	r = zo_spawn_capture(argv, &out);
	if (r != 0)
		return zo_fail(t->ctx, -EIO, "cannot grow %s for [target] guest_swap: qemu-img "
					     "resize: %s",
			       tmp, out && *out ? zo_strstrip(out) : "failed");
	return 0;
}

/* The prepared image becomes the base, with its checksum recorded. */
static int keep(struct zo_ctx *ctx, const struct prep_files *f, const char *profile,
		char sum[65])
{
	_cleanup_free_ char *cache = verified_path(f->base);
	int r;

	zo_phase(ctx, "target prepare: the checksum of %s", f->tmp);
	r = zo_image_wait_closed(f->tmp, 60);
	if (r < 0)
		return zo_fail(ctx, r, "QEMU still has %s open 60 s after the preparing domain "
				       "stopped: %s",
			       f->tmp, strerror(-r));
	r = zo_sha256_file(f->tmp, sum);
	if (r == 0 && cache)
		unlink(cache);
	if (r == 0 && rename(f->tmp, f->base) < 0)
		r = -errno;
	if (r < 0)
		return zo_fail(ctx, r, "cannot keep the prepared image as %s: %s", f->base,
			       strerror(-r));
	r = zo_config_record(ctx, "target", "base_image", f->base);
	if (r == 0)
		r = zo_config_record(ctx, "target", "base_sha256", sum);
	if (r == 0)
		r = zo_config_record(ctx, "target", "base_profile", profile);
	if (r == 0) {
		char swap[32];

		snprintf(swap, sizeof(swap), "%llu", (unsigned long long)guest_swap(ctx));
		r = zo_config_record(ctx, "target", "base_guest_swap", swap);
	}
	return r;
}

/* Everything after the checks, in the images directory. */
static int prepare_in_pool(struct zo_target *t, const struct zo_prepare *p,
			   const char *user_data, const char *workloads)
{
	struct zo_ctx *ctx = t->ctx;
	struct prep_files f = { 0 };
	uint64_t start = zo_now_ms();
	const char *name = t->name;
	char sum[65];
	int r;

	r = prep_files_init(t, p->profile, &f);
	if (r == 0 && access(f.base, F_OK) == 0 && !p->force)
		r = zo_refuse(ctx, -EEXIST, "%s exists; --force replaces it (then 'zsim-orch target "
					    "create --destroy-existing' puts the target on the new "
					    "base)",
			      f.base);
	if (r == 0)
		r = zo_target_pool_ensure(t);
	if (r < 0)
		goto out;
	r = zo_target_copy_in(t, p->from, f.tmp);
	if (r == 0)
		r = grow_for_swap(t, f.tmp);
	if (r == 0) {
		zo_phase(ctx, "target prepare: the cloud-init seed (profile %s)", p->profile);
		r = make_seed(ctx, f.seed_dir, f.iso, user_data, workloads);
	}
	if (r == 0) {
		t->name = f.name;
		r = boot_once(t, f.tmp, f.iso, p->profile, p->timeout_s);
		t->name = name;
	}
	if (r == 0)
		r = keep(ctx, &f, p->profile, sum);
	if (r == 0)
		zo_say(ctx, "prepared %s (profile %s, sha256 %.12s...) in %.0f s; 'zsim-orch target "
			    "create --destroy-existing' puts the target on it",
		       f.base, p->profile, sum, (double)(zo_now_ms() - start) / 1000);
	prep_files_remove(&f);
out:
	prep_files_release(&f);
	return r;
}

int zo_target_prepare(struct zo_ctx *ctx, const struct zo_prepare *p)
{
	const char *tmpl = profile_text(p->profile);
	_cleanup_free_ char *user_data = NULL, *workloads = NULL;
	struct zo_target t = { 0 };
	size_t len;
	int r;

	if (!tmpl) {
		zo_fail(ctx, -EINVAL, "--profile %s: use centos7 or debian12", p->profile);
		ctx->fail_kind = ZO_FAIL_USAGE;
		return -EINVAL;
	}
	user_data = render(tmpl, guest_swap(ctx) / ZO_MIB);
	if (!user_data)
		return zo_fail(ctx, -ENOMEM, "cannot render the %s profile", p->profile);
	if (ctx->dry_run) {
		len = strlen(user_data);
		zo_plan(ctx, "# user-data for profile %s", p->profile);
		zo_plan(ctx, "%.*s", (int)(len && user_data[len - 1] == '\n' ? len - 1 : len),
			user_data);
		zo_plan(ctx, "# would copy %s into the zsim pool, boot it once with this seed, "
			     "wait up to %lld s for %s, and record it as [target] base_image",
			p->from ? p->from : "--from IMAGE", p->timeout_s, MARKER);
		return 0;
	}
	r = check_image(ctx, p->from);
	if (r < 0)
		return r;
	workloads = zo_workloads_dir(p->workloads);
	if (!workloads)
		return zo_fail(ctx, -ENOMEM, "cannot prepare: out of memory");
	r = zo_target_open(ctx, &t);
	if (r == 0)
		r = zo_target_check_stopped(&t);
	if (r == 0)
		r = prepare_in_pool(&t, p, user_data, workloads);
	zo_progress_end(ctx);
	zo_target_release(&t);
	return r;
}
