"""kernel/build-rpm merges kernel/0sim.config into a real kernel tree
(Debian's linux-source, with Debian's own config as the base) using the
tree's merge_config.sh and olddefconfig: the upstream options stick, the
0sim-only ones are named as missing (exit 3), never dropped silently.
kernel/mkspec-0sim renames the package in the tree's real mkspec output."""
import os
import re
import tempfile

from linux_source import linux_source
from zsimtest import SOURCE_DIR, TestCase, main, command as run

BUILD_RPM = os.path.join(SOURCE_DIR, "kernel", "build-rpm")
MKSPEC = os.path.join(SOURCE_DIR, "kernel", "mkspec-0sim")
FRAGMENT = os.path.join(SOURCE_DIR, "kernel", "0sim.config")
ZEROSIM_ONLY = ["CONFIG_ZTIER", "CONFIG_SBALLOC",
                "CONFIG_X86_TSC_OFFSET_HOST_ELAPSED", "CONFIG_SSDSWAP"]


def debian_config(tree):
    """Debian's config for the same kernel series as the source tree."""
    series = os.path.basename(tree)[len("linux-source-"):]
    configs = sorted(c for c in os.listdir("/boot")
                     if c.startswith(f"config-{series}."))
    if not configs:
        raise AssertionError(f"no /boot/config-{series}.* to use as the base; "
                             "install linux-image-amd64")
    return os.path.join("/boot", configs[-1])


def config_values(path):
    values = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"^(CONFIG_\w+)=(.*)$", line)
            if m:
                values[m.group(1)] = m.group(2)
            m = re.match(r"^# (CONFIG_\w+) is not set$", line)
            if m:
                values[m.group(1)] = "n"
    return values


class Merge(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tree = linux_source()
        cls.base = debian_config(cls.tree)

    def merge(self, *extra):
        return run(BUILD_RPM, "--merge-only", "--base-config", self.base,
                   "--commit", "0123456789ab", *extra, self.tree)

    def test_upstream_options_stick_0sim_ones_are_reported(self):
        res = self.merge()
        self.assertRun(res, 3)
        reported = re.findall(r"^  (CONFIG_\w+): wanted y, got n: this "
                              r"kernel's Kconfig does not define", res.err, re.M)
        self.assertEqual(sorted(reported), sorted(ZEROSIM_ONLY), res.err)
        # Nothing else was reported: the count line names exactly four.
        self.assertRegex(res.err, r"build-rpm: 4 of \d+ requested options did not stick")
        self.assertEqual(len(re.findall(r"^  CONFIG_", res.err, re.M)), 4, res.err)
        got = config_values(os.path.join(self.tree, ".config"))
        want = {
            "CONFIG_ZSWAP": "y", "CONFIG_ZPOOL": "y", "CONFIG_ZBUD": "y",
            "CONFIG_ZSMALLOC": "y",          # Debian has m: the fragment won
            "CONFIG_PAGE_TABLE_ISOLATION": "n", "CONFIG_RETPOLINE": "n",
            "CONFIG_FRAME_POINTER": "y", "CONFIG_UNWINDER_FRAME_POINTER": "y",
            "CONFIG_UNWINDER_ORC": "n",
            "CONFIG_KVM": "m", "CONFIG_KVM_INTEL": "m",
            "CONFIG_BLK_DEV_DM": "m", "CONFIG_DM_THIN_PROVISIONING": "m",
            "CONFIG_BLK_DEV_LOOP": "m", "CONFIG_DEBUG_FS": "y",
            "CONFIG_LOCALVERSION": '"-0sim-g0123456789ab"',
            "CONFIG_LOCALVERSION_AUTO": "n",
        }
        self.assertEqual({k: got.get(k, "n") for k in want}, want)
        for name in ZEROSIM_ONLY:
            self.assertNotIn(name, got)
        # Debian's base really differed, so the merge did the work.
        base = config_values(self.base)
        self.assertEqual(base["CONFIG_PAGE_TABLE_ISOLATION"], "y")
        self.assertEqual(base["CONFIG_ZSMALLOC"], "m")

    def test_upstream_only_fragment_passes(self):
        with tempfile.NamedTemporaryFile("w", suffix=".config") as frag:
            with open(FRAGMENT) as f:
                for line in f:
                    if not any(line.startswith(n + "=") for n in ZEROSIM_ONLY):
                        frag.write(line)
            frag.flush()
            res = self.merge("--fragment", frag.name)
        self.assertRun(res, 0)
        self.assertRegex(res.out, r"build-rpm: all \d+ requested options are set as asked")

    def test_option_blocked_by_dependencies_is_reported_as_such(self):
        with tempfile.NamedTemporaryFile("w", suffix=".config") as frag:
            frag.write("# CONFIG_KVM is not set\nCONFIG_KVM_INTEL=m\n")
            frag.flush()
            res = self.merge("--fragment", frag.name)
        self.assertRun(res, 3)
        self.assertIn("CONFIG_KVM_INTEL: wanted m, got n: its dependencies "
                      "or a select override it", res.err)
        self.assertIn("1 of 4 requested options did not stick", res.err)

    def test_dry_run_prints_the_steps_and_changes_nothing(self):
        config = os.path.join(self.tree, ".config")
        before = os.stat(config).st_mtime_ns if os.path.exists(config) else None
        res = run(BUILD_RPM, "--dry-run", "--base-config", self.base,
                  "--commit", "abc", "--jobs", "3", "--output", "/tmp/rpms",
                  self.tree)
        self.assertRun(res, 0)
        lines = [l for l in res.out.splitlines() if l.startswith("+ ")]
        self.assertEqual(lines[0], f"+ cp {self.base} {self.tree}/.config")
        self.assertRegex(lines[2], r"^\+ sh \S+/scripts/kconfig/merge_config.sh "
                                   r"-m \.config \S+/kernel/0sim\.config \S+/localversion\.config$")
        self.assertEqual(lines[3], "+ make -s olddefconfig")
        self.assertIn(f"+ make -j3 binrpm-pkg MKSPEC={MKSPEC} "
                      "RPMOPTS=--define '_topdir /tmp/rpms'", lines)
        self.assertIn("local version -0sim-gabc", res.out)
        after = os.stat(config).st_mtime_ns if os.path.exists(config) else None
        self.assertEqual(before, after)

    def test_a_tree_without_git_needs_commit(self):
        res = run(BUILD_RPM, "--dry-run", "--base-config", self.base, self.tree)
        self.assertRun(res, 1)
        self.assertIn("is not a git checkout: pass --commit ID", res.err)

    def test_local_version_names_the_trees_commit(self):
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "scripts/kconfig"))
            for name in ("Makefile", "scripts/kconfig/merge_config.sh"):
                open(os.path.join(d, name), "w").close()
            git = ["git", "-C", d, "-c", "user.name=t", "-c", "user.email=t@t"]
            self.assertRun(run(*git, "init", "-q"), 0)
            self.assertRun(run(*git, "add", "."), 0)
            self.assertRun(run(*git, "commit", "-qm", "tree"), 0)
            head = run(*git, "rev-parse", "--short=12", "HEAD").out.strip()
            res = run(BUILD_RPM, "--dry-run", "--base-config", self.base, d)
            self.assertRun(res, 0)
            self.assertIn(f"local version -0sim-g{head}\n", res.out)
            with open(os.path.join(d, "Makefile"), "w") as f:
                f.write("changed\n")
            res = run(BUILD_RPM, "--dry-run", "--base-config", self.base, d)
            self.assertIn(f"local version -0sim-g{head}.dirty\n", res.out)

    def test_bad_arguments(self):
        self.assertRun(run(BUILD_RPM), 2)
        res = run(BUILD_RPM, "--commit", "a;b", self.tree)
        self.assertRun(res, 2)
        res = run(BUILD_RPM, "--merge-only", "/")
        self.assertRun(res, 1)
        self.assertIn("/ is not a kernel source tree", res.err)


class Mkspec(TestCase):
    def test_renames_the_package_in_the_trees_own_spec(self):
        tree = linux_source()
        res = run("sh", MKSPEC, "prebuilt", cwd=tree,
                  env={"srctree": tree, "KERNELRELEASE": "6.1.0-0sim-gabc"})
        self.assertRun(res, 0)
        self.assertIn("\nName: kernel-0sim\n", "\n" + res.out)
        self.assertNotRegex(res.out, r"(?m)^Name: kernel$")
        self.assertIn("Version: 6.1.0_0sim_gabc", res.out)

    def test_fails_when_the_spec_has_no_kernel_name(self):
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "scripts/package"))
            with open(os.path.join(d, "scripts/package/mkspec"), "w") as f:
                f.write("echo 'Name: linux'\n")
            res = run("sh", MKSPEC, env={"srctree": d})
        self.assertRun(res, 1)
        self.assertIn("expected one 'Name: kernel' line", res.err)


if __name__ == "__main__":
    main()
