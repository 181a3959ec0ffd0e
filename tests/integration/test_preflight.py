"""preflight against fixture trees: each rule's verdict, measured value and
fix, exit codes, JSON, bad input."""
import json
import os
import shutil
import tempfile
import time

from zsimtest import FIXTURES, TestCase, main, run


class Trees(TestCase):
    def node(self, ept="N", name="0sim-node", conf=None):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        root = os.path.join(d, name)
        shutil.copytree(os.path.join(FIXTURES, name), root)
        if name == "0sim-node":
            with open(root + "/sys/module/kvm_intel/parameters/ept", "w") as f:
                f.write(ept + "\n")
        if conf is not None:
            os.makedirs(root + "/etc/zsim", exist_ok=True)
            with open(root + "/etc/zsim/zsim.conf", "w") as f:
                f.write(conf)
        return root

    def checks(self, root, *args):
        res = run("--root", root, "--json", "preflight", *args)
        doc = json.loads(res.out)
        self.assertEqual(doc["failed"], res.rc == 3)
        return res, {c["check"]: c for c in doc["checks"]}


class Preflight(Trees):
    def test_ept_on_39_bits_4096_gb_fails_with_the_fix(self):
        res, c = self.checks(self.node("Y"), "4096")
        self.assertEqual(res.rc, 3)
        self.assertEqual(c["EPT"]["result"], "fail")
        self.assertEqual(c["EPT"]["measured"],
                         "EPT on; 39 physical address bits map at most 512 GB, target 4096 GB")
        self.assertIn("zsim-orch ept off", c["EPT"]["fix"])

    def test_ept_on_below_the_limit_passes(self):
        res, c = self.checks(self.node("Y"), "511")
        self.assertEqual(c["EPT"]["result"], "ok")

    def test_ept_off_4096_gb_passes_that_rule_with_a_warning(self):
        res, c = self.checks(self.node("N"), "4096")
        self.assertEqual(res.rc, 0, res.err)
        self.assertEqual(c["EPT"]["result"], "warn")
        self.assertIn("use a target of 1023 GB or less", c["EPT"]["fix"])
        res, c = self.checks(self.node("N"), "1000")
        self.assertEqual(c["EPT"]["result"], "ok")

    def test_target_larger_than_ram_and_swap(self):
        root = self.node("N", conf="[target]\nuri = test:///default\n")
        res, c = self.checks(root, "20000")
        self.assertEqual(res.rc, 3)
        self.assertEqual(c["memory"]["result"], "fail")
        self.assertIn("zsim-orch setup --mapper-device", c["memory"]["fix"])
        res, c = self.checks(root, "10000")
        self.assertEqual(c["memory"]["result"], "ok")

    def test_stock_kernel(self):
        root = self.node(name="debian-stock", conf="[target]\nuri = test:///default\n")
        res, c = self.checks(root, "1")
        self.assertEqual(res.rc, 3)
        self.assertEqual(c["0sim kernel"]["result"], "fail")
        self.assertEqual(c["EPT"]["result"], "warn")
        self.assertEqual(c["EPT"]["measured"], "kvm_intel is not loaded")
        root = self.node(name="debian-stock",
                         conf="[host]\nrequire_0sim = no\n[target]\nuri = test:///default\n")
        res, c = self.checks(root, "1")
        self.assertEqual(c["0sim kernel"]["result"], "warn")

    def test_cores_and_libvirt(self):
        res, c = self.checks(self.node(), "100", "3")
        self.assertEqual(res.rc, 3)
        self.assertEqual(c["cores"]["measured"], "3 vCPUs, 2 host CPUs")
        self.assertEqual(c["cores"]["result"], "fail")
        self.assertEqual(c["QEMU"]["result"], "warn")  # test:///default is not QEMU
        root = self.node(conf="[target]\nuri = qemu+unix:///system?socket=/nonexistent\n")
        res, c = self.checks(root, "100")
        self.assertEqual(c["QEMU"]["result"], "fail")
        self.assertIn("does not answer", c["QEMU"]["measured"])

    def test_table_and_bad_input(self):
        res = run("--root", self.node("Y"), "preflight", "4096")
        self.assertRun(res, 3)
        self.assertRegex(res.out, r"(?m)^EPT +FAIL +EPT on; 39 physical")
        self.assertRegex(res.out, r"(?m)^ +-> zsim-orch ept off")
        self.assertIn("preflight failed", res.err)
        for args, msg in ((["abc"], "VMSIZE abc"), (["0"], "VMSIZE 0"),
                          (["99999999"], "VMSIZE 99999999"), (["4", "0"], "CORES 0"),
                          ([], "give VMSIZE")):
            res = run("preflight", *args)
            self.assertRun(res, 2)
            self.assertIn(msg, res.err)


class Unreadable(Trees):
    """Facts that cannot be read are warnings that say so, never ok; absurd
    figures are not believed; nothing is waited on."""

    def edit(self, root, rel, text):
        path = root + rel
        os.unlink(path)
        if text is None:
            os.mkfifo(path)
        else:
            with open(path, "w") as f:
                f.write(text)

    def cpuinfo(self, root, address_sizes):
        with open(os.path.join(FIXTURES, "0sim-node/proc/cpuinfo")) as f:
            text = "".join(line for line in f if not line.startswith("address sizes"))
        if address_sizes:
            text = text.replace("\n\n", f"\naddress sizes\t: {address_sizes}\n\n", 1)
        self.edit(root, "/proc/cpuinfo", text)

    def test_no_address_sizes_is_a_warning(self):
        for ept in ("Y", "N"):
            root = self.node(ept)
            self.cpuinfo(root, None)
            res, c = self.checks(root, "100")
            self.assertEqual(res.rc, 0, res.err)
            self.assertEqual(c["EPT"]["result"], "warn", ept)
            self.assertIn("the physical address bits are unknown (/proc/cpuinfo: no "
                          "'address sizes' line)", c["EPT"]["measured"])
            self.assertNotIn("0 physical", c["EPT"]["measured"])

    def test_200_address_bits_are_not_believed(self):
        root = self.node("Y")
        self.cpuinfo(root, "200 bits physical, 48 bits virtual")
        res, c = self.checks(root, "4096")
        self.assertEqual(c["EPT"]["result"], "warn")
        self.assertIn("(/proc/cpuinfo: a figure no kernel reports)", c["EPT"]["measured"])
        res = run("--root", root, "status")
        self.assertRun(res, 0)
        self.assertIn("cpu:          unknown (/proc/cpuinfo: a figure no kernel reports)\n",
                      res.out)

    def test_absurd_or_empty_meminfo(self):
        for text, why in (("MemTotal: 18014398509481984 kB\nSwapTotal: 0 kB\n"
                           "SwapFree: 0 kB\n", "a figure no kernel reports"),
                          ("", "no MemTotal, SwapTotal or SwapFree")):
            root = self.node()
            self.edit(root, "/proc/meminfo", text)
            res, c = self.checks(root, "20000")
            self.assertEqual(res.rc, 0, res.err)
            self.assertEqual(c["memory"]["result"], "warn")
            self.assertEqual(c["memory"]["measured"],
                             f"target 20000 GB; cannot tell whether it fits: /proc/meminfo: {why}")

    def test_fifos_are_not_waited_on(self):
        root = self.node()
        for rel in ("/proc/meminfo", "/proc/cpuinfo", "/proc/swaps",
                    "/sys/module/kvm_intel/parameters/ept"):
            self.edit(root, rel, None)
        start = time.monotonic()
        res, c = self.checks(root, "100")
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual(res.rc, 0, res.err)
        for name in ("EPT", "memory", "cores"):
            self.assertEqual(c[name]["result"], "warn", name)
        self.assertIn("/proc/meminfo: not a regular file", c["memory"]["measured"])
        self.assertIn("/proc/cpuinfo: not a regular file", c["cores"]["measured"])
        res = run("--root", root, "status", timeout=10)
        self.assertRun(res, 0)
        self.assertIn("memory:       unknown (/proc/meminfo: not a regular file)\n", res.out)
        self.assertIn("swap devices: unknown (/proc/swaps: not a regular file)\n", res.out)
        res = run("--root", root, "ept", "status", timeout=10)
        self.assertRun(res, 0)


class ThinCapacity(Trees):
    """Capacity is the swap the kernel enabled (/proc/swaps), which can be
    far smaller than the thin volume; preflight and status say so."""

    def capped(self, size_kb):
        root = self.node()
        with open(root + "/proc/swaps", "w") as f:
            f.write("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
                    f"/dev/dm-1                               partition\t{size_kb}\t0\t-2\n")
        return root

    def test_capped_swap_counts_and_is_named(self):
        root = self.capped(2 * 1024 ** 3)  # 2T of a 10T volume
        res, c = self.checks(root, "4096")
        self.assertEqual(res.rc, 3)
        self.assertEqual(c["memory"]["result"], "fail")
        self.assertEqual(c["memory"]["measured"],
                         "target 4096 GB; RAM 63G + swap 2T (thin volume 10T)")
        self.assertEqual(c["thin swap"]["result"], "warn")
        self.assertEqual(c["thin swap"]["measured"],
                         "the kernel enabled 2T of swap on /dev/mapper/zsim-swap, "
                         "the volume is 10T")
        res, c = self.checks(root, "1024")
        self.assertEqual(c["memory"]["result"], "ok")
        self.assertEqual(c["thin swap"]["result"], "warn")
        res = run("--root", root, "status")
        self.assertIn("\nthin swap:    the kernel enabled 2T of swap on /dev/mapper/zsim-swap, "
                      "the volume is 10T\n", res.out)
        s = json.loads(run("--root", root, "--json", "status").out)
        self.assertEqual(s["thin"], {"volume": "/dev/mapper/zsim-swap",
                                     "virtual_bytes": 10 * 1024 ** 4,
                                     "swap_bytes": 2 * 1024 ** 4})

    def test_volume_without_swap(self):
        root = self.capped(1024)
        os.unlink(root + "/sys/block/dm-1/dm/name")  # dm-1 is another device
        res, c = self.checks(root, "100")
        self.assertEqual(c["thin swap"]["measured"],
                         "the kernel enabled no swap on /dev/mapper/zsim-swap, "
                         "the volume is 10T")
        self.assertIn("zsim-orch thin activate", c["thin swap"]["fix"])

    def test_whole_volume_enabled_says_nothing_more(self):
        root = self.node()
        res, c = self.checks(root, "4096")
        self.assertEqual(c["memory"]["result"], "ok")
        self.assertNotIn("thin swap", c)
        self.assertNotIn("thin swap", run("--root", root, "status").out)


if __name__ == "__main__":
    main()
