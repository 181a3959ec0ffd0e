"""zsim-orch run with the noop experiment: result files named as the old
runner named them, .params as real JSON, --from, signals and bad input.
(exp00000 needs a target and is proven in the e2e tier.)"""
import glob
import json
import os
import re
import signal
import subprocess
import tempfile
import time

from zsimtest import ZSIM_ORCH, TestCase, main, run, tree_digest


class Run(TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.results = os.path.join(self.tmp.name, "results")
        self.conf = os.path.join(self.tmp.name, "zsim.conf")
        with open(self.conf, "w") as f:
            # the host lock lives in the state directory: this test's own
            f.write(f"[paths]\nresults = {self.results}\nstate = {self.tmp.name}/state\n")

    def tearDown(self):
        self.tmp.cleanup()

    def zo(self, *args, **kw):
        return run("--config", self.conf, *args, **kw)

    def files(self):
        return sorted(os.path.basename(p) for p in glob.glob(self.results + "/*"))

    def test_list_and_help(self):
        res = self.zo("run", "--list")
        self.assertRun(res, 0)
        self.assertRegex(res.out, r"(?m)^exp00000 +boot a VMSIZE GB target")
        self.assertRegex(res.out, r"(?m)^noop +sleep")
        res = self.zo("run", "exp00000", "--help")
        self.assertRun(res, 0)
        self.assertIn("usage: zsim-orch run exp00000 VMSIZE [CORES] [OPTIONS]", res.out)
        for opt in ("--zeros", "--counter", "--memcached", "--redis", "--matrixmult",
                    "--warmup", "--prefault", "--size GB", "--disable-zswap",
                    "--multicore-offsetting", "--drift-thresh N", "--delay N"):
            self.assertIn(opt, res.out)

    def test_noop_result_set(self):
        res = self.zo("run", "noop", "--seconds", "0")
        self.assertRun(res, 0)
        last = res.out.splitlines()[-1]
        m = re.fullmatch(r"RESULTS: (.*)/(noop-seconds0-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)\.\*", last)
        self.assertTrue(m, last)
        self.assertEqual(m.group(1), self.results)
        base = m.group(2)
        self.assertEqual(self.files(), [base + e for e in (".out", ".params", ".sim", ".time")])
        with open(os.path.join(self.results, base + ".params")) as f:
            params = json.load(f)
        self.assertEqual(params["experiment"], "noop")
        self.assertEqual(params["args"], ["--seconds", "0"])
        self.assertEqual(params["settings"], {"seconds": 0})
        self.assertEqual(params["results"], base)
        self.assertIsNone(params["tsc_khz"])  # noop's results are not cycle counts
        self.assertEqual(params["config"]["paths"]["results"], self.results)
        self.assertIn(params["zsim_orch_commit"], run("--version").out)
        with open(os.path.join(self.results, base + ".time")) as f:
            phases = [l.split(":")[0] for l in f]
        self.assertEqual(phases, ["sleep", "collect", "total"])
        with open(os.path.join(self.results, base + ".sim")) as f:
            sim = f.read()
        for section in ("/proc/cpuinfo", "/proc/meminfo", "/sys/module/zswap/parameters",
                        "/sys/kernel/debug/zswap", "block devices", "thin pool",
                        "host dmesg (tail)"):
            self.assertIn(f"==> {section}", sim)
        disks = subprocess.run(["lsblk", "-dnb", "-o", "NAME,SIZE"], capture_output=True,
                               text=True, check=True).stdout.splitlines()
        for disk, size in (d.split() for d in disks):
            if int(size) > 0:
                self.assertRegex(sim, rf"(?m)^{re.escape(disk)} ")

    def test_from_reruns_with_the_same_settings(self):
        self.assertRun(self.zo("run", "noop", "--seconds", "0"), 0)
        first = glob.glob(self.results + "/*.params")[0]
        with open(self.conf, "a") as f:
            f.write("[zswap]\nmax_pool_percent = 30\n")
        res = self.zo("run", "--from", first)
        self.assertRun(res, 0)
        self.assertIn("differs: [zswap] max_pool_percent = 30 (recorded 50)", res.out)
        second = [p for p in glob.glob(self.results + "/*.params") if p != first]
        self.assertEqual(len(second), 1)
        with open(first) as f:
            a = json.load(f)
        with open(second[0]) as f:
            b = json.load(f)
        differ = sorted(k for k in a if a[k] != b[k])
        self.assertEqual(differ, ["config", "results", "timestamp"])

    def start_long_noop(self):
        """A noop run of a minute, once it has made its results directory."""
        proc = subprocess.Popen([ZSIM_ORCH, "--config", self.conf, "run", "noop",
                                 "--seconds", "60"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        while not glob.glob(self.results) and time.monotonic() < deadline:
            time.sleep(0.05)
        return proc

    def test_sigterm_stops_cleanly(self):
        proc = self.start_long_noop()
        time.sleep(0.3)
        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
        self.assertLess(time.monotonic() - start, 3)
        self.assertEqual(proc.returncode, 143, err)
        self.assertIn("failed in phase sleep: stopped by signal 15", err)
        errs = glob.glob(self.results + "/*.err")
        self.assertEqual(len(errs), 1)
        with open(errs[0]) as f:
            self.assertEqual(f.read(), "phase: sleep\nerror: stopped by signal 15 while sleeping\n")

    def test_a_run_holds_the_host_lock(self):
        proc = self.start_long_noop()
        try:
            res = self.zo("run", "noop", "--seconds", "0")
            self.assertRun(res, 3)
            self.assertIn(f"pid {proc.pid} (zsim-orch run) holds {self.tmp.name}/state/lock",
                          res.err)
            self.assertEqual(self.files(), [])
            # what needs no lock is not refused
            self.assertRun(self.zo("run", "--list"), 0)
            self.assertRun(self.zo("run", "noop", "--help"), 0)
            self.assertRun(self.zo("--dry-run", "run", "noop"), 0)
            res = self.zo("run", "noop", "--bogus")
            self.assertRun(res, 2)
            self.assertIn("--bogus: unknown option for noop", res.err)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 143)
        self.assertRun(self.zo("run", "noop", "--seconds", "0"), 0)

    def test_bad_input_changes_nothing(self):
        cases = [
            (["run"], "name an experiment"),
            (["run", "exp99999"], "no experiment 'exp99999'; see 'zsim-orch run --list'"),
            (["run", "noop2"], "did you mean 'noop'?"),
            (["run", "exp00000"], "run exp00000: VMSIZE is missing"),
            (["run", "exp00000", "abc"], "VMSIZE abc: use a whole number from 1 to 1048576"),
            (["run", "exp00000", "0"], "VMSIZE 0: use a whole number from 1 to 1048576"),
            (["run", "exp00000", "4", "0"], "CORES 0: use a whole number from 1 to 4096"),
            (["run", "exp00000", "4", "1", "--zeros", "--counter"],
             "--zeros and --counter exclude each other"),
            (["run", "exp00000", "4", "--size", "8"], "--size 8 is larger than the target (4 GB)"),
            (["run", "exp00000", "4", "--bogus"], "--bogus: unknown option for exp00000"),
            (["run", "noop", "--seconds", "; rm -rf /"], "--seconds ; rm -rf /: use a whole"),
            (["run", "noop", "$(reboot)"], "unexpected argument '$(reboot)'"),
            (["run", "--from", "/nonexistent.params"], "not a readable .params file"),
        ]
        for args, msg in cases:
            res = self.zo(*args)
            self.assertIn(res.rc, (1, 2), args)
            self.assertIn(msg, res.err, args)
            self.assertFalse(os.path.exists(self.results), args)

    def test_results_dir(self):
        other = os.path.join(self.tmp.name, "job-1")
        res = self.zo("run", "--results-dir", other, "noop", "--seconds", "0")
        self.assertRun(res, 0)
        self.assertTrue(res.out.splitlines()[-1].startswith(f"RESULTS: {other}/noop-seconds0-"))
        self.assertFalse(os.path.exists(self.results))
        res = self.zo("run", "--results-dir", "relative", "noop")
        self.assertRun(res, 2)

    def test_dry_run(self):
        res = self.zo("--dry-run", "run", "noop", "--seconds", "5")
        self.assertRun(res, 0)
        self.assertIn("would run noop with: --seconds 5", res.out)
        self.assertFalse(os.path.exists(self.results))


if __name__ == "__main__":
    main()
