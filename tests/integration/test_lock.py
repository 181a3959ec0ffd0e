"""The host lock on a fixture root: while one host-changing command holds
it, a second is refused (exit 3, holder named) and changes nothing,
read-only commands and --dry-run still work, --wait queues behind it, and
a holder killed with SIGKILL blocks no one. Every host-changing command
parses and checks its arguments before it takes the lock: a bad one is a
usage error (exit 2) at once, even under --wait while another holds it.

The holder is `knobs set zerosim_delay=5` with /proc/zerosim_delay replaced
by a FIFO. Knobs are read only from regular files (a FIFO is "not a regular
file", never waited on), but written as the kernel's files are: opening the
FIFO to write blocks until this test opens its read end, and what the
holder wrote is read there."""
import fcntl
import os
import shutil
import signal
import subprocess
import tempfile
import time

from zsimtest import (BUILD_DIR, FIXTURES, ZSIM_ORCH, TestCase, command, main, run,
                      tree_digest)

WAIT = 10  # seconds any step may take before the test gives up
ZSWAP = "/sys/module/zswap/parameters/enabled"
LOCK = "/var/lib/zsim/lock"


class Holder:
    """`zsim-orch --root ROOT knobs set zerosim_delay=5`, held inside its
    write of the FIFO until release()."""

    def __init__(self, test, root, scratch):
        self.root = root
        self.fifo = root + "/proc/zerosim_delay"
        os.unlink(self.fifo)
        os.mkfifo(self.fifo, 0o644)
        self.proc = spawn("--root", root, "knobs", "set", "zerosim_delay=5")
        test.addCleanup(self.cleanup)
        # the lock file names the holder once it holds the lock; it then
        # waits in open() for a reader of the FIFO
        deadline = time.monotonic() + WAIT
        while not self.holds():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                out, err = self.proc.communicate(timeout=WAIT)
                test.fail(f"knobs set never took the lock: exit {self.proc.returncode}"
                          f"\n{out}{err}")
            time.sleep(0.02)

    def holds(self):
        try:
            with open(self.root + LOCK) as f:
                return f.read() == f"{self.proc.pid} knobs set\n"
        except FileNotFoundError:
            return False

    def release(self):
        """Read what the holder writes and let it finish; its result and
        what it wrote."""
        fd = os.open(self.fifo, os.O_RDONLY | os.O_NONBLOCK)
        written = b""
        deadline = time.monotonic() + WAIT
        try:
            while time.monotonic() < deadline:
                try:
                    chunk = os.read(fd, 64)
                except BlockingIOError:
                    chunk = None  # the holder has it open and is writing
                written += chunk or b""
                if chunk == b"" and self.proc.poll() is not None:
                    break
                time.sleep(0.02)
        finally:
            os.close(fd)
        out, err = self.proc.communicate(timeout=WAIT)
        return self.proc.returncode, out, err, written.decode()

    def cleanup(self):
        stop(self.proc)


def stop(proc):
    """Kill `proc` (started by this test) unless it has finished; reap it."""
    if proc.returncode is not None:
        return
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=WAIT)


def spawn(*args):
    env = dict(os.environ, LC_ALL="C")
    env.pop("ZSIM_ROOT", None)
    return subprocess.Popen([ZSIM_ORCH, *args], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class Lock(TestCase):
    def setUp(self):
        self.scratch = tempfile.mkdtemp()
        os.chmod(self.scratch, 0o755)
        self.addCleanup(shutil.rmtree, self.scratch)
        self.root = os.path.join(self.scratch, "0sim-node")
        shutil.copytree(os.path.join(FIXTURES, "0sim-node"), self.root)

    def read(self, path):
        with open(self.root + path) as f:
            return f.read()

    def test_second_command_refused_then_wait_queues(self):
        holder = Holder(self, self.root, self.scratch)
        pid = holder.proc.pid
        self.assertEqual(self.read(LOCK), f"{pid} knobs set\n")
        lock_path = self.root + LOCK
        refusal = (f"zsim-orch: error: another command is changing this host: pid {pid} "
                   f"(zsim-orch knobs set) holds {lock_path}; wait for it to finish, or "
                   f"pass --wait to queue behind it\n")

        before = tree_digest(self.root)
        for args in (["knobs", "set", "zswap_enabled=no"], ["thin", "remove"], ["swap", "on"]):
            res = run("--root", self.root, *args, timeout=WAIT)
            self.assertRun(res, 3, out="", err=refusal)
            self.assertEqual(tree_digest(self.root), before, args)
        self.assertEqual(self.read(ZSWAP), "Y\n")

        # Read-only commands and --dry-run take no lock.
        res = run("--root", self.root, "knobs", "show", timeout=WAIT)
        self.assertRun(res, 0, err="")
        self.assertRegex(res.out, r"zerosim_delay +unreadable +/proc/zerosim_delay: not a "
                                  r"regular file")
        self.assertRegex(res.out, r"zswap_enabled +Y ")
        res = run("--root", self.root, "status", timeout=WAIT)
        self.assertRun(res, 0)
        self.assertIn("0sim kernel:  yes", res.out)
        res = run("--root", self.root, "--dry-run", "knobs", "set", "zswap_enabled=no",
                  timeout=WAIT)
        self.assertRun(res, 0, out=f"would write N to {ZSWAP}\n", err="")
        self.assertEqual(tree_digest(self.root), before)

        # --wait queues behind the holder, then does its work.
        waiter = spawn("--wait", "--root", self.root, "knobs", "set", "zswap_enabled=no")
        self.addCleanup(stop, waiter)
        try:
            waiter.wait(timeout=1)
        except subprocess.TimeoutExpired:
            pass
        self.assertIsNone(waiter.returncode, "--wait did not wait for the holder")
        self.assertEqual(self.read(ZSWAP), "Y\n")

        rc, out, err, written = holder.release()
        self.assertEqual((rc, out, err), (0, "zerosim_delay = 5 (was ?)\n", ""))
        self.assertEqual(written, "5")
        out, err = waiter.communicate(timeout=WAIT)
        self.assertEqual(waiter.returncode, 0, err)
        self.assertEqual(out, "zswap_enabled = N (was Y)\n")
        self.assertEqual(err, f"zsim-orch: waiting for pid {pid} (zsim-orch knobs set) to "
                              f"release the host lock\n")
        self.assertEqual(self.read(ZSWAP), "N")
        self.assertFalse(os.path.lexists(lock_path))

    def test_killed_holder_blocks_no_one(self):
        holder = Holder(self, self.root, self.scratch)
        self.assertEqual(self.read(LOCK), f"{holder.proc.pid} knobs set\n")
        holder.proc.send_signal(signal.SIGKILL)
        holder.proc.communicate(timeout=WAIT)
        self.assertEqual(holder.proc.returncode, -signal.SIGKILL)
        # The file stays behind with the dead holder's line; the flock does not.
        self.assertTrue(os.path.exists(self.root + LOCK))
        res = run("--root", self.root, "knobs", "set", "zswap_enabled=no", timeout=WAIT)
        self.assertRun(res, 0, out="zswap_enabled = N (was Y)\n", err="")
        self.assertEqual(self.read(ZSWAP), "N")
        self.assertFalse(os.path.lexists(self.root + LOCK))

    def test_no_lock_file_after_a_command(self):
        res = run("--root", self.root, "knobs", "show", timeout=WAIT)
        self.assertRun(res, 0)
        self.assertFalse(os.path.lexists(self.root + "/var/lib/zsim"))
        res = run("--root", self.root, "knobs", "set", "zswap_enabled=no", timeout=WAIT)
        self.assertRun(res, 0)
        self.assertFalse(os.path.lexists(self.root + LOCK))


# Each command that takes the host lock: invocations with a bad argument
# (exit 2 before the lock) and one good one (exit 3 while another holds
# the lock: it still takes it). The descriptors' NEED_LOCK commands
# (zsim-docgen names) must all be here; ept on|off, run and slurm epilog
# take the lock after parsing too, without the flag.
LOCKING = {
    "knobs apply": ([["knobs", "apply", "extra"], ["knobs", "apply", "--force"]],
                    ["knobs", "apply"]),
    "knobs set": ([["knobs", "set"], ["knobs", "set", "zerosim_delay"],
                   ["knobs", "set", "=5"], ["knobs", "set", "nosuch=1"],
                   ["knobs", "set", "zswap_enabled=maybe"],
                   ["knobs", "set", "zswap_enabled=no", "thp"]],
                  ["knobs", "set", "zswap_enabled=no"]),
    "setup": ([["setup"], ["setup", "--bogus"], ["setup", "/dev/vdb"],
               ["setup", "--home-fs", "btrfs", "--home-device", "/dev/vdb"],
               ["setup", "--home-mount", "/home"],
               ["setup", "--mapper-device", "/dev/vdb", "--mapper-device", "/dev/vdc"]],
              ["setup", "--swap", "/dev/vdb"]),
    "swap add": ([["swap", "add"], ["swap", "add", "/dev/vdb", "/dev/vdc"],
                  ["swap", "add", "--priority", "99999", "/dev/vdb"],
                  ["swap", "add", "--label", "x" * 17, "/dev/vdb"]],
                 ["swap", "add", "/dev/vdb"]),
    "swap on": ([["swap", "on", "extra"], ["swap", "on", "--all"]], ["swap", "on"]),
    "swap off": ([["swap", "off", "extra"]], ["swap", "off"]),
    "target create": ([["target", "create", "--bogus"], ["target", "create", "x"]],
                      ["target", "create"]),
    "target destroy": ([["target", "destroy", "x"], ["target", "destroy", "--force"]],
                       ["target", "destroy"]),
    "target prepare": ([["target", "prepare"], ["target", "prepare", "x.qcow2"],
                        ["target", "prepare", "--from", "x.qcow2", "--profile", "nope"],
                        ["target", "prepare", "--from", "x.qcow2", "--timeout", "0"]],
                       ["target", "prepare", "--from", "x.qcow2"]),
    "target kernel": ([["target", "kernel"], ["target", "kernel", "build"],
                       ["target", "kernel", "build", "--tree", "/usr/src", "+CONFIG_bad name"],
                       ["target", "kernel", "install"], ["target", "kernel", "install", "a", "b"]],
                      ["target", "kernel", "install", "x.deb"]),
    "target start": ([["target", "start", "--vcpus", "0"], ["target", "start", "--memory", "lots"],
                      ["target", "start", "x"]],
                     ["target", "start"]),
    "target stop": ([["target", "stop", "--timeout", "-1"], ["target", "stop", "x"]],
                    ["target", "stop"]),
    "thin activate": ([["thin", "activate", "x"]], ["thin", "activate"]),
    "thin create": ([["thin", "create"], ["thin", "create", "--virtual-size", "0", "/dev/vdb"],
                     ["thin", "create", "--block-size", "huge", "/dev/vdb"],
                     ["thin", "create", "--metadata", "relative", "/dev/vdb"]],
                    ["thin", "create", "/dev/vdb"]),
    "thin remove": ([["thin", "remove", "x"]], ["thin", "remove"]),
    "ept on": ([["ept", "on", "x"]], ["ept", "on"]),
    "run": ([["run", "nosuch"], ["run", "noop", "--bogus"]], ["run", "noop"]),
    # an epilog always waits for the lock (test_good_arguments_wait...)
    "slurm epilog": ([["slurm", "epilog", "--bogus"], ["slurm", "epilog", "x"]], None),
}


class ParseFirst(TestCase):
    """The lock held with flock(2) by this test, as another command holds
    it: bad arguments are exit 2 at once, good ones are refused."""

    def setUp(self):
        self.scratch = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.scratch)
        self.root = os.path.join(self.scratch, "0sim-node")
        shutil.copytree(os.path.join(FIXTURES, "0sim-node"), self.root)
        os.makedirs(os.path.dirname(self.root + LOCK))
        fd = os.open(self.root + LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        self.addCleanup(os.close, fd)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, f"{os.getpid()} knobs set\n".encode())

    def test_every_locking_command_is_listed(self):
        res = command(os.path.join(BUILD_DIR, "orchestrator", "zsim-docgen"), "names")
        self.assertRun(res, 0)
        flagged = {line[len("lock "):] for line in res.out.splitlines()
                   if line.startswith("lock ")}
        self.assertTrue(flagged)
        self.assertLessEqual(flagged, set(LOCKING),
                             "a command takes the host lock: add its bad and good "
                             "invocations to LOCKING")

    def test_bad_arguments_are_usage_errors_while_the_lock_is_held(self):
        before = tree_digest(self.root)
        for what, (bad, _) in LOCKING.items():
            for args in bad:
                for wait in ([], ["--wait"]):
                    start = time.monotonic()
                    res = run(*wait, "--root", self.root, *args, timeout=WAIT)
                    took = time.monotonic() - start
                    self.assertRun(res, 2, out="")
                    self.assertTrue(res.err.startswith("zsim-orch: error: "), args)
                    self.assertNotIn("another command", res.err, args)
                    self.assertLess(took, 3, f"{args} took {took:.1f} s")
        self.assertEqual(tree_digest(self.root), before)

    def test_good_arguments_still_take_the_lock(self):
        before = tree_digest(self.root)
        for what, (_, good) in LOCKING.items():
            if not good:
                continue
            res = run("--root", self.root, *good, timeout=WAIT)
            self.assertRun(res, 3, out="")
            self.assertIn("another command is changing this host: pid "
                          f"{os.getpid()}", res.err, good)
        self.assertEqual(tree_digest(self.root), before)

    def test_good_arguments_wait_for_the_lock_under_wait(self):
        for args in (["--wait", "knobs", "set", "zswap_enabled=no"], ["slurm", "epilog"]):
            waiter = spawn("--root", self.root, *args)
            self.addCleanup(stop, waiter)
            with self.assertRaises(subprocess.TimeoutExpired, msg=args):
                waiter.wait(timeout=1)
            stop(waiter)
        self.assertEqual(self.read_zswap(), "Y\n")

    def read_zswap(self):
        with open(self.root + ZSWAP) as f:
            return f.read()


if __name__ == "__main__":
    main()
