#include "util/base64.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

static int value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int zo_base64_decode(const char *in, char **ret, size_t *ret_len)
{
	size_t len = strlen(in), n = 0, i;
	unsigned acc = 0;
	int bits = 0;
	char *out = malloc(len / 4 * 3 + 4);

	if (!out)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		int v;

		if (in[i] == '=')
			break;
		if (in[i] == '\n' || in[i] == '\r')
			continue;
		v = value(in[i]);
		if (v < 0) {
			free(out);
			return -EINVAL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	*ret = out;
	*ret_len = n;
	return 0;
}
