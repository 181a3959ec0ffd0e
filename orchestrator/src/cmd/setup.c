/* zsim-orch setup: the host part of the old setup routine, composed from
 * swap add, thin create and swap on (ops/storage). Every device is checked
 * before any is touched, and running it again changes nothing. */
#include <getopt.h>

#include "cmd/cmd.h"
#include "core/home.h"
#include "ops/home.h"
#include "ops/storage.h"

#include "util/banned.h"

#define MAX_SWAP_DEVICES 64

struct setup_args {
	char *swap[MAX_SWAP_DEVICES];
	size_t n;
	const char *mapper;
	struct zo_home home;
	bool force;
};

/* One option into `a`; an exit code, or -1 to go on. */
static int setup_option(struct zo_ctx *ctx, int c, struct setup_args *a, char **argv)
{
	switch (c) {
	case 's':
		if (a->n == MAX_SWAP_DEVICES)
			return zo_usage_error(ctx, &zo_cmd_setup, "at most %d --swap devices",
					      MAX_SWAP_DEVICES);
		a->swap[a->n++] = optarg;
		return -1;
	case 'm':
		if (a->mapper)
			return zo_usage_error(ctx, &zo_cmd_setup, "--mapper-device given twice");
		a->mapper = optarg;
		return -1;
	case 'H':
		if (a->home.device)
			return zo_usage_error(ctx, &zo_cmd_setup, "--home-device given twice");
		a->home.device = optarg;
		return -1;
	case 'F':
		if (!zo_home_fs_ok(optarg))
			return zo_usage_error(ctx, &zo_cmd_setup, "--home-fs %s: use ext4 or xfs",
					      optarg);
		a->home.fs = optarg;
		return -1;
	case 'M':
		if (!zo_home_mount_ok(optarg))
			return zo_usage_error(ctx, &zo_cmd_setup, "--home-mount %s: give an absolute "
						  "directory other than / (no '.', '..', spaces or "
						  "trailing '/')", optarg);
		a->home.mount = optarg;
		return -1;
	case 'f':
		a->force = true;
		return -1;
	case 'u':
		zo_info(&ctx->log, "--unstable-device-names: devices are always recorded "
				   "by stable ID now; the option changes nothing");
		return -1;
	case 'h':
		zo_cmd_print_usage(&zo_cmd_setup, stdout);
		return ZO_EXIT_OK;
	}
	return zo_usage_error(ctx, &zo_cmd_setup, "unknown option '%s' for 'setup'",
			      argv[optind - 1]);
}

/* The options into `a`; an exit code, or -1 to go on. */
static int setup_options(struct zo_ctx *ctx, int argc, char **argv, struct setup_args *a)
{
	static const struct option opts[] = {
		{ "swap", required_argument, NULL, 's' },
		{ "mapper-device", required_argument, NULL, 'm' },
		{ "home-device", required_argument, NULL, 'H' },
		{ "home-fs", required_argument, NULL, 'F' },
		{ "home-mount", required_argument, NULL, 'M' },
		{ "force", no_argument, NULL, 'f' },
		{ "unstable-device-names", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hf", opts, NULL)) != -1)
		if ((r = setup_option(ctx, c, a, argv)) >= 0)
			return r;
	if ((a->home.fs || a->home.mount) && !a->home.device)
		return zo_usage_error(ctx, &zo_cmd_setup, "--home-fs and --home-mount go with "
						  "--home-device DEV");
	return -1;
}

static int cmd_setup(struct zo_ctx *ctx, int argc, char **argv)
{
	struct setup_args a = { .n = 0 };
	int r;

	r = setup_options(ctx, argc, argv, &a);
	if (r >= 0)
		return r;
	/* More devices after --swap DEV: "--swap /dev/sdb /dev/sdc" as the
	 * old setup script took them. */
	for (; optind < argc; optind++) {
		if (!a.n)
			return zo_usage_error(ctx, &zo_cmd_setup, "unexpected argument '%s'",
					      argv[optind]);
		if (a.n == MAX_SWAP_DEVICES)
			return zo_usage_error(ctx, &zo_cmd_setup, "at most %d --swap devices",
					      MAX_SWAP_DEVICES);
		a.swap[a.n++] = argv[optind];
	}
	if (!a.n && !a.mapper && !a.home.device)
		return zo_usage_error(ctx, &zo_cmd_setup, "nothing to set up: give --swap DEV..., "
						    "--mapper-device DEV and/or --home-device DEV");
	a.home.force = a.force;
	r = zo_cmd_parsed(ctx);
	if (r >= 0)
		return r;
	return zo_exit_code(ctx, zo_setup(ctx, a.swap, a.n, a.mapper,
					  a.home.device ? &a.home : NULL, a.force));
}

static const struct zo_opt setup_opts[] = {
	{ "swap", 0, "DEV" },	      { "mapper-device", 0, "DEV" },
	{ "home-device", 0, "DEV" },  { "home-mount", 0, "DIR" },
	{ "home-fs", 0, "ext4|xfs" }, { "force", 'f', NULL },
	{ "unstable-device-names", 0, NULL }, { NULL, 0, NULL },
};

const struct zo_cmd zo_cmd_setup = {
	.name = "setup",
	.fn = cmd_setup,
	.summary = "set up this host's swap and thin pool, by stable ID",
	.usage = "zsim-orch setup [--swap DEV...] [--mapper-device DEV] [--force]\n"
		 "                [--home-device DEV [--home-fs ext4|xfs] [--home-mount DIR]]\n"
		 "                [--unstable-device-names]\n"
		 "\n"
		 "The host part of the old setup script: 'swap add' for each --swap device\n"
		 "(several may follow one --swap), 'thin create' on the --mapper-device,\n"
		 "then 'swap on'. Every device is resolved and safety-checked before any is\n"
		 "written, so a refused device (exit 3) leaves the others untouched too.\n"
		 "Devices are recorded by stable ID in the config; running setup again\n"
		 "(after a reboot, say) only activates what is recorded. --force overwrites\n"
		 "signatures, never a mounted or in-use device. --unstable-device-names is\n"
		 "accepted for old scripts and changes nothing. --dry-run prints the plan.\n"
		 "\n"
		 "--home-device DEV moves /home (or --home-mount DIR) onto the disk DEV: a GPT\n"
		 "with one partition, ext4 (or --home-fs xfs) on it, the old contents copied\n"
		 "with owners, modes, times and extended attributes (cp -a) and compared\n"
		 "file by file before they are removed, then the disk mounted there and\n"
		 "recorded by its filesystem's UUID in /etc/fstab and [host] home. DEV gets\n"
		 "the same safety checks; DIR must not be a mount point or in /etc/fstab.\n"
		 "Running it again finds the recorded filesystem on DEV and only mounts it.\n",
	.flags = ZO_CMD_NEED_CONFIG | ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK,
	.opts = setup_opts,
	.args = "[DEV...]",
};
