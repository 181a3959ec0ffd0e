"""A private libvirtd for the e2e tier, started and stopped by the tests.

It runs as an unprivileged user of its own ("zsim-e2e") with every path
under a temporary directory, and root reaches it through
qemu:///session?socket=... A second root-mode libvirtd cannot keep private
driver state next to a system one, while a session daemon can; QEMU then
runs as that user under TCG, so what it reads (kernel, initrd, disks) must
be readable by it: files.stage() gives such paths, files.shared_tmpdir()
such directories.

    with Libvirtd() as d:
        subprocess.run(["virsh", "-c", d.uri, "list"])
"""
import os
import pwd
import shutil
import subprocess
import time

from .case import HarnessError, need, need_root
from .files import shared_tmpdir

USER = "zsim-e2e"


def ensure_user():
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", USER], check=True)
        return pwd.getpwnam(USER)


class Libvirtd:
    def __init__(self, warm=True):
        """warm=False: start() does not make the daemon probe QEMU (its
        first client pays for that, as after a real libvirtd's start)."""
        self.proc = None
        self.base = None
        self.warm = warm

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self, timeout=30):
        need_root("a private libvirtd (its own user)")
        libvirtd = need("libvirtd", "libvirt-daemon")
        need("virsh", "libvirt-clients")
        user = ensure_user()
        self.base = shared_tmpdir("zsim-libvirtd.")
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}
        for var, sub, mode in (("HOME", "home", 0o755), ("XDG_RUNTIME_DIR", "run", 0o700),
                               ("XDG_CONFIG_HOME", "config", 0o700),
                               ("XDG_CACHE_HOME", "cache", 0o700)):
            path = os.path.join(self.base, sub)
            os.mkdir(path, mode)
            os.chown(path, user.pw_uid, user.pw_gid)
            env[var] = path
        self.run_dir = env["XDG_RUNTIME_DIR"]
        self.socket = os.path.join(self.run_dir, "libvirt", "libvirt-sock")
        self.uri = f"qemu:///session?socket={self.socket}"
        self.log = os.path.join(self.base, "libvirtd.log")
        logf = open(self.log, "wb")

        def drop():
            os.setgid(user.pw_gid)
            os.setgroups([])
            os.setuid(user.pw_uid)

        self.proc = subprocess.Popen([libvirtd, "--timeout", "3600"], env=env,
                                     stdin=subprocess.DEVNULL, stdout=logf,
                                     stderr=subprocess.STDOUT, preexec_fn=drop,
                                     cwd=env["HOME"])
        logf.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError(f"libvirtd exited {self.proc.returncode}:\n"
                                   + self.log_text())
            # domcapabilities makes libvirtd probe QEMU now (seconds under
            # TCG on a busy host) rather than during a test's preflight
            if os.path.exists(self.socket) and self.virsh("uri").returncode == 0:
                if not self.warm:
                    return
                res = self.virsh("domcapabilities", "--virttype", "qemu",
                                 timeout=max(5, deadline - time.monotonic()))
                if res.returncode != 0:
                    self.stop()
                    raise HarnessError(f"libvirtd cannot use QEMU: {res.stderr}\n"
                                       + self.log_text())
                return
            time.sleep(0.1)
        self.stop()
        raise HarnessError(f"libvirtd did not answer within {timeout} s:\n" + self.log_text())

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def virsh(self, *args, timeout=60):
        return subprocess.run(["virsh", "-c", self.uri, *args], capture_output=True,
                              text=True, timeout=timeout)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            # domains outlive their daemon: destroy ours first
            res = self.virsh("list", "--name")
            for name in res.stdout.split():
                self.virsh("destroy", name)
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.base:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None
