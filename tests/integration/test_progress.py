"""Progress of long work: the same wait (a command queued with --wait
behind the host lock) under a pseudo-terminal shows one live line,
rewritten in place; under a pipe one plain line, never a carriage
return; --progress forces the live line, -q silences both; --progress-json
makes stderr JSON Lines on both, each line with its shape. serve reports
the running job and the phase it is in with STATUS= on its notify socket,
and queue ls shows that phase."""
import fcntl
import json
import re
import os
import pty
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from zsimtest import FIXTURES, ZSIM_ORCH, TestCase, main, run, schema

WAIT = 10
LOCK = "/var/lib/zsim/lock"


class Held:
    """The host lock of `root`, held by this test as "pid (zsim-orch NAME)"."""

    def __init__(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        os.ftruncate(self.fd, 0)
        os.write(self.fd, f"{os.getpid()} progress-test\n".encode())
        self.holder = f"pid {os.getpid()} (zsim-orch progress-test)"

    def release(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def waiter(root, *global_opts, tty):
    """`zsim-orch --wait GLOBAL_OPTS --root ROOT knobs set zswap_enabled=no`
    queued behind the held lock, its stderr a pty or a pipe; released after
    a second. Its exit status and what reached stderr (bytes)."""
    held = Held(root + LOCK)
    env = dict(os.environ, LC_ALL="C")
    env.pop("ZSIM_ROOT", None)
    args = [ZSIM_ORCH, "--wait", *global_opts, "--root", root, "knobs", "set",
            "zswap_enabled=no"]
    if tty:
        master, slave = pty.openpty()
        proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
    else:
        proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        master = proc.stderr.fileno()
    err, released, start = b"", False, time.monotonic()
    try:
        while time.monotonic() - start < WAIT:
            # let it go once it says it waits (or after a second: -q says nothing)
            if not released and (b"lock" in err or time.monotonic() - start > 1):
                held.release()
                released = True
            ready, _, _ = select.select([master], [], [], 0.1)
            if not ready:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:   # the pty's other end closed
                chunk = b""
            if not chunk:
                break
            err += chunk
        rc = proc.wait(timeout=WAIT)
    finally:
        held.release()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if tty:
            os.close(master)
    return rc, err, held.holder


class Progress(TestCase):
    def setUp(self):
        self.scratch = tempfile.mkdtemp()
        os.chmod(self.scratch, 0o755)
        self.addCleanup(shutil.rmtree, self.scratch)
        self.root = os.path.join(self.scratch, "0sim-node")
        shutil.copytree(os.path.join(FIXTURES, "0sim-node"), self.root)

    def test_a_pipe_gets_one_plain_line(self):
        rc, err, holder = waiter(self.root, tty=False)
        self.assertEqual(rc, 0)
        self.assertEqual(err.decode(),
                         f"zsim-orch: waiting for {holder} to release the host lock\n")

    def test_a_terminal_gets_a_live_line(self):
        rc, err, holder = waiter(self.root, tty=True)
        self.assertEqual(rc, 0)
        # the terminal turns "\n" into "\r\n"
        self.assertEqual(err.decode(),
                         f"\rwaiting for {holder} to release the host lock\x1b[K\r\n")

    def test_progress_forces_it_and_quiet_silences_it(self):
        rc, err, holder = waiter(self.root, "--progress", tty=False)
        self.assertEqual(rc, 0)
        self.assertEqual(err.decode(), f"\rwaiting for {holder} to release the host lock\x1b[K\n")
        rc, err, _ = waiter(self.root, "-q", tty=True)
        self.assertEqual((rc, err), (0, b""))

    def test_progress_json_is_json_lines_on_a_pipe_and_a_terminal(self):
        for tty in (False, True):
            rc, err, holder = waiter(self.root, "--progress-json", tty=tty)
            self.assertEqual(rc, 0)
            # a terminal turns "\n" into "\r\n"; no live line, no escape
            text = err.decode().replace("\r\n", "\n") if tty else err.decode()
            self.assertNotIn("\r", text)
            self.assertEqual(schema.check_lines(text, schema.STREAMS["--progress-json"],
                                                "stderr"), [])
            docs = [json.loads(line) for line in text.splitlines()]
            phase = f"waiting for {holder} to release the host lock"
            self.assertEqual([(d["schema"], d["phase"]) for d in docs],
                             [("zsim.progress.phase/1", phase),
                              ("zsim.progress.end/1", phase)])
            self.assertLessEqual(docs[0]["elapsed_ms"], docs[1]["elapsed_ms"])
        # -q keeps the messages quiet, not the progress asked for
        rc, err, _ = waiter(self.root, "-q", "--progress-json", tty=False)
        self.assertEqual(rc, 0)
        self.assertEqual([json.loads(l)["schema"] for l in err.decode().splitlines()],
                         ["zsim.progress.phase/1", "zsim.progress.end/1"])


class ServeStatus(TestCase):
    """serve under a stand-in for systemd's notify socket."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="zsim-notify.")
        os.chmod(self.tmp, 0o755)
        self.addCleanup(shutil.rmtree, self.tmp)
        self.conf = os.path.join(self.tmp, "zsim.conf")
        with open(self.conf, "w") as f:
            f.write(f"[paths]\nspool = {self.tmp}/spool\nresults = {self.tmp}/results\n"
                    f"state = {self.tmp}/state\n")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(self.sock.close)
        self.sock.bind(os.path.join(self.tmp, "notify"))
        self.sock.settimeout(WAIT)
        self.daemon = subprocess.Popen([ZSIM_ORCH, "--config", self.conf, "serve"],
                                       env=dict(os.environ, NOTIFY_SOCKET=self.sock.getsockname()),
                                       stderr=subprocess.DEVNULL)
        self.addCleanup(self.stop)

    def stop(self):
        if self.daemon.poll() is None:
            self.daemon.send_signal(signal.SIGTERM)
            self.daemon.wait(timeout=90)

    def messages(self, until):
        """Datagrams until one contains `until`."""
        got = []
        while not any(until in m for m in got):
            got.append(self.sock.recv(4096).decode())
        return got

    def test_status_names_the_job_and_its_phase(self):
        self.assertEqual(self.messages("READY=1"), ["READY=1\nSTATUS=waiting for jobs"])
        held = Held(os.path.join(self.tmp, "state", "lock"))
        self.addCleanup(held.release)
        res = run("--config", self.conf, "queue", "submit", "noop", "--seconds", "0")
        self.assertRun(res, 0)
        waiting = f"waiting for {held.holder} to release the host lock"
        got = self.messages(waiting)
        rid = json.loads(run("--config", self.conf, "--json", "queue", "ls").out)["jobs"][0]
        self.assertEqual(got, [f"STATUS=running {rid['id']} ({rid['name']})",
                               f"STATUS=running {rid['id']} ({rid['name']}): {waiting}"])
        # queue ls shows the running job's phase, in both forms
        self.assertEqual((rid["state"], rid["phase"]), ("running", waiting))
        res = run("--config", self.conf, "queue", "ls")
        self.assertRegex(res.out, rf"\n{rid['id']} running +noop .* {re.escape(waiting)}\n")
        held.release()
        self.assertEqual(self.messages("waiting for jobs")[-1], "STATUS=waiting for jobs")
        done = json.loads(run("--config", self.conf, "--json", "queue", "ls").out)["jobs"][0]
        self.assertEqual((done["state"], done["phase"]), ("done", None))
        self.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(self.messages("STOPPING=1")[-1], "STOPPING=1\nSTATUS=stopping")


if __name__ == "__main__":
    main()
