"""exp00000 on the tiny target through a private libvirtd: the result set
(the old runner's names, .params keys and .sim sections), --from, SIGTERM
mid-workload, bad input that boots nothing, host conditioning around a real
boot (on a fixture tree given as --root), and results fetched with bounded
memory."""
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time

from zsimtest import e2e as e2etest
from zsimtest import read_time

PHASES = ["preflight", "storage", "condition host", "target start", "setup", "workload",
          "collect", "target stop", "total"]
SIM_SECTIONS = ["Host Config\n=====\n", "\nSimulation Stats (Host)\n=====\n",
                "\nSimulation Stats (Guest)\n=====\n", "\ndmesg (Host)\n=====\n",
                "\ndmesg (Guest)\n=====\n", "\nzsim\n=====\n"]
STAMP = r"-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$"


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
        # the runner's timed steps (exp00000.rs), then zsim's phases; "restore
        # host" appears when the run changed the host
        times = read_time(base + ".time")
        phases = [n for n, _ in times if n != "restore host"]
        runner = ["Setup host and start VM"] + (["Warmup"] if "warmup" in pattern else []) + \
            ["Workload"]
        self.assertEqual(phases, runner + pattern)
        t = dict(times)
        self.assertAlmostEqual(t["Setup host and start VM"],
                               sum(t[p] for p in pattern[:4]), delta=1e-6)
        self.assertEqual(t["Workload"], t["workload"])
        self.assertIn("zsim_orch_version", params)
        self.assertGreater(params["tsc_khz"], 0)
        self.assertGreater(int(params["target_mem_available_kb"]), 0)
        self.assertEqual(params["out_via"], "results disk")
        self.assertEqual(int(params["out_bytes"]), os.path.getsize(base + ".out"))
        self.check_sim(base)
        return base, params

    def check_sim(self, base):
        """The old runner's .sim sections in its order, each with its content."""
        with open(base + ".sim") as f:
            sim = f.read()
        at = [sim.find(h) for h in SIM_SECTIONS]
        self.assertNotIn(-1, at, sim[:2000])
        self.assertEqual(at, sorted(at))
        self.assertEqual(at[0], 0)
        part = [sim[at[i]:at[i + 1]] for i in range(len(at) - 1)]
        self.assertIn("processor\t: 0", part[0])
        self.assertRegex(part[0], r"(?m)^NAME +MAJ:MIN +RM +SIZE +RO +TYPE ")
        self.assertIn("MemTotal:", part[1])
        self.assertIn("zerosim_guest_offset", part[1])
        # the target's meminfo and its whole kernel log (from its first line)
        self.assertRegex(part[2], r"MemTotal: +\d+ kB")
        self.assertNotIn("(no target in this run)", part[2])
        self.assertRegex(part[4], r"\n\[ *0\.000000\] Linux version ")
        self.assertRegex(part[3], r"\] Linux version ")

    def test_zeros_then_counter_prefault_then_from(self):
        res = self.zo("run", "exp00000", "2", "--zeros", "-s", "1")
        base, params = self.check_set(res, PHASES)
        self.assertRegex(os.path.basename(base),
                         r"^workload_bmk_-app_TimeMmapTouch_-vm_size2-size1" + STAMP)
        self.assertEqual(params["args"], ["2", "--zeros", "--size", "1"])
        self.assertEqual(params["settings"]["vm_size"], 2)
        self.assertIs(params["settings"]["zeros"], True)
        # the old runner's settings, with its values
        for key, value in (("workload", "bmk"), ("app", "TimeMmapTouch"), ("exp", 0),
                           ("vm_size", 2), ("cores", 1), ("pattern", "Zeros"),
                           ("prefault", False), ("size", 1), ("calibrated", False),
                           ("warmup", False), ("disable_zswap", False),
                           ("multicore_offsetting", False), ("zswap_max_pool_percent", 50),
                           ("zerosim_drift_threshold", None), ("zerosim_delay", None)):
            self.assertEqual(params[key], value, key)
        # 1 GB less the record buffer one record a page needs
        self.assertEqual(int(params["pages"]), 1 << 18)
        self.assertEqual(int(params["pages_touched"]), (1 << 18) * 512 // 513)
        self.assertEqual(params["workload_cpu"], "0")
        self.assertIn("State:          shut off", self.virsh("dominfo", self.name))
        # zsim-orch waits on the agent instead of spinning: well under
        # 0.1 % of a core for a workload of several seconds would be ideal;
        # a generous bound here keeps the test robust on a loaded machine.
        workload_s = dict(read_time(base + ".time"))["workload"]
        self.assertLess(int(params["orch_cpu_ms_during_workload"]), workload_s * 1000 * 0.05)

        # the runner's spellings; two vCPUs: the warmup on the first, the
        # workload pinned to the next (TasksetCtx)
        res = self.zo("run", "exp00000", "2", "2", "-c", "-p", "-w", "-s", "1")
        _, params2 = self.check_set(res, PHASES[:5] + ["warmup"] + PHASES[5:])
        self.assertRegex(params2["results"],
                         r"^workload_bmk_-app_TimeMmapTouch_-vm_size2-cores2-size1" + STAMP)
        self.assertEqual((params2["pattern"], params2["prefault"], params2["warmup"]),
                         ("Counter", True, True))
        self.assertEqual((params2["warmup_cpu"], params2["workload_cpu"]), ("0", "1"))

        res = self.zo("run", "--from", base + ".params")
        again, params3 = self.check_set(res, PHASES)
        self.assertNotEqual(again, base)
        differ = {k for k in params if params[k] != params3.get(k)}
        self.assertLessEqual(differ, {"timestamp", "results", "tsc_khz", "tsc_khz_source",
                                      "target_mem_available_kb", "boot_to_agent_ms",
                                      "orch_cpu_ms_during_workload", "out_bytes",
                                      "host_conditioning"})
        self.assertEqual(params["args"], params3["args"])
        self.assertEqual(params["settings"], params3["settings"])

    def test_default_size_is_whole_gb_of_memavailable(self):
        # a 1 GB target has less than 1 GB available: the runner's size is 0
        res = self.zo("run", "exp00000", "1")
        base, params = self.check_set(res, PHASES)
        self.assertEqual(params["size"], None)
        self.assertEqual(int(params["workload_size_gb"]),
                         int(params["target_mem_available_kb"]) >> 20)
        self.assertEqual(int(params["pages_touched"]), 0)
        self.assertIn("the target has less than 1 GB available and no --size", res.err)

    def test_sigterm_mid_workload(self):
        proc = subprocess.Popen([e2etest.ZSIM_ORCH, "-v", "--config", self.conf, "--connect",
                                 self.daemon.uri, "run", "exp00000", "2", "--warmup", "-s", "1"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "exp00000: workload" in line:
                break
        self.assertIn("exp00000: workload", "".join(seen))
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
        print(out, "".join(seen), err)
        self.assertEqual(proc.returncode, 143, err)
        errs = self.result_files("err")
        self.assertEqual(len(errs), 1)
        with open(errs[0]) as f:
            self.assertRegex(f.read(), r"^phase: (workload|warmup)\nerror: stopped by signal 15")
        self.assertIn("State:          shut off", self.virsh("dominfo", self.name))

    def test_sigkill_mid_collect_leaves_no_out(self):
        """A run killed outright while it collects leaves its .out under a
        hidden temporary name, never a part of it under the result's name."""
        proc = subprocess.Popen([e2etest.ZSIM_ORCH, "-v", "--config", self.conf, "--connect",
                                 self.daemon.uri, "run", "exp00000", "2", "-s", "1"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for line in proc.stderr:
            if "exp00000: collect" in line:
                break
        part = []
        deadline = time.monotonic() + 60
        while not part and time.monotonic() < deadline and proc.poll() is None:
            part = glob.glob(os.path.join(self.results, ".*.out.part"))
            time.sleep(0.01)
        proc.kill()
        proc.communicate(timeout=60)
        self.virsh("destroy", self.name)
        self.assertEqual(len(part), 1, os.listdir(self.results))
        self.assertTrue(os.path.exists(part[0]))
        self.assertEqual(self.result_files("out"), [])
        self.assertEqual(self.result_files("params"), [])

    def test_bad_input_boots_nothing(self):
        for args, rc, msg in (
                (["run", "exp99999"], 2, "no experiment 'exp99999'"),
                (["run", "exp00000"], 2, "VMSIZE is missing"),
                (["run", "exp00000", "abc"], 2, "VMSIZE abc"),
                (["run", "exp00000", "0"], 2, "VMSIZE 0"),
                (["run", "exp00000", "4", "0"], 2, "CORES 0"),
                (["run", "exp00000", "4", "1", "--zeros", "--counter"], 2,
                 "--zeros and --counter exclude each other"),
                (["run", "exp00000", "4", "--size", "8"], 2, "--size 8 is larger"),
                (["run", "exp00000", "4", "1", "-z", "-m"], 2,
                 "-z and -m exclude each other; give one workload"),
                (["run", "exp00000", "4", "1", "-s", "5"], 2, "-s 5 is larger than the target"),
                (["run", "exp00000", "4", "1", "--delay", "5"], 2,
                 "--delay needs --multicore-offsetting")):
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


class Conditioning(e2etest.E2ETestCase):
    """Host conditioning around a real boot: the host is a fixture tree
    (--root), the target the tiny one. The knobs set after the boot
    (multicore offsetting) are only reached with a target that boots."""
    name = "e2e-cond"

    KNOBS = {
        "/proc/zerosim_multicore_sync": ("0", "1"),
        "/proc/zerosim_sync_guest_tsc": ("0", "1"),
        "/sys/module/kvm_intel/parameters/enable_tsc_offsetting": ("Y", "Y"),
        "/proc/zerosim_skip_halt": ("0", "0"),
        "/proc/zerosim_lapic_adjust": ("1", "1"),
        "/proc/zerosim_drift_threshold": ("100000", "5000"),
        "/proc/zerosim_delay": ("0", "300"),
        "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor": ("powersave", "performance"),
        "/proc/sys/kernel/printk": ("7\t4\t1\t7", "4"),
        "/sys/kernel/mm/ksm/run": ("1", "0"),
        "/sys/kernel/mm/transparent_hugepage/enabled": ("always [madvise] never", "never"),
    }

    def read(self, root):
        out = {}
        for path in self.KNOBS:
            with open(root + path) as f:
                v = f.read().strip()
            out[path] = "always [madvise] never" if v == "madvise" else v
        return out

    def test_around_a_real_boot(self):
        root = e2etest.conditioned_root(os.path.join(self.tmp, "host"), e2etest.TARGET)
        with open(self.conf, "w") as f:
            f.write(f"[host]\nrequire_0sim = yes\n[target]\nname = {self.name}\naccel = tcg\n"
                    f"memory = 256M\nagent_timeout = 90\nkernel = /target/vmlinuz\n"
                    f"initrd = /target/initrd.cpio\ncmdline = console=ttyS0 quiet\n"
                    f"[paths]\nstate = /state\nresults = /results\n")
        before = self.read(root)
        self.assertEqual(before, {k: v[0] for k, v in self.KNOBS.items()})
        proc = subprocess.Popen([e2etest.ZSIM_ORCH, "-v", "--root", root, "--config", self.conf,
                                 "--connect", self.daemon.uri, "run", "exp00000", "2", "-s", "1",
                                 "--multicore_offsetting", "--drift_thresh", "5000", "--delay",
                                 "300"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "exp00000: workload" in line:
                # the target runs: every knob as the runner left it
                self.assertEqual(self.read(root), {k: v[1] for k, v in self.KNOBS.items()})
                break
        out, err = proc.communicate(timeout=300)
        self.assertEqual(proc.returncode, 0, "".join(seen) + err)
        self.assertEqual(self.read(root), before)
        base = out.splitlines()[-1].split(" ", 1)[1][:-2]
        self.assertTrue(base.startswith(root + "/results/workload_bmk_-app_TimeMmapTouch_-"
                                        "vm_size2-size1-multicore_offsettingtrue-"
                                        "zerosim_drift_threshold5000-zerosim_delay300-"), base)
        with open(base + ".params") as f:
            params = json.load(f)
        items = {i["knob"]: i for i in params["host_conditioning"]["items"]}
        self.assertEqual(items["tsc_offsetting"]["set"], ["N", "Y"])
        self.assertEqual(items["zerosim_skip_halt"]["set"], ["0", "0"])
        self.assertEqual(items["zerosim_multicore_sync"]["set"], ["1"])
        self.assertEqual(items["zerosim_sync_guest_tsc"]["set"], ["1"])
        for knob in ("zerosim_multicore_sync", "zerosim_sync_guest_tsc", "tsc_offsetting",
                     "printk", "governor cpu0", "thp", "ksm"):
            self.assertEqual(items[knob]["after"], items[knob]["before"], knob)
        self.assertEqual(params["zerosim_kernel"], "yes")
        self.check_phases(base)

    def check_phases(self, base):
        phases = [n for n, _ in read_time(base + ".time")]
        self.assertEqual(phases, ["Setup host and start VM", "Workload"] + PHASES[:-1] +
                         ["restore host", "total"])


class Fetch(e2etest.E2ETestCase):
    """Results out of the target with bounded host memory: a 2 GiB file
    through the results disk, and the guest agent's way (no results disk)
    with a smaller one; the peak RSS of `zsim-orch target fetch` either
    way. The agent moves about 10 MiB/s under TCG, so 2 GiB that way would
    take minutes: its memory is one chunk whatever the size, which the two
    sizes below show."""
    name = "e2e-fetch"

    def fetch(self, guest_path, digest=False):
        dest = os.path.join(self.tmp, "fetched")
        proc = subprocess.Popen([e2etest.ZSIM_ORCH, "--config", self.conf, "--connect",
                                 self.daemon.uri, "target", "fetch", guest_path, dest],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        err = proc.stderr.read().decode()
        proc.stdout.close()
        proc.stderr.close()
        self.assertEqual(proc.returncode, 0, err)
        size = os.path.getsize(dest)
        with open(dest, "rb") as f:
            head, tail = f.read(16), (f.seek(size - 16), f.read(16))[1]
        if digest:
            md5 = hashlib.md5()
            with open(dest, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    md5.update(block)
            head = md5.hexdigest().encode() + head
        os.unlink(dest)
        # written under a temporary name beside it, renamed when whole
        self.assertEqual([n for n in os.listdir(self.tmp) if n.startswith(".fetched")], [])
        return size, head + tail, usage.ru_maxrss / 1024

    def make(self, mib):
        # a tmpfs of its own: the tiny target's root (an initramfs) takes at
        # most half its memory
        script = (f"mkdir -p /results/t && (mountpoint -q /results/t || mount -t tmpfs -o "
                  f"size={mib + 64}m tmpfs /results/t) && "
                  f"dd if=/dev/urandom of=/results/seed bs=1M count=16 2>/dev/null; i=0; "
                  f"while [ $i -lt {mib // 16} ]; do cat /results/seed; i=$((i+1)); done "
                  f"> /results/t/big; rm /results/seed; wc -c < /results/t/big; "
                  f"head -c 16 /results/t/big | od -An -tx1; "
                  f"tail -c 16 /results/t/big | od -An -tx1")
        res = self.zo("target", "exec", "--", "sh", "-c", script, timeout=600)
        self.assertRun(res, 0)
        lines = res.out.splitlines()
        ends = bytes.fromhex("".join(lines[1:]).replace(" ", ""))
        return int(lines[0]), ends

    def test_2gib_through_the_results_disk(self):
        self.write_config(memory="3G")
        self.assertRun(self.zo("target", "start"), 0)
        size, ends = self.make(2048)
        self.assertEqual(size, 2 << 30)
        res = self.zo("target", "exec", "--", "md5sum", "/results/t/big", timeout=900)
        self.assertRun(res, 0)
        guest_md5 = res.out.split()[0].encode()
        got, got_ends, rss = self.fetch("/results/t/big", digest=True)
        # byte for byte what the guest has: the digest computed in the
        # target against the host's of the fetched file
        self.assertEqual((got, got_ends), (size, guest_md5 + ends))
        print(f"2 GiB through the results disk: peak RSS {rss:.1f} MiB")
        self.assertLessEqual(rss, 64, f"peak RSS {rss:.1f} MiB")
        # what the host read was punched out of the disk's file: the
        # filesystem holds it once (the kernel's count of its blocks)
        img = os.path.join(self.state, "target", self.name + ".results.img")
        self.assertLess(os.stat(img).st_blocks * 512, 64 << 20)
        # a size direct I/O does not write whole: padded on the disk, cut
        # to size on the host
        res = self.zo("target", "exec", "--", "sh", "-c",
                      "head -c 1048699 /results/t/big > /results/odd")
        self.assertRun(res, 0)
        got, got_ends, _ = self.fetch("/results/odd")
        self.assertEqual((got, got_ends[:16]), (1048699, ends[:16]))
        # killed mid-fetch: nothing under the name asked for (last: the
        # guest's copy onto the disk goes on without it)
        dest = os.path.join(self.tmp, "fetched")
        proc = subprocess.Popen([e2etest.ZSIM_ORCH, "--config", self.conf, "--connect",
                                 self.daemon.uri, "target", "fetch", "/results/t/big", dest])
        part = []
        deadline = time.monotonic() + 60
        while not part and time.monotonic() < deadline and proc.poll() is None:
            part = [n for n in os.listdir(self.tmp) if n.startswith(".fetched.")]
            time.sleep(0.01)
        proc.kill()
        proc.wait()
        self.assertEqual(len(part), 1)
        self.assertFalse(os.path.exists(dest))
        os.unlink(os.path.join(self.tmp, part[0]))

    def test_through_the_agent(self):
        self.assertRun(self.zo("target", "create"), 0)
        # the domain as an older zsim-orch defined it: no results disk
        xml = self.virsh("dumpxml", self.name)
        xml = re.sub(r"<disk[^>]*>(?:(?!</disk>).)*zsim-results(?:(?!</disk>).)*</disk>", "", xml,
                     flags=re.S)
        path = os.path.join(self.tmp, "dom.xml")
        with open(path, "w") as f:
            f.write(xml)
        self.assertEqual(self.daemon.virsh("define", path).returncode, 0)
        os.unlink(os.path.join(self.state, "target", self.name + ".results.img"))
        self.write_config(memory="1G")
        self.assertRun(self.zo("target", "start"), 0)
        rss = []
        for mib in (16, 64):
            size, ends = self.make(mib)
            got, got_ends, peak = self.fetch("/results/t/big")
            self.assertEqual((got, got_ends), (size, ends))
            rss.append(peak)
        print(f"16 and 64 MiB through the guest agent: peak RSS {rss[0]:.1f}, {rss[1]:.1f} MiB")
        # one chunk of memory whatever the size: 4x the bytes, the same RSS
        self.assertLessEqual(max(rss), 64, rss)
        self.assertLess(abs(rss[1] - rss[0]), 8, rss)


if __name__ == "__main__":
    e2etest.main()
