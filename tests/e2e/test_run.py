"""exp00000 on the tiny target through a private libvirtd: the result set,
--from, SIGTERM mid-workload, and bad input that boots nothing."""
import glob
import json
import os
import re
import signal
import subprocess
import time

from zsimtest import e2e as e2etest


class Exp00000(e2etest.E2ETestCase):
    def result_files(self, ext):
        return sorted(glob.glob(os.path.join(self.results, "*." + ext)))

    def check_set(self, res, pattern):
        self.assertRun(res, 0)
        m = re.search(r"^RESULTS: (.*)\.\*$", res.out.splitlines()[-1])
        self.assertTrue(m, res.out)
        base = m.group(1)
        for ext in ("out", "params", "time", "sim"):
            self.assertTrue(os.path.exists(f"{base}.{ext}"), ext)
        with open(base + ".params") as f:
            params = json.load(f)
        with open(base + ".out") as f:
            lines = f.read().splitlines()
        self.assertTrue(lines[0].startswith("First: ") and lines[1].startswith("Last: "))
        stamps = [int(l) for l in lines[2:]]
        self.assertEqual(len(stamps), int(params["pages_touched"]))
        self.assertEqual(stamps, sorted(stamps))
        with open(base + ".time") as f:
            # "restore knobs" appears when the run changed host knobs (zswap)
            phases = [l.split(":")[0] for l in f if not l.startswith("restore knobs:")]
        self.assertEqual(phases, pattern)
        self.assertIn("zsim_orch_version", params)
        self.assertGreater(params["tsc_khz"], 0)
        self.assertGreater(int(params["target_mem_available_kb"]), 0)
        return base, params

    def test_zeros_then_counter_prefault_then_from(self):
        res = self.zo("run", "exp00000", "1", "--zeros")
        base, params = self.check_set(res, ["preflight", "storage", "knobs", "target start",
                                            "workload", "collect", "target stop",
                                            "total"])
        self.assertTrue(os.path.basename(base).startswith(
            "exp00000-workload_time_mmap_touch_-vm_size1-cores1-"))
        self.assertEqual(params["args"], ["1", "--zeros"])
        self.assertEqual(params["settings"]["vm_size"], 1)
        self.assertIs(params["settings"]["zeros"], True)
        self.assertIn("State:          shut off", self.virsh("dominfo", self.name))
        # zsim-orch waits on the agent instead of spinning: well under
        # 0.1 % of a core for a workload of several seconds would be ideal;
        # a generous bound here keeps the test robust on a loaded machine.
        with open(base + ".time") as f:
            workload_s = float([l for l in f if l.startswith("workload")][0].split()[1])
        self.assertLess(int(params["orch_cpu_ms_during_workload"]), workload_s * 1000 * 0.05)

        res = self.zo("run", "exp00000", "2", "--counter", "--prefault", "--size", "1")
        self.check_set(res, ["preflight", "storage", "knobs", "target start", "workload",
                             "collect", "target stop", "total"])

        res = self.zo("run", "--from", base + ".params")
        again, params2 = self.check_set(res, ["preflight", "storage", "knobs",
                                              "target start", "workload", "collect",
                                              "target stop", "total"])
        self.assertNotEqual(again, base)
        differ = {k for k in params if params[k] != params2.get(k)}
        self.assertLessEqual(differ, {"timestamp", "results", "tsc_khz", "pages_touched",
                                      "target_mem_available_kb",
                                      "orch_cpu_ms_during_workload"})
        self.assertEqual(params["args"], params2["args"])
        self.assertEqual(params["settings"], params2["settings"])

    def test_sigterm_mid_workload(self):
        proc = subprocess.Popen([e2etest.ZSIM_ORCH, "-v", "--config", self.conf, "--connect",
                                 self.daemon.uri, "run", "exp00000", "1", "--warmup"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "phase workload" in line:
                break
        self.assertIn("phase workload", "".join(seen))
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
        print(out, "".join(seen), err)
        self.assertEqual(proc.returncode, 143, err)
        errs = self.result_files("err")
        self.assertEqual(len(errs), 1)
        with open(errs[0]) as f:
            self.assertRegex(f.read(), r"^phase: (workload|warmup)\nerror: stopped by signal 15")
        self.assertIn("State:          shut off", self.virsh("dominfo", self.name))

    def test_bad_input_boots_nothing(self):
        for args, rc, msg in (
                (["run", "exp99999"], 2, "no experiment 'exp99999'"),
                (["run", "exp00000"], 2, "VMSIZE is missing"),
                (["run", "exp00000", "abc"], 2, "VMSIZE abc"),
                (["run", "exp00000", "0"], 2, "VMSIZE 0"),
                (["run", "exp00000", "4", "0"], 2, "CORES 0"),
                (["run", "exp00000", "4", "1", "--zeros", "--counter"], 2,
                 "--zeros and --counter exclude each other"),
                (["run", "exp00000", "4", "--size", "8"], 2, "--size 8 is larger")):
            res = self.zo(*args)
            self.assertRun(res, rc)
            self.assertIn(msg, res.err)
        self.write_config()
        with open(self.conf, "a") as f:
            f.write("[host]\nrequire_0sim = yes\n")
        with open(self.conf) as f:
            text = f.read().replace("[host]\nrequire_0sim = no\n", "")
        with open(self.conf, "w") as f:
            f.write(text)
        res = self.zo("run", "exp00000", "1")
        self.assertRun(res, 3)
        self.assertIn("0sim kernel: no /proc/zerosim_* knobs", res.err)
        self.assertEqual(self.virsh("list", "--all", "--name").strip(), "")

    def test_missing_workload_program(self):
        res = self.zo("run", "exp00000", "1", "--memcached")
        self.assertRun(res, 3)
        self.assertIn("the target has no memcached for --memcached", res.err)
        self.assertNotIn("State:          running", self.virsh("dominfo", self.name))


if __name__ == "__main__":
    e2etest.main()
