/* The run harness (ops/run.h): results named and filed the way the old
 * runner did, so existing plotting scripts keep working. */
#include "ops/run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/knobs.h"
#include "core/params.h"
#include "core/thin.h"
#include "core/units.h"
#include "ops/resultdir.h"
#include "ops/storage.h"
#include "sys/sysfs.h"
#include "sys/thin.h"
#include "util/file.h"
#include "util/json.h"
#include "util/path.h"
#include "util/str.h"
#include "util/time.h"
#include "version.h"

#include "util/banned.h"


static volatile sig_atomic_t stop_signal;

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

int zo_run_stop_signal(void)
{
	return (int)stop_signal;
}

int zo_run_fail(struct zo_run *run, int r, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	free(run->error);
	run->error = msg;
	return r;
}

/* The path of one result file: DIR/BASE.EXT */
char *zo_run_file(const struct zo_run *run, const char *ext)
{
	return zo_asprintf("%s/%s.%s", run->dir, run->base, ext);
}

/* BASE.EXT, the file's name in the results directory */
static char *file_name(const struct zo_run *run, const char *ext)
{
	return zo_asprintf("%s.%s", run->base, ext);
}

int zo_run_create(struct zo_run *run, const char *ext)
{
	_cleanup_free_ char *name = file_name(run, ext), *path = zo_run_file(run, ext);
	_cleanup_free_ char *tmp = name ? zo_asprintf(".%s.part", name) : NULL;
	int fd;

	if (!name || !path || !tmp)
		return zo_run_fail(run, zo_fail(run->ctx, -ENOMEM, "out of memory"), "out of memory");
	if (run->n_created == ZO_RUN_MAX_CREATED)
		return zo_run_fail(run, zo_fail(run->ctx, -ENOSPC, "cannot write %s: a run makes at "
								  "most %d such files",
						path, ZO_RUN_MAX_CREATED),
				   "%s", run->ctx->error);
	/* relative to the directory the run opened: nothing planted in it
	 * (a symbolic link named like a result file) is followed */
	fd = zo_create_new_at(run->dir_fd, tmp, 0644);
	if (fd < 0)
		return zo_run_fail(run, zo_fail(run->ctx, fd, "cannot write %s: %s", path,
						strerror(-fd)),
				   "%s", run->ctx->error);
	run->created[run->n_created].tmp = TAKE_PTR(tmp);
	run->created[run->n_created].name = TAKE_PTR(name);
	run->created[run->n_created].phase = run->phase;
	run->created[run->n_created].done = false;
	run->n_created++;
	return fd;
}

/* `tmp` in `dirfd` renamed to `name`, which must not exist: linked, then
 * unlinked (no renameat2 on CentOS 7); where the filesystem has no hard
 * links, renamed after making sure nothing is there. */
static int link_new(int dirfd, const char *tmp, const char *name)
{
	struct stat st;

	if (linkat(dirfd, tmp, dirfd, name, 0) == 0) {
		unlinkat(dirfd, tmp, 0);
		return 0;
	}
	if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS)
		return -1;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	return renameat(dirfd, tmp, dirfd, name);
}

/* The files zo_run_create made, under their names once the data is on
 * disk (linked: a name already there is never replaced), then the
 * directory flushed. A file whose phase failed gets NAME.partial. */
static int name_created(struct zo_run *run, bool ok)
{
	size_t i;
	int r = 0;

	for (i = 0; i < run->n_created; i++) {
		_cleanup_free_ char *partial = NULL;
		const char *name = run->created[i].name;

		if (!ok && !run->created[i].done) {
			partial = zo_asprintf("%s.partial", name);
			if (!partial)
				return -ENOMEM;
			name = partial;
		}
		if (link_new(run->dir_fd, run->created[i].tmp, name) < 0 && r == 0)
			r = zo_fail(run->ctx, -errno, "cannot name %s/%s: %s; its data is in %s/%s",
				    run->dir, name, strerror(errno), run->dir, run->created[i].tmp);
	}
	if (run->n_created && fsync(run->dir_fd) < 0 && r == 0)
		r = zo_fail(run->ctx, -errno, "cannot flush %s to disk: %s", run->dir,
			    strerror(errno));
	return r;
}

int zo_run_write(struct zo_run *run, const char *ext, const char *text)
{
	_cleanup_free_ char *path = zo_run_file(run, ext), *name = file_name(run, ext);
	int r;

	if (!path || !name)
		return -ENOMEM;
	/* made durable all at once when the run ends */
	r = zo_write_new_at(run->dir_fd, name, text);
	if (r < 0)
		return zo_run_fail(run, zo_fail(run->ctx, r, "cannot write %s: %s", path,
						strerror(-r)),
				   "%s", run->ctx->error);
	return r;
}

void zo_run_phase_begin(struct zo_run *run, const char *name)
{
	run->phase = name;
	run->phase_start_ns = zo_now_ns();
	/* the live line on a terminal, a notice per phase elsewhere, and the
	 * spool's STATUS= through ctx->phase_fn */
	zo_phase(run->ctx, "%s: %s", run->args->exp->name, name);
}

/* The phase is over (`ok`: it succeeded, its files are whole). */
static void phase_end(struct zo_run *run, bool ok)
{
	size_t i;

	for (i = 0; ok && i < run->n_created; i++)
		if (run->created[i].phase == run->phase)
			run->created[i].done = true;
	if (run->n_timings < ZO_RUN_MAX_PHASES) {
		run->timings[run->n_timings].name = run->phase;
		run->timings[run->n_timings].ns = zo_now_ns() - run->phase_start_ns;
		run->n_timings++;
	}
	run->phase = NULL;
}

void zo_run_phase_end(struct zo_run *run)
{
	phase_end(run, true);
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

int zo_run_set_knob(struct zo_run *run, const char *path, const char *value)
{
	size_t i;

	for (i = 0; i < zo_n_knobs; i++)
		if (!strcmp(zo_knobs[i].path, path))
			return zo_condition_knob(&run->cond, &zo_knobs[i], value);
	return zo_condition_file(&run->cond, path, path, value);
}

static int condition_failed(struct zo_run *run, int r)
{
	return zo_run_fail(run, r, "%s", *run->ctx->error ? run->ctx->error : strerror(-r));
}

int zo_run_condition_host(struct zo_run *run, const struct zo_condition_spec *s)
{
	int r = zo_condition_host(&run->cond, s);

	return r < 0 ? condition_failed(run, r) : 0;
}

int zo_run_condition_booted(struct zo_run *run, const struct zo_condition_spec *s)
{
	int r = zo_condition_booted(&run->cond, s);

	return r < 0 ? condition_failed(run, r) : 0;
}

/* Put back what the run changed on the host, the last change first; timed
 * as the phase "restore host" after a run that went well. */
static void restore_host(struct zo_run *run, bool timed)
{
	if (!run->cond.n)
		return;
	if (timed)
		zo_run_phase_begin(run, "restore host");
	zo_condition_restore(&run->cond);
	if (timed)
		zo_run_phase_end(run);
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

static json_object *settings_json(const struct zo_exp_args *a)
{
	const struct zo_experiment *e = a->exp;
	json_object *settings = json_object_new_object();
	size_t i;

	for (i = 0; i < e->n_params; i++) {
		const char *v = zo_exp_get(a, e->params[i].name);

		if (!v)
			zo_json_add_null(settings, e->params[i].name);
		else if (e->params[i].kind == ZO_PARAM_FLAG)
			zo_json_add_bool(settings, e->params[i].name, !strcmp(v, "yes"));
		else
			zo_json_add_u64(settings, e->params[i].name, strtoull(v, NULL, 10));
	}
	if (zo_exp_workload(a))
		zo_json_add_str(settings, "workload", zo_exp_workload(a));
	return settings;
}

/* The old runner's settings with the values it gave them (as JSON values,
 * not its double-encoded strings), and its keys common to every
 * experiment. A key zsim already records keeps zsim's value. */
static void add_runner_settings(json_object *o, const struct zo_exp_args *a, const char *host)
{
	struct zo_exp_settings s;
	const char *user = getenv("SUDO_USER");
	json_object *v;
	size_t i;

	if (zo_exp_runner_settings(a, &s) < 0)
		return;
	for (i = 0; i < s.n; i++)
		if (!json_object_object_get_ex(o, s.v[i].name, NULL) &&
		    (v = json_tokener_parse(s.v[i].json)) != NULL)
			json_object_object_add(o, s.v[i].name, v);
		else if (!json_object_object_get_ex(o, s.v[i].name, NULL))
			zo_json_add_null(o, s.v[i].name);
	zo_exp_settings_release(&s);
	if (!user || !*user)
		user = getenv("USER");
	zo_json_add_str(o, "username", user && *user ? user : "root");
	zo_json_add_str(o, "host", host);
	zo_json_add_str(o, "local_git_hash", ZO_GIT_COMMIT);
	zo_json_add_str(o, "remote_git_hash", ZO_GIT_COMMIT);
}

/* Every setting, the facts of this host and the config in force: enough
 * to interpret the results and to run them again with --from. */
static int write_params(struct zo_run *run, char **argv)
{
	const struct zo_experiment *e = run->args->exp;
	json_object *o = json_object_new_object(), *arr;
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
	json_object_object_add(o, "settings", settings_json(run->args));
	zo_json_add_str(o, "timestamp", run->timestamp);
	zo_json_add_str(o, "results", run->base);
	zo_json_add_str(o, "zsim_orch_version", ZO_VERSION);
	zo_json_add_str(o, "zsim_orch_commit", ZO_GIT_COMMIT);
	zo_sysfs_read_line(run->ctx->root, "/proc/sys/kernel/osrelease", &release);
	zo_json_add_str(o, "kernel", release);
	gethostname(host, sizeof(host) - 1);
	zo_json_add_str(o, "hostname", host);
	if (e->records_tsc &&
	    zo_tsc_khz_since(run->ctx->root, &run->tsc_start, 1000, &khz, &khz_source) == 0) {
		zo_json_add_u64(o, "tsc_khz", khz);
		zo_json_add_str(o, "tsc_khz_source", khz_source);
	} else {
		zo_json_add_null(o, "tsc_khz");
	}
	for (i = 0; i < run->n_facts; i++)
		zo_json_add_str(o, run->facts[i].name, run->facts[i].value);
	add_runner_settings(o, run->args, host);
	json_object_object_add(o, "host_conditioning", zo_condition_json(&run->cond));
	zo_json_add_str(o, "config_file", run->ctx->config_path);
	json_object_object_add(o, "config", config_json(run->ctx->config));
	r = zo_run_write(run, "params", zo_json_text(o));
	json_object_put(o);
	return r;
}

/* How long `phase` took; false when it did not run to its end. */
static bool phase_ns(const struct zo_run *run, const char *phase, uint64_t *ret)
{
	size_t i;

	for (i = 0; i < run->n_timings; i++)
		if (!strcmp(run->timings[i].name, phase)) {
			*ret = run->timings[i].ns;
			return true;
		}
	return false;
}

static void time_line(struct zo_strbuf *sb, const char *label, uint64_t ns)
{
	char d[40];

	if (zo_duration_debug(ns, d, sizeof(d)) == 0)
		zo_strbuf_appendf(sb, "%s: %s\n", label, d);
}

/* The old runner's timed steps its experiment had (the runner's labels,
 * order and format: Rust's Debug of a Duration), then each phase of
 * zsim's and their total in the same format. */
static int write_time(struct zo_run *run)
{
	const struct zo_exp_timing *t = run->args->exp->runner_timings;
	struct zo_strbuf sb = { 0 };
	uint64_t total = 0;
	size_t i;
	int r;

	for (; t && t->label; t++) {
		const char *const *ph;
		uint64_t sum = 0, ns = 0;

		for (ph = t->phases; *ph && phase_ns(run, *ph, &ns); ph++)
			sum += ns;
		if (!*ph)
			time_line(&sb, t->label, sum);
	}
	for (i = 0; i < run->n_timings; i++) {
		time_line(&sb, run->timings[i].name, run->timings[i].ns);
		total += run->timings[i].ns;
	}
	time_line(&sb, "total", total);
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
	bool part = strcmp(disk, name) != 0;
	_cleanup_free_ char *dir = part ? zo_asprintf("/sys/block/%s/%s", disk, name)
					: zo_asprintf("/sys/block/%s", disk);
	_cleanup_free_ char *holders_dir = dir ? zo_asprintf("%s/holders", dir) : NULL;
	_cleanup_free_ char *disk_dir = zo_asprintf("/sys/block/%s", disk);
	char sectors[32], size[32], rota[8], model[64], serial[64], dm[64], dev[32], rm[8],
		ro[8];
	const char *type;
	char **holders = NULL;
	uint64_t n = 0;
	int i, count;

	if (!dir || !holders_dir || !disk_dir)
		return;
	sim_sysfs_line(root, dir, "size", sectors, sizeof(sectors));
	n = strtoull(sectors, NULL, 10);
	if (n == 0)
		return; /* unused loop and zram devices, as lsblk leaves them out */
	if (zo_size_format_human(n * 512, size, sizeof(size)) < 0)
		snprintf(size, sizeof(size), "-");
	sim_sysfs_line(root, dir, "dev", dev, sizeof(dev));
	sim_sysfs_line(root, dir, "ro", ro, sizeof(ro));
	/* a partition has the disk's: removable, and its queue's rotational */
	sim_sysfs_line(root, disk_dir, "removable", rm, sizeof(rm));
	sim_sysfs_line(root, disk_dir, "queue/rotational", rota, sizeof(rota));
	sim_sysfs_line(root, dir, "device/model", model, sizeof(model));
	sim_sysfs_line(root, dir, "serial", serial, sizeof(serial));
	if (!strcmp(serial, "-"))
		sim_sysfs_line(root, dir, "device/serial", serial, sizeof(serial));
	sim_sysfs_line(root, dir, "dm/name", dm, sizeof(dm));
	type = part ? "part" : !strncmp(name, "dm-", 3) ? "dm" : !strncmp(name, "loop", 4) ? "loop"
											   : "disk";
	zo_strbuf_appendf(sb, "%-12s %-8s %2s %10s %2s %-4s %4s %-20s %-20s %-16s", name, dev, rm,
			  size, ro, type, rota, model, serial, dm);
	count = zo_sysfs_list(root, holders_dir, "", &holders);
	for (i = 0; i < count; i++)
		zo_strbuf_appendf(sb, "%s%s", i ? "," : " ", holders[i]);
	zo_strbuf_append(sb, count > 0 ? "\n" : " -\n");
	zo_strv_free(holders);
}

/* lsblk's view, from sysfs: every disk and partition with lsblk's columns
 * (NAME MAJ:MIN RM SIZE RO TYPE), whether it spins (ssdswap's effect),
 * model, serial, device-mapper name, and what sits on top of it. */
static void sim_block_devices(const char *root, struct zo_strbuf *sb)
{
	char **disks = NULL;
	int i, j, n;

	zo_strbuf_appendf(sb, "%-12s %-8s %2s %10s %2s %-4s %4s %-20s %-20s %-16s %s\n", "NAME",
			  "MAJ:MIN", "RM", "SIZE", "RO", "TYPE", "ROTA", "MODEL", "SERIAL",
			  "DM-NAME", "HOLDERS");
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

/* A whole file, or why not. */
static void sim_cat(const char *root, struct zo_strbuf *sb, const char *path, const char *why)
{
	_cleanup_free_ char *text = NULL;
	int r = zo_sysfs_read(root, path, &text);

	if (r == 0) {
		zo_strbuf_append(sb, text);
		if (*text && text[strlen(text) - 1] != '\n')
			zo_strbuf_append(sb, "\n");
	} else {
		zo_strbuf_appendf(sb, "(no %s: %s)\n", path, r == -ENOENT && why ? why : strerror(-r));
	}
}

/* The last 10 lines of `text`, as tail(1) prints them. */
static void sim_tail(struct zo_strbuf *sb, const char *text)
{
	size_t len = strlen(text), i = len;
	int lines = 0;

	if (len && text[len - 1] == '\n')
		i--;
	while (i > 0 && !(text[i - 1] == '\n' && ++lines == 10))
		i--;
	zo_strbuf_append(sb, text + i);
	if (len && text[len - 1] != '\n')
		zo_strbuf_append(sb, "\n");
}

/* zswap's counters (stored pages, pool size, rejections), as the runner's
 * `tail` of every /sys/kernel/debug/zswap file printed them. */
static void sim_zswap_stats(const char *root, struct zo_strbuf *sb)
{
	char **stats = NULL;
	int i, n;

	n = zo_sysfs_list(root, "/sys/kernel/debug/zswap", "", &stats);
	if (n < 0)
		zo_strbuf_append(sb, "(no /sys/kernel/debug/zswap: debugfs not mounted or no zswap "
				     "in this kernel)\n");
	for (i = 0; i < n; i++) {
		_cleanup_free_ char *abs = zo_asprintf("/sys/kernel/debug/zswap/%s", stats[i]);
		_cleanup_free_ char *text = NULL;

		zo_strbuf_appendf(sb, "%s==> %s <==\n", i ? "\n" : "", abs ? abs : "?");
		if (abs && zo_sysfs_read(root, abs, &text) == 0)
			sim_tail(sb, text);
	}
	zo_strv_free(stats);
}

void zo_run_zswap_stats(struct zo_run *run, struct zo_strbuf *sb)
{
	sim_zswap_stats(run->ctx->root, sb);
}

static void sim_thin_usage(struct zo_ctx *ctx, struct zo_strbuf *sb)
{
	const char *data = zo_config_get(ctx->config, "thin", "data");
	struct zo_thin_pool_status st = { 0 };
	uint64_t block = 0, low = 0;
	char saved[sizeof(ctx->error)];
	enum zo_fail_kind saved_kind;
	int r;

	zo_strbuf_appendf(sb, "==> thin pool %s <==\n", ZO_THIN_POOL_NAME);
	if (!data || !*data) {
		zo_strbuf_append(sb, "(no [thin] data device configured)\n");
		return;
	}
	/* device-mapper is the host's, not under a test root */
	memcpy(saved, ctx->error, sizeof(saved));
	saved_kind = ctx->fail_kind;
	zo_clear_error(ctx);
	r = *ctx->root ? -ENODEV : zo_thin_pool_read(ctx, &st, &block, &low);
	if (r < 0)
		zo_strbuf_appendf(sb, "(unreadable: %s)\n",
				  *ctx->root || !*ctx->error ? strerror(-r) : ctx->error);
	/* a fact for the record, not the run's failure: keep the run's */
	memcpy(ctx->error, saved, sizeof(saved));
	ctx->fail_kind = saved_kind;
	if (r < 0)
		return;
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

/* The whole kernel log, as dmesg prints it: on a 0sim host, KVM and the
 * 0sim patches report there (lost TSC sync, swap errors, hung tasks). */
static void sim_host_dmesg(const char *root, struct zo_strbuf *sb)
{
	_cleanup_free_ char *buf = NULL;
	char *line, *end, *p;
	int size, n;

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
	/* without the "<N>" priorities, as dmesg prints it */
	for (line = buf; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		if (*line == '<' && (p = strchr(line, '>')) && p < end)
			line = p + 1;
		zo_strbuf_appendf(sb, "%.*s\n", (int)(end - line), line);
	}
}

static void sim_guest(struct zo_strbuf *sb, const char *text)
{
	if (!text) {
		zo_strbuf_append(sb, "(no target in this run)\n");
		return;
	}
	zo_strbuf_append(sb, text);
	if (*text && text[strlen(text) - 1] != '\n')
		zo_strbuf_append(sb, "\n");
}

/* zsim's own sections, after the runner's. */
static void sim_extras(struct zo_run *run, struct zo_strbuf *sb)
{
	static const char *const files[] = { "/proc/swaps", "/proc/vmstat" };
	char **params = NULL;
	size_t i;
	int n;

	zo_strbuf_append(sb, "\nzsim\n=====\n");
	for (i = 0; i < ZO_ARRAY_SIZE(files); i++) {
		zo_strbuf_appendf(sb, "==> %s <==\n", files[i]);
		sim_cat(run->ctx->root, sb, files[i], NULL);
	}
	zo_strbuf_append(sb, "==> /sys/module/zswap/parameters <==\n");
	n = zo_sysfs_list(run->ctx->root, "/sys/module/zswap/parameters", "", &params);
	for (i = 0; n > 0 && i < (size_t)n; i++) {
		_cleanup_free_ char *abs = zo_asprintf("/sys/module/zswap/parameters/%s",
						       params[i]);
		_cleanup_free_ char *v = NULL;

		if (abs && zo_sysfs_read_line(run->ctx->root, abs, &v) == 0)
			zo_strbuf_appendf(sb, "%s=%s\n", params[i], v);
	}
	zo_strv_free(params);
	sim_thin_usage(run->ctx, sb);
}

int zo_run_write_sim(struct zo_run *run, const char *guest_meminfo, const char *guest_dmesg,
		     const char *extra)
{
	const char *root = run->ctx->root;
	struct zo_strbuf sb = { 0 };
	int r;

	zo_strbuf_append(&sb, "Host Config\n=====\n");
	sim_cat(root, &sb, "/proc/cpuinfo", NULL);
	sim_block_devices(root, &sb);
	zo_strbuf_append(&sb, "\nSimulation Stats (Host)\n=====\n");
	sim_cat(root, &sb, "/proc/meminfo", NULL);
	sim_zswap_stats(root, &sb);
	sim_cat(root, &sb, "/proc/zerosim_guest_offset", "not a 0sim kernel");
	zo_strbuf_append(&sb, "\n");
	zo_strbuf_append(&sb, "\nSimulation Stats (Guest)\n=====\n");
	sim_guest(&sb, guest_meminfo);
	zo_strbuf_append(&sb, "\ndmesg (Host)\n=====\n");
	sim_host_dmesg(root, &sb);
	zo_strbuf_append(&sb, "\ndmesg (Guest)\n=====\n");
	sim_guest(&sb, guest_dmesg);
	sim_extras(run, &sb);
	if (extra)
		zo_strbuf_append(&sb, extra);
	if (!sb.buf)
		return -ENOMEM;
	r = zo_run_write(run, "sim", sb.buf);
	zo_strbuf_release(&sb);
	return r;
}

int zo_run_write_host_sim(struct zo_run *run, const char *extra)
{
	return zo_run_write_sim(run, NULL, NULL, extra);
}

/* The experiment argv[0] names, its arguments checked: 0, or a usage
 * failure. */
static int parse_argv(struct zo_ctx *ctx, int argc, char **argv, struct zo_exp_args *ret)
{
	const struct zo_experiment *e = argc > 0 ? zo_experiment_find(argv[0]) : NULL;
	_cleanup_free_ char *why = NULL;
	int r;

	if (!e)
		r = zo_fail(ctx, -EINVAL, "no experiment '%s'; see 'zsim-orch run --list'",
			    argc > 0 ? argv[0] : "");
	else if ((r = zo_exp_parse(e, argc - 1, argv + 1, ret, &why)) < 0)
		zo_fail(ctx, r, "run %s: %s", e->name, why ? why : strerror(ENOMEM));
	if (r < 0)
		ctx->fail_kind = ZO_FAIL_USAGE;
	return r;
}

int zo_run_check_argv(struct zo_ctx *ctx, int argc, char **argv)
{
	struct zo_exp_args args;
	int r = parse_argv(ctx, argc, argv, &args);

	if (r == 0)
		zo_exp_args_release(&args);
	return r;
}

/* Whether BASE.params is taken (by anything: a symbolic link too). */
static bool results_taken(const struct zo_run *run)
{
	_cleanup_free_ char *name = file_name(run, "params"), *path = zo_run_file(run, "params");
	struct stat st;

	if (!name || !path)
		return false;
	if (run->dir_fd >= 0)
		return fstatat(run->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
	return lstat(path, &st) == 0; /* --dry-run: the directory may not exist */
}

/* The base name of this run's files. Names have one-second resolution, as
 * the old runner's did: never reuse one, wait for the next second instead. */
static char *results_base(const struct zo_run *run, struct tm *ret_tm)
{
	time_t now = time(NULL);
	struct zo_run probe_run = *run;

	for (;;) {
		localtime_r(&now, ret_tm);
		probe_run.base = zo_exp_results_base(run->args, ret_tm);
		if (!probe_run.base || !results_taken(&probe_run))
			return probe_run.base;
		free(probe_run.base);
		zo_sleep_ms(1000 - (zo_now_ms() % 1000), NULL);
		now = time(NULL);
	}
}

static int plan(struct zo_run *run, char **canonical)
{
	struct zo_strbuf sb = { 0 };
	size_t i;

	for (i = 0; canonical[i]; i++)
		zo_strbuf_appendf(&sb, " %s", canonical[i]);
	zo_plan(run->ctx, "would run %s with:%s", run->args->exp->name, sb.buf ? sb.buf : "");
	zo_plan(run->ctx, "would write %s/%s.{%s}", run->dir, run->base,
		run->args->exp->files ? run->args->exp->files(run->args) : "params,out,time,sim");
	zo_strbuf_release(&sb);
	return run->args->exp->plan ? run->args->exp->plan(run) : 0;
}

/* A failure that is not the one returned: said now, then forgotten. */
static void log_failure(struct zo_ctx *ctx, int r)
{
	zo_err(&ctx->log, "%s", *ctx->error ? ctx->error : strerror(-r));
	zo_clear_error(ctx);
}

/* The results directory, opened once: every result file is created
 * relative to it. The spool daemon's run gets it open (results_fd, made
 * below [paths] results without following links); else it is opened as
 * named (created if missing). */
static int open_results_dir(struct zo_ctx *ctx, const char *dir, int results_fd, int *ret_fd)
{
	if (results_fd < 0)
		return zo_results_open_root(ctx, dir, ret_fd);
	*ret_fd = fcntl(results_fd, F_DUPFD_CLOEXEC, 3);
	if (*ret_fd < 0)
		return zo_fail(ctx, -errno, "cannot open the results directory %s: %s", dir,
			       strerror(errno));
	return 0;
}

/* After the phases: .err, .params (last-but-one: it then holds the facts
 * the run learned, and marks a set complete enough to re-run with --from),
 * .time, all made durable; then the run's failure as the caller's error.
 * A failure to file the results after a failed run is logged, the run's
 * own failure returned. */
/* `transient`: the experiment failed because the host did not answer
 * (libvirt), so the run ends with exit 75 and may be tried elsewhere. */
static int finish(struct zo_run *run, int r, bool transient, char **canonical)
{
	struct zo_ctx *ctx = run->ctx;
	const char *phase = run->n_timings ? run->timings[run->n_timings - 1].name : "-";
	_cleanup_free_ char *reason = TAKE_PTR(run->error), *failed = NULL, *err_text = NULL;
	const char *why = reason ? reason : strerror(-r);
	int w, s;

	zo_clear_error(ctx);
	if (r < 0) {
		failed = zo_asprintf("%s failed in phase %s: %s", run->args->exp->name, phase, why);
		err_text = zo_asprintf("phase: %s\nerror: %s\n", phase, why);
		w = err_text ? zo_run_write(run, "err", err_text) : -ENOMEM;
		if (w < 0)
			log_failure(ctx, w);
	}
	w = write_params(run, canonical);
	if (w >= 0)
		w = write_time(run);
	s = syncfs(run->dir_fd) < 0 ? -errno : 0;
	if (s < 0) {
		if (w < 0)
			log_failure(ctx, w);
		w = zo_fail(ctx, s, "cannot flush %s to disk: %s", run->dir, strerror(-s));
	}
	/* named only now that their data is on disk */
	s = name_created(run, r >= 0);
	if (s < 0) {
		if (w < 0)
			log_failure(ctx, w);
		w = s;
	}
	if (r >= 0)
		return w < 0 ? w : 0;
	if (w < 0)
		log_failure(ctx, w);
	if (r == -EPERM)
		return zo_refuse(ctx, r, "%s", failed ? failed : why);
	if (transient && !stop_signal)
		return zo_fail_transient(ctx, r, "%s", failed ? failed : why);
	return zo_fail(ctx, stop_signal ? -EINTR : r, "%s", failed ? failed : why);
}

static void run_release(struct zo_run *run)
{
	size_t i;

	for (i = 0; i < run->n_facts; i++)
		free(run->facts[i].value);
	for (i = 0; i < run->n_created; i++) {
		free(run->created[i].tmp);
		free(run->created[i].name);
	}
	zo_condition_release(&run->cond);
	free(run->error);
	free(run->base);
	if (run->dir_fd >= 0)
		close(run->dir_fd);
}

static int run_experiment(struct zo_ctx *ctx, const char *results_dir, int results_fd,
			  const struct zo_run_fact *facts, size_t n_facts, int argc, char **argv,
			  const char *from, char **ret_results)
{
	struct zo_exp_args args;
	struct zo_run run;
	_cleanup_free_ char *dir = NULL;
	char **canonical = NULL;
	struct tm tm;
	bool transient;
	size_t i;
	int r;

	*ret_results = NULL;
	r = parse_argv(ctx, argc, argv, &args);
	if (r < 0)
		return r;
	memset(&run, 0, sizeof(run));
	run.dir_fd = -1;
	zo_condition_init(&run.cond, ctx);
	run.ctx = ctx;
	run.args = &args;
	for (i = 0; i < n_facts; i++)
		if (zo_run_add_fact(&run, facts[i].name, facts[i].value) < 0) {
			r = -ENOMEM;
			goto out;
		}
	dir = results_dir ? strdup(results_dir)
			  : zo_path(ctx->root, zo_config_get(ctx->config, "paths", "results"));
	run.dir = dir;
	if (dir && !ctx->dry_run) {
		r = open_results_dir(ctx, dir, results_fd, &run.dir_fd);
		if (r < 0)
			goto out;
	}
	run.base = dir ? results_base(&run, &tm) : NULL;
	canonical = zo_exp_argv(&args);
	if (!run.base || !canonical) {
		r = -ENOMEM;
		goto out;
	}
	strftime(run.timestamp, sizeof(run.timestamp), "%Y-%m-%dT%H:%M:%S%z", &tm);
	if (ctx->dry_run) {
		r = plan(&run, canonical);
		goto out;
	}
	if (from)
		zo_info(&ctx->log, "re-running %s", from);
	/* a run killed before it put the host back: put back first (the
	 * host lock, held here, proves its writer gone) */
	r = zo_condition_recover(ctx);
	if (r < 0)
		goto out;
	if (r > 0) {
		_cleanup_free_ char *n = zo_asprintf("%d files, before this run", r);

		zo_run_add_fact(&run, "host_restored_from_journal", n ? n : "yes");
	}
	stop_signal = 0;
	catch_stop_signals(true);
	zo_tsc_sample(&run.tsc_start);
	r = args.exp->run(&run);
	zo_progress_end(ctx);
	transient = r < 0 && ctx->error[0] && ctx->fail_kind == ZO_FAIL_TRANSIENT;
	restore_host(&run, r == 0);
	if (run.phase)
		phase_end(&run, r == 0);
	r = finish(&run, r, transient, canonical);
	catch_stop_signals(false);
	*ret_results = zo_asprintf("%s/%s", run.dir, run.base);
out:
	run_release(&run);
	zo_strv_free(canonical);
	zo_exp_args_release(&args);
	return r;
}

int zo_run_argv(struct zo_ctx *ctx, const char *results_dir, int argc, char **argv,
		char **ret_results)
{
	return run_experiment(ctx, results_dir, -1, NULL, 0, argc, argv, NULL, ret_results);
}

int zo_run_argv_at(struct zo_ctx *ctx, const char *results_dir, int results_fd, int argc,
		   char **argv, char **ret_results)
{
	return run_experiment(ctx, results_dir, results_fd, NULL, 0, argc, argv, NULL,
			      ret_results);
}

int zo_run_argv_facts(struct zo_ctx *ctx, const char *results_dir,
		      const struct zo_run_fact *facts, size_t n_facts, int argc, char **argv,
		      char **ret_results)
{
	return run_experiment(ctx, results_dir, -1, facts, n_facts, argc, argv, NULL, ret_results);
}

/* Compare what a .params recorded with this host; say what differs. */
static void report_differences(struct zo_ctx *ctx, const struct zo_params *p)
{
	_cleanup_free_ char *release = NULL;
	json_object *now_cfg;

	zo_sysfs_read_line(ctx->root, "/proc/sys/kernel/osrelease", &release);
	if (p->kernel && release && strcmp(p->kernel, release))
		zo_say(ctx, "differs: kernel %s (recorded %s)", release, p->kernel);
	if (p->commit && strcmp(p->commit, ZO_GIT_COMMIT))
		zo_say(ctx, "differs: zsim-orch %s (recorded %s)", ZO_GIT_COMMIT, p->commit);
	if (!p->config)
		return;
	now_cfg = config_json(ctx->config);
	json_object_object_foreach(now_cfg, sec, keys)
	{
		json_object *rec_sec = NULL;

		/* anything but an object of strings is simply not compared */
		json_object_object_get_ex(p->config, sec, &rec_sec);
		json_object_object_foreach(keys, key, val)
		{
			const char *now_v = json_object_get_string(val);
			const char *rec_v = rec_sec ? zo_json_get_str(rec_sec, key) : NULL;

			if (rec_v && now_v && strcmp(now_v, rec_v))
				zo_say(ctx, "differs: [%s] %s = %s (recorded %s)", sec, key, now_v,
				       rec_v);
		}
	}
	json_object_put(now_cfg);
}

/* The .params file read and its shape checked (core/params.h): an
 * unreadable file fails (exit 1), one of the wrong shape or naming no
 * experiment is a usage error (exit 2). */
static int read_params(struct zo_ctx *ctx, const char *path, struct zo_params *ret)
{
	_cleanup_free_ char *text = NULL, *why = NULL;
	size_t len = 0;
	int r = zo_read_file(path, ZO_PARAMS_MAX_BYTES, &text, &len);

	if (r < 0 && r != -EFBIG)
		return zo_fail(ctx, r, "%s: not a readable .params file (JSON): %s", path,
			       strerror(-r));
	if (r == -EFBIG)
		why = strdup("larger than 1 MiB; not a .params file zsim-orch wrote");
	else if ((r = zo_params_parse(text, len, ret, &why)) == 0 &&
		 !zo_experiment_find(ret->argv[0])) {
		why = zo_asprintf("no experiment '%s' in this zsim-orch; see 'zsim-orch run --list'",
				  ret->argv[0]);
		zo_params_release(ret);
	} else if (r == 0) {
		return 0;
	}
	r = why ? zo_fail(ctx, -EINVAL, "%s: cannot re-run it: %s", path, why)
		: zo_fail(ctx, -ENOMEM, "out of memory");
	if (why)
		ctx->fail_kind = ZO_FAIL_USAGE;
	return r;
}

int zo_run_from(struct zo_ctx *ctx, const char *results_dir, const char *params_path,
		char **ret_results)
{
	struct zo_params p;
	int r;

	*ret_results = NULL;
	r = read_params(ctx, params_path, &p);
	if (r < 0)
		return r;
	report_differences(ctx, &p);
	r = run_experiment(ctx, results_dir, -1, NULL, 0, p.argc, p.argv, params_path, ret_results);
	zo_params_release(&p);
	return r;
}
