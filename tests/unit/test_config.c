#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "util/ini.h"
#include "util/str.h"

static char *write_tmp(const char *text, size_t len)
{
	char *path = strdup("/tmp/zsim-test-config-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

/* Load `text` as a config file; returns the zo_config_from_ini result. */
static int load(const char *text, struct zo_config **ret, struct zo_diags *d)
{
	char *path = write_tmp(text, strlen(text));
	struct zo_ini *ini = NULL;
	int r;

	r = zo_ini_load(path, &ini, d);
	if (r == 0)
		r = zo_config_from_ini(path, ini, ret, d);
	zo_ini_free(ini);
	unlink(path);
	free(path);
	return r;
}

static const struct zo_diag *find_diag(const struct zo_diags *d,
				       const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].section && d->v[i].key &&
		    !strcmp(d->v[i].section, section) && !strcmp(d->v[i].key, key))
			return &d->v[i];
	return NULL;
}

static void defaults_without_file(void **state)
{
	struct zo_diags d = { 0 };
	struct zo_config *c = NULL;
	uint64_t size;
	long long i;
	bool b;

	(void)state;
	assert_int_equal(zo_config_from_ini("/nonexistent", NULL, &c, &d), 0);
	assert_int_equal(d.n, 0);
	assert_false(c->file_present);
	assert_int_equal(zo_config_get_size(c, "thin", "virtual_size", &size), 0);
	assert_true(size == 10ULL << 40);
	assert_int_equal(zo_config_get_size(c, "thin", "block_size", &size), 0);
	assert_true(size == 128ULL << 20);
	assert_int_equal(zo_config_get_bool(c, "zswap", "enabled", &b), 0);
	assert_true(b);
	assert_int_equal(zo_config_get_int(c, "zswap", "max_pool_percent", &i), 0);
	assert_int_equal(i, 50);
	assert_string_equal(zo_config_get(c, "target", "uri"), "qemu:///system");
	assert_string_equal(zo_config_get(c, "paths", "spool"), "/var/spool/zsim");
	/* unset optional keys report -ENODATA, unknown keys -ENOENT */
	assert_int_equal(zo_config_get_int(c, "zerosim", "delay", &i), -ENODATA);
	assert_int_equal(zo_config_get_int(c, "zerosim", "nope", &i), -ENOENT);
	assert_null(zo_config_get(c, "nope", "nope"));
	zo_config_free(c);
}

static void every_default_is_valid(void **state)
{
	struct zo_diags d = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < zo_config_n_keys; i++) {
		assert_int_equal(zo_config_check_value(&zo_config_keys[i],
						       zo_config_keys[i].def, 0, &d), 0);
		assert_non_null(zo_config_keys[i].help);
	}
	assert_int_equal(d.n, 0);
}

static void file_values_and_sources(void **state)
{
	struct zo_diags d = { 0 };
	struct zo_config *c = NULL;
	const struct zo_config_value *v;
	char **list = NULL;
	uint64_t size;

	(void)state;
	assert_int_equal(load("# comment\n"
			      "[Host]\n"
			      "Swap = UUID=1234, /dev/disk/by-id/ata-X ; trailing comment\n"
			      "\n"
			      "[thin]\n"
			      "virtual_size = 20T\n"
			      "[target]\n"
			      "cmdline = \"console=ttyS0 quiet\"\n",
			      &c, &d),
			 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(zo_config_get_size(c, "thin", "virtual_size", &size), 0);
	assert_true(size == 20ULL << 40);
	v = zo_config_value(c, "thin", "virtual_size");
	assert_int_equal(v->source, ZO_SOURCE_FILE);
	assert_int_equal(v->line, 6);
	v = zo_config_value(c, "thin", "block_size");
	assert_int_equal(v->source, ZO_SOURCE_DEFAULT);
	assert_string_equal(zo_config_get(c, "target", "cmdline"), "console=ttyS0 quiet");
	assert_int_equal(zo_config_get_list(c, "host", "swap", &list), 2);
	assert_string_equal(list[0], "UUID=1234");
	assert_string_equal(list[1], "/dev/disk/by-id/ata-X");
	assert_null(list[2]);
	zo_strv_free(list);
	zo_config_free(c);
}

static void bad_values_all_reported(void **state)
{
	struct zo_diags d = { 0 };
	struct zo_config *c = NULL;
	const struct zo_diag *e;

	(void)state;
	assert_int_equal(load("[thin]\n"
			      "virtual_size = 10Q\n"
			      "block_size = 100K\n"
			      "[target]\n"
			      "memory = -5G\n"
			      "vcpus = 0\n"
			      "accel = fast\n"
			      "[zswap]\n"
			      "max_pool_percent = 101\n"
			      "[host]\n"
			      "swap = /dev/sdb\n"
			      "require_0sim = maybe\n"
			      "[paths]\n"
			      "state = relative/dir\n",
			      &c, &d),
			 -EINVAL);
	assert_null(c);
	assert_int_equal(zo_diags_count(&d, ZO_ERROR), 9);
	e = find_diag(&d, "thin", "virtual_size");
	assert_non_null(e);
	assert_int_equal(e->line, 2);
	assert_non_null(strstr(e->message, "\"10Q\""));
	assert_non_null(strstr(e->message, "K, M, G or T"));
	e = find_diag(&d, "thin", "block_size");
	assert_non_null(strstr(e->message, "multiple"));
	e = find_diag(&d, "target", "accel");
	assert_non_null(strstr(e->message, "auto|kvm|tcg"));
	e = find_diag(&d, "host", "swap");
	assert_non_null(strstr(e->message, "kernel device names change"));
	e = find_diag(&d, "zswap", "max_pool_percent");
	assert_non_null(strstr(e->message, "from 0 to 100"));
	zo_diags_release(&d);
}

static void overflowing_size(void **state)
{
	struct zo_diags d = { 0 };
	struct zo_config *c = NULL;

	(void)state;
	assert_int_equal(load("[thin]\nvirtual_size = 99999999999T\n", &c, &d), -EINVAL);
	assert_non_null(strstr(d.v[0].message, "too large"));
	zo_diags_release(&d);
}

static void unknown_names_are_warnings(void **state)
{
	struct zo_diags d = { 0 };
	struct zo_config *c = NULL;
	const struct zo_diag *e;

	(void)state;
	assert_int_equal(load("[thin]\nvirtual_sise = 1T\n[tagret]\nname = x\n"
			      "[wholly_unrelated]\nx = 1\n",
			      &c, &d),
			 0);
	assert_int_equal(zo_diags_count(&d, ZO_WARNING), 3);
	assert_int_equal(zo_diags_count(&d, ZO_ERROR), 0);
	e = find_diag(&d, "thin", "virtual_sise");
	assert_non_null(e);
	assert_non_null(strstr(e->message, "did you mean \"virtual_size\""));
	assert_non_null(strstr(d.v[0].message, "did you mean [target]"));
	zo_config_free(c);
	zo_diags_release(&d);
}

static void duplicate_key_last_wins(void **state)
{
	struct zo_diags d = { 0 };
	struct zo_config *c = NULL;

	(void)state;
	assert_int_equal(load("[target]\nvcpus = 2\nvcpus = 4\n", &c, &d), 0);
	assert_int_equal(zo_diags_count(&d, ZO_WARNING), 1);
	assert_int_equal(d.v[0].line, 3);
	assert_string_equal(zo_config_get(c, "target", "vcpus"), "4");
	/* `config show` names the line that wins */
	assert_int_equal(zo_config_value(c, "target", "vcpus")->line, 3);
	zo_config_free(c);
	zo_diags_release(&d);
}

/* iniparser keeps an unclosed quote as part of the value (and cuts it at
 * a ';'): an error naming the line, even on a line a later one overrides. */
static void unterminated_quote_rejected(void **state)
{
	struct zo_diags d = { 0 };
	struct zo_config *c = NULL;

	(void)state;
	assert_int_equal(load("[target]\ncmdline = \"console=ttyS0; quiet\nvcpus = 2\n", &c, &d),
			 -EINVAL);
	assert_int_equal(zo_diags_count(&d, ZO_ERROR), 1);
	assert_int_equal(d.v[0].line, 2);
	assert_non_null(strstr(d.v[0].message, "opens a quote and does not close it"));
	zo_diags_release(&d);
	assert_int_equal(load("[target]\nname = 'zsim\nname = zsim\n", &c, &d), -EINVAL);
	assert_int_equal(zo_diags_count(&d, ZO_ERROR), 1);
	assert_int_equal(d.v[d.v[0].severity == ZO_ERROR ? 0 : 1].line, 2);
	zo_diags_release(&d);
	/* closed quotes are fine, a quote inside a value too */
	assert_int_equal(load("[target]\ncmdline = \"a; b\"\nbase_sha256 = it's\n", &c, &d), 0);
	assert_string_equal(zo_config_get(c, "target", "cmdline"), "a; b");
	zo_config_free(c);
	zo_diags_release(&d);
}

/* A '\' on the last line continues onto nothing and iniparser drops the
 * key: an error naming the line, with or without a final newline. */
static void trailing_backslash_rejected(void **state)
{
	struct zo_diags d = { 0 };
	struct zo_config *c = NULL;

	(void)state;
	assert_int_equal(load("[target]\nvcpus = 2 \\", &c, &d), -EINVAL);
	assert_int_equal(zo_diags_count(&d, ZO_ERROR), 1);
	assert_int_equal(d.v[0].line, 2);
	assert_non_null(strstr(d.v[0].message, "on the last line"));
	zo_diags_release(&d);
	assert_int_equal(load("[target]\nvcpus = 2\ncmdline = a \\\n", &c, &d), -EINVAL);
	assert_int_equal(d.v[0].line, 3);
	zo_diags_release(&d);
	/* a continued value with its next line is fine */
	assert_int_equal(load("[target]\ncmdline = a \\\n b\n", &c, &d), 0);
	assert_string_equal(zo_config_get(c, "target", "cmdline"), "a  b");
	zo_config_free(c);
	zo_diags_release(&d);
}

/* What would be written to the config file must read back the same:
 * no line breaks (they could add settings), nothing over a line. */
static void unwritable_values_refused(void **state)
{
	const struct zo_key_def *cmdline = zo_config_key("target", "cmdline");
	struct zo_diags d = { 0 };
	char long_value[1200];

	(void)state;
	assert_int_equal(zo_config_check_value(cmdline, "quiet\n[host]\nrequire_0sim = no", 0, &d),
			 -EINVAL);
	assert_non_null(strstr(d.v[0].message, "a line break or another control character"));
	assert_null(strchr(d.v[0].message, '\n'));
	zo_diags_release(&d);
	memset(long_value, 'x', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	assert_int_equal(zo_config_check_value(cmdline, long_value, 0, &d), -EINVAL);
	assert_non_null(strstr(d.v[0].message, "1199 characters"));
	assert_non_null(strstr(d.v[0].message, "too long for one line"));
	zo_diags_release(&d);
	long_value[1000 - strlen("cmdline = ")] = '\0';
	assert_int_equal(zo_config_check_value(cmdline, long_value, 0, &d), 0);
	assert_int_equal(zo_config_check_value(cmdline, "a\tb", 0, &d), 0);
	assert_int_equal(zo_config_check_value(cmdline, "say \"hi\"; now", 0, &d), -EINVAL);
	assert_non_null(strstr(d.v[0].message, "holds a '\"'"));
	zo_diags_release(&d);
}

static char *slurp(const char *path);

static void ini_set_refuses_what_would_not_read_back(void **state)
{
	char path[] = "/tmp/zsim-test-ini-XXXXXX";
	char long_value[1200], *before;
	int fd = mkstemp(path);
	struct zo_diags d = { 0 };
	struct zo_ini *ini = NULL;
	struct zo_config *c = NULL;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[target]\nvcpus = 2\n", 20), 20);
	close(fd);
	before = strdup(slurp(path));
	assert_int_equal(zo_ini_set(path, "target", "cmdline", "quiet\n[host]\nswap = /dev/sda"),
			 -EINVAL);
	assert_int_equal(zo_ini_set(path, "target", "cmdline", "a\rb"), -EINVAL);
	memset(long_value, 'x', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	assert_int_equal(zo_ini_set(path, "target", "cmdline", long_value), -EINVAL);
	assert_int_equal(zo_ini_set(path, "target", "cmdline", "a \"b\" # c"), -EINVAL);
	assert_string_equal(slurp(path), before);
	free(before);

	/* values that need quotes read back as given */
	assert_int_equal(zo_ini_set(path, "target", "cmdline", "'single'"), 0);
	assert_int_equal(zo_ini_set(path, "target", "base_profile", "x\\"), 0);
	assert_int_equal(zo_ini_set(path, "target", "base_sha256", "a=\"b\""), 0);
	assert_int_equal(zo_ini_load(path, &ini, &d), 0);
	assert_int_equal(zo_config_from_ini(path, ini, &c, &d), -EINVAL); /* base_profile: a name */
	zo_diags_release(&d);
	zo_ini_free(ini);
	ini = NULL;
	assert_int_equal(zo_ini_set(path, "target", "base_profile", "debian12"), 0);
	assert_int_equal(zo_ini_load(path, &ini, &d), 0);
	assert_int_equal(zo_config_from_ini(path, ini, &c, &d), 0);
	assert_string_equal(zo_config_get(c, "target", "cmdline"), "'single'");
	assert_string_equal(zo_config_get(c, "target", "base_sha256"), "a=\"b\"");
	zo_config_free(c);
	zo_ini_free(ini);
	zo_diags_release(&d);
	unlink(path);
}

static void empty_file_warns(void **state)
{
	struct zo_diags d = { 0 };
	struct zo_config *c = NULL;

	(void)state;
	assert_int_equal(load("", &c, &d), 0);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].message, "no settings"));
	assert_true(c->file_present);
	zo_config_free(c);
	zo_diags_release(&d);
}

static void binary_and_garbage_rejected(void **state)
{
	static const char elf[] = "\177ELF\2\1\1\0\0\0";
	struct zo_diags d = { 0 };
	struct zo_ini *ini = NULL;
	char *path = write_tmp(elf, sizeof(elf));
	struct zo_config *c = NULL;

	(void)state;
	assert_int_equal(zo_ini_load(path, &ini, &d), -EINVAL);
	assert_null(ini);
	assert_non_null(strstr(d.v[0].message, "not a text file"));
	unlink(path);
	free(path);
	zo_diags_release(&d);

	assert_int_equal(load("[thin\nvirtual_size = 1T\njust words\n", &c, &d), -EINVAL);
	assert_int_equal(zo_diags_count(&d, ZO_ERROR), 2);
	assert_int_equal(d.v[0].line, 1);
	assert_int_equal(d.v[1].line, 3);
	zo_diags_release(&d);
}

static void unreadable_and_missing(void **state)
{
	struct zo_diags d = { 0 };
	struct zo_ini *ini = NULL;

	(void)state;
	assert_int_equal(zo_ini_load("/nonexistent/zsim.conf", &ini, &d), -ENOENT);
	assert_int_equal(zo_ini_load("/tmp", &ini, &d), -EISDIR);
	assert_int_equal(d.n, 0);
}

static void override_validates(void **state)
{
	struct zo_diags d = { 0 };
	struct zo_config *c = NULL;

	(void)state;
	assert_int_equal(zo_config_from_ini("x", NULL, &c, &d), 0);
	assert_int_equal(zo_config_override(c, "target", "uri", "test:///default",
					    ZO_SOURCE_COMMAND_LINE, &d), 0);
	assert_string_equal(zo_config_get(c, "target", "uri"), "test:///default");
	assert_int_equal(zo_config_value(c, "target", "uri")->source, ZO_SOURCE_COMMAND_LINE);
	assert_int_equal(zo_config_override(c, "target", "uri", "not a uri",
					    ZO_SOURCE_COMMAND_LINE, &d), -EINVAL);
	assert_string_equal(zo_config_get(c, "target", "uri"), "test:///default");
	zo_config_free(c);
	zo_diags_release(&d);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[4096];
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void ini_set_edits_in_place(void **state)
{
	char dir[] = "/tmp/zsim-ini-set-XXXXXX";
	char path[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/etc/zsim/zsim.conf", dir);
	/* creates the file and its directories */
	assert_int_equal(zo_ini_set(path, "host", "swap", "UUID=1"), 0);
	assert_string_equal(slurp(path), "[host]\nswap = UUID=1\n");
	/* replaces the value, keeps comments */
	assert_int_equal(zo_ini_set(path, "host", "swap", "UUID=1, UUID=2"), 0);
	assert_string_equal(slurp(path), "[host]\nswap = UUID=1, UUID=2\n");
	{
		FILE *f = fopen(path, "w");

		fputs("# node config\n[Host]\n; comment\nSwap = old\nrequire_0sim = no\n\n"
		      "[thin]\nvirtual_size = 1T\n", f);
		fclose(f);
	}
	assert_int_equal(zo_ini_set(path, "host", "swap", "UUID=3"), 0);
	assert_int_equal(zo_ini_set(path, "thin", "block_size", "64K"), 0);
	assert_int_equal(zo_ini_set(path, "host", "swap_priority", "5"), 0);
	assert_int_equal(zo_ini_set(path, "target", "cmdline", "console=ttyS0 # x"), 0);
	assert_string_equal(slurp(path),
			    "# node config\n[Host]\n; comment\nswap = UUID=3\n"
			    "require_0sim = no\nswap_priority = 5\n\n"
			    "[thin]\nvirtual_size = 1T\nblock_size = 64K\n"
			    "\n[target]\ncmdline = \"console=ttyS0 # x\"\n");
	{
		/* what we wrote reads back through iniparser */
		struct zo_diags d = { 0 };
		struct zo_ini *ini = NULL;
		struct zo_config *c = NULL;

		assert_int_equal(zo_ini_load(path, &ini, &d), 0);
		assert_int_equal(zo_config_from_ini(path, ini, &c, &d), 0);
		assert_string_equal(zo_config_get(c, "target", "cmdline"), "console=ttyS0 # x");
		assert_string_equal(zo_config_get(c, "thin", "block_size"), "64K");
		assert_string_equal(zo_config_get(c, "host", "swap"), "UUID=3");
		zo_config_free(c);
		zo_ini_free(ini);
		zo_diags_release(&d);
	}
	{
		/* a key set twice: the line that wins is the one replaced */
		FILE *f = fopen(path, "w");

		fputs("[kvm]\nept = on\n[host]\nswap_discard = no\n[kvm]\nept = on\n", f);
		fclose(f);
	}
	assert_int_equal(zo_ini_set(path, "kvm", "ept", "off"), 0);
	assert_string_equal(slurp(path),
			    "[kvm]\nept = on\n[host]\nswap_discard = no\n[kvm]\nept = off\n");
	unlink(path);
	snprintf(path, sizeof(path), "%s/etc/zsim", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/etc", dir);
	rmdir(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_without_file),
		cmocka_unit_test(every_default_is_valid),
		cmocka_unit_test(file_values_and_sources),
		cmocka_unit_test(bad_values_all_reported),
		cmocka_unit_test(overflowing_size),
		cmocka_unit_test(unknown_names_are_warnings),
		cmocka_unit_test(duplicate_key_last_wins),
		cmocka_unit_test(unterminated_quote_rejected),
		cmocka_unit_test(trailing_backslash_rejected),
		cmocka_unit_test(unwritable_values_refused),
		cmocka_unit_test(ini_set_refuses_what_would_not_read_back),
		cmocka_unit_test(empty_file_warns),
		cmocka_unit_test(binary_and_garbage_rejected),
		cmocka_unit_test(unreadable_and_missing),
		cmocka_unit_test(override_validates),
		cmocka_unit_test(ini_set_edits_in_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
