/* zsim-orch setup: the host part of the old setup routine, composed from
 * swap add, thin create and swap on (ops/storage). Every device is checked
 * before any is touched, and running it again changes nothing. */
#include <getopt.h>

#include "cmd/cmd.h"
#include "ops/storage.h"

#include "util/banned.h"

#define MAX_SWAP_DEVICES 64

/* --swap DEV..., --mapper-device DEV and --force into the arguments of
 * zo_setup; an exit code, or -1 to go on. */
static int setup_options(struct zo_ctx *ctx, int argc, char **argv, char **swap, size_t *n,
			 const char **mapper, bool *force)
{
	static const struct option opts[] = {
		{ "swap", required_argument, NULL, 's' },
		{ "mapper-device", required_argument, NULL, 'm' },
		{ "force", no_argument, NULL, 'f' },
		{ "unstable-device-names", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hf", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (*n == MAX_SWAP_DEVICES)
				return zo_usage_error(ctx, &zo_cmd_setup, "at most %d --swap devices",
						      MAX_SWAP_DEVICES);
			swap[(*n)++] = optarg;
			break;
		case 'm':
			if (*mapper)
				return zo_usage_error(ctx, &zo_cmd_setup, "--mapper-device given twice");
			*mapper = optarg;
			break;
		case 'f':
			*force = true;
			break;
		case 'u':
			zo_info(&ctx->log, "--unstable-device-names: devices are always recorded "
					   "by stable ID now; the option changes nothing");
			break;
		case 'h':
			zo_cmd_print_usage(&zo_cmd_setup, stdout);
			return ZO_EXIT_OK;
		default:
			return zo_usage_error(ctx, &zo_cmd_setup, "unknown option '%s' for 'setup'",
					      argv[optind - 1]);
		}
	}
	return -1;
}

static int cmd_setup(struct zo_ctx *ctx, int argc, char **argv)
{
	char *swap[MAX_SWAP_DEVICES];
	const char *mapper = NULL;
	bool force = false;
	size_t n = 0;
	int r;

	r = setup_options(ctx, argc, argv, swap, &n, &mapper, &force);
	if (r >= 0)
		return r;
	/* More devices after --swap DEV: "--swap /dev/sdb /dev/sdc" as the
	 * old setup script took them. */
	for (; optind < argc; optind++) {
		if (!n)
			return zo_usage_error(ctx, &zo_cmd_setup, "unexpected argument '%s'",
					      argv[optind]);
		if (n == MAX_SWAP_DEVICES)
			return zo_usage_error(ctx, &zo_cmd_setup, "at most %d --swap devices",
					      MAX_SWAP_DEVICES);
		swap[n++] = argv[optind];
	}
	if (!n && !mapper)
		return zo_usage_error(ctx, &zo_cmd_setup, "nothing to set up: give --swap DEV... "
						    "and/or --mapper-device DEV");
	return zo_exit_code(ctx, zo_setup(ctx, swap, n, mapper, force));
}

static const struct zo_opt setup_opts[] = {
	{ "swap", 0, "DEV" }, { "mapper-device", 0, "DEV" }, { "force", 'f', NULL },
	{ "unstable-device-names", 0, NULL }, { NULL, 0, NULL },
};

const struct zo_cmd zo_cmd_setup = {
	.name = "setup",
	.fn = cmd_setup,
	.summary = "set up this host's swap and thin pool, by stable ID",
	.usage = "zsim-orch setup [--swap DEV...] [--mapper-device DEV] [--force]\n"
		 "                [--unstable-device-names]\n"
		 "\n"
		 "The host part of the old setup script: 'swap add' for each --swap device\n"
		 "(several may follow one --swap), 'thin create' on the --mapper-device,\n"
		 "then 'swap on'. Every device is resolved and safety-checked before any is\n"
		 "written, so a refused device (exit 3) leaves the others untouched too.\n"
		 "Devices are recorded by stable ID in the config; running setup again\n"
		 "(after a reboot, say) only activates what is recorded. --force overwrites\n"
		 "signatures, never a mounted or in-use device. --unstable-device-names is\n"
		 "accepted for old scripts and changes nothing. --dry-run prints the plan.\n",
	.flags = ZO_CMD_NEED_CONFIG | ZO_CMD_NEED_ROOT | ZO_CMD_NEED_LOCK,
	.opts = setup_opts,
	.args = "[DEV...]",
};
