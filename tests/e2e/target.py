"""Build the tiny test target from Debian's packages: the stock kernel, an
initramfs with busybox, qemu-ga and its libraries, the virtio modules and
the workloads (zsim-touch and the other static programs built next to it);
and, for disk mode, a qcow2 base image whose ext4 root holds the same tree.

    python3 target.py OUTDIR --touch PATH    -> OUTDIR/{vmlinuz,initrd.cpio,base.qcow2}
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "vm"))
import vm  # noqa: E402  (shares the initramfs helpers)

MODULES = ["virtio_pci", "virtio_console", "virtio_blk", "ext4", "crc32c_generic"]
# the workloads built next to zsim-touch (orchestrator/CMakeLists.txt's
# ZSIM_WORKLOADS); the servers memcached_gen_data and redis_gen_data talk
# to are not in this target
WORKLOADS = ["time_loop", "locality_mem_access", "hog", "memcached_gen_data", "redis_gen_data"]


def build_tree(root, touch):
    rel = vm.kernel_release()
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "run",
              "tmp", "etc", "results", "root"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    busybox = vm.need("busybox")
    vm.copy_file(busybox, root, "/bin/busybox")
    applets = subprocess.run([busybox, "--list-full"], check=True, capture_output=True,
                             text=True).stdout.split()
    for applet in applets:
        link = os.path.join(root, applet)
        if not os.path.lexists(link):
            os.symlink("/bin/busybox", link)
    vm.copy_binary(vm.need("qemu-ga"), root, "/usr/sbin/qemu-ga")
    kmod = vm.need("kmod")
    vm.copy_binary(kmod, root, "/usr/sbin/kmod")
    for link in ("modprobe", "insmod", "lsmod"):
        for d in ("bin/", "sbin/", "usr/bin/", "usr/sbin/"):
            p = os.path.join(root, d + link)
            if os.path.islink(p):
                os.unlink(p)
        os.symlink("kmod", os.path.join(root, "usr/sbin", link))
    # the kernel's module autoloader calls /sbin/modprobe
    os.symlink("/usr/sbin/kmod", os.path.join(root, "sbin/modprobe"))
    saved = vm.MODULES
    vm.MODULES = MODULES
    try:
        for ko in vm.module_files(rel):
            vm.copy_file(ko, root)
    finally:
        vm.MODULES = saved
    for meta in ("modules.order", "modules.builtin", "modules.builtin.modinfo"):
        src = f"/lib/modules/{rel}/{meta}"
        if os.path.exists(src):
            vm.copy_file(src, root)
    subprocess.run(["depmod", "-b", root, rel], check=True)
    shutil.copy(touch, os.path.join(root, "usr/bin/zsim-touch"))
    for name in WORKLOADS:
        shutil.copy(os.path.join(os.path.dirname(touch), name), os.path.join(root, "usr/bin", name))
    os.unlink(os.path.join(root, "sbin/shutdown")) if os.path.lexists(
        os.path.join(root, "sbin/shutdown")) else None
    for name, dest in (("init", "init"), ("shutdown", "sbin/shutdown")):
        shutil.copy(os.path.join(HERE, "target", name), os.path.join(root, dest))
        os.chmod(os.path.join(root, dest), 0o755)
    with open(os.path.join(root, "etc/passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")
    with open(os.path.join(root, "etc/group"), "w") as f:
        f.write("root:x:0:\n")
    with open(os.path.join(root, "etc/hostname"), "w") as f:
        f.write("zsim-target\n")


def build(outdir, touch, disk=True):
    os.makedirs(outdir, exist_ok=True)
    root = tempfile.mkdtemp(prefix="zsim-target.")
    try:
        build_tree(root, touch)
        tmp = os.path.join(outdir, "initrd.cpio.tmp")
        vm.write_cpio(root, tmp)
        os.rename(tmp, os.path.join(outdir, "initrd.cpio"))
        shutil.copy(vm.kernel_image(), os.path.join(outdir, "vmlinuz"))
        if disk:
            raw = os.path.join(outdir, "base.raw")
            with open(raw, "wb") as f:
                f.truncate(256 << 20)
            with open(os.path.join(root, ".zsim-disk-root"), "w") as f:
                f.write("the target's disk root\n")
            subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "zsim-root", "-d", root, raw],
                           check=True)
            subprocess.run(["qemu-img", "convert", "-q", "-O", "qcow2", raw,
                            os.path.join(outdir, "base.qcow2")], check=True)
            os.unlink(raw)
    finally:
        shutil.rmtree(root)
    # QEMU runs as the private libvirtd's unprivileged user
    for name in os.listdir(outdir):
        os.chmod(os.path.join(outdir, name), 0o644)
    os.chmod(outdir, 0o755)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--touch", required=True, help="the static zsim-touch binary")
    args = ap.parse_args()
    t = time.monotonic()
    build(args.outdir, args.touch)
    print(f"target: {args.outdir}: kernel {vm.kernel_release()}, "
          f"built in {time.monotonic() - t:.1f} s")


if __name__ == "__main__":
    main()
