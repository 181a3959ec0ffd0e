/* What memcached_gen_data and redis_gen_data share: the arguments, the put
 * loop with its "DONE" lines, and the socket plumbing. Each program adds
 * only its protocol. */
#ifndef ZSIM_WORKLOADS_GENDATA_H
#define ZSIM_WORKLOADS_GENDATA_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* A key-value store client: the program's half of wl_gen_data_main. */
struct wl_store {
	const char *prog, *usage;
	size_t value_size;
	/* Checks `addr` and gets ready to put `value` (value_size zero bytes)
	 * there: 0, or an exit code once it has said why (2: a bad address). */
	int (*open)(void **state, const char *addr, const void *value);
	/* Puts key `key`: 0 to go on (stored, or refused and said so on
	 * stdout), or an exit code to stop with, once it has said why. */
	int (*put)(void *state, unsigned long long key);
};

/* The whole program: `PROG ADDR GB [-f|--freq MHz] [-p|--page_tables]`.
 * Puts GB GiB / value_size values with keys 0, 1, ...; after every 100th
 * put (from key 0) prints "DONE <key> Duration { secs: S, nanos: N } 0",
 * the time since the previous such line (since the start for the first):
 * CLOCK_MONOTONIC, or with --freq TSC cycles / MHz. -p prints
 * "DONE <key> <PageTables kB>" instead. Returns the exit code. */
int wl_gen_data_main(int argc, char **argv, const struct wl_store *store);

/* Where to connect: one or two addresses, tried in order. */
struct wl_addr {
	struct sockaddr_storage sa[2];
	socklen_t len[2];
	int n;
};

/* "A.B.C.D:PORT", "[V6]:PORT" or "localhost:PORT" (127.0.0.1, then ::1;
 * no name lookup: that needs NSS modules a static program cannot rely on).
 * `default_port` (nonzero) makes ":PORT" optional. 0 or -EINVAL. */
int wl_addr_tcp(struct wl_addr *a, const char *hostport, unsigned default_port);
/* A unix socket path: 0 or -EINVAL. */
int wl_addr_unix(struct wl_addr *a, const char *path);
/* A connected stream socket (TCP_NODELAY for TCP), or -errno. */
int wl_connect(const struct wl_addr *a);

/* Writes all of `iov`: 0 or -errno (-EPIPE when the peer has gone; the
 * driver ignores SIGPIPE). */
int wl_send_all(int fd, struct iovec *iov, int iovcnt);

/* Reads one CRLF-terminated reply line into `line` (without the CRLF,
 * truncated to fit): its length, or -errno (-ENODATA at end of stream). */
struct wl_reader {
	int fd;
	size_t len;
	char buf[4096];
};
int wl_read_line(struct wl_reader *r, char *line, size_t size);

/* An I/O error as Rust's std::io::Error printed it ("Broken pipe (os
 * error 32)"), which the old programs' messages carried. */
const char *wl_io_error(int err);

#endif
