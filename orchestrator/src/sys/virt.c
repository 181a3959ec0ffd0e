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
#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "core/domain.h"
#include "util/base64.h"
#include "util/json.h"
#include "util/macros.h"
#include "util/spawn.h"
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

/* What the probe asks: `arch` NULL: whether the daemon answers, and no
 * more; else also the QEMU version of the one emulator for `arch` and
 * `virttype`; `all`: the hypervisor's version as a whole. */
struct probe_ask {
	const char *arch, *virttype;
	bool all;
};

/* The QEMU version of the emulator libvirt would use for the domain,
 * asked without building the capabilities of every emulator on the host
 * (virConnectGetVersion does that: seconds on a daemon's first call):
 * domain capabilities probe only that one. Their XML has no version, but
 * upstream QEMU's default machine type carries it ("pc-i440fx-7.2").
 * 0 with the version in `o`, or -1 (a read-only connection, a driver
 * without domain capabilities, a downstream machine name). */
static int emulator_version(virConnectPtr conn, const struct probe_ask *ask, json_object *o)
{
	_cleanup_free_ char *caps = virConnectGetDomainCapabilities(conn, NULL, ask->arch, NULL,
								    ask->virttype, 0);
	_cleanup_free_ char *machine = NULL, *path = NULL, *version = NULL;

	if (!caps)
		return -1;
	machine = zo_xml_element_text(caps, "machine");
	path = zo_xml_element_text(caps, "path");
	version = machine ? zo_qemu_machine_version(machine) : NULL;
	if (!version)
		return -1;
	zo_json_add_str(o, "hypervisor_version", version);
	if (path)
		zo_json_add_str(o, "emulator", path);
	zo_json_add_str(o, "machine", machine);
	return 0;
}

static void write_line(int fd, json_object *o)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(text), off = 0;

	while (off <= len) {
		/* the text, then its newline */
		ssize_t n = off < len ? write(fd, text + off, len - off) : write(fd, "\n", 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
}

/* Runs in the child: JSON objects on `fd`, one a line: once the daemon
 * answered (or did not), what it said; then the whole answer. */
static void probe_child(const char *uri, const struct probe_ask *ask, int fd)
{
	json_object *o = json_object_new_object();
	virConnectPtr conn = NULL;
	unsigned long hv = 0, lib = 0;
	const char *type;
	_cleanup_free_ char *err = NULL;
	bool rw = false;

	virSetErrorFunc(NULL, virt_quiet);
	/* domain capabilities need a read-write connection */
	if (ask->arch && !ask->all)
		rw = (conn = virConnectOpen(uri)) != NULL;
	if (!conn)
		conn = virConnectOpenReadOnly(uri);
	if (!conn) {
		err = virt_last_error();
		zo_json_add_str(o, "error", err);
	} else if (virConnectGetLibVersion(conn, &lib) < 0) {
		/* a round trip to the daemon: it answers */
		err = virt_last_error();
		zo_json_add_str(o, "error", err);
		virConnectClose(conn);
	} else {
		_cleanup_free_ char *s = version_string(lib);

		zo_json_add_str(o, "libvirt_version", s);
		type = virConnectGetType(conn);
		zo_json_add_str(o, "hypervisor", type ? type : "");
		write_line(fd, o);
		if ((ask->all || (ask->arch && (!rw || emulator_version(conn, ask, o) < 0))) &&
		    virConnectGetVersion(conn, &hv) == 0) {
			_cleanup_free_ char *v = version_string(hv);
			zo_json_add_str(o, "hypervisor_version", v);
		}
		json_object_object_add(o, "active_domains",
				       json_object_new_int(virConnectNumOfDomains(conn)));
		virConnectClose(conn);
	}
	write_line(fd, o);
	json_object_put(o);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read `fd` into `out` until EOF, or (`line`) until `out` holds a whole
 * line, or until `deadline`. */
static int read_with_deadline(int fd, long long deadline, struct zo_strbuf *out, bool line,
			      bool *timed_out)
{
	char buf[4096];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;
		int r;

		if (line && out->buf && strchr(out->buf, '\n'))
			return 0;
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

static int probe_start(const char *uri, int timeout_ms, const struct probe_ask *ask,
		       struct zo_virt_probe_job *job, const struct zo_log *log)
{
	int fds[2];
	pid_t pid;

	job->pid = -1;
	job->fd = -1;
	job->early = NULL;
	pid = zo_fork_piped(fds);
	if (pid < 0)
		return (int)pid;
	if (pid == 0) {
		close(fds[0]);
		probe_child(uri, ask, fds[1]);
		_exit(0);
	}
	close(fds[1]);
	zo_debug(log, "probing libvirt at %s (pid %ld, timeout %d ms)", uri,
		 (long)pid, timeout_ms);
	job->pid = pid;
	job->fd = fds[0];
	job->timeout_ms = timeout_ms;
	job->deadline_ms = now_ms() + timeout_ms;
	return 0;
}

/* The last whole line of `text` (the child's fullest answer), or the
 * text when it has no newline. */
static const char *last_line(const char *text)
{
	size_t len = strlen(text);
	const char *p;

	while (len && text[len - 1] == '\n')
		len--;
	for (p = text + len; p > text && p[-1] != '\n'; p--)
		;
	return p;
}

/* The child's answer as a probe result. */
static void probe_parse(const char *text, bool timed_out, int timeout_ms, struct zo_virt_probe *p)
{
	json_object *o = NULL, *n;

	if (timed_out) {
		p->error = zo_asprintf("no answer within %d s", timeout_ms / 1000);
	} else if (!text || !(o = json_tokener_parse(last_line(text)))) {
		p->error = strdup("the probe process died before answering");
	} else if (zo_json_get_str(o, "error")) {
		p->error = strdup(zo_json_get_str(o, "error"));
	} else {
		p->answered = true;
		p->hypervisor = strdup(zo_json_get_str(o, "hypervisor") ?: "");
		if (zo_json_get_str(o, "hypervisor_version"))
			p->hypervisor_version = strdup(zo_json_get_str(o, "hypervisor_version"));
		if (zo_json_get_str(o, "libvirt_version"))
			p->libvirt_version = strdup(zo_json_get_str(o, "libvirt_version"));
		if (zo_json_get_str(o, "emulator"))
			p->emulator = strdup(zo_json_get_str(o, "emulator"));
		if (zo_json_get_str(o, "machine"))
			p->machine = strdup(zo_json_get_str(o, "machine"));
		p->active_domains = json_object_object_get_ex(o, "active_domains", &n)
					    ? json_object_get_int(n)
					    : -1;
	}
	if (o)
		json_object_put(o);
}

int zo_virt_probe_finish(struct zo_virt_probe_job *job, struct zo_virt_probe *ret)
{
	struct zo_virt_probe p = { 0 };
	struct zo_strbuf out = { 0 };
	bool timed_out = false;
	int r;

	if (job->pid < 0)
		return -ECHILD;
	if (job->early) {
		zo_strbuf_append(&out, job->early);
		free(job->early);
		job->early = NULL;
	}
	r = read_with_deadline(job->fd, job->deadline_ms, &out, false, &timed_out);
	close(job->fd);
	if (timed_out)
		kill(job->pid, SIGKILL);
	zo_wait_status(job->pid);
	job->pid = -1;
	job->fd = -1;
	if (r == 0) {
		probe_parse(out.buf, timed_out, job->timeout_ms, &p);
		*ret = p;
	}
	zo_strbuf_release(&out);
	return r;
}

int zo_virt_probe_answered(struct zo_virt_probe_job *job, struct zo_virt_probe *ret)
{
	struct zo_virt_probe p = { 0 };
	struct zo_strbuf out = { 0 };
	bool timed_out = false;
	char *nl;
	int r;

	if (job->pid < 0 || job->early)
		return -ECHILD;
	r = read_with_deadline(job->fd, job->deadline_ms, &out, true, &timed_out);
	if (r < 0) {
		zo_strbuf_release(&out);
		return r;
	}
	nl = out.buf ? strchr(out.buf, '\n') : NULL;
	if (nl)
		*nl = '\0';
	probe_parse(out.buf, timed_out, job->timeout_ms, &p);
	if (nl)
		*nl = '\n';
	/* kept for _finish: the answer goes on */
	job->early = out.buf ? out.buf : strdup("");
	*ret = p;
	return job->early ? 0 : -ENOMEM;
}

void zo_virt_probe_cancel(struct zo_virt_probe_job *job)
{
	free(job->early);
	job->early = NULL;
	if (job->pid < 0)
		return;
	close(job->fd);
	kill(job->pid, SIGKILL);
	zo_wait_status(job->pid);
	job->pid = -1;
	job->fd = -1;
}

static int probe(const char *uri, int timeout_ms, const struct probe_ask *ask,
		 struct zo_virt_probe *ret, const struct zo_log *log)
{
	struct zo_virt_probe_job job;
	int r = probe_start(uri, timeout_ms, ask, &job, log);

	return r < 0 ? r : zo_virt_probe_finish(&job, ret);
}

int zo_virt_probe(const char *uri, int timeout_ms, struct zo_virt_probe *ret,
		  const struct zo_log *log)
{
	const struct probe_ask ask = { NULL, NULL, true };

	return probe(uri, timeout_ms, &ask, ret, log);
}

int zo_virt_probe_emulator(const char *uri, int timeout_ms, const char *arch,
			   const char *virttype, struct zo_virt_probe *ret,
			   const struct zo_log *log)
{
	const struct probe_ask ask = { arch, virttype, false };

	return probe(uri, timeout_ms, &ask, ret, log);
}

int zo_virt_probe_emulator_start(const char *uri, int timeout_ms, const char *arch,
				 const char *virttype, struct zo_virt_probe_job *job,
				 const struct zo_log *log)
{
	/* the child reads these after the fork: its own copy of our memory */
	const struct probe_ask ask = { arch, virttype, false };

	return probe_start(uri, timeout_ms, &ask, job, log);
}

void zo_virt_probe_release(struct zo_virt_probe *p)
{
	free(p->hypervisor);
	free(p->hypervisor_version);
	free(p->libvirt_version);
	free(p->emulator);
	free(p->machine);
	free(p->error);
	memset(p, 0, sizeof(*p));
}

/* ---- the target: domains, the guest agent, storage ---- */

struct zo_virt {
	virConnectPtr conn;
	char *error;
};

static int fail_virt(struct zo_virt *v, int err)
{
	free(v->error);
	v->error = virt_last_error();
	return err;
}

const char *zo_virt_error(const struct zo_virt *v)
{
	return v->error ? v->error : "";
}

int zo_virt_connect(const char *uri, struct zo_virt **ret)
{
	struct zo_virt *v = calloc(1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	virSetErrorFunc(NULL, virt_quiet);
	v->conn = virConnectOpen(uri);
	if (!v->conn)
		fail_virt(v, -ECONNREFUSED);
	*ret = v;
	return v->conn ? 0 : -ECONNREFUSED;
}

void zo_virt_close(struct zo_virt *v)
{
	if (!v)
		return;
	if (v->conn)
		virConnectClose(v->conn);
	free(v->error);
	free(v);
}

unsigned long zo_virt_lib_version(struct zo_virt *v)
{
	unsigned long ver = 0;

	virConnectGetLibVersion(v->conn, &ver);
	return ver;
}

static virDomainPtr lookup(struct zo_virt *v, const char *name)
{
	virDomainPtr d = virDomainLookupByName(v->conn, name);

	if (!d)
		fail_virt(v, -ENOENT);
	return d;
}

void zo_dom_info_release(struct zo_dom_info *i)
{
	free(i->pinning);
	memset(i, 0, sizeof(*i));
}

int zo_virt_dom_info(struct zo_virt *v, const char *name, struct zo_dom_info *ret)
{
	virDomainPtr d;
	virDomainInfo info;
	virNodeInfo node;
	int state = 0, reason = 0;

	memset(ret, 0, sizeof(*ret));
	ret->state_name = "not defined";
	d = virDomainLookupByName(v->conn, name);
	if (!d) {
		virErrorPtr e = virGetLastError();

		if (e && e->code == VIR_ERR_NO_DOMAIN)
			return 0;
		return fail_virt(v, -EIO);
	}
	if (virDomainGetState(d, &state, &reason, 0) < 0 || virDomainGetInfo(d, &info) < 0) {
		fail_virt(v, -EIO);
		virDomainFree(d);
		return -EIO;
	}
	switch (state) {
	case VIR_DOMAIN_RUNNING:
		ret->state = ZO_DOM_RUNNING;
		ret->state_name = "running";
		break;
	case VIR_DOMAIN_PAUSED:
		ret->state = ZO_DOM_PAUSED;
		ret->state_name = "paused";
		break;
	case VIR_DOMAIN_SHUTOFF:
		ret->state = ZO_DOM_SHUTOFF;
		ret->state_name = "shut off";
		break;
	default:
		ret->state = ZO_DOM_OTHER;
		ret->state_name = "in transition";
	}
	ret->memory_kib = info.maxMem;
	ret->vcpus = info.nrVirtCpu;
	if (virNodeGetInfo(v->conn, &node) == 0 && node.cpus > 0) {
		int maplen = VIR_CPU_MAPLEN((int)node.cpus);
		unsigned char *maps = calloc(info.nrVirtCpu, (size_t)maplen);
		struct zo_strbuf sb = { 0 };
		int n, i, c;

		n = maps ? virDomainGetVcpuPinInfo(d, info.nrVirtCpu, maps, maplen,
						   VIR_DOMAIN_AFFECT_CONFIG)
			 : -1;
		for (i = 0; i < n; i++) {
			zo_strbuf_appendf(&sb, "%s%d:", i ? " " : "", i);
			for (c = 0; c < (int)node.cpus; c++)
				if (VIR_CPU_USABLE(maps, maplen, i, c))
					zo_strbuf_appendf(&sb, "%s%d",
							  sb.buf[sb.len - 1] == ':' ? "" : ",", c);
		}
		ret->pinning = zo_strbuf_steal(&sb);
		free(maps);
	}
	virDomainFree(d);
	return 0;
}

int zo_virt_dom_create_transient(struct zo_virt *v, const char *xml)
{
	virDomainPtr d = virDomainCreateXML(v->conn, xml, 0);

	if (!d)
		return fail_virt(v, -EINVAL);
	virDomainFree(d);
	return 0;
}

int zo_virt_dom_define(struct zo_virt *v, const char *xml)
{
	virDomainPtr d = virDomainDefineXML(v->conn, xml);

	if (!d)
		return fail_virt(v, -EINVAL);
	virDomainFree(d);
	return 0;
}

#define WITH_DOMAIN(v, name, call)                                                   \
	do {                                                                         \
		virDomainPtr d_ = lookup(v, name);                                   \
		int r_;                                                              \
		if (!d_)                                                             \
			return -ENOENT;                                              \
		r_ = call;                                                           \
		if (r_ < 0)                                                          \
			fail_virt(v, -EIO); /* before virDomainFree resets it */     \
		virDomainFree(d_);                                                   \
		return r_ < 0 ? -EIO : 0;                                            \
	} while (0)

int zo_virt_dom_start(struct zo_virt *v, const char *name)
{
	WITH_DOMAIN(v, name, virDomainCreate(d_));
}

int zo_virt_dom_shutdown(struct zo_virt *v, const char *name, bool agent)
{
	WITH_DOMAIN(v, name,
		    virDomainShutdownFlags(d_, agent ? VIR_DOMAIN_SHUTDOWN_GUEST_AGENT
						     : VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN));
}

int zo_virt_dom_destroy(struct zo_virt *v, const char *name)
{
	WITH_DOMAIN(v, name, virDomainDestroy(d_));
}

int zo_virt_dom_undefine(struct zo_virt *v, const char *name)
{
	WITH_DOMAIN(v, name, virDomainUndefine(d_));
}

int zo_virt_list_active(struct zo_virt *v, char ***ret)
{
	virDomainPtr *doms = NULL;
	char **names;
	int n, i;

	n = virConnectListAllDomains(v->conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	if (n < 0)
		return fail_virt(v, -EIO);
	names = calloc((size_t)n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		if (names)
			names[i] = strdup(virDomainGetName(doms[i]));
		virDomainFree(doms[i]);
	}
	free(doms);
	if (!names)
		return -ENOMEM;
	*ret = names;
	return n;
}

int zo_virt_agent(struct zo_virt *v, const char *name, json_object *cmd, int timeout_s,
		  json_object **ret)
{
	virDomainPtr d = lookup(v, name);
	json_object *reply, *value;
	char *text;

	if (!d)
		return -ENOENT;
	text = virDomainQemuAgentCommand(d, json_object_to_json_string(cmd), timeout_s, 0);
	if (!text) {
		virErrorPtr e = virGetLastError();
		int code = e ? e->code : 0;

		fail_virt(v, -EIO);
		virDomainFree(d);
		return code == VIR_ERR_AGENT_UNRESPONSIVE || code == VIR_ERR_OPERATION_TIMEOUT
			       ? -ETIMEDOUT
		       : code == VIR_ERR_ARGUMENT_UNSUPPORTED || code == VIR_ERR_OPERATION_INVALID
			       ? -ENOTCONN
			       : -EIO;
	}
	virDomainFree(d);
	reply = json_tokener_parse(text);
	free(text);
	if (!reply || !json_object_object_get_ex(reply, "return", &value)) {
		if (reply)
			json_object_put(reply);
		free(v->error);
		v->error = strdup("the guest agent sent no \"return\"");
		return -EPROTO;
	}
	*ret = json_object_get(value);
	json_object_put(reply);
	return 0;
}

static json_object *agent_cmd(const char *execute, json_object *args)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "execute", json_object_new_string(execute));
	if (args)
		json_object_object_add(o, "arguments", args);
	return o;
}

/* Run one agent command built here and free it. */
static int agent_call(struct zo_virt *v, const char *name, json_object *cmd, json_object **ret)
{
	int r = zo_virt_agent(v, name, cmd, 30, ret);

	json_object_put(cmd);
	return r;
}

static void decode_member(json_object *o, const char *key, char **out, size_t *len)
{
	const char *b64 = zo_json_get_str(o, key);

	if (!b64 || zo_base64_decode(b64, out, len) < 0) {
		*out = strdup("");
		*len = 0;
	}
}

void zo_guest_exec_release(struct zo_guest_exec *e)
{
	free(e->out);
	free(e->err);
	memset(e, 0, sizeof(*e));
}

int zo_virt_guest_exec(struct zo_virt *v, const char *name, char *const *argv,
		       volatile sig_atomic_t *stop, struct zo_guest_exec *ret)
{
	json_object *args = json_object_new_object(), *arr = json_object_new_array();
	json_object *res = NULL, *pid_o, *st = NULL, *exited, *code;
	struct timespec pause = { 0, 5 * 1000 * 1000 };
	int64_t pid;
	size_t i;
	int r;

	memset(ret, 0, sizeof(*ret));
	json_object_object_add(args, "path", json_object_new_string(argv[0]));
	for (i = 1; argv[i]; i++)
		json_object_array_add(arr, json_object_new_string(argv[i]));
	json_object_object_add(args, "arg", arr);
	json_object_object_add(args, "capture-output", json_object_new_boolean(1));
	r = agent_call(v, name, agent_cmd("guest-exec", args), &res);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(res, "pid", &pid_o)) {
		json_object_put(res);
		return -EPROTO;
	}
	pid = json_object_get_int64(pid_o);
	json_object_put(res);
	/* The agent cannot push a completion; poll from 5 ms (a quick command
	 * is seen at once), backing off to 250 ms: a long workload costs the
	 * host about 4 agent calls a second, and its end is seen within a
	 * quarter second. */
	for (;;) {
		if (stop && *stop)
			return -EINTR;
		nanosleep(&pause, NULL);
		pause.tv_nsec = pause.tv_nsec * 2 > 250 * 1000 * 1000 ? 250 * 1000 * 1000
									: pause.tv_nsec * 2;
		args = json_object_new_object();
		json_object_object_add(args, "pid", json_object_new_int64(pid));
		r = agent_call(v, name, agent_cmd("guest-exec-status", args), &st);
		if (r == -ETIMEDOUT)
			continue; /* a guest far behind real time answers late */
		if (r < 0)
			return r;
		if (json_object_object_get_ex(st, "exited", &exited) &&
		    json_object_get_boolean(exited))
			break;
		json_object_put(st);
		st = NULL;
	}
	ret->exit_code = json_object_object_get_ex(st, "exitcode", &code)
				 ? json_object_get_int(code)
				 : -1;
	if (json_object_object_get_ex(st, "signal", &code))
		ret->signal = json_object_get_int(code);
	decode_member(st, "out-data", &ret->out, &ret->out_len);
	decode_member(st, "err-data", &ret->err, &ret->err_len);
	json_object_put(st);
	return ret->out && ret->err ? 0 : -ENOMEM;
}

/* Where a file read from the guest goes, chunk by chunk. */
typedef int (*read_sink)(void *userdata, const char *buf, size_t len);

/* Read `path` in the guest with guest-file-read calls of `chunk` bytes,
 * each handed to `sink` as it arrives: memory stays at about one chunk
 * (base64 in the reply, decoded) whatever the file's size. */
static int guest_read(struct zo_virt *v, const char *name, const char *path, size_t chunk,
		      read_sink sink, void *userdata, size_t *ret_len)
{
	json_object *args = json_object_new_object(), *res = NULL, *eof;
	size_t total = 0;
	int64_t handle;
	int r;

	json_object_object_add(args, "path", json_object_new_string(path));
	json_object_object_add(args, "mode", json_object_new_string("r"));
	r = agent_call(v, name, agent_cmd("guest-file-open", args), &res);
	if (r < 0)
		return r;
	handle = json_object_get_int64(res);
	json_object_put(res);
	for (;;) {
		char *data = NULL;
		size_t len = 0;
		bool end;

		args = json_object_new_object();
		json_object_object_add(args, "handle", json_object_new_int64(handle));
		json_object_object_add(args, "count", json_object_new_int((int)chunk));
		r = agent_call(v, name, agent_cmd("guest-file-read", args), &res);
		if (r < 0)
			break;
		decode_member(res, "buf-b64", &data, &len);
		end = json_object_object_get_ex(res, "eof", &eof) && json_object_get_boolean(eof);
		/* the reply's text and tree go before the next one comes */
		json_object_put(res);
		r = !data ? -ENOMEM : len ? sink(userdata, data, len) : 0;
		free(data);
		if (r < 0) {
			free(v->error);
			v->error = zo_asprintf("cannot keep what was read: %s", strerror(-r));
			break;
		}
		total += len;
		if (end)
			break;
	}
	args = json_object_new_object();
	json_object_object_add(args, "handle", json_object_new_int64(handle));
	if (agent_call(v, name, agent_cmd("guest-file-close", args), &res) == 0)
		json_object_put(res);
	if (r < 0)
		return r;
	*ret_len = total;
	return 0;
}

/* Files may hold NULs: grow by bytes, not strings. */
static int sink_buffer(void *userdata, const char *buf, size_t len)
{
	struct zo_strbuf *sb = userdata;

	if (sb->len + len + 1 > sb->cap) {
		size_t cap = (sb->len + len + 1) * 2;
		char *p = realloc(sb->buf, cap);

		if (!p)
			return -ENOMEM;
		sb->buf = p;
		sb->cap = cap;
	}
	memcpy(sb->buf + sb->len, buf, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return 0;
}

static int sink_fd(void *userdata, const char *buf, size_t len)
{
	int fd = *(int *)userdata;

	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int zo_virt_guest_read(struct zo_virt *v, const char *name, const char *path, char **ret,
		       size_t *ret_len)
{
	struct zo_strbuf sb = { 0 };
	size_t len = 0;
	int r = guest_read(v, name, path, ZO_VIRT_READ_CHUNK, sink_buffer, &sb, &len);

	if (r < 0) {
		zo_strbuf_release(&sb);
		return r;
	}
	if (!sb.buf)
		sb.buf = strdup("");
	*ret = sb.buf;
	*ret_len = sb.len;
	return sb.buf ? 0 : -ENOMEM;
}

int zo_virt_guest_read_fd(struct zo_virt *v, const char *name, const char *path, int fd,
			  size_t *ret_len)
{
	return guest_read(v, name, path, ZO_VIRT_READ_CHUNK, sink_fd, &fd, ret_len);
}

/* A pool, or NULL with -ENOENT and libvirt's message recorded. */
static virStoragePoolPtr pool_lookup(struct zo_virt *v, const char *pool)
{
	virStoragePoolPtr p = virStoragePoolLookupByName(v->conn, pool);

	if (!p)
		fail_virt(v, -ENOENT);
	return p;
}

int zo_virt_pool_get_xml(struct zo_virt *v, const char *pool, char **ret_xml)
{
	virStoragePoolPtr p = pool_lookup(v, pool);
	char *xml;

	if (!p)
		return -ENOENT;
	xml = virStoragePoolGetXMLDesc(p, 0);
	if (!xml)
		fail_virt(v, -EIO);
	virStoragePoolFree(p);
	if (!xml)
		return -EIO;
	*ret_xml = xml;
	return 0;
}

int zo_virt_pool_define(struct zo_virt *v, const char *xml)
{
	virStoragePoolPtr p = virStoragePoolDefineXML(v->conn, xml, 0);
	int r = 0;

	if (!p)
		return fail_virt(v, -EIO);
	if (virStoragePoolBuild(p, 0) < 0)
		r = fail_virt(v, -EIO);
	virStoragePoolSetAutostart(p, 1);
	virStoragePoolFree(p);
	return r;
}

int zo_virt_pool_undefine(struct zo_virt *v, const char *pool)
{
	virStoragePoolPtr p = pool_lookup(v, pool);
	int r = 0;

	if (!p)
		return -ENOENT;
	if (virStoragePoolIsActive(p) == 1 && virStoragePoolDestroy(p) < 0)
		r = fail_virt(v, -EIO);
	if (r == 0 && virStoragePoolUndefine(p) < 0)
		r = fail_virt(v, -EIO);
	virStoragePoolFree(p);
	return r;
}

int zo_virt_pool_start(struct zo_virt *v, const char *pool)
{
	virStoragePoolPtr p = pool_lookup(v, pool);
	int r = 0;

	if (!p)
		return -ENOENT;
	if (virStoragePoolIsActive(p) != 1 && virStoragePoolCreate(p, 0) < 0)
		r = fail_virt(v, -EIO);
	if (r == 0 && virStoragePoolRefresh(p, 0) < 0)
		r = fail_virt(v, -EIO);
	virStoragePoolFree(p);
	return r;
}

int zo_virt_vol_create(struct zo_virt *v, const char *pool, const char *xml, char **ret_path)
{
	virStoragePoolPtr p = pool_lookup(v, pool);
	virStorageVolPtr sv;
	char *path;

	if (!p)
		return -ENOENT;
	sv = virStorageVolCreateXML(p, xml, 0);
	if (!sv)
		fail_virt(v, -EIO);
	virStoragePoolFree(p);
	if (!sv)
		return -EIO;
	path = virStorageVolGetPath(sv);
	virStorageVolFree(sv);
	if (!path)
		return fail_virt(v, -EIO);
	*ret_path = path;
	return 0;
}

int zo_virt_vol_delete(struct zo_virt *v, const char *pool, const char *vol)
{
	virStoragePoolPtr p = virStoragePoolLookupByName(v->conn, pool);
	virStorageVolPtr sv;
	int r = 0;

	if (!p)
		return 0;
	virStoragePoolRefresh(p, 0);
	sv = virStorageVolLookupByName(p, vol);
	if (sv) {
		if (virStorageVolDelete(sv, 0) < 0)
			r = fail_virt(v, -EIO);
		virStorageVolFree(sv);
	}
	virStoragePoolFree(p);
	return r;
}
