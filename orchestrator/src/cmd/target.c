/* zsim-orch target: the simulated machine, through libvirt and its guest
 * agent (no SSH: its connections die when a target falls far behind real
 * time). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/target.h"
#include "core/domain.h"
#include "core/units.h"
#include "sys/sysfs.h"
#include "sys/virt.h"
#include "util/file.h"
#include "util/json.h"
#include "util/path.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

#define POOL "zsim"
#define TSC_OFFSETTING "/sys/module/kvm_intel/parameters/enable_tsc_offsetting"

void zo_target_release(struct zo_target *t)
{
	zo_virt_close(t->virt);
	free(t->state_dir);
	free(t->serial_log);
	free(t->images_dir);
	free(t->overlay_vol);
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
	t->serial_log = t->state_dir ? zo_asprintf("%s/target/%s.serial.log", t->state_dir,
						   t->name)
				     : NULL;
	t->images_dir = t->state_dir ? zo_asprintf("%s/images", t->state_dir) : NULL;
	t->overlay_vol = zo_asprintf("%s.qcow2", t->name);
	if (!t->serial_log || !t->images_dir || !t->overlay_vol)
		return ZO_EXIT_FAILED;
	r = zo_virt_connect(t->uri, &t->virt);
	if (r < 0) {
		zo_error(ctx, "cannot reach libvirt at %s: %s", t->uri, zo_virt_error(t->virt));
		return ZO_EXIT_FAILED;
	}
	return ZO_EXIT_OK;
}

/* "auto": KVM when this host can create a VM, else TCG. */
static const char *resolve_accel(struct zo_ctx *ctx)
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
	s.accel = resolve_accel(ctx);
	s.memory_kib = memory_kib;
	s.vcpus = vcpus;
	s.host_cpus = host_cpus > 0 ? (unsigned)host_cpus : 0;
	s.serial_log = t->serial_log;
	if (k && *k) {
		kernel = zo_path(ctx->root, k);
		s.kernel = kernel;
		if (i && *i) {
			initrd = zo_path(ctx->root, i);
			s.initrd = initrd;
		}
		s.cmdline = zo_config_get(ctx->config, "target", "cmdline");
	}
	s.disk = disk;
	s.cdrom = cdrom;
	s.libvirt_version = zo_virt_lib_version(t->virt);
	*ret = zo_domain_xml(&s);
	return *ret ? 0 : -errno;
}

static int config_memory(struct zo_ctx *ctx, const char *gb_opt, uint64_t *ret_kib)
{
	uint64_t bytes = 0;
	long long gb;

	if (gb_opt) {
		if (zo_int_parse(gb_opt, 1, 1024LL * 1024, &gb) < 0)
			return zo_usage_error(ctx, &zo_cmd_target, "--memory %s: use whole GB from 1 to "
							     "1048576", gb_opt);
		*ret_kib = (uint64_t)gb * 1024 * 1024;
		return ZO_EXIT_OK;
	}
	zo_config_get_size(ctx->config, "target", "memory", &bytes);
	*ret_kib = bytes / 1024;
	return ZO_EXIT_OK;
}

/* Define the domain. In disk mode `fresh` makes a new overlay on the base;
 * otherwise the existing overlay is kept (a new shape, same disk). */
static int define(struct zo_target *t, uint64_t memory_kib, unsigned vcpus, bool fresh)
{
	struct zo_ctx *ctx = t->ctx;
	const char *kernel = zo_config_get(ctx->config, "target", "kernel");
	const char *base = zo_config_get(ctx->config, "target", "base_image");
	_cleanup_free_ char *base_path = NULL, *kernel_path = NULL, *overlay = NULL;
	_cleanup_free_ char *xml = NULL, *log_dir = NULL;
	int r;

	if ((!kernel || !*kernel) && (!base || !*base)) {
		zo_error(ctx, "no target in %s: set [target] kernel (+ initrd) for direct boot "
			      "or base_image for a disk", ctx->config_path);
		return ZO_EXIT_FAILED;
	}
	if (kernel && *kernel) {
		kernel_path = zo_path(ctx->root, kernel);
		if (!kernel_path || access(kernel_path, R_OK) < 0) {
			zo_error(ctx, "[target] kernel %s: %s; nothing was defined", kernel,
				 strerror(errno));
			return ZO_EXIT_FAILED;
		}
	}
	log_dir = zo_asprintf("%s/target", t->state_dir);
	if (!log_dir || zo_mkdir_parents(t->serial_log) < 0) {
		zo_error(ctx, "cannot create %s", log_dir ? log_dir : "the state directory");
		return ZO_EXIT_FAILED;
	}
	if (base && *base) {
		base_path = zo_path(ctx->root, base);
		if (!base_path || access(base_path, R_OK) < 0) {
			zo_error(ctx, "[target] base_image %s: %s; nothing was defined (prepare one "
				      "with 'zsim-orch target prepare')",
				 base, strerror(errno));
			return ZO_EXIT_FAILED;
		}
		r = zo_virt_pool_ensure(t->virt, POOL, t->images_dir);
		if (r == 0 && !fresh) {
			overlay = zo_asprintf("%s/%s", t->images_dir, t->overlay_vol);
			if (overlay && access(overlay, F_OK) < 0) {
				free(overlay);
				overlay = NULL;
				fresh = true;
			}
		}
		if (r == 0 && fresh && !ctx->dry_run) {
			zo_virt_vol_delete(t->virt, POOL, t->overlay_vol);
			r = zo_virt_overlay_create(t->virt, POOL, t->overlay_vol, base_path, 0,
						   &overlay);
		} else if (r == 0 && fresh) {
			overlay = zo_asprintf("%s/%s", t->images_dir, t->overlay_vol);
		}
		if (r < 0) {
			zo_error(ctx, "cannot make the overlay on %s: %s", base,
				 zo_virt_error(t->virt));
			return ZO_EXIT_FAILED;
		}
	}
	if (zo_target_xml(t, memory_kib, vcpus, overlay, NULL, &xml) < 0) {
		zo_error(ctx, "cannot build the domain XML");
		return ZO_EXIT_FAILED;
	}
	if (ctx->dry_run) {
		fputs(xml, stdout);
		return ZO_EXIT_OK;
	}
	if (zo_virt_dom_define(t->virt, xml) < 0) {
		zo_error(ctx, "libvirt refused the domain: %s", zo_virt_error(t->virt));
		if (overlay && fresh)
			zo_virt_vol_delete(t->virt, POOL, t->overlay_vol);
		return ZO_EXIT_FAILED;
	}
	return ZO_EXIT_OK;
}

/* Remove the domain and its overlay, whatever state it is in. */
static int undefine_all(struct zo_target *t)
{
	struct zo_dom_info info;

	if (zo_virt_dom_info(t->virt, t->name, &info) < 0)
		return -EIO;
	if (info.state == ZO_DOM_RUNNING || info.state == ZO_DOM_PAUSED)
		zo_virt_dom_destroy(t->virt, t->name);
	if (info.state != ZO_DOM_ABSENT && zo_virt_dom_undefine(t->virt, t->name) < 0) {
		zo_dom_info_release(&info);
		return -EIO;
	}
	zo_dom_info_release(&info);
	return zo_virt_vol_delete(t->virt, POOL, t->overlay_vol);
}

static int target_create(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "destroy-existing", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct zo_target t;
	struct zo_dom_info info;
	bool destroy = false;
	uint64_t kib = 0;
	long long vcpus = 1;
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'D')
			destroy = true;
		else if (c == 'h') {
			zo_cmd_print_usage(&zo_cmd_target, stdout);
			return ZO_EXIT_OK;
		} else
			return zo_usage_error(ctx, &zo_cmd_target, "unknown option '%s' for 'target "
							     "create'", argv[optind - 1]);
	}
	if (optind < argc)
		return zo_usage_error(ctx, &zo_cmd_target, "'target create' takes no arguments");
	ret = zo_target_open(ctx, &t);
	if (ret)
		goto out;
	ret = ZO_EXIT_FAILED;
	if (zo_virt_dom_info(t.virt, t.name, &info) < 0) {
		zo_error(ctx, "cannot ask libvirt about %s: %s", t.name, zo_virt_error(t.virt));
		goto out;
	}
	if (info.state != ZO_DOM_ABSENT && !destroy) {
		printf("%s: already defined (%s); --destroy-existing rebuilds it\n", t.name,
		       info.state_name);
		zo_dom_info_release(&info);
		ret = ZO_EXIT_OK;
		goto out;
	}
	zo_dom_info_release(&info);
	if (destroy && !ctx->dry_run && undefine_all(&t) < 0) {
		zo_error(ctx, "cannot remove the old %s: %s", t.name, zo_virt_error(t.virt));
		goto out;
	}
	config_memory(ctx, NULL, &kib);
	zo_config_get_int(ctx->config, "target", "vcpus", &vcpus);
	ret = define(&t, kib, (unsigned)vcpus, true);
	if (ret == ZO_EXIT_OK && !ctx->dry_run)
		printf("%s: defined%s\n", t.name, destroy ? " from scratch" : "");
out:
	zo_target_release(&t);
	return ret;
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

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

int zo_target_start(struct zo_target *t, const char *memory_gb, long long vcpus_opt,
		    volatile sig_atomic_t *stop)
{
	struct zo_ctx *ctx = t->ctx;
	struct zo_dom_info info;
	long long vcpus = 1, timeout = 600;
	uint64_t kib = 0, start;
	bool tty = isatty(STDERR_FILENO), tsc = false;
	int r, ret;

	ret = config_memory(ctx, memory_gb, &kib);
	if (ret)
		return ret;
	zo_config_get_int(ctx->config, "target", "vcpus", &vcpus);
	if (vcpus_opt > 0)
		vcpus = vcpus_opt;
	zo_config_get_int(ctx->config, "target", "agent_timeout", &timeout);
	if (zo_virt_dom_info(t->virt, t->name, &info) < 0) {
		zo_error(ctx, "cannot ask libvirt about %s: %s", t->name, zo_virt_error(t->virt));
		return ZO_EXIT_FAILED;
	}
	if (info.state == ZO_DOM_RUNNING) {
		zo_dom_info_release(&info);
		if (zo_target_agent_ping(t, 5) == 0) {
			printf("%s: already running\n", t->name);
			return ZO_EXIT_OK;
		}
		zo_error(ctx, "%s is running but its agent does not answer; 'zsim-orch target "
			      "stop' it first", t->name);
		return ZO_EXIT_FAILED;
	}
	/* (Re)define when absent or when this run wants another shape. */
	if (info.state == ZO_DOM_ABSENT || info.memory_kib != kib || info.vcpus != vcpus) {
		/* libvirt will not redefine a name under a new UUID */
		if (info.state != ZO_DOM_ABSENT && !ctx->dry_run &&
		    zo_virt_dom_undefine(t->virt, t->name) < 0) {
			zo_error(ctx, "cannot reshape %s: %s", t->name, zo_virt_error(t->virt));
			zo_dom_info_release(&info);
			return ZO_EXIT_FAILED;
		}
		zo_dom_info_release(&info);
		ret = define(t, kib, (unsigned)vcpus, false);
		if (ret || ctx->dry_run)
			return ret;
	} else {
		zo_dom_info_release(&info);
	}
	if (ctx->dry_run) {
		printf("would start %s and wait up to %lld s for its guest agent\n", t->name,
		       timeout);
		return ZO_EXIT_OK;
	}
	/* 0sim: TSC offsetting off while booting, on once the target runs
	 * (a booting guest that keeps losing time never finishes booting). */
	if (zo_sysfs_exists(ctx->root, TSC_OFFSETTING) > 0)
		tsc = zo_sysfs_write(ctx->root, TSC_OFFSETTING, "0") == 0;
	unlink(t->serial_log);
	r = zo_virt_dom_start(t->virt, t->name);
	if (r < 0) {
		zo_error(ctx, "cannot start %s: %s", t->name, zo_virt_error(t->virt));
		if (tsc)
			zo_sysfs_write(ctx->root, TSC_OFFSETTING, "1");
		return ZO_EXIT_FAILED;
	}
	start = zo_now_ms();
	for (;;) {
		uint64_t waited = (zo_now_ms() - start) / 1000;

		if (tty)
			fprintf(stderr, "\r%s: waiting for the guest agent: %llu s ", t->name,
				(unsigned long long)waited);
		if (zo_target_agent_ping(t, 2) == 0)
			break;
		if ((stop && *stop) || waited >= (uint64_t)timeout) {
			off_t size = file_size(t->serial_log);

			if (tty)
				fputc('\n', stderr);
			zo_virt_dom_destroy(t->virt, t->name);
			if (tsc)
				zo_sysfs_write(ctx->root, TSC_OFFSETTING, "1");
			if (stop && *stop)
				return ZO_EXIT_FAILED;
			if (size <= 0)
				zo_error(ctx, "%s printed nothing and its agent did not answer within "
					      "%lld s, so it was stopped. A guest that never prints "
					      "is QEMU hanging: with accel = kvm on a host whose KVM "
					      "cannot run it, or with EPT on and a target too wide "
					      "for the CPU's address bits (zsim-orch preflight). Try "
					      "[target] accel = tcg, or 'zsim-orch ept off'. Serial "
					      "log: %s",
					 t->name, timeout, t->serial_log);
			else
				zo_error(ctx, "%s booted but its guest agent did not answer within "
					      "%lld s, so it was stopped; see the serial log %s "
					      "(is qemu-guest-agent installed and started?)",
					 t->name, timeout, t->serial_log);
			return ZO_EXIT_FAILED;
		}
		sleep(1);
	}
	if (tty)
		fputc('\n', stderr);
	if (tsc)
		zo_sysfs_write(ctx->root, TSC_OFFSETTING, "1");
	printf("%s: running, agent answered after %.1f s\n", t->name,
	       (double)(zo_now_ms() - start) / 1000);
	return ZO_EXIT_OK;
}

static int target_start(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "memory", required_argument, NULL, 'm' },
		{ "vcpus", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct zo_target t;
	const char *memory = NULL;
	long long vcpus = 0;
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			memory = optarg;
			break;
		case 'c':
			if (zo_int_parse(optarg, 1, 4096, &vcpus) < 0)
				return zo_usage_error(ctx, &zo_cmd_target, "--vcpus %s: use 1 to 4096",
						      optarg);
			break;
		case 'h':
			zo_cmd_print_usage(&zo_cmd_target, stdout);
			return ZO_EXIT_OK;
		default:
			return zo_usage_error(ctx, &zo_cmd_target, "unknown option '%s' for 'target start'",
					      argv[optind - 1]);
		}
	}
	if (optind < argc)
		return zo_usage_error(ctx, &zo_cmd_target, "'target start' takes no arguments");
	if (memory) {
		long long gb;

		if (zo_int_parse(memory, 1, 1024LL * 1024, &gb) < 0)
			return zo_usage_error(ctx, &zo_cmd_target, "--memory %s: use whole GB from 1 to "
							     "1048576", memory);
	}
	ret = zo_target_open(ctx, &t);
	if (ret == ZO_EXIT_OK)
		ret = zo_target_start(&t, memory, vcpus, NULL);
	zo_target_release(&t);
	return ret;
}

int zo_target_stop(struct zo_target *t, int timeout_s)
{
	struct zo_dom_info info;
	uint64_t start = zo_now_ms();
	bool agent;

	if (zo_virt_dom_info(t->virt, t->name, &info) < 0)
		return -EIO;
	if (info.state == ZO_DOM_ABSENT || info.state == ZO_DOM_SHUTOFF) {
		zo_dom_info_release(&info);
		return 0;
	}
	zo_dom_info_release(&info);
	agent = zo_target_agent_ping(t, 2) == 0;
	zo_virt_dom_shutdown(t->virt, t->name, agent);
	while ((zo_now_ms() - start) / 1000 < (uint64_t)timeout_s) {
		if (zo_virt_dom_info(t->virt, t->name, &info) == 0 &&
		    (info.state == ZO_DOM_SHUTOFF || info.state == ZO_DOM_ABSENT)) {
			zo_dom_info_release(&info);
			return 1;
		}
		zo_dom_info_release(&info);
		zo_sleep_ms(200, NULL);
	}
	return zo_virt_dom_destroy(t->virt, t->name) < 0 ? -EIO : 2;
}

static int target_stop(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct zo_target t;
	long long timeout = 60;
	int c, r, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 't') {
			if (zo_int_parse(optarg, 0, 86400, &timeout) < 0)
				return zo_usage_error(ctx, &zo_cmd_target, "--timeout %s: use seconds "
								     "from 0 to 86400", optarg);
		} else if (c == 'h') {
			zo_cmd_print_usage(&zo_cmd_target, stdout);
			return ZO_EXIT_OK;
		} else
			return zo_usage_error(ctx, &zo_cmd_target, "unknown option '%s' for 'target stop'",
					      argv[optind - 1]);
	}
	if (optind < argc)
		return zo_usage_error(ctx, &zo_cmd_target, "'target stop' takes no arguments");
	ret = zo_target_open(ctx, &t);
	if (ret == ZO_EXIT_OK) {
		r = zo_target_stop(&t, (int)timeout);
		if (r < 0) {
			zo_error(ctx, "cannot stop %s: %s", t.name, zo_virt_error(t.virt));
			ret = ZO_EXIT_FAILED;
		} else {
			printf("%s: %s\n", t.name,
			       r == 0 ? "not running" : r == 1 ? "shut down" : "destroyed after "
									    "the timeout");
		}
	}
	zo_target_release(&t);
	return ret;
}

static int target_destroy(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_target t;
	struct zo_dom_info info;
	int r = zo_no_options(ctx, &zo_cmd_target, argc, argv), ret;

	if (r >= 0)
		return r;
	if (argc > 1)
		return zo_usage_error(ctx, &zo_cmd_target, "'target destroy' takes no arguments");
	ret = zo_target_open(ctx, &t);
	if (ret == ZO_EXIT_OK && zo_virt_dom_info(t.virt, t.name, &info) == 0) {
		if (info.state == ZO_DOM_RUNNING || info.state == ZO_DOM_PAUSED) {
			if (zo_virt_dom_destroy(t.virt, t.name) < 0) {
				zo_error(ctx, "cannot destroy %s: %s", t.name, zo_virt_error(t.virt));
				ret = ZO_EXIT_FAILED;
			} else {
				printf("%s: destroyed (powered off; still defined)\n", t.name);
			}
		} else {
			printf("%s: not running (%s)\n", t.name, info.state_name);
		}
		zo_dom_info_release(&info);
	}
	zo_target_release(&t);
	return ret;
}

static int target_status(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_target t;
	struct zo_dom_info info = { 0 };
	struct zo_guest_exec up = { 0 };
	char *const uptime_argv[] = { (char *)"cat", (char *)"/proc/uptime", NULL };
	bool agent = false;
	double uptime = -1;
	char mem[32];
	int c, ret;

	c = zo_json_options(ctx, &zo_cmd_target, "target status", argc, argv);
	if (c >= 0)
		return c;
	ret = zo_target_open(ctx, &t);
	if (ret)
		goto out;
	if (zo_virt_dom_info(t.virt, t.name, &info) < 0) {
		zo_error(ctx, "cannot ask libvirt about %s: %s", t.name, zo_virt_error(t.virt));
		ret = ZO_EXIT_FAILED;
		goto out;
	}
	if (info.state == ZO_DOM_RUNNING) {
		agent = zo_target_agent_ping(&t, 5) == 0;
		if (agent && zo_virt_guest_exec(t.virt, t.name, uptime_argv, NULL, &up) == 0)
			uptime = strtod(up.out, NULL);
	}
	zo_size_format_human(info.memory_kib * 1024, mem, sizeof(mem));
	if (ctx->json) {
		json_object *o = json_object_new_object();

		zo_json_add_str(o, "name", t.name);
		zo_json_add_str(o, "uri", t.uri);
		zo_json_add_str(o, "state", info.state_name);
		zo_json_add_u64(o, "memory_kib", info.memory_kib);
		zo_json_add_int(o, "vcpus", info.vcpus);
		zo_json_add_str(o, "pinning", info.pinning);
		if (uptime >= 0)
			json_object_object_add(o, "uptime_s", json_object_new_double(uptime));
		else
			zo_json_add_null(o, "uptime_s");
		zo_json_add_bool(o, "agent", agent);
		zo_json_add_str(o, "serial_log", t.serial_log);
		zo_print_json(o);
		json_object_put(o);
		goto out;
	}
	printf("target:   %s (%s)\n", t.name, t.uri);
	printf("state:    %s\n", info.state_name);
	if (info.state != ZO_DOM_ABSENT) {
		printf("memory:   %s\n", mem);
		printf("vcpus:    %u%s%s\n", info.vcpus, info.pinning ? ", pinned " : "",
		       info.pinning ? info.pinning : "");
	}
	if (uptime >= 0)
		printf("uptime:   %.0f s\n", uptime);
	if (info.state == ZO_DOM_RUNNING)
		printf("agent:    %s\n", agent ? "answers" : "does not answer");
	printf("serial:   %s\n", t.serial_log);
out:
	zo_guest_exec_release(&up);
	zo_dom_info_release(&info);
	zo_target_release(&t);
	return ret;
}

static int target_exec(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_target t;
	struct zo_guest_exec e = { 0 };
	int first = 1, r, ret;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		zo_cmd_print_usage(&zo_cmd_target, stdout);
		return ZO_EXIT_OK;
	}
	if (argc > 1 && !strcmp(argv[1], "--"))
		first = 2;
	if (first >= argc)
		return zo_usage_error(ctx, &zo_cmd_target, "'target exec' needs a command: target exec "
						     "-- CMD ARGS...");
	ret = zo_target_open(ctx, &t);
	if (ret)
		goto out;
	r = zo_virt_guest_exec(t.virt, t.name, argv + first, NULL, &e);
	if (r < 0) {
		zo_error(ctx, "cannot run %s in %s: %s", argv[first], t.name,
			 r == -ENOENT ? "no such target" : zo_virt_error(t.virt));
		ret = ZO_EXIT_FAILED;
		goto out;
	}
	fwrite(e.out, 1, e.out_len, stdout);
	fwrite(e.err, 1, e.err_len, stderr);
	/* the command's own status, as a shell would report it */
	ret = e.signal ? 128 + e.signal : e.exit_code < 0 ? 1 : e.exit_code & 0xff;
out:
	zo_guest_exec_release(&e);
	zo_target_release(&t);
	return ret;
}

static int target_fetch(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_target t;
	char *data = NULL;
	size_t len = 0;
	FILE *f;
	int r, ret;

	r = zo_no_options(ctx, &zo_cmd_target, argc, argv);
	if (r >= 0)
		return r;
	if (argc != 3)
		return zo_usage_error(ctx, &zo_cmd_target, "usage: target fetch GUEST_PATH HOST_PATH");
	ret = zo_target_open(ctx, &t);
	if (ret)
		goto out;
	r = zo_virt_guest_read(t.virt, t.name, argv[1], &data, &len);
	if (r < 0) {
		zo_error(ctx, "cannot read %s in %s: %s", argv[1], t.name, zo_virt_error(t.virt));
		ret = ZO_EXIT_FAILED;
		goto out;
	}
	f = fopen(argv[2], "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		zo_error(ctx, "cannot write %s: %s", argv[2], strerror(errno));
		ret = ZO_EXIT_FAILED;
		goto out;
	}
	printf("%s:%s -> %s (%zu bytes)\n", t.name, argv[1], argv[2], len);
out:
	free(data);
	zo_target_release(&t);
	return ret;
}

static int target_log(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lines", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_free_ char *text = NULL, *state = NULL, *path = NULL;
	const char *name = zo_config_get(ctx->config, "target", "name");
	long long lines = 40;
	size_t len = 0, i;
	int c, r, seen = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hn:", opts, NULL)) != -1) {
		if (c == 'n') {
			if (zo_int_parse(optarg, 1, 1000000, &lines) < 0)
				return zo_usage_error(ctx, &zo_cmd_target, "-n %s: use 1 to 1000000", optarg);
		} else if (c == 'h') {
			zo_cmd_print_usage(&zo_cmd_target, stdout);
			return ZO_EXIT_OK;
		} else
			return zo_usage_error(ctx, &zo_cmd_target, "unknown option '%s' for 'target log'",
					      argv[optind - 1]);
	}
	state = zo_path(ctx->root, zo_config_get(ctx->config, "paths", "state"));
	path = state ? zo_asprintf("%s/target/%s.serial.log", state, name) : NULL;
	if (!path)
		return ZO_EXIT_FAILED;
	r = zo_read_file(path, 64 * 1024 * 1024, &text, &len);
	if (r < 0) {
		zo_error(ctx, "cannot read the serial log %s: %s", path, strerror(-r));
		return ZO_EXIT_FAILED;
	}
	for (i = len; i > 0; i--)
		if (text[i - 1] == '\n' && i != len && ++seen == lines)
			break;
	fputs(text + i, stdout);
	return ZO_EXIT_OK;
}

static int cmd_target(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct zo_subcmd subs[] = {
		{ "create", target_create, ZO_CMD_NEED_LOCK }, { "destroy", target_destroy, ZO_CMD_NEED_LOCK },
		{ "exec", target_exec, 0 },     { "fetch", target_fetch, 0 },
		{ "log", target_log, 0 },       { "prepare", zo_target_prepare, ZO_CMD_NEED_LOCK },
		{ "start", target_start, ZO_CMD_NEED_LOCK },
		{ "status", target_status, 0 }, { "stop", target_stop, ZO_CMD_NEED_LOCK },
	};

	return zo_dispatch_sub(ctx, &zo_cmd_target, subs, ZO_ARRAY_SIZE(subs), argc, argv);
}

const struct zo_cmd zo_cmd_target = {
	.name = "target",
	.fn = cmd_target,
	.summary = "the simulated machine, through libvirt",
	.usage = "zsim-orch target create [--destroy-existing]\n"
		 "       zsim-orch target start [--memory GB] [--vcpus N]\n"
		 "       zsim-orch target stop [--timeout S]\n"
		 "       zsim-orch target destroy|status [--json]|log [-n N]\n"
		 "       zsim-orch target exec -- CMD ARGS...\n"
		 "       zsim-orch target fetch GUEST_PATH HOST_PATH\n"
		 "       zsim-orch target prepare --from CLOUD.qcow2 [--profile centos7|debian12]\n"
		 "                [--timeout S] [--workloads DIR] [--force]\n"
		 "\n"
		 "create   define the domain from [target]: direct kernel boot (kernel,\n"
		 "         initrd, cmdline) or a qcow2 overlay on base_image made in the\n"
		 "         'zsim' storage pool under [paths] state; --destroy-existing\n"
		 "         removes the domain and its overlay and makes both anew\n"
		 "start    boot it with [target] memory and vcpus (vCPU i pinned to host\n"
		 "         CPU i) and wait for the guest agent up to agent_timeout; a\n"
		 "         target that stays silent is stopped with the likely cause\n"
		 "stop     guest-agent (or ACPI) shutdown; destroy after --timeout (60)\n"
		 "destroy  power it off at once; it stays defined\n"
		 "status   state, memory, vCPUs and pinning, uptime, agent\n"
		 "exec     run a command in the target through the agent: its output and\n"
		 "         exit status are passed through\n"
		 "fetch    copy a file out of the target\n"
		 "log      the tail of the serial console log\n"
		 "prepare  make the pristine base image from a cloud image: copy it into\n"
		 "         the pool, boot it once with a cloud-init seed (the profile's\n"
		 "         user-data, printed by --dry-run; the workloads), wait up to\n"
		 "         --timeout (1800) for it to finish, shut it down and record it\n"
		 "         with its SHA-256 as [target] base_image; run refuses a base\n"
		 "         that differs. Nothing is kept if it fails\n",
	.flags = ZO_CMD_NEED_CONFIG,
};
