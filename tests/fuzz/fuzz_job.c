/* libFuzzer target for job files: the daemon parses whatever a member of
 * group zsim drops into the spool, so the INI reader, the argument splitter
 * and the expansion must survive any bytes. Each input is parsed as a job
 * file, and also split directly as an args line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/job.h"
#include "util/diag.h"
#include "util/ini.h"

static void split(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *)data, size);
	char **v = NULL, *why = NULL;
	size_t i;

	if (!s)
		return;
	if (zo_job_split(s, &v, &why) == 0) {
		for (i = 0; v[i]; i++)
			free(v[i]);
		free(v);
	} else if (!why) {
		abort(); /* a refusal always says why */
	}
	free(why);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	char path[64];
	struct zo_ini *ini = NULL;
	struct zo_diags diags = { 0 };
	struct zo_job_run *runs = NULL;
	size_t n = 0;
	char *why = NULL;

	if (size > ZO_JOB_MAX_BYTES)
		return -1; /* the daemon refuses these before parsing */
	split(data, size);
	if (fd < 0)
		fd = memfd_create("job", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (zo_ini_load(path, &ini, &diags) == 0) {
		if (zo_job_expand(ini, "fuzz", &runs, &n, &why) == 0) {
			if (!n || n > ZO_JOB_MAX_RUNS || !runs[0].name || !runs[0].argv)
				abort();
			zo_job_runs_free(runs, n);
		} else if (!why) {
			abort();
		}
		free(why);
	}
	zo_diags_release(&diags);
	zo_ini_free(ini);
	return 0;
}
