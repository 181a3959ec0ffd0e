/* The target through libvirt and its guest agent (ops/target.h). */
#include "ops/target.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/domain.h"
#include "core/units.h"
#include "sys/loop.h"
#include "sys/sysfs.h"
#include "util/file.h"
#include "util/path.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

#define POOL "zsim"
#define TSC_OFFSETTING "/sys/module/kvm_intel/parameters/enable_tsc_offsetting"

static bool set(const char *s)
{
	return s && *s;
}

/* A block of text (XML ending in a newline) as plan lines. */
static void plan_text(struct zo_ctx *ctx, const char *text)
{
	size_t len = strlen(text);

	zo_plan(ctx, "%.*s", (int)(len && text[len - 1] == '\n' ? len - 1 : len), text);
}

void zo_target_progress(struct zo_target *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	zo_progressv(t->ctx, fmt, ap);
	va_end(ap);
}

void zo_target_progress_end(struct zo_target *t)
{
	zo_progress_end(t->ctx);
}

static char *serial_log_path(struct zo_ctx *ctx, const char *state_dir)
{
	return zo_asprintf("%s/target/%s.serial.log", state_dir,
			   zo_config_get(ctx->config, "target", "name"));
}

void zo_target_release(struct zo_target *t)
{
	zo_virt_close(t->virt);
	free(t->state_dir);
	free(t->serial_log);
	free(t->images_dir);
	free(t->overlay_vol);
	free(t->results_img);
	free(t->results_dev);
	memset(t, 0, sizeof(*t));
}

int zo_target_open(struct zo_ctx *ctx, struct zo_target *t)
{
	const char *state = zo_config_get(ctx->config, "paths", "state");
	int r;

	memset(t, 0, sizeof(*t));
	t->ctx = ctx;
	t->name = zo_config_get(ctx->config, "target", "name");
	t->uri = zo_config_get(ctx->config, "target", "uri");
	t->state_dir = zo_path(ctx->root, state);
	t->serial_log = t->state_dir ? serial_log_path(ctx, t->state_dir) : NULL;
	t->images_dir = t->state_dir ? zo_asprintf("%s/images", t->state_dir) : NULL;
	t->overlay_vol = zo_asprintf("%s.qcow2", t->name);
	t->results_img = t->state_dir ? zo_asprintf("%s/target/%s.results.img", t->state_dir,
						    t->name)
				      : NULL;
	if (!t->serial_log || !t->images_dir || !t->overlay_vol || !t->results_img)
		return zo_fail(ctx, -ENOMEM, "cannot open the target %s: out of memory", t->name);
	r = zo_virt_connect(t->uri, &t->virt);
	if (r < 0)
		return zo_fail_transient(ctx, r, "cannot reach libvirt at %s: %s", t->uri,
					 t->virt ? zo_virt_error(t->virt) : strerror(-r));
	return 0;
}

/* The domain's state; libvirt not answering is transient. */
static int ask(struct zo_target *t, struct zo_dom_info *info)
{
	if (zo_virt_dom_info(t->virt, t->name, info) < 0)
		return zo_fail_transient(t->ctx, -EIO, "cannot ask libvirt about %s: %s", t->name,
					 zo_virt_error(t->virt));
	return 0;
}

static bool running(const struct zo_dom_info *info)
{
	return info->state == ZO_DOM_RUNNING || info->state == ZO_DOM_PAUSED;
}

const char *zo_target_accel(struct zo_ctx *ctx)
{
	const char *accel = zo_config_get(ctx->config, "target", "accel");

	if (strcmp(accel, "auto"))
		return accel;
	return zo_kvm_usable(ctx->root) ? "kvm" : "tcg";
}

int zo_target_xml(struct zo_target *t, uint64_t memory_kib, unsigned vcpus, const char *disk,
		  const char *cdrom, char **ret)
{
	struct zo_ctx *ctx = t->ctx;
	struct zo_domain_spec s = { 0 };
	_cleanup_free_ char *kernel = NULL, *initrd = NULL;
	const char *k = zo_config_get(ctx->config, "target", "kernel");
	const char *i = zo_config_get(ctx->config, "target", "initrd");
	long host_cpus = sysconf(_SC_NPROCESSORS_ONLN);

	s.name = t->name;
	s.accel = zo_target_accel(ctx);
	s.memory_kib = memory_kib;
	s.vcpus = vcpus;
	s.host_cpus = host_cpus > 0 ? (unsigned)host_cpus : 0;
	s.serial_log = t->serial_log;
	if (set(k)) {
		kernel = zo_path(ctx->root, k);
		s.kernel = kernel;
		if (set(i)) {
			initrd = zo_path(ctx->root, i);
			s.initrd = initrd;
		}
		s.cmdline = zo_config_get(ctx->config, "target", "cmdline");
	}
	s.disk = disk;
	s.cdrom = cdrom;
	s.results_disk = t->results_disk ? t->results_img : NULL;
	s.libvirt_version = zo_virt_lib_version(t->virt);
	*ret = zo_domain_xml(&s);
	return *ret ? 0 : zo_fail(ctx, -errno, "cannot build the domain XML");
}

/* The memory: whole GB when given, else [target] memory. */
static int target_memory(struct zo_ctx *ctx, const char *gb_opt, uint64_t *ret_kib)
{
	uint64_t bytes = 0;
	long long gb;

	if (gb_opt) {
		if (zo_int_parse(gb_opt, 1, 1024LL * 1024, &gb) < 0) {
			zo_fail(ctx, -EINVAL, "--memory %s: use whole GB from 1 to 1048576", gb_opt);
			ctx->fail_kind = ZO_FAIL_USAGE;
			return -EINVAL;
		}
		*ret_kib = (uint64_t)gb * 1024 * 1024;
		return 0;
	}
	zo_config_get_size(ctx->config, "target", "memory", &bytes);
	*ret_kib = bytes / 1024;
	return 0;
}

/* The pool at images_dir; -errno with libvirt's message in t->virt. */
static int pool_ensure(struct zo_target *t)
{
	_cleanup_free_ char *held = NULL, *xml = NULL;
	int r = zo_virt_pool_get_xml(t->virt, POOL, &held);

	/* The pool is zsim's own and follows [paths] state: after the state
	 * directory moved, the old definition points at the old place.
	 * (A pool whose XML cannot be read is left as it is.) */
	if (r == 0 && zo_pool_xml_has_path(held, t->images_dir))
		return t->ctx->dry_run ? 0 : zo_virt_pool_start(t->virt, POOL);
	if (r == -ENOENT || r == 0) {
		xml = zo_pool_xml(POOL, t->images_dir);
		if (!xml)
			return -ENOMEM;
		if (t->ctx->dry_run) {
			plan_text(t->ctx, xml);
			return 0;
		}
		/* stopping and undefining a directory pool leaves its files */
		if (r == 0 && (r = zo_virt_pool_undefine(t->virt, POOL)) < 0)
			return r;
		r = zo_virt_pool_define(t->virt, xml);
		if (r < 0)
			return r;
	}
	return t->ctx->dry_run ? 0 : zo_virt_pool_start(t->virt, POOL);
}

int zo_target_pool_ensure(struct zo_target *t)
{
	int r = pool_ensure(t);

	if (r < 0)
		return zo_fail(t->ctx, r, "cannot set up the storage pool in %s: %s", t->images_dir,
			       zo_virt_error(t->virt));
	return 0;
}

/* The overlay volume's XML on `base_path`, sized like the base. */
static int overlay_xml(struct zo_target *t, const char *base, const char *base_path, char **ret)
{
	unsigned char h[ZO_QCOW2_HEADER_LEN];
	uint64_t capacity = 0;

	if (zo_read_head(base_path, h, sizeof(h)) < 0 ||
	    zo_qcow2_header(h, sizeof(h), &capacity) < 0)
		return zo_fail(t->ctx, -EINVAL, "cannot make the overlay on %s: %s is not a qcow2 "
						"image", base, base_path);
	*ret = zo_overlay_xml(t->overlay_vol, capacity, base_path);
	return *ret ? 0 : zo_fail(t->ctx, -ENOMEM, "cannot make the overlay on %s: out of memory",
				  base);
}

/* The overlay on [target] base_image for the domain: a new one when
 * `fresh` or missing (*ret_made), else the existing one. */
static int overlay(struct zo_target *t, const char *base, bool fresh, char **ret_path,
		   bool *ret_made)
{
	struct zo_ctx *ctx = t->ctx;
	_cleanup_free_ char *base_path = zo_path(ctx->root, base), *path = NULL, *xml = NULL;
	int r;

	*ret_made = false;
	if (!base_path || access(base_path, R_OK) < 0)
		return zo_fail(ctx, -errno, "[target] base_image %s: %s; nothing was defined "
					    "(prepare one with 'zsim-orch target prepare')",
			       base, strerror(errno));
	r = pool_ensure(t);
	if (r < 0)
		return zo_fail(ctx, r, "cannot make the overlay on %s: %s", base,
			       zo_virt_error(t->virt));
	path = zo_asprintf("%s/%s", t->images_dir, t->overlay_vol);
	if (!path)
		return zo_fail(ctx, -ENOMEM, "cannot make the overlay on %s: out of memory", base);
	if (!fresh && access(path, F_OK) == 0) {
		*ret_path = TAKE_PTR(path);
		return 0;
	}
	r = overlay_xml(t, base, base_path, &xml);
	if (r < 0)
		return r;
	if (ctx->dry_run) {
		plan_text(ctx, xml);
		*ret_path = TAKE_PTR(path);
		return 0;
	}
	free(path);
	path = NULL;
	zo_virt_vol_delete(t->virt, POOL, t->overlay_vol);
	r = zo_virt_vol_create(t->virt, POOL, xml, &path);
	if (r < 0)
		return zo_fail(ctx, r, "cannot make the overlay on %s: %s", base,
			       zo_virt_error(t->virt));
	*ret_path = TAKE_PTR(path);
	*ret_made = true;
	return 0;
}

/* The results disk's file, sparse; an existing one is kept. Not made: a
 * warning, and the domain goes without (results then come through the
 * guest agent). */
static int results_image(struct zo_target *t)
{
	int fd = open(t->results_img, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666), r = 0;

	if (fd < 0 && errno == EEXIST)
		return 0;
	if (fd < 0)
		r = -errno;
	/* QEMU may run as another user (libvirt's session daemon) */
	else if (fchmod(fd, 0666) < 0 ||
		 ftruncate(fd, (off_t)ZO_TARGET_RESULTS_DISK_BYTES) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	if (r < 0) {
		if (fd >= 0)
			unlink(t->results_img);
		zo_warn(&t->ctx->log, "no results disk for %s: cannot make %s: %s; results come "
				      "through the guest agent",
			t->name, t->results_img, strerror(-r));
	}
	return r;
}

/* Define the domain. In disk mode `fresh` makes a new overlay on the base;
 * otherwise the existing overlay is kept (a new shape, same disk). */
static int define(struct zo_target *t, uint64_t memory_kib, unsigned vcpus, bool fresh)
{
	struct zo_ctx *ctx = t->ctx;
	const char *kernel = zo_config_get(ctx->config, "target", "kernel");
	const char *base = zo_config_get(ctx->config, "target", "base_image");
	_cleanup_free_ char *kernel_path = NULL, *disk = NULL, *xml = NULL;
	bool made = false;
	int r;

	if (!set(kernel) && !set(base))
		return zo_fail(ctx, -EINVAL, "no target in %s: set [target] kernel (+ initrd) for "
					     "direct boot or base_image for a disk",
			       ctx->config_path);
	if (set(kernel)) {
		kernel_path = zo_path(ctx->root, kernel);
		if (!kernel_path || access(kernel_path, R_OK) < 0)
			return zo_fail(ctx, -errno, "[target] kernel %s: %s; nothing was defined",
				       kernel, strerror(errno));
	}
	r = ctx->dry_run ? 0 : zo_mkdir_parents(t->serial_log);
	if (r < 0)
		return zo_fail(ctx, r, "cannot create %s/target", t->state_dir);
	if (set(base) && (r = overlay(t, base, fresh, &disk, &made)) < 0)
		return r;
	t->results_disk = ctx->dry_run || results_image(t) == 0;
	r = zo_target_xml(t, memory_kib, vcpus, disk, NULL, &xml);
	if (r < 0)
		return r;
	if (ctx->dry_run) {
		plan_text(ctx, xml);
		return 0;
	}
	if (zo_virt_dom_define(t->virt, xml) < 0) {
		zo_fail(ctx, -EIO, "libvirt refused the domain: %s", zo_virt_error(t->virt));
		if (made)
			zo_virt_vol_delete(t->virt, POOL, t->overlay_vol);
		return -EIO;
	}
	return 0;
}

/* Remove the domain and its overlay, whatever state it is in. */
static int undefine_all(struct zo_target *t)
{
	struct zo_dom_info info;
	int r = 0;

	if (zo_virt_dom_info(t->virt, t->name, &info) < 0)
		return -EIO;
	if (running(&info))
		zo_virt_dom_destroy(t->virt, t->name);
	if (info.state != ZO_DOM_ABSENT && zo_virt_dom_undefine(t->virt, t->name) < 0)
		r = -EIO;
	zo_dom_info_release(&info);
	return r < 0 ? r : zo_virt_vol_delete(t->virt, POOL, t->overlay_vol);
}

int zo_target_create(struct zo_target *t, bool destroy_existing, const char **ret_state)
{
	struct zo_ctx *ctx = t->ctx;
	struct zo_dom_info info;
	long long vcpus = 1;
	uint64_t kib = 0;
	int r = ask(t, &info);

	if (r < 0)
		return r;
	if (info.state != ZO_DOM_ABSENT && !destroy_existing) {
		*ret_state = info.state_name; /* a constant string */
		zo_dom_info_release(&info);
		return 1;
	}
	zo_dom_info_release(&info);
	if (destroy_existing && !ctx->dry_run && undefine_all(t) < 0)
		return zo_fail(ctx, -EIO, "cannot remove the old %s: %s", t->name,
			       zo_virt_error(t->virt));
	target_memory(ctx, NULL, &kib);
	zo_config_get_int(ctx->config, "target", "vcpus", &vcpus);
	return define(t, kib, (unsigned)vcpus, true);
}

int zo_target_agent_ping(struct zo_target *t, int timeout_s)
{
	json_object *cmd = json_object_new_object(), *res = NULL;
	int r;

	json_object_object_add(cmd, "execute", json_object_new_string("guest-ping"));
	r = zo_virt_agent(t->virt, t->name, cmd, timeout_s, &res);
	json_object_put(cmd);
	if (res)
		json_object_put(res);
	return r;
}

/* Defined in this shape, (re)defined if not. 1: the domain is running
 * already and its agent answers. */
static int ensure_defined(struct zo_target *t, uint64_t kib, long long vcpus)
{
	struct zo_ctx *ctx = t->ctx;
	struct zo_dom_info info;
	int r = ask(t, &info);

	if (r < 0)
		return r;
	if (info.state == ZO_DOM_RUNNING) {
		zo_dom_info_release(&info);
		if (zo_target_agent_ping(t, 5) == 0)
			return 1;
		return zo_fail(ctx, -EBUSY, "%s is running but its agent does not answer; "
					    "'zsim-orch target stop' it first",
			       t->name);
	}
	/* (Re)define when absent or when this run wants another shape. */
	if (info.state != ZO_DOM_ABSENT && info.memory_kib == kib && info.vcpus == vcpus) {
		zo_dom_info_release(&info);
		return 0;
	}
	/* libvirt will not redefine a name under a new UUID */
	if (info.state != ZO_DOM_ABSENT && !ctx->dry_run &&
	    zo_virt_dom_undefine(t->virt, t->name) < 0) {
		zo_dom_info_release(&info);
		return zo_fail(ctx, -EIO, "cannot reshape %s: %s", t->name, zo_virt_error(t->virt));
	}
	zo_dom_info_release(&info);
	r = define(t, kib, (unsigned)vcpus, false);
	/* under --dry-run the plan ends with the definition */
	return r < 0 ? r : ctx->dry_run ? 2 : 0;
}

static int no_answer(struct zo_target *t, long long timeout)
{
	struct stat st;

	if (stat(t->serial_log, &st) < 0 || st.st_size <= 0)
		return zo_fail(t->ctx, -ETIMEDOUT,
			       "%s printed nothing and its agent did not answer within %lld s, "
			       "so it was stopped. A guest that never prints is QEMU hanging: "
			       "with accel = kvm on a host whose KVM cannot run it, or with EPT "
			       "on and a target too wide for the CPU's address bits (zsim-orch "
			       "preflight). Try [target] accel = tcg, or 'zsim-orch ept off'. "
			       "Serial log: %s",
			       t->name, timeout, t->serial_log);
	return zo_fail(t->ctx, -ETIMEDOUT, "%s booted but its guest agent did not answer within "
					   "%lld s, so it was stopped; see the serial log %s (is "
					   "qemu-guest-agent installed and started?)",
		       t->name, timeout, t->serial_log);
}

/* Boot the defined domain and wait for its agent. */
static int boot(struct zo_target *t, long long timeout, volatile sig_atomic_t *stop)
{
	struct zo_ctx *ctx = t->ctx;
	uint64_t start;
	bool tsc = false;
	int r = 0;

	/* 0sim: TSC offsetting off while booting, on once the target runs
	 * (a booting guest that keeps losing time never finishes booting). */
	if (zo_sysfs_exists(ctx->root, TSC_OFFSETTING) > 0)
		tsc = zo_sysfs_write(ctx->root, TSC_OFFSETTING, "0") == 0;
	unlink(t->serial_log);
	/* boot to agent counts from the start request: QEMU's launch is boot */
	start = zo_now_ms();
	if (zo_virt_dom_start(t->virt, t->name) < 0) {
		r = zo_fail(ctx, -EIO, "cannot start %s: %s", t->name, zo_virt_error(t->virt));
		goto out;
	}
	for (;;) {
		uint64_t waited = (zo_now_ms() - start) / 1000;

		zo_target_progress(t, "%s: waiting for the guest agent: %llu s", t->name,
			 (unsigned long long)waited);
		if (zo_target_agent_ping(t, 2) == 0)
			break;
		if ((stop && *stop) || waited >= (uint64_t)timeout) {
			zo_target_progress_end(t);
			zo_virt_dom_destroy(t->virt, t->name);
			r = stop && *stop ? zo_fail(ctx, -EINTR, "stopped by signal %d while booting", (int)*stop)
					  : no_answer(t, timeout);
			goto out;
		}
		/* an agent that is not there yet fails at once: asking every
		 * 50 ms costs nothing and sees it within 50 ms (a second's
		 * sleep here was half a second of every start, on average) */
		zo_sleep_ms(50, stop);
	}
	zo_target_progress_end(t);
	t->boot_ms = zo_now_ms() - start;
	zo_say(ctx, "%s: running, agent answered after %.1f s", t->name,
	       (double)t->boot_ms / 1000);
out:
	if (tsc)
		zo_sysfs_write(ctx->root, TSC_OFFSETTING, "1");
	return r;
}

int zo_target_start(struct zo_target *t, const char *memory_gb, long long vcpus_opt,
		    volatile sig_atomic_t *stop)
{
	struct zo_ctx *ctx = t->ctx;
	long long vcpus = 1, timeout = 600;
	uint64_t kib = 0;
	int r;

	r = target_memory(ctx, memory_gb, &kib);
	if (r < 0)
		return r;
	zo_config_get_int(ctx->config, "target", "vcpus", &vcpus);
	if (vcpus_opt > 0)
		vcpus = vcpus_opt;
	zo_config_get_int(ctx->config, "target", "agent_timeout", &timeout);
	r = ensure_defined(t, kib, vcpus);
	if (r == 1)
		zo_say(ctx, "%s: already running", t->name);
	if (r != 0)
		return r < 0 ? r : 0;
	if (ctx->dry_run) {
		zo_plan(ctx, "would start %s and wait up to %lld s for its guest agent", t->name,
			timeout);
		return 0;
	}
	return boot(t, timeout, stop);
}

static bool off(struct zo_target *t)
{
	struct zo_dom_info info;
	bool r;

	if (zo_virt_dom_info(t->virt, t->name, &info) < 0)
		return false;
	r = info.state == ZO_DOM_SHUTOFF || info.state == ZO_DOM_ABSENT;
	zo_dom_info_release(&info);
	return r;
}

int zo_target_stop(struct zo_target *t, int timeout_s)
{
	struct zo_ctx *ctx = t->ctx;
	struct zo_dom_info info;
	uint64_t start = zo_now_ms();
	bool agent;

	if (zo_virt_dom_info(t->virt, t->name, &info) < 0)
		return zo_fail(ctx, -EIO, "cannot stop %s: %s", t->name, zo_virt_error(t->virt));
	agent = info.state == ZO_DOM_ABSENT || info.state == ZO_DOM_SHUTOFF;
	zo_dom_info_release(&info);
	if (agent)
		return 0;
	if (ctx->dry_run) {
		zo_plan(ctx, "would shut %s down through its guest agent (or ACPI) and destroy it "
			     "after %d s",
			t->name, timeout_s);
		return 1;
	}
	agent = zo_target_agent_ping(t, 2) == 0;
	zo_virt_dom_shutdown(t->virt, t->name, agent);
	while ((zo_now_ms() - start) / 1000 < (uint64_t)timeout_s) {
		if (off(t))
			return 1;
		zo_sleep_ms(200, NULL);
	}
	if (zo_virt_dom_destroy(t->virt, t->name) < 0)
		return zo_fail(ctx, -EIO, "cannot stop %s: %s", t->name, zo_virt_error(t->virt));
	return 2;
}

int zo_target_destroy(struct zo_target *t, const char **ret_state)
{
	struct zo_ctx *ctx = t->ctx;
	struct zo_dom_info info;
	int r = ask(t, &info);

	if (r < 0)
		return r;
	*ret_state = info.state_name; /* a constant string */
	r = running(&info);
	zo_dom_info_release(&info);
	if (!r)
		return 0;
	if (ctx->dry_run) {
		zo_plan(ctx, "would destroy %s (power it off; it stays defined)", t->name);
		return 1;
	}
	if (zo_virt_dom_destroy(t->virt, t->name) < 0)
		return zo_fail(ctx, -EIO, "cannot destroy %s: %s", t->name, zo_virt_error(t->virt));
	return 1;
}

void zo_target_status_release(struct zo_target_status *s)
{
	zo_dom_info_release(&s->info);
}

int zo_target_status(struct zo_target *t, struct zo_target_status *ret)
{
	char *const uptime_argv[] = { (char *)"cat", (char *)"/proc/uptime", NULL };
	struct zo_guest_exec up = { 0 };
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->uptime_s = -1;
	r = ask(t, &ret->info);
	if (r < 0)
		return r;
	if (ret->info.state != ZO_DOM_RUNNING)
		return 0;
	ret->agent = zo_target_agent_ping(t, 5) == 0;
	if (ret->agent && zo_virt_guest_exec(t->virt, t->name, uptime_argv, NULL, &up) == 0)
		ret->uptime_s = strtod(up.out, NULL);
	zo_guest_exec_release(&up);
	return 0;
}

int zo_target_exec(struct zo_target *t, char *const argv[], volatile sig_atomic_t *stop,
		   struct zo_guest_exec *ret)
{
	int r = zo_virt_guest_exec(t->virt, t->name, argv, stop, ret);

	if (r == -EINTR) /* *stop holds the signal's number (zo_run_stop_flag) */
		return zo_fail(t->ctx, r, "stopped by signal %d", (int)*stop);
	if (r < 0)
		return zo_fail(t->ctx, r, "cannot run %s in %s: %s", argv[0], t->name,
			       r == -ENOENT ? "no such target" : zo_virt_error(t->virt));
	return 0;
}

int zo_target_read(struct zo_target *t, const char *guest_path, char **ret, size_t *ret_len)
{
	int r = zo_virt_guest_read(t->virt, t->name, guest_path, ret, ret_len);

	if (r < 0)
		return zo_fail(t->ctx, r, "cannot read %s in %s: %s", guest_path, t->name,
			       zo_virt_error(t->virt));
	return 0;
}

int zo_target_results_device(struct zo_target *t, const char **ret)
{
	char *const argv[] = {
		(char *)"sh", (char *)"-c",
		(char *)"for b in /sys/block/*; do [ \"$(cat $b/serial 2>/dev/null)\" = \"$0\" ] && "
			"echo /dev/${b##*/}; done; true",
		(char *)ZO_RESULTS_DISK_SERIAL, NULL,
	};
	struct zo_guest_exec e;
	int r;

	if (!t->results_dev) {
		/* only a disk zsim attached: its file must be here */
		if (access(t->results_img, R_OK) < 0) {
			t->results_dev = strdup("");
		} else {
			r = zo_target_exec(t, argv, NULL, &e);
			if (r < 0) {
				zo_guest_exec_release(&e);
				return r;
			}
			t->results_dev = strndup(e.out, strcspn(e.out, "\n"));
			zo_guest_exec_release(&e);
		}
		if (!t->results_dev)
			return zo_fail(t->ctx, -ENOMEM, "out of memory");
	}
	*ret = t->results_dev;
	return 0;
}

/* close(out), a failure reported as one to write `host_path` unless r
 * already is one */
static int close_host_file(struct zo_target *t, int out, const char *host_path, int r)
{
	if (close(out) < 0 && r == 0)
		r = zo_fail(t->ctx, -errno, "cannot write %s: %s", host_path, strerror(errno));
	return r;
}

/* Hand [at, at + n) of the results disk back: its pages leave the page
 * cache without being written (the guest's copy was scratch), so the
 * host's dirty memory holds the fetched bytes once, not twice, and the
 * copy is not throttled by writeback. Where the filesystem cannot punch
 * holes, *ok goes false and the pages are written back as before. */
static void punch(int in, uint64_t at, uint64_t n, bool *ok)
{
	if (*ok && fallocate(in, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)at,
			     (off_t)n) < 0)
		*ok = false;
}

/* The copy itself: `out` written from its current offset, the disk
 * emptied behind it. */
static int copy_results(struct zo_target *t, uint64_t len, int in, int out,
			const char *host_path)
{
	_cleanup_free_ char *buf = NULL;
	const size_t chunk = 4 << 20;
	uint64_t done = 0;
	bool holes = true;
	int r = 0;

	buf = malloc(chunk);
	if (!buf)
		return zo_fail(t->ctx, -ENOMEM, "out of memory");
	/* in the kernel, page cache to page cache: no copy through here */
	while (done < len && r == 0) {
		off_t at = (off_t)done;
		size_t want = len - done < (64U << 20) ? (size_t)(len - done) : (64U << 20);
		ssize_t n = sendfile(out, in, &at, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* not here (EINVAL): by hand below; at an end: said below */
		punch(in, done, (uint64_t)n, &holes);
		done += (uint64_t)n;
	}
	while (done < len && r == 0) {
		size_t want = len - done < chunk ? (size_t)(len - done) : chunk, off = 0;
		ssize_t n = pread(in, buf, want, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = zo_fail(t->ctx, n < 0 ? -errno : -EIO, "cannot read the results disk %s: "
								   "%s",
				    t->results_img, n < 0 ? strerror(errno) : "it ends early");
			break;
		}
		while (off < (size_t)n && r == 0) {
			ssize_t w = write(out, buf + off, (size_t)n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				r = zo_fail(t->ctx, -errno, "cannot write %s: %s", host_path,
					    strerror(errno));
			else
				off += (size_t)w;
		}
		if (r == 0)
			punch(in, done, (uint64_t)n, &holes);
		done += (uint64_t)n;
	}
	return r;
}

/* The first `len` bytes of the results disk to `out` (left open). */
static int copy_from_disk(struct zo_target *t, uint64_t len, int out, const char *host_path)
{
	_cleanup_close_ int in = -1;

	if (len > ZO_TARGET_RESULTS_DISK_BYTES)
		return zo_fail(t->ctx, -EFBIG, "%s: %llu bytes do not fit on the results disk",
			       host_path, (unsigned long long)len);
	/* read-write: what was read is punched out (copy_results) */
	in = open(t->results_img, O_RDWR | O_CLOEXEC);
	if (in < 0)
		return zo_fail(t->ctx, -errno, "cannot read the results disk %s: %s",
			       t->results_img, strerror(errno));
	return copy_results(t, len, in, out, host_path);
}

int zo_target_copy_results_fd(struct zo_target *t, uint64_t len, int out, const char *host_path)
{
	int r = copy_from_disk(t, len, out, host_path);

	return out < 0 ? r : close_host_file(t, out, host_path, r);
}

/* The guest copies the file onto the results disk with direct I/O (each
 * block padded: direct I/O writes whole blocks) and says its size. */
static int fetch_by_disk(struct zo_target *t, const char *dev, const char *guest_path,
			 int out, const char *host_path, size_t *ret_len)
{
	char *const argv[] = {
		(char *)"sh", (char *)"-c",
		/* stat, not wc: busybox's wc reads every byte (seconds a GiB
		 * under TCG) */
		(char *)"n=$(stat -c %s \"$0\" 2>/dev/null || wc -c < \"$0\") || exit 1; "
			"dd if=\"$0\" of=\"$1\" bs=4M oflag=direct conv=sync 2>/dev/null || exit 1; "
			"echo $n",
		(char *)guest_path, (char *)dev, NULL,
	};
	struct zo_guest_exec e;
	unsigned long long len = 0;
	uint64_t start = zo_now_ms(), copied;
	int r = zo_target_exec(t, argv, NULL, &e);

	if (r == 0 && (e.exit_code != 0 || sscanf(e.out, "%llu", &len) != 1))
		r = -EIO;
	zo_guest_exec_release(&e);
	if (r < 0)
		return r;
	copied = zo_now_ms();
	r = copy_from_disk(t, len, out, host_path);
	if (r == 0)
		*ret_len = (size_t)len;
	zo_debug(&t->ctx->log, "%s: %llu bytes onto the results disk in %llu ms, to the host in "
			       "%llu ms",
		 guest_path, len, (unsigned long long)(copied - start),
		 (unsigned long long)(zo_now_ms() - copied));
	return r;
}

int zo_target_fetch(struct zo_target *t, const char *guest_path, const char *host_path,
		    size_t *ret_len)
{
	const char *slash = strrchr(host_path, '/');
	_cleanup_free_ char *dir = slash ? strndup(host_path, (size_t)(slash - host_path)) : NULL;
	const char *base = slash ? slash + 1 : host_path;
	_cleanup_free_ char *tmp = zo_asprintf(".%s.%ld.part", base, (long)getpid());
	_cleanup_close_ int dfd = -1;
	int fd, r;

	if ((slash && !dir) || !tmp)
		return zo_fail(t->ctx, -ENOMEM, "out of memory");
	if (!*base)
		return zo_fail(t->ctx, -EISDIR, "cannot write %s: it names a directory", host_path);
	/* written under a temporary name beside it and renamed when whole: a
	 * fetch that dies leaves no part of the file under its name */
	dfd = open(dir ? (*dir ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return zo_fail(t->ctx, -errno, "cannot write %s: %s", host_path, strerror(errno));
	fd = zo_create_new_at(dfd, tmp, 0666);
	if (fd < 0)
		return zo_fail(t->ctx, fd, "cannot write %s: %s", host_path, strerror(-fd));
	r = zo_target_fetch_fd(t, guest_path, fd, host_path, ret_len);
	if (r == 0 && renameat(dfd, tmp, dfd, base) < 0)
		r = zo_fail(t->ctx, -errno, "cannot write %s: %s", host_path, strerror(errno));
	if (r < 0)
		unlinkat(dfd, tmp, 0);
	return r;
}

int zo_target_fetch_fd(struct zo_target *t, const char *guest_path, int fd,
		       const char *host_path, size_t *ret_len)
{
	const char *dev = "";
	size_t len = 0;
	int r;

	if (zo_target_results_device(t, &dev) == 0 && *dev &&
	    fetch_by_disk(t, dev, guest_path, fd, host_path, ret_len) == 0)
		return close_host_file(t, fd, host_path, 0);
	/* no results disk (a domain defined before it), or the copy onto it
	 * failed (a file larger than the disk): through the agent, from the
	 * start of the file again */
	zo_clear_error(t->ctx);
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		r = zo_fail(t->ctx, -errno, "cannot write %s: %s", host_path, strerror(errno));
		return close_host_file(t, fd, host_path, r);
	}
	/* streamed: a 12 GB .out must not pass through the host's RAM, which
	 * is what the simulation runs on */
	r = zo_virt_guest_read_fd(t->virt, t->name, guest_path, fd, &len);
	if (r < 0)
		zo_fail(t->ctx, r, "cannot read %s in %s: %s", guest_path, t->name,
			zo_virt_error(t->virt));
	r = close_host_file(t, fd, host_path, r);
	if (r < 0)
		return r;
	*ret_len = len;
	return 0;
}

int zo_target_log_tail(struct zo_ctx *ctx, long long lines, char **ret)
{
	_cleanup_free_ char *state = zo_path(ctx->root,
					     zo_config_get(ctx->config, "paths", "state"));
	_cleanup_free_ char *path = state ? serial_log_path(ctx, state) : NULL;
	_cleanup_free_ char *text = NULL;
	size_t len = 0, i;
	long long seen = 0;
	int r;

	if (!path)
		return zo_fail(ctx, -ENOMEM, "cannot read the serial log: out of memory");
	r = zo_read_file(path, 64 * 1024 * 1024, &text, &len);
	if (r < 0)
		return zo_fail(ctx, r, "cannot read the serial log %s: %s", path, strerror(-r));
	/* a last line without its newline counts as a line */
	for (i = len; i > 0; i--)
		if (text[i - 1] == '\n' && i != len && ++seen == lines)
			break;
	*ret = strdup(text + i);
	return *ret ? 0 : zo_fail(ctx, -ENOMEM, "cannot read the serial log: out of memory");
}
