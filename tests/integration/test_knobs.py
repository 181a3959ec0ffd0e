"""knobs show/set/apply against the fixture trees (copied: set writes)."""
import json
import os
import shutil
import tempfile

from zsimtest import FIXTURES, TestCase, main, run, tree_digest


class Knobs(TestCase):
    def tree(self, name):
        d = tempfile.mkdtemp()
        os.chmod(d, 0o755)
        self.addCleanup(shutil.rmtree, d)
        root = os.path.join(d, name)
        shutil.copytree(os.path.join(FIXTURES, name), root)
        return root

    def read(self, root, path):
        with open(root + path) as f:
            return f.read().strip()

    def test_show_0sim_node(self):
        res = run("--root", os.path.join(FIXTURES, "0sim-node"), "knobs", "show")
        self.assertRun(res, 0)
        self.assertIn("0sim kernel: yes\n", res.out)
        self.assertRegex(res.out, r"zerosim_drift_threshold +100000 +/proc/zerosim_drift_threshold")
        self.assertRegex(res.out, r"tsc_offsetting +Y ")
        self.assertRegex(res.out, r"thp +madvise ")
        res = run("--root", os.path.join(FIXTURES, "0sim-node"), "--json", "knobs", "show")
        k = json.loads(res.out)
        self.assertTrue(k["zerosim_kernel"])
        self.assertEqual(k["knobs"]["zswap_zpool"], "ztier")
        self.assertEqual(k["knobs"]["ksm"], "1")

    def test_show_stock(self):
        res = run("--root", os.path.join(FIXTURES, "debian-stock"), "knobs", "show")
        self.assertRun(res, 0)
        self.assertIn("0sim kernel: no (no /proc/zerosim_* knobs)\n", res.out)
        self.assertRegex(res.out, r"zerosim_delay +absent +\(not a 0sim kernel\)")
        self.assertRegex(res.out, r"zswap_enabled +N ")

    def test_show_never_waits_on_a_fifo(self):
        # a FIFO or a directory where a knob should be: said, not waited on
        root = self.tree("0sim-node")
        os.unlink(root + "/proc/zerosim_delay")
        os.mkfifo(root + "/proc/zerosim_delay")
        os.unlink(root + "/proc/zerosim_skip_halt")
        os.mkdir(root + "/proc/zerosim_skip_halt")
        res = run("--root", root, "knobs", "show", timeout=10)
        self.assertRun(res, 0, err="")
        self.assertRegex(res.out, r"(?m)^zerosim_delay +unreadable +/proc/zerosim_delay: "
                                  r"not a regular file$")
        self.assertRegex(res.out, r"(?m)^zerosim_skip_halt +unreadable +"
                                  r"/proc/zerosim_skip_halt: Is a directory$")
        k = json.loads(run("--root", root, "--json", "knobs", "show", timeout=10).out)
        self.assertIsNone(k["knobs"]["zerosim_delay"])

    def test_set_writes_checked_values(self):
        root = self.tree("0sim-node")
        res = run("--root", root, "knobs", "set", "zerosim_delay=250", "zswap_enabled=no",
                  "thp=never")
        self.assertRun(res, 0, out="zerosim_delay = 250 (was 0)\nzswap_enabled = N (was Y)\n"
                                   "thp = never (was madvise)\n")
        self.assertEqual(self.read(root, "/proc/zerosim_delay"), "250")
        self.assertEqual(self.read(root, "/sys/module/zswap/parameters/enabled"), "N")

    def test_0sim_knob_on_stock_kernel_refused(self):
        root = self.tree("debian-stock")
        before = tree_digest(root)
        res = run("--root", root, "knobs", "set", "zswap_enabled=yes", "zerosim_delay=5")
        self.assertRun(res, 3, out="", err="zsim-orch: error: zerosim_delay: not a 0sim kernel "
                                        "(no /proc/zerosim_delay); nothing was changed\n")
        self.assertEqual(tree_digest(root), before)
        res = run("--root", root, "knobs", "set", "zswap_enabled=yes")
        self.assertRun(res, 0)

    def test_bad_input_changes_nothing(self):
        root = self.tree("0sim-node")
        before = tree_digest(root)
        for args, msg in ((["zerosim_delay=-1"], "zerosim_delay=-1: use a whole number from 0"),
                          (["nosuchknob=1"], "unknown knob 'nosuchknob'"),
                          (["zswap_zpol=ztier"], "(did you mean 'zswap_zpool'?)"),
                          (["zswap_max_pool_percent=101"], "from 0 to 100"),
                          (["thp=sometimes"], "use one of always|madvise|never"),
                          (["zswap_enabled=yes", "ksm"], "'ksm': use NAME=VALUE"),
                          ([], "needs NAME=VALUE")):
            res = run("--root", root, "knobs", "set", *args)
            self.assertRun(res, 2)
            self.assertIn(msg, res.err)
        self.assertEqual(tree_digest(root), before)

    def test_rejected_write_reports_errno(self):
        root = self.tree("0sim-node")
        os.chmod(root + "/proc/zerosim_delay", 0o444)
        os.chmod(root + "/proc", 0o555)
        self.addCleanup(os.chmod, root + "/proc", 0o755)
        # the host lock lives in the state directory: let the user take it
        os.makedirs(root + "/var/lib/zsim")
        os.chmod(root + "/var/lib/zsim", 0o777)
        res = run("--root", root, "knobs", "set", "zerosim_delay=9",
                  preexec_fn=lambda: os.setuid(65534))
        self.assertRun(res, 1)
        self.assertIn("zerosim_delay=9: the kernel refused it: Permission denied", res.err)

    def test_apply_profile(self):
        root = self.tree("0sim-node")
        conf = os.path.join(root, "etc/zsim/zsim.conf")
        with open(conf, "a") as f:
            f.write("[zerosim]\ndelay = 7\n[zswap]\nmax_pool_percent = 30\n")
        res = run("--root", root, "knobs", "apply")
        self.assertRun(res, 0)
        self.assertEqual(self.read(root, "/proc/zerosim_delay"), "7")
        self.assertEqual(self.read(root, "/sys/module/zswap/parameters/max_pool_percent"), "30")
        self.assertEqual(self.read(root, "/sys/kernel/mm/ksm/run"), "0")
        res = run("--root", root, "knobs", "apply")
        self.assertRun(res, 0)
        self.assertNotIn("was", res.out)

    def test_apply_0sim_profile_on_stock_kernel(self):
        root = self.tree("debian-stock")
        os.makedirs(root + "/etc/zsim")
        with open(root + "/etc/zsim/zsim.conf", "w") as f:
            f.write("[zerosim]\ndelay = 7\n")
        before = tree_digest(root)
        res = run("--root", root, "knobs", "apply")
        self.assertRun(res, 3)
        self.assertIn("[zerosim] delay is set but this is not a 0sim kernel", res.err)
        self.assertEqual(tree_digest(root), before)
        with open(root + "/etc/zsim/zsim.conf", "a") as f:
            f.write("[host]\nrequire_0sim = no\n")
        res = run("--root", root, "knobs", "apply")
        self.assertRun(res, 0)
        self.assertIn("[zerosim] delay skipped: not a 0sim kernel", res.err)

    def test_governor_and_printk(self):
        root = self.tree("0sim-node")
        for cpu, gov in (("cpu0", "powersave"), ("cpu1", "powersave"), ("cpu10", "schedutil")):
            d = root + f"/sys/devices/system/cpu/{cpu}/cpufreq"
            os.makedirs(d)
            with open(d + "/scaling_governor", "w") as f:
                f.write(gov + "\n")
        os.makedirs(root + "/sys/devices/system/cpu/cpufreq")  # not a CPU
        os.makedirs(root + "/proc/sys/kernel", exist_ok=True)
        with open(root + "/proc/sys/kernel/printk", "w") as f:
            f.write("7\t4\t1\t7\n")
        res = run("--root", root, "knobs", "show")
        self.assertRun(res, 0)
        self.assertRegex(res.out, r"(?m)^governor +mixed \(powersave,schedutil\) +"
                                  r"/sys/devices/system/cpu/cpu\*/cpufreq/scaling_governor$")
        self.assertRegex(res.out, r"(?m)^printk +7 +/proc/sys/kernel/printk$")
        res = run("--root", root, "knobs", "set", "governor=performance", "printk=4")
        self.assertRun(res, 0, out="governor = performance (was mixed (powersave,schedutil))\n"
                                   "printk = 4 (was 7)\n")
        for cpu in ("cpu0", "cpu1", "cpu10"):
            self.assertEqual(self.read(root, f"/sys/devices/system/cpu/{cpu}/cpufreq/"
                                             "scaling_governor"), "performance")
        self.assertEqual(self.read(root, "/proc/sys/kernel/printk"), "4")
        res = run("--root", root, "--json", "knobs", "show")
        k = json.loads(res.out)["knobs"]
        self.assertEqual((k["governor"], k["printk"]), ("performance", "4"))
        for args, msg in ((["governor=turbo"], "governor=turbo: use one of performance|"),
                          (["printk=16"], "printk=16: use a whole number from 0 to 15")):
            res = run("--root", root, "knobs", "set", *args)
            self.assertRun(res, 2)
            self.assertIn(msg, res.err)

    def test_governor_absent_without_cpufreq(self):
        res = run("--root", os.path.join(FIXTURES, "0sim-node"), "knobs", "show")
        self.assertRegex(res.out, r"(?m)^governor +absent ")
        root = self.tree("0sim-node")
        before = tree_digest(root)
        res = run("--root", root, "knobs", "set", "governor=performance")
        self.assertRun(res, 1)
        self.assertIn("governor: /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor does not "
                      "exist on this kernel; nothing was changed", res.err)
        self.assertEqual(tree_digest(root), before)

    def test_skip_halt_on_writes_3(self):
        root = self.tree("0sim-node")
        res = run("--root", root, "knobs", "set", "zerosim_skip_halt=on")
        self.assertRun(res, 0, out="zerosim_skip_halt = 3 (was 0)\n")
        self.assertEqual(self.read(root, "/proc/zerosim_skip_halt"), "3")


if __name__ == "__main__":
    main()
