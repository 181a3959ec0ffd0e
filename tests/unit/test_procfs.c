#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "core/devspec.h"
#include "core/procfs.h"
#include "sys/hostinfo.h"
#include "sys/sysfs.h"
#include "util/str.h"

static void meminfo(void **state)
{
	struct zo_meminfo m;

	(void)state;
	assert_int_equal(zo_parse_meminfo("MemTotal:       65855908 kB\n"
					  "MemFree:        1 kB\n"
					  "MemAvailable:   62914560 kB\n"
					  "SwapTotal:      10737418236 kB\n"
					  "SwapFree:       10 kB\n",
					  &m),
			 0);
	assert_true(m.mem_total == 65855908ULL * 1024);
	assert_true(m.mem_available == 62914560ULL * 1024);
	assert_true(m.swap_total == 10737418236ULL * 1024);
	assert_true(m.swap_free == 10240);
	assert_int_equal(zo_parse_meminfo("MemFree: 1 kB\n", &m), -ENODATA);
	assert_int_equal(zo_parse_meminfo("MemTotal: lots\n", &m), -EINVAL);
}

/* Figures no kernel reports are not trusted: an empty file, no RAM, 16 EiB
 * of RAM (which overflowed to 0 bytes), more free swap than swap. */
static void meminfo_absurd(void **state)
{
	struct zo_meminfo m = { 1, 2, 3, 4 };

	(void)state;
	assert_int_equal(zo_parse_meminfo("", &m), -ENODATA);
	assert_int_equal(zo_parse_meminfo("MemTotal: 18014398509481984 kB\n"
					  "SwapTotal: 0 kB\nSwapFree: 0 kB\n", &m),
			 -ERANGE);
	assert_int_equal(zo_parse_meminfo("MemTotal: 99999999999999999999999 kB\n"
					  "SwapTotal: 0 kB\nSwapFree: 0 kB\n", &m),
			 -ERANGE);
	assert_int_equal(zo_parse_meminfo("MemTotal: 0 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n",
					  &m),
			 -ERANGE);
	assert_int_equal(zo_parse_meminfo("MemTotal: 1024 kB\nSwapTotal: 1 kB\n"
					  "SwapFree: 2 kB\n", &m),
			 -ERANGE);
	assert_int_equal(zo_parse_meminfo("MemTotal: 1024 MB\nSwapTotal: 0 kB\n"
					  "SwapFree: 0 kB\n", &m),
			 -EINVAL);
	assert_true(m.mem_total == 1); /* untouched on failure */
	/* 4 PiB is the most RAM x86-64 can address */
	assert_int_equal(zo_parse_meminfo("MemTotal: 4503599627370496 kB\n"
					  "SwapTotal: 0 kB\nSwapFree: 0 kB\n", &m),
			 -ERANGE);
	assert_int_equal(zo_parse_meminfo("MemTotal: 4398046511104 kB\n"
					  "SwapTotal: 0 kB\nSwapFree: 0 kB\n", &m),
			 0);
	assert_true(m.mem_total == 1ULL << 52);
}

static void swaps(void **state)
{
	struct zo_swap_entry *v = NULL;
	size_t n = 99;

	(void)state;
	assert_int_equal(zo_parse_swaps("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n", &v, &n), 0);
	assert_int_equal(n, 0);
	zo_swap_entries_free(v, n);
	assert_int_equal(zo_parse_swaps("Filename\tType\tSize\tUsed\tPriority\n"
					"/dev/dm-1  partition\t10737418236\t2097152\t-2\n"
					"/var/my\\040swap\\134file file 1048572 0 5\n",
					&v, &n),
			 2);
	assert_string_equal(v[0].filename, "/dev/dm-1");
	assert_string_equal(v[0].type, "partition");
	assert_true(v[0].size == 10737418236ULL * 1024);
	assert_true(v[0].used == 2097152ULL * 1024);
	assert_int_equal(v[0].priority, -2);
	assert_string_equal(v[1].filename, "/var/my swap\\file");
	assert_int_equal(v[1].priority, 5);
	zo_swap_entries_free(v, n);
	assert_int_equal(zo_parse_swaps("Filename\n/dev/x partition notanumber 0 -2\n", &v, &n), -EINVAL);
}

static void swaps_absurd(void **state)
{
	struct zo_swap_entry *v = NULL;
	size_t n = 0;

	(void)state;
	/* 16 EiB: over ZO_SWAP_MAX, and over 64 bits in bytes */
	assert_int_equal(zo_parse_swaps("Filename\n/dev/x partition 18014398509481984 0 -2\n",
					&v, &n),
			 -ERANGE);
	/* more used than there is */
	assert_int_equal(zo_parse_swaps("Filename\n/dev/x partition 1024 2048 -2\n", &v, &n),
			 -ERANGE);
	/* areas adding up to more than any kernel has */
	assert_int_equal(zo_parse_swaps("Filename\n/dev/x partition 1125899906842624 0 -2\n"
					"/dev/y partition 1 0 -3\n",
					&v, &n),
			 -ERANGE);
	assert_int_equal(zo_parse_swaps("Filename\n/dev/x partition 1 0 99999999999\n", &v, &n),
			 -EINVAL);
	assert_int_equal(zo_parse_swaps("Filename\n/dev/x partition 1 0 -2 extra\n", &v, &n),
			 -EINVAL);
}

/* The thin volume in /proc/swaps: /dev/dm-N (named in /sys/block) or its
 * /dev/mapper name. */
static void swaps_find_dm(void **state)
{
	struct zo_swap_entry *v = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(zo_parse_swaps("Filename\n/dev/dm-1 partition 2147483644 0 -2\n"
					"/dev/mapper/other partition 4 0 -3\n",
					&v, &n),
			 2);
	assert_null(zo_swap_find_dm(v, n, "zsim-swap"));
	assert_ptr_equal(zo_swap_find_dm(v, n, "other"), &v[1]);
	v[0].dm_name = strdup("zsim-swap");
	assert_ptr_equal(zo_swap_find_dm(v, n, "zsim-swap"), &v[0]);
	zo_swap_entries_free(v, n);
}

static void address_bits(void **state)
{
	unsigned p = 0, v = 0;

	(void)state;
	assert_int_equal(zo_parse_address_bits("processor\t: 0\n"
					       "address sizes\t: 39 bits physical, 48 bits virtual\n",
					       &p, &v),
			 0);
	assert_int_equal(p, 39);
	assert_int_equal(v, 48);
	assert_int_equal(zo_parse_address_bits("processor\t: 0\n", &p, &v), -ENODATA);
	assert_int_equal(zo_parse_address_bits("address sizes\t: garbage\n", &p, &v), -EINVAL);
	/* figures no CPU has are not trusted */
	p = v = 7;
	assert_int_equal(zo_parse_address_bits("address sizes\t: 200 bits physical, 48 bits "
					       "virtual\n",
					       &p, &v),
			 -ERANGE);
	assert_int_equal(zo_parse_address_bits("address sizes\t: 0 bits physical, 48 bits "
					       "virtual\n",
					       &p, &v),
			 -ERANGE);
	assert_int_equal(zo_parse_address_bits("address sizes\t: 4294967335 bits physical, "
					       "48 bits virtual\n",
					       &p, &v),
			 -ERANGE);
	assert_int_equal(zo_parse_address_bits("address sizes\t: 39 bits physical, 480 bits "
					       "virtual\n",
					       &p, &v),
			 -ERANGE);
	assert_int_equal(zo_parse_address_bits("address sizes\t: 39 bits physical\n", &p, &v),
			 -EINVAL);
	assert_int_equal(p, 7);
	assert_int_equal(v, 7);
	assert_int_equal(zo_parse_address_bits("address sizes\t: 52 bits physical, 57 bits "
					       "virtual\n",
					       &p, &v),
			 0);
	assert_int_equal(p, 52);
	assert_int_equal(v, 57);
}

static void cpus_and_params(void **state)
{
	(void)state;
	assert_int_equal(zo_parse_cpu_count("processor\t: 0\nmodel name\t: x processor\n"
					    "processor\t: 1\n"),
			 2);
	assert_int_equal(zo_parse_cpu_count(""), 0);
	assert_int_equal(zo_parse_param_bool("Y"), 1);
	assert_int_equal(zo_parse_param_bool("1"), 1);
	assert_int_equal(zo_parse_param_bool("N"), 0);
	assert_int_equal(zo_parse_param_bool("0"), 0);
	assert_int_equal(zo_parse_param_bool("y"), -1);
	assert_int_equal(zo_parse_param_bool(""), -1);
	assert_int_equal(zo_parse_param_bool(NULL), -1);
}

static void devspecs(void **state)
{
	(void)state;
	assert_int_equal(zo_devspec_classify("UUID=5f1c"), ZO_DEVSPEC_UUID);
	assert_int_equal(zo_devspec_classify("PARTUUID=ab-01"), ZO_DEVSPEC_PARTUUID);
	assert_int_equal(zo_devspec_classify("LABEL=swap"), ZO_DEVSPEC_LABEL);
	assert_int_equal(zo_devspec_classify("SERIAL=Z4011ABC"), ZO_DEVSPEC_SERIAL);
	assert_int_equal(zo_devspec_classify("/dev/disk/by-id/ata-ST1200"), ZO_DEVSPEC_DISK_LINK);
	assert_int_equal(zo_devspec_classify("/dev/sdb"), ZO_DEVSPEC_KERNEL);
	assert_int_equal(zo_devspec_classify("/var/lib/zsim/meta.img"), ZO_DEVSPEC_FILE);
	assert_int_equal(zo_devspec_classify("UUID="), ZO_DEVSPEC_INVALID);
	assert_int_equal(zo_devspec_classify("/dev/disk/by-id/"), ZO_DEVSPEC_INVALID);
	assert_int_equal(zo_devspec_classify("/dev/disk/by-id/a/../../sdb"), ZO_DEVSPEC_INVALID);
	assert_int_equal(zo_devspec_classify("sdb"), ZO_DEVSPEC_INVALID);
	assert_int_equal(zo_devspec_classify("/dev/"), ZO_DEVSPEC_INVALID);
	assert_true(zo_devspec_is_stable(ZO_DEVSPEC_SERIAL));
	assert_false(zo_devspec_is_stable(ZO_DEVSPEC_KERNEL));
	assert_false(zo_devspec_is_stable(ZO_DEVSPEC_FILE));
}

static void strings(void **state)
{
	char **v = NULL;
	static const char *const words[] = { "show", "check", "default" };

	(void)state;
	assert_int_equal(zo_strv_split(" a, b ,,c ,", ',', &v), 3);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "b");
	assert_string_equal(v[2], "c");
	assert_null(v[3]);
	zo_strv_free(v);
	assert_int_equal(zo_strv_split("", ',', &v), 0);
	assert_null(v[0]);
	zo_strv_free(v);
	assert_int_equal(zo_edit_distance("kitten", "sitting"), 3);
	assert_int_equal(zo_edit_distance("", "abc"), 3);
	assert_int_equal(zo_edit_distance("stauts", "status"), 1);
	assert_string_equal(zo_closest("chek", words, 3), "check");
	assert_null(zo_closest("zzzzzz", words, 3));
}

/* A host tree under a temporary root, removed with `rm -r` at the end. */
static char *tree(void)
{
	char *root = strdup("/tmp/zsim-test-host-XXXXXX");

	assert_non_null(mkdtemp(root));
	return root;
}

static void put(const char *root, const char *rel, const char *text)
{
	char *path = zo_asprintf("%s%s", root, rel), *dir = strdup(path), *cmd;
	FILE *f;

	*strrchr(dir, '/') = '\0';
	cmd = zo_asprintf("mkdir -p '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
	free(dir);
}

static void fifo(const char *root, const char *rel)
{
	char *path = zo_asprintf("%s%s", root, rel);

	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	free(path);
}

static void rm_tree(char *root)
{
	char *cmd = zo_asprintf("rm -rf '%s'", root);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(root);
}

static void node_tree(const char *root)
{
	put(root, "/proc/sys/kernel/osrelease", "4.4.0-0sim+\n");
	put(root, "/proc/cpuinfo", "processor\t: 0\naddress sizes\t: 39 bits physical, 48 bits "
				  "virtual\n");
	put(root, "/proc/meminfo", "MemTotal: 1048576 kB\nSwapTotal: 2147483644 kB\n"
				  "SwapFree: 2147483644 kB\n");
	put(root, "/proc/swaps", "Filename Type Size Used Priority\n"
				"/dev/dm-1 partition 2147483644 0 -2\n");
	put(root, "/sys/block/dm-1/dm/name", "zsim-swap\n");
	put(root, "/sys/module/kvm_intel/initstate", "live\n");
	put(root, "/sys/module/kvm_intel/parameters/ept", "Y\n");
}

/* A FIFO, a directory or an endless file in place of a /proc file is
 * reported unreadable, never waited on and never read without bound. */
static void host_files_not_trusted(void **state)
{
	char *root = tree(), big[70000];
	struct zo_hostinfo h;

	(void)state;
	node_tree(root);
	assert_int_equal(zo_hostinfo_read(root, "kvm_intel", "ept", &h), 0);
	assert_int_equal(h.mem_err, 0);
	assert_int_equal(h.bits_err, 0);
	assert_int_equal(h.phys_bits, 39);
	assert_int_equal(h.cpus, 1);
	assert_string_equal(h.swaps[0].dm_name, "zsim-swap");
	zo_hostinfo_release(&h);

	fifo(root, "/proc/meminfo");
	fifo(root, "/proc/cpuinfo");
	fifo(root, "/proc/swaps");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put(root, "/proc/sys/kernel/osrelease", big);
	alarm(20); /* a read that waits fails the test */
	assert_int_equal(zo_hostinfo_read(root, "kvm_intel", "ept", &h), 0);
	alarm(0);
	assert_int_equal(h.mem_err, -ZO_ENOTREG);
	assert_int_equal(h.bits_err, -ZO_ENOTREG);
	assert_int_equal(h.cpus_err, -ZO_ENOTREG);
	assert_int_equal(h.swaps_err, -ZO_ENOTREG);
	assert_int_equal(h.release_err, -EFBIG);
	assert_true(h.mem.mem_total == 0 && h.phys_bits == 0 && h.cpus == 0);
	assert_string_equal(zo_host_strerror(h.mem_err), "not a regular file");
	zo_hostinfo_release(&h);
	rm_tree(root);
}

static void host_figures_not_trusted(void **state)
{
	char *root = tree(), *dir;
	struct zo_hostinfo h;

	(void)state;
	node_tree(root);
	put(root, "/proc/cpuinfo", "processor\t: 0\naddress sizes\t: 200 bits physical, 48 "
				  "bits virtual\n");
	put(root, "/proc/meminfo", "MemTotal: 18014398509481984 kB\nSwapTotal: 0 kB\n"
				  "SwapFree: 0 kB\n");
	put(root, "/proc/swaps", "");
	dir = zo_asprintf("%s/proc/swaps", root);
	unlink(dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	free(dir);
	assert_int_equal(zo_hostinfo_read(root, "kvm_intel", "ept", &h), 0);
	assert_int_equal(h.bits_err, -ERANGE);
	assert_int_equal(h.phys_bits, 0);
	assert_int_equal(h.cpus, 1);
	assert_int_equal(h.mem_err, -ERANGE);
	assert_true(h.mem.mem_total == 0);
	assert_int_equal(h.swaps_err, -EISDIR);
	assert_string_equal(zo_host_strerror(-ERANGE), "a figure no kernel reports");
	zo_hostinfo_release(&h);

	put(root, "/proc/cpuinfo", "model name\t: none\n");
	put(root, "/proc/meminfo", "");
	assert_int_equal(zo_hostinfo_read(root, "kvm_intel", "ept", &h), 0);
	assert_int_equal(h.bits_err, -ENODATA);
	assert_int_equal(h.cpus_err, -ENODATA);
	assert_int_equal(h.mem_err, -ENODATA);
	zo_hostinfo_release(&h);
	rm_tree(root);
}

/* One rule for "loaded", whoever asks: live or coming as a module, or
 * built in (a /sys/module directory without an initstate). */
static void module_active(void **state)
{
	char *root = tree(), *p;
	struct zo_host_module m;

	(void)state;
	node_tree(root);
	assert_int_equal(zo_host_module(root, "kvm_intel", "ept", &m), 0);
	assert_true(zo_host_module_active(&m) && zo_host_module_loaded(&m));
	zo_host_module_release(&m);

	p = zo_asprintf("%s/sys/module/kvm_intel/initstate", root);
	unlink(p);
	free(p);
	assert_int_equal(zo_host_module(root, "kvm_intel", "ept", &m), 0);
	assert_int_equal(m.state, ZO_MODULE_BUILTIN);
	assert_true(zo_host_module_active(&m));
	assert_false(zo_host_module_loaded(&m));
	assert_string_equal(m.value, "Y");
	zo_host_module_release(&m);

	put(root, "/sys/module/kvm_intel/initstate", "going\n");
	assert_int_equal(zo_host_module(root, "kvm_intel", "ept", &m), 0);
	assert_false(zo_host_module_active(&m));
	zo_host_module_release(&m);

	assert_int_equal(zo_host_module(root, "kvm_amd", "npt", &m), 0);
	assert_int_equal(m.state, ZO_MODULE_ABSENT);
	assert_false(zo_host_module_active(&m));
	zo_host_module_release(&m);
	rm_tree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(meminfo),
		cmocka_unit_test(meminfo_absurd),
		cmocka_unit_test(swaps),
		cmocka_unit_test(swaps_absurd),
		cmocka_unit_test(swaps_find_dm),
		cmocka_unit_test(host_files_not_trusted),
		cmocka_unit_test(host_figures_not_trusted),
		cmocka_unit_test(module_active),
		cmocka_unit_test(address_bits),
		cmocka_unit_test(cpus_and_params),
		cmocka_unit_test(devspecs),
		cmocka_unit_test(strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
