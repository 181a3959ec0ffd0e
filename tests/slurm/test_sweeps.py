"""The slurm tier: sweeps of noop runs through a real slurmctld and three
slurmd on loopback (cluster.py, sweeptest.py). What Slurm did is read
from Slurm (squeue, the jobcomp log), what zsim-orch filed from the shared
results directory.

A requeued job is eligible again only after the credential lifetime (120 s
by default, 60 s here), so the two requeue cases run at the
same time: test_5 starts them, test_6 (the health check) runs meanwhile,
test_9 waits for them. The tests run in name order.
"""
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from zsimtest import main as zsim_main
from zsimtest import schema
from zsimtest.case import skip_status
from zsimtest.sweep import Cluster, missing_programs, three_nodes, write_job

ZSIM_ORCH = os.environ["ZSIM_ORCH"]
REQUEUE_WAIT = 200  # node-down detection (up to ~30 s), the requeue delay, two runs


def tree_digest(path):
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in sorted(os.walk(path)):
        dirnames.sort()
        for name in sorted(filenames):
            p = os.path.join(dirpath, name)
            h.update(os.path.relpath(p, path).encode())
            with open(p, "rb") as f:
                h.update(f.read())
    return h.hexdigest()


def files_of(d):
    return sorted(os.listdir(d))


def params_of(d):
    [p] = [f for f in os.listdir(d) if f.endswith(".params")]
    with open(os.path.join(d, p)) as f:
        return json.load(f)


class SweepTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="zsim-slurm.")
        cls.shared = os.path.join(cls.tmp, "shared")
        os.makedirs(cls.shared)
        nodes = three_nodes(cls.tmp, ZSIM_ORCH)
        cls.roots = {n.name: n.root for n in nodes}
        cls.cluster = Cluster(os.path.join(cls.tmp, "cluster"), nodes, orch=ZSIM_ORCH,
                              requeue_delay=60, healthcheck_interval=5, epilog=True)
        cls.cluster.start()
        cls.requeue = {}

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()
        if os.environ.get("ZSIM_KEEP_TMP"):
            print(f"kept {cls.tmp}")
        else:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    # ---- helpers ----

    def orch(self, *args, env=None, timeout=120):
        return subprocess.run([ZSIM_ORCH, *args], env=env or self.cluster.env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=timeout)

    def submit(self, job_text, *opts, name="sweep"):
        path = write_job(os.path.join(self.tmp, f"{name}.job"), job_text)
        res = self.orch("--json", "slurm", "submit", "--results-dir", self.shared, *opts, path)
        self.assertEqual(res.returncode, 0, res.stderr)
        out = json.loads(res.stdout)
        self.assertEqual(schema.check_document(out, "slurm.submit"), [])
        return out["sweep"], out["job"], out["runs"]

    def attempts(self, sweep):
        """{array index: [attempt directory names]} under SHARED/SWEEP."""
        d = os.path.join(self.shared, sweep)
        found = {}
        for name in os.listdir(d) if os.path.isdir(d) else []:
            m = re.match(r".*-\d+_(\d+)-r(\d+)$", name)
            self.assertIsNotNone(m, name)
            found.setdefault(int(m.group(1)), []).append(name)
        return {k: sorted(v) for k, v in found.items()}

    def comp(self, jobid):
        """jobcomp records of the array's tasks: {index: [records]}."""
        recs = {}
        for r in self.cluster.jobcomp():
            if r.get("ArrayJobId") == str(jobid) or (r.get("JobId") == str(jobid) and
                                                     "ArrayTaskId" in r):
                recs.setdefault(int(r["ArrayTaskId"]), []).append(r)
        return recs

    def assert_complete(self, d):
        names = files_of(d)
        exts = sorted(n.rsplit(".", 1)[1] for n in names)
        self.assertEqual(exts, ["out", "params", "sim", "time"], f"{d}: {names}")

    # ---- refused before anything is submitted ----

    def test_1_bad_job_files_get_the_spools_messages(self):
        spool = os.path.join(self.tmp, "spool")
        os.makedirs(spool, exist_ok=True)
        conf = os.path.join(self.tmp, "spool.conf")
        with open(conf, "w") as f:
            f.write(f"[paths]\nspool = {spool}\n")
        bad = {
            "noexp": "[job]\nargs = 1\n",
            "badexp": "[job]\nexperiment = exp99999\n",
            "badargs": "[job]\nexperiment = noop\nargs = --seconds many\n",
            "badmatrix": "[job]\nexperiment = noop\nargs = --seconds {x}\n[matrix]\ny = 1\n",
            "notini": "this is not [ini\n",
        }
        for name, text in bad.items():
            path = write_job(os.path.join(self.tmp, f"{name}.job"), text)
            res = self.orch("slurm", "submit", "--results-dir", self.shared, path)
            spool_res = self.orch("--config", conf, "queue", "add", path)
            self.assertEqual(res.returncode, 2, f"{name}: {res.stderr}")
            self.assertEqual(res.returncode, spool_res.returncode, name)
            self.assertEqual(res.stderr, spool_res.stderr, name)
            self.assertEqual(res.stdout, "", name)
        self.assertFalse(os.path.exists(os.path.join(self.shared, "sweeps")) and
                         os.listdir(os.path.join(self.shared, "sweeps")))

    def test_2_no_sbatch_or_no_controller_leaves_nothing(self):
        job = write_job(os.path.join(self.tmp, "ok.job"),
                        "[job]\nexperiment = noop\nargs = --seconds 0\n")
        shared = os.path.join(self.tmp, "shared-fail")
        os.makedirs(shared)
        env = self.cluster.env({"PATH": "/nonexistent"})
        res = self.orch("slurm", "submit", "--results-dir", shared, job, env=env)
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn("is not installed (Debian: apt-get install slurm-client", res.stderr)
        self.assertIn("nothing was submitted", res.stderr)
        self.assertEqual(os.listdir(shared), [])

        # a slurm.conf whose controller is not there
        down = os.path.join(self.tmp, "down.conf")
        with open(self.cluster.conf) as f:
            text = re.sub(r"SlurmctldPort=\d+", "SlurmctldPort=1", f.read())
        with open(down, "w") as f:
            f.write(text)
        res = self.orch("slurm", "submit", "--results-dir", shared, job,
                        env=self.cluster.env({"SLURM_CONF": down}))
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn("Unable to contact slurm controller", res.stderr)
        self.assertIn("check that slurmctld runs", res.stderr)
        self.assertIn("nothing was submitted", res.stderr)
        self.assertEqual(os.listdir(shared), [])

    # ---- sweeps ----

    def test_3_every_entry_runs_once_within_the_cap(self):
        job = ("[job]\nexperiment = noop\nargs = --seconds {s}\nrepeat = 3\n"
               "[matrix]\ns = 1, 2\n")
        running, stop = [], threading.Event()

        def sample():
            while not stop.is_set():
                rows = self.cluster.squeue(jobid)
                running.append(sum(1 for r in rows if r[1] == "RUNNING"))
                time.sleep(0.2)

        sweep, jobid, n = self.submit(job, "--parallel", "2", name="cap")
        self.assertEqual(n, 6)
        t = threading.Thread(target=sample)
        t.start()
        try:
            self.cluster.wait_jobs_done(jobid, timeout=90)
        finally:
            stop.set()
            t.join()
        # Slurm's own view: never more than two running, and two at a time
        self.assertLessEqual(max(running), 2, running)
        self.assertEqual(max(running), 2, running)
        comp = self.comp(jobid)
        self.assertEqual(sorted(comp), list(range(6)))
        for i, recs in comp.items():
            self.assertEqual([r["JobState"] for r in recs], ["COMPLETED"], recs)
            self.assertIn(recs[0]["NodeList"], ("zn1", "zn2"))
        self.assertLessEqual(self.max_overlap(comp), 2)
        # what was filed: one complete attempt per entry, named after it
        with open(os.path.join(self.shared, "sweeps", sweep, "manifest.json")) as f:
            manifest = json.load(f)
        att = self.attempts(sweep)
        self.assertEqual(sorted(att), list(range(6)))
        for i, dirs in att.items():
            entry = manifest["runs"][i]
            self.assertEqual(dirs, [f"{entry['name']}-{jobid}_{i}-r0"])
            d = os.path.join(self.shared, sweep, dirs[0])
            self.assert_complete(d)
            p = params_of(d)
            self.assertEqual(p["args"], entry["args"])
            self.assertEqual(p["slurm_array_job_id"], str(jobid))
            self.assertEqual(p["slurm_array_task_id"], str(i))
            self.assertEqual(p["slurm_restart_count"], "0")
            self.assertEqual(p["slurm_node"], comp[i][0]["NodeList"])
        res = self.orch("--json", "slurm", "status", "--results-dir", self.shared, sweep)
        self.assertEqual(res.returncode, 0, res.stderr)
        status = json.loads(res.stdout)
        self.assertEqual(schema.check_document(status, "slurm.status"), [])
        self.assertEqual([r["state"] for r in status["runs"]], ["done"] * 6)
        self.assertEqual([r["attempts"] for r in status["runs"]], [1] * 6)
        res = self.orch("slurm", "status", "--results-dir", self.shared, sweep)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn(f"sweep {sweep}, job {jobid}: 6 runs", res.stdout)

    @staticmethod
    def max_overlap(comp):
        """The most attempts running in any one second (jobcomp's times)."""
        spans = []
        for recs in comp.values():
            for r in recs:
                spans.append((r["StartTime"], r["EndTime"]))
        seconds = {}
        for s, e in spans:
            for t in (s, e):
                seconds.setdefault(t, 0)
        worst = 0
        for t in seconds:
            worst = max(worst, sum(1 for s, e in spans if s <= t < e))
        return worst

    def test_4_routing_by_features_and_swap(self):
        job = "[job]\nexperiment = noop\nargs = --seconds 0\nrepeat = 4\n"
        # no target: any 0sim node, never the stock box
        _, plain, _ = self.submit(job, name="plain")
        # 4 TiB: zn2's constraint term (pabits46) lets it in, its 2 TiB of
        # swap keeps it out; zn1 has 10 TiB
        _, big, _ = self.submit(job, "--target-gb", "4096", name="big")
        # 600 GB: EPT off (zn1) or 40+ address bits (zn2's 46) both fit
        _, mid, _ = self.submit(job, "--target-gb", "600", name="mid")
        for j in (plain, big, mid):
            self.cluster.wait_jobs_done(j, timeout=90)
        nodes = {j: sorted({r[0]["NodeList"] for r in self.comp(j).values()})
                 for j in (plain, big, mid)}
        for j in (plain, big, mid):
            self.assertEqual(len(self.comp(j)), 4, j)
        self.assertNotIn("zn3", nodes[plain] + nodes[mid])
        self.assertEqual(nodes[big], ["zn1"])
        self.assertIn("zn2", nodes[mid] + nodes[plain])

    # ---- requeues (started here, checked in test_9) and the health check ----

    def test_5_requeue_cases_start(self):
        c = self.cluster
        # a node's slurmd dies during a 40 s run (Slurm notices within ~30 s)
        kill_sweep, kill_job, _ = self.submit(
            "[job]\nexperiment = noop\nargs = --seconds 40\n", "--target-gb", "600",
            name="killed")
        deadline = time.monotonic() + 60
        while True:
            rows = [r for r in c.squeue(kill_job) if r[1] == "RUNNING"]
            att = self.attempts(kill_sweep)
            if rows and att:
                break
            self.assertLess(time.monotonic(), deadline, c.squeue(kill_job))
            time.sleep(0.2)
        victim = rows[0][2]
        other = "zn2" if victim == "zn1" else "zn1"
        # the other node's host is busy: the next task there exits 75
        lock_path = os.path.join(self.roots[other], "var/lib/zsim/lock")
        lock = open(lock_path, "a+")
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write("4242 someone else\n")
        lock.flush()
        busy_sweep, busy_job, _ = self.submit(
            "[job]\nexperiment = noop\nargs = --seconds 1\n", name="busy")
        c.kill_slurmd(victim)
        # the busy task's first attempt ends with 75; then the host is free
        deadline = time.monotonic() + 60
        while not self.comp(busy_job):
            self.assertLess(time.monotonic(), deadline, "the busy task never ran")
            time.sleep(0.2)
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()
        self.__class__.requeue = dict(kill_sweep=kill_sweep, kill_job=kill_job, victim=victim,
                                      other=other, busy_sweep=busy_sweep, busy_job=busy_job,
                                      started=time.monotonic())
        [first] = self.comp(busy_job)[0]
        self.assertEqual(first["ExitCode"], "75:0", first)
        self.assertEqual(first["NodeList"], other)

    def test_6_healthcheck_drains_and_resumes(self):
        c = self.cluster
        root = self.roots["zn3"]
        swaps = os.path.join(root, "proc/swaps")
        with open(swaps) as f:
            saved = f.read()
        # swap gone: drained with a zsim: reason
        with open(swaps, "w") as f:
            f.write(saved.splitlines()[0] + "\n")
        try:
            node = self.wait_node("zn3", lambda n: "DRAIN" in n["State"], 40)
            self.assertTrue(node["Reason"].startswith("zsim: swap: none enabled"), node)
        finally:
            with open(swaps, "w") as f:
                f.write(saved)
        node = self.wait_node("zn3", lambda n: "DRAIN" not in n["State"], 40)
        # a drain that is not ours is left alone
        c.cmd("scontrol", "update", "NodeName=zn3", "State=DRAIN", "Reason=disk swap")
        time.sleep(12)
        node = c.node("zn3")
        self.assertIn("DRAIN", node["State"])
        self.assertTrue(node["Reason"].startswith("disk swap"), node)
        c.cmd("scontrol", "update", "NodeName=zn3", "State=RESUME")
        # the program itself, as Slurm runs it: an empty environment
        res = subprocess.run([os.path.join(c.bin, "zsim-slurm-healthcheck")],
                             env={"SLURMD_NODENAME": "zn3"}, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stdout, "zn3: ok\n")

    def wait_node(self, name, pred, timeout):
        deadline = time.monotonic() + timeout
        while True:
            node = self.cluster.node(name)
            if pred(node):
                return node
            self.assertLess(time.monotonic(), deadline, node)
            time.sleep(0.5)

    def test_7_node_conf_and_epilog(self):
        root = self.roots["zn1"]
        res = self.orch("--root", root, "slurm", "node-conf", "--name", "zn1")
        self.assertEqual(res.stdout, "NodeName=zn1 CPUs=2 RealMemory=64312 "
                                     "Features=zerosim,ept_off,pabits39 "
                                     "Gres=swapgb:no_consume:10239\n")
        res = self.orch("--root", self.roots["zn2"], "slurm", "node-conf", "--dynamic")
        self.assertEqual(res.stdout, "CPUs=2 RealMemory=64312 Features=zerosim,ept_on,pabits46 "
                                     "Gres=swapgb:no_consume:2047\n")
        # every job so far ended with the epilog: no node was drained by it
        for name in ("zn1", "zn2", "zn3"):
            node = self.cluster.node(name)
            self.assertNotIn("Epilog", node.get("Reason", ""), node)
        # the epilog as Slurm runs it (an empty environment) sets a knob a
        # killed run left changed back to the config's
        enabled = os.path.join(self.roots["zn3"], "sys/module/zswap/parameters/enabled")
        with open(enabled, "w") as f:
            f.write("N\n")
        res = subprocess.run([os.path.join(self.cluster.bin, "zsim-slurm-epilog")],
                             env={"SLURMD_NODENAME": "zn3"}, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("zswap_enabled = Y (was N)", res.stdout)
        with open(enabled) as f:
            self.assertEqual(f.read().strip(), "Y")

    def test_8_dry_run_and_task_outside_slurm(self):
        job = write_job(os.path.join(self.tmp, "dry.job"),
                        "[job]\nexperiment = noop\nargs = --seconds {s}\ntimeout = 1h\n"
                        "[matrix]\ns = 1, 2, 3, 4\n")
        before = sorted(os.listdir(self.shared))
        res = self.orch("--dry-run", "slurm", "submit", "--results-dir", self.shared,
                        "--parallel", "2", "--target-gb", "4096", "--partition", "zsim", job)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(sorted(os.listdir(self.shared)), before)
        lines = res.stdout.splitlines()
        m = re.match(r"would write (.*/sweeps/(dry-\d{8}-\d{6})/manifest\.json):$", lines[0])
        self.assertIsNotNone(m, res.stdout)
        manifest, sweep = m.groups()
        sweep_dir = os.path.dirname(manifest)
        self.assertEqual(json.loads("\n".join(l[2:] for l in lines[1:7]))["n"], 4)
        self.assertEqual(lines[7:11], [
            f"would write {sweep_dir}/batch.sh:",
            "  #!/bin/sh",
            "  # One run of a zsim sweep: the array task's entry of the manifest.",
            f"  exec zsim-orch slurm task '{manifest}'"])
        # 4 TiB: EPT off, or the address widths of this cluster's nodes
        # that map it (zn3's 43 and zn2's 46); an hour and 300 s to stop
        self.assertEqual(lines[11], (
            "would run: sbatch --parsable --array=0-3%2 --exclusive --requeue "
            "'--constraint=zerosim&(ept_off|pabits43|pabits46)' --gres=swapgb:4096 "
            f"--time=65 --signal=B:TERM@300 --partition=zsim --job-name={sweep} "
            f"--chdir={sweep_dir} --output={sweep_dir}/log/%A_%a.log --open-mode=append "
            f"{sweep_dir}/batch.sh"))
        self.assertEqual(len(lines), 12, res.stdout)
        # the same from [slurm] results and partition
        conf = os.path.join(self.tmp, "zsim-slurm.conf")
        with open(conf, "w") as f:
            f.write(f"[slurm]\npartition = zsim\nresults = {self.shared}\n")
        res = self.orch("--config", conf, "--dry-run", "slurm", "submit", "--parallel", "2",
                        "--target-gb", "4096", job)
        self.assertEqual(res.returncode, 0, res.stderr)
        same = re.compile(r"dry-\d{8}-\d{6}")
        self.assertEqual(same.sub("S", res.stdout.splitlines()[11]), same.sub("S", lines[11]))
        res = self.orch("slurm", "submit", job)
        self.assertEqual(res.returncode, 2, res.stderr)
        self.assertIn("'slurm submit' needs --results-dir SHARED (or [slurm] results)", res.stderr)

        res = self.orch("slurm", "task", manifest,
                        env={k: v for k, v in self.cluster.env().items()
                             if not k.startswith("SLURM_")})
        self.assertEqual(res.returncode, 2, res.stderr)
        self.assertIn("not an array task of a sweep: SLURM_ARRAY_TASK_ID", res.stderr)

    def test_8_task_with_libvirt_down_goes_back_to_the_queue(self):
        # the task as Slurm starts it, on a node whose libvirt is not there
        root = os.path.join(self.tmp, "no-libvirt")
        shutil.copytree(self.roots["zn1"], root, symlinks=True)
        conf = os.path.join(root, "etc/zsim/zsim.conf")
        with open(conf) as f:
            text = f.read().replace("uri = test:///default",
                                    "uri = qemu+unix:///system?socket=/nonexistent/sock")
        with open(conf, "w") as f:
            f.write(text)
        results = os.path.join(self.tmp, "no-libvirt-results")
        manifest = os.path.join(self.tmp, "no-libvirt.json")
        with open(manifest, "w") as f:
            json.dump({"sweep": "s", "job_file": "s", "results": results, "submitted": "",
                       "n": 1, "runs": [{"index": 0, "name": "big", "experiment": "exp00000",
                                         "args": ["4096", "1"], "repeat": 1,
                                         "timeout_s": 0}]}, f)
        env = dict(self.cluster.env(), SLURM_JOB_ID="78", SLURM_ARRAY_JOB_ID="77",
                   SLURM_ARRAY_TASK_ID="0", SLURM_RESTART_COUNT="0", SLURMD_NODENAME="zn1")
        res = self.orch("--root", root, "slurm", "task", manifest, env=env)
        self.assertEqual(res.returncode, 75, res.stderr)
        self.assertIn("zsim-orch: error: libvirt at qemu+unix:///system?socket=/nonexistent/sock "
                      "does not answer on zn1: ", res.stderr)
        self.assertIn("the task goes back to Slurm's queue", res.stderr)
        self.assertFalse(os.path.exists(results))

    def test_9_requeue_cases_finish(self):
        rq = self.requeue
        self.assertTrue(rq, "test_5 did not start the requeue cases")
        c = self.cluster
        # the first attempt runs on without its slurmd (40 s, filing .time
        # last); Slurm starts the second 60 s after the requeue
        att = self.attempts(rq["kill_sweep"])
        r0 = os.path.join(self.shared, rq["kill_sweep"], att[0][0])
        deadline = time.monotonic() + 60
        while not any(f.endswith(".time") for f in os.listdir(r0)):
            self.assertLess(time.monotonic(), deadline, os.listdir(r0))
            time.sleep(0.2)
        time.sleep(1)
        r0_digest = tree_digest(r0)
        self.assertEqual(len(self.attempts(rq["kill_sweep"])[0]), 1,
                         "the second attempt started before the first one ended")
        left = REQUEUE_WAIT - (time.monotonic() - rq["started"])
        for j in (rq["kill_job"], rq["busy_job"]):
            c.wait_jobs_done(j, timeout=max(left, 30))
            left = REQUEUE_WAIT - (time.monotonic() - rq["started"])

        # killed slurmd: the rerun filed complete results in -r1 on the other
        # node; the first attempt's directory was left as it was
        att = self.attempts(rq["kill_sweep"])
        self.assertEqual(len(att[0]), 2, att)
        self.assertEqual(os.path.join(self.shared, rq["kill_sweep"], att[0][0]), r0)
        r1 = os.path.join(self.shared, rq["kill_sweep"], att[0][1])
        self.assertTrue(r0.endswith("_0-r0") and r1.endswith("_0-r1"), att)
        self.assertEqual(tree_digest(r0), r0_digest)
        self.assert_complete(r1)
        p1 = params_of(r1)
        self.assertEqual(p1["slurm_restart_count"], "1")
        self.assertEqual(p1["slurm_node"], rq["other"])
        # the first attempt ran on: what it filed is its own
        self.assert_complete(r0)
        p0 = params_of(r0)
        self.assertEqual((p0["slurm_restart_count"], p0["slurm_node"]), ("0", rq["victim"]))
        comp = self.comp(rq["kill_job"])[0]
        self.assertEqual([(r["JobState"], r["NodeList"]) for r in comp],
                         [("NODE_FAIL", rq["victim"]), ("COMPLETED", rq["other"])], comp)

        # exit 75: requeued, the rerun's directory says restart 1
        att = self.attempts(rq["busy_sweep"])
        [d] = att[0]
        self.assertTrue(d.endswith(f"{rq['busy_job']}_0-r1"), att)
        self.assert_complete(os.path.join(self.shared, rq["busy_sweep"], d))
        comp = self.comp(rq["busy_job"])[0]
        self.assertEqual([(r["JobState"], r["ExitCode"]) for r in comp],
                         [("FAILED", "75:0"), ("COMPLETED", "0:0")], comp)
        with open(os.path.join(self.shared, "sweeps", rq["busy_sweep"], "log",
                               f"{rq['busy_job']}_0.log")) as f:
            log = f.read()
        self.assertIn("another command is changing this host", log)
        self.assertIn("the task goes back to Slurm's queue", log)
        res = self.orch("--json", "slurm", "status", "--results-dir", self.shared,
                        rq["kill_sweep"])
        status = json.loads(res.stdout)
        self.assertEqual((status["runs"][0]["state"], status["runs"][0]["attempts"]),
                         ("done", 2))


def main():
    missing = missing_programs()
    if missing:
        # the tier's prerequisites, by the harness's one skip rule
        raise SystemExit(skip_status([f"{', '.join(missing)} not installed (ci/deps installs "
                                      "slurmctld slurmd slurm-client)"]))
    zsim_main()


if __name__ == "__main__":
    main()
