"""target kernel build/install without building or booting: the --dry-run
plans (the RPM path for centos7, which this Debian host cannot boot), the
script install runs in the guest (shellchecked), and every bad input that
is caught before a build or a boot: exit 2, named, nothing changed. The
build itself is in the image tier (image.kernel_build), the install and its
boot in the e2e tier (e2e.kernel-install)."""
import hashlib
import os
import shutil
import subprocess
import tempfile

from zsimtest import TestCase, main, run


class Kernel(TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="zsim-kernel.")
        self.state = os.path.join(self.tmp, "state")
        # just enough of a kernel tree for the tree check
        self.tree = os.path.join(self.tmp, "linux")
        for name in ("Makefile", "Kconfig", "scripts/config", "arch/x86/Kconfig"):
            os.makedirs(os.path.dirname(os.path.join(self.tree, name)), exist_ok=True)
            open(os.path.join(self.tree, name), "w").close()
        self.base = os.path.join(self.tmp, "base.qcow2")
        with open(self.base, "wb") as f:
            f.write(b"QFI\xfb" + b"\0" * 1020)
        self.base_sum = hashlib.sha256(open(self.base, "rb").read()).hexdigest()
        self.conf = os.path.join(self.tmp, "zsim.conf")
        self.write_conf("debian12")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def write_conf(self, profile):
        with open(self.conf, "w") as f:
            f.write(f"[host]\nrequire_0sim = no\n[target]\nbase_image = {self.base}\n"
                    f"base_sha256 = {self.base_sum}\nbase_profile = {profile}\n"
                    f"[paths]\nstate = {self.state}\n")

    def zo(self, *args):
        return run("--config", self.conf, *args)

    def assertUnchanged(self, conf_before):
        with open(self.conf) as f:
            self.assertEqual(f.read(), conf_before)
        self.assertEqual(hashlib.sha256(open(self.base, "rb").read()).hexdigest(),
                         self.base_sum)
        # (the host lock makes the state directory; nothing may go into it)
        made = [os.path.join(d, n) for d, dirs, files in os.walk(self.state)
                for n in dirs + files]
        self.assertEqual(made, [], "the state directory was written")

    def deb(self, name, files):
        """A real .deb (dpkg-deb --build) holding `files`."""
        root = os.path.join(self.tmp, name + ".root")
        os.makedirs(os.path.join(root, "DEBIAN"))
        with open(os.path.join(root, "DEBIAN", "control"), "w") as f:
            f.write(f"Package: {name}\nVersion: 1\nArchitecture: amd64\n"
                    "Maintainer: zsim <zsim@localhost>\nDescription: test\n")
        for path in files:
            os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
            open(os.path.join(root, path), "w").close()
        out = os.path.join(self.tmp, name + ".deb")
        subprocess.run(["dpkg-deb", "--build", root, out], check=True, capture_output=True)
        return out

    def test_build_plan_for_centos7(self):
        res = self.zo("--dry-run", "target", "kernel", "build", "--tree", self.tree,
                      "--profile", "centos7", "--base-config", "/boot/config-x",
                      "+CONFIG_KSM", "-CONFIG_ZBUD")
        self.assertRun(res, 0)
        self.assertIn(f"{self.tree}/scripts/config --file ", res.out)
        self.assertIn(" --enable ZSWAP --enable ZPOOL --enable ZBUD --enable ZTIER --enable "
                      "SBALLOC --enable ZSMALLOC --enable FRAME_POINTER --enable "
                      "RANDOM_TRUST_CPU --disable PAGE_TABLE_ISOLATION --disable RETPOLINE "
                      "--enable KSM --disable ZBUD --disable LOCALVERSION_AUTO --set-str "
                      "LOCALVERSION -zsim\n", res.out)
        self.assertIn(f"make -C {self.tree} O={self.state}/kernels/build/linux-", res.out)
        self.assertRegex(res.out, r"obj LOCALVERSION= -j\d+ binrpm-pkg RPMOPTS=--define \"_topdir "
                                  rf"{self.state}/kernels/build/linux-\w+/rpmbuild\"\n")
        self.assertIn("package: ", res.out)
        self.assertUnchanged(open(self.conf).read())

    def test_build_plan_from_git(self):
        res = self.zo("--dry-run", "target", "kernel", "build", "--git",
                      "https://example.org/0sim.git", "--branch", "markm_instrumented")
        self.assertRun(res, 0)
        self.assertIn("git ls-remote --exit-code https://example.org/0sim.git "
                      "refs/heads/markm_instrumented\n", res.out)
        self.assertIn(f"git clone --quiet --no-checkout https://example.org/0sim.git "
                      f"{self.state}/kernels/src/markm-instrumen-", res.out)
        self.assertIn(" --set-str LOCALVERSION -markm-instrumen\n", res.out)
        self.assertIn(" -c gc.auto=0 fetch --quiet origin "
                      "+refs/heads/markm_instrumented:refs/remotes/origin/markm_instrumented\n",
                      res.out)
        self.assertIn("# base config: the target's /boot/config-$(uname -r)", res.out)
        self.assertIn(" bindeb-pkg KDEB_COMPRESS=gzip\n", res.out)

    def test_build_bad_input(self):
        with open(self.conf) as f:
            before = f.read()
        notkernel = os.path.join(self.tmp, "notkernel")
        os.makedirs(notkernel)
        configured = os.path.join(self.tmp, "configured")
        shutil.copytree(self.tree, configured)
        open(os.path.join(configured, ".config"), "w").close()
        cases = [
            ((), "'target kernel build' needs one source: --tree DIR or --git URL --branch B"),
            (("--tree", self.tree, "--git", "x"), "needs one source"),
            (("--git", "x"), "--git x needs --branch B"),
            (("--tree", self.tree, "--branch", "b"), "--branch and --tag go with --git URL"),
            (("--tree", self.tree, "+CONFIG_zswap"), "+CONFIG_zswap: use +CONFIG_NAME or"),
            (("--tree", self.tree, "--profile", "suse"), "--profile suse: use centos7 or"),
            (("--tree", self.tree, "extra"), "takes no operand 'extra'"),
            (("--tree", notkernel), f"--tree {notkernel} is not a Linux kernel source tree "
                                    "(no Makefile)"),
            (("--tree", configured), f"--tree {configured} has been configured in place (it "
                                     "has .config)"),
            (("--tree", self.tree, "--base-config", os.path.join(self.tmp, "nope")),
             "--base-config " + os.path.join(self.tmp, "nope") + ": No such file"),
        ]
        for args, msg in cases:
            with self.subTest(args=args):
                res = self.zo("target", "kernel", "build", *args)
                self.assertRun(res, 2)
                self.assertIn(msg, res.err)
        # no distribution to build for
        with open(self.conf, "w") as f:
            f.write(f"[paths]\nstate = {self.state}\n")
        res = self.zo("target", "kernel", "build", "--tree", self.tree)
        self.assertRun(res, 2)
        self.assertIn("no target distribution: [target] base_profile is not set", res.err)
        with open(self.conf, "w") as f:
            f.write(before)
        self.assertUnchanged(before)

    def test_install_bad_input(self):
        with open(self.conf) as f:
            before = f.read()
        fake_rpm = os.path.join(self.tmp, "kernel.rpm")
        with open(fake_rpm, "wb") as f:
            f.write(bytes([0xed, 0xab, 0xee, 0xdb, 3, 0, 0, 0]) + b"\0" * 88)
        notkernel = self.deb("hello", ["usr/bin/hello"])
        cases = [
            ((), "'target kernel install' takes one package"),
            ((os.path.join(self.tmp, "nope.deb"),), "nope.deb: No such file"),
            ((self.conf,), f"{self.conf} is neither a deb nor an RPM package"),
            ((fake_rpm,), f"{fake_rpm} is an RPM package, and the base {self.base} "
                          "(debian12) installs deb packages"),
            ((notkernel,), f"{notkernel} is not a kernel package (no /boot/vmlinuz-RELEASE"),
        ]
        for args, msg in cases:
            with self.subTest(args=args):
                res = self.zo("target", "kernel", "install", *args)
                self.assertRun(res, 2)
                self.assertIn(msg, res.err)
        self.write_conf("centos7")
        kernel = self.deb("linux-image-6.1.0-zsim", ["boot/vmlinuz-6.1.0-zsim"])
        res = self.zo("target", "kernel", "install", kernel)
        self.assertRun(res, 2)
        self.assertIn("is a deb package, and the base", res.err)
        self.assertIn("(centos7) installs RPM packages", res.err)
        self.write_conf("debian12")
        self.assertUnchanged(before)

    def test_install_plan_and_the_guest_script(self):
        kernel = self.deb("linux-image-6.1.0-zsim", ["boot/vmlinuz-6.1.0-zsim",
                                                     "boot/config-6.1.0-zsim"])
        res = self.zo("--dry-run", "target", "kernel", "install", kernel)
        self.assertRun(res, 0)
        self.assertIn("# the script run in the copy (sh -c SCRIPT sh 6.1.0-zsim "
                      "linux-image-6.1.0-zsim.deb deb):\n", res.out)
        self.assertIn("check that `uname -r` is 6.1.0-zsim", res.out)
        self.assertIn("make it the boot loader's default", res.out)
        script = res.out.split(":\n", 1)[1].split("\n# would copy")[0]
        path = os.path.join(self.tmp, "install.sh")
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + script + "\n")
        sc = subprocess.run(["shellcheck", "-s", "sh", path], capture_output=True, text=True)
        self.assertEqual(sc.returncode, 0, sc.stdout)
        self.assertUnchanged(open(self.conf).read())


if __name__ == "__main__":
    main()
