"""The vm tier's harness: boot Debian's stock kernel under QEMU (TCG) with a
busybox initramfs that carries the freshly built zsim-orch, its libraries,
the kernel modules storage needs and independent checking tools; run a
shell script inside the guest and read its verdict from the serial console.

    python3 vm.py build OUT.cpio --orch PATH      build the base initramfs
    python3 vm.py run SCRIPT [--disk FILE:SERIAL]...   boot once, print the console

Tests import it: build() once (a ctest fixture), then boot() per step.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# Modules the storage tests need, loaded by /init in this order. libcrc32c
# takes crc32c through a soft dependency, which --show-depends does not
# always list, so crc32c_generic is named outright.
MODULES = ["virtio_pci", "virtio_blk", "crc32c_generic", "loop", "dm_mod",
           "dm_thin_pool", "ext4"]

# Real tools, so tests check effects with something other than zsim-orch.
TOOLS = ["dmsetup", "blkid", "mkfs.ext4", "losetup", "mkswap", "swapon",
         "swapoff", "wipefs", "kmod", "kexec"]
KMOD_LINKS = ["modprobe", "insmod", "rmmod", "lsmod", "depmod", "modinfo"]

RESULT_RE = re.compile(r"^ZSIM-VM-RESULT: rc=(\d+)\s*$", re.M)
DATA_RE = re.compile(r"^ZSIM-VM-DATA: (\S+)=(.*?)\s*$", re.M)


class HarnessError(Exception):
    """The VM could not be built or booted: a failure, never a skip."""


def kernel_release():
    """The newest kernel with both an image in /boot and its modules."""
    wanted = os.environ.get("ZSIM_VM_KERNEL_RELEASE")
    releases = [wanted] if wanted else sorted(
        (n[len("vmlinuz-"):] for n in os.listdir("/boot")
         if n.startswith("vmlinuz-")), reverse=True)
    for rel in releases:
        if (os.path.exists(f"/boot/vmlinuz-{rel}")
                and os.path.isdir(f"/lib/modules/{rel}")):
            return rel
    raise HarnessError("no kernel with modules in /boot and /lib/modules; "
                       "install the vm tier's packages: ci/deps test")


def kernel_image():
    return f"/boot/vmlinuz-{kernel_release()}"


def need(prog):
    path = shutil.which(prog, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if not path:
        raise HarnessError(f"{prog} not found; install the vm tier's "
                           "packages: ci/deps test")
    return path


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


def module_files(rel):
    files = []
    for name in MODULES:
        out = subprocess.run(["modprobe", "-S", rel, "--show-depends", name],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise HarnessError(f"module {name} not found for {rel}: "
                               f"{out.stderr.strip()}")
        for line in out.stdout.splitlines():
            parts = line.split()
            if parts and parts[0] == "insmod" and parts[1] not in files:
                files.append(parts[1])
    return files


def build(out_path, orch):
    """Build the base initramfs (an uncompressed newc cpio: TCG unpacks it
    faster than it would gunzip) at `out_path`, atomically."""
    rel = kernel_release()
    busybox = need("busybox")
    need("cpio")
    need("modprobe")
    if not os.access(orch, os.X_OK):
        raise HarnessError(f"{orch}: zsim-orch not built")
    root = tempfile.mkdtemp(prefix="zsim-vm-root.")
    try:
        for d in ("bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev",
                  "run", "tmp", "etc", "var/lib", "mnt", "test"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        copy_file(busybox, root, "/bin/busybox")
        applets = subprocess.run([busybox, "--list-full"], check=True,
                                 capture_output=True, text=True).stdout.split()
        for applet in applets:
            link = os.path.join(root, applet)
            if not os.path.lexists(link):
                os.symlink("/bin/busybox", link)
        # Real tools replace busybox's applets of the same name.
        for tool in TOOLS:
            src = need(tool)
            dest = "/usr/sbin/" + tool
            for applet in ("bin/", "sbin/", "usr/bin/", "usr/sbin/"):
                link = os.path.join(root, applet + tool)
                if os.path.islink(link):
                    os.unlink(link)
            copy_binary(src, root, dest)
        for link in KMOD_LINKS:
            for applet in ("bin/", "sbin/", "usr/bin/", "usr/sbin/"):
                p = os.path.join(root, applet + link)
                if os.path.islink(p):
                    os.unlink(p)
            os.symlink("kmod", os.path.join(root, "usr/sbin", link))
        copy_binary(orch, root, "/usr/sbin/zsim-orch")

        moddir = f"/lib/modules/{rel}"
        for ko in module_files(rel):
            copy_file(ko, root)
        for meta in ("modules.order", "modules.builtin",
                     "modules.builtin.modinfo"):
            if os.path.exists(os.path.join(moddir, meta)):
                copy_file(os.path.join(moddir, meta), root)
        subprocess.run(["depmod", "-b", root, rel], check=True)

        with open(os.path.join(root, "etc/modules-load"), "w") as f:
            f.write("\n".join(MODULES) + "\n")
        for name, mode in (("init", 0o755), ("lib.sh", 0o644)):
            dest = "init" if name == "init" else "test/lib.sh"
            shutil.copy(os.path.join(HERE, "guest", name),
                        os.path.join(root, dest))
            os.chmod(os.path.join(root, dest), mode)
        with open(os.path.join(root, "etc/passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/sh\n")
        with open(os.path.join(root, "etc/group"), "w") as f:
            f.write("root:x:0:\n")

        tmp = out_path + ".tmp"
        write_cpio(root, tmp)
        os.rename(tmp, out_path)
    finally:
        shutil.rmtree(root)
    return out_path


def write_cpio(root, out):
    names = subprocess.run(["find", ".", "-mindepth", "1"], cwd=root,
                           check=True, capture_output=True).stdout
    with open(out, "wb") as f:
        subprocess.run(["cpio", "--quiet", "-o", "-H", "newc", "-R", "0:0"],
                       cwd=root, input=names, stdout=f, check=True)


class Boot:
    def __init__(self, rc, console, seconds):
        self.rc = rc
        self.console = console
        self.seconds = seconds
        self.data = dict(DATA_RE.findall(console))

    def __repr__(self):
        return f"<boot rc={self.rc} {self.seconds:.1f}s>"


def boot(initramfs, script, disks=(), timeout=90, memory_mb=1024, env=None,
         files=None, handover=None):
    """Boot once with `script` as /test/run. `disks` is a list of (file,
    serial) pairs attached as virtio disks in that order; `files` maps
    guest paths to host files added to the initramfs. A guest that hands
    over to another kernel (kexec) prints no verdict: a match of the
    `handover` pattern then ends the boot, with rc None. Returns a Boot;
    raises HarnessError when the guest gives no verdict in time."""
    qemu = need("qemu-system-x86_64")
    kernel = kernel_image()
    work = tempfile.mkdtemp(prefix="zsim-vm-boot.")
    proc = None
    try:
        extra = os.path.join(work, "extra")
        os.makedirs(os.path.join(extra, "test"))
        with open(os.path.join(extra, "test/run"), "w") as f:
            for key, value in (env or {}).items():
                f.write(f"{key}='{value}'\n")
            f.write(script)
        for dest, src in (files or {}).items():
            copy_file(src, extra, dest)
        combined = os.path.join(work, "initramfs.cpio")
        write_cpio(extra, os.path.join(work, "extra.cpio"))
        with open(combined, "wb") as out:
            for part in (initramfs, os.path.join(work, "extra.cpio")):
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
        cmd = [qemu, "-accel", "tcg", "-m", str(memory_mb), "-smp", "1",
               "-nodefaults", "-display", "none", "-serial", "stdio",
               "-no-reboot", "-kernel", kernel, "-initrd", combined,
               "-append", "console=ttyS0 quiet loglevel=3 panic=-1 "
               "rdinit=/init"]
        for i, (path, serial) in enumerate(disks):
            cmd += ["-drive", f"file={path},format=raw,if=none,id=d{i},"
                    "cache=unsafe",
                    "-device", f"virtio-blk-pci,drive=d{i},serial={serial}"]
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        try:
            raw, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            raw, _ = proc.communicate()
            console = raw.decode("utf-8", "replace")
            raise HarnessError(f"no verdict from the guest within {timeout} s;"
                               f" console:\n{tail(console)}")
        seconds = time.monotonic() - start
        console = raw.decode("utf-8", "replace").replace("\r\n", "\n")
        m = RESULT_RE.search(console)
        if not m and handover and re.search(handover, console, re.M):
            return Boot(None, console, seconds)
        if not m:
            raise HarnessError(f"qemu exited {proc.returncode} without a "
                               f"verdict; console:\n{tail(console)}")
        return Boot(int(m.group(1)), console, seconds)
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(work)


def tail(text, lines=60):
    return "\n".join(text.splitlines()[-lines:])


def sparse_disk(path, size):
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build the base initramfs")
    b.add_argument("out")
    b.add_argument("--orch", required=True, help="the zsim-orch binary")
    r = sub.add_parser("run", help="boot once with SCRIPT as the test")
    r.add_argument("script")
    r.add_argument("--initramfs", required=True)
    r.add_argument("--disk", action="append", default=[],
                   help="FILE:SERIAL, attached in the order given")
    r.add_argument("--timeout", type=int, default=90)
    args = ap.parse_args()
    try:
        if args.cmd == "build":
            t = time.monotonic()
            build(args.out, args.orch)
            size = os.path.getsize(args.out) >> 20
            print(f"vm: {args.out}: {size} MiB, kernel {kernel_release()}, "
                  f"built in {time.monotonic() - t:.1f} s")
            return 0
        with open(args.script) as f:
            script = f.read()
        disks = [tuple(d.rsplit(":", 1)) for d in args.disk]
        res = boot(args.initramfs, script, disks, args.timeout)
        sys.stdout.write(res.console)
        print(f"vm: guest exit {res.rc} after {res.seconds:.1f} s")
        return res.rc
    except HarnessError as e:
        print(f"vm: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
