#ifndef ZO_UTIL_BASE64_H
#define ZO_UTIL_BASE64_H

#include <stddef.h>

/* Decode standard base64 (the guest agent's encoding); NUL-terminated
 * result. -EINVAL on a malformed input. */
int zo_base64_decode(const char *in, char **ret, size_t *ret_len);

#endif
