/* exp00000's workloads in a target, as the old runner's workloads.rs ran
 * them: zsim-touch (time_mmap_touch), memcached with memcached_gen_data,
 * redis with redis_gen_data, Metis matrix_mult2 and numactl's memhog.
 * exp00000 runs them as its phases; exp00009 runs the same phases while
 * the host builds a kernel; exp00007 starts the servers and programs with
 * its own sizes. */
#ifndef ZO_EXP_BMK_H
#define ZO_EXP_BMK_H

#include <stdbool.h>

#include "exp/texp.h"

#define ZO_BMK_TOUCH "/usr/bin/zsim-touch"

/* A workload's programs in the target and how to get them. */
struct zo_bmk_prog {
	const char *program; /* the server or program, looked up in PATH */
	const char *client;  /* zsim's client program, or NULL */
	const char *how;     /* the refusal's advice when `program` is missing */
};
extern const struct zo_bmk_prog zo_bmk_prog_touch, zo_bmk_prog_memcached, zo_bmk_prog_redis, zo_bmk_prog_metis,
	zo_bmk_prog_memhog;

/* Whether p's program, its client and taskset are in the target: 0, else
 * the run is refused (-EPERM, exit 3) naming what is missing for `flag`
 * ("--memcached") and how to get it. */
int zo_bmk_check(struct zo_texp *t, const char *flag, const struct zo_bmk_prog *p);

/* The memcached the runner started (vm.max_map_count = 1e9, `memcached -M
 * -m SERVER_MB -d -f 1.11`), then memcached_gen_data of CLIENT_GB pinned
 * to the next vCPU, its lines into `out` (the runner's tee; OOM allowed:
 * refused puts are lines of it). */
int zo_bmk_memcached(struct zo_texp *t, unsigned long long server_mb,
		     unsigned long long client_gb, const char *out);
/* redis-server on a unix socket (overcommit_memory = 1, allkeys-random,
 * maxmemory SERVER_MB, dumps into a tmpfs too small for them, as the
 * runner's nullfs threw them away). */
int zo_bmk_redis_server(struct zo_texp *t, unsigned long long server_mb);
/* Then redis_gen_data of CLIENT_GB, pinned, its lines into `out`. */
int zo_bmk_redis_client(struct zo_texp *t, unsigned long long client_gb, const char *out);
/* The integer square root: Metis's dimension for a size (dim =
 * sqrt(bytes / 8), the runner's sqrt(GB << 27)). */
unsigned long long zo_bmk_isqrt(unsigned long long n);
/* `matrix_mult2 -q -o -l DIM` pinned to the next vCPU, to its end. */
int zo_bmk_metis(struct zo_texp *t, unsigned long long dim);

/* `script` started in the background in the target, in a session of its
 * own whose id goes to `pidfile`; zo_bmk_background_stop ends that
 * session (SIGTERM, then SIGKILL after 5 s). */
int zo_bmk_background(struct zo_texp *t, const char *what, const char *pidfile,
		      const char *script);
int zo_bmk_background_stop(struct zo_texp *t, const char *pidfile);

/* exp00000's phases, for an experiment whose arguments have exp00000's
 * names: VMSIZE ("vm_size"), CORES ("cores"), the "workload" group (zeros,
 * counter, memcached, redis, matrixmult), warmup, prefault and size. */
struct zo_bmk {
	struct zo_texp t; /* first: the shared phases get &x->t */
	unsigned long long pages;
	unsigned long long size_gb;  /* the workload's size */
	const char *out_dev;	     /* the results disk in the target, or "" */
	unsigned long long out_len;  /* what zsim-touch wrote onto it */
};
/* The check: --size no larger than the target (exit 2 naming it). */
int zo_bmk_check_size(const struct zo_exp_args *a, char **ret_error);
void zo_bmk_init(struct zo_bmk *x, struct zo_run *run);
/* Its programs checked (refused without them), its size (--size, else the
 * target's MemAvailable in whole GB, rounded down). */
int zo_bmk_setup(struct zo_texp *t);
/* zsim-touch of the workload's size, zeros, output thrown away. */
int zo_bmk_warmup(struct zo_texp *t);
int zo_bmk_workload(struct zo_texp *t);
/* .out (none for Metis) and .sim. */
int zo_bmk_collect(struct zo_texp *t);

#endif
