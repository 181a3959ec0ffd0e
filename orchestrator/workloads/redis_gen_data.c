/* redis_gen_data: fills a redis with GB GiB of all-zero values and prints
 * how long every 100 puts took. Same arguments and output as the old
 * 0sim-experiments src/bin/redis_gen_data.rs (its lines 17-27, 36-88,
 * 90-153):
 *
 *   redis_gen_data ADDR GB [-f|--freq MHz] [-p|--page_tables]
 *
 * ADDR is unix:PATH (or redis+unix:PATH) or redis://HOST[:PORT]. Values
 * are 2^19 bytes, keys "0", "1", ..., GB GiB / 2^19 SETs. The lines are
 * those of gendata.h. Like the original's redis::Client (redis-rs 0.10
 * src/client.rs:61-64) every SET opens a connection of its own. A SET that
 * fails prints "Error <cause>" in redis-rs's words and is tried once more
 * on a new connection; if that fails too the run ends with exit 1, as the
 * original's panic did.
 *
 * Speaks RESP itself: no client library in the target. -h/--hyperv and
 * --pftime (0sim hypercalls) are refused.
 * Built static so it runs in any target without its libraries. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "gendata.h"

#define PROG "redis_gen_data"
#define VAL_SIZE (1UL << 19) /* 2^20 gave the original a "too large" error */
#define REDIS_PORT 6379

static const char usage[] =
	"usage: " PROG " ADDR GB [-f|--freq MHz] [-p|--page_tables]\n"
	"  put GB GiB of 2^19-byte zero values into the redis at ADDR\n"
	"  (unix:PATH or redis://HOST[:PORT])\n"
	"  -f  time with the TSC at MHz instead of the monotonic clock\n"
	"  -p  print the page tables' size (kB) instead of the time\n";

struct rd {
	struct wl_addr addr;
	const void *value;
	char err[512];
};

static int parse_addr(struct wl_addr *a, const char *s)
{
	static const char *const unix_schemes[] = { "unix:", "redis+unix:" };
	const char *hostport, *slash;
	char buf[128];
	size_t i, n;

	for (i = 0; i < sizeof(unix_schemes) / sizeof(*unix_schemes); i++) {
		n = strlen(unix_schemes[i]);
		if (!strncmp(s, unix_schemes[i], n)) {
			s += n;
			if (!strncmp(s, "//", 2)) /* unix:///path */
				s += 2;
			return wl_addr_unix(a, s);
		}
	}
	if (strncmp(s, "redis://", 8))
		return -EINVAL;
	hostport = s + 8;
	slash = strchr(hostport, '/');
	/* database 0 only: another needs a SELECT the runner never asked for */
	if (slash && strcmp(slash, "/") && strcmp(slash, "/0"))
		return -EINVAL;
	n = slash ? (size_t)(slash - hostport) : strlen(hostport);
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, hostport, n);
	buf[n] = '\0';
	return wl_addr_tcp(a, buf, REDIS_PORT);
}

static int rd_open(void **state, const char *addr, const void *value)
{
	static struct rd rd;

	if (parse_addr(&rd.addr, addr) < 0)
		return wl_usage_error(PROG, usage,
				      "ADDR %s is not unix:PATH or redis://HOST[:PORT]", addr);
	rd.value = value;
	*state = &rd;
	return 0;
}

/* A "-CODE detail" reply as redis-rs 0.10 shows it (src/parser.rs:110-129,
 * src/types.rs:222-239, 338-347). */
static void error_reply(struct rd *rd, const char *line)
{
	static const char *const kinds[] = { "ERR", "EXECABORT", "LOADING", "NOSCRIPT" };
	const char *sp = strchr(line, ' ');
	size_t i, n = sp ? (size_t)(sp - line) : strlen(line);

	for (i = 0; i < sizeof(kinds) / sizeof(*kinds); i++)
		if (strlen(kinds[i]) == n && !strncmp(line, kinds[i], n)) {
			snprintf(rd->err, sizeof(rd->err), "An error was signalled by the server%s%s",
				 sp ? ": " : "", sp ? sp + 1 : "");
			return;
		}
	snprintf(rd->err, sizeof(rd->err), "%.*s: %s", (int)n, line,
		 sp ? sp + 1 : "Unknown extension error encountered");
}

/* One SET on a new connection: 0, or -1 with rd->err set. */
static int set_once(struct rd *rd, unsigned long long key)
{
	struct wl_reader r = { .len = 0 };
	char head[128], k[24], reply[448];
	struct iovec iov[3];
	int n, e;

	snprintf(k, sizeof(k), "%llu", key);
	n = snprintf(head, sizeof(head), "*3\r\n$3\r\nSET\r\n$%zu\r\n%s\r\n$%lu\r\n", strlen(k), k,
		     VAL_SIZE);
	iov[0].iov_base = head;
	iov[0].iov_len = (size_t)n;
	iov[1].iov_base = (void *)rd->value;
	iov[1].iov_len = VAL_SIZE;
	iov[2].iov_base = (void *)"\r\n";
	iov[2].iov_len = 2;
	r.fd = wl_connect(&rd->addr);
	if (r.fd < 0) {
		snprintf(rd->err, sizeof(rd->err), "%s", wl_io_error(-r.fd));
		return -1;
	}
	e = wl_send_all(r.fd, iov, 3);
	if (e == 0)
		e = wl_read_line(&r, reply, sizeof(reply));
	close(r.fd);
	if (e < 0)
		snprintf(rd->err, sizeof(rd->err), "%s", wl_io_error(-e));
	else if (reply[0] == '-')
		error_reply(rd, reply + 1);
	else if (strcmp(reply, "+OK"))
		snprintf(rd->err, sizeof(rd->err), "unexpected reply: %s", reply);
	else
		return 0;
	return -1;
}

static int rd_put(void *state, unsigned long long key)
{
	struct rd *rd = state;

	if (set_once(rd, key) == 0)
		return 0;
	printf("Error %s\n", rd->err);
	if (set_once(rd, key) == 0)
		return 0;
	fprintf(stderr, PROG ": Error: %s (key %llu, tried twice)\n", rd->err, key);
	return 1;
}

int main(int argc, char **argv)
{
	static const struct wl_store store = {
		.prog = PROG,
		.usage = usage,
		.value_size = VAL_SIZE,
		.open = rd_open,
		.put = rd_put,
	};

	return wl_gen_data_main(argc, argv, &store);
}
