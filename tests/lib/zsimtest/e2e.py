"""The e2e tier: a private libvirtd per test class, a config pointing
zsim-orch at it and at the tiny target, and checks that go through virsh
rather than through zsim-orch."""
import json
import os
import shutil
import signal
import subprocess
import time

from .agent import guest_exec
from .case import Missing, TestCase, main  # noqa: F401 (main: for tests)
from .env import E2E_TARGET as TARGET
from .env import SOURCE_DIR, ZSIM_ORCH
from .files import shared_tmpdir, stage
from .libvirtd import Libvirtd
from .proc import command

# Config keys naming files QEMU opens (as the daemon's user).
QEMU_READS = ("kernel", "initrd", "base_image")


class E2ETestCase(TestCase):
    disk_mode = False

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(os.path.join(TARGET, "initrd.cpio")):
            raise Missing(f"no tiny target in '{TARGET}': the e2e.build-target test "
                          "builds it (ctest -L e2e runs it first)")
        cls.daemon = Libvirtd()
        cls.daemon.start()

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()

    def setUp(self):
        # QEMU and libvirtd run as the daemon's own user: it writes the
        # serial log and the storage pool under the state directory.
        self.tmp = shared_tmpdir("zsim-e2e.", 0o777)
        self.state = os.path.join(self.tmp, "state")
        os.makedirs(os.path.join(self.state, "target"))
        for d in (self.state, os.path.join(self.state, "target")):
            os.chmod(d, 0o777)
        self.results = os.path.join(self.tmp, "results")
        self.conf = os.path.join(self.tmp, "zsim.conf")
        self.write_config()

    def tearDown(self):
        self.daemon.virsh("destroy", self.name)
        self.daemon.virsh("undefine", self.name)
        shutil.rmtree(self.tmp, ignore_errors=True)

    name = "e2e-target"

    def write_config(self, **extra):
        target = {"name": self.name, "accel": "tcg", "memory": "256M", "vcpus": "1",
                  "agent_timeout": "90"}
        if self.disk_mode:
            target.update(base_image=os.path.join(TARGET, "base.qcow2"),
                          kernel=os.path.join(TARGET, "vmlinuz"),
                          initrd=os.path.join(TARGET, "initrd.cpio"),
                          cmdline="console=ttyS0 quiet root=/dev/vda")
        else:
            target.update(kernel=os.path.join(TARGET, "vmlinuz"),
                          initrd=os.path.join(TARGET, "initrd.cpio"),
                          cmdline="console=ttyS0 quiet")
        target.update(extra)
        for key in QEMU_READS:
            if key in target:
                target[key] = stage(target[key])
        with open(self.conf, "w") as f:
            f.write("[host]\nrequire_0sim = no\n[target]\n")
            for k, v in target.items():
                f.write(f"{k} = {v}\n")
            f.write(f"[paths]\nstate = {self.state}\nresults = {self.results}\n")

    def zo(self, *args, timeout=300):
        res = command(ZSIM_ORCH, "--config", self.conf, "--connect", self.daemon.uri, *args,
                      timeout=timeout)
        print(f"$ zsim-orch {' '.join(args)} -> {res.rc}\n{res.out}{res.err}")
        return res

    def virsh(self, *args):
        res = self.daemon.virsh(*args)
        self.assertEqual(res.returncode, 0, res.stderr)
        return res.stdout

    # -- the target asked directly through libvirt's agent channel (virsh)
    def agent(self, command, arguments=None):
        msg = {"execute": command}
        if arguments is not None:
            msg["arguments"] = arguments
        return json.loads(self.virsh("qemu-agent-command", self.name, json.dumps(msg)))["return"]

    def agent_exec(self, *argv, timeout=60):
        """argv run in the target through the agent; its stdout."""
        code, out, err = guest_exec(self.agent, list(argv), timeout=timeout, poll=0.1)
        self.assertEqual(code, 0, (argv, out, err))
        return out

    def run_held(self, args, hold_at, while_held, timeout=1200):
        """`zsim-orch -v run ARGS`, stopped with SIGSTOP at the first
        stderr line containing hold_at while while_held() looks at the
        target, then let go: (exit code, stdout, stderr, what while_held
        returned; None if that line never came)."""
        t0 = time.monotonic()
        proc = subprocess.Popen([ZSIM_ORCH, "-v", "--config", self.conf, "--connect",
                                 self.daemon.uri, "run", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen, held = [], None
        try:
            for line in proc.stderr:
                seen.append(line)
                if held is None and hold_at in line:
                    proc.send_signal(signal.SIGSTOP)
                    t1 = time.monotonic()
                    try:
                        held = while_held()
                    finally:
                        proc.send_signal(signal.SIGCONT)
                    print(f"MEASURE run held at '{hold_at}' for {time.monotonic() - t1:.1f} s")
            out, err = proc.communicate(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err = "".join(seen) + err
        secs = time.monotonic() - t0
        print(f"$ zsim-orch run {' '.join(args)} -> {proc.returncode} in {secs:.0f} s\n"
              f"{out}{err}")
        print(f"MEASURE run {' '.join(args)}: {secs:.1f} s")
        return proc.returncode, out, err, held


def conditioned_root(parent, target):
    """The 0sim-node fixture as the host, plus the files conditioning
    touches, and the tiny target under it (the kernel and initrd are read
    by QEMU, which runs as the private libvirtd's user)."""
    root = os.path.join(parent, "root")
    shutil.copytree(os.path.join(SOURCE_DIR, "tests", "fixtures", "0sim-node"), root)
    for path, text in {
            "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor": "powersave",
            "/proc/sys/kernel/printk": "7\t4\t1\t7",
            "/proc/sys/vm/drop_caches": "0",
            "/proc/sys/vm/compact_memory": ""}.items():
        os.makedirs(os.path.dirname(root + path), exist_ok=True)
        with open(root + path, "w") as f:
            f.write(text + "\n" if text else "")
    os.symlink(target, root + "/target")
    for d in ("state", "state/target", "results"):
        os.makedirs(os.path.join(root, d))
        os.chmod(os.path.join(root, d), 0o777)
    for dirpath, dirnames, _ in os.walk(parent):
        for d in dirnames:
            os.chmod(os.path.join(dirpath, d), 0o777)
    os.chmod(parent, 0o777)
    return root
