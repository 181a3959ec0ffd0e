/* libFuzzer target for the config file: every command reads it, and
 * `setup`, `thin` and `ept` write settings into it. Each input is loaded
 * as a config file (the INI reader and every key's check), and is also
 * given as a value to record: a value the checks accept must be written
 * by zo_ini_set and read back unchanged, with no other setting appearing. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "util/diag.h"
#include "util/ini.h"

static int load(const char *path, struct zo_config **ret)
{
	struct zo_ini *ini = NULL;
	struct zo_diags diags = { 0 };
	int r = zo_ini_load(path, &ini, &diags);

	if (r == 0)
		r = zo_config_from_ini(path, ini, ret, &diags);
	if (r == -EINVAL && !zo_diags_count(&diags, ZO_ERROR))
		abort(); /* a refusal always says why */
	zo_diags_release(&diags);
	zo_ini_free(ini);
	return r;
}

static char scratch_dir[64];

static void scratch_remove(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/zsim.conf", scratch_dir);
	unlink(path);
	rmdir(scratch_dir);
}

/* The file a value is recorded in: on tmpfs, where fsync costs nothing. */
static const char *scratch(void)
{
	static char path[128];

	if (!path[0]) {
		char dir[] = "/dev/shm/zsim-fuzz-config-XXXXXX";
		char dir2[] = "/tmp/zsim-fuzz-config-XXXXXX";
		const char *d = mkdtemp(dir) ? dir : mkdtemp(dir2);

		if (!d)
			abort();
		snprintf(scratch_dir, sizeof(scratch_dir), "%s", d);
		atexit(scratch_remove);
		snprintf(path, sizeof(path), "%s/zsim.conf", d);
	}
	return path;
}

static void record(const char *data, size_t size)
{
	static const char base[] = "# node\n[target]\ncmdline = old\nvcpus = 2\ncmdline = older\n";
	const struct zo_key_def *def = zo_config_key("target", "cmdline");
	const char *path = scratch();
	struct zo_diags diags = { 0 };
	struct zo_config *c = NULL;
	char *value = strndup(data, size);
	FILE *f;
	size_t i;
	int r;

	if (!value)
		return;
	for (i = 0; i < zo_config_n_keys; i++) {
		if (zo_config_check_value(&zo_config_keys[i], value, 1, &diags) == -EINVAL &&
		    !zo_diags_count(&diags, ZO_ERROR))
			abort();
		zo_diags_release(&diags);
	}
	r = zo_config_check_value(def, value, 0, &diags);
	zo_diags_release(&diags);
	f = fopen(path, "w");
	if (!f || fputs(base, f) == EOF || fclose(f))
		abort();
	if (zo_ini_set(path, "target", "cmdline", value) != (r == 0 ? 0 : -EINVAL))
		abort(); /* the writer and the check agree */
	if (r == 0) {
		if (load(path, &c) < 0)
			abort();
		if (strcmp(zo_config_get(c, "target", "cmdline"), value) ||
		    strcmp(zo_config_get(c, "target", "vcpus"), "2") ||
		    zo_config_value(c, "host", "swap")->source != ZO_SOURCE_DEFAULT)
			abort(); /* read back as written, nothing added */
		zo_config_free(c);
	}
	free(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	char path[64];
	struct zo_config *c = NULL;
	const uint8_t *nl;

	if (size > ZO_INI_MAX_BYTES)
		return -1;
	if (fd < 0)
		fd = memfd_create("config", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (load(path, &c) == 0)
		zo_config_free(c);
	/* the whole input as a value, and its first line */
	record((const char *)data, size);
	nl = memchr(data, '\n', size);
	record((const char *)data, nl ? (size_t)(nl - data) : size);
	return 0;
}
