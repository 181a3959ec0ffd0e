"""Each exit status zsim-orch documents (--help, zsim-orch(8)), produced
for real: 0 done, 1 failed, 2 usage, 3 refused, 75 the host did not
answer (a libvirt socket that is not there), 130 and 143 a run stopped by
SIGINT and SIGTERM."""
import fcntl
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from zsimtest import FIXTURES, ZSIM_ORCH, TestCase, main, run, tree_digest

DEAD_URI = "qemu+unix:///system?socket=/nonexistent/libvirt-sock"


class Exit(TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="zsim-exit.")
        os.chmod(self.tmp, 0o755)
        self.addCleanup(subprocess.run, ["rm", "-rf", self.tmp])
        self.conf = os.path.join(self.tmp, "zsim.conf")
        with open(self.conf, "w") as f:
            f.write(f"[paths]\nspool = {self.tmp}/spool\nresults = {self.tmp}/results\n"
                    f"state = {self.tmp}/state\n")

    def zo(self, *args, **kw):
        return run("--config", self.conf, *args, **kw)

    def test_help_and_man_page_list_every_status(self):
        out = run("--help").out
        listed = re.findall(r"^ +(\d+)  ", out.split("Exit status:\n", 1)[1], re.M)
        self.assertEqual(listed, ["0", "1", "2", "3", "75", "130", "143"])

    def test_0_1_2(self):
        self.assertRun(self.zo("version"), 0)
        res = self.zo("results", "ls", os.path.join(self.tmp, "nowhere"))
        self.assertRun(res, 1)
        self.assertIn("zsim-orch: error: cannot read the results directory", res.err)
        res = self.zo("status", "--bogus")
        self.assertRun(res, 2, out="")

    def test_3_refused(self):
        os.makedirs(os.path.join(self.tmp, "state"))
        with open(os.path.join(self.tmp, "state", "lock"), "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.write(f"{os.getpid()} exit-test\n")
            f.flush()
            res = self.zo("target", "start")
        self.assertRun(res, 3, out="")
        self.assertIn("another command is changing this host", res.err)

    def test_75_when_libvirt_does_not_answer(self):
        for args in (["target", "status"], ["target", "status", "--json"], ["target", "start"],
                     ["target", "create"]):
            res = self.zo("--connect", DEAD_URI, *args)
            self.assertRun(res, 75, out="")
            self.assertRegex(res.err, r"^zsim-orch: error: cannot reach libvirt at "
                                      + re.escape(DEAD_URI) + r": .*\n$")
        # the config's URI the same way
        with open(self.conf, "a") as f:
            f.write(f"[target]\nuri = {DEAD_URI}\n")
        self.assertRun(self.zo("target", "destroy"), 75)

    def test_75_when_a_run_finds_libvirt_silent(self):
        """exp00000 on a 0sim fixture host whose libvirt does not answer:
        preflight's only failure is that, so the run ends 75 (try again or
        elsewhere), its .err says why, and nothing of the host changed."""
        root = os.path.join(self.tmp, "root")
        shutil.copytree(os.path.join(FIXTURES, "0sim-node"), root, symlinks=True)
        results = os.path.join(self.tmp, "r75")
        before = tree_digest(os.path.join(root, "proc"))
        res = run("--root", root, "--connect", DEAD_URI, "run", "--results-dir", results,
                  "exp00000", "1", "-s", "1")
        self.assertRun(res, 75)
        self.assertIn("does not answer", res.err)
        errs = [f for f in os.listdir(results) if f.endswith(".err")]
        self.assertEqual(len(errs), 1, os.listdir(results))
        with open(os.path.join(results, errs[0])) as f:
            self.assertIn("phase: preflight", f.read())
        self.assertEqual(tree_digest(os.path.join(root, "proc")), before)

    def test_130_and_143_a_run_stopped_by_a_signal(self):
        for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
            proc = subprocess.Popen([ZSIM_ORCH, "--config", self.conf, "run", "noop",
                                     "--seconds", "60"], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 30
            # signalled once the run has begun (it made its results directory)
            while not os.path.isdir(os.path.join(self.tmp, "results")):
                self.assertLess(time.monotonic(), deadline, "the run did not begin")
                time.sleep(0.05)
            time.sleep(0.2)
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=60)
            self.assertEqual(proc.returncode, code, err)
            self.assertIn(f"stopped by signal {int(sig)}", err)
            self.assertRegex(out, r"RESULTS: .*\.\*\n$")
            subprocess.run(["rm", "-rf", os.path.join(self.tmp, "results")])


if __name__ == "__main__":
    main()
