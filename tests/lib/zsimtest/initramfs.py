"""Initramfs trees from the host's packages, shared by the vm tier's guest,
the e2e tier's tiny target and the image tier's stand-in installer initrd:
Debian's kernel and its modules, busybox, binaries with their libraries,
written as a newc cpio."""
import os
import re
import shutil
import subprocess

from .case import HarnessError, Missing, need

BIN_DIRS = ("bin/", "sbin/", "usr/bin/", "usr/sbin/")


def kernel_release():
    """The newest kernel with both an image in /boot and its modules
    (ZSIM_VM_KERNEL_RELEASE picks one)."""
    wanted = os.environ.get("ZSIM_VM_KERNEL_RELEASE")
    releases = [wanted] if wanted else sorted(
        (n[len("vmlinuz-"):] for n in os.listdir("/boot") if n.startswith("vmlinuz-")),
        reverse=True)
    for rel in releases:
        if os.path.exists(f"/boot/vmlinuz-{rel}") and os.path.isdir(f"/lib/modules/{rel}"):
            return rel
    raise Missing("no kernel with modules in /boot and /lib/modules; install "
                  "linux-image-amd64 (ci/deps test)")


def kernel_image():
    return f"/boot/vmlinuz-{kernel_release()}"


def shared_libs(binary):
    """Every library `binary` loads, as paths on this host (ldd's view)."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if out.returncode != 0:
        return []   # static
    libs = []
    for line in out.stdout.splitlines():
        m = re.search(r"(/\S+) \(0x", line)
        if m:
            libs.append(m.group(1))
    return libs


def copy_file(src, root, dest=None):
    """Copy `src` (following symlinks) to the same path under `root`."""
    dest = os.path.join(root, (dest or src).lstrip("/"))
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    if not os.path.exists(dest):
        shutil.copy2(os.path.realpath(src), dest)
    return dest


def copy_binary(src, root, dest):
    copy_file(src, root, dest)
    for lib in shared_libs(src):
        copy_file(lib, root)


def busybox_tree(root, dirs):
    """`dirs` under `root`, busybox as /bin/busybox and a link for each of
    its applets. Returns the host's busybox."""
    for d in dirs:
        os.makedirs(os.path.join(root, d), exist_ok=True)
    busybox = need("busybox", "busybox-static")
    copy_file(busybox, root, "/bin/busybox")
    applets = subprocess.run([busybox, "--list-full"], check=True, capture_output=True,
                             text=True).stdout.split()
    for applet in applets:
        link = os.path.join(root, applet)
        if not os.path.lexists(link):
            os.symlink("/bin/busybox", link)
    return busybox


def drop_applet(root, name):
    """Remove busybox's links named `name`, for a real program to take its place."""
    for d in BIN_DIRS:
        link = os.path.join(root, d + name)
        if os.path.islink(link):
            os.unlink(link)


def install_kmod(root, links):
    """The real kmod as /usr/sbin/kmod, and `links` (modprobe, insmod, ...)
    pointing at it in place of busybox's."""
    copy_binary(need("kmod"), root, "/usr/sbin/kmod")
    for link in links:
        drop_applet(root, link)
        os.symlink("kmod", os.path.join(root, "usr/sbin", link))


def module_files(rel, modules):
    """The .ko files `modules` need on kernel `rel`, dependencies first."""
    need("modprobe", "kmod")
    files = []
    for name in modules:
        out = subprocess.run(["modprobe", "-S", rel, "--show-depends", name],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise HarnessError(f"module {name} not found for {rel}: {out.stderr.strip()}")
        for line in out.stdout.splitlines():
            parts = line.split()
            if parts and parts[0] == "insmod" and parts[1] not in files:
                files.append(parts[1])
    return files


def install_modules(root, rel, modules):
    """`modules` and their dependencies of kernel `rel`, with a modules.dep
    that depmod wrote for this tree."""
    for ko in module_files(rel, modules):
        copy_file(ko, root)
    for meta in ("modules.order", "modules.builtin", "modules.builtin.modinfo"):
        src = f"/lib/modules/{rel}/{meta}"
        if os.path.exists(src):
            copy_file(src, root)
    subprocess.run(["depmod", "-b", root, rel], check=True)


def root_only_etc(root, hostname=None):
    """/etc/passwd and /etc/group with root alone (and /etc/hostname)."""
    os.makedirs(os.path.join(root, "etc"), exist_ok=True)
    with open(os.path.join(root, "etc/passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")
    with open(os.path.join(root, "etc/group"), "w") as f:
        f.write("root:x:0:\n")
    if hostname:
        with open(os.path.join(root, "etc/hostname"), "w") as f:
            f.write(hostname + "\n")


def write_cpio(root, out, gzip=False):
    """`root` as a newc cpio owned by root at `out` (gzip -1 if `gzip`;
    uncompressed unpacks faster under TCG)."""
    need("cpio", "cpio")
    names = subprocess.run(["find", ".", "-mindepth", "1"], cwd=root, check=True,
                           capture_output=True).stdout
    with open(out, "wb") as f:
        if not gzip:
            subprocess.run(["cpio", "--quiet", "-o", "-H", "newc", "-R", "0:0"], cwd=root,
                           input=names, stdout=f, check=True)
            return out
        cpio = subprocess.run(["cpio", "--quiet", "-o", "-H", "newc", "-R", "0:0"], cwd=root,
                              input=names, check=True, capture_output=True).stdout
        f.write(subprocess.run(["gzip", "-1"], input=cpio, check=True,
                               capture_output=True).stdout)
    return out
