/* memcached_gen_data: fills a memcached with GB GiB of all-zero values and
 * prints how long every 100 puts took. Same arguments and output as the
 * old 0sim-experiments src/bin/memcached_gen_data.rs (its lines 17-25,
 * 45-103, 105-167):
 *
 *   memcached_gen_data ADDR GB [-f|--freq MHz] [-p|--page_tables]
 *
 * ADDR is IP:PORT (or localhost:PORT). Values are 523,800 bytes (no waste
 * in a memcached started with -f 1.11), keys "0", "1", ..., expiry
 * 1,000,000 s; GB GiB / 523,800 puts over one connection. The lines are
 * those of gendata.h. A put the server refuses prints
 * "memcached returned error: <its reply>" and the run goes on with the
 * next key (the original retried the same key for ever, which never ends
 * once a memcached -M is full); a lost connection prints
 * "memcached returned error: <cause>" and ends the run with exit 1, as the
 * original's broken pipe did.
 *
 * Speaks memcached's text protocol itself (the original used the
 * memcache crate's binary protocol): no client library in the target.
 * -h/--hyperv and --pftime (0sim hypercalls) are refused.
 * Built static so it runs in any target without its libraries. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "gendata.h"

#define PROG "memcached_gen_data"
#define VAL_SIZE 523800
#define EXPIRATION 1000000

static const char usage[] =
	"usage: " PROG " ADDR GB [-f|--freq MHz] [-p|--page_tables]\n"
	"  put GB GiB of 523800-byte zero values into the memcached at ADDR (IP:PORT)\n"
	"  -f  time with the TSC at MHz instead of the monotonic clock\n"
	"  -p  print the page tables' size (kB) instead of the time\n";

struct mc {
	struct wl_reader rd;
	const char *addr;
	const void *value;
};

static int mc_open(void **state, const char *addr, const void *value)
{
	static struct mc mc;
	struct wl_addr a;

	if (wl_addr_tcp(&a, addr, 0) < 0)
		return wl_usage_error(PROG, usage, "ADDR %s is not an IP:PORT", addr);
	mc.rd.fd = wl_connect(&a);
	if (mc.rd.fd < 0) {
		fprintf(stderr, PROG ": cannot connect to memcached at %s: %s\n", addr,
			strerror(-mc.rd.fd));
		return 1;
	}
	mc.addr = addr;
	mc.value = value;
	*state = &mc;
	return 0;
}

static int mc_put(void *state, unsigned long long key)
{
	struct mc *mc = state;
	char cmd[96], reply[512];
	struct iovec iov[3];
	int n, r;

	n = snprintf(cmd, sizeof(cmd), "set %llu 0 %d %d\r\n", key, EXPIRATION, VAL_SIZE);
	iov[0].iov_base = cmd;
	iov[0].iov_len = (size_t)n;
	iov[1].iov_base = (void *)mc->value;
	iov[1].iov_len = VAL_SIZE;
	iov[2].iov_base = (void *)"\r\n";
	iov[2].iov_len = 2;
	r = wl_send_all(mc->rd.fd, iov, 3);
	if (r == 0)
		r = wl_read_line(&mc->rd, reply, sizeof(reply));
	if (r < 0) {
		printf("memcached returned error: %s\n", wl_io_error(-r));
		fprintf(stderr, PROG ": lost the connection to memcached at %s at key %llu: %s\n",
			mc->addr, key, wl_io_error(-r));
		return 1;
	}
	if (strcmp(reply, "STORED"))
		printf("memcached returned error: %s\n", reply);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct wl_store store = {
		.prog = PROG,
		.usage = usage,
		.value_size = VAL_SIZE,
		.open = mc_open,
		.put = mc_put,
	};

	return wl_gen_data_main(argc, argv, &store);
}
