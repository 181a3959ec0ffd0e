/* The pieces the spool daemon's safety rests on (issue 16): directories
 * made below a directory fd that never lead out of it, process identity
 * from /proc/PID/stat, and poll timeouts that never overflow. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sys/process.h"
#include "util/dirat.h"
#include "util/time.h"

static char base[64];

static int make_base(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/zsim-dirat.XXXXXX");
	return mkdtemp(base) ? 0 : -1;
}

static int remove_base(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

static int open_base(void)
{
	int fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static bool exists(const char *rel)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", base, rel);
	return lstat(p, &st) == 0;
}

static void components_are_checked(void **state)
{
	(void)state;
	assert_true(zo_component_ok("run-1700000000000-0001"));
	assert_true(zo_component_ok("..."));
	assert_true(zo_component_ok(".hidden"));
	assert_false(zo_component_ok(""));
	assert_false(zo_component_ok("."));
	assert_false(zo_component_ok(".."));
	assert_false(zo_component_ok("a/b"));
}

static void directories_are_made_below_and_only_below(void **state)
{
	static const char *const bad[] = { "", "/abs", "../up", "a/../../up", "a//b", "a/./b", "a/",
					   "x/..", NULL };
	int dfd = open_base(), fd = -1;
	size_t i;
	char target[256], link[256];

	(void)state;
	assert_int_equal(zo_open_beneath(dfd, "a/b/c", ZO_BENEATH_CREATE, 0755, &fd), 0);
	assert_true(fd >= 0);
	close(fd);
	assert_true(exists("a/b/c"));
	/* opening again: fine, unless it must be new */
	assert_int_equal(zo_open_beneath(dfd, "a/b/c", ZO_BENEATH_CREATE, 0755, &fd), 0);
	close(fd);
	assert_int_equal(zo_open_beneath(dfd, "a/b/c", ZO_BENEATH_CREATE | ZO_BENEATH_NEW, 0755,
					 &fd),
			 -EEXIST);
	assert_int_equal(zo_open_beneath(dfd, "a/b/d", ZO_BENEATH_CREATE | ZO_BENEATH_NEW, 0755,
					 &fd),
			 0);
	close(fd);
	for (i = 0; bad[i]; i++) {
		fd = -1;
		if (zo_open_beneath(dfd, bad[i], ZO_BENEATH_CREATE, 0755, &fd) != -EINVAL)
			fail_msg("'%s' was not refused", bad[i]);
		assert_int_equal(fd, -1);
	}
	assert_false(exists("up"));
	/* a symbolic link is never followed, wherever it is on the way */
	snprintf(target, sizeof(target), "%s/outside", base);
	mkdir(target, 0755);
	snprintf(link, sizeof(link), "%s/a/link", base);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(zo_open_beneath(dfd, "a/link/x", ZO_BENEATH_CREATE, 0755, &fd), -ELOOP);
	assert_int_equal(zo_open_beneath(dfd, "a/link", ZO_BENEATH_CREATE, 0755, &fd), -ELOOP);
	assert_int_equal(zo_open_beneath(dfd, "a/link", ZO_BENEATH_CREATE | ZO_BENEATH_NEW, 0755,
					 &fd),
			 -ELOOP);
	assert_int_equal(zo_open_beneath(dfd, "a/link", 0, 0, &fd), -ELOOP);
	assert_false(exists("outside/x"));
	/* a file in the way */
	snprintf(link, sizeof(link), "%s/a/file", base);
	close(open(link, O_WRONLY | O_CREAT, 0644));
	assert_int_equal(zo_open_beneath(dfd, "a/file/x", ZO_BENEATH_CREATE, 0755, &fd), -ENOTDIR);
	/* without CREATE nothing is made */
	assert_int_equal(zo_open_beneath(dfd, "new/dir", 0, 0, &fd), -ENOENT);
	assert_false(exists("new"));
	close(dfd);
}

static void proc_stat_is_parsed(void **state)
{
	struct zo_proc_stat st;

	(void)state;
	/* a command name with spaces and parentheses, as /proc shows it */
	assert_int_equal(zo_proc_stat_parse("4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 "
					    "0 1 2 0 0 20 0 1 0 987654 1000 100 "
					    "18446744073709551615\n",
					    &st),
			 0);
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.pgrp, 4242);
	assert_int_equal(st.start, 987654);
	assert_int_equal(zo_proc_stat_parse("", &st), -EINVAL);
	assert_int_equal(zo_proc_stat_parse("1 (x) S 1 2", &st), -EINVAL);
	assert_int_equal(zo_proc_stat_parse("1 (x) S a b c", &st), -EINVAL);
	/* ours, from the live /proc */
	assert_int_equal(zo_proc_stat(NULL, (long)getpid(), &st), 0);
	assert_int_equal(st.ppid, (long)getppid());
	assert_true(st.start > 0);
	assert_int_equal(zo_proc_stat(NULL, 0, &st), -EINVAL);
}

static void the_boot_id_is_read(void **state)
{
	char id[ZO_BOOT_ID_LEN + 1];

	(void)state;
	assert_int_equal(zo_boot_id(NULL, id), 0);
	assert_int_equal(strlen(id), ZO_BOOT_ID_LEN);
	assert_int_equal(zo_boot_id("/nonexistent", id), -ENOENT);
}

/* issue 16: a timeout from about 25 days on became a negative poll
 * timeout, which blocks for ever */
static void poll_timeouts_never_overflow(void **state)
{
	const uint64_t day = 86400ULL * 1000;

	(void)state;
	assert_int_equal(zo_poll_timeout_ms(1000, 0), -1);
	assert_int_equal(zo_poll_timeout_ms(1000, 999), 0);
	assert_int_equal(zo_poll_timeout_ms(1000, 1000), 0);
	assert_int_equal(zo_poll_timeout_ms(1000, 1500), 500);
	assert_int_equal(zo_poll_timeout_ms(1000, 1000 + 30 * day), 3600 * 1000);
	assert_int_equal(zo_poll_timeout_ms(1000, 1000 + 365 * day), 3600 * 1000);
	assert_int_equal(zo_poll_timeout_ms(0, UINT64_MAX), 3600 * 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(components_are_checked),
		cmocka_unit_test_setup_teardown(directories_are_made_below_and_only_below, make_base,
						remove_base),
		cmocka_unit_test(proc_stat_is_parsed),
		cmocka_unit_test(the_boot_id_is_read),
		cmocka_unit_test(poll_timeouts_never_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
