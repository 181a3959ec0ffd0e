"""The e2e tier's tiny target, built from Debian's packages: the stock
kernel, an initramfs with busybox, qemu-ga and its libraries, the virtio
modules and the workloads (zsim-touch and the other static programs built
next to it); and, for disk mode, a qcow2 base
image whose ext4 root holds the same tree. Used by e2e.build-target,
ci/demo.py and bench/.

    python3 -m zsimtest.target OUTDIR --touch PATH    -> OUTDIR/{vmlinuz,initrd.cpio,base.qcow2}
"""
import argparse
import os
import shutil
import subprocess
import tempfile
import time

from . import initramfs
from .case import need, script
from .env import SOURCE_DIR, WORKLOADS

FILES = os.path.join(SOURCE_DIR, "tests", "e2e", "target")
MODULES = ["virtio_pci", "virtio_console", "virtio_blk", "ext4", "crc32c_generic"]


def build_tree(root, touch):
    rel = initramfs.kernel_release()
    initramfs.busybox_tree(root, ("bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev",
                                  "run", "tmp", "etc", "results", "root"))
    initramfs.copy_binary(need("qemu-ga", "qemu-guest-agent"), root, "/usr/sbin/qemu-ga")
    initramfs.install_kmod(root, ("modprobe", "insmod", "lsmod"))
    # the kernel's module autoloader calls /sbin/modprobe
    os.symlink("/usr/sbin/kmod", os.path.join(root, "sbin/modprobe"))
    initramfs.install_modules(root, rel, MODULES)
    shutil.copy(touch, os.path.join(root, "usr/bin/zsim-touch"))
    # the servers memcached_gen_data and redis_gen_data talk to are not in
    # this target
    for name in WORKLOADS[1:]:
        shutil.copy(os.path.join(os.path.dirname(touch), name), os.path.join(root, "usr/bin", name))
    if os.path.lexists(os.path.join(root, "sbin/shutdown")):
        os.unlink(os.path.join(root, "sbin/shutdown"))
    for name, dest in (("init", "init"), ("shutdown", "sbin/shutdown")):
        shutil.copy(os.path.join(FILES, name), os.path.join(root, dest))
        os.chmod(os.path.join(root, dest), 0o755)
    initramfs.root_only_etc(root, hostname="zsim-target")


def build(outdir, touch, disk=True):
    os.makedirs(outdir, exist_ok=True)
    root = tempfile.mkdtemp(prefix="zsim-target.")
    try:
        build_tree(root, touch)
        tmp = os.path.join(outdir, "initrd.cpio.tmp")
        initramfs.write_cpio(root, tmp)
        os.rename(tmp, os.path.join(outdir, "initrd.cpio"))
        shutil.copy(initramfs.kernel_image(), os.path.join(outdir, "vmlinuz"))
        if disk:
            raw = os.path.join(outdir, "base.raw")
            with open(raw, "wb") as f:
                f.truncate(256 << 20)
            with open(os.path.join(root, ".zsim-disk-root"), "w") as f:
                f.write("the target's disk root\n")
            subprocess.run([need("mkfs.ext4", "e2fsprogs"), "-q", "-F", "-L", "zsim-root",
                            "-d", root, raw], check=True)
            subprocess.run([need("qemu-img", "qemu-utils"), "convert", "-q", "-O", "qcow2",
                            raw, os.path.join(outdir, "base.qcow2")], check=True)
            os.unlink(raw)
    finally:
        shutil.rmtree(root)
    # QEMU runs as the private libvirtd's unprivileged user
    for name in os.listdir(outdir):
        os.chmod(os.path.join(outdir, name), 0o644)
    os.chmod(outdir, 0o755)


def cli():
    ap = argparse.ArgumentParser(prog="python3 -m zsimtest.target",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--touch", required=True, help="the static zsim-touch binary")
    args = ap.parse_args()
    t = time.monotonic()
    build(args.outdir, args.touch)
    print(f"target: {args.outdir}: kernel {initramfs.kernel_release()}, "
          f"built in {time.monotonic() - t:.1f} s")


if __name__ == "__main__":
    script(cli)
