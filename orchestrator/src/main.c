/* zsim-orch: global options, the command table, and the shared setup every
 * command gets (git.c's commands[] and kmod's tools/kmod.c). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/job.h"
#include "util/path.h"
#include "util/str.h"
#include "version.h"


#include "util/banned.h"

const char zo_version[] = ZO_VERSION;
const char zo_git_commit[] = ZO_GIT_COMMIT;

/* Sorted by name: the help lists them in this order. */
const struct zo_cmd zo_commands[] = {
	{ "config", cmd_config, "show or check the configuration",
	  "zsim-orch config show [--json]\n"
	  "       zsim-orch config check [--json] [FILE]\n"
	  "       zsim-orch config default\n"
	  "\n"
	  "show     the effective configuration: every key, its value, and whether\n"
	  "         it came from the file, the command line or the defaults\n"
	  "         (--json for a machine-readable form)\n"
	  "check    report every problem in FILE (default: the --config file) at once;\n"
	  "         exit 1 if any value is invalid, 0 if there are only warnings\n"
	  "default  print the commented default configuration file\n",
	  0 },
	{ "ept", cmd_ept, "reload the KVM module with EPT on or off",
	  "zsim-orch ept on|off|status\n"
	  "\n"
	  "on, off  reload [kvm] module (kvm_intel) with [kvm] param (ept) = 1 or 0\n"
	  "         through libkmod, check the value took, write it to\n"
	  "         /etc/modprobe.d/zsim-kvm.conf and record [kvm] ept. Refused\n"
	  "         (exit 3) while any VM runs (libvirt's, named) or the module is in\n"
	  "         use. If loading with the new value fails, the old value is\n"
	  "         restored and the command says so. Large targets need EPT off: with\n"
	  "         39 physical address bits EPT maps at most 512 GB.\n"
	  "status   loaded or not, the value, what is persisted and recorded\n",
	  ZO_CMD_NEED_CONFIG },
	{ "help", cmd_help, "show help for zsim-orch or one command",
	  "zsim-orch help [COMMAND]\n", 0 },
	{ "knobs", cmd_knobs, "0sim knobs, TSC offsetting, zswap, THP and KSM",
	  "zsim-orch knobs show [--json]\n"
	  "       zsim-orch knobs set NAME=VALUE...\n"
	  "       zsim-orch knobs apply\n"
	  "\n"
	  "show   every knob's value, or 'absent' (0sim's knobs exist only on a 0sim\n"
	  "       kernel)\n"
	  "set    check every NAME=VALUE, then write them; on a stock kernel a 0sim\n"
	  "       knob is refused (exit 3) and nothing is written; a value the kernel\n"
	  "       rejects is reported with its errno\n"
	  "apply  the profile in the config: [zswap] enabled, zpool,\n"
	  "       max_pool_percent and the [zerosim] values that are set; KSM off\n"
	  "\n"
	  "Knobs: zerosim_drift_threshold, zerosim_delay, zerosim_multicore_sync,\n"
	  "zerosim_skip_halt, zerosim_lapic_adjust, zerosim_sync_guest_tsc,\n"
	  "tsc_offsetting, zswap_enabled, zswap_zpool, zswap_max_pool_percent, thp,\n"
	  "ksm.\n",
	  ZO_CMD_NEED_CONFIG },
	{ "preflight", cmd_preflight, "check this host can run a target of VMSIZE GB",
	  "zsim-orch preflight [--json] VMSIZE [CORES]\n"
	  "\n"
	  "The checks 'run' makes before anything boots, as a table of ok, warn and\n"
	  "FAIL with what was measured and the fix: root; a 0sim kernel (or\n"
	  "[host] require_0sim = no); EPT on with a target at or above what the\n"
	  "CPU's physical address bits can map (QEMU would hang silently) or EPT off\n"
	  "above 1028 GB; the target larger than RAM plus swap or the thin volume;\n"
	  "the thin pool nearly full; the QEMU behind libvirt too old to pass host\n"
	  "physical address bits; more vCPUs than host CPUs. Exit 3 on any FAIL.\n",
	  ZO_CMD_NEED_CONFIG },
	{ "queue", cmd_queue, "queue experiments in the spool for the daemon",
	  "zsim-orch queue submit EXP ARGS...\n"
	  "       zsim-orch queue add FILE.job\n"
	  "       zsim-orch queue ls [--json]\n"
	  "       zsim-orch queue show|cancel|retry ID\n"
	  "       zsim-orch queue log ID [-f]\n"
	  "\n"
	  "submit  write a job file for EXP ARGS (checked now) into [paths] spool\n"
	  "add     check FILE.job and put it into the spool\n"
	  "ls      every run: id, state, experiment, name, args, times, results\n"
	  "show    one run's record (JSON)\n"
	  "cancel  a queued run is dropped; a running one is stopped cleanly\n"
	  "log     its output; -f follows it until the run ends\n"
	  "retry   queue a finished run again\n"
	  "\n"
	  "A job file (INI, *.job, at most 64 KiB), dropped into the spool by root or\n"
	  "a member of group zsim:\n"
	  "  [job]\n"
	  "  experiment = exp00000\n"
	  "  args = 4096 1 --zeros --warmup\n"
	  "  name = zeros-4t      ; optional, default: the file name\n"
	  "  repeat = 3           ; optional\n"
	  "  timeout = 48h        ; optional: s, m, h or d\n"
	  "  [matrix]             ; optional: {key} in args over the product\n"
	  "  size = 64, 128, 256\n"
	  "Quoting in args: " ZO_JOB_QUOTING ". Only registered experiments run,\n"
	  "and every run's arguments are checked against its schema.\n",
	  ZO_CMD_NEED_CONFIG },
	{ "run", cmd_run, "run an experiment and file its results",
	  "zsim-orch run [--results-dir DIR] EXP ARGS...\n"
	  "       zsim-orch run --list\n"
	  "       zsim-orch run EXP --help\n"
	  "       zsim-orch run --from FILE.params\n"
	  "\n"
	  "Runs a registered experiment with arguments checked against its schema\n"
	  "(never through a shell) and writes its results to [paths] results as\n"
	  "EXP-<important settings>-<YYYY-MM-DD-HH-MM-SS>.{params,out,time,sim},\n"
	  "the old runner's names: .params is JSON with every setting, the zsim-orch\n"
	  "version and commit, the kernel, the TSC frequency and the config in\n"
	  "force; .time has each phase's duration; .sim the host's cpuinfo,\n"
	  "meminfo, swaps, vmstat, zswap parameters and debugfs counters, block\n"
	  "devices, thin pool usage and kernel log tail (plus the target's); a\n"
	  "failed phase adds .err. The last line printed is RESULTS: <path>.*. --from re-runs a .params with the\n"
	  "same settings and says which recorded facts differ on this host. SIGINT\n"
	  "or SIGTERM stops a run cleanly (exit 130 or 143).\n",
	  ZO_CMD_NEED_CONFIG },
	{ "serve", cmd_serve, "the spool daemon: run queued jobs one at a time",
	  "zsim-orch serve\n"
	  "\n"
	  "Watches [paths] spool with inotify (names starting with '.' or ending in\n"
	  ".tmp are ignored), claims each *.job by renaming it, and runs its\n"
	  "experiments one at a time as 'zsim-orch run', each into its own results\n"
	  "directory, filing it under done or failed with exit status and times.\n"
	  "Symlinks, hard links, FIFOs, devices, files over 64 KiB and files of\n"
	  "users neither root nor in group zsim are moved to .zsim/rejected with an\n"
	  ".error. A run found running after a crash is queued again once. Logs go\n"
	  "to stderr with <N> priorities for journald; READY=1 goes to\n"
	  "$NOTIFY_SOCKET (systemd Type=notify); SIGTERM cancels the running job\n"
	  "cleanly and exits.\n",
	  ZO_CMD_NEED_CONFIG },
	{ "setup", cmd_setup, "set up this host's swap and thin pool, by stable ID",
	  "zsim-orch setup [--swap DEV...] [--mapper-device DEV] [--force]\n"
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
	  ZO_CMD_NEED_CONFIG },
	{ "status", cmd_status, "what this host is and what it is set to",
	  "zsim-orch status [--json]\n"
	  "\n"
	  "Kernel release and whether it is a 0sim kernel, the KVM module and its EPT\n"
	  "setting, CPU address bits, memory and swap, active swap devices, zswap\n"
	  "parameters, and whether the libvirt URI answers (within 5 seconds).\n"
	  "Reads only; --json for a machine-readable form.\n",
	  ZO_CMD_NEED_CONFIG },
	{ "swap", cmd_swap, "swap devices by stable ID",
	  "zsim-orch swap add [--priority N] [--discard] [--label L] [--force] DEV\n"
	  "       zsim-orch swap on|off\n"
	  "       zsim-orch swap status [--json]\n"
	  "\n"
	  "add     write a swap header on DEV (/dev/sdX, /dev/disk/by-id/..., UUID=,\n"
	  "        PARTUUID=, LABEL=, PARTLABEL= or SERIAL=), check it with libblkid,\n"
	  "        turn it on and record its UUID in [host] swap. Refuses (exit 3) a\n"
	  "        device that holds a partition table or a filesystem unless --force;\n"
	  "        a device that is mounted, in use or backs / always. Running it\n"
	  "        again on the same device only turns it on.\n"
	  "on      turn on every device in [host] swap (at boot, after thin activate)\n"
	  "off     turn them off\n"
	  "status  each recorded device: where it is now, size, on or off, usage\n",
	  ZO_CMD_NEED_CONFIG },
	{ "target", cmd_target, "the simulated machine, through libvirt",
	  "zsim-orch target create [--destroy-existing]\n"
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
	  ZO_CMD_NEED_CONFIG },
	{ "thin", cmd_thin, "dm-thin pool and the thin volume used as swap",
	  "zsim-orch thin create [--virtual-size SIZE] [--metadata FILE|DEV]\n"
	  "                      [--block-size SIZE] [--low-water SIZE] [--force] DEV\n"
	  "       zsim-orch thin activate|remove\n"
	  "       zsim-orch thin status [--json]\n"
	  "\n"
	  "create    a thin pool (zsim-pool) over the data device DEV and a thin\n"
	  "          volume (zsim-swap, 10T unless --virtual-size or [thin]\n"
	  "          virtual_size) on it; writes a swap header on the volume, turns it\n"
	  "          on and records DEV by stable ID in [thin] and the volume in\n"
	  "          [host] swap. Metadata goes to a file attached to a loop device\n"
	  "          ([thin] metadata, sized as thin_metadata_size computes) or to a\n"
	  "          device. DEV gets the same safety checks as 'swap add'; a\n"
	  "          metadata file of an earlier pool is kept unless --force. Running\n"
	  "          it again with the same DEV only activates the pool.\n"
	  "activate  restore the recorded pool and volume and turn the volume's\n"
	  "          swap on (at boot); does nothing to what is already up\n"
	  "status    data and metadata usage of the pool, the low-water mark and\n"
	  "          whether the pool is nearly full\n"
	  "remove    swapoff the volume, remove both devices, delete the metadata\n"
	  "          file and forget the pool in the config\n",
	  ZO_CMD_NEED_CONFIG },
	{ "version", cmd_version, "print the version and the git commit",
	  "zsim-orch version\n", 0 },
};
const size_t zo_n_commands = ZO_ARRAY_SIZE(zo_commands);

static const char main_usage[] = "usage: zsim-orch [OPTIONS] COMMAND [ARGS]...";

static const struct option global_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "connect", required_argument, NULL, 'C' },
	{ "root", required_argument, NULL, 'r' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

const struct zo_cmd *zo_cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < zo_n_commands; i++)
		if (!strcmp(zo_commands[i].name, name))
			return &zo_commands[i];
	return NULL;
}

const char *zo_cmd_closest(const char *name)
{
	const char *names[64];
	size_t i;

	for (i = 0; i < zo_n_commands && i < ZO_ARRAY_SIZE(names); i++)
		names[i] = zo_commands[i].name;
	return zo_closest(name, names, i);
}

void zo_cmd_print_usage(const struct zo_cmd *cmd, FILE *f)
{
	fprintf(f, "usage: %s", cmd->usage);
}

void zo_print_main_help(FILE *f)
{
	size_t i;

	fprintf(f, "%s\n\n"
		   "Sets up a 0sim simulation host and runs experiments on it.\n\n"
		   "Options:\n"
		   "  -c, --config FILE  configuration file (default " ZO_DEFAULT_CONFIG_PATH ")\n"
		   "      --connect URI  libvirt URI (default: [target] uri in the config)\n"
		   "  -r, --root DIR     resolve /proc, /sys, /etc and /var paths under DIR\n"
		   "                     (also ZSIM_ROOT)\n"
		   "  -n, --dry-run      print the plan; change nothing\n"
		   "      --json         machine-readable output\n"
		   "  -v, --verbose      more messages (twice: debug)\n"
		   "  -q, --quiet        errors only\n"
		   "  -h, --help         this help; 'zsim-orch help COMMAND' for a command\n"
		   "  -V, --version      version and git commit\n"
		   "\n"
		   "Commands:\n",
		main_usage);
	for (i = 0; i < zo_n_commands; i++)
		fprintf(f, "  %-9s %s\n", zo_commands[i].name, zo_commands[i].summary);
	fprintf(f, "\nExit status: 0 done, 1 failed, 2 usage error, 3 refused by a safety or\n"
		   "preflight check (the message says what to do).\n");
}

int cmd_help(struct zo_ctx *ctx, int argc, char **argv)
{
	const struct zo_cmd *c;
	const char *near;

	if (argc > 2)
		return zo_usage_error(ctx, "help", "'help' takes at most one command name");
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		if (argc < 2)
			zo_print_main_help(stdout);
		else
			zo_cmd_print_usage(zo_cmd_find("help"), stdout);
		return ZO_EXIT_OK;
	}
	c = zo_cmd_find(argv[1]);
	if (c) {
		zo_cmd_print_usage(c, stdout);
		return ZO_EXIT_OK;
	}
	near = zo_cmd_closest(argv[1]);
	if (near)
		return zo_usage_error(ctx, "help", "unknown command '%s'; did you mean '%s'?",
				      argv[1], near);
	return zo_usage_error(ctx, "help", "unknown command '%s'; 'zsim-orch --help' lists them",
			      argv[1]);
}

static void print_version(void)
{
	printf("zsim-orch %s (git %s)\n", ZO_VERSION, ZO_GIT_COMMIT);
}

int cmd_version(struct zo_ctx *ctx, int argc, char **argv)
{
	int r = zo_no_options(ctx, "version", argc, argv);

	if (r >= 0)
		return r;
	if (argc > 1)
		return zo_usage_error(ctx, "version", "'version' takes no arguments");
	print_version();
	return ZO_EXIT_OK;
}

static void log_stderr(void *userdata, int priority, const char *fmt, va_list ap)
{
	(void)userdata;
	fputs("zsim-orch: ", stderr);
	if (priority <= LOG_ERR)
		fputs("error: ", stderr);
	else if (priority == LOG_WARNING)
		fputs("warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static int main_usage_error(const char *fmt, ...) ZO_PRINTF(1, 2);
static int main_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("zsim-orch: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s\nRun 'zsim-orch --help' for the options and commands.\n",
		main_usage);
	return ZO_EXIT_USAGE;
}

static int unknown_option(const char *arg)
{
	const char *names[ZO_ARRAY_SIZE(global_options)];
	_cleanup_free_ char *word = strdup(arg);
	const char *near;
	size_t i;

	if (!word)
		return ZO_EXIT_FAILED;
	if (zo_startswith(arg, "--")) {
		word[strcspn(word, "=")] = '\0';
		for (i = 0; global_options[i].name; i++)
			names[i] = global_options[i].name;
		near = zo_closest(word + 2, names, i);
		if (near)
			return main_usage_error("unknown option '%s'; did you mean '--%s'?",
						word, near);
	}
	return main_usage_error("unknown option '%s'", arg);
}

static int check_root(const char *root)
{
	struct stat st;

	if (!*root)
		return 0;
	if (stat(root, &st) < 0)
		return main_usage_error("--root %s: %s; give an existing directory "
					"(a fixture tree or a mounted system)",
					root, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return main_usage_error("--root %s: not a directory", root);
	return 0;
}

/* The shared setup once, then the command, then make sure its output really
 * reached stdout (a full disk or a closed pipe is a failure). */
static int run_cmd(struct zo_ctx *ctx, const struct zo_cmd *cmd, int argc,
		   char **argv)
{
	int r;

	if (cmd->flags & ZO_CMD_NEED_CONFIG) {
		r = zo_load_config(ctx);
		if (r != ZO_EXIT_OK)
			return r;
	}
	r = cmd->fn(ctx, argc, argv);
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		zo_error(ctx, "cannot write output: %s",
			 errno ? strerror(errno) : "write error");
		return ZO_EXIT_FAILED;
	}
	return r;
}

#ifndef ZO_MAIN
#define ZO_MAIN main
#endif

int ZO_MAIN(int argc, char **argv)
{
	struct zo_ctx ctx = { 0 };
	_cleanup_free_ char *default_config = NULL;
	const struct zo_cmd *cmd;
	const char *near;
	int verbosity = 0, c, r;

	ctx.log.fn = log_stderr;
	ctx.root = getenv("ZSIM_ROOT") ? getenv("ZSIM_ROOT") : "";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:c:r:nvqhV", global_options, NULL)) != -1) {
		switch (c) {
		case 'c':
			ctx.config_path = optarg;
			ctx.config_explicit = true;
			break;
		case 'C':
			ctx.connect = optarg;
			break;
		case 'r':
			ctx.root = optarg;
			break;
		case 'n':
			ctx.dry_run = true;
			break;
		case 'j':
			ctx.json = true;
			break;
		case 'v':
			verbosity++;
			break;
		case 'q':
			verbosity = -1;
			break;
		case 'h':
			return run_cmd(&ctx, zo_cmd_find("help"), 1, argv);
		case 'V':
			return run_cmd(&ctx, zo_cmd_find("version"), 1, argv);
		case ':':
			return main_usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return unknown_option(argv[optind - 1]);
		}
	}
	ctx.log.max_priority = verbosity < 0   ? LOG_ERR
			       : verbosity == 0 ? LOG_NOTICE
			       : verbosity == 1 ? LOG_INFO
						: LOG_DEBUG;
	r = check_root(ctx.root);
	if (r)
		return r;
	if (!ctx.config_path) {
		default_config = zo_path(ctx.root, ZO_DEFAULT_CONFIG_PATH);
		if (!default_config)
			return ZO_EXIT_FAILED;
		ctx.config_path = default_config;
	}
	if (optind >= argc)
		return main_usage_error("no command given");

	cmd = zo_cmd_find(argv[optind]);
	if (!cmd) {
		near = zo_cmd_closest(argv[optind]);
		if (near)
			return main_usage_error("unknown command '%s'; did you mean '%s'?",
						argv[optind], near);
		return main_usage_error("unknown command '%s'", argv[optind]);
	}
	c = optind;
	/* Commands parse their own options from argv[1]; 0 makes glibc's getopt
	 * start over, including the leading '+'. */
	optind = 0;
	r = run_cmd(&ctx, cmd, argc - c, argv + c);
	zo_config_free(ctx.config);
	return r;
}
