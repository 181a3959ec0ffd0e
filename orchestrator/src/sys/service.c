#include "sys/service.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/path.h"
#include "util/spawn.h"
#include "util/str.h"

#include "util/banned.h"

/* systemctl waits on jobs; a stop or start that takes longer is stuck */
#define SYSTEMCTL_TIMEOUT_MS 90000

bool zo_service_systemd(const char *root)
{
	_cleanup_free_ char *path = zo_path(root, "/run/systemd/system");
	struct stat st;

	return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* systemctl VERB UNIT: its result (released by the caller), or -errno. */
static int systemctl(const char *verb, const char *unit, struct zo_spawn_result *ret)
{
	char *const argv[] = { (char *)"systemctl", (char *)verb, (char *)unit, NULL };

	return zo_spawn_run(argv, SYSTEMCTL_TIMEOUT_MS, ret);
}

/* What systemctl said, on one line, for a message. */
static char *said(const struct zo_spawn_result *res)
{
	const char *t = res->err && *res->err ? res->err : res->out ? res->out : "";
	char *s;

	if (res->timed_out)
		return strdup("no answer within 90 s");
	if (res->status == 127)
		return strdup("systemctl could not be run");
	s = zo_asprintf("exit %d: %.*s", res->status, (int)strcspn(t, "\n"), t);
	return s;
}

int zo_service_state(const char *unit, char **ret_state, char **ret_why)
{
	struct zo_spawn_result res;
	int r = systemctl("is-active", unit, &res);

	*ret_state = *ret_why = NULL;
	if (r < 0) {
		*ret_why = zo_asprintf("systemctl: %s", strerror(-r));
		return r;
	}
	/* is-active prints the state whatever its exit status (3: not active) */
	if (!res.timed_out && res.out && *res.out && res.status != 127) {
		*ret_state = strndup(res.out, strcspn(res.out, "\n"));
		r = *ret_state ? 0 : -ENOMEM;
	} else {
		*ret_why = said(&res);
		r = -EIO;
	}
	zo_spawn_result_release(&res);
	return r;
}

static int act(const char *verb, const char *unit, char **ret_why)
{
	struct zo_spawn_result res;
	int r = systemctl(verb, unit, &res);

	*ret_why = NULL;
	if (r < 0) {
		*ret_why = zo_asprintf("systemctl: %s", strerror(-r));
		return r;
	}
	if (res.timed_out || res.status != 0) {
		*ret_why = said(&res);
		r = -EIO;
	}
	zo_spawn_result_release(&res);
	return r;
}

int zo_service_stop(const char *unit, char **ret_why)
{
	return act("stop", unit, ret_why);
}

int zo_service_start(const char *unit, char **ret_why)
{
	return act("start", unit, ret_why);
}
