"""The spool daemon running real exp00000 jobs on the tiny target: a job
file dropped into the spool boots the target, runs the workload and files
its results; SIGTERM to the daemon mid-job stops the target cleanly."""
import glob
import json
import os
import signal
import subprocess
import time

from zsimtest import e2e as e2etest


class SpoolE2E(e2etest.E2ETestCase):
    # short: the agent socket path includes it and has a 108-byte limit
    name = "e2e-spool"

    def setUp(self):
        super().setUp()
        self.spool = os.path.join(self.tmp, "spool")
        with open(self.conf, "a") as f:
            f.write(f"spool = {self.spool}\n")
        self.log = open(os.path.join(self.tmp, "serve.log"), "wb")
        self.serve = subprocess.Popen([e2etest.ZSIM_ORCH, "--config", self.conf, "--connect",
                                       self.daemon.uri, "serve"], stderr=self.log)
        deadline = time.monotonic() + 10
        while not os.path.isdir(os.path.join(self.spool, ".zsim", "queued")):
            self.assertLess(time.monotonic(), deadline, "the spool daemon did not start")
            time.sleep(0.05)

    def tearDown(self):
        if self.serve.poll() is None:
            self.serve.send_signal(signal.SIGTERM)
            self.serve.wait(timeout=120)
        self.log.close()
        super().tearDown()

    def drop(self, name, text):
        tmp = os.path.join(self.spool, "." + name + ".tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, os.path.join(self.spool, name))

    def runs(self):
        res = self.zo("queue", "ls", "--json")
        self.assertEqual(res.rc, 0, res.err)
        return json.loads(res.out)["jobs"]

    def wait_for(self, pred, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.runs()
            if pred(runs):
                return runs
            time.sleep(0.5)
        with open(os.path.join(self.tmp, "serve.log")) as f:
            log = f.read()
        self.fail(f"timed out; runs: {json.dumps(self.runs(), indent=1)}\nserve log:\n{log}")

    def domstate(self):
        return self.daemon.virsh("domstate", self.name).stdout.strip()

    def test_a_dropped_job_runs_exp00000_and_files_its_results(self):
        self.drop("zeros.job", "[job]\nexperiment = exp00000\nargs = 2 -z -s 1\n")
        runs = self.wait_for(lambda rs: rs and rs[0]["state"] not in ("queued", "running"), 600)
        run = runs[0]
        self.assertEqual(run["state"], "done", self.zo("queue", "log", run["id"]).out)
        self.assertEqual(run["exit"], 0)
        params = glob.glob(os.path.join(run["results"], "workload_bmk_-*.params"))
        self.assertEqual(len(params), 1, os.listdir(run["results"]))
        with open(params[0]) as f:
            p = json.load(f)
        with open(params[0][:-len(".params")] + ".out") as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines) - 2, int(p["pages_touched"]))
        self.assertGreater(int(p["pages_touched"]), 0)
        # checked through libvirt, not through our own records
        self.assertEqual(self.domstate(), "shut off")
        log = self.zo("queue", "log", run["id"])
        self.assertIn("RESULTS: " + run["results"], log.out)

    def test_sigterm_to_the_daemon_stops_the_running_job_and_its_target(self):
        self.drop("long.job", "[job]\nexperiment = exp00000\nargs = 2 --zeros --warmup -s 1\n")
        deadline = time.monotonic() + 300
        while self.domstate() != "running":
            runs = self.runs()
            if runs and runs[0]["state"] not in ("queued", "running"):
                self.fail(self.zo("queue", "log", runs[0]["id"]).out)
            self.assertLess(time.monotonic(), deadline, "the target never started")
            time.sleep(0.5)
        self.serve.send_signal(signal.SIGTERM)
        self.serve.wait(timeout=120)
        self.assertEqual(self.serve.returncode, 0)
        self.assertIn(self.domstate(), ("shut off", ""))
        run = self.runs()[0]
        self.assertEqual(run["state"], "cancelled", run)
        self.assertEqual(run["exit"], 128 + signal.SIGTERM)


if __name__ == "__main__":
    e2etest.main()
