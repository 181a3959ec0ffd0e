"""ept status on fixtures, and the refusals that need no kernel module:
a running libvirt domain (test:///default runs one named 'test'), bad
words, --root. The reload itself is proven in the vm tier."""
import os
import tempfile

from zsimtest import FIXTURES, TestCase, main, run


class Ept(TestCase):
    def test_status_on_a_0sim_node(self):
        res = run("--root", os.path.join(FIXTURES, "0sim-node"), "ept", "status")
        self.assertRun(res, 0, out="module:    kvm_intel loaded\n"
                                   "value:     ept=N (off)\n"
                                   "persisted: no /etc/modprobe.d/zsim-kvm.conf\n"
                                   "config:    [kvm] ept = off\n")
        res = run("--root", os.path.join(FIXTURES, "debian-stock"), "ept", "status")
        self.assertRun(res, 0)
        self.assertIn("value:     unknown (kvm_intel is not loaded)", res.out)

    def test_refused_while_a_vm_runs(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as conf:
            conf.write("[target]\nuri = test:///default\n")
            conf.flush()
            before = os.path.exists("/etc/modprobe.d/zsim-kvm.conf")
            res = run("--config", conf.name, "ept", "off")
            self.assertRun(res, 3, out="", err="zsim-orch: error: refusing to reload kvm_intel: "
                                                "1 VM is running on test:///default (test); "
                                                "stop it first\n")
            self.assertEqual(os.path.exists("/etc/modprobe.d/zsim-kvm.conf"), before)

    def test_bad_input(self):
        for args, msg in ((["ept", "maybe"], "'maybe': give on, off or status"),
                          (["ept"], "give on, off or status"),
                          (["--root", os.path.join(FIXTURES, "0sim-node"), "ept", "off"],
                           "does not take --root")):
            res = run(*args)
            self.assertRun(res, 2)
            self.assertIn(msg, res.err)


if __name__ == "__main__":
    main()
