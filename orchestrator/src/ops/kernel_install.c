/* target kernel install (ops/kernel.h): a new pristine base from the
 * current one with a kernel package installed and booted by default.
 *
 * The current base is copied in the images directory and booted once
 * (a transient domain, like target prepare's) with the package on a
 * read-only disc; the guest installs it with its own package manager and
 * makes it the default: with a boot loader (grubby on CentOS, update-grub
 * on Debian) in the guest's boot configuration; with direct kernel boot
 * ([target] kernel set: the Debian test image has no boot loader) by
 * taking its /boot/vmlinuz-RELEASE and initrd out of the guest to sit next
 * to the new base, to be recorded as [target] kernel and initrd. A second
 * boot on the copy must then report the release (`uname -r` through the
 * agent); only then does the copy become the base, with its checksum and
 * base_kernel_release recorded. Until then the config and the old base
 * are untouched, and the old base file stays afterwards (overlays made
 * before still use it). */
#include "ops/kernel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "ops/prepare.h"
#include "ops/record.h"
#include "ops/target.h"
#include "sys/loop.h"
#include "util/file.h"
#include "util/path.h"
#include "util/sha256.h"
#include "util/spawn.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

#define ISO_LABEL "zsimkernel"
#define BOOT_MEMORY_KIB (2ULL * 1024 * 1024)

/* Run in the guest as `sh -c SCRIPT sh RELEASE PACKAGE FORMAT`: install
 * from the disc, make the release the boot loader's default when there is
 * one, and print where its initramfs is. */
static const char install_script[] =
	"set -e\n"
	"rel=$1 pkg=$2 fmt=$3 dev=\n"
	"for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do\n"
	"  dev=$(blkid -L " ISO_LABEL " || true); [ -n \"$dev\" ] && break; sleep 1\n"
	"done\n"
	"[ -n \"$dev\" ] || { echo 'no disc labelled " ISO_LABEL " in the guest' >&2; exit 1; }\n"
	"mnt=$(mktemp -d)\n"
	"mount -o ro \"$dev\" \"$mnt\"\n"
	"if [ \"$fmt\" = deb ]; then DEBIAN_FRONTEND=noninteractive dpkg -i \"$mnt/$pkg\"\n"
	"else rpm -ivh --force \"$mnt/$pkg\"; fi\n"
	"umount \"$mnt\"; rmdir \"$mnt\"\n"
	"test -e \"/boot/vmlinuz-$rel\" || { echo \"the package put no /boot/vmlinuz-$rel\" >&2; "
	"exit 1; }\n"
	"if command -v grubby >/dev/null 2>&1; then\n"
	"  grubby --set-default \"/boot/vmlinuz-$rel\"\n"
	"elif command -v update-grub >/dev/null 2>&1 && [ -e /boot/grub/grub.cfg ]; then\n"
	"  update-grub\n"
	"  sub=$(grep -o \"gnulinux-advanced-[^'\\\"]*\" /boot/grub/grub.cfg | head -n1)\n"
	"  ent=$(grep -o \"gnulinux-$rel-advanced-[^'\\\"]*\" /boot/grub/grub.cfg | head -n1)\n"
	"  [ -n \"$ent\" ] || { echo \"update-grub made no entry for $rel\" >&2; exit 1; }\n"
	"  sed -i \"s/^GRUB_DEFAULT=.*/GRUB_DEFAULT=\\\"${sub:+$sub>}$ent\\\"/\" /etc/default/grub\n"
	"  update-grub\n"
	"fi\n"
	"for f in \"/boot/initrd.img-$rel\" \"/boot/initramfs-$rel.img\"; do\n"
	"  [ -e \"$f\" ] && echo \"initrd=$f\" && break\n"
	"done\n"
	"sync\n";

/* The files one install makes in the images directory. */
struct files {
	char *base, *tmp, *iso, *disc, *disc_pkg, *kernel, *initrd, *kernel_tmp, *initrd_tmp;
	char *name;
};

static void files_release(struct files *f)
{
	free(f->base);
	free(f->tmp);
	free(f->iso);
	free(f->disc);
	free(f->disc_pkg);
	free(f->kernel);
	free(f->initrd);
	free(f->kernel_tmp);
	free(f->initrd_tmp);
	free(f->name);
}

/* What only a failed install leaves. */
static void files_remove(struct files *f)
{
	unlink(f->tmp);
	unlink(f->kernel_tmp);
	unlink(f->initrd_tmp);
}

static int files_init(struct zo_target *t, const char *profile, const char *release,
		      const char *pkg, struct files *f)
{
	const char *d = t->images_dir, *slash = strrchr(pkg, '/');

	f->base = zo_asprintf("%s/base-%s-%s.qcow2", d, profile, release);
	f->tmp = zo_asprintf("%s/.base-%s-%s.qcow2.installing", d, profile, release);
	f->iso = zo_asprintf("%s/.kernel-%s.iso", d, release);
	f->disc = zo_asprintf("%s/.kernel-%s", d, release);
	f->disc_pkg = f->disc ? zo_asprintf("%s/%s", f->disc, slash ? slash + 1 : pkg) : NULL;
	f->kernel = zo_asprintf("%s/vmlinuz-%s", d, release);
	f->initrd = zo_asprintf("%s/initrd.img-%s", d, release);
	f->kernel_tmp = zo_asprintf("%s/.vmlinuz-%s.tmp", d, release);
	f->initrd_tmp = zo_asprintf("%s/.initrd.img-%s.tmp", d, release);
	/* short: the agent socket path holds the domain name */
	f->name = zo_asprintf("%.20s-kern", t->name);
	if (!f->base || !f->tmp || !f->iso || !f->disc_pkg || !f->kernel || !f->initrd ||
	    !f->kernel_tmp || !f->initrd_tmp || !f->name)
		return -ENOMEM;
	return 0;
}

/* A release is a file name part and goes into the guest's shell as an
 * argument: letters, digits and . _ + - only. */
static bool release_ok(const char *rel)
{
	return *rel && strspn(rel, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789._+-") == strlen(rel);
}

static char *strdup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* "deb" or "rpm" by the file's magic; NULL (with the error) when it is
 * neither. */
static const char *package_format(struct zo_ctx *ctx, const char *path)
{
	static const unsigned char rpm_magic[4] = { 0xed, 0xab, 0xee, 0xdb };
	unsigned char head[8];
	int r = zo_read_head(path, head, sizeof(head));

	if (r < 0)
		zo_fail(ctx, r, "%s: %s", path, strerror(-r));
	else if (!memcmp(head, "!<arch>\n", 8))
		return "deb";
	else if (!memcmp(head, rpm_magic, 4))
		return "rpm";
	else
		zo_fail(ctx, -EINVAL, "%s is neither a deb nor an RPM package", path);
	ctx->fail_kind = ZO_FAIL_USAGE;
	return NULL;
}

/* Its kernel release, read with the format's own tool. */
static int package_release(struct zo_ctx *ctx, struct zo_kernel_package *p)
{
	char *deb[] = { (char *)"dpkg-deb", (char *)"--contents", p->path, NULL };
	char *rpm[] = { (char *)"rpm", (char *)"-qlp", p->path, NULL };
	_cleanup_free_ char *list = NULL;
	const char *at;
	int r = zo_spawn_capture(!strcmp(p->format, "deb") ? deb : rpm, &list);

	if (r == 127)
		return zo_refuse(ctx, -ENOENT, "cannot read the %s package %s: install %s", p->format,
				 p->path, !strcmp(p->format, "deb") ? "dpkg (dpkg-deb)" : "rpm");
	at = r == 0 && list ? strstr(list, "/boot/vmlinuz-") : NULL;
	if (!at) {
		zo_fail(ctx, -EINVAL, "%s is not a kernel package (no /boot/vmlinuz-RELEASE in it)",
			p->path);
		ctx->fail_kind = ZO_FAIL_USAGE;
		return -EINVAL;
	}
	at += strlen("/boot/vmlinuz-");
	p->release = strndup(at, strcspn(at, " \t\n"));
	if (!p->release)
		return zo_fail(ctx, -ENOMEM, "out of memory");
	if (!release_ok(p->release))
		return zo_fail(ctx, -EINVAL, "%s: the kernel release '%s' has characters a release "
					     "cannot have",
			       p->path, p->release);
	return 0;
}

/* Wait for the transient domain's agent, up to [target] agent_timeout. */
static int wait_agent(struct zo_target *t, const char *what)
{
	struct zo_ctx *ctx = t->ctx;
	long long timeout = 600;
	uint64_t start = zo_now_ms();
	_cleanup_free_ char *tail = NULL;

	zo_config_get_int(ctx->config, "target", "agent_timeout", &timeout);
	while (zo_target_agent_ping(t, 2) != 0) {
		uint64_t waited = (zo_now_ms() - start) / 1000;

		zo_target_progress(t, "%s: %s: waiting for the guest agent: %llu s", t->name, what,
				   (unsigned long long)waited);
		if (waited < (uint64_t)timeout) {
			sleep(1);
			continue;
		}
		zo_target_progress_end(t);
		if (zo_target_log_tail(ctx, 20, &tail) < 0)
			tail = NULL;
		return zo_fail(ctx, -ETIMEDOUT, "%s: the guest agent did not answer within %lld s "
						"([target] agent_timeout); last lines of the serial "
						"log %s:\n%s",
			       what, timeout, t->serial_log, tail ? tail : "(none)");
	}
	zo_target_progress_end(t);
	return 0;
}

/* Boot `disk` as the transient domain (with `cdrom` when not NULL). */
static int boot(struct zo_target *t, const char *disk, const char *cdrom, const char *what)
{
	struct zo_ctx *ctx = t->ctx;
	_cleanup_free_ char *xml = NULL;
	int r = zo_target_xml(t, BOOT_MEMORY_KIB, 1, disk, cdrom, &xml);

	if (r < 0)
		return r;
	unlink(t->serial_log);
	zo_phase(ctx, "target kernel install: %s", what);
	if (zo_virt_dom_create_transient(t->virt, xml) < 0)
		return zo_fail(ctx, -EIO, "cannot boot %s: %s", disk, zo_virt_error(t->virt));
	return wait_agent(t, what);
}

static void shut_down(struct zo_target *t)
{
	if (zo_target_stop(t, 120) == 2)
		zo_warn(&t->ctx->log, "%s did not power off within 120 s; stopped it", t->name);
}

/* The first boot: install, make default, take the kernel out. */
static int install_in_guest(struct zo_target *t, const struct zo_kernel_package *p,
			    const struct files *f, bool direct)
{
	struct zo_ctx *ctx = t->ctx;
	const char *pkg = strrchr(f->disc_pkg, '/') + 1;
	char *argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)install_script, (char *)"sh",
			 p->release, (char *)pkg, p->format, NULL };
	_cleanup_free_ char *guest_kernel = zo_asprintf("/boot/vmlinuz-%s", p->release);
	struct zo_guest_exec e = { 0 };
	const char *initrd;
	size_t len;
	int r = boot(t, f->tmp, f->iso, "installing the kernel");

	if (r == 0) {
		zo_phase(ctx, "target kernel install: %s %s in the guest", p->format == NULL ? "" :
			 !strcmp(p->format, "deb") ? "dpkg -i" : "rpm -ivh", pkg);
		r = zo_target_exec(t, argv, NULL, &e);
	}
	if (r == 0 && e.exit_code != 0)
		r = zo_fail(ctx, -EIO, "installing %s in the guest failed (exit %d): %.*s", pkg,
			    e.exit_code, (int)(e.err_len > 1500 ? 1500 : e.err_len), e.err);
	if (r == 0 && direct) {
		zo_phase(ctx, "target kernel install: taking %s out of the guest", guest_kernel);
		r = zo_target_fetch(t, guest_kernel, f->kernel_tmp, &len);
		initrd = e.out ? strstr(e.out, "initrd=") : NULL;
		if (r == 0 && !initrd)
			r = zo_fail(ctx, -ENOENT, "the guest made no initramfs for %s, which direct "
						  "kernel boot needs",
				    p->release);
		if (r == 0) {
			_cleanup_free_ char *path = strndup(initrd + 7, strcspn(initrd + 7, "\n"));

			r = path ? zo_target_fetch(t, path, f->initrd_tmp, &len) : -ENOMEM;
		}
	}
	zo_guest_exec_release(&e);
	shut_down(t);
	return r;
}

/* The second boot, on the new kernel: `uname -r` must be the release. */
static int verify(struct zo_target *t, const struct zo_kernel_package *p, const char *disk)
{
	struct zo_ctx *ctx = t->ctx;
	char *argv[] = { (char *)"uname", (char *)"-r", NULL };
	struct zo_guest_exec e = { 0 };
	int r = boot(t, disk, NULL, "booting the new kernel");

	if (r == 0)
		r = zo_target_exec(t, argv, NULL, &e);
	if (r == 0 && (e.exit_code != 0 || !e.out ||
		       strncmp(e.out, p->release, strlen(p->release)) ||
		       (e.out[strlen(p->release)] != '\n' && e.out[strlen(p->release)])))
		r = zo_fail(ctx, -EIO, "the copy booted %.*s, not %s: the kernel was not made the "
				       "default; the base was left as it was",
			    (int)strcspn(e.out ? e.out : "?", "\n"), e.out ? e.out : "?", p->release);
	zo_guest_exec_release(&e);
	shut_down(t);
	return r;
}

/* Boot on the extracted kernel and initrd: set in memory only until
 * they are recorded. */
static int use_kernel(struct zo_ctx *ctx, const char *kernel, const char *initrd)
{
	struct zo_diags diags = { 0 };
	int r = zo_config_override(ctx->config, "target", "kernel", kernel, ZO_SOURCE_COMMAND_LINE,
				   &diags);

	if (r == 0)
		r = zo_config_override(ctx->config, "target", "initrd", initrd,
				       ZO_SOURCE_COMMAND_LINE, &diags);
	zo_diags_release(&diags);
	return r < 0 ? zo_fail(ctx, r, "cannot use %s to boot", kernel) : 0;
}

/* The verified copy becomes the base. */
static int keep(struct zo_ctx *ctx, const struct zo_kernel_package *p, const struct files *f,
		bool direct)
{
	char sum[65];
	int r = zo_image_wait_closed(f->tmp, 60);

	if (r == 0)
		r = zo_sha256_file(f->tmp, sum);
	if (r == 0 && rename(f->tmp, f->base) < 0)
		r = -errno;
	if (r == 0 && direct && (rename(f->kernel_tmp, f->kernel) < 0 ||
				 rename(f->initrd_tmp, f->initrd) < 0))
		r = -errno;
	if (r < 0)
		return zo_fail(ctx, r, "cannot keep %s as the new base: %s", f->tmp, strerror(-r));
	r = zo_config_record(ctx, "target", "base_image", f->base);
	if (r == 0)
		r = zo_config_record(ctx, "target", "base_sha256", sum);
	if (r == 0)
		r = zo_config_record(ctx, "target", "base_kernel_release", p->release);
	if (r == 0 && direct)
		r = zo_config_record(ctx, "target", "kernel", f->kernel);
	if (r == 0 && direct)
		r = zo_config_record(ctx, "target", "initrd", f->initrd);
	return r;
}

/* The package on a disc of its own. */
static int make_disc(struct zo_ctx *ctx, const struct zo_kernel_package *p,
		     const struct files *f)
{
	int r = mkdir(f->disc, 0755) < 0 && errno != EEXIST ? -errno : 0;

	if (r == 0)
		r = zo_copy_file(p->path, f->disc_pkg, 0644);
	if (r < 0)
		return zo_fail(ctx, r, "cannot stage %s in %s: %s", p->path, f->disc, strerror(-r));
	return zo_make_iso(ctx, ISO_LABEL, f->disc, f->iso);
}

static int install(struct zo_target *t, const struct zo_kernel_package *p, const char *base,
		   const struct files *f, bool direct)
{
	struct zo_ctx *ctx = t->ctx;
	const char *name = t->name;
	int r = zo_target_pool_ensure(t);

	if (r == 0)
		r = make_disc(ctx, p, f);
	if (r == 0)
		r = zo_target_copy_in(t, base, f->tmp);
	if (r < 0)
		return r;
	t->name = f->name;
	r = install_in_guest(t, p, f, direct);
	if (r == 0 && direct)
		r = use_kernel(ctx, f->kernel_tmp, f->initrd_tmp);
	if (r == 0)
		r = verify(t, p, f->tmp);
	t->name = name;
	if (r == 0)
		r = keep(ctx, p, f, direct);
	return r;
}

static void plan(struct zo_ctx *ctx, const struct zo_kernel_package *p, const char *base,
		 bool direct)
{
	zo_plan(ctx, "# the script run in the copy (sh -c SCRIPT sh %s %s %s):", p->release,
		strrchr(p->path, '/') ? strrchr(p->path, '/') + 1 : p->path, p->format);
	zo_plan(ctx, "%.*s", (int)strlen(install_script) - 1, install_script);
	zo_plan(ctx, "# would copy %s, boot the copy with %s on a disc labelled %s and run %s "
		     "in it, then %s",
		base, p->path, ISO_LABEL, !strcmp(p->format, "deb") ? "dpkg -i" : "rpm -ivh --force",
		direct ? "take /boot/vmlinuz-RELEASE and its initrd out of it for direct kernel "
			 "boot ([target] kernel and initrd)" :
			 "make it the boot loader's default (grubby, or update-grub)");
	zo_plan(ctx, "# would boot the copy again, check that `uname -r` is %s, and record it "
		     "as [target] base_image with base_sha256 and base_kernel_release = %s",
		p->release, p->release);
}

/* The package suits the base: its format is the base's distribution's. */
static int check_suits(struct zo_ctx *ctx, struct zo_kernel_package *p, const char *base,
		       const char *profile)
{
	const char *want = !strcmp(profile, "centos7") ? "rpm" : "deb";
	const char *format = package_format(ctx, p->path);

	if (!base || !*base)
		return zo_refuse(ctx, -EPERM, "no [target] base_image to install a kernel into; "
					      "make one with 'zsim-orch target prepare --from "
					      "CLOUD.qcow2'");
	if (!zo_kernel_profile_known(profile))
		return zo_refuse(ctx, -EPERM, "[target] base_profile '%s': kernels install into "
					      "centos7 or debian12 bases made by 'zsim-orch target "
					      "prepare'",
				 profile);
	if (!format)
		return -EINVAL;
	p->format = strdup(format);
	if (!p->format)
		return -ENOMEM;
	if (strcmp(p->format, want)) {
		zo_fail(ctx, -EINVAL, "%s is %s package, and the base %s (%s) installs %s "
				      "packages: build one for it with 'zsim-orch target kernel build' "
				      "(it packages for the base's distribution)",
			p->path, !strcmp(p->format, "deb") ? "a deb" : "an RPM", base, profile,
			!strcmp(want, "deb") ? "deb" : "RPM");
		ctx->fail_kind = ZO_FAIL_USAGE;
		return -EINVAL;
	}
	return package_release(ctx, p);
}

int zo_kernel_install(struct zo_ctx *ctx, const char *pkg, char **ret_release)
{
	/* copies: recording the new base replaces the config's values */
	_cleanup_free_ char *base = strdup_or_null(zo_config_get(ctx->config, "target",
								    "base_image"));
	_cleanup_free_ char *profile = strdup_or_null(zo_config_get(ctx->config, "target",
								       "base_profile"));
	const char *kernel = zo_config_get(ctx->config, "target", "kernel");
	bool direct = kernel && *kernel;
	struct zo_kernel_package p = { 0 };
	struct zo_target t = { 0 };
	bool opened = false;
	struct files f = { 0 };
	_cleanup_free_ char *base_path = NULL;
	int r;

	p.path = strdup(pkg);
	if (!p.path)
		return zo_fail(ctx, -ENOMEM, "out of memory");
	r = check_suits(ctx, &p, base, profile ? profile : "");
	if (r == 0)
		r = zo_target_check_base(ctx);
	if (r == 0 && ctx->dry_run)
		plan(ctx, &p, base, direct);
	if (r < 0 || ctx->dry_run)
		goto out;
	base_path = zo_path(ctx->root, base);
	opened = base_path != NULL;
	r = base_path ? zo_target_open(ctx, &t) : -ENOMEM;
	if (r == 0)
		r = zo_target_check_stopped(&t);
	if (r == 0 && files_init(&t, profile, p.release, p.path, &f) < 0)
		r = zo_fail(ctx, -ENOMEM, "out of memory");
	if (r == 0 && !strcmp(f.base, base_path))
		r = zo_refuse(ctx, -EEXIST, "the base %s already has %s installed", base, p.release);
	if (r == 0) {
		r = install(&t, &p, base_path, &f, direct);
		if (r < 0)
			files_remove(&f);
		unlink(f.iso);
		unlink(f.disc_pkg);
		rmdir(f.disc);
	}
	if (r == 0 && ret_release)
		*ret_release = strdup(p.release);
	if (r == 0)
		zo_say(ctx, "%s: the new base, with kernel %s as its default; 'zsim-orch target "
			    "create --destroy-existing' puts the target on it (the old base %s stays)",
		       f.base, p.release, base);
out:
	zo_progress_end(ctx);
	files_release(&f);
	if (opened)
		zo_target_release(&t);
	zo_kernel_package_release(&p);
	return r;
}
