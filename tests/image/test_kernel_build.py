"""zsim-orch target kernel build against a real kernel tree: Debian's
linux-source (the image.linux-source fixture), committed to a local git
repository on a branch. One full build of a small kernel (allnoconfig plus
what a Debian 12 target needs: virtio PCI/blk/console, serial console,
ext4, unix sockets, what systemd and qemu-guest-agent need) from --git
--branch, then an incremental one from --tree of the same checkout (the same
O= directory) packaged for centos7 (binrpm-pkg). The config rules are read
back from each package's own /boot/config-RELEASE (dpkg-deb and tar, rpm2cpio
and cpio). Bad
input: a branch or tag that does not exist, a tree that is not a kernel, an
option the kernel does not know: exit 2, named, nothing built.

Leaves the first package for e2e.kernel-install (FIXTURES_SETUP
image_kernel_pkg): $BUILD/tests/image/kernel-build/package.json."""
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

from linux_source import CACHE, linux_source
from zsimtest import ZSIM_ORCH, TestCase, main, command

WORK = os.path.join(CACHE, "kernel-build")
REPO = os.path.join(WORK, "repo")
BRANCH = "zsim-test"
# allnoconfig plus a Debian 12 target's needs (direct kernel boot with the
# guest's own initramfs-tools initrd, compressed with zstd)
TARGET_NEEDS = """
CONFIG_64BIT=y
CONFIG_MODULES=y
CONFIG_PRINTK=y
CONFIG_TTY=y
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_BINFMT_ELF=y
CONFIG_BINFMT_SCRIPT=y
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
CONFIG_RD_ZSTD=y
CONFIG_MULTIUSER=y
CONFIG_SYSVIPC=y
CONFIG_FHANDLE=y
CONFIG_PROC_FS=y
CONFIG_PROC_SYSCTL=y
CONFIG_SYSFS=y
CONFIG_TMPFS=y
CONFIG_TMPFS_POSIX_ACL=y
CONFIG_TMPFS_XATTR=y
CONFIG_DEVTMPFS=y
CONFIG_DEVTMPFS_MOUNT=y
CONFIG_INOTIFY_USER=y
CONFIG_CGROUPS=y
CONFIG_NET=y
CONFIG_UNIX=y
CONFIG_INET=y
CONFIG_PCI=y
CONFIG_ACPI=y
CONFIG_BLOCK=y
CONFIG_BLK_DEV=y
CONFIG_VIRTIO_MENU=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_BLK=y
CONFIG_VIRTIO_CONSOLE=y
CONFIG_EXT4_FS=y
CONFIG_SWAP=y
CONFIG_CRYPTO=y
CONFIG_UNIX98_PTYS=y
"""


def git(*args, cwd=REPO):
    return subprocess.run(["git", "-c", "user.name=zsim", "-c", "user.email=zsim@localhost",
                           *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


# What an x86 build never reads, left out of the repository to make it and
# its checkout a third smaller (about 27 000 of 78 000 files): the other
# architectures (but their Kconfig files), the documentation (but the
# Kconfig the top one sources), the selftests.
PRUNE = ["Documentation", "tools/testing"]


# Where this config builds something (under drivers/, fs/, net/, sound/):
# elsewhere there only what kconfig and make's descent read stays (Kconfig,
# Makefile, Kbuild) and the headers, about 22 000 more files. A build that
# needs a pruned file fails naming it: add its directory here.
BUILT = {"drivers": ["acpi", "base", "block", "char", "clocksource", "firmware", "input",
                     "pci", "pnp", "rtc", "tty", "video", "virtio"],
         "drivers/net": [],      # its loopback.c is at the top
         "fs": ["devpts", "exportfs", "ext4", "iomap", "jbd2", "kernfs", "nls", "notify",
                "proc", "ramfs", "sysfs"],
         "net": ["core", "ethernet", "ethtool", "ipv4", "ipv6", "netlink", "sched", "unix"],
         "sound": []}


def prune_unbuilt(repo):
    for top, built in BUILT.items():
        for sub in os.listdir(os.path.join(repo, top)):
            path = os.path.join(repo, top, sub)
            if sub in built or not os.path.isdir(path) or top + "/" + sub in BUILT:
                continue
            for d, _, files in os.walk(path):
                for name in files:
                    if not (name.startswith("Kconfig") or name in ("Makefile", "Kbuild")
                            or name.endswith(".h")):
                        os.unlink(os.path.join(d, name))


def prune(repo):
    prune_unbuilt(repo)
    for name in PRUNE:
        shutil.rmtree(os.path.join(repo, name))
    os.makedirs(os.path.join(repo, "Documentation"))
    with open(os.path.join(repo, "Documentation", "Kconfig"), "w") as f:
        f.write("# left out of the test repository\n")
    # of the other architectures only their Kconfig files (crypto/Kconfig
    # sources every arch/*/crypto/Kconfig)
    for arch in os.listdir(os.path.join(repo, "arch")):
        path = os.path.join(repo, "arch", arch)
        if arch == "x86" or not os.path.isdir(path):
            continue
        for d, _, files in os.walk(path):
            for name in files:
                if not name.startswith("Kconfig"):
                    os.unlink(os.path.join(d, name))


def make_repo(tree):
    """A git repository of the tree on BRANCH (files hard-linked, so no
    second copy), kept while the tree is the same."""
    stamp = os.path.join(WORK, "repo.stamp")
    want = (f"{os.path.realpath(tree)} pruned {' '.join(PRUNE)} arch/!x86 but Kconfig, "
            f"unbuilt but Kconfig, Makefile, headers: {json.dumps(BUILT, sort_keys=True)}\n")
    if os.path.exists(stamp) and open(stamp).read() == want:
        return
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    t0 = time.monotonic()
    subprocess.run(["cp", "-al", tree, REPO], check=True)
    # the image.kernel test configures the shared tree in place
    for name in (".config", ".config.old", "include/config", "include/generated"):
        p = os.path.join(REPO, name)
        if os.path.isdir(p):
            shutil.rmtree(p)
        elif os.path.exists(p):
            os.unlink(p)
    prune(REPO)
    git("init", "-q", "-b", BRANCH)
    # no repacking of the 75 000 loose objects behind the build's back
    git("config", "gc.auto", "0")
    # Debian's .gitignore ignores every top-level entry
    git("add", "-A", "-f")
    git("commit", "-q", "-m", "linux-source")
    git("tag", "v-zsim-test")
    with open(stamp, "w") as f:
        f.write(want)
    print(f"MEASURE git repository of the linux-source tree: {time.monotonic() - t0:.0f} s")


def base_config(path):
    """allnoconfig with the target's needs, made by the tree's own kconfig."""
    obj = tempfile.mkdtemp(prefix="allno.", dir=WORK)
    frag = os.path.join(obj, "needs.config")
    with open(frag, "w") as f:
        f.write(TARGET_NEEDS)
    subprocess.run(["make", "-s", "-C", REPO, f"O={obj}", f"KCONFIG_ALLCONFIG={frag}",
                    "allnoconfig"], check=True, capture_output=True)
    shutil.copy(os.path.join(obj, ".config"), path)
    shutil.rmtree(obj)


def config_values(text):
    values = {}
    for line in text.splitlines():
        m = re.match(r"^CONFIG_(\w+)=(.*)$", line)
        if m:
            values[m.group(1)] = m.group(2)
        m = re.match(r"^# CONFIG_(\w+) is not set$", line)
        if m:
            values[m.group(1)] = "n"
    return values


def package_config(deb, release):
    """/boot/config-RELEASE as the package holds it (dpkg-deb and tar)."""
    tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True,
                         capture_output=True).stdout
    return subprocess.run(["tar", "-xO", f"./boot/config-{release}"], input=tar, check=True,
                          capture_output=True).stdout.decode()


class KernelBuild(TestCase):
    @classmethod
    def setUpClass(cls):
        make_repo(linux_source())
        cls.state = os.path.join(WORK, "state")
        # the clone and its O= directory stay (as on a host: a second run
        # builds incrementally); the packages are made anew
        shutil.rmtree(os.path.join(cls.state, "kernels", "packages"), ignore_errors=True)
        os.makedirs(cls.state, exist_ok=True)
        cls.conf = os.path.join(WORK, "zsim.conf")
        with open(cls.conf, "w") as f:
            f.write(f"[host]\nrequire_0sim = no\n[target]\nbase_profile = debian12\n"
                    f"[paths]\nstate = {cls.state}\n")
        cls.base = os.path.join(WORK, "base.config")
        base_config(cls.base)

    def zo(self, *args, timeout=120):
        res = command(ZSIM_ORCH, "--config", self.conf, *args, timeout=timeout)
        print(f"$ zsim-orch {' '.join(args)} -> {res.rc}\n{res.out}{res.err}")
        return res

    def packages(self):
        return sorted(glob.glob(os.path.join(self.state, "kernels", "packages", "*")))

    def test_bad_input_changes_nothing(self):
        before = self.packages()
        res = self.zo("target", "kernel", "build", "--git", REPO, "--branch", "no-such-branch",
                      "--base-config", self.base)
        self.assertRun(res, 2)
        self.assertIn(f"--branch no-such-branch: {REPO} has no branch no-such-branch", res.err)
        res = self.zo("target", "kernel", "build", "--git", REPO, "--branch", "v-no-such-tag",
                      "--tag", "--base-config", self.base)
        self.assertRun(res, 2)
        self.assertIn("has no tag v-no-such-tag", res.err)
        notkernel = tempfile.mkdtemp(dir=WORK)
        with open(os.path.join(notkernel, "Makefile"), "w") as f:
            f.write("all:\n")
        res = self.zo("target", "kernel", "build", "--tree", notkernel, "--base-config",
                      self.base)
        self.assertRun(res, 2)
        self.assertIn(f"--tree {notkernel} is not a Linux kernel source tree (no Kconfig)",
                      res.err)
        res = self.zo("target", "kernel", "build", "--tree", REPO, "+CONFIG_ZSIM_NO_SUCH",
                      "--base-config", self.base)
        self.assertRun(res, 2)
        self.assertIn("+CONFIG_ZSIM_NO_SUCH: this kernel does not know CONFIG_ZSIM_NO_SUCH",
                      res.err)
        res = self.zo("target", "kernel", "build", "--tree", REPO, "+CONFIG_zswap")
        self.assertRun(res, 2)
        self.assertIn("+CONFIG_zswap: use +CONFIG_NAME or -CONFIG_NAME", res.err)
        self.assertEqual(self.packages(), before)
        self.assertEqual(glob.glob(os.path.join(self.state, "kernels", "src", "no-such*")), [])

    def test_build_from_a_branch_then_from_the_tree(self):
        commit = git("rev-parse", "HEAD")
        t0 = time.monotonic()
        res = self.zo("target", "kernel", "build", "--git", REPO, "--branch", BRANCH,
                      "--base-config", self.base, "+CONFIG_IKCONFIG", "-CONFIG_ZSMALLOC",
                      timeout=1500)
        full = time.monotonic() - t0
        self.assertRun(res, 0)
        print(f"MEASURE target kernel build (clone + full build + bindeb-pkg): {full:.0f} s")
        deb = re.search(r"^package: (.*)$", res.out, re.M).group(1)
        release = re.search(r"^release: (.*)$", res.out, re.M).group(1)
        self.assertTrue(release.endswith(f"-{BRANCH}-{commit[:12]}"), release)
        self.assertEqual(os.path.dirname(deb), os.path.join(self.state, "kernels", "packages"))
        self.assertEqual(subprocess.run(["dpkg-deb", "-f", deb, "Package"], check=True,
                                        capture_output=True, text=True).stdout.strip(),
                         f"linux-image-{release}")
        # packed with gzip (KDEB_COMPRESS), not dpkg-deb's slow default xz
        self.assertIn("data compression gz", subprocess.run(
            ["file", deb], check=True, capture_output=True, text=True).stdout)
        got = config_values(package_config(deb, release))
        want = {"ZSWAP": "y", "ZPOOL": "y", "ZBUD": "y", "RANDOM_TRUST_CPU": "y",
                "IKCONFIG": "y",      # +CONFIG_IKCONFIG
                "ZSMALLOC": "n",      # -CONFIG_ZSMALLOC after the rule's ZSMALLOC=y
                "VIRTIO_BLK": "y", "EXT4_FS": "y", "UNIX": "y"}
        self.assertEqual({k: got.get(k, "absent") for k in want}, want)
        # off: set so, or not offered at all (allnoconfig has no
        # SPECULATION_MITIGATIONS menu to hold them)
        for name in ("PAGE_TABLE_ISOLATION", "RETPOLINE"):
            self.assertIn(got.get(name, "absent"), ("n", "absent"), name)
        # what the rules ask and this kernel cannot give is named, not
        # fatal: the 0sim-only options, and FRAME_POINTER, which x86 only
        # gives with the frame-pointer unwinder (not in the rules, as not
        # in the runner's); the user's -CONFIG_ZSMALLOC is not a shortfall
        self.assertNotIn("ZTIER", got)
        self.assertIn("this kernel has no CONFIG_ZTIER CONFIG_SBALLOC CONFIG_FRAME_POINTER "
                      "(setup00001 turns them on", res.err)
        with open(os.path.join(WORK, "package.json"), "w") as f:
            json.dump({"package": deb, "release": release}, f)

        # the same checkout as --tree, for centos7: the same O= directory, so
        # incremental (an option few files read, so that only they are built
        # again), packaged by binrpm-pkg; the RPM read with rpm and rpm2cpio
        tree = glob.glob(os.path.join(self.state, "kernels", "src", f"{BRANCH}-*"))
        self.assertEqual(len(tree), 1)
        t0 = time.monotonic()
        res = self.zo("target", "kernel", "build", "--tree", tree[0], "--profile", "centos7",
                      "--base-config", self.base, "-CONFIG_IKCONFIG", "-CONFIG_ZSMALLOC",
                      timeout=1500)
        self.assertRun(res, 0)
        print(f"MEASURE target kernel build --tree --profile centos7, same O= (incremental, "
              f"binrpm-pkg): {time.monotonic() - t0:.0f} s")
        rpm = re.search(r"^package: (.*)$", res.out, re.M).group(1)
        release2 = re.search(r"^release: (.*)$", res.out, re.M).group(1)
        self.assertEqual(release2, f"{release.split('-')[0]}-zsim-{commit[:12]}")
        self.assertEqual(os.path.dirname(rpm), os.path.join(self.state, "kernels", "packages"))
        self.assertEqual(subprocess.run(["rpm", "-qp", "--qf", "%{NAME} %{VERSION} %{ARCH}",
                                         rpm], check=True, capture_output=True,
                                        text=True).stdout,
                         f"kernel {release2.replace('-', '_')} x86_64")
        cpio = subprocess.run(["rpm2cpio", rpm], check=True, capture_output=True).stdout
        config = subprocess.run(["cpio", "-i", "--quiet", "--to-stdout",
                                 f"./boot/config-{release2}"], input=cpio, check=True,
                                capture_output=True).stdout.decode()
        got = config_values(config)
        self.assertEqual((got.get("IKCONFIG", "n"), got.get("ZSMALLOC"), got.get("ZSWAP")),
                         ("n", "n", "y"))
        self.assertTrue(os.path.exists(deb), "the second build removed the first package")

if __name__ == "__main__":
    main()
