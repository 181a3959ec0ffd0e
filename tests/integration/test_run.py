"""zsim-orch run with the noop experiment: result files named as the old
runner named them, .params as real JSON, --from, signals and bad input.
exp00000 up to its target's boot: the old runner's command line and file
names (through --dry-run), and its host conditioning applied to a fixture
tree and put back after a failed phase, a rejected knob and SIGTERM (the
target a libvirt test:///default domain that never answers). The rest of
exp00000 needs a real target and is proven in the e2e tier."""
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from zsimtest import FIXTURES, ZSIM_ORCH, TestCase, main, read_time, run, tree_digest
from zsimtest.exp import STAMP, ExpCase


class Run(ExpCase):
    """ExpCase: the host lock lives in the state directory, this test's own."""

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
        # the old runner's spellings, named in the help
        for alias in ("[also -z]", "[also -c]", "[also -m]", "[also -r]", "[also -M]",
                      "[also -w]", "[also -p]", "[also -s]", "[also --disable_zswap]",
                      "[also --multicore_offsetting]", "[also --drift_thresh]"):
            self.assertIn(alias, res.out)

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
        # Rust's Debug of a Duration, as the old runner's .time (noop has no
        # runner counterpart: zsim's phases only)
        times = read_time(os.path.join(self.results, base + ".time"))
        self.assertEqual([n for n, _ in times], ["sleep", "collect", "total"])
        self.assertAlmostEqual(times[2][1], times[0][1] + times[1][1], delta=1e-9)
        with open(os.path.join(self.results, base + ".sim")) as f:
            sim = f.read()
        # the old runner's sections, in its order (gen_standard_sim_output),
        # then zsim's own
        at = [sim.find(h) for h in ("Host Config\n=====\n", "\nSimulation Stats (Host)\n=====\n",
                                    "\nSimulation Stats (Guest)\n=====\n",
                                    "\ndmesg (Host)\n=====\n", "\ndmesg (Guest)\n=====\n",
                                    "\nzsim\n=====\n")]
        self.assertEqual(at[0], 0)
        self.assertEqual(at, sorted(at))
        self.assertNotIn(-1, at)
        host_config = sim[at[0]:at[1]]
        self.assertIn("processor\t: 0", host_config)
        self.assertRegex(host_config, r"(?m)^NAME +MAJ:MIN +RM +SIZE +RO +TYPE ")
        self.assertIn("MemTotal:", sim[at[1]:at[2]])
        self.assertIn("(no target in this run)", sim[at[2]:at[3]])
        self.assertIn("(no target in this run)", sim[at[4]:at[5]])
        for section in ("/proc/swaps", "/proc/vmstat", "/sys/module/zswap/parameters",
                        "thin pool"):
            self.assertIn(f"==> {section}", sim[at[5]:])
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
            # the old runner's rules, in its spellings: exit 2 naming the rule
            (["run", "exp00000", "4", "1", "-z", "-m"],
             "-z and -m exclude each other; give one workload"),
            (["run", "exp00000", "4", "1", "-s", "5"], "-s 5 is larger than the target (4 GB)"),
            (["run", "exp00000", "4", "1", "--delay", "5"],
             "--delay needs --multicore-offsetting (the old runner's rule)"),
            (["run", "exp00000", "4", "1", "--drift_thresh", "5"],
             "--drift_thresh needs --multicore_offsetting (the old runner's rule)"),
            (["run", "exp00000", "4", "--bogus"], "--bogus: unknown option for exp00000"),
            (["run", "noop", "--seconds", "; rm -rf /"], "--seconds ; rm -rf /: use a whole"),
            (["run", "noop", "$(reboot)"], "unexpected argument '$(reboot)'"),
            (["run", "--from", "/nonexistent.params"], "not a readable .params file"),
        ]
        for args, msg in cases:
            res = self.zo(*args)
            self.assertIn(res.rc, (1, 2), args)
            if args[1:2] == ["exp00000"]:
                self.assertEqual(res.rc, 2, args)
            self.assertIn(msg, res.err, args)
            self.assertFalse(os.path.exists(self.results), args)

    def test_from_refuses_params_of_the_wrong_shape(self):
        """A .params of any other shape than zsim-orch writes is refused with
        exit 2 naming what is wrong (issue 16: null in args crashed), an
        unreadable one with exit 1; never a crash, never a run."""
        good = {"experiment": "noop", "args": ["--seconds", "0"]}
        cases = [
            ({**good, "args": [None]}, '"args"[0] is null, not a string'),
            ({**good, "args": ["--seconds", 0]}, '"args"[1] is a number, not a string'),
            ({**good, "args": ["--seconds", True]}, '"args"[1] is a boolean, not a string'),
            ({**good, "args": [["x"]]}, '"args"[0] is an array, not a string'),
            ({**good, "args": [{}]}, '"args"[0] is an object, not a string'),
            ({**good, "args": ["--seconds\u00000"]}, '"args"[0] is a string with a NUL byte'),
            ({**good, "args": "x"}, '"args" is a string, not an array of strings'),
            ({**good, "args": None}, '"args" is null, not an array of strings'),
            ({**good, "args": {"a": "b"}}, '"args" is an object, not an array of strings'),
            ({"experiment": "noop"}, 'no "args" recorded in it'),
            ({"args": []}, 'no "experiment" recorded in it'),
            ({**good, "experiment": None}, '"experiment" is null, not a name'),
            ({**good, "experiment": 7}, '"experiment" is a number, not a name'),
            ({**good, "experiment": ""}, '"experiment" is empty, not a name'),
            ({**good, "experiment": "nope"}, "no experiment 'nope' in this zsim-orch"),
            ({**good, "kernel": 5}, '"kernel" is a number, not a string'),
            ({**good, "zsim_orch_commit": []}, '"zsim_orch_commit" is an array, not a string'),
            ({**good, "config": "x"}, '"config" is a string, not an object'),
            ([1, 2], "the top level is an array, not an object"),
            ("x", "the top level is a string, not an object"),
            (None, "the top level is null, not an object"),
            (5, "the top level is a number, not an object"),
        ]
        texts = [(json.dumps(v), msg) for v, msg in cases]
        texts += [
            ("", "empty, not JSON"),
            (" \n", "empty, not JSON"),
            ('{"experiment": "noop", "args": [', "not JSON: "),
            ("{nope}", "not JSON: "),
            ("[" * 100000 + "]" * 100000, "not JSON: nesting too deep"),
            ('{"args": [[[[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]]]}', "not JSON: nesting too deep"),
            (json.dumps(good) + " {}", "not JSON: text after the object"),
            (json.dumps(good) + "\0", "not JSON text (a NUL byte in it)"),
            (" " * (1024 * 1024 + 1), "larger than 1 MiB"),
        ]
        path = os.path.join(self.tmp.name, "x.params")
        for text, msg in texts:
            with open(path, "w") as f:
                f.write(text)
            res = self.zo("run", "--from", path)
            self.assertEqual(res.rc, 2, (msg, res.err))
            self.assertIn(f"zsim-orch: error: {path}: cannot re-run it: {msg}", res.err)
            self.assertFalse(os.path.exists(self.results), msg)
        res = self.zo("run", "--from", os.path.join(self.tmp.name, "missing.params"))
        self.assertRun(res, 1)
        self.assertIn("missing.params: not a readable .params file (JSON): No such file", res.err)
        res = self.zo("run", "--from", self.tmp.name)
        self.assertRun(res, 1)
        self.assertIn(": not a readable .params file (JSON): Is a directory", res.err)
        # a config that is no object of strings is not compared, nor trusted
        with open(path, "w") as f:
            json.dump({**good, "config": {"paths": 5, "zswap": {"enabled": None}}}, f)
        res = self.zo("run", "--from", path)
        self.assertRun(res, 0)
        self.assertNotIn("differs: [", res.out)

    def test_results_dir(self):
        other = os.path.join(self.tmp.name, "job-1")
        res = self.zo("run", "--results-dir", other, "noop", "--seconds", "0")
        self.assertRun(res, 0)
        self.assertTrue(res.out.splitlines()[-1].startswith(f"RESULTS: {other}/noop-seconds0-"))
        self.assertFalse(os.path.exists(self.results))
        res = self.zo("run", "--results-dir", "relative", "noop")
        self.assertRun(res, 2)

    def plant(self, seconds, links):
        """Symbolic links named like noop's result files for each of the
        next `seconds` seconds: {extension: target}."""
        os.makedirs(self.results, exist_ok=True)
        now = time.time()
        for s in range(-1, seconds):
            stamp = time.strftime("%Y-%m-%d-%H-%M-%S", time.localtime(now + s))
            for ext, target in links.items():
                path = f"{self.results}/noop-seconds0-{stamp}{ext}"
                if not os.path.lexists(path):
                    os.symlink(target, path)

    def test_result_files_never_written_through_a_link(self):
        """A symbolic link planted in the results directory under the name of
        a result file (issue 16, High 1) is never followed: a taken .params
        name makes the run use the next second, any other taken name fails
        the run. The link's target is untouched either way."""
        victim = os.path.join(self.tmp.name, "victim")
        with open(victim, "w") as f:
            f.write("precious\n")
        dead = os.path.join(self.tmp.name, "dead")  # a link to nothing yet
        self.plant(2, {".params": victim, ".out": dead, ".sim": dead})
        res = self.zo("run", "noop", "--seconds", "0")
        self.assertRun(res, 0)
        base = os.path.basename(res.out.splitlines()[-1][len("RESULTS: "):-2])
        for ext in (".out", ".params", ".sim", ".time"):
            path = os.path.join(self.results, base + ext)
            self.assertFalse(os.path.islink(path), path)
            self.assertTrue(os.path.isfile(path), path)
        shutil.rmtree(self.results)
        self.plant(3, {".out": victim, ".time": dead})
        res = self.zo("run", "noop", "--seconds", "0")
        self.assertRun(res, 1)
        self.assertRegex(res.err, r"noop failed in phase collect: cannot write .*/noop-seconds0-"
                                  r"[-0-9]*\.out: File exists")
        with open(victim) as f:
            self.assertEqual(f.read(), "precious\n")
        self.assertFalse(os.path.exists(dead))

    def test_results_dir_swapped_for_a_link_mid_run(self):
        """The results directory is opened once: replaced by a symbolic link
        while the run works, the files still land in the directory the run
        began with, never where the link points."""
        elsewhere = os.path.join(self.tmp.name, "elsewhere")
        os.mkdir(elsewhere)
        job = os.path.join(self.tmp.name, "job")
        proc = subprocess.Popen([ZSIM_ORCH, "--config", self.conf, "run", "--results-dir", job,
                                 "noop", "--seconds", "2"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        while not os.path.isdir(job) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # opened by now: the sleep phase has begun
        os.rename(job, job + ".orig")
        os.symlink(elsewhere, job)
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(os.listdir(elsewhere), [])
        self.assertEqual(sorted(os.path.splitext(f)[1] for f in os.listdir(job + ".orig")),
                         [".out", ".params", ".sim", ".time"])

    def test_dry_run(self):
        res = self.zo("--dry-run", "run", "noop", "--seconds", "5")
        self.assertRun(res, 0)
        self.assertIn("would run noop with: --seconds 5", res.out)
        self.assertFalse(os.path.exists(self.results))




class RunnerCommandLine(ExpCase):
    """exp00000 as `runner exp00000 HOST USER ...` took it: the spellings,
    the settings they mean, and the file names (the plan under --dry-run
    names the files the run would write)."""

    # (zsim's spelling, the runner's, the name's settings before the time)
    TABLE = [
        (["4096", "1"], ["4096", "1", "-z"], "workload_bmk_-app_TimeMmapTouch_-vm_size4096"),
        (["4096", "1", "--counter"], ["4096", "1", "-c"],
         "workload_bmk_-app_TimeMmapTouch_-vm_size4096"),
        (["4096", "1", "--memcached"], ["4096", "1", "-m"],
         "workload_bmk_-app_Memcached_-vm_size4096"),
        (["64", "2", "--redis"], ["64", "2", "-r"], "workload_bmk_-app_Redis_-vm_size64-cores2"),
        (["64", "4", "--matrixmult", "--size", "8"], ["64", "4", "-M", "-s", "8"],
         "workload_bmk_-app_MatrixMult2_-vm_size64-cores4-size8"),
        (["64", "1", "--warmup", "--prefault"], ["64", "1", "-z", "-w", "-p"],
         "workload_bmk_-app_TimeMmapTouch_-vm_size64"),
        (["64", "1", "--disable-zswap"], ["64", "1", "-z", "--disable_zswap"],
         "workload_bmk_-app_TimeMmapTouch_-vm_size64-disable_zswaptrue"),
        (["64", "2", "--counter", "--multicore-offsetting", "--drift-thresh", "7",
          "--delay", "9", "--size", "3"],
         ["64", "2", "-c", "-s", "3", "--multicore_offsetting", "--drift_thresh", "7",
          "--delay", "9"],
         "workload_bmk_-app_TimeMmapTouch_-vm_size64-cores2-size3-multicore_offsettingtrue-"
         "zerosim_drift_threshold7-zerosim_delay9"),
        (["64", "1", "--warmup", "--disable-zswap", "--multicore-offsetting"],
         ["64", "1", "-wz", "--disable_zswap", "--multicore_offsetting"],
         "workload_bmk_-app_TimeMmapTouch_-vm_size64-disable_zswaptrue-"
         "multicore_offsettingtrue"),
    ]

    def plan_exp00000(self, args):
        ran, base, exts = self.plan("exp00000", *args)
        self.assertEqual(exts, "params,out,time,sim")
        return ran, base

    def test_names_and_spellings(self):
        for zsim, runner, name in self.TABLE:
            settings, base = self.plan_exp00000(zsim)
            self.assertRegex(base, "^" + re.escape(name) + STAMP + "$", zsim)
            settings2, base2 = self.plan_exp00000(runner)
            self.assertEqual(settings2.replace(" --zeros", ""), settings.replace(" --zeros", ""),
                             runner)
            self.assertRegex(base2, "^" + re.escape(name) + STAMP + "$", runner)
        self.assertFalse(os.path.exists(self.results))

    def test_the_runners_command(self):
        # `runner exp00000 HOST USER 4096 1 -m` (exp00000.rs)
        settings, base = self.plan_exp00000(["4096", "1", "-m"])
        self.assertEqual(settings, " 4096 1 --memcached")
        self.assertRegex(base, r"^workload_bmk_-app_Memcached_-vm_size4096" + STAMP + "$")


def conditioned_root(parent):
    """The 0sim-node fixture plus what host conditioning touches: a CPU
    frequency governor on two CPUs, printk, ssdswap, the block devices
    under its swap (dm-1, a thin volume on the pool dm-0, on sdb and a
    loop device for metadata), the /proc/sys/vm actions, a kernel."""
    root = os.path.join(parent, "root")
    shutil.copytree(os.path.join(FIXTURES, "0sim-node"), root)
    files = {
        "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor": "powersave",
        "/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor": "schedutil",
        "/sys/devices/system/cpu/cpufreq/boost": "1",
        "/proc/sys/kernel/printk": "7\t4\t1\t7",
        "/sys/module/ssdswap/parameters/device": "(null)",
        "/sys/block/dm-1/dm/name": "zsim-swap",
        "/sys/block/dm-1/queue/rotational": "1",
        "/sys/block/dm-1/slaves/dm-0": "",
        "/sys/block/dm-0/dm/name": "zsim-pool",
        "/sys/block/dm-0/queue/rotational": "1",
        "/sys/block/dm-0/slaves/sdb": "",
        "/sys/block/dm-0/slaves/loop0": "",
        "/sys/block/sdb/queue/rotational": "1",
        "/sys/block/loop0/queue/rotational": "1",
        "/proc/sys/vm/drop_caches": "0",
        "/proc/sys/vm/compact_memory": "",
        "/boot/vmlinuz": "not a kernel",
    }
    for path, text in files.items():
        os.makedirs(os.path.dirname(root + path), exist_ok=True)
        with open(root + path, "w") as f:
            f.write(text + "\n" if text else "")
    return root


# Every file conditioning sets, and what it holds before a run.
CONDITIONED = {
    "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor": "powersave",
    "/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor": "schedutil",
    "/proc/sys/kernel/printk": "7\t4\t1\t7",
    "/sys/kernel/mm/transparent_hugepage/enabled": "always [madvise] never",
    "/sys/kernel/mm/ksm/run": "1",
    "/sys/block/dm-1/queue/rotational": "1",
    "/sys/block/dm-0/queue/rotational": "1",
    "/sys/block/sdb/queue/rotational": "1",
    "/sys/module/zswap/parameters/enabled": "Y",
    "/sys/module/zswap/parameters/zpool": "ztier",
    "/sys/module/zswap/parameters/max_pool_percent": "50",
    "/proc/zerosim_drift_threshold": "100000",
    "/proc/zerosim_delay": "0",
    "/proc/zerosim_skip_halt": "0",
    "/proc/zerosim_lapic_adjust": "1",
    "/proc/zerosim_multicore_sync": "0",
    "/proc/zerosim_sync_guest_tsc": "0",
    "/sys/module/kvm_intel/parameters/enable_tsc_offsetting": "Y",
}

# What they hold while the target boots (exp00000 ... --multicore_offsetting
# --drift_thresh 5 --delay 6); the fixture files take what is written, not
# what a kernel would show ("never", not "always madvise [never]").
DURING_BOOT = dict(CONDITIONED, **{
    "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor": "performance",
    "/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor": "performance",
    "/proc/sys/kernel/printk": "4",
    "/sys/kernel/mm/transparent_hugepage/enabled": "never",
    "/sys/kernel/mm/ksm/run": "0",
    "/proc/zerosim_drift_threshold": "5",
    "/proc/zerosim_delay": "6",
    "/sys/module/kvm_intel/parameters/enable_tsc_offsetting": "0",
})


class Conditioning(TestCase):
    """exp00000's host conditioning on a fixture tree: set before the target
    boots, read back, and put back whatever stops the run."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        self.root = conditioned_root(self.tmp)
        self.conf = os.path.join(self.tmp, "zsim.conf")
        self.write_conf(agent_timeout=2)

    def write_conf(self, agent_timeout, require_0sim="yes"):
        with open(self.conf, "w") as f:
            f.write(f"[host]\nrequire_0sim = {require_0sim}\n[target]\nname = cond\n"
                    f"kernel = /boot/vmlinuz\nagent_timeout = {agent_timeout}\n"
                    f"[paths]\nstate = /state\nresults = /results\n")

    def files(self, skip=None):
        """What each conditioned file holds; THP as the kernel reads the
        choice back ("always [madvise] never" is written as "madvise")."""
        out = {}
        for path in CONDITIONED:
            if path == skip:
                continue
            with open(self.root + path) as f:
                out[path] = f.read().strip()
            if path.endswith("transparent_hugepage/enabled") and out[path] == "madvise":
                out[path] = "always [madvise] never"
        return out

    def argv(self, *args):
        return [ZSIM_ORCH, "--root", self.root, "--config", self.conf, "--connect",
                "test:///default", "run", "exp00000", "1", *args]

    def params(self):
        found = glob.glob(self.root + "/results/*.params")
        self.assertEqual(len(found), 1, found)
        with open(found[0]) as f:
            return json.load(f)

    def err(self):
        found = glob.glob(self.root + "/results/*.err")
        self.assertEqual(len(found), 1, found)
        with open(found[0]) as f:
            return f.read()

    def items(self, params):
        return {i["knob"]: i for i in params["host_conditioning"]["items"]}

    def test_applied_then_restored_after_a_failed_phase(self):
        self.assertEqual(self.files(), CONDITIONED)
        res = run(*self.argv("-c", "--multicore_offsetting", "--drift_thresh", "5", "--delay",
                             "6")[1:], timeout=60)
        self.assertRun(res, 1)
        self.assertIn("exp00000 failed in phase target start", res.err)
        self.assertTrue(self.err().startswith("phase: target start\n"))
        self.assertEqual(self.files(), CONDITIONED)
        items = self.items(self.params())
        for knob, before, during in (
                ("governor cpu0", "powersave", "performance"),
                ("governor cpu1", "schedutil", "performance"),
                ("printk", "7", "4"), ("ksm", "1", "0"), ("thp", "madvise", "never"),
                ("zswap_zpool", "ztier", "ztier"), ("zswap_max_pool_percent", "50", "50"),
                ("zswap_enabled", "Y", "Y"), ("zerosim_drift_threshold", "100000", "5"),
                ("zerosim_delay", "0", "6"), ("zerosim_skip_halt", "0", "0"),
                ("zerosim_lapic_adjust", "1", "1"), ("tsc_offsetting", "Y", "N")):
            self.assertEqual(items[knob]["before"], before, knob)
            self.assertEqual(items[knob]["set"][0], during, knob)
            self.assertEqual(items[knob]["after"], before, knob)
        # ssdswap: the swap device, its pool, the pool's data disk; not the
        # metadata's loop device
        for disk, node in (("dm-1", "/dev/dm-1"), ("dm-0", "/dev/mapper/zsim-pool"),
                           ("sdb", "/dev/sdb")):
            item = items[f"ssdswap {disk}"]
            self.assertEqual(item["path"], f"/sys/block/{disk}/queue/rotational")
            self.assertEqual(item["how"],
                             f"{node} written to /sys/module/ssdswap/parameters/device")
            self.assertEqual((item["before"], item["after"]), ("1", "1"))
        self.assertNotIn("ssdswap loop0", items)
        with open(self.root + "/sys/module/ssdswap/parameters/device") as f:
            self.assertEqual(f.read(), "/dev/sdb")  # the last one told
        # a fact of each known-state step; nothing swapped under a test root
        steps = {s["step"]: s["result"] for s in
                 self.params()["host_conditioning"]["known_state"]}
        self.assertEqual(steps["drop caches"], "3 written to /proc/sys/vm/drop_caches")
        self.assertEqual(steps["compact memory"], "1 written to /proc/sys/vm/compact_memory")
        self.assertIn("1 active, not cycled under a test root", steps["swap"])

    def test_sigterm_while_booting_restores(self):
        self.write_conf(agent_timeout=60)
        proc = subprocess.Popen(self.argv("--multicore_offsetting", "--drift_thresh", "5",
                                          "--delay", "6"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, LC_ALL="C"))
        try:
            deadline = time.monotonic() + 20
            while self.files() != DURING_BOOT and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(self.files(), DURING_BOOT)
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 143, err)
        self.assertTrue(self.err().startswith("phase: target start\nerror: stopped by signal 15"),
                        self.err())
        self.assertEqual(self.files(), CONDITIONED)
        self.assertEqual(self.items(self.params())["printk"]["after"], "7")

    def test_sigkill_while_booting_the_next_run_restores(self):
        """A run killed with SIGKILL cannot put the host back; its journal
        in [paths] state, written before the first knob changed, lets the
        next run (holding the host lock, so the writer is dead) do it."""
        self.write_conf(agent_timeout=60)
        journal = self.root + "/state/conditioning.journal"
        boot_id = self.root + "/proc/sys/kernel/random/boot_id"
        os.makedirs(os.path.dirname(boot_id), exist_ok=True)
        with open(boot_id, "w") as f:
            f.write("11111111-2222-3333-4444-555555555555\n")
        proc = subprocess.Popen(self.argv("--multicore_offsetting", "--drift_thresh", "5",
                                          "--delay", "6"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, LC_ALL="C"))
        try:
            deadline = time.monotonic() + 20
            while self.files() != DURING_BOOT and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(self.files(), DURING_BOOT)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, -signal.SIGKILL)
        # still changed, and the journal says what puts each file back
        self.assertEqual(self.files(), DURING_BOOT)
        with open(journal) as f:
            entries = {e["path"]: e["restore"] for e in json.load(f)["items"]}
        self.assertEqual(entries["/proc/sys/kernel/printk"].split()[0], "7")
        for path in DURING_BOOT:  # every file the killed run had changed
            if DURING_BOOT[path] != CONDITIONED[path]:
                self.assertIn(path, entries)
        with open(journal) as f:
            kept = f.read()
        self.assertIn("11111111-2222-3333-4444-555555555555", kept)
        self.write_conf(agent_timeout=2)
        # in another boot, the kernel's settings are its boot values: the
        # journal is dropped, nothing written from it
        with open(boot_id, "w") as f:
            f.write("99999999-2222-3333-4444-555555555555\n")
        res = run(*self.argv()[1:], timeout=60)
        self.assertRun(res, 1)
        self.assertIn("in an earlier boot; nothing put back", res.err)
        self.assertNotIn("put back to", res.err)
        self.assertEqual(self.files()["/proc/zerosim_delay"], "6")
        self.assertFalse(os.path.exists(journal))
        # in the same boot: the next run puts it back first, says so, and
        # leaves no journal
        with open(boot_id, "w") as f:
            f.write("11111111-2222-3333-4444-555555555555\n")
        with open(journal, "w") as f:
            f.write(kept)
        for f in glob.glob(self.root + "/results/*"):
            os.unlink(f)
        res = run(*self.argv()[1:], timeout=60)
        self.assertRun(res, 1)
        self.assertIn("ended without putting the host back", res.err)
        self.assertIn("printk put back to", res.err)
        self.assertEqual(self.files(), CONDITIONED)
        self.assertFalse(os.path.exists(journal))
        params = self.params()
        self.assertIn("files, before this run", params["host_restored_from_journal"])
        # what this run saw before it conditioned is the original, not the
        # killed run's values
        self.assertEqual(self.items(params)["printk"]["before"], "7")
        self.assertEqual(self.items(params)["printk"]["after"], "7")

    def test_ksmtuned_stopped_and_started_again(self):
        """With systemd (its /run/systemd/system under the root), an active
        ksmtuned.service is stopped before KSM is turned off and started
        again after the run. This tier has no systemd: a stand-in
        systemctl first in PATH keeps the unit's state in a file and logs
        every call; real systemd is not exercised here."""
        os.makedirs(self.root + "/run/systemd/system")
        bindir = os.path.join(self.tmp, "bin")
        os.makedirs(bindir)
        state, log = os.path.join(self.tmp, "ksmtuned.state"), os.path.join(self.tmp, "calls")
        with open(state, "w") as f:
            f.write("active\n")
        with open(os.path.join(bindir, "systemctl"), "w") as f:
            f.write(f"""#!/bin/sh
echo "$*" >> {log}
[ "$2" = ksmtuned.service ] || {{ echo "unknown unit $2" >&2; exit 5; }}
case "$1" in
is-active) s=$(cat {state}); echo "$s"; [ "$s" = active ] && exit 0; exit 3 ;;
stop) echo inactive > {state} ;;
start) echo active > {state} ;;
*) exit 1 ;;
esac
""")
        os.chmod(os.path.join(bindir, "systemctl"), 0o755)
        env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"])
        self.write_conf(agent_timeout=60)
        proc = subprocess.Popen(self.argv(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env)
        try:
            deadline = time.monotonic() + 20
            while self.files()["/sys/kernel/mm/ksm/run"] != "0" and \
                    time.monotonic() < deadline:
                time.sleep(0.05)
            with open(state) as f:
                self.assertEqual(f.read(), "inactive\n")  # stopped while the run runs
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 143, err)
        with open(state) as f:
            self.assertEqual(f.read(), "active\n")
        with open(log) as f:
            self.assertEqual(f.read().splitlines(),
                             ["is-active ksmtuned.service", "stop ksmtuned.service",
                              "is-active ksmtuned.service", "start ksmtuned.service",
                              "is-active ksmtuned.service"])
        item = self.items(self.params())["ksmtuned"]
        self.assertEqual((item["path"], item["before"], item["set"], item["after"]),
                         ("ksmtuned.service", "active", ["inactive"], "active"))
        self.assertFalse(os.path.exists(self.root + "/state/conditioning.journal"))

    def test_a_rejected_knob_stops_before_the_boot_and_restores(self):
        # a directory where the knob is: the write fails as a kernel's
        # refusal would (root writes any file)
        os.unlink(self.root + "/proc/zerosim_lapic_adjust")
        os.mkdir(self.root + "/proc/zerosim_lapic_adjust")
        expect = dict(CONDITIONED)
        del expect["/proc/zerosim_lapic_adjust"]
        res = run(*self.argv()[1:], timeout=60)
        self.assertRun(res, 1)
        self.assertIn("exp00000 failed in phase condition host: cannot set "
                      "zerosim_lapic_adjust to 1: the kernel refused it "
                      "(/proc/zerosim_lapic_adjust: Is a directory); what was already set is "
                      "put back", res.err)
        self.assertEqual(self.files(skip="/proc/zerosim_lapic_adjust"), expect)
        params = self.params()
        with open(glob.glob(self.root + "/results/*.time")[0]) as f:
            self.assertNotIn("target start", f.read())
        self.assertFalse(os.path.exists(self.root + "/state/target/cond.serial.log"))
        self.assertEqual(self.items(params)["zerosim_lapic_adjust"]["refused"], "Is a directory")
        # what came before it was set, and is back
        self.assertEqual(self.items(params)["thp"]["set"], ["never"])

    def test_absent_knobs_are_recorded_not_skipped(self):
        for path in ("/proc/zerosim_lapic_adjust", "/sys/module/ssdswap/parameters/device"):
            os.unlink(self.root + path)
        res = run(*self.argv()[1:], timeout=60)
        self.assertRun(res, 1)
        self.assertIn("warning: zerosim_lapic_adjust: /proc/zerosim_lapic_adjust does not exist "
                      "on this kernel; not set (recorded as absent in .params)", res.err)
        self.assertIn("warning: ssdswap: /sys/module/ssdswap/parameters/device does not exist",
                      res.err)
        items = self.items(self.params())
        self.assertEqual(items["zerosim_lapic_adjust"],
                         {"knob": "zerosim_lapic_adjust", "path": "/proc/zerosim_lapic_adjust",
                          "before": "absent", "set": [], "after": "absent"})
        self.assertEqual(items["ssdswap"]["before"], "absent")
        self.assertFalse(os.path.exists(self.root + "/proc/zerosim_lapic_adjust"))


if __name__ == "__main__":
    main()
