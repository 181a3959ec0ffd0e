#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/sha256.h"

static void digest(const char *data, size_t len, size_t chunk, char out[65])
{
	struct zo_sha256 c;
	size_t off;

	zo_sha256_init(&c);
	for (off = 0; off < len; off += chunk)
		zo_sha256_update(&c, data + off, len - off < chunk ? len - off : chunk);
	zo_sha256_hex(&c, out);
}

/* FIPS 180-4 examples, fed whole and in awkward pieces */
static void known_answers(void **state)
{
	static const size_t chunks[] = { 1, 3, 55, 56, 63, 64, 65, 1000000 };
	char *million = malloc(1000000), out[65];
	size_t i;

	(void)state;
	assert_non_null(million);
	memset(million, 'a', 1000000);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		digest("", 0, chunks[i], out);
		assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
		digest("abc", 3, chunks[i], out);
		assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
		digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, chunks[i], out);
		assert_string_equal(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
		digest(million, 1000000, chunks[i], out);
		assert_string_equal(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	}
	free(million);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(known_answers) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
