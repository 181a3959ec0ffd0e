"""preflight against fixture trees: each rule's verdict, measured value and
fix, exit codes, JSON, bad input."""
import json
import os
import shutil
import tempfile

from zsimtest import FIXTURES, TestCase, main, run


class Preflight(TestCase):
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
        return res, {c["check"]: c for c in json.loads(res.out)}

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


if __name__ == "__main__":
    main()
