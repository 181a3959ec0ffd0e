"""exp00000 on the tiny target as a Slurm array task: one slurmd on
loopback (tests/lib/zsimtest/slurm.py) whose zsim-orch drives the private
libvirtd. The node advertises what `slurm node-conf` says of this host,
plus the feature zerosim (the test host runs a stock kernel; the config
says require_0sim = no)."""
import json
import os
import re
import subprocess
import sys
import time

from zsimtest import e2e as e2etest
from zsimtest.slurm import Cluster, Node, missing_programs


class SlurmExp00000(e2etest.E2ETestCase):
    def test_exp00000_through_slurmd(self):
        if missing_programs():
            self.fail(f"{', '.join(missing_programs())} not installed (tests/slurm/deps.txt)")
        opts = ["--config", self.conf, "--connect", self.daemon.uri]
        res = self.zo("slurm", "node-conf", "--name", "zn1")
        self.assertRun(res, 0)
        line = res.out.strip().split(" ", 1)[1]
        if "Features=" in line:
            line = line.replace("Features=", "Features=zerosim,")
        else:
            line = line.replace(" Gres=", " Features=zerosim Gres=")
        shared = os.path.join(self.tmp, "shared")
        os.makedirs(shared)
        job = os.path.join(self.tmp, "touch.job")
        with open(job, "w") as f:
            f.write("[job]\nexperiment = exp00000\nargs = 1 --zeros\ntimeout = 20m\n")
        cluster = Cluster(os.path.join(self.tmp, "cluster"), [Node("zn1", line, args=opts)],
                          orch=e2etest.ZSIM_ORCH)
        cluster.start()
        try:
            # a 1 GB target: RAM enough, no swap asked for
            res = subprocess.run([e2etest.ZSIM_ORCH, "--json", "slurm", "submit", "--results-dir",
                                  shared, "--node-ram-gb", "1", job], env=cluster.env(),
                                 capture_output=True, text=True, timeout=120)
            self.assertEqual(res.returncode, 0, res.stderr)
            sub = json.loads(res.stdout)
            cluster.wait_jobs_done(sub["job"], timeout=600)
            comp = [r for r in cluster.jobcomp() if r.get("ArrayJobId") == sub["job"]]
        finally:
            cluster.stop()
        self.assertEqual([(r["JobState"], r["ExitCode"], r["NodeList"]) for r in comp],
                         [("COMPLETED", "0:0", "zn1")], comp)
        [attempt] = os.listdir(os.path.join(shared, sub["sweep"]))
        self.assertEqual(attempt, f"touch-{sub['job']}_0-r0")
        d = os.path.join(shared, sub["sweep"], attempt)
        files = sorted(os.listdir(d))
        self.assertEqual(sorted(f.rsplit(".", 1)[1] for f in files),
                         ["out", "params", "sim", "time"], files)
        base = os.path.join(d, files[0].rsplit(".", 1)[0])
        with open(base + ".params") as f:
            params = json.load(f)
        self.assertEqual(params["args"], ["1", "--zeros"])
        self.assertEqual((params["slurm_node"], params["slurm_array_task_id"],
                          params["slurm_restart_count"]), ("zn1", "0", "0"))
        with open(base + ".out") as f:
            lines = f.read().splitlines()
        self.assertTrue(lines[0].startswith("First: "), lines[:2])
        self.assertEqual(len(lines) - 2, int(params["pages_touched"]))
        with open(os.path.join(shared, "sweeps", sub["sweep"], "log",
                               f"{sub['job']}_0.log")) as f:
            self.assertRegex(f.read(), r"RESULTS: " + re.escape(base) + r"\.\*\n$")
        self.assertIn("State:          shut off", self.virsh("dominfo", self.name))


if __name__ == "__main__":
    e2etest.main()
