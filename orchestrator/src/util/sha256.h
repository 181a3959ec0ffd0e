/* SHA-256 (FIPS 180-4), for the base image's checksum: zsim links no
 * crypto library, and this is the only digest it needs. */
#ifndef ZO_UTIL_SHA256_H
#define ZO_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct zo_sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	size_t used;
};

void zo_sha256_init(struct zo_sha256 *c);
void zo_sha256_update(struct zo_sha256 *c, const void *data, size_t len);
/* 64 lowercase hex digits and a NUL */
void zo_sha256_hex(struct zo_sha256 *c, char out[65]);
/* The digest of a whole file; -errno. */
int zo_sha256_file(const char *path, char out[65]);

#endif
