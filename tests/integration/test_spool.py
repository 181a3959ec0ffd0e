"""The spool and its daemon: a real `zsim-orch serve` on a temporary spool,
driven with the noop experiment."""
import fcntl
import glob
import json
import os
import pwd
import signal
import subprocess
import tempfile
import time

from zsimtest import ZSIM_ORCH, TestCase, main, run


class Spool(TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="zsim-spool.")
        os.chmod(self.tmp, 0o755)
        self.spool = os.path.join(self.tmp, "spool")
        self.conf = os.path.join(self.tmp, "zsim.conf")
        with open(self.conf, "w") as f:
            # state too: the host lock a run takes lives there, not on the host
            f.write(f"[paths]\nspool = {self.spool}\nresults = {self.tmp}/results\n"
                    f"state = {self.tmp}/state\n")
        self.daemon = None
        self.start()

    def tearDown(self):
        self.stop()
        subprocess.run(["rm", "-rf", self.tmp])

    def start(self):
        self.log = open(os.path.join(self.tmp, "serve.log"), "ab")
        self.daemon = subprocess.Popen([ZSIM_ORCH, "--config", self.conf, "serve"],
                                       stderr=self.log)
        deadline = time.monotonic() + 10
        while not os.path.isdir(os.path.join(self.spool, ".zsim", "queued")):
            self.assertLess(time.monotonic(), deadline, "the daemon did not start")
            time.sleep(0.02)
        time.sleep(0.1)

    def stop(self, sig=signal.SIGTERM):
        if self.daemon and self.daemon.poll() is None:
            self.daemon.send_signal(sig)
            self.daemon.wait(timeout=90)
        self.daemon = None
        self.log.close()

    def zo(self, *args):
        return run("--config", self.conf, *args)

    def drop(self, name, text):
        tmp = os.path.join(self.spool, "." + name + ".tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, os.path.join(self.spool, name))

    def runs(self):
        res = self.zo("queue", "ls", "--json")
        self.assertRun(res, 0)
        return json.loads(res.out)

    def wait_for(self, pred, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.runs()
            if pred(runs):
                return runs
            time.sleep(0.1)
        self.fail(f"timed out; runs: {json.dumps(self.runs(), indent=1)}")

    def all_finished(self, n):
        return lambda runs: len(runs) == n and all(
            r["state"] not in ("queued", "running") for r in runs)

    def test_order_matrix_repeat(self):
        for i in range(3):
            self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "0"), 0)
        self.drop("m.job", "[job]\nexperiment = noop\nargs = --seconds {a}{b}\n"
                           "[matrix]\na = 0, 00, 000\nb = 0, 1\n")
        self.drop("r.job", "[job]\nexperiment = noop\nargs = --seconds 0\nrepeat = 3\n")
        runs = self.wait_for(self.all_finished(12))
        self.assertTrue(all(r["state"] == "done" for r in runs), runs)
        self.assertEqual([r["id"] for r in runs], sorted(r["id"] for r in runs))
        started = [r["started"] for r in sorted(runs, key=lambda r: r["id"])]
        self.assertEqual(started, sorted(started))
        matrix = [r for r in runs if r["file"] == "m.job"]
        self.assertEqual([r["args"] for r in matrix],
                         [["--seconds", s] for s in ("00", "01", "000", "001", "0000", "0001")])
        self.assertEqual([r["name"] for r in matrix][:2], ["m-a0-b0", "m-a0-b1"])
        self.assertEqual([r["name"] for r in runs if r["file"] == "r.job"],
                         ["r-r1", "r-r2", "r-r3"])
        for r in runs:
            self.assertEqual(len(glob.glob(r["results"] + "/noop-*.params")), 1, r)

    def test_a_config_edit_applies_to_the_next_job(self):
        def recorded(run):
            with open(glob.glob(run["results"] + "/noop-*.params")[0]) as f:
                return json.load(f)["config"]["zswap"]["max_pool_percent"]

        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "0"), 0)
        runs = self.wait_for(self.all_finished(1))
        self.assertEqual(recorded(runs[0]), "50")
        # written in place, as an editor may, and same length as before
        with open(self.conf, "a") as f:
            f.write("[zswap]\nmax_pool_percent = 31\n")
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "0"), 0)
        runs = self.wait_for(self.all_finished(2))
        self.assertEqual(recorded(runs[1]), "31")
        with open(self.conf) as f:
            text = f.read().replace("= 31", "= 32")
        with open(self.conf + ".new", "w") as f:
            f.write(text)
        os.rename(self.conf + ".new", self.conf)
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "0"), 0)
        runs = self.wait_for(self.all_finished(3))
        self.assertEqual(recorded(runs[2]), "32")
        # broken while a job waits: that job fails with the reason in its
        # log (the queue commands read the config too, so it is put back
        # before asking them)
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "2"), 0)
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "0"), 0)
        self.wait_for(lambda runs: runs[3]["state"] == "running")
        with open(self.conf) as f:
            good = f.read()
        with open(self.conf, "a") as f:
            f.write("[zswap]\nmax_pool_percent = lots\n")
        failed = os.path.join(self.spool, ".zsim", "failed")
        deadline = time.monotonic() + 30
        while not os.listdir(failed):
            self.assertLess(time.monotonic(), deadline, "the job did not fail")
            time.sleep(0.05)
        with open(self.conf, "w") as f:
            f.write(good)
        runs = self.wait_for(self.all_finished(5))
        self.assertEqual([r["state"] for r in runs[3:]], ["done", "failed"])
        res = self.zo("queue", "log", runs[4]["id"])
        self.assertIn("max_pool_percent", res.out)

    def test_timeout_and_cancel(self):
        self.drop("slow.job", "[job]\nexperiment = noop\nargs = --seconds 60\ntimeout = 2s\n")
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "60"), 0)
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "60"), 0)
        runs = self.wait_for(lambda rs: len(rs) == 3 and rs[0]["state"] == "timed out", 30)
        self.assertEqual(runs[0]["exit"], 143)
        self.assertLess(runs[0]["duration_ms"], 10000)
        running = self.wait_for(lambda rs: rs[1]["state"] == "running")[1]["id"]
        queued = self.runs()[2]["id"]
        self.assertRun(self.zo("queue", "cancel", queued), 0)
        self.assertRun(self.zo("queue", "cancel", running), 0)
        runs = self.wait_for(self.all_finished(3), 30)
        self.assertEqual([r["state"] for r in runs], ["timed out", "cancelled", "cancelled"])
        self.assertNotIn("started", runs[2])
        res = self.zo("queue", "cancel", queued)
        self.assertRun(res, 1)
        self.assertIn("already finished", res.err)
        res = self.zo("queue", "retry", queued)
        self.assertRun(res, 0)
        self.wait_for(lambda rs: len(rs) == 4 and rs[3]["state"] == "running", 30)

    def test_a_run_waits_for_a_command_holding_the_host_lock(self):
        # held as a manual command holds it (ops/lock): flock, "pid what",
        # and unlinked before it is let go
        lock = os.path.join(self.tmp, "state", "lock")
        os.makedirs(os.path.dirname(lock), exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, b"%d thin create\n" % os.getpid())
            self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "0"), 0)
            self.wait_for(lambda rs: rs and rs[0]["state"] != "queued")
            time.sleep(1)
            # waiting (running) or, for a run that takes no lock, done;
            # never refused
            self.assertIn(self.runs()[0]["state"], ("running", "done"))
        finally:
            os.unlink(lock)
            os.close(fd)
        runs = self.wait_for(self.all_finished(1), 30)
        self.assertEqual(runs[0]["state"], "done", self.zo("queue", "log", runs[0]["id"]).out)
        self.assertNotIn("another command is changing this host",
                         self.zo("queue", "log", runs[0]["id"]).out)

    def test_kill_9_then_restart_requeues_once(self):
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "3"), 0)
        rid = self.wait_for(lambda rs: rs and rs[0]["state"] == "running")[0]["id"]
        self.stop(signal.SIGKILL)
        self.start()
        runs = self.wait_for(self.all_finished(1), 30)
        self.assertEqual(runs[0]["state"], "done")
        self.assertEqual(runs[0]["attempt"], 2)
        self.assertEqual(runs[0]["requeued"], "the daemon stopped while it ran")
        self.assertEqual(runs[0]["id"], rid)
        self.assertEqual(len(glob.glob(runs[0]["results"] + "/*.params")), 1)

    def test_sigterm_cancels_the_running_job(self):
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "60"), 0)
        self.wait_for(lambda rs: rs and rs[0]["state"] == "running")
        start = time.monotonic()
        self.stop()
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual(self.runs()[0]["state"], "cancelled")

    def test_hostile_input_is_rejected_and_the_daemon_goes_on(self):
        rejected = os.path.join(self.spool, ".zsim", "rejected")
        self.drop("malformed.job", "[job\nexperiment = noop\n")
        self.drop("unknown.job", "[job]\nexperiment = exp99999\n")
        self.drop("subst.job", "[job]\nexperiment = noop\nargs = --seconds $(reboot)\n")
        self.drop("semi.job", '[job]\nexperiment = noop\nargs = "--seconds 1; rm -rf /"\n')
        os.symlink("/etc/shadow", os.path.join(self.spool, "shadow.job"))
        outside = os.path.join(self.tmp, "outside.job")
        with open(outside, "w") as f:
            f.write("[job]\nexperiment = noop\n")
        os.link(outside, os.path.join(self.spool, "hardlink.job"))
        os.mkfifo(os.path.join(self.spool, "fifo.job"))
        with open(os.path.join(self.tmp, ".big"), "w") as f:
            f.write("[job]\nexperiment = noop\n" + "# padding\n" * 110000)
        os.rename(os.path.join(self.tmp, ".big"), os.path.join(self.spool, "big.job"))
        nobody = pwd.getpwnam("nobody")
        other = os.path.join(self.tmp, ".other")
        with open(other, "w") as f:
            f.write("[job]\nexperiment = noop\nargs = --seconds 0\n")
        os.chown(other, nobody.pw_uid, nobody.pw_gid)
        os.rename(other, os.path.join(self.spool, "other.job"))
        expect = {
            "malformed.job": "line 1",
            "unknown.job": "experiment = exp99999: no such experiment",
            "subst.job": "noop: --seconds $(reboot): use a whole number",
            "semi.job": "--seconds 1; rm -rf /: unknown option",
            "shadow.job": "a symbolic link",
            "hardlink.job": "a hard link",
            "fifo.job": "not a regular file",
            "big.job": "larger than 64 KiB",
            "other.job": "neither root nor in group zsim",
        }
        deadline = time.monotonic() + 20
        while len(glob.glob(rejected + "/*.error")) < len(expect):
            self.assertLess(time.monotonic(), deadline, os.listdir(rejected))
            time.sleep(0.1)
        for name, msg in expect.items():
            with open(os.path.join(rejected, name + ".error")) as f:
                self.assertIn(msg, f.read(), name)
        self.assertIsNone(self.daemon.poll())
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "0"), 0)
        runs = self.wait_for(self.all_finished(1))
        self.assertEqual(runs[0]["state"], "done")

    def test_thousand_jobs_run_exactly_once(self):
        staging = os.path.join(self.tmp, "staging")
        os.mkdir(staging)
        for i in range(1000):
            with open(os.path.join(staging, f"j{i:04}.job"), "w") as f:
                f.write("[job]\nexperiment = noop\nargs = --seconds 0\n")
        for i in range(1000):
            os.rename(os.path.join(staging, f"j{i:04}.job"),
                      os.path.join(self.spool, f"j{i:04}.job"))
        runs = self.wait_for(self.all_finished(1000), 600)
        self.assertTrue(all(r["state"] == "done" for r in runs))
        self.assertEqual(sorted(r["name"] for r in runs), [f"j{i:04}" for i in range(1000)])
        params = glob.glob(os.path.join(self.tmp, "results", "*", "*.params"))
        self.assertEqual(len(params), 1000)

    def test_bad_commands(self):
        for args, rc, msg in ((["queue", "submit", "exp99999"], 2, "no experiment"),
                              (["queue", "submit", "noop", "--seconds", "x"], 2, "--seconds x"),
                              (["queue", "show", "nope"], 1, "no job nope"),
                              (["queue", "cancel", "../etc"], 1, "no job ../etc"),
                              (["queue", "add", "/nonexistent.job"], 1, "No such file")):
            res = self.zo(*args)
            self.assertRun(res, rc)
            self.assertIn(msg, res.err)


if __name__ == "__main__":
    main()
