#include "sys/virt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "util/json.h"
#include "util/macros.h"
#include "util/str.h"

#include "util/banned.h"

/* libvirt's default handler prints every error to stderr; we report them
 * ourselves, with context. */
static void virt_quiet(void *userdata, virErrorPtr err)
{
	(void)userdata;
	(void)err;
}

static char *virt_last_error(void)
{
	virErrorPtr e = virGetLastError();

	return strdup(e && e->message ? e->message : "unknown libvirt error");
}

static char *version_string(unsigned long v)
{
	return zo_asprintf("%lu.%lu.%lu", v / 1000000, (v / 1000) % 1000, v % 1000);
}

/* Runs in the child: one JSON object on `fd`. */
static void probe_child(const char *uri, int fd)
{
	json_object *o = json_object_new_object();
	virConnectPtr conn;
	unsigned long hv = 0, lib = 0;
	const char *type;
	const char *text;
	_cleanup_free_ char *err = NULL;
	size_t len, off = 0;

	virSetErrorFunc(NULL, virt_quiet);
	conn = virConnectOpenReadOnly(uri);
	if (!conn) {
		err = virt_last_error();
		zo_json_add_str(o, "error", err);
	} else {
		type = virConnectGetType(conn);
		zo_json_add_str(o, "hypervisor", type ? type : "");
		if (virConnectGetVersion(conn, &hv) == 0) {
			_cleanup_free_ char *s = version_string(hv);
			zo_json_add_str(o, "hypervisor_version", s);
		}
		if (virConnectGetLibVersion(conn, &lib) == 0) {
			_cleanup_free_ char *s = version_string(lib);
			zo_json_add_str(o, "libvirt_version", s);
		}
		json_object_object_add(o, "active_domains",
				       json_object_new_int(virConnectNumOfDomains(conn)));
		virConnectClose(conn);
	}
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = strlen(text);
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	json_object_put(o);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int read_with_deadline(int fd, long long deadline, struct zo_strbuf *out,
			      bool *timed_out)
{
	char buf[4096];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;
		int r;

		if (left <= 0) {
			*timed_out = true;
			return 0;
		}
		r = poll(&pfd, 1, (int)left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return 0;
		buf[n] = '\0';
		if (zo_strbuf_append(out, buf) < 0)
			return -ENOMEM;
	}
}

int zo_virt_probe(const char *uri, int timeout_ms, struct zo_virt_probe *ret,
		  const struct zo_log *log)
{
	struct zo_virt_probe p = { 0 };
	struct zo_strbuf out = { 0 };
	bool timed_out = false;
	json_object *o = NULL;
	int fds[2], status, r;
	pid_t pid;

	if (pipe(fds) < 0)
		return -errno;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(fds[0]);
		close(fds[1]);
		return r;
	}
	if (pid == 0) {
		close(fds[0]);
		probe_child(uri, fds[1]);
		_exit(0);
	}
	close(fds[1]);
	zo_debug(log, "probing libvirt at %s (pid %ld, timeout %d ms)", uri,
		 (long)pid, timeout_ms);
	r = read_with_deadline(fds[0], now_ms() + timeout_ms, &out, &timed_out);
	close(fds[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		goto out;

	if (timed_out) {
		p.error = zo_asprintf("no answer within %d s", timeout_ms / 1000);
	} else if (!out.buf || !(o = json_tokener_parse(out.buf))) {
		p.error = strdup("the probe process died before answering");
	} else if (zo_json_get_str(o, "error")) {
		p.error = strdup(zo_json_get_str(o, "error"));
	} else {
		json_object *n;

		p.answered = true;
		p.hypervisor = strdup(zo_json_get_str(o, "hypervisor") ?: "");
		if (zo_json_get_str(o, "hypervisor_version"))
			p.hypervisor_version = strdup(zo_json_get_str(o, "hypervisor_version"));
		if (zo_json_get_str(o, "libvirt_version"))
			p.libvirt_version = strdup(zo_json_get_str(o, "libvirt_version"));
		p.active_domains = json_object_object_get_ex(o, "active_domains", &n)
					   ? json_object_get_int(n)
					   : -1;
	}
	*ret = p;
	memset(&p, 0, sizeof(p));
	r = 0;
out:
	if (o)
		json_object_put(o);
	zo_strbuf_release(&out);
	zo_virt_probe_release(&p);
	return r;
}

void zo_virt_probe_release(struct zo_virt_probe *p)
{
	free(p->hypervisor);
	free(p->hypervisor_version);
	free(p->libvirt_version);
	free(p->error);
	memset(p, 0, sizeof(*p));
}
