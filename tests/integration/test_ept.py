"""ept status on fixtures, and the refusals that need no kernel module:
a running libvirt domain (test:///default runs one named 'test'), bad
words, a --root tree without the module's file. The reload itself is
proven in the vm tier."""
import os
import shutil
import tempfile

from zsimtest import FIXTURES, TestCase, main, run, tree_digest


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
        # the host lock in a private state directory: other zsim-orch
        # commands on this machine do not hold it
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as conf, \
                tempfile.TemporaryDirectory() as state:
            conf.write(f"[paths]\nstate = {state}\n[target]\nuri = test:///default\n")
            conf.flush()
            before = os.path.exists("/etc/modprobe.d/zsim-kvm.conf")
            res = run("--config", conf.name, "ept", "off")
            self.assertRun(res, 3, out="", err="zsim-orch: error: refusing to reload kvm_intel: "
                                                "1 VM is running on test:///default (test); "
                                                "stop it first\n")
            self.assertEqual(os.path.exists("/etc/modprobe.d/zsim-kvm.conf"), before)

    def test_bad_input(self):
        for args, msg in ((["ept", "maybe"], "'maybe': give on, off or status"),
                          (["ept"], "give on, off or status")):
            res = run(*args)
            self.assertRun(res, 2)
            self.assertIn(msg, res.err)

    def test_root(self):
        """Under --root, libkmod looks in the tree's lib/modules and
        modprobe.d, and what is persisted lands in the tree."""
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        root = os.path.join(d, "0sim-node")
        shutil.copytree(os.path.join(FIXTURES, "0sim-node"), root)
        host_file = os.path.exists("/etc/modprobe.d/zsim-kvm.conf")
        res = run("--root", root, "ept", "off")
        self.assertRun(res, 0, out="kvm_intel: ept=N already; persisted\n", err="")
        with open(root + "/etc/modprobe.d/zsim-kvm.conf") as f:
            self.assertIn("\noptions kvm_intel ept=0\n", f.read())
        res = run("--root", root, "ept", "status")
        self.assertIn("persisted: options kvm_intel ept=0\n", res.out)
        # the tree has kvm_intel loaded but no module file to load it again
        # from: refused before the running kernel's module is touched
        conf = root + "/etc/zsim/zsim.conf"
        with open(conf) as f:
            text = f.read().replace("uri = test:///default",
                                    "uri = qemu+unix:///system?socket=/nonexistent")
        with open(conf, "w") as f:
            f.write(text)
        before = tree_digest(root)
        for extra in ([], ["--dry-run"]):
            res = run("--root", root, *extra, "ept", "on")
            self.assertRun(res, 1, out="", err=(
                "zsim-orch: error: cannot reload kvm_intel: libkmod finds no module file "
                f"for it in {root}/lib/modules/4.4.0-0sim+ (No such file or directory); "
                "nothing was changed\n"))
            self.assertEqual(tree_digest(root), before)
        self.assertEqual(os.path.exists("/etc/modprobe.d/zsim-kvm.conf"), host_file)


if __name__ == "__main__":
    main()
