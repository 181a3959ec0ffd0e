/* Host conditioning for a run (ops/condition.h). */
#include "ops/condition.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/procfs.h"
#include "sys/hostinfo.h"
#include "sys/process.h"
#include "sys/service.h"
#include "sys/swap.h"
#include "sys/sysfs.h"
#include "util/file.h"
#include "util/json.h"
#include "util/path.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

#define SSDSWAP_DEVICE "/sys/module/ssdswap/parameters/device"
#define ZSWAP_STORED "/sys/kernel/debug/zswap/stored_pages"
#define JOURNAL "conditioning.journal"
#define KSMTUNED "ksmtuned.service"

static char *journal_path(struct zo_ctx *ctx)
{
	const char *state = ctx->config ? zo_config_get(ctx->config, "paths", "state") : NULL;
	_cleanup_free_ char *rel = NULL;

	if (!state || !*state)
		return NULL;
	rel = zo_asprintf("%s/%s", state, JOURNAL);
	return rel ? zo_path(ctx->root, rel) : NULL;
}

void zo_condition_init(struct zo_condition *c, struct zo_ctx *ctx)
{
	memset(c, 0, sizeof(*c));
	c->ctx = ctx;
	c->journal = journal_path(ctx);
}

void zo_condition_release(struct zo_condition *c)
{
	size_t i, j;

	for (i = 0; i < c->n; i++) {
		struct zo_condition_item *it = &c->items[i];

		free(it->what);
		free(it->path);
		free(it->before);
		free(it->restore);
		for (j = 0; j < it->n_set; j++)
			free(it->set[j]);
		free(it->after);
		free(it->note);
	}
	free(c->items);
	for (i = 0; i < c->n_steps; i++)
		free(c->steps[i].result);
	free(c->journal);
	memset(c, 0, sizeof(*c));
}

static struct zo_condition_item *find(struct zo_condition *c, const char *path)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->items[i].path, path))
			return &c->items[i];
	return NULL;
}

static struct zo_condition_item *add(struct zo_condition *c, const char *what, const char *path)
{
	struct zo_condition_item *it;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 32;
		struct zo_condition_item *v = realloc(c->items, cap * sizeof(*v));

		if (!v)
			return NULL;
		c->items = v;
		c->cap = cap;
	}
	it = &c->items[c->n];
	memset(it, 0, sizeof(*it));
	it->what = strdup(what);
	it->path = strdup(path);
	if (!it->what || !it->path) {
		free(it->what);
		free(it->path);
		return NULL;
	}
	c->n++;
	return it;
}

/* What the file holds now, made comparable; NULL when it cannot be read. */
static char *current(struct zo_condition *c, const struct zo_knob *k, const char *path)
{
	_cleanup_free_ char *raw = NULL;

	if (zo_sysfs_read_line(c->ctx->root, path, &raw) < 0)
		return NULL;
	return k ? zo_knob_current(k, raw) : strdup(raw);
}

/* The item for `path`, read before anything is written to it; -ENOENT
 * (recorded as absent, warned about) when the kernel has no such file. */
static int item(struct zo_condition *c, const char *what, const char *path,
		const struct zo_knob *k, struct zo_condition_item **ret)
{
	struct zo_condition_item *it = find(c, path);
	_cleanup_free_ char *raw = NULL;
	int r;

	if (!it) {
		it = add(c, what, path);
		if (!it)
			return zo_fail(c->ctx, -ENOMEM, "cannot condition the host: out of memory");
		r = zo_sysfs_read_line(c->ctx->root, path, &raw);
		if (r == -ENOENT || r == -ENOTDIR) {
			/* on a stock kernel standing in for 0sim (already said),
			 * 0sim's own files are missing as expected */
			bool expected = c->lenient && (k ? k->zerosim : !strcmp(path, SSDSWAP_DEVICE));

			zo_log(&c->ctx->log, expected ? LOG_INFO : LOG_WARNING,
			       "%s: %s does not exist on this kernel; not set (recorded as "
			       "absent in .params)",
			       what, path);
		} else if (r < 0) {
			it->before = zo_asprintf("unreadable (%s)", strerror(-r));
		} else {
			it->before = k ? zo_knob_current(k, raw) : strdup(raw);
			it->restore = k ? zo_knob_restore_value(k, raw) : strdup(raw);
			c->journal_dirty = true;
		}
	}
	*ret = it;
	return it->before ? 0 : -ENOENT;
}

/* After a write: what the file holds now, and whether it differs from
 * before. */
static void note_set(struct zo_condition *c, struct zo_condition_item *it,
		     const struct zo_knob *k, const char *fallback)
{
	char *now = current(c, k, it->path);

	if (!now)
		now = strdup(fallback);
	if (!now)
		return;
	if (it->n_set == ZO_ARRAY_SIZE(it->set)) {
		free(it->set[it->n_set - 1]);
		it->n_set--;
	}
	it->set[it->n_set++] = now;
	if (!it->restore || strcmp(now, it->before))
		it->changed = true;
}

/* The journal: {"pid": N, "boot_id": ID, "items": [{"what", "path",
 * "restore"}, ...]}, every item that can be put back, in the order they
 * were first read. */
static char *journal_text(const struct zo_condition *c)
{
	json_object *o = json_object_new_object(), *items = json_object_new_array();
	char boot[ZO_BOOT_ID_LEN + 1] = "";
	char *text;
	size_t i;

	zo_json_add_u64(o, "pid", (uint64_t)getpid());
	if (zo_boot_id(c->ctx->root, boot) == 0)
		zo_json_add_str(o, "boot_id", boot);
	for (i = 0; i < c->n; i++) {
		json_object *e;

		if (!c->items[i].restore)
			continue;
		e = json_object_new_object();
		zo_json_add_str(e, "what", c->items[i].what);
		zo_json_add_str(e, c->items[i].service ? "service" : "path", c->items[i].path);
		zo_json_add_str(e, "restore", c->items[i].restore);
		json_object_array_add(items, e);
	}
	json_object_object_add(o, "items", items);
	text = strdup(zo_json_text(o));
	json_object_put(o);
	return text;
}

/* The journal on disk (written beside, flushed, renamed, the directory
 * flushed) before a file it does not list yet changes. */
static int journal_sync(struct zo_condition *c)
{
	_cleanup_free_ char *text = NULL;
	int r;

	if (!c->journal || !c->journal_dirty)
		return 0;
	text = journal_text(c);
	r = text ? zo_write_file_atomic(c->journal, text) : -ENOMEM;
	if (r < 0)
		return zo_fail(c->ctx, r, "cannot write the conditioning journal %s: %s; nothing "
					  "more is changed on the host ([paths] state must be "
					  "writable)",
			       c->journal, strerror(-r));
	c->journal_dirty = false;
	return 0;
}

static int set_file(struct zo_condition *c, const char *what, const char *path,
		    const struct zo_knob *k, const char *value)
{
	struct zo_condition_item *it;
	int r = item(c, what, path, k, &it);

	if (r < 0)
		return r;
	r = journal_sync(c);
	if (r < 0)
		return r;
	r = zo_sysfs_write(c->ctx->root, path, value);
	if (r < 0 && c->lenient) {
		it->error = r;
		zo_warn(&c->ctx->log, "not set: %s = %s: the kernel refused it (%s: %s)", what,
			value, path, strerror(-r));
		return 0;
	}
	if (r < 0) {
		it->error = r;
		return zo_fail(c->ctx, r, "cannot set %s to %s: the kernel refused it (%s: %s); "
					  "what was already set is put back",
			       what, value, path, strerror(-r));
	}
	note_set(c, it, k, value);
	return 0;
}

int zo_condition_file(struct zo_condition *c, const char *what, const char *path,
		      const char *value)
{
	return set_file(c, what, path, NULL, value);
}

int zo_condition_knob(struct zo_condition *c, const struct zo_knob *k, const char *value)
{
	char **files = NULL;
	int n, i, pass, r = 0;

	if (!zo_knob_per_cpu(k))
		return set_file(c, k->name, k->path, k, value);
	n = zo_host_knob_files(c->ctx->root, k, &files);
	if (n < 0)
		return zo_fail(c->ctx, n, "cannot list the CPUs for %s: %s", k->name, strerror(-n));
	if (n == 0) {
		/* no cpufreq (a VM, or no driver): one absent entry says so */
		struct zo_condition_item *it;

		zo_strv_free(files);
		return item(c, k->name, k->path, k, &it);
	}
	/* every CPU's file read (and journaled at once) before any is written */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n && r == 0; i++) {
			const char *cpu = strstr(files[i], "/cpu/") ? strstr(files[i], "/cpu/") + 5
								    : "";
			_cleanup_free_ char *what = zo_asprintf("%s %.*s", k->name,
								(int)strcspn(cpu, "/"), cpu);
			struct zo_condition_item *it;

			if (!what)
				r = -ENOMEM;
			else if (pass == 0 && (r = item(c, what, files[i], k, &it)) == -ENOENT)
				r = 0; /* set_file stops there */
			else if (pass == 1)
				r = set_file(c, what, files[i], k, value);
		}
	zo_strv_free(files);
	return r;
}

/* A knob of the table by name; absent is not a failure here (recorded). */
static int knob(struct zo_condition *c, const char *name, const char *value)
{
	const struct zo_knob *k = zo_knob_find(name);
	int r;

	if (!k)
		return zo_fail(c->ctx, -EINVAL, "no knob %s", name);
	r = zo_condition_knob(c, k, value);
	return r == -ENOENT ? 0 : r;
}

static void step(struct zo_condition *c, const char *name, uint64_t start, char *result)
{
	if (c->n_steps >= ZO_ARRAY_SIZE(c->steps)) {
		free(result);
		return;
	}
	c->steps[c->n_steps].step = name;
	c->steps[c->n_steps].result = result;
	c->steps[c->n_steps].ms = zo_now_ms() - start;
	c->n_steps++;
}

/* ---- the swap devices and the disks under them ---- */

struct disk {
	char *name;    /* under /sys/block: "sdb", "dm-3" */
	char *devnode; /* what ssdswap is told: "/dev/sdb2", "/dev/mapper/zsim-swap" */
};

static void disks_free(struct disk *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(d[i].name);
		free(d[i].devnode);
	}
	free(d);
}

/* The /sys/block disk holding block device `name` (a disk, or a
 * partition of one); NULL when there is none. */
static char *disk_of(const char *root, const char *name)
{
	_cleanup_free_ char *dir = zo_asprintf("/sys/block/%s", name);
	char **disks = NULL;
	char *found = NULL;
	int n, i;

	if (dir && zo_sysfs_exists(root, dir) > 0)
		return strdup(name);
	n = zo_sysfs_list(root, "/sys/block", "", &disks);
	for (i = 0; i < n && !found; i++) {
		_cleanup_free_ char *part = zo_asprintf("/sys/block/%s/%s", disks[i], name);

		if (part && zo_sysfs_exists(root, part) > 0)
			found = strdup(disks[i]);
	}
	zo_strv_free(disks);
	return found;
}

/* "/dev/mapper/NAME" -> "dm-N", by each dm device's dm/name. */
static char *dm_by_name(const char *root, const char *mapper_name)
{
	char **disks = NULL;
	char *found = NULL;
	int n, i;

	n = zo_sysfs_list(root, "/sys/block", "dm-", &disks);
	for (i = 0; i < n && !found; i++) {
		_cleanup_free_ char *p = zo_asprintf("/sys/block/%s/dm/name", disks[i]);
		_cleanup_free_ char *v = NULL;

		if (p && zo_sysfs_read_line(root, p, &v) == 0 && !strcmp(v, mapper_name))
			found = strdup(disks[i]);
	}
	zo_strv_free(disks);
	return found;
}

static int disk_add(const char *root, struct disk **v, size_t *n, const char *block,
		    const char *devnode, int depth)
{
	_cleanup_free_ char *disk = disk_of(root, block);
	_cleanup_free_ char *slaves_dir = NULL;
	char **slaves = NULL;
	struct disk *grown;
	size_t i;
	int m, j, r = 0;

	if (!disk || depth > 4)
		return 0;
	for (i = 0; i < *n; i++)
		if (!strcmp((*v)[i].name, disk))
			return 0;
	grown = realloc(*v, (*n + 1) * sizeof(**v));
	if (!grown)
		return -ENOMEM;
	*v = grown;
	grown[*n].name = strdup(disk);
	if (devnode) {
		grown[*n].devnode = strdup(devnode);
	} else {
		_cleanup_free_ char *p = zo_asprintf("/sys/block/%s/dm/name", disk);
		_cleanup_free_ char *dm = NULL;

		grown[*n].devnode = p && zo_sysfs_read_line(root, p, &dm) == 0
					    ? zo_asprintf("/dev/mapper/%s", dm)
					    : zo_asprintf("/dev/%s", block);
	}
	(*n)++;
	if (!grown[*n - 1].name || !grown[*n - 1].devnode)
		return -ENOMEM;
	/* a device-mapper device: its pool and the pool's data device (not
	 * loop devices: the metadata file) */
	if (strncmp(disk, "dm-", 3))
		return 0;
	slaves_dir = zo_asprintf("/sys/block/%s/slaves", disk);
	m = slaves_dir ? zo_sysfs_list(root, slaves_dir, "", &slaves) : 0;
	for (j = 0; j < m && r == 0; j++)
		if (strncmp(slaves[j], "loop", 4))
			r = disk_add(root, v, n, slaves[j], NULL, depth + 1);
	zo_strv_free(slaves);
	return r;
}

static int active_swaps(const char *root, struct zo_swap_entry **ret, size_t *ret_n)
{
	_cleanup_free_ char *text = NULL;
	int r = zo_sysfs_read(root, "/proc/swaps", &text);

	*ret = NULL;
	*ret_n = 0;
	if (r < 0)
		return r;
	r = zo_parse_swaps(text, ret, ret_n);
	return r < 0 ? r : 0;
}

/* The disks under the active swap areas (swap files have none). */
static int swap_disks(const char *root, struct disk **ret, size_t *ret_n)
{
	struct zo_swap_entry *swaps = NULL;
	size_t n_swaps = 0, i;
	int r = active_swaps(root, &swaps, &n_swaps);

	*ret = NULL;
	*ret_n = 0;
	for (i = 0; r == 0 && i < n_swaps; i++) {
		const char *f = swaps[i].filename;
		_cleanup_free_ char *block = NULL;

		if (strcmp(swaps[i].type, "partition"))
			continue;
		if (zo_startswith(f, "/dev/mapper/"))
			block = dm_by_name(root, f + strlen("/dev/mapper/"));
		else if (zo_startswith(f, "/dev/"))
			block = strdup(strrchr(f, '/') + 1);
		if (block)
			r = disk_add(root, ret, ret_n, block, f, 0);
	}
	zo_swap_entries_free(swaps, n_swaps);
	return r == -ENOENT ? 0 : r;
}

/* Tell ssdswap about every disk under the swap areas, so the kernel takes
 * them for solid-state (the old runner's turn_on_ssdswap). Its parameter
 * reads back nothing useful; the disk's queue/rotational is what changes,
 * and what is put back. */
static int mark_ssdswap(struct zo_condition *c)
{
	const char *root = c->ctx->root;
	struct disk *disks = NULL;
	size_t n = 0, i;
	int r;

	if (zo_sysfs_exists(root, SSDSWAP_DEVICE) <= 0) {
		struct zo_condition_item *it;

		r = item(c, "ssdswap", SSDSWAP_DEVICE, NULL, &it);
		return r == -ENOENT ? 0 : r;
	}
	r = swap_disks(root, &disks, &n);
	if (r < 0)
		return zo_fail(c->ctx, r, "cannot list the swap devices for ssdswap: %s",
			       strerror(-r));
	if (n == 0)
		zo_warn(&c->ctx->log, "ssdswap: no swap device is active; nothing to mark");
	for (i = 0; i < n && r == 0; i++) {
		_cleanup_free_ char *what = zo_asprintf("ssdswap %s", disks[i].name);
		_cleanup_free_ char *rot = zo_asprintf("/sys/block/%s/queue/rotational",
						       disks[i].name);
		struct zo_condition_item *it;

		if (!what || !rot) {
			r = -ENOMEM;
			break;
		}
		r = item(c, what, rot, NULL, &it);
		if (r == -ENOENT) {
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		free(it->note);
		it->note = zo_asprintf("%s written to %s", disks[i].devnode, SSDSWAP_DEVICE);
		r = zo_sysfs_write(root, SSDSWAP_DEVICE, disks[i].devnode);
		if (r < 0) {
			it->error = r;
			r = zo_fail(c->ctx, r, "ssdswap refused %s: %s (%s)", disks[i].devnode,
				    strerror(-r), SSDSWAP_DEVICE);
			break;
		}
		note_set(c, it, NULL, "?");
	}
	disks_free(disks, n);
	return r;
}

static char *zswap_stored(const char *root)
{
	char *v = NULL;

	return zo_sysfs_read_line(root, ZSWAP_STORED, &v) == 0 ? v : strdup("unknown");
}

/* Every active swap area off and on again with discard: what the old
 * runner did on every connect (swapoff, then swapon -d), which also
 * empties zswap's pool and makes ssdswap's marking count. */
static int cycle_swap(struct zo_condition *c)
{
	const char *root = c->ctx->root;
	struct zo_swap_entry *swaps = NULL;
	struct zo_strbuf sb = { 0 };
	_cleanup_free_ char *stored_before = zswap_stored(root), *stored_after = NULL;
	uint64_t start = zo_now_ms();
	size_t n = 0, i;
	int r = active_swaps(root, &swaps, &n);

	if (r < 0 && r != -ENOENT)
		return zo_fail(c->ctx, r, "cannot read /proc/swaps: %s", strerror(-r));
	if (n == 0)
		zo_strbuf_append(&sb, "no swap active");
	else if (*root)
		zo_strbuf_appendf(&sb, "%zu active, not cycled under a test root", n);
	for (i = 0; !*root && i < n && r >= 0; i++) {
		int prio = swaps[i].priority >= 0 ? swaps[i].priority : -1;

		r = zo_swap_off(swaps[i].filename);
		if (r < 0) {
			r = zo_fail(c->ctx, r, "cannot empty swap on %s (swapoff: %s); the host "
					       "is not in a known state: free memory or stop what "
					       "uses the swap, then run again",
				    swaps[i].filename, strerror(-r));
			break;
		}
		r = zo_swap_on(swaps[i].filename, prio, true);
		if (r < 0) {
			r = zo_fail(c->ctx, r, "swapon %s with discard failed after swapoff: %s; "
					       "its swap is OFF now: 'zsim-orch swap on' turns it "
					       "back on",
				    swaps[i].filename, strerror(-r));
			break;
		}
		zo_strbuf_appendf(&sb, "%s%s", i ? ", " : "cycled with discard: ", swaps[i].filename);
	}
	zo_swap_entries_free(swaps, n);
	stored_after = zswap_stored(root);
	zo_strbuf_appendf(&sb, "; zswap stored pages %s -> %s", stored_before ? stored_before : "?",
			  stored_after ? stored_after : "?");
	if (stored_after && strcmp(stored_after, "0") && strcmp(stored_after, "unknown"))
		zo_warn(&c->ctx->log, "zswap still holds %s pages: its pool is not empty",
			stored_after);
	step(c, "swap", start, zo_strbuf_steal(&sb));
	return r < 0 ? r : 0;
}

/* One /proc/sys/vm action of the known state. */
static int vm_action(struct zo_condition *c, const char *name, const char *path,
		     const char *value)
{
	uint64_t start = zo_now_ms();
	int r;

	if (zo_sysfs_exists(c->ctx->root, path) <= 0) {
		zo_warn(&c->ctx->log, "%s: %s does not exist on this kernel", name, path);
		step(c, name, start, zo_asprintf("absent (%s)", path));
		return 0;
	}
	r = zo_sysfs_write(c->ctx->root, path, value);
	if (r < 0)
		return zo_fail(c->ctx, r, "cannot %s: %s refused %s: %s", name, path, value,
			       strerror(-r));
	step(c, name, start, zo_asprintf("%s written to %s", value, path));
	return 0;
}

static int known_state(struct zo_condition *c)
{
	int r;

	/* dirty pages first, or drop_caches leaves them */
	if (!*c->ctx->root)
		sync();
	r = vm_action(c, "drop caches", "/proc/sys/vm/drop_caches", "3");
	if (r == 0)
		r = vm_action(c, "compact memory", "/proc/sys/vm/compact_memory", "1");
	return r;
}

/* A systemd unit the runner stopped (systemctl disable --now ksmtuned):
 * stopped when active, recorded with its state before and after, started
 * again on restore. Without systemd, or a systemctl that cannot say,
 * recorded as absent and said. */
static int stop_service(struct zo_condition *c, const char *what, const char *unit)
{
	_cleanup_free_ char *state = NULL, *why = NULL;
	struct zo_condition_item *it = add(c, what, unit);
	int r;

	if (!it)
		return zo_fail(c->ctx, -ENOMEM, "cannot condition the host: out of memory");
	it->service = true;
	if (!zo_service_systemd(c->ctx->root)) {
		it->note = strdup("no systemd on this host (/run/systemd/system)");
		zo_info(&c->ctx->log, "%s: no systemd on this host; not stopped (recorded as "
				      "absent in .params)", what);
		return 0;
	}
	if (zo_service_state(unit, &state, &why) < 0) {
		it->note = zo_asprintf("systemctl is-active %s: %s", unit, why ? why : "?");
		zo_warn(&c->ctx->log, "%s: %s; not stopped (recorded as absent in .params)", what,
			it->note);
		return 0;
	}
	it->before = TAKE_PTR(state);
	if (strcmp(it->before, "active"))
		return 0; /* nothing to stop, nothing to start again */
	it->restore = strdup("active");
	c->journal_dirty = true;
	r = journal_sync(c);
	if (r < 0)
		return r;
	it->note = zo_asprintf("systemctl stop %s; started again on restore", unit);
	if (zo_service_stop(unit, &why) < 0) {
		it->error = -EIO;
		return zo_fail(c->ctx, -EIO, "cannot stop %s: %s; what was already set is put back",
			       unit, why ? why : "?");
	}
	it->changed = true;
	free(why);
	why = NULL;
	if (zo_service_state(unit, &state, &why) == 0 && it->n_set < ZO_ARRAY_SIZE(it->set))
		it->set[it->n_set++] = TAKE_PTR(state);
	return 0;
}

int zo_condition_host(struct zo_condition *c, const struct zo_condition_spec *s)
{
	int r;

	r = knob(c, "governor", "performance");
	if (r == 0)
		r = knob(c, "printk", "4");
	/* KSM merges the target's identical pages behind the simulation's back */
	if (r == 0)
		r = stop_service(c, "ksmtuned", KSMTUNED);
	if (r == 0)
		r = knob(c, "ksm", "0");
	/* "THP is buggy with frontswap" (exp_0sim.rs) */
	if (r == 0 && s->zswap)
		r = knob(c, "thp", "never");
	if (r == 0 && s->zswap)
		r = mark_ssdswap(c);
	if (r == 0)
		r = cycle_swap(c);
	if (r == 0)
		r = known_state(c);
	if (r == 0 && s->zswap) {
		r = knob(c, "zswap_zpool", s->zpool);
		if (r == 0)
			r = knob(c, "zswap_max_pool_percent", s->max_pool_percent);
		if (r == 0)
			r = knob(c, "zswap_enabled", "Y");
	} else if (r == 0) {
		r = knob(c, "zswap_enabled", "N");
	}
	if (r == 0 && s->drift_threshold)
		r = knob(c, "zerosim_drift_threshold", s->drift_threshold);
	if (r == 0 && s->delay)
		r = knob(c, "zerosim_delay", s->delay);
	/* around the boot (start_vagrant): skip_halt off, lapic_adjust, and
	 * TSC offsetting off while the target boots */
	if (r == 0)
		r = knob(c, "zerosim_skip_halt", "0");
	if (r == 0)
		r = knob(c, "zerosim_lapic_adjust", s->lapic_adjust ? "1" : "0");
	if (r == 0)
		r = knob(c, "tsc_offsetting", "N");
	return r;
}

int zo_condition_booted(struct zo_condition *c, const struct zo_condition_spec *s)
{
	int r;

	r = knob(c, "tsc_offsetting", "Y");
	if (r == 0)
		r = knob(c, "zerosim_skip_halt", s->skip_halt ? "3" : "0");
	if (r == 0)
		r = knob(c, "zerosim_multicore_sync", s->multicore ? "1" : "0");
	if (r == 0 && s->multicore)
		r = knob(c, "zerosim_sync_guest_tsc", "1");
	return r;
}

/* A stopped unit started again, its state read back: 0, or 1 when it
 * could not be started (warned). */
static int restore_service(struct zo_condition *c, struct zo_condition_item *it)
{
	_cleanup_free_ char *why = NULL;
	int failed = 0;

	if (it->changed && zo_service_start(it->path, &why) < 0) {
		zo_warn(&c->ctx->log, "could not start %s again: %s", it->path, why ? why : "?");
		failed = 1;
	}
	free(why);
	why = NULL;
	if (zo_service_state(it->path, &it->after, &why) < 0)
		it->after = strdup("unknown");
	else if (strcmp(it->after, it->before)) {
		zo_warn(&c->ctx->log, "%s is %s after the restore, was %s", it->path, it->after,
			it->before);
		failed = 1;
	}
	return failed;
}

int zo_condition_restore(struct zo_condition *c)
{
	size_t i = c->n;
	int failed = 0;

	while (i > 0) {
		struct zo_condition_item *it = &c->items[--i];
		const struct zo_knob *k = NULL;
		size_t j;

		if (it->after || !it->before)
			continue; /* restored already, or absent */
		if (it->service) {
			failed += restore_service(c, it);
			continue;
		}
		for (j = 0; j < zo_n_knobs; j++)
			if (!strcmp(zo_knobs[j].path, it->path) ||
			    (zo_knob_per_cpu(&zo_knobs[j]) && !strncmp(it->what, zo_knobs[j].name,
								       strlen(zo_knobs[j].name))))
				k = &zo_knobs[j];
		if (it->changed && !it->restore) {
			zo_warn(&c->ctx->log, "cannot restore %s (%s): it was unreadable before",
				it->what, it->path);
			failed++;
		} else if (it->changed) {
			int r = zo_sysfs_write(c->ctx->root, it->path, it->restore);

			if (r < 0) {
				zo_warn(&c->ctx->log, "could not restore %s to %s (%s): %s", it->what,
					it->restore, it->path, strerror(-r));
				failed++;
			}
		}
		it->after = current(c, k, it->path);
		if (!it->after)
			it->after = strdup("unreadable");
		else if (it->changed && it->restore && strcmp(it->after, it->before)) {
			zo_warn(&c->ctx->log, "%s reads %s after the restore, was %s", it->what,
				it->after, it->before);
			failed++;
		}
	}
	/* complete: nothing for the next run to put back */
	if (!failed && c->journal && unlink(c->journal) < 0 && errno != ENOENT)
		zo_warn(&c->ctx->log, "cannot remove the conditioning journal %s: %s", c->journal,
			strerror(errno));
	return failed;
}

/* One entry of a stale journal put back: 0, or -errno. */
static int recover_item(struct zo_ctx *ctx, json_object *e, long pid)
{
	const char *what = zo_json_get_str(e, "what"), *path = zo_json_get_str(e, "path");
	const char *restore = zo_json_get_str(e, "restore");
	const char *unit = zo_json_get_str(e, "service");
	_cleanup_free_ char *why = NULL;
	int r;

	if (what && unit && restore) {
		r = zo_service_start(unit, &why);
		if (r < 0)
			return zo_fail(ctx, r, "cannot start %s again from the journal of run pid "
					       "%ld: %s",
				       unit, pid, why ? why : "?");
		zo_warn(&ctx->log, "%s started again: run pid %ld ended without restoring the host",
			unit, pid);
		return 0;
	}
	if (!what || !path || !restore || path[0] != '/')
		return zo_fail(ctx, -EINVAL, "an entry of the conditioning journal is not "
					     "{what, path, restore}");
	r = zo_sysfs_write(ctx->root, path, restore);
	if (r < 0)
		return zo_fail(ctx, r, "cannot put %s back to %s (%s) from the journal of run "
				       "pid %ld: %s",
			       what, restore, path, pid, strerror(-r));
	zo_warn(&ctx->log, "%s put back to %s (%s): run pid %ld ended without restoring the host",
		what, restore, path, pid);
	return 0;
}

/* Whether the journal's run was in another boot than this one (unknown
 * on either side: not). */
static bool rebooted(struct zo_ctx *ctx, json_object *journal)
{
	const char *then = zo_json_get_str(journal, "boot_id");
	char now[ZO_BOOT_ID_LEN + 1];

	return then && zo_boot_id(ctx->root, now) == 0 && strcmp(then, now) != 0;
}

int zo_condition_recover(struct zo_ctx *ctx)
{
	_cleanup_free_ char *path = journal_path(ctx), *text = NULL;
	json_object *o = NULL, *items = NULL, *pid_o = NULL;
	size_t len = 0, i, n;
	long pid = 0;
	int r;

	if (!path)
		return 0;
	r = zo_read_file(path, 1 << 20, &text, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return zo_fail(ctx, r, "cannot read the conditioning journal %s: %s", path,
			       strerror(-r));
	o = json_tokener_parse(text);
	if (!o || !json_object_object_get_ex(o, "items", &items) ||
	    !json_object_is_type(items, json_type_array)) {
		if (o)
			json_object_put(o);
		return zo_fail(ctx, -EINVAL, "%s is not a conditioning journal; look at it and "
					     "remove it", path);
	}
	if (json_object_object_get_ex(o, "pid", &pid_o))
		pid = (long)json_object_get_int64(pid_o);
	n = json_object_array_length(items);
	if (rebooted(ctx, o)) {
		/* the kernel's knobs went back to its boot values with the
		 * reboot: the run's "before" values are not this boot's */
		zo_warn(&ctx->log, "%s: run pid %ld ended without putting the host back, in an "
				   "earlier boot; nothing put back (a reboot reset the kernel's "
				   "settings)",
			path, pid);
		n = 0;
	} else {
		zo_warn(&ctx->log, "%s: run pid %ld ended without putting the host back; "
				   "putting back %zu files",
			path, pid, n);
	}
	/* the last change first, as a run restores */
	for (i = n, r = 0; i > 0 && r == 0; i--)
		r = recover_item(ctx, json_object_array_get_idx(items, i - 1), pid);
	json_object_put(o);
	if (r < 0)
		return r;
	if (unlink(path) < 0)
		return zo_fail(ctx, -errno, "cannot remove the conditioning journal %s: %s", path,
			       strerror(errno));
	return (int)n;
}

json_object *zo_condition_json(const struct zo_condition *c)
{
	json_object *o = json_object_new_object(), *items = json_object_new_array();
	json_object *steps = json_object_new_array();
	size_t i, j;

	for (i = 0; i < c->n; i++) {
		const struct zo_condition_item *it = &c->items[i];
		json_object *e = json_object_new_object(), *set = json_object_new_array();

		zo_json_add_str(e, "knob", it->what);
		zo_json_add_str(e, "path", it->path);
		zo_json_add_str(e, "before", it->before ? it->before : "absent");
		for (j = 0; j < it->n_set; j++)
			json_object_array_add(set, json_object_new_string(it->set[j]));
		json_object_object_add(e, "set", set);
		zo_json_add_str(e, "after", it->before ? (it->after ? it->after : "not restored")
						       : "absent");
		if (it->note)
			zo_json_add_str(e, "how", it->note);
		if (it->error)
			zo_json_add_str(e, "refused", strerror(-it->error));
		json_object_array_add(items, e);
	}
	for (i = 0; i < c->n_steps; i++) {
		json_object *e = json_object_new_object();

		zo_json_add_str(e, "step", c->steps[i].step);
		zo_json_add_str(e, "result", c->steps[i].result);
		zo_json_add_u64(e, "ms", c->steps[i].ms);
		json_object_array_add(steps, e);
	}
	json_object_object_add(o, "items", items);
	json_object_object_add(o, "known_state", steps);
	return o;
}
