#include "gendata.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

/* the old programs' PRINT_INTERVAL */
#define PRINT_INTERVAL 100

struct gen_args {
	const char *addr;
	unsigned long long gib, mhz;
	int page_tables;
};

static int parse(int argc, char **argv, const struct wl_store *s, struct gen_args *a)
{
	static const struct option longopts[] = {
		{ "freq", required_argument, NULL, 'f' },
		{ "page_tables", no_argument, NULL, 'p' },
		{ "hyperv", no_argument, NULL, 'h' },
		{ "pftime", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:ph", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (wl_parse_count(optarg, UINT32_MAX, &a->mhz) < 0 || !a->mhz)
				return wl_usage_error(s->prog, s->usage,
						      "--freq %s is not a frequency in MHz", optarg);
			break;
		case 'p':
			a->page_tables = 1;
			break;
		case 'h':
		case 'P':
			/* the original's hypercalls exist only under a 0sim host kernel */
			return wl_usage_error(s->prog, s->usage,
					      "%s needs the 0sim kernel's hypercalls: not supported",
					      c == 'h' ? "-h (--hyperv)" : "--pftime");
		case 'H':
			fputs(s->usage, stdout);
			exit(0);
		case ':':
			return wl_usage_error(s->prog, s->usage, "%s needs a value", argv[optind - 1]);
		default:
			return wl_usage_error(s->prog, s->usage, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind + 2 != argc)
		return wl_usage_error(s->prog, s->usage, "give ADDR and GB");
	a->addr = argv[optind];
	if (wl_parse_count(argv[optind + 1], SIZE_MAX >> 30, &a->gib) < 0)
		return wl_usage_error(s->prog, s->usage, "GB %s is not a whole number of GiB",
				      argv[optind + 1]);
	return 0;
}

/* /proc/meminfo's PageTables in kB, or -1. */
static long long page_tables_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	long long kb = -1;
	char line[256];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "PageTables: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* A clock reading: TSC cycles with --freq (bmk_linux's Tsc), else
 * CLOCK_MONOTONIC nanoseconds (Rust's Instant). */
static uint64_t clock_now(unsigned long long mhz)
{
	struct timespec ts;

	if (mhz)
		return wl_rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Nanoseconds between two readings; for the TSC, bmk_linux's
 * `diff * 1000 / freq` in whole nanoseconds, without its overflow. */
static uint64_t clock_ns(unsigned long long mhz, uint64_t earlier, uint64_t now)
{
	uint64_t d = now > earlier ? now - earlier : 0;

	if (!mhz)
		return d;
	return d / mhz * 1000 + d % mhz * 1000 / mhz;
}

int wl_gen_data_main(int argc, char **argv, const struct wl_store *s)
{
	struct gen_args a = { 0 };
	unsigned long long nputs, i;
	uint64_t then, now, ns;
	void *value, *state;
	long long kb;
	int r;

	r = parse(argc, argv, s, &a);
	if (r)
		return r;
	nputs = (a.gib << 30) / s->value_size;
	signal(SIGPIPE, SIG_IGN);
	value = calloc(1, s->value_size);
	if (!value) {
		fprintf(stderr, "%s: no memory for a value of %zu bytes\n", s->prog, s->value_size);
		return 1;
	}
	r = s->open(&state, a.addr, value);
	if (r)
		return r;
	/* the runner tees this; a line as soon as it is made */
	setvbuf(stdout, NULL, _IOLBF, 0);
	then = clock_now(a.mhz);
	for (i = 0; i < nputs; i++) {
		r = s->put(state, i);
		if (r)
			return r;
		if (i % PRINT_INTERVAL)
			continue;
		if (a.page_tables) {
			kb = page_tables_kb();
			if (kb < 0) {
				fprintf(stderr, "%s: cannot read PageTables from /proc/meminfo\n",
					s->prog);
				return 1;
			}
			printf("DONE %llu %lld\n", i, kb);
			continue;
		}
		now = clock_now(a.mhz);
		ns = clock_ns(a.mhz, then, now);
		printf("DONE %llu Duration { secs: %llu, nanos: %llu } 0\n", i,
		       (unsigned long long)(ns / 1000000000ULL),
		       (unsigned long long)(ns % 1000000000ULL));
		then = now;
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: cannot write the results: %s\n", s->prog, strerror(errno));
		return 1;
	}
	return 0;
}

static int parse_port(const char *s, unsigned *port)
{
	unsigned long long v;

	if (wl_parse_count(s, 65535, &v) < 0 || !v)
		return -EINVAL;
	*port = (unsigned)v;
	return 0;
}

static void add_inet(struct wl_addr *a, const struct in_addr *ip, unsigned port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->sa[a->n];

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr = *ip;
	a->len[a->n++] = sizeof(*sin);
}

static void add_inet6(struct wl_addr *a, const struct in6_addr *ip, unsigned port)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->sa[a->n];

	memset(sin6, 0, sizeof(*sin6));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	sin6->sin6_addr = *ip;
	a->len[a->n++] = sizeof(*sin6);
}

int wl_addr_tcp(struct wl_addr *a, const char *hostport, unsigned default_port)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h = hostport;
	struct in6_addr ip6;
	struct in_addr ip4;
	unsigned port = default_port;
	size_t hlen;

	a->n = 0;
	if (*h == '[') {
		colon = strchr(h, ']');
		if (!colon || (colon[1] && colon[1] != ':'))
			return -EINVAL;
		h++;
		hlen = (size_t)(colon - h);
		colon = colon[1] ? colon + 1 : NULL;
	} else {
		colon = strrchr(h, ':');
		hlen = colon ? (size_t)(colon - h) : strlen(h);
	}
	if ((!colon && !default_port) || (colon && parse_port(colon + 1, &port) < 0) ||
	    !hlen || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (!strcmp(host, "localhost")) {
		ip4.s_addr = htonl(INADDR_LOOPBACK);
		add_inet(a, &ip4, port);
		add_inet6(a, &in6addr_loopback, port);
	} else if (inet_pton(AF_INET, host, &ip4) == 1 && *hostport != '[') {
		add_inet(a, &ip4, port);
	} else if (inet_pton(AF_INET6, host, &ip6) == 1 && *hostport == '[') {
		add_inet6(a, &ip6, port);
	} else {
		return -EINVAL;
	}
	return 0;
}

int wl_addr_unix(struct wl_addr *a, const char *path)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&a->sa[0];

	if (!*path || strlen(path) >= sizeof(sun->sun_path))
		return -EINVAL;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, strlen(path));
	a->len[0] = sizeof(*sun);
	a->n = 1;
	return 0;
}

int wl_connect(const struct wl_addr *a)
{
	int i, fd, r = -EINVAL, one = 1;

	for (i = 0; i < a->n; i++) {
		fd = socket(a->sa[i].ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (const struct sockaddr *)&a->sa[i], a->len[i]) == 0) {
			if (a->sa[i].ss_family != AF_UNIX)
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			return fd;
		}
		r = -errno;
		close(fd);
	}
	return r;
}

int wl_send_all(int fd, struct iovec *iov, int iovcnt)
{
	ssize_t n;

	while (iovcnt) {
		n = writev(fd, iov, iovcnt);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		while (iovcnt && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int wl_read_line(struct wl_reader *r, char *line, size_t size)
{
	char *eol;
	size_t n;
	ssize_t got;

	while (!(eol = memchr(r->buf, '\n', r->len))) {
		if (r->len == sizeof(r->buf))
			r->len = 0; /* an absurdly long line: keep its end */
		got = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return -ENODATA;
		r->len += (size_t)got;
	}
	n = (size_t)(eol - r->buf);
	if (n && r->buf[n - 1] == '\r')
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(line, r->buf, n);
	line[n] = '\0';
	r->len -= (size_t)(eol + 1 - r->buf);
	memmove(r->buf, eol + 1, r->len);
	return (int)n;
}

const char *wl_io_error(int err)
{
	static char msg[160];

	if (err == ENODATA)
		return "the server closed the connection";
	snprintf(msg, sizeof(msg), "%s (os error %d)", strerror(err), err);
	return msg;
}
