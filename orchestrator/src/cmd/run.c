/* zsim-orch run: run a registered experiment and file its results the way
 * the old runner named them, so existing plotting scripts keep working. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/run.h"
#include "core/experiment.h"
#include "core/procfs.h"
#include "core/thin.h"
#include "core/units.h"
#include "ops/storage.h"
#include "sys/sysfs.h"
#include "util/file.h"
#include "util/json.h"
#include "util/path.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

static volatile sig_atomic_t stop_signal;
/* --results-dir: the spool gives each job its own directory */
static const char *results_dir;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void catch_stop_signals(bool on)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on ? on_stop : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a wait in progress returns and sees the flag */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

volatile sig_atomic_t *zo_run_stop_flag(void)
{
	return &stop_signal;
}

/* The path of one result file: DIR/BASE.EXT */
char *zo_run_file(const struct zo_run *run, const char *ext)
{
	return zo_asprintf("%s/%s.%s", run->dir, run->base, ext);
}

int zo_run_write(struct zo_run *run, const char *ext, const char *text)
{
	_cleanup_free_ char *path = zo_run_file(run, ext);
	int r;

	if (!path)
		return -ENOMEM;
	/* made durable all at once when the run ends */
	r = zo_write_file_replace(path, text);
	if (r < 0)
		zo_error(run->ctx, "cannot write %s: %s", path, strerror(-r));
	return r;
}

void zo_run_phase_begin(struct zo_run *run, const char *name)
{
	run->phase = name;
	run->phase_start_ms = zo_now_ms();
	zo_info(&run->ctx->log, "phase %s", name);
}

void zo_run_phase_end(struct zo_run *run)
{
	if (run->n_timings < ZO_RUN_MAX_PHASES) {
		run->timings[run->n_timings].name = run->phase;
		run->timings[run->n_timings].ms = zo_now_ms() - run->phase_start_ms;
		run->n_timings++;
	}
	run->phase = NULL;
}

static json_object *config_json(const struct zo_config *c)
{
	json_object *o = json_object_new_object();
	size_t i, j;

	for (i = 0; i < zo_config_n_sections; i++) {
		json_object *sec = json_object_new_object();

		for (j = 0; j < zo_config_n_keys; j++)
			if (!strcmp(zo_config_keys[j].section, zo_config_sections[i]))
				zo_json_add_str(sec, zo_config_keys[j].key,
						zo_config_get(c, zo_config_keys[j].section,
							      zo_config_keys[j].key));
		json_object_object_add(o, zo_config_sections[i], sec);
	}
	return o;
}

/* Every setting, the facts of this host and the config in force: enough
 * to interpret the results and to run them again with --from. */
static int write_params(struct zo_run *run, char **argv)
{
	const struct zo_experiment *e = run->args->exp;
	json_object *o = json_object_new_object(), *settings, *arr;
	_cleanup_free_ char *release = NULL;
	unsigned long long khz = 0;
	const char *khz_source = NULL;
	char host[256] = "";
	size_t i;
	int r;

	zo_json_add_str(o, "experiment", e->name);
	arr = json_object_new_array();
	for (i = 0; argv && argv[i]; i++)
		json_object_array_add(arr, json_object_new_string(argv[i]));
	json_object_object_add(o, "args", arr);
	settings = json_object_new_object();
	for (i = 0; i < e->n_params; i++) {
		const char *v = zo_exp_get(run->args, e->params[i].name);

		if (!v)
			zo_json_add_null(settings, e->params[i].name);
		else if (e->params[i].kind == ZO_PARAM_FLAG)
			zo_json_add_bool(settings, e->params[i].name, !strcmp(v, "yes"));
		else
			zo_json_add_u64(settings, e->params[i].name, strtoull(v, NULL, 10));
	}
	if (zo_exp_workload(run->args))
		zo_json_add_str(settings, "workload", zo_exp_workload(run->args));
	json_object_object_add(o, "settings", settings);
	zo_json_add_str(o, "timestamp", run->timestamp);
	zo_json_add_str(o, "results", run->base);
	zo_json_add_str(o, "zsim_orch_version", zo_version);
	zo_json_add_str(o, "zsim_orch_commit", zo_git_commit);
	zo_sysfs_read_line(run->ctx->root, "/proc/sys/kernel/osrelease", &release);
	zo_json_add_str(o, "kernel", release);
	gethostname(host, sizeof(host) - 1);
	zo_json_add_str(o, "hostname", host);
	if (e->records_tsc && zo_tsc_khz(run->ctx->root, &khz, &khz_source) == 0) {
		zo_json_add_u64(o, "tsc_khz", khz);
		zo_json_add_str(o, "tsc_khz_source", khz_source);
	} else {
		zo_json_add_null(o, "tsc_khz");
	}
	for (i = 0; i < run->n_facts; i++)
		zo_json_add_str(o, run->facts[i].name, run->facts[i].value);
	zo_json_add_str(o, "config_file", run->ctx->config_path);
	json_object_object_add(o, "config", config_json(run->ctx->config));
	r = zo_run_write(run, "params", zo_json_text(o));
	json_object_put(o);
	return r;
}

int zo_run_add_fact(struct zo_run *run, const char *name, const char *value)
{
	if (run->n_facts >= ZO_RUN_MAX_FACTS)
		return -E2BIG;
	run->facts[run->n_facts].name = name;
	run->facts[run->n_facts].value = strdup(value ? value : "");
	if (!run->facts[run->n_facts].value)
		return -ENOMEM;
	run->n_facts++;
	return 0;
}

static int write_time(struct zo_run *run)
{
	struct zo_strbuf sb = { 0 };
	uint64_t total = 0;
	size_t i;
	int r;

	for (i = 0; i < run->n_timings; i++) {
		zo_strbuf_appendf(&sb, "%s: %llu.%03llu s\n", run->timings[i].name,
				  (unsigned long long)(run->timings[i].ms / 1000),
				  (unsigned long long)(run->timings[i].ms % 1000));
		total += run->timings[i].ms;
	}
	zo_strbuf_appendf(&sb, "total: %llu.%03llu s\n", (unsigned long long)(total / 1000),
			  (unsigned long long)(total % 1000));
	if (!sb.buf)
		return -ENOMEM;
	r = zo_run_write(run, "time", sb.buf);
	zo_strbuf_release(&sb);
	return r;
}

static void sim_sysfs_line(const char *root, const char *dir, const char *file,
			   char *buf, size_t len)
{
	_cleanup_free_ char *abs = zo_asprintf("%s/%s", dir, file);
	_cleanup_free_ char *v = NULL;

	snprintf(buf, len, "-");
	if (abs && zo_sysfs_read_line(root, abs, &v) == 0 && *v)
		snprintf(buf, len, "%s", v);
}

static void sim_block_row(const char *root, struct zo_strbuf *sb, const char *disk,
			  const char *name)
{
	_cleanup_free_ char *dir = strcmp(disk, name) ?
					   zo_asprintf("/sys/block/%s/%s", disk, name) :
					   zo_asprintf("/sys/block/%s", disk);
	_cleanup_free_ char *holders_dir = dir ? zo_asprintf("%s/holders", dir) : NULL;
	char sectors[32], size[32], rota[8], model[64], serial[64], dm[64];
	char **holders = NULL;
	uint64_t n = 0;
	int i, count;

	if (!dir || !holders_dir)
		return;
	sim_sysfs_line(root, dir, "size", sectors, sizeof(sectors));
	n = strtoull(sectors, NULL, 10);
	if (n == 0)
		return; /* unused loop and zram devices, as lsblk leaves them out */
	if (zo_size_format_human(n * 512, size, sizeof(size)) < 0)
		snprintf(size, sizeof(size), "-");
	sim_sysfs_line(root, dir, "queue/rotational", rota, sizeof(rota));
	sim_sysfs_line(root, dir, "device/model", model, sizeof(model));
	sim_sysfs_line(root, dir, "serial", serial, sizeof(serial));
	if (!strcmp(serial, "-"))
		sim_sysfs_line(root, dir, "device/serial", serial, sizeof(serial));
	sim_sysfs_line(root, dir, "dm/name", dm, sizeof(dm));
	zo_strbuf_appendf(sb, "%-12s %10s %4s %-20s %-20s %-16s", name, size, rota, model, serial,
			  dm);
	count = zo_sysfs_list(root, holders_dir, "", &holders);
	for (i = 0; i < count; i++)
		zo_strbuf_appendf(sb, "%s%s", i ? "," : " ", holders[i]);
	zo_strbuf_append(sb, count > 0 ? "\n" : " -\n");
	zo_strv_free(holders);
}

/* lsblk's view, from sysfs: every disk and partition, its size, whether it
 * spins, model, serial, device-mapper name, and what sits on top of it. */
static void sim_block_devices(const char *root, struct zo_strbuf *sb)
{
	char **disks = NULL;
	int i, j, n;

	zo_strbuf_append(sb, "==> block devices (/sys/block) <==\n");
	zo_strbuf_appendf(sb, "%-12s %10s %4s %-20s %-20s %-16s %s\n", "NAME", "SIZE", "ROTA",
			  "MODEL", "SERIAL", "DM-NAME", "HOLDERS");
	n = zo_sysfs_list(root, "/sys/block", "", &disks);
	for (i = 0; i < n; i++) {
		_cleanup_free_ char *dir = zo_asprintf("/sys/block/%s", disks[i]);
		char **parts = NULL;
		int m;

		sim_block_row(root, sb, disks[i], disks[i]);
		m = dir ? zo_sysfs_list(root, dir, disks[i], &parts) : 0;
		for (j = 0; j < m; j++)
			sim_block_row(root, sb, disks[i], parts[j]);
		zo_strv_free(parts);
	}
	zo_strv_free(disks);
}

/* zswap's counters (stored pages, pool size, rejections) live in debugfs. */
static void sim_zswap_stats(const char *root, struct zo_strbuf *sb)
{
	char **stats = NULL;
	int i, n;

	zo_strbuf_append(sb, "==> /sys/kernel/debug/zswap <==\n");
	n = zo_sysfs_list(root, "/sys/kernel/debug/zswap", "", &stats);
	if (n < 0)
		zo_strbuf_append(sb, "(debugfs not mounted or no zswap in this kernel)\n");
	for (i = 0; i < n; i++) {
		char v[64];

		sim_sysfs_line(root, "/sys/kernel/debug/zswap", stats[i], v, sizeof(v));
		zo_strbuf_appendf(sb, "%s=%s\n", stats[i], v);
	}
	zo_strv_free(stats);
}

static void sim_thin_usage(struct zo_ctx *ctx, struct zo_strbuf *sb)
{
	const char *data = zo_config_get(ctx->config, "thin", "data");
	struct zo_thin_pool_status st = { 0 };
	uint64_t block = 0, low = 0;
	int r;

	zo_strbuf_appendf(sb, "==> thin pool %s <==\n", ZO_THIN_POOL_NAME);
	if (!data || !*data) {
		zo_strbuf_append(sb, "(no [thin] data device configured)\n");
		return;
	}
	/* device-mapper is the host's, not under a test root */
	r = *ctx->root ? -ENODEV : zo_thin_pool_read(ctx, &st, &block, &low);
	if (r < 0) {
		zo_strbuf_appendf(sb, "(unreadable: %s)\n", *ctx->root ? strerror(-r) : ctx->error);
		return;
	}
	zo_strbuf_appendf(sb,
			  "data_used_blocks=%llu\ndata_total_blocks=%llu\nblock_sectors=%llu\n"
			  "low_water_blocks=%llu\nmetadata_used_blocks=%llu\n"
			  "metadata_total_blocks=%llu\nmode=%s\nneeds_check=%s\n",
			  (unsigned long long)st.data_used, (unsigned long long)st.data_total,
			  (unsigned long long)block, (unsigned long long)low,
			  (unsigned long long)st.metadata_used,
			  (unsigned long long)st.metadata_total, st.failed ? "Fail" : st.mode,
			  st.needs_check ? "yes" : "no");
}

/* klogctl(2) actions; the names live only in the kernel's headers */
enum { KLOG_READ_ALL = 3, KLOG_SIZE_BUFFER = 10 };

/* The kernel log's last 16 KiB: on a 0sim host, KVM and the 0sim patches
 * report there (lost TSC sync, swap errors, hung tasks). */
static void sim_host_dmesg(const char *root, struct zo_strbuf *sb)
{
	_cleanup_free_ char *buf = NULL;
	char *line, *end, *p;
	int size, n;

	zo_strbuf_append(sb, "==> host dmesg (tail) <==\n");
	if (*root) {
		zo_strbuf_append(sb, "(not read under a test root)\n");
		return;
	}
	size = klogctl(KLOG_SIZE_BUFFER, NULL, 0);
	buf = size > 0 ? malloc((size_t)size + 1) : NULL;
	n = buf ? klogctl(KLOG_READ_ALL, buf, size) : -1;
	if (n < 0) {
		zo_strbuf_appendf(sb, "(unreadable: %s)\n", buf ? strerror(errno) : "no buffer");
		return;
	}
	buf[n] = '\0';
	/* from a line start, without the "<N>" priorities, as dmesg prints it */
	line = buf;
	if (n > 16384 && (line = strchr(buf + n - 16384, '\n')))
		line++;
	for (; line && *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		if (*line == '<' && (p = strchr(line, '>')) && p < end)
			line = p + 1;
		zo_strbuf_appendf(sb, "%.*s\n", (int)(end - line), line);
	}
}

/* The host side of .sim: what the old runner gathered after a run. */
int zo_run_write_host_sim(struct zo_run *run, const char *extra)
{
	static const char *const files[] = {
		"/proc/cpuinfo", "/proc/meminfo", "/proc/swaps", "/proc/vmstat",
	};
	struct zo_strbuf sb = { 0 };
	char **params = NULL;
	size_t i;
	int n, r;

	for (i = 0; i < ZO_ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *text = NULL;

		zo_strbuf_appendf(&sb, "==> %s <==\n", files[i]);
		if (zo_sysfs_read(run->ctx->root, files[i], &text) == 0)
			zo_strbuf_append(&sb, text);
		else
			zo_strbuf_append(&sb, "(unreadable)\n");
	}
	zo_strbuf_append(&sb, "==> /sys/module/zswap/parameters <==\n");
	n = zo_sysfs_list(run->ctx->root, "/sys/module/zswap/parameters", "", &params);
	for (i = 0; n > 0 && i < (size_t)n; i++) {
		_cleanup_free_ char *abs = zo_asprintf("/sys/module/zswap/parameters/%s",
						       params[i]);
		_cleanup_free_ char *v = NULL;

		if (abs && zo_sysfs_read_line(run->ctx->root, abs, &v) == 0)
			zo_strbuf_appendf(&sb, "%s=%s\n", params[i], v);
	}
	zo_strv_free(params);
	sim_zswap_stats(run->ctx->root, &sb);
	sim_block_devices(run->ctx->root, &sb);
	sim_thin_usage(run->ctx, &sb);
	sim_host_dmesg(run->ctx->root, &sb);
	if (extra)
		zo_strbuf_append(&sb, extra);
	if (!sb.buf)
		return -ENOMEM;
	r = zo_run_write(run, "sim", sb.buf);
	zo_strbuf_release(&sb);
	return r;
}

/* noop: sleep, then file a results set. For the queue and its tests. */
static int run_noop(struct zo_run *run)
{
	unsigned long long seconds = zo_exp_get_uint(run->args, "seconds");
	_cleanup_free_ char *out = NULL;

	zo_run_phase_begin(run, "sleep");
	if (zo_sleep_ms(seconds * 1000, &stop_signal) < 0) {
		run->error = zo_asprintf("stopped by signal %d while sleeping", (int)stop_signal);
		return -EINTR;
	}
	zo_run_phase_end(run);
	zo_run_phase_begin(run, "collect");
	out = zo_asprintf("noop: slept %llu s\n", seconds);
	if (!out || zo_run_write(run, "out", out) < 0 || zo_run_write_host_sim(run, NULL) < 0)
		return -EIO;
	zo_run_phase_end(run);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct zo_run *run);
} runners[] = {
	{ "noop", run_noop },
	{ "exp00000", zo_run_exp00000 },
};

static int run_experiment(struct zo_ctx *ctx, const struct zo_experiment *e, int argc,
			  char **argv, const char *from)
{
	struct zo_exp_args args;
	struct zo_run run;
	_cleanup_free_ char *why = NULL, *dir = NULL, *err_text = NULL;
	char **canonical = NULL;
	const char *results = zo_config_get(ctx->config, "paths", "results");
	int (*fn)(struct zo_run *) = NULL;
	time_t now = time(NULL);
	struct tm tm;
	size_t i;
	int r, ret;

	if (zo_exp_parse(e, argc, argv, &args, &why) < 0) {
		zo_error(ctx, "run %s: %s", e->name, why ? why : strerror(ENOMEM));
		return ZO_EXIT_USAGE;
	}
	for (i = 0; i < ZO_ARRAY_SIZE(runners); i++)
		if (!strcmp(runners[i].name, e->name))
			fn = runners[i].fn;
	memset(&run, 0, sizeof(run));
	run.ctx = ctx;
	run.args = &args;
	dir = results_dir ? strdup(results_dir) : zo_path(ctx->root, results);
	run.dir = dir;
	/* Names have one-second resolution, as the old runner's did: never
	 * reuse one, wait for the next second instead. */
	for (;;) {
		_cleanup_free_ char *probe = NULL;

		localtime_r(&now, &tm);
		run.base = zo_exp_results_base(&args, &tm);
		probe = run.base && dir ? zo_run_file(&run, "params") : NULL;
		if (!probe || access(probe, F_OK) < 0)
			break;
		free(run.base);
		zo_sleep_ms(1000 - (zo_now_ms() % 1000), NULL);
		now = time(NULL);
	}
	strftime(run.timestamp, sizeof(run.timestamp), "%Y-%m-%dT%H:%M:%S%z", &tm);
	canonical = zo_exp_argv(&args);
	if (!fn || !run.base || !dir || !canonical) {
		ret = ZO_EXIT_FAILED;
		goto out;
	}
	if (ctx->dry_run) {
		printf("would run %s with:", e->name);
		for (i = 0; canonical[i]; i++)
			printf(" %s", canonical[i]);
		printf("\nwould write %s/%s.{params,out,time,sim}\n", dir, run.base);
		ret = ZO_EXIT_OK;
		goto out;
	}
	r = zo_mkdir_parents(run.dir);
	if (r == 0 && mkdir(run.dir, 0755) < 0 && errno != EEXIST)
		r = -errno;
	if (r < 0) {
		zo_error(ctx, "cannot create the results directory %s: %s", run.dir, strerror(-r));
		ret = ZO_EXIT_FAILED;
		goto out;
	}
	if (from)
		zo_info(&ctx->log, "re-running %s", from);
	stop_signal = 0;
	catch_stop_signals(true);
	ret = ZO_EXIT_OK;
	r = fn(&run);
	if (run.phase)
		zo_run_phase_end(&run);
	if (r < 0) {
		ret = r == -EPERM ? ZO_EXIT_REFUSED
		      : stop_signal ? 128 + (int)stop_signal
				    : ZO_EXIT_FAILED;
		err_text = zo_asprintf("phase: %s\nerror: %s\n", run.timings[run.n_timings - 1].name,
				       run.error ? run.error : strerror(-r));
		if (err_text)
			zo_run_write(&run, "err", err_text);
		zo_error(ctx, "%s failed in phase %s: %s", e->name,
			 run.timings[run.n_timings - 1].name, run.error ? run.error : strerror(-r));
	}
	/* .params last: it then holds the facts the run learned (the target's
	 * MemAvailable, say) and marks a results set as complete enough to
	 * re-run with --from. */
	if (write_params(&run, canonical) < 0 || write_time(&run) < 0)
		ret = ret ? ret : ZO_EXIT_FAILED;
	r = zo_syncfs(run.dir);
	if (r < 0) {
		zo_error(ctx, "cannot flush %s to disk: %s", run.dir, strerror(-r));
		ret = ret ? ret : ZO_EXIT_FAILED;
	}
	catch_stop_signals(false);
	printf("RESULTS: %s/%s.*\n", run.dir, run.base);
out:
	for (i = 0; i < run.n_facts; i++)
		free(run.facts[i].value);
	free(run.error);
	free(run.base);
	zo_strv_free(canonical);
	zo_exp_args_release(&args);
	return ret;
}

/* Compare what a .params recorded with this host; say what differs. */
static void report_differences(struct zo_ctx *ctx, json_object *p)
{
	_cleanup_free_ char *release = NULL;
	json_object *cfg = NULL, *now_cfg;
	const char *v;

	zo_sysfs_read_line(ctx->root, "/proc/sys/kernel/osrelease", &release);
	v = zo_json_get_str(p, "kernel");
	if (v && release && strcmp(v, release))
		printf("differs: kernel %s (recorded %s)\n", release, v);
	v = zo_json_get_str(p, "zsim_orch_commit");
	if (v && strcmp(v, zo_git_commit))
		printf("differs: zsim-orch %s (recorded %s)\n", zo_git_commit, v);
	if (json_object_object_get_ex(p, "config", &cfg)) {
		now_cfg = config_json(ctx->config);
		json_object_object_foreach(now_cfg, sec, keys)
		{
			json_object *rec_sec = NULL;

			json_object_object_get_ex(cfg, sec, &rec_sec);
			json_object_object_foreach(keys, key, val)
			{
				const char *now_v = json_object_get_string(val);
				const char *rec_v = rec_sec ? zo_json_get_str(rec_sec, key) : NULL;

				if (rec_v && now_v && strcmp(now_v, rec_v))
					printf("differs: [%s] %s = %s (recorded %s)\n", sec, key, now_v,
					       rec_v);
			}
		}
		json_object_put(now_cfg);
	}
}

static int run_from(struct zo_ctx *ctx, const char *path)
{
	json_object *p = json_object_from_file(path), *args = NULL;
	const struct zo_experiment *e;
	const char *name;
	char **argv = NULL;
	int n, i, ret;

	if (!p) {
		zo_error(ctx, "%s: not a readable .params file (JSON)", path);
		return ZO_EXIT_FAILED;
	}
	name = zo_json_get_str(p, "experiment");
	e = name ? zo_experiment_find(name) : NULL;
	if (!e || !json_object_object_get_ex(p, "args", &args) ||
	    !json_object_is_type(args, json_type_array)) {
		zo_error(ctx, "%s: no experiment and args recorded in it", path);
		json_object_put(p);
		return ZO_EXIT_FAILED;
	}
	n = json_object_array_length(args);
	argv = calloc((size_t)n + 1, sizeof(char *));
	for (i = 0; argv && i < n; i++)
		argv[i] = (char *)json_object_get_string(json_object_array_get_idx(args, i));
	report_differences(ctx, p);
	ret = argv ? run_experiment(ctx, e, n, argv, path) : ZO_EXIT_FAILED;
	free(argv);
	json_object_put(p);
	return ret;
}

int cmd_run(struct zo_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "from", required_argument, NULL, 'F' },
		{ "results-dir", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct zo_experiment *e;
	const char *from = NULL;
	const char *names[16];
	bool list = false;
	size_t i;
	int c;

	optind = 0;
	opterr = 0;
	/* '+': options after EXP belong to the experiment */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			list = true;
			break;
		case 'F':
			from = optarg;
			break;
		case 'R':
			if (optarg[0] != '/')
				return zo_usage_error(ctx, &zo_cmd_run, "--results-dir %s: give an absolute "
								  "path", optarg);
			results_dir = optarg;
			break;
		case 'h':
			zo_cmd_print_usage(&zo_cmd_run, stdout);
			return ZO_EXIT_OK;
		default:
			return zo_usage_error(ctx, &zo_cmd_run, "unknown option '%s' for 'run'",
					      argv[optind - 1]);
		}
	}
	if (list) {
		for (i = 0; i < zo_n_experiments; i++)
			printf("%-10s %s\n", zo_experiments[i]->name, zo_experiments[i]->summary);
		return ZO_EXIT_OK;
	}
	if (from) {
		if (optind < argc)
			return zo_usage_error(ctx, &zo_cmd_run, "--from takes no experiment arguments");
		return run_from(ctx, from);
	}
	if (optind >= argc)
		return zo_usage_error(ctx, &zo_cmd_run, "name an experiment (zsim-orch run --list)");
	e = zo_experiment_find(argv[optind]);
	if (!e) {
		for (i = 0; i < zo_n_experiments && i < ZO_ARRAY_SIZE(names); i++)
			names[i] = zo_experiments[i]->name;
		const char *near = zo_closest(argv[optind], names, i);

		return zo_usage_error(ctx, &zo_cmd_run, "no experiment '%s'%s%s%s; see 'zsim-orch run "
						  "--list'",
				      argv[optind], near ? " (did you mean '" : "",
				      near ? near : "", near ? "'?)" : "");
	}
	for (i = (size_t)optind + 1; i < (size_t)argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			_cleanup_free_ char *usage = zo_exp_usage(e);

			fputs(usage ? usage : "", stdout);
			return ZO_EXIT_OK;
		}
	return run_experiment(ctx, e, argc - optind - 1, argv + optind + 1, NULL);
}

const struct zo_cmd zo_cmd_run = {
	.name = "run",
	.fn = cmd_run,
	.summary = "run an experiment and file its results",
	.usage = "zsim-orch run [--results-dir DIR] EXP ARGS...\n"
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
	.flags = ZO_CMD_NEED_CONFIG,
};
