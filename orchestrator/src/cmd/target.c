/* zsim-orch target: the simulated machine, through libvirt and its guest
 * agent (ops/target.h, ops/prepare.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/kconfig.h"
#include "core/units.h"
#include "ops/kernel.h"
#include "ops/prepare.h"
#include "ops/target.h"
#include "util/json.h"

#include "util/banned.h"

/* getopt_long's unknown option, named for `what` ("target create"). */
static int unknown_option(struct zo_ctx *ctx, const char *what, char **argv)
{
	return zo_usage_error(ctx, &zo_cmd_target, "unknown option '%s' for '%s'",
			      argv[optind - 1], what);
}

static int target_create(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "destroy-existing", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct zo_target t;
	const char *state = NULL;
	bool destroy = false;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'D') {
			destroy = true;
		} else if (c == 'h') {
			zo_cmd_print_usage(&zo_cmd_target, stdout);
			return ZO_EXIT_OK;
		} else {
			return unknown_option(ctx, "target create", argv);
		}
	}
	if (optind < argc)
		return zo_usage_error(ctx, &zo_cmd_target, "'target create' takes no arguments");
	r = zo_cmd_parsed(ctx);
	if (r >= 0)
		return r;
	r = zo_target_open(ctx, &t);
	if (r == 0)
		r = zo_target_create(&t, destroy, &state);
	if (r == 1)
		printf("%s: already defined (%s); --destroy-existing rebuilds it\n", t.name, state);
	else if (r == 0 && !ctx->dry_run)
		printf("%s: defined%s\n", t.name, destroy ? " from scratch" : "");
	zo_target_release(&t);
	return zo_exit_code(ctx, r);
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
	long long vcpus = 0, gb;
	int c, r;

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
			return unknown_option(ctx, "target start", argv);
		}
	}
	if (optind < argc)
		return zo_usage_error(ctx, &zo_cmd_target, "'target start' takes no arguments");
	if (memory && zo_int_parse(memory, 1, 1024LL * 1024, &gb) < 0)
		return zo_usage_error(ctx, &zo_cmd_target, "--memory %s: use whole GB from 1 to 1048576",
				      memory);
	r = zo_cmd_parsed(ctx);
	if (r >= 0)
		return r;
	r = zo_target_open(ctx, &t);
	if (r == 0)
		r = zo_target_start(&t, memory, vcpus, NULL);
	zo_target_release(&t);
	return zo_exit_code(ctx, r);
}

static int target_stop(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const done[] = { "not running", "shut down",
					    "destroyed after the timeout" };
	struct zo_target t;
	long long timeout = 60;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 't') {
			if (zo_int_parse(optarg, 0, 86400, &timeout) < 0)
				return zo_usage_error(ctx, &zo_cmd_target, "--timeout %s: use seconds "
									   "from 0 to 86400",
						      optarg);
		} else if (c == 'h') {
			zo_cmd_print_usage(&zo_cmd_target, stdout);
			return ZO_EXIT_OK;
		} else {
			return unknown_option(ctx, "target stop", argv);
		}
	}
	if (optind < argc)
		return zo_usage_error(ctx, &zo_cmd_target, "'target stop' takes no arguments");
	r = zo_cmd_parsed(ctx);
	if (r >= 0)
		return r;
	r = zo_target_open(ctx, &t);
	if (r == 0)
		r = zo_target_stop(&t, (int)timeout);
	/* under --dry-run a running target is a plan, not a result */
	if (r >= 0 && r <= 2 && !(ctx->dry_run && r > 0))
		printf("%s: %s\n", t.name, done[r]);
	zo_target_release(&t);
	return zo_exit_code(ctx, r);
}

static int target_destroy(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_target t;
	const char *state = NULL;
	int r = zo_no_options(ctx, &zo_cmd_target, argc, argv);

	if (r >= 0)
		return r;
	if (argc > 1)
		return zo_usage_error(ctx, &zo_cmd_target, "'target destroy' takes no arguments");
	r = zo_cmd_parsed(ctx);
	if (r >= 0)
		return r;
	r = zo_target_open(ctx, &t);
	if (r == 0)
		r = zo_target_destroy(&t, &state);
	if (r == 1 && !ctx->dry_run)
		printf("%s: destroyed (powered off; still defined)\n", t.name);
	else if (r == 0)
		printf("%s: not running (%s)\n", t.name, state);
	zo_target_release(&t);
	return zo_exit_code(ctx, r);
}

static void print_status_json(const struct zo_target *t, const struct zo_target_status *s)
{
	json_object *o = json_object_new_object();

	zo_json_add_str(o, "name", t->name);
	zo_json_add_str(o, "uri", t->uri);
	zo_json_add_str(o, "state", s->info.state_name);
	if (s->info.state == ZO_DOM_ABSENT) {
		zo_json_add_null(o, "memory_bytes");
		zo_json_add_null(o, "vcpus");
	} else {
		zo_json_add_u64(o, "memory_bytes", s->info.memory_kib * 1024);
		zo_json_add_int(o, "vcpus", s->info.vcpus);
	}
	zo_json_add_str(o, "pinning", s->info.pinning);
	if (s->uptime_s >= 0)
		json_object_object_add(o, "uptime_s", json_object_new_double(s->uptime_s));
	else
		zo_json_add_null(o, "uptime_s");
	zo_json_add_bool(o, "agent", s->agent);
	zo_json_add_str(o, "serial_log", t->serial_log);
	zo_print_json("target.status", o);
}

static void print_status(const struct zo_target *t, const struct zo_target_status *s)
{
	char mem[32];

	zo_size_format_human(s->info.memory_kib * 1024, mem, sizeof(mem));
	printf("target:   %s (%s)\n", t->name, t->uri);
	printf("state:    %s\n", s->info.state_name);
	if (s->info.state != ZO_DOM_ABSENT) {
		printf("memory:   %s\n", mem);
		printf("vcpus:    %u%s%s\n", s->info.vcpus, s->info.pinning ? ", pinned " : "",
		       s->info.pinning ? s->info.pinning : "");
	}
	if (s->uptime_s >= 0)
		printf("uptime:   %.0f s\n", s->uptime_s);
	if (s->info.state == ZO_DOM_RUNNING)
		printf("agent:    %s\n", s->agent ? "answers" : "does not answer");
	printf("serial:   %s\n", t->serial_log);
}

static int target_status(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_target t;
	struct zo_target_status s = { .uptime_s = -1 };
	int r = zo_json_options(ctx, &zo_cmd_target, "target status", argc, argv);

	if (r >= 0)
		return r;
	r = zo_target_open(ctx, &t);
	if (r == 0)
		r = zo_target_status(&t, &s);
	if (r == 0 && ctx->json)
		print_status_json(&t, &s);
	else if (r == 0)
		print_status(&t, &s);
	zo_target_status_release(&s);
	zo_target_release(&t);
	return zo_exit_code(ctx, r);
}

static int target_exec(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_target t;
	struct zo_guest_exec e = { 0 };
	int first = 1, r, ret;

	if (argc > 1 && zo_is_help(argv[1])) {
		zo_cmd_print_usage(&zo_cmd_target, stdout);
		return ZO_EXIT_OK;
	}
	if (argc > 1 && !strcmp(argv[1], "--"))
		first = 2;
	if (first >= argc)
		return zo_usage_error(ctx, &zo_cmd_target, "'target exec' needs a command: target "
							   "exec -- CMD ARGS...");
	r = zo_target_open(ctx, &t);
	if (r == 0)
		r = zo_target_exec(&t, argv + first, NULL, &e);
	ret = zo_exit_code(ctx, r);
	if (r == 0) {
		fwrite(e.out, 1, e.out_len, stdout);
		fwrite(e.err, 1, e.err_len, stderr);
		/* the command's own status, as a shell would report it */
		ret = e.signal ? 128 + e.signal : e.exit_code < 0 ? 1 : e.exit_code & 0xff;
	}
	zo_guest_exec_release(&e);
	zo_target_release(&t);
	return ret;
}

static int target_fetch(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_target t;
	size_t len = 0;
	int r = zo_no_options(ctx, &zo_cmd_target, argc, argv);

	if (r >= 0)
		return r;
	if (argc != 3)
		return zo_usage_error(ctx, &zo_cmd_target, "usage: target fetch GUEST_PATH "
							   "HOST_PATH");
	r = zo_target_open(ctx, &t);
	if (r == 0)
		r = zo_target_fetch(&t, argv[1], argv[2], &len);
	if (r == 0)
		printf("%s:%s -> %s (%zu bytes)\n", t.name, argv[1], argv[2], len);
	zo_target_release(&t);
	return zo_exit_code(ctx, r);
}

static int target_log(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lines", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_free_ char *tail = NULL;
	long long lines = 40;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hn:", opts, NULL)) != -1) {
		if (c == 'n') {
			if (zo_int_parse(optarg, 1, 1000000, &lines) < 0)
				return zo_usage_error(ctx, &zo_cmd_target, "-n %s: use 1 to 1000000",
						      optarg);
		} else if (c == 'h') {
			zo_cmd_print_usage(&zo_cmd_target, stdout);
			return ZO_EXIT_OK;
		} else {
			return unknown_option(ctx, "target log", argv);
		}
	}
	r = zo_target_log_tail(ctx, lines, &tail);
	if (r == 0)
		fputs(tail, stdout);
	return zo_exit_code(ctx, r);
}

static int target_prepare(struct zo_ctx *ctx, int argc, char **argv)
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
	struct zo_prepare p = { .profile = "centos7", .timeout_s = 1800 };
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			p.from = optarg;
			break;
		case 'p':
			p.profile = optarg;
			break;
		case 't':
			if (zo_int_parse(optarg, 1, 7 * 24 * 3600, &p.timeout_s) < 0)
				return zo_usage_error(ctx, &zo_cmd_target, "--timeout %s: use seconds "
									   "from 1 to 604800",
						      optarg);
			break;
		case 'w':
			p.workloads = optarg;
			break;
		case 'F':
			p.force = true;
			break;
		case 'h':
			zo_cmd_print_usage(&zo_cmd_target, stdout);
			return ZO_EXIT_OK;
		default:
			return unknown_option(ctx, "target prepare", argv);
		}
	}
	if (optind < argc)
		return zo_usage_error(ctx, &zo_cmd_target, "'target prepare' takes no arguments");
	if (!zo_prepare_profile_known(p.profile))
		return zo_usage_error(ctx, &zo_cmd_target, "--profile %s: use centos7 or debian12",
				      p.profile);
	if (!p.from && !ctx->dry_run)
		return zo_usage_error(ctx, &zo_cmd_target, "'target prepare' needs --from "
							   "CLOUD.qcow2");
	c = zo_cmd_parsed(ctx);
	if (c >= 0)
		return c;
	return zo_exit_code(ctx, zo_target_prepare(ctx, &p));
}

/* Split the +CONFIG_X/-CONFIG_X operands (which getopt would take for
 * options) from the rest, in order: the rest stays in argv. */
static int take_config_options(struct zo_ctx *ctx, int *argc, char **argv, char **opts,
			       size_t *n)
{
	int i, k = 1;

	*n = 0;
	for (i = 1; i < *argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "+CONFIG", 7) || !strncmp(a, "-CONFIG", 7)) {
			if (!zo_kconfig_arg_valid(a))
				return zo_usage_error(ctx, &zo_cmd_target, "%s: use +CONFIG_NAME or "
									   "-CONFIG_NAME (A-Z, 0-9, _)",
						      a);
			opts[(*n)++] = argv[i];
		} else {
			argv[k++] = argv[i];
		}
	}
	*argc = k;
	argv[k] = NULL;
	return -1;
}

/* The source: --tree, or --git with --branch. */
static int check_source(struct zo_ctx *ctx, const struct zo_kernel_build *b)
{
	if (!b->tree == !b->git)
		return zo_usage_error(ctx, &zo_cmd_target, "'target kernel build' needs one source: "
							   "--tree DIR or --git URL --branch B");
	if (b->git && !b->branch)
		return zo_usage_error(ctx, &zo_cmd_target, "--git %s needs --branch B", b->git);
	if ((b->branch || b->tag) && !b->git)
		return zo_usage_error(ctx, &zo_cmd_target, "--branch and --tag go with --git URL");
	if (b->profile && !zo_kernel_profile_known(b->profile))
		return zo_usage_error(ctx, &zo_cmd_target, "--profile %s: use centos7 or debian12",
				      b->profile);
	return -1;
}

static int kernel_build_options(struct zo_ctx *ctx, int argc, char **argv,
				struct zo_kernel_build *b)
{
	static const struct option opts[] = {
		{ "tree", required_argument, NULL, 'T' },
		{ "git", required_argument, NULL, 'g' },
		{ "branch", required_argument, NULL, 'b' },
		{ "tag", no_argument, NULL, 't' },
		{ "base-config", required_argument, NULL, 'c' },
		{ "profile", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'T')
			b->tree = optarg;
		else if (c == 'g')
			b->git = optarg;
		else if (c == 'b')
			b->branch = optarg;
		else if (c == 't')
			b->tag = true;
		else if (c == 'c')
			b->base_config = optarg;
		else if (c == 'p')
			b->profile = optarg;
		else if (c == 'h')
			return zo_cmd_print_usage(&zo_cmd_target, stdout), ZO_EXIT_OK;
		else
			return unknown_option(ctx, "target kernel build", argv);
	}
	if (optind < argc)
		return zo_usage_error(ctx, &zo_cmd_target, "'target kernel build' takes no operand "
							   "'%s' (options are +CONFIG_X or "
							   "-CONFIG_X)",
				      argv[optind]);
	return check_source(ctx, b);
}

static int kernel_build(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_kernel_build b = { .base_config = "guest" };
	struct zo_kernel_package p = { 0 };
	char *cfg[256];
	int r;

	if (argc > (int)ZO_ARRAY_SIZE(cfg))
		return zo_usage_error(ctx, &zo_cmd_target, "too many arguments");
	r = take_config_options(ctx, &argc, argv, cfg, &b.n_options);
	if (r < 0)
		r = kernel_build_options(ctx, argc, argv, &b);
	if (r >= 0)
		return r;
	r = zo_cmd_parsed(ctx);
	if (r >= 0)
		return r;
	b.options = cfg;
	r = zo_kernel_build(ctx, &b, &p);
	if (r == 0) {
		printf("package: %s\n", p.path);
		printf("release: %s\n", p.release);
	}
	zo_kernel_package_release(&p);
	return zo_exit_code(ctx, r);
}

static int kernel_install(struct zo_ctx *ctx, int argc, char **argv)
{
	_cleanup_free_ char *release = NULL;
	int r = zo_no_options(ctx, &zo_cmd_target, argc, argv);

	if (r >= 0)
		return r;
	if (argc != 2)
		return zo_usage_error(ctx, &zo_cmd_target, "'target kernel install' takes one "
							   "package: target kernel install PKG");
	r = zo_cmd_parsed(ctx);
	if (r >= 0)
		return r;
	r = zo_kernel_install(ctx, argv[1], &release);
	if (r == 0 && release)
		printf("release: %s\n", release);
	return zo_exit_code(ctx, r);
}

static int target_kernel(struct zo_ctx *ctx, int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "build"))
		return kernel_build(ctx, argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "install"))
		return kernel_install(ctx, argc - 1, argv + 1);
	if (argc > 1 && zo_is_help(argv[1]))
		return zo_cmd_print_usage(&zo_cmd_target, stdout), ZO_EXIT_OK;
	return zo_usage_error(ctx, &zo_cmd_target, "'target kernel' needs build or install");
}

static const struct zo_opt json_opt[] = { { "json", 0, NULL }, { NULL, 0, NULL } };
static const struct zo_opt create_opts[] = { { "destroy-existing", 0, NULL }, { NULL, 0, NULL } };
static const struct zo_opt start_opts[] = {
	{ "memory", 0, "GB" }, { "vcpus", 0, "N" }, { NULL, 0, NULL },
};
static const struct zo_opt stop_opts[] = { { "timeout", 0, "S" }, { NULL, 0, NULL } };
static const struct zo_opt log_opts[] = { { "lines", 'n', "N" }, { NULL, 0, NULL } };
static const struct zo_opt prepare_opts[] = {
	{ "from", 0, "CLOUD.qcow2" }, { "profile", 0, "centos7|debian12" }, { "timeout", 0, "S" },
	{ "workloads", 0, "DIR" },    { "force", 0, NULL },		     { NULL, 0, NULL },
};
static const struct zo_opt kernel_opts[] = {
	{ "tree", 0, "DIR" },	{ "git", 0, "URL" },	       { "branch", 0, "B" },
	{ "tag", 0, NULL },	{ "base-config", 0, "guest|FILE" }, { "profile", 0, "centos7|debian12" },
	{ NULL, 0, NULL },
};
static const struct zo_subcmd subs[] = {
	{ "create", target_create, ZO_CMD_NEED_LOCK, create_opts, NULL },
	{ "destroy", target_destroy, ZO_CMD_NEED_LOCK, NULL, NULL },
	{ "exec", target_exec, 0, NULL, "-- CMD ARGS..." },
	{ "fetch", target_fetch, 0, NULL, "GUEST_PATH HOST_PATH" },
	{ "kernel", target_kernel, ZO_CMD_NEED_LOCK, kernel_opts,
	  "build|install [+CONFIG_X|-CONFIG_X...] [PKG]" },
	{ "log", target_log, 0, log_opts, NULL },
	{ "prepare", target_prepare, ZO_CMD_NEED_LOCK, prepare_opts, NULL },
	{ "start", target_start, ZO_CMD_NEED_LOCK, start_opts, NULL },
	{ "status", target_status, 0, json_opt, NULL },
	{ "stop", target_stop, ZO_CMD_NEED_LOCK, stop_opts, NULL },
};

static int cmd_target(struct zo_ctx *ctx, int argc, char **argv)
{
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
		 "       zsim-orch target kernel build (--tree DIR | --git URL --branch B [--tag])\n"
		 "                [+CONFIG_X | -CONFIG_X]... [--base-config guest|FILE]\n"
		 "                [--profile centos7|debian12]\n"
		 "       zsim-orch target kernel install PKG\n"
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
		 "log      the tail of the serial console log: its last -n (--lines) N\n"
		 "         lines (40)\n"
		 "prepare  make the pristine base image from a cloud image: copy it into\n"
		 "         the pool, boot it once with a cloud-init seed (the profile's\n"
		 "         user-data, printed by --dry-run; the workloads), wait up to\n"
		 "         --timeout (1800) for it to finish, shut it down and record it\n"
		 "         with its SHA-256 as [target] base_image; run refuses a base\n"
		 "         that differs. Nothing is kept if it fails\n"
		 "kernel   build: a guest kernel package for the base's distribution\n"
		 "         (deb: debian12, RPM: centos7; --profile overrides [target]\n"
		 "         base_profile), built out of tree under [paths] state/kernels\n"
		 "         from --tree or a clone of --git's --branch (a tag with --tag):\n"
		 "         the base config (guest: the running target's own), then ZSWAP\n"
		 "         ZPOOL ZBUD ZTIER SBALLOC ZSMALLOC FRAME_POINTER RANDOM_TRUST_CPU\n"
		 "         on, PAGE_TABLE_ISOLATION RETPOLINE off, then each +/-CONFIG_X in\n"
		 "         order, checked in the resolved .config; prints the package and\n"
		 "         the kernel release.\n"
		 "         install: a new base from the current one with PKG installed and\n"
		 "         default (the boot loader's, or the kernel and initrd taken out\n"
		 "         for direct kernel boot), booted once to check `uname -r`, and\n"
		 "         recorded with base_kernel_release; the old base file stays\n",
	.flags = ZO_CMD_NEED_CONFIG,
	.subs = subs,
	.n_subs = ZO_ARRAY_SIZE(subs),
};
