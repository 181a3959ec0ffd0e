"""The spool and its daemon: a real `zsim-orch serve` on a temporary spool,
driven with the noop experiment."""
import fcntl
import glob
import json
import os
import pwd
import signal
import stat
import subprocess
import tempfile
import time

from zsimtest import SOURCE_DIR, ZSIM_ORCH, TestCase, main, run, schema


class SpoolCase(TestCase):
    """A real daemon on a temporary spool, and what its tests share."""

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

    def zo(self, *args, **kwargs):
        return run("--config", self.conf, *args, **kwargs)

    def drop(self, name, text):
        tmp = os.path.join(self.spool, "." + name + ".tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, os.path.join(self.spool, name))

    def runs(self):
        res = self.zo("queue", "ls", "--json")
        self.assertRun(res, 0)
        return json.loads(res.out)["jobs"]

    def wait_for(self, pred, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.runs()
            if pred(runs):
                return runs
            time.sleep(0.1)
        self.fail(f"timed out; runs: {json.dumps(self.runs(), indent=1)}")

    def state_dir(self, *parts):
        return os.path.join(self.spool, ".zsim", *parts)

    def fabricate(self, state, rid, record, **files):
        """A run's directory as the daemon would have left it; `record`
        is a dict, or the text of job.json as it is."""
        d = self.state_dir(state, rid)
        os.makedirs(d)
        with open(os.path.join(d, "job.json"), "w") as f:
            f.write(record if isinstance(record, str) else json.dumps(record))
        for name, text in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        return d

    def noop_record(self, rid, name="fab", **extra):
        rec = {"id": rid, "name": name, "file": name + ".job", "experiment": "noop",
               "args": ["--seconds", "0"], "timeout_s": 0, "attempt": 0,
               "submitted": "2024-01-01T00:00:00+0000"}
        rec.update(extra)
        return rec

    def serve_log(self):
        with open(os.path.join(self.tmp, "serve.log"), errors="replace") as f:
            return f.read()

    def wait_rejected(self, names, timeout=20):
        rejected = self.state_dir("rejected")
        deadline = time.monotonic() + timeout
        while not all(os.path.exists(os.path.join(rejected, n + ".error")) for n in names):
            self.assertLess(time.monotonic(), deadline,
                            f"{os.listdir(rejected)}\n{self.serve_log()}")
            time.sleep(0.05)
        out = {}
        for n in names:
            with open(os.path.join(rejected, n + ".error")) as f:
                out[n] = f.read()
        return out

    def all_finished(self, n):
        return lambda runs: len(runs) == n and all(
            r["state"] not in ("queued", "running") for r in runs)


class Spool(SpoolCase):
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
        self.assertIsNone(runs[2]["started"])
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

    # ---- issue 16: hostile input ----

    def test_matrix_keys_and_values_cannot_leave_the_results_directory(self):
        # results go to RESULTS/NAME-ID; these would have made it
        # TMP/pwned-ID and TMP/pwnedk1-ID
        self.drop("m.job", "[job]\nexperiment = noop\nargs = --seconds 0\n[matrix]\n"
                           "x = /../../pwned\n")
        self.drop("k.job", "[job]\nexperiment = noop\nargs = --seconds 0\n[matrix]\n"
                           "/../../pwnedk = 1\n")
        errors = self.wait_rejected(["m.job", "k.job"])
        self.assertIn("[matrix] x = /../../pwned: use letters, digits", errors["m.job"])
        self.assertIn("[matrix] key '/../../pwnedk': use letters", errors["k.job"])
        time.sleep(0.5)
        self.assertEqual(glob.glob(os.path.join(self.tmp, "pwned*")), [])
        self.assertEqual(self.runs(), [])

    def test_a_forged_record_cannot_put_results_outside(self):
        # the second defence: whatever a record says, the results
        # directory is made below [paths] results, never through a link
        self.stop()
        results = os.path.join(self.tmp, "results")
        elsewhere = os.path.join(self.tmp, "elsewhere")
        os.makedirs(results)
        os.makedirs(elsewhere)
        os.symlink(elsewhere, os.path.join(results, "link-1000000000000-0002"))
        self.fabricate("queued", "1000000000000-0001",
                       self.noop_record("1000000000000-0001", name="../escaped"))
        self.fabricate("queued", "1000000000000-0002",
                       self.noop_record("1000000000000-0002", name="link"))
        self.fabricate("queued", "1000000000000-0003",
                       self.noop_record("1000000000000-0003", name="fine"))
        self.start()
        runs = self.wait_for(self.all_finished(3), 30)
        self.assertEqual([r["state"] for r in runs], ["failed", "failed", "done"], runs)
        self.assertIn("refusing to write results to", runs[0]["error"])
        self.assertIn("the name must be plain file names", runs[0]["error"])
        self.assertIn("a symbolic link or a file is in the way", runs[1]["error"])
        self.assertEqual(glob.glob(os.path.join(self.tmp, "escaped*")), [])
        self.assertEqual(os.listdir(elsewhere), [])
        self.assertEqual(len(glob.glob(runs[2]["results"] + "/noop-*.params")), 1)

    def test_the_pid_file_proves_which_process_is_the_run(self):
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "30"), 0)
        rid = self.wait_for(lambda rs: rs and rs[0]["state"] == "running")[0]["id"]
        with open(self.state_dir("running", rid, "pid")) as f:
            pid, start, boot = f.read().split()
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/sys/kernel/random/boot_id") as f:
            self.assertEqual(boot, f.read().strip())
        self.assertEqual(start, fields[22 - 3])   # field 22: start time
        self.assertEqual(pid, fields[5 - 3])      # it leads its own group
        self.assertRun(self.zo("queue", "cancel", rid), 0)
        runs = self.wait_for(self.all_finished(1), 30)
        self.assertEqual(runs[0]["state"], "cancelled")

    def test_a_stale_pid_is_never_signalled(self):
        def boot_id():
            with open("/proc/sys/kernel/random/boot_id") as f:
                return f.read().strip()

        self.stop()
        victim = subprocess.Popen(["sleep", "300"], start_new_session=True)
        try:
            with open(f"/proc/{victim.pid}/stat") as f:
                start = f.read().rsplit(")", 1)[1].split()[22 - 3]
            pids = {
                "1000000000000-0001": f"{victim.pid}\n",                     # older format
                "1000000000000-0002": f"{victim.pid} 1 {boot_id()}\n",       # started at another time
                "1000000000000-0003": f"{victim.pid} {start} "               # another boot
                                      "00000000-0000-0000-0000-000000000000\n",
            }
            for rid, pid in pids.items():
                self.fabricate("running", rid, self.noop_record(rid, attempt=1), pid=pid)
            self.start()
            runs = self.wait_for(self.all_finished(3), 30)
            self.assertIsNone(victim.poll(), "the daemon signalled a process not its own")
            self.assertEqual([r["state"] for r in runs], ["done"] * 3)
            self.assertEqual([r["attempt"] for r in runs], [2] * 3)
            self.assertIn("not signalling the process its pid file names", self.serve_log())
            # queue cancel asks for the same proof
            self.stop()
            rid = "1000000000000-0004"
            self.fabricate("running", rid, self.noop_record(rid, attempt=1),
                           pid=f"{victim.pid} 1 {boot_id()}\n")
            res = self.zo("queue", "cancel", rid)
            self.assertRun(res, 0)
            self.assertIn("nothing signalled (its pid now belongs to another process", res.out)
            time.sleep(0.2)
            self.assertIsNone(victim.poll(), "queue cancel signalled a process not the run")
            self.start()
            runs = self.wait_for(self.all_finished(4), 30)
            self.assertEqual(runs[3]["state"], "cancelled")
            self.assertIsNone(victim.poll())
        finally:
            victim.kill()
            victim.wait()

    def test_malformed_ids_are_refused_everywhere(self):
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "30"), 0)
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "0"), 0)
        self.wait_for(lambda rs: len(rs) == 2 and rs[0]["state"] == "running")
        before = sorted(os.listdir(self.state_dir("queued")))
        for verb in ("cancel", "show", "log", "retry"):
            for bad in ("", ".", "..", "queued", "../queued", "1234", "*",
                        "1700000000000-0001/..", "1700000000000-0001/../../queued"):
                res = self.zo("queue", verb, bad)
                self.assertRun(res, 1)
                self.assertIn("not a job ID", res.err, (verb, bad))
        res = self.zo("queue", "show", "")
        self.assertIn('no job "" in', res.err)
        self.assertEqual(sorted(os.listdir(self.state_dir("queued"))), before)
        runs = self.runs()
        self.assertRun(self.zo("queue", "cancel", runs[0]["id"]), 0)
        runs = self.wait_for(self.all_finished(2), 30)
        self.assertEqual([r["state"] for r in runs], ["cancelled", "done"])
        # jobs submitted afterwards still run
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "0"), 0)
        runs = self.wait_for(self.all_finished(3), 30)
        self.assertEqual(runs[2]["state"], "done")

    def test_one_daemon_per_spool(self):
        res = self.zo("serve", timeout=10)
        self.assertRun(res, 3)
        self.assertIn(f"another zsim-orch serve (pid {self.daemon.pid}) serves {self.spool}",
                      res.err)
        self.assertIsNone(self.daemon.poll())
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "0"), 0)
        runs = self.wait_for(self.all_finished(1))
        self.assertEqual(runs[0]["state"], "done")

    def test_concurrent_retries_never_share_an_id(self):
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "0"), 0)
        rid = self.wait_for(self.all_finished(1))[0]["id"]
        procs = [subprocess.Popen([ZSIM_ORCH, "--config", self.conf, "queue", "retry", rid],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(12)]
        new = []
        for p in procs:
            out, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, err)
            new.append(out.split(" queued again as ")[1].strip())
        self.assertEqual(len(set(new)), 12, new)
        runs = self.wait_for(self.all_finished(13), 60)
        self.assertEqual(len({r["id"] for r in runs}), 13)
        self.assertEqual(len({r["results"] for r in runs}), 13)
        self.assertTrue(all(r["state"] == "done" for r in runs), runs)
        for r in runs:
            self.assertEqual(len(glob.glob(r["results"] + "/noop-*.params")), 1, r)

    def fill_the_spool(self, options):
        """Serve a spool on a small tmpfs and drop jobs into it until it is
        full: one-run jobs, and 60-run ones that cannot all be queued.
        Every file dropped must then be somewhere, saying why."""
        self.stop()
        small = tempfile.mkdtemp(prefix="small.", dir=self.tmp)
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", small], check=True)
        try:
            spool = os.path.join(small, "spool")
            with open(self.conf, "w") as f:
                f.write(f"[paths]\nspool = {spool}\nresults = {self.tmp}/results\n"
                        f"state = {self.tmp}/state\n")
            self.spool = spool
            self.start()
            big = ", ".join(str(i) for i in range(60))
            dropped = {}
            for i in range(300):
                name = f"j{i:03}.job"
                text = "[job]\nexperiment = noop\nargs = --seconds 0\n"
                if i % 2:
                    text += f"[matrix]\nk = {big}\n"
                for attempt in range(5):
                    try:
                        self.drop(name, text)
                        break
                    except OSError:
                        # the daemon may be using the room for a moment
                        time.sleep(0.3)
                else:
                    break
                dropped[name] = 60 if i % 2 else 1
                time.sleep(0.02)
            self.assertGreaterEqual(len(dropped), 2)
            rejected = self.state_dir("rejected")
            deadline = time.monotonic() + 60
            last, since = None, time.monotonic()
            while True:     # settled: nothing changes, nothing waits to run
                runs = self.runs()
                snap = (sorted(os.listdir(spool)), sorted(os.listdir(rejected)),
                        [(r["id"], r["state"]) for r in runs])
                if snap != last:
                    last, since = snap, time.monotonic()
                busy = any(r["state"] in ("queued", "running") for r in runs)
                if not busy and time.monotonic() - since > 1.5:
                    break
                self.assertLess(time.monotonic(), deadline, self.serve_log())
                time.sleep(0.2)
            log = self.serve_log()
            counts = {"queued": 0, "rejected": 0, "left": 0}
            for name, n in dropped.items():
                mine = [r for r in runs if r.get("file") == name]
                where = [os.path.exists(os.path.join(spool, name)),
                         os.path.exists(os.path.join(rejected, name)),
                         len(mine) > 0]
                self.assertEqual(where.count(True), 1, (name, where, log))
                if mine:
                    counts["queued"] += 1
                    self.assertEqual(len(mine), n, (name, mine))
                    for r in mine:
                        self.assertEqual(r["experiment"], "noop")
                        self.assertEqual(r["args"], ["--seconds", "0"])
                        self.assertIn(r["state"], ("done", "failed"))
                elif where[1]:
                    counts["rejected"] += 1
                    err = os.path.join(rejected, name + ".error")
                    if os.path.exists(err):
                        with open(err) as f:
                            self.assertIn("cannot queue its runs", f.read())
                    else:
                        self.assertIn(f"rejected {name}: cannot queue its runs", log)
                else:
                    counts["left"] += 1
                    self.assertIn(f"cannot claim {name}", log)
            self.assertRegex(log, r"<3>.*(No space left on device|Disk quota exceeded)")
            self.assertIsNone(self.daemon.poll())
            self.assertGreater(counts["queued"], 0, counts)
            self.assertGreater(counts["rejected"], 0, counts)
            print(f"\n{options}: {counts}")
        finally:
            self.stop()
            subprocess.run(["umount", small])

    def test_a_full_spool_filesystem_loses_nothing_inodes(self):
        self.fill_the_spool("size=4m,nr_inodes=200,mode=0755")

    def test_a_full_spool_filesystem_loses_nothing_space(self):
        self.fill_the_spool("size=100k,nr_inodes=5000,mode=0755")

    def test_records_of_the_wrong_shape_are_reported_and_skipped(self):
        self.stop()
        good = self.noop_record
        self.fabricate("done", "1000000000000-0001", "[1,2]")
        self.fabricate("done", "1000000000000-0002", dict(good("1000000000000-0002"), args="x"))
        self.fabricate("done", "1000000000000-0003",
                       dict(good("1000000000000-0003"), args=[None]))
        self.fabricate("done", "1000000000000-0004", "null")
        self.fabricate("done", "1000000000000-0005", dict(good("1000000000000-0005"),
                                                          status="done"))
        self.fabricate("queued", "1000000000000-0006", "[1,2]")
        self.fabricate("queued", "1000000000000-0007", dict(good("1000000000000-0007"), args="x"))
        self.fabricate("queued", "1000000000000-0008", good("1000000000000-0008"))
        self.fabricate("queued", "1000000000000-0009",
                       dict(good("1000000000000-0009"), timeout_s=18446744073709552))
        self.fabricate("running", "1000000000000-0010", "[1,2]", pid="1\n")
        self.start()
        # the good queued run starts although bad ones are before it
        deadline = time.monotonic() + 20
        while not os.path.isdir(self.state_dir("done", "1000000000000-0008")):
            self.assertIsNone(self.daemon.poll(), self.serve_log())
            self.assertLess(time.monotonic(), deadline, self.serve_log())
            time.sleep(0.05)
        self.assertIsNone(self.daemon.poll())
        for rid in ("0006", "0007", "0009", "0010"):
            self.assertTrue(os.path.isdir(self.state_dir("failed", "1000000000000-" + rid)), rid)
        with open(self.state_dir("failed", "1000000000000-0007", "job.json")) as f:
            self.assertIn("args is not a list of strings", json.load(f)["error"])
        with open(self.state_dir("failed", "1000000000000-0009", "job.json")) as f:
            self.assertIn("timeout_s", json.load(f)["error"])
        self.assertTrue(os.path.exists(self.state_dir("failed", "1000000000000-0006",
                                                      "job.json.bad")))
        for args in (["queue", "ls"], ["queue", "ls", "--json"]):
            res = self.zo(*args)
            self.assertRun(res, 0)
            for rid in ("0001", "0002", "0003", "0004"):
                self.assertIn(f"1000000000000-{rid} (done): job.json", res.err)
            self.assertIn("1000000000000-0005", res.out)
            self.assertIn("1000000000000-0008", res.out)
        for rid in ("0001", "0002", "0003", "0004"):
            res = self.zo("queue", "retry", "1000000000000-" + rid)
            self.assertRun(res, 1)
            self.assertIn("cannot retry 1000000000000-" + rid, res.err)
        res = self.zo("queue", "show", "1000000000000-0001")
        self.assertRun(res, 1)
        self.assertIn("not a JSON object", res.err)
        self.assertRun(self.zo("queue", "retry", "1000000000000-0005"), 0)
        self.wait_for(lambda rs: any(r.get("retry_of") == "1000000000000-0005" and
                                     r["state"] == "done" for r in rs))

    def test_sighup_is_logged_and_ignored(self):
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "2"), 0)
        self.wait_for(lambda rs: rs and rs[0]["state"] == "running")
        self.daemon.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        self.assertIsNone(self.daemon.poll())
        runs = self.wait_for(self.all_finished(1), 30)
        self.assertEqual(runs[0]["state"], "done")
        self.assertIn("SIGHUP: nothing to reload", self.serve_log())
        self.assertIn("SIGHUP is logged and ignored", self.zo("serve", "--help").out)

    def test_a_job_file_is_stored_once_not_per_run(self):
        values = ", ".join(str(i) for i in range(10))
        text = ("[job]\nexperiment = noop\nargs = --seconds 0\nname = big\n"
                f"[matrix]\na = {values}\nb = {values}\nc = {values}\n")
        text += ("# " + "x" * 76 + "\n") * ((58 * 1024 - len(text)) // 79)
        self.assertGreater(len(text), 57 * 1024)
        self.drop("big.job", text)

        def count():
            return sum(len(os.listdir(self.state_dir(s)))
                       for s in ("queued", "running", "done", "failed"))

        deadline = time.monotonic() + 60
        while count() < 1000:
            self.assertLess(time.monotonic(), deadline, self.serve_log())
            time.sleep(0.1)
        self.stop()
        total, copies = 0, 0
        for dirpath, _, filenames in os.walk(self.state_dir()):
            for name in filenames:
                p = os.path.join(dirpath, name)
                total += os.lstat(p).st_size
                self.assertNotEqual(name, "job.ini")
                if os.lstat(p).st_size == len(text):
                    with open(p) as f:
                        copies += f.read() == text
        self.assertEqual(copies, 1)
        self.assertLess(total, 2 * 1000 * 1000)
        self.start()

    # ---- issue 16: low ----

    def test_queue_add_refuses_a_dot_file(self):
        hidden = os.path.join(self.tmp, ".hidden.job")
        with open(hidden, "w") as f:
            f.write("[job]\nexperiment = noop\nname = visible\n")
        res = self.zo("queue", "add", hidden)
        self.assertRun(res, 2)
        self.assertIn("a job file named with a leading '.' is never claimed", res.err)
        self.assertEqual([n for n in os.listdir(self.spool) if n != ".zsim"], [])

    def test_a_backslash_on_the_last_line_is_rejected(self):
        self.drop("cont.job", "[job]\nexperiment = noop\nargs = --seconds 5 \\")
        err = self.wait_rejected(["cont.job"])["cont.job"]
        self.assertIn("line 3: the value ends with '\\' on the last line", err)
        self.assertEqual(self.runs(), [])

    def test_a_removed_spool_stops_the_daemon(self):
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "30"), 0)
        self.wait_for(lambda rs: rs and rs[0]["state"] == "running")
        subprocess.run(["rm", "-rf", self.spool], check=True)
        os.mkdir(self.spool)
        self.assertEqual(self.daemon.wait(timeout=30), 1)
        self.assertIn("was removed or moved away", self.serve_log())
        self.log.close()
        self.daemon = None
        os.rmdir(self.spool)
        self.start()
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "0"), 0)
        runs = self.wait_for(self.all_finished(1))
        self.assertEqual(runs[0]["state"], "done")

    def test_queue_log_takes_f_before_or_after_the_id(self):
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "0"), 0)
        rid = self.wait_for(self.all_finished(1))[0]["id"]
        want = self.zo("queue", "log", rid)
        self.assertRun(want, 0)
        self.assertIn("RESULTS:", want.out)
        for args in (["-f", rid], [rid, "-f"], ["--follow", rid]):
            self.assertRun(self.zo("queue", "log", *args), 0, out=want.out)
        self.assertRun(self.zo("queue", "log", rid, rid), 2)

    def test_a_clean_stop_cancels_and_the_docs_say_so(self):
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "60"), 0)
        self.wait_for(lambda rs: rs and rs[0]["state"] == "running")
        self.stop()
        self.start()
        time.sleep(0.5)
        runs = self.runs()
        self.assertEqual(runs[0]["state"], "cancelled")
        self.assertIsNone(runs[0]["requeued"])
        help_text = " ".join(self.zo("serve", "--help").out.split())
        self.assertIn("cancels the running job cleanly and exits: it is filed as cancelled, "
                      "not queued again", help_text)
        with open(os.path.join(SOURCE_DIR, "README.md")) as f:
            readme = " ".join(f.read().split())
        self.assertNotIn("a daemon crash or a reboot is queued again", readme)
        self.assertIn("A clean stop (SIGTERM, as at shutdown or reboot) cancels the running "
                      "run", readme)

    def test_a_log_over_64_mib_is_shown_whole(self):
        self.stop()
        rid = "1000000000000-0001"
        d = self.fabricate("done", rid, self.noop_record(rid, status="done"))
        line = b"0123456789abcdef" * 4 + b"\n"
        size = 65 * 1024 * 1024
        with open(os.path.join(d, "log"), "wb") as f:
            f.write(line * (size // len(line)))
        self.start()
        out = os.path.join(self.tmp, "log.out")
        with open(out, "w") as f:
            res = self.zo("queue", "log", rid, stdout=f)
        self.assertRun(res, 0)
        self.assertEqual(os.path.getsize(out), size // len(line) * len(line))

    def test_a_flag_given_a_value_is_not_an_unknown_option(self):
        res = self.zo("queue", "ls", "--json=yes")
        self.assertRun(res, 2)
        self.assertIn("option '--json' takes no value", res.err)

    def test_a_255_character_rejected_name_gets_an_error_file(self):
        name = "x" * 251 + ".job"
        tmp = os.path.join(self.spool, ".long.tmp")
        with open(tmp, "w") as f:
            f.write("[job]\nexperiment = exp99999\n")
        os.rename(tmp, os.path.join(self.spool, name))
        rejected = self.state_dir("rejected")
        deadline = time.monotonic() + 20
        while not glob.glob(rejected + "/*.error"):
            self.assertLess(time.monotonic(), deadline, self.serve_log())
            time.sleep(0.05)
        self.assertTrue(os.path.exists(os.path.join(rejected, name)))
        (err,) = glob.glob(rejected + "/*.error")
        with open(err) as f:
            text = f.read()
        self.assertIn(name, text)
        self.assertIn("longer than 200 characters", text)

    # ---- the spool's own directory ----

    def test_the_spool_is_sticky_and_its_state_directory_checked(self):
        state = self.state_dir()
        self.assertTrue(os.stat(self.spool).st_mode & stat.S_ISVTX)
        self.stop()
        os.chmod(self.spool, 0o2770)
        res = self.zo("queue", "ls")
        self.assertRun(res, 3)
        self.assertIn("the sticky bit is not set", res.err)
        self.assertIn(f"run 'chmod +t {self.spool}'", res.err)
        self.start()    # serve sets it
        self.assertTrue(os.stat(self.spool).st_mode & stat.S_ISVTX)
        self.assertIn("set the sticky bit", self.serve_log())
        self.stop()
        nobody = pwd.getpwnam("nobody")
        os.chown(state, nobody.pw_uid, nobody.pw_gid)
        for args in (["queue", "ls"], ["serve"]):
            res = self.zo(*args, timeout=10)
            self.assertRun(res, 3)
            self.assertIn(f"{state} belongs to uid {nobody.pw_uid}, not root", res.err)
        os.chown(state, 0, 0)
        os.chmod(state, 0o775)
        res = self.zo("queue", "ls")
        self.assertRun(res, 3)
        self.assertIn(f"run 'chmod 755 {state}'", res.err)
        os.chmod(state, 0o755)
        os.rename(state, state + ".real")
        os.symlink(state + ".real", state)
        res = self.zo("serve", timeout=10)
        self.assertRun(res, 3)
        self.assertIn(f"{state} is not a directory", res.err)
        os.unlink(state)
        os.rename(state + ".real", state)
        self.assertRun(self.zo("queue", "ls"), 0)


class QueueLogStream(SpoolCase):
    """`queue log -f --json` against the live daemon: JSON Lines, each line
    parsed by Python's json module as it arrives and checked against its
    shape, written as the run goes, ended cleanly by SIGINT or SIGTERM."""

    def follow(self, rid):
        proc = subprocess.Popen([ZSIM_ORCH, "--config", self.conf, "queue", "log", "-f",
                                 "--json", rid], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.addCleanup(self.reap, proc)
        return proc

    def reap(self, proc):
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)

    def read_line(self, proc):
        """The next line, parsed and checked, and how long the run has
        been going by then (None at the end of the stream)."""
        line = proc.stdout.readline()
        if not line:
            return None
        self.assertTrue(line.endswith("\n"), line)
        self.assertEqual(schema.check_lines(line, schema.STREAMS["queue.log"]), [])
        return json.loads(line), time.monotonic() - self.t0

    def submit(self, seconds):
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", str(seconds)), 0)
        self.t0 = time.monotonic()
        return self.wait_for(lambda rs: rs and rs[-1]["state"] == "running")[-1]["id"]

    def test_lines_come_as_the_run_goes(self):
        rid = self.submit(3)
        proc = self.follow(rid)
        got = []
        while True:
            item = self.read_line(proc)
            if item is None:
                break
            got.append(item)
            if item[0]["schema"] == "zsim.queue.log.state/1" and len(got) == 1:
                # written while the run still runs, long before it ends
                self.assertEqual(item[0]["state"], "running")
                self.assertEqual(self.zo("queue", "show", rid).rc, 0)
                self.assertEqual(json.loads(self.zo("queue", "show", rid).out)["state"],
                                 "running")
        self.assertEqual(proc.wait(timeout=10), 0, proc.stderr.read())
        docs = [d for d, _ in got]
        kinds = [d["schema"].split("/")[0][len("zsim.queue.log."):] for d in docs]
        self.assertEqual(kinds[0], "state")
        self.assertEqual(kinds[-2:], ["state", "end"])
        # (a run that has not said its first phase yet is running, phase null)
        # the state as the record says when it is looked at (a phase as
        # short as collect may come and go between two looks; its log
        # line is there regardless)
        states = [(d["state"], d["phase"]) for d, k in zip(docs, kinds) if k == "state"]
        states = [s for s in states if s != ("running", None)]
        self.assertEqual((states[0], states[-1]), (("running", "noop: sleep"), ("done", None)))
        self.assertLessEqual(set(states[1:-1]), {("running", "noop: collect")})
        texts = [d["text"] for d in docs if "text" in d]
        self.assertEqual(texts[:2], ["zsim-orch: noop: sleep", "zsim-orch: noop: collect"])
        self.assertRegex(texts[-1], r"^RESULTS: /")
        end = docs[-1]
        self.assertEqual((end["id"], end["exit"], end["status"]), (rid, 0, "done"))
        self.assertEqual(end["results"], json.loads(self.zo("queue", "show", rid).out)["results"])
        # the sleep's lines came during the sleep, the end after it
        sleep_line = next(t for d, t in got if d.get("text") == "zsim-orch: noop: sleep")
        self.assertLess(sleep_line, 2.5)
        self.assertGreaterEqual(got[-1][1], 3)
        # the text form is the log itself, as it was
        log = self.zo("queue", "log", rid).out
        self.assertEqual(log, "".join(t + "\n" for t in texts))

    def test_sigint_and_sigterm_end_the_stream_cleanly(self):
        for sig, rc in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
            rid = self.submit(60)
            proc = self.follow(rid)
            first = self.read_line(proc)
            self.assertEqual(first[0]["state"], "running")
            self.read_line(proc)  # the first line of its log
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=5)
            self.assertEqual(proc.returncode, rc, err)
            self.assertEqual(err, "")
            # whatever came after is whole lines that parse
            self.assertTrue(out == "" or out.endswith("\n"), out)
            self.assertEqual(schema.check_lines(out, schema.STREAMS["queue.log"]), [])
            self.assertNotIn("zsim.queue.log.end/1", out)
            self.assertRun(self.zo("queue", "cancel", rid), 0)
            self.wait_for(lambda rs: rs[-1]["state"] == "cancelled")

    def test_any_bytes_become_lines_json_can_read(self):
        self.stop()
        rid = "1000000000000-0001"
        d = self.fabricate("failed", rid, self.noop_record(rid, status="failed", exit=1))
        log = (b"plain\n\xff\xfe bytes \xc3\xa9t\xc3\xa9\n\ttab \"quoted\" \\\n"
               + b"x" * (200 * 1024) + b"\nno newline at the end")
        with open(os.path.join(d, "log"), "wb") as f:
            f.write(log)
        self.start()
        res = self.zo("queue", "log", "--json", rid)   # run() checks each line's shape
        self.assertRun(res, 0, err="")
        docs = [json.loads(line) for line in res.out.splitlines()]
        texts = [x["text"] for x in docs if "text" in x]
        # a line longer than 64 KiB is cut into pieces; nothing is lost
        self.assertEqual("".join(texts[3:-1]), "x" * (200 * 1024))
        self.assertEqual(texts[:3] + texts[-1:],
                         ["plain", "\ufffd\ufffd bytes \u00e9t\u00e9", '\ttab "quoted" \\',
                          "no newline at the end"])
        self.assertEqual((docs[0]["state"], docs[-1]["state"], docs[-1]["exit"]),
                         ("failed", "failed", 1))

    def test_a_queued_run_is_followed_from_queued_on(self):
        first = self.submit(60)
        self.assertRun(self.zo("queue", "submit", "noop", "--seconds", "0"), 0)
        rid = self.wait_for(lambda rs: len(rs) == 2)[1]["id"]
        proc = self.follow(rid)
        self.assertEqual(self.read_line(proc)[0]["state"], "queued")
        self.assertRun(self.zo("queue", "cancel", first), 0)
        docs = []
        while (item := self.read_line(proc)) is not None:
            docs.append(item[0])
        self.assertEqual(proc.wait(timeout=10), 0)
        self.assertEqual([d["state"] for d in docs if "phase" in d][-1], "done")
        self.assertEqual((docs[-1]["schema"], docs[-1]["exit"]), ("zsim.queue.log.end/1", 0))


if __name__ == "__main__":
    main()
