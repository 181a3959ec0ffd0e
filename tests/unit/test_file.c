/* util/file's whole-file reads: zo_read_fd (which zo_read_file, the sysfs
 * reads and the results library share) at and past its limit, from a
 * file, a pipe and /proc, whose stat size is 0. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/file.h"

/* A temporary file of `len` bytes 'a'..'z' over and over. */
static char *temp_file(size_t len)
{
	char *path = strdup("/tmp/zsim-test-file-XXXXXX");
	char *buf = malloc(len + 1);
	size_t i;
	int fd;

	assert_non_null(path);
	assert_non_null(buf);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	for (i = 0; i < len; i++)
		buf[i] = (char)('a' + i % 26);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	free(buf);
	return path;
}

static void test_limit(void **state)
{
	/* across the first buffer (8192) and a doubling */
	static const size_t sizes[] = { 0, 1, 8191, 8192, 8193, 20000 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *path = temp_file(sizes[i]), *buf = NULL;
		size_t len = 99;

		assert_int_equal(zo_read_file(path, sizes[i], &buf, &len), 0);
		assert_int_equal(len, sizes[i]);
		assert_int_equal(strlen(buf), sizes[i]);
		if (sizes[i])
			assert_int_equal(buf[sizes[i] - 1], 'a' + (sizes[i] - 1) % 26);
		free(buf);
		buf = NULL;
		if (sizes[i]) {
			assert_int_equal(zo_read_file(path, sizes[i] - 1, &buf, NULL), -EFBIG);
			assert_null(buf);
		}
		unlink(path);
		free(path);
	}
}

static void test_pipe_and_proc(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "one\ntwo\n", 8), 8);
	close(fds[1]);
	assert_int_equal(zo_read_fd(fds[0], 8, &buf, &len), 0);
	close(fds[0]);
	assert_int_equal(len, 8);
	assert_string_equal(buf, "one\ntwo\n");
	free(buf);
	buf = NULL;
	/* a /proc file: stat says 0 bytes */
	assert_int_equal(zo_read_file("/proc/self/status", 1 << 20, &buf, &len), 0);
	assert_true(len > 0);
	assert_non_null(strstr(buf, "Name:"));
	free(buf);
	buf = NULL;
	assert_int_equal(zo_read_file("/proc/self/status", 4, &buf, NULL), -EFBIG);
	assert_int_equal(zo_read_file("/nonexistent/zsim", 4, &buf, NULL), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_pipe_and_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
