"""The vm tier: Debian's stock kernel under QEMU (TCG) with a busybox
initramfs that carries the freshly built zsim-orch, its libraries, the
kernel modules storage needs and independent checking tools; a shell script
runs inside the guest and its verdict is read from the serial console.

    python3 -m zsimtest.vm build OUT.cpio --orch PATH      build the base initramfs
    python3 -m zsimtest.vm run SCRIPT --initramfs OUT.cpio [--disk FILE:SERIAL]...
                                                            boot once, print the console

(with tests/lib on PYTHONPATH). Tests build() once (the vm.initramfs ctest
fixture), then boot() per step through VMTestCase.
"""
import argparse
import os
import re
import shutil
import sys
import tempfile
import time

from . import initramfs, qemu
from .case import HarnessError, Missing, TestCase, main, need, script  # noqa: F401 (main: for tests)
from .env import SOURCE_DIR, VM_INITRAMFS

GUEST = os.path.join(SOURCE_DIR, "tests", "vm", "guest")
GIB = 1 << 30
MIB = 1 << 20

# Modules the storage tests need, loaded by /init in this order. libcrc32c
# takes crc32c through a soft dependency, which --show-depends does not
# always list, so crc32c_generic is named outright.
MODULES = ["virtio_pci", "virtio_blk", "crc32c_generic", "loop", "dm_mod",
           "dm_thin_pool", "ext4", "xfs"]

# Real tools, so tests check effects with something other than zsim-orch.
TOOLS = ["dmsetup", "blkid", "mkfs.ext4", "losetup", "mkswap", "swapon",
         "swapoff", "wipefs", "kmod", "kexec", "sfdisk", "mkfs.xfs", "mount", "cp",
         "setfattr", "getfattr"]
KMOD_LINKS = ["modprobe", "insmod", "rmmod", "lsmod", "depmod", "modinfo"]

RESULT_RE = re.compile(r"^ZSIM-VM-RESULT: rc=(\d+)\s*$", re.M)
DATA_RE = re.compile(r"^ZSIM-VM-DATA: (\S+)=(.*?)\s*$", re.M)


def build(out_path, orch):
    """Build the base initramfs (an uncompressed newc cpio: TCG unpacks it
    faster than it would gunzip) at `out_path`, atomically."""
    rel = initramfs.kernel_release()
    if not os.access(orch, os.X_OK):
        raise HarnessError(f"{orch}: zsim-orch not built")
    root = tempfile.mkdtemp(prefix="zsim-vm-root.")
    try:
        initramfs.busybox_tree(root, ("bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys",
                                      "dev", "run", "tmp", "etc", "var/lib", "mnt", "test"))
        # Real tools replace busybox's applets of the same name.
        for tool in TOOLS:
            src = need(tool)
            initramfs.drop_applet(root, tool)
            initramfs.copy_binary(src, root, "/usr/sbin/" + tool)
        initramfs.install_kmod(root, KMOD_LINKS)
        initramfs.copy_binary(orch, root, "/usr/sbin/zsim-orch")
        initramfs.install_modules(root, rel, MODULES)

        with open(os.path.join(root, "etc/modules-load"), "w") as f:
            f.write("\n".join(MODULES) + "\n")
        for name, dest, mode in (("init", "init", 0o755), ("lib.sh", "test/lib.sh", 0o644)):
            shutil.copy(os.path.join(GUEST, name), os.path.join(root, dest))
            os.chmod(os.path.join(root, dest), mode)
        initramfs.root_only_etc(root)

        tmp = out_path + ".tmp"
        initramfs.write_cpio(root, tmp)
        os.rename(tmp, out_path)
    finally:
        shutil.rmtree(root)
    return out_path


class Boot:
    def __init__(self, rc, console, seconds):
        self.rc = rc
        self.console = console
        self.seconds = seconds
        self.data = dict(DATA_RE.findall(console))

    def __repr__(self):
        return f"<boot rc={self.rc} {self.seconds:.1f}s>"


def boot(initramfs_path, script_text, disks=(), timeout=90, memory_mb=1024, env=None,
         files=None, handover=None):
    """Boot once with `script_text` as /test/run. `disks` is a list of
    (file, serial) pairs attached as virtio disks in that order; `files`
    maps guest paths to host files added to the initramfs. A guest that
    hands over to another kernel (kexec) prints no verdict: a match of the
    `handover` pattern then ends the boot, with rc None. Returns a Boot;
    raises HarnessError when the guest gives no verdict in time."""
    kernel = initramfs.kernel_image()
    work = tempfile.mkdtemp(prefix="zsim-vm-boot.")
    try:
        extra = os.path.join(work, "extra")
        os.makedirs(os.path.join(extra, "test"))
        with open(os.path.join(extra, "test/run"), "w") as f:
            for key, value in (env or {}).items():
                f.write(f"{key}='{value}'\n")
            f.write(script_text)
        for dest, src in (files or {}).items():
            initramfs.copy_file(src, extra, dest)
        combined = os.path.join(work, "initramfs.cpio")
        initramfs.write_cpio(extra, os.path.join(work, "extra.cpio"))
        with open(combined, "wb") as out:
            for part in (initramfs_path, os.path.join(work, "extra.cpio")):
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
        args = ["-kernel", kernel, "-initrd", combined,
                "-append", "console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init"]
        for i, (path, serial) in enumerate(disks):
            args += ["-drive", f"file={path},format=raw,if=none,id=d{i},cache=unsafe",
                     "-device", f"virtio-blk-pci,drive=d{i},serial={serial}"]
        try:
            res = qemu.boot(*args, memory_mb=memory_mb, timeout=timeout)
        except HarnessError as e:
            raise HarnessError(f"no verdict from the guest: {e}") from None
        m = RESULT_RE.search(res.console)
        if not m and handover and re.search(handover, res.console, re.M):
            return Boot(None, res.console, res.seconds)
        if not m:
            raise HarnessError(f"qemu exited {res.rc} without a verdict; console:\n"
                               f"{qemu.tail(res.console)}")
        return Boot(int(m.group(1)), res.console, res.seconds)
    finally:
        shutil.rmtree(work)


def sparse_disk(path, size):
    with open(path, "wb") as f:
        f.truncate(size)
    return path


class VMTestCase(TestCase):
    """Disks in a scratch directory, one boot per step, failures that show
    the guest's console."""

    def setUp(self):
        if not os.path.exists(VM_INITRAMFS):
            raise Missing(f"no initramfs at '{VM_INITRAMFS}': the vm.initramfs test "
                          "builds it (ctest -L vm runs it first)")
        self.scratch = tempfile.mkdtemp(prefix="zsim-vmtest.")

    def tearDown(self):
        shutil.rmtree(self.scratch)

    def disk(self, serial, size=GIB):
        """A sparse disk file; attach it as (path, serial)."""
        return (sparse_disk(os.path.join(self.scratch, serial), size), serial)

    def boot(self, script_text, disks=(), rc=0, timeout=90):
        """Boot once, fail with the console unless the script exits `rc`."""
        try:
            res = boot(VM_INITRAMFS, script_text, disks, timeout=timeout)
        except HarnessError as e:
            self.fail(str(e))
        print(f"--- boot ({res.seconds:.1f} s, exit {res.rc})\n{res.console}")
        self.assertEqual(res.rc, rc, "guest script exit code (console above)")
        return res


def cli():
    ap = argparse.ArgumentParser(prog="python3 -m zsimtest.vm",
                                 description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build the base initramfs")
    b.add_argument("out")
    b.add_argument("--orch", required=True, help="the zsim-orch binary")
    r = sub.add_parser("run", help="boot once with SCRIPT as the test")
    r.add_argument("script")
    r.add_argument("--initramfs", default=VM_INITRAMFS)
    r.add_argument("--disk", action="append", default=[],
                   help="FILE:SERIAL, attached in the order given")
    r.add_argument("--timeout", type=int, default=90)
    args = ap.parse_args()
    try:
        if args.cmd == "build":
            t = time.monotonic()
            build(args.out, args.orch)
            size = os.path.getsize(args.out) >> 20
            print(f"vm: {args.out}: {size} MiB, kernel {initramfs.kernel_release()}, "
                  f"built in {time.monotonic() - t:.1f} s")
            return 0
        with open(args.script) as f:
            text = f.read()
        disks = [tuple(d.rsplit(":", 1)) for d in args.disk]
        res = boot(args.initramfs, text, disks, args.timeout)
        sys.stdout.write(res.console)
        print(f"vm: guest exit {res.rc} after {res.seconds:.1f} s")
        return res.rc
    except HarnessError as e:
        print(f"vm: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    script(cli)
