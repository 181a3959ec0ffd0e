"""The host lock on a fixture root: while one host-changing command holds
it, a second is refused (exit 3, holder named) and changes nothing,
read-only commands and --dry-run still work, --wait queues behind it, and
a holder killed with SIGKILL blocks no one.

The holder is `knobs set zerosim_delay=5` with /proc/zerosim_delay replaced
by a FIFO. Knobs are read only from regular files (a FIFO is "not a regular
file", never waited on), but written as the kernel's files are: opening the
FIFO to write blocks until this test opens its read end, and what the
holder wrote is read there."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

from zsimtest import FIXTURES, ZSIM_ORCH, TestCase, main, run, tree_digest

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


if __name__ == "__main__":
    main()
