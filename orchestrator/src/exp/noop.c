/* noop: sleep, then file a results set. For the queue and its tests. */
#include <errno.h>

#include "core/experiment.h"
#include "ops/run.h"
#include "util/str.h"
#include "util/time.h"

#include "util/banned.h"

static const struct zo_param params[] = {
	{ "seconds", "--seconds", "N", ZO_PARAM_UINT, false, 0, 7 * 24 * 3600ULL, "1", NULL, true,
	  "how long to sleep" },
};

static const char *const phases[] = { "sleep", "collect", NULL };

static int run(struct zo_run *run)
{
	unsigned long long seconds = zo_exp_get_uint(run->args, "seconds");
	_cleanup_free_ char *out = NULL;
	int r;

	zo_run_phase_begin(run, "sleep");
	if (zo_sleep_ms(seconds * 1000, zo_run_stop_flag()) < 0)
		return zo_run_fail(run, -EINTR, "stopped by signal %d while sleeping",
				   zo_run_stop_signal());
	zo_run_phase_end(run);
	zo_run_phase_begin(run, "collect");
	out = zo_asprintf("noop: slept %llu s\n", seconds);
	if (!out)
		return -ENOMEM;
	r = zo_run_write(run, "out", out);
	if (r == 0)
		r = zo_run_write_host_sim(run, NULL);
	if (r < 0)
		return r;
	zo_run_phase_end(run);
	return 0;
}

const struct zo_experiment zo_exp_noop = {
	.name = "noop",
	.summary = "sleep and write a results set: for trying the queue and the spool",
	.params = params,
	.n_params = ZO_ARRAY_SIZE(params),
	.phases = phases,
	.records_tsc = false,
	.run = run,
};
