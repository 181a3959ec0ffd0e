"""Build a small Debian 12 "cloud-style" image from Debian's packages, for the
end-to-end test of `target prepare` (one boot with a cloud-init NoCloud seed).

    python3 cloudimage.py OUTDIR            -> OUTDIR/{debian12-cloud.qcow2,vmlinuz,initrd.img}
    python3 cloudimage.py OUTDIR --verify   build if needed, then boot it once under
                                            plain QEMU (TCG) with a NoCloud seed and
                                            check cloud-init's runcmd and the guest agent

The qcow2's disk is a bare ext4 filesystem (no partition table, no boot
loader) labelled cloudimg-rootfs, holding a debootstrapped bookworm root with
systemd, cloud-init (datasource_list: [ NoCloud, None ], no network config),
qemu-guest-agent, and what the experiments run in a target without a
network: memcached, redis-server (their units disabled: the experiments
start their own) and numactl (memhog). It is booted by direct kernel boot
with `root=LABEL=cloudimg-rootfs console=ttyS0`. Needs root (debootstrap, chroot,
mounts) and the host packages in deps.txt. A stamp holding this script's hash
makes a second call with the same script a no-op.
"""
import argparse
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from zsimtest import need, need_root, qemu, script
from zsimtest.agent import guest_exec

SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
LABEL = "cloudimg-rootfs"
IMAGE = "debian12-cloud.qcow2"
OUTPUTS = (IMAGE, "vmlinuz", "initrd.img")
STAMP = ".cloudimage.stamp"
APPEND = f"root=LABEL={LABEL} console=ttyS0"
PACKAGES = [
    "linux-image-amd64", "systemd-sysv", "udev", "initramfs-tools", "dbus",
    "cloud-init", "qemu-guest-agent", "e2fsprogs", "zstd",
    # debootstrap resolves no virtual packages: python3-cryptography needs
    # python3-cffi-backend-api-{min,max}, which this one provides
    "python3-cffi-backend",
    # the servers and memhog the experiments run (exp00000 -m/-r, exp00007
    # -h); the target has no network, so they come with the image
    "memcached", "redis-server", "numactl",
]
# their units stay off: the experiments start their own servers (exp00000:
# `memcached -d` on port 11211, redis-server on a unix socket), as the runner
# did, and a stock memcached already on 11211 would take the client's puts
SERVER_UNITS = ["memcached.service", "redis-server.service"]
# modules the initramfs needs to find the root on virtio-blk
ROOT_MODULES = ["virtio_pci", "virtio_blk", "ext4"]
MARKER = "/var/lib/zsim-prepared"
SERIAL_LINE = "ZSIM-CLOUDIMAGE-RUNCMD"

CLOUD_CFG = """\
# zsim test image: the seed is a NoCloud cdrom labelled cidata; never look
# for (or wait on) a network datasource, and leave the network alone.
datasource_list: [ NoCloud, None ]
network:
  config: disabled
# Debian's locale-gen ignores its argument, so the default en_US.UTF-8 fails
# update-locale and leaves cloud-init's status at "error"; C.UTF-8 is built in
locale: C.UTF-8
"""
# kernel modules a small VM never loads (about 190 MB of the 400)
PRUNE_MODULES = [
    "sound", "drivers/media", "drivers/net/wireless", "net/wireless", "net/mac80211",
    "drivers/bluetooth", "net/bluetooth", "drivers/infiniband", "drivers/staging",
    "drivers/iio", "drivers/isdn", "drivers/gpu/drm/amd", "drivers/gpu/drm/radeon",
    "drivers/gpu/drm/nouveau", "drivers/gpu/drm/i915",
]
# of drivers/net/ethernet, keep QEMU's emulated NICs (e1000, e1000e, rtl8139)
KEEP_ETHERNET = {"intel", "realtek"}
DPKG_EXCLUDES = """\
# a small image: no documentation, manual pages or translations
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
path-exclude=/usr/share/lintian/*
"""
# units that could hold the boot waiting for a network that is not there
MASKED = ["systemd-networkd-wait-online.service", "ifupdown-wait-online.service",
          "networking.service", "NetworkManager-wait-online.service"]


def log(msg):
    print(f"cloudimage: {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw):
    kw.setdefault("check", True)
    return subprocess.run(cmd, **kw)


def script_hash():
    with open(os.path.abspath(__file__), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def mirror():
    """The Debian mirror the host's apt uses for SUITE, else deb.debian.org."""
    path = "/etc/apt/sources.list.d/debian.sources"
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return DEFAULT_MIRROR
    for stanza in text.split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.split()
        if "deb" in fields.get("types", []) and SUITE in fields.get("suites", []) \
                and fields.get("uris"):
            return fields["uris"][0].rstrip("/")
    return DEFAULT_MIRROR


def up_to_date(outdir):
    try:
        with open(os.path.join(outdir, STAMP)) as f:
            stamp = f.read().strip()
    except OSError:
        return False
    return stamp == script_hash() and all(
        os.path.isfile(os.path.join(outdir, n)) for n in OUTPUTS)


def mounts_under(path):
    """Mount points at or below path, deepest first."""
    path = os.path.realpath(path)
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].encode().decode("unicode_escape")
            if mp == path or mp.startswith(path + "/"):
                found.append(mp)
    return sorted(set(found), key=len, reverse=True)


def unmount_all(tree):
    """Unmount everything below tree (ours, or debootstrap's if it died)."""
    for mp in mounts_under(tree):
        if run(["umount", mp], check=False).returncode != 0:
            run(["umount", "-l", mp], check=False)
    left = mounts_under(tree)
    if left:
        raise RuntimeError(f"still mounted below {tree}: {left}")


def chroot_env():
    # a clean environment: in particular no INITRD=No from ci/deps, which
    # would make update-initramfs in the chroot a no-op
    return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
            "HOME": "/root", "DEBIAN_FRONTEND": "noninteractive"}


def write(tree, rel, text, mode=0o644):
    path = os.path.join(tree, rel.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def kernel_release(tree):
    rels = sorted(os.listdir(os.path.join(tree, "lib/modules")))
    if len(rels) != 1:
        raise RuntimeError(f"expected one kernel in the tree, found {rels}")
    return rels[0]


def configure(tree):
    write(tree, "etc/fstab", f"LABEL={LABEL}\t/\text4\tdefaults,errors=remount-ro\t0\t1\n")
    write(tree, "etc/hostname", "debian\n")
    write(tree, "etc/hosts", "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n")
    # debootstrap copied the host's resolver configuration
    write(tree, "etc/resolv.conf", "")
    write(tree, "etc/cloud/cloud.cfg.d/90-zsim.cfg", CLOUD_CFG)
    write(tree, "etc/dpkg/dpkg.cfg.d/90-zsim-nodoc", DPKG_EXCLUDES)
    # no openssh-server in the image: without this, cc_ssh logs a warning for
    # each host key it cannot make (`ssh_genkeytypes: []` fails the schema)
    cfg = os.path.join(tree, "etc/cloud/cloud.cfg")
    with open(cfg) as f:
        lines = f.read().splitlines(keepends=True)
    write(tree, "etc/cloud/cloud.cfg", "".join(l for l in lines if l.strip() != "- ssh"))
    # the initramfs finds the root on virtio-blk; MODULES=most has them all,
    # the list makes sure of it. FSTYPE: the fsck hook cannot resolve the
    # root's LABEL in the chroot, and would leave fsck.ext4 out
    write(tree, "etc/initramfs-tools/modules", "".join(m + "\n" for m in ROOT_MODULES))
    write(tree, "etc/initramfs-tools/conf.d/zsim-cloudimage", "FSTYPE=ext4\nCOMPRESS=zstd\n")
    # QEMU's pc machine has a floppy controller: cloud-init's probe for the
    # cidata label reads fd0 and logs I/O errors (a second or so under TCG)
    write(tree, "etc/modprobe.d/zsim-cloudimage.conf", "blacklist floppy\n")
    for unit in MASKED:
        link = os.path.join(tree, "etc/systemd/system", unit)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink("/dev/null", link)
    disable_servers(tree)
    # every boot of a copy is a new machine: systemd makes the id at first boot
    write(tree, "etc/machine-id", "", 0o444)
    dbus_id = os.path.join(tree, "var/lib/dbus/machine-id")
    if os.path.lexists(dbus_id):
        os.unlink(dbus_id)
        os.symlink("/etc/machine-id", dbus_id)
    # the guest agent starts when its virtio-serial port appears: Debian's udev
    # rule pulls in the unit, which is bound to the port's device
    rules = os.path.join(tree, "lib/udev/rules.d/60-qemu-guest-agent.rules")
    unit = os.path.join(tree, "lib/systemd/system/qemu-guest-agent.service")
    with open(rules) as f:
        r = f.read()
    with open(unit) as f:
        u = f.read()
    if "org.qemu.guest_agent.0" not in r or "qemu-guest-agent.service" not in r \
            or "guest_agent.0.device" not in u:
        raise RuntimeError("qemu-guest-agent's udev rule or unit is not the expected one")


def disable_servers(tree):
    """The servers' packages enabled their units; disable them (systemctl
    edits the links offline in a chroot) and check no link is left."""
    run(["chroot", tree, "systemctl", "disable", "--quiet"] + SERVER_UNITS, env=chroot_env())
    left = []
    for d, _, names in os.walk(os.path.join(tree, "etc/systemd/system")):
        for n in names:
            p = os.path.join(d, n)
            if os.path.islink(p) and os.path.basename(os.readlink(p)) in SERVER_UNITS:
                left.append(os.path.relpath(p, tree))
    if left:
        raise RuntimeError(f"server units still enabled: {left}")


def prune_modules(tree, rel):
    kernel = os.path.join(tree, "lib/modules", rel, "kernel")
    for sub in PRUNE_MODULES:
        p = os.path.join(kernel, sub)
        if os.path.isdir(p):
            shutil.rmtree(p)
    eth = os.path.join(kernel, "drivers/net/ethernet")
    if os.path.isdir(eth):
        for name in os.listdir(eth):
            p = os.path.join(eth, name)
            if name not in KEEP_ETHERNET and os.path.isdir(p):
                shutil.rmtree(p)


def make_initramfs(tree, rel):
    mounts = [(["-t", "proc", "proc"], "proc"), (["-t", "sysfs", "sysfs"], "sys"),
              (["--bind", "/dev"], "dev")]
    try:
        for args, rel_mp in mounts:
            run(["mount"] + args + [os.path.join(tree, rel_mp)])
        run(["chroot", tree, "depmod", rel], env=chroot_env())
        run(["chroot", tree, "update-initramfs", "-c", "-k", rel], env=chroot_env(),
            stdout=subprocess.DEVNULL)
        listing = run(["chroot", tree, "lsinitramfs", f"/boot/initrd.img-{rel}"],
                      env=chroot_env(), capture_output=True, text=True).stdout.split()
        run(["chroot", tree, "apt-get", "clean"], env=chroot_env())
    finally:
        unmount_all(tree)
    with open(os.path.join(tree, f"lib/modules/{rel}/modules.builtin")) as f:
        builtin = {os.path.basename(l.strip()).split(".ko")[0].replace("-", "_")
                   for l in f}
    have = {os.path.basename(p).split(".ko")[0].replace("-", "_")
            for p in listing if ".ko" in p}
    missing = [m for m in ROOT_MODULES if m not in have and m not in builtin]
    if missing:
        raise RuntimeError(f"initramfs lacks {missing}")


def slim(tree):
    for rel in ("var/lib/apt/lists", "var/cache/apt/archives", "usr/share/man",
                "usr/share/info", "usr/share/lintian", "var/cache/debconf",
                "var/log", "tmp", "var/tmp"):
        d = os.path.join(tree, rel)
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            p = os.path.join(d, name)
            if rel == "var/cache/apt/archives" and name == "partial":
                continue
            if rel == "var/cache/debconf" and name.endswith(".dat"):
                continue  # debconf's database, not a cache
            if rel == "var/log" and os.path.isdir(p) and not os.path.islink(p):
                continue  # keep the directories (apt/, journal/, ...)
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p)
            else:
                os.unlink(p)
    for rel in ("var/cache/apt",):
        d = os.path.join(tree, rel)
        for name in os.listdir(d):
            if name.endswith(".bin"):
                os.unlink(os.path.join(d, name))
    doc = os.path.join(tree, "usr/share/doc")
    for pkg in os.listdir(doc):
        p = os.path.join(doc, pkg)
        if os.path.isdir(p) and not os.path.islink(p):
            for name in os.listdir(p):
                if name != "copyright":
                    q = os.path.join(p, name)
                    shutil.rmtree(q) if os.path.isdir(q) and not os.path.islink(q) \
                        else os.unlink(q)
    loc = os.path.join(tree, "usr/share/locale")
    for name in os.listdir(loc):
        if name != "locale.alias":
            p = os.path.join(loc, name)
            shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.unlink(p)


def used_bytes(tree):
    seen, total = set(), 0
    for dirpath, dirnames, filenames in os.walk(tree):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            total += st.st_blocks * 512
    return total


def build(outdir):
    t0 = time.monotonic()
    os.makedirs(outdir, exist_ok=True)
    for name in OUTPUTS + (STAMP,):
        if os.path.lexists(os.path.join(outdir, name)):
            os.unlink(os.path.join(outdir, name))
    tree = tempfile.mkdtemp(prefix="zsim-cloudimage.")
    raw = os.path.join(outdir, "debian12-cloud.raw")
    try:
        src = mirror()
        log(f"debootstrap {SUITE} from {src} (minutes)")
        env = chroot_env()
        env["INITRD"] = "No"  # the kernel's postinst skips it: made once below, configured
        r = run(["debootstrap", "--variant=minbase", "--components=main",
                 "--include=" + ",".join(PACKAGES), SUITE, tree, src], env=env,
                check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            tail = r.stdout.splitlines()[-15:]
            try:
                with open(os.path.join(tree, "debootstrap/debootstrap.log")) as f:
                    tail += ["--- debootstrap.log:"] + f.read().splitlines()[-30:]
            except OSError:
                pass
            raise RuntimeError(f"debootstrap failed ({r.returncode}):\n" + "\n".join(tail))
        unmount_all(tree)
        rel = kernel_release(tree)
        configure(tree)
        prune_modules(tree, rel)
        log(f"initramfs for {rel}")
        make_initramfs(tree, rel)
        slim(tree)
        for src_name, dest in ((f"vmlinuz-{rel}", "vmlinuz"), (f"initrd.img-{rel}", "initrd.img")):
            shutil.copyfile(os.path.join(tree, "boot", src_name), os.path.join(outdir, dest + ".tmp"))
            os.rename(os.path.join(outdir, dest + ".tmp"), os.path.join(outdir, dest))
        used = used_bytes(tree)
        size = max(1 << 30, int(used * 1.4))
        size = (size + (1 << 20) - 1) & ~((1 << 20) - 1)
        log(f"ext4 of {size >> 20} MiB for {used >> 20} MiB used")
        with open(raw, "wb") as f:
            f.truncate(size)
        run(["mkfs.ext4", "-q", "-F", "-L", LABEL, "-d", tree, raw])
        run(["qemu-img", "convert", "-q", "-O", "qcow2", raw,
             os.path.join(outdir, IMAGE + ".tmp")])
        os.rename(os.path.join(outdir, IMAGE + ".tmp"), os.path.join(outdir, IMAGE))
    finally:
        if os.path.exists(raw):
            os.unlink(raw)
        unmount_all(tree)  # raises rather than let rmtree walk into a mount
        shutil.rmtree(tree)
    # QEMU runs as the private libvirtd's unprivileged user
    for name in OUTPUTS:
        os.chmod(os.path.join(outdir, name), 0o644)
    with open(os.path.join(outdir, STAMP), "w") as f:
        f.write(script_hash() + "\n")
    os.chmod(os.path.join(outdir, STAMP), 0o644)
    os.chmod(outdir, 0o755)
    return time.monotonic() - t0, rel, used


# --- --verify: one boot under plain QEMU, checked from outside -------------

class Agent:
    """A minimal qemu-guest-agent client over QEMU's chardev socket."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.dec = json.JSONDecoder()
        self.sync_id = int(time.time()) % 100000 * 1000

    def send(self, cmd, args=None):
        msg = {"execute": cmd}
        if args is not None:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")

    def recv(self, deadline):
        while True:
            text = self.buf.decode(errors="replace").lstrip("\xff\ufffd \r\n\t")
            if text:
                try:
                    obj, end = self.dec.raw_decode(text)
                    self.buf = text[end:].encode()
                    return obj
                except ValueError:
                    pass
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not data:
                raise ConnectionError("agent socket closed")
            self.buf += data

    def sync(self, timeout):
        """True once the agent echoes a fresh guest-sync id (skips stale replies)."""
        self.sync_id += 1
        self.send("guest-sync", {"id": self.sync_id})
        deadline = time.monotonic() + timeout
        while True:
            r = self.recv(deadline)
            if r is None:
                return False
            if r.get("return") == self.sync_id:
                return True

    def call(self, cmd, args=None, timeout=30):
        self.send(cmd, args)
        r = self.recv(time.monotonic() + timeout)
        if r is None or "return" not in r:
            raise RuntimeError(f"{cmd}: {r}")
        return r["return"]

    def exec(self, argv, timeout=60):
        code, out, _ = guest_exec(self.call, argv, timeout)
        return code, out


def seed_iso(workdir, instance_id):
    seed = os.path.join(workdir, "seed")
    os.makedirs(seed)
    with open(os.path.join(seed, "meta-data"), "w") as f:
        f.write(f"instance-id: {instance_id}\nlocal-hostname: zsim-cloud\n")
    with open(os.path.join(seed, "user-data"), "w") as f:
        f.write("#cloud-config\nruncmd:\n"
                f"  - [ sh, -c, 'echo {instance_id} > {MARKER}; "
                f"echo {SERIAL_LINE} {instance_id} > /dev/ttyS0' ]\n")
    iso = os.path.join(workdir, "seed.iso")
    if shutil.which("xorriso"):
        cmd = ["xorriso", "-as", "mkisofs"]
    else:
        cmd = ["genisoimage"]
    run(cmd + ["-quiet", "-o", iso, "-V", "cidata", "-J", "-r", seed],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return iso


def verify(outdir, timeout):
    outdir = os.path.abspath(outdir)
    workdir = tempfile.mkdtemp(prefix="zsim-cloudverify.")
    vm = None
    try:
        overlay = os.path.join(workdir, "overlay.qcow2")
        run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
             os.path.join(outdir, IMAGE), overlay])
        instance_id = f"zsim-verify-{os.getpid()}-{int(time.time())}"
        iso = seed_iso(workdir, instance_id)
        sock = os.path.join(workdir, "qga.sock")
        console = os.path.join(workdir, "console.log")
        args = ["-kernel", os.path.join(outdir, "vmlinuz"),
                "-initrd", os.path.join(outdir, "initrd.img"),
                "-append", APPEND,
                "-drive", f"file={overlay},if=virtio",
                "-drive", f"file={iso},media=cdrom,readonly=on",
                "-device", "virtio-serial",
                "-chardev", f"socket,path={sock},server=on,wait=off,id=qga0",
                "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0"]
        print("verify: " + " ".join(qemu.command(*args, memory_mb=1024)), flush=True)
        t0 = time.monotonic()
        with open(console, "wb") as out:
            vm = qemu.start(*args, memory_mb=1024, console=out)
        deadline = t0 + timeout
        agent = None
        t_runcmd = t_final = t_agent = None
        while time.monotonic() < deadline and (t_runcmd is None or t_final is None
                                               or t_agent is None):
            if vm.poll() is not None:
                raise RuntimeError(f"QEMU exited with {vm.returncode}")
            with open(console, "rb") as f:
                text = f.read().decode(errors="replace")
            if t_runcmd is None and f"{SERIAL_LINE} {instance_id}" in text:
                t_runcmd = time.monotonic() - t0
                print(f"verify: runcmd line on the serial console at {t_runcmd:.1f} s", flush=True)
            if t_final is None and "Cloud-init v." in text and " finished at " in text:
                t_final = time.monotonic() - t0
                print(f"verify: cloud-init finished at {t_final:.1f} s", flush=True)
            if t_agent is None:
                if agent is None and os.path.exists(sock):
                    agent = Agent(sock)
                if agent is not None and agent.sync(0.5):
                    agent.call("guest-ping")
                    t_agent = time.monotonic() - t0
                    print(f"verify: guest agent answered guest-ping at {t_agent:.1f} s", flush=True)
                    continue
            time.sleep(0.5)
        if t_runcmd is None or t_agent is None or t_final is None:
            raise RuntimeError(f"timed out after {timeout} s (runcmd {t_runcmd}, "
                               f"cloud-init final {t_final}, agent {t_agent}); "
                               f"console:\n{text[-3000:]}")
        code, out = agent.exec(["/bin/cat", MARKER])
        if code != 0 or out.strip() != instance_id:
            raise RuntimeError(f"cat {MARKER}: exit {code}, {out!r}")
        print(f"verify: guest-exec cat {MARKER}: {out.strip()}", flush=True)
        code, out = agent.exec(["/usr/bin/cloud-init", "status", "--wait", "--long"],
                               timeout=300)
        if code != 0 or "status: done" not in out:
            raise RuntimeError(f"cloud-init status: exit {code}\n{out}")
        print("verify: cloud-init status: done", flush=True)
        for argv in (["/usr/bin/systemctl", "is-system-running"],
                     ["/usr/bin/systemctl", "--failed", "--no-legend", "--no-pager"],
                     ["/usr/bin/systemd-analyze", "time"],
                     ["/usr/bin/systemd-analyze", "critical-chain", "--no-pager",
                      "cloud-final.service"],
                     ["/usr/bin/systemd-analyze", "blame", "--no-pager"]):
            code, out = agent.exec(argv, timeout=120)
            lines = out.rstrip().splitlines()
            shown = " ".join([os.path.basename(argv[0])] + argv[1:])
            print(f"verify: $ {shown}  (exit {code})\n  " + "\n  ".join(lines[:15]),
                  flush=True)
        # as target prepare ends: the agent powers the guest off
        t1 = time.monotonic()
        agent.send("guest-shutdown")
        try:
            vm.wait(300)
        except subprocess.TimeoutExpired:
            raise RuntimeError("guest-shutdown: QEMU still running after 300 s")
        t_off = time.monotonic() - t1
        print(f"verify: ok: runcmd {t_runcmd:.1f} s, cloud-init done {t_final:.1f} s, "
              f"agent {t_agent:.1f} s after QEMU start (TCG); guest-shutdown to QEMU "
              f"exit {t_off:.1f} s", flush=True)
    finally:
        qemu.stop(vm)
        if os.environ.get("ZSIM_KEEP_VERIFY"):
            print(f"verify: kept {workdir}", flush=True)
        else:
            shutil.rmtree(workdir)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--verify", action="store_true",
                    help="boot the image once under QEMU (TCG) with a NoCloud seed and check it")
    ap.add_argument("--timeout", type=float, default=900,
                    help="seconds --verify waits for cloud-init and the agent (default 900)")
    args = ap.parse_args()
    image = os.path.join(args.outdir, IMAGE)
    if up_to_date(args.outdir):
        print(f"cloudimage: {image} is up to date "
              f"({os.path.getsize(image) / 2**20:.0f} MiB)", flush=True)
    else:
        need_root("building the cloud image (debootstrap, chroot, mount)")
        need("debootstrap", "debootstrap")
        secs, rel, used = build(args.outdir)
        print(f"cloudimage: {image}: kernel {rel}, built in {secs:.0f} s, "
              f"qcow2 {os.path.getsize(image) / 2**20:.0f} MiB "
              f"({used / 2**20:.0f} MiB used in the filesystem)", flush=True)
    if args.verify:
        verify(args.outdir, args.timeout)


if __name__ == "__main__":
    script(main)
