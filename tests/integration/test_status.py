"""zsim-orch status against fixture hosts and libvirt URIs that answer, do
not exist, or hang."""
import json
import os
import re
import shutil
import socket
import tempfile
import time

from zsimtest import FIXTURES, TestCase, golden, main, run, tree_digest


def normalise(text):
    # test:///default reports the libvirt library's own version
    return re.sub(r"libvirt \d+\.\d+\.\d+", "libvirt X.Y.Z", text)


class Fixtures(TestCase):
    def status(self, fixture, *extra):
        root = os.path.join(FIXTURES, fixture)
        before = tree_digest(root)
        res = run("--root", root, *extra)
        self.assertEqual(tree_digest(root), before, "status changed the tree")
        return res

    def test_0sim_node_human(self):
        res = self.status("0sim-node", "status")
        self.assertRun(res, 0, err="")
        expected = golden("status-0sim-node.txt").replace(
            "@ROOT@", os.path.join(FIXTURES, "0sim-node"))
        self.assertEqual(normalise(res.out), expected)

    def test_debian_stock_human(self):
        res = self.status("debian-stock", "--connect", "test:///default", "status")
        self.assertRun(res, 0, err="")
        expected = golden("status-debian-stock.txt").replace(
            "@ROOT@", os.path.join(FIXTURES, "debian-stock"))
        self.assertEqual(normalise(res.out), expected)

    def test_zsim_root_environment_matches_option(self):
        root = os.path.join(FIXTURES, "0sim-node")
        a = run("--root", root, "status")
        b = run("status", env={"ZSIM_ROOT": root})
        self.assertRun(b, 0, out=a.out)

    def test_0sim_node_json(self):
        for args in (("--json", "status"), ("status", "--json")):
            res = self.status("0sim-node", *args)
            self.assertRun(res, 0, err="")
            s = json.loads(res.out)
            self.assertEqual(s["kernel"]["release"], "4.4.0-0sim+")
            self.assertTrue(s["kernel"]["zerosim"])
            self.assertEqual(s["kernel"]["zerosim_knobs"], [
                "zerosim_delay", "zerosim_drift_threshold", "zerosim_lapic_adjust",
                "zerosim_multicore_sync", "zerosim_skip_halt", "zerosim_sync_guest_tsc"])
            self.assertEqual(s["kvm"], {"module": "kvm_intel", "loaded": True,
                                        "param": "ept", "param_value": "N", "ept": False})
            self.assertEqual(s["cpu"], {"physical_address_bits": 39,
                                        "virtual_address_bits": 48})
            self.assertEqual(s["memory"]["total_bytes"], 65855908 * 1024)
            self.assertEqual(s["memory"]["available_bytes"], 62914560 * 1024)
            self.assertEqual(s["memory"]["swap_total_bytes"], 10737418236 * 1024)
            self.assertEqual(s["swaps"], [{"filename": "/dev/dm-1", "type": "partition",
                                           "size_bytes": 10737418236 * 1024,
                                           "used_bytes": 2097152 * 1024,
                                           "priority": -2}])
            self.assertEqual(s["zswap"], {"compressor": "lzo", "enabled": "Y",
                                          "max_pool_percent": "50", "zpool": "ztier"})
            self.assertEqual(s["libvirt"]["uri"], "test:///default")
            self.assertTrue(s["libvirt"]["answered"])
            self.assertEqual(s["libvirt"]["hypervisor"], "TEST")
            self.assertEqual(s["libvirt"]["active_domains"], 1)
            self.assertIsNone(s["libvirt"]["error"])
            self.assertEqual(s["config"], {
                "path": os.path.join(FIXTURES, "0sim-node", "etc/zsim/zsim.conf"),
                "present": True})

    def test_debian_stock_json(self):
        res = self.status("debian-stock", "--connect", "test:///default", "--json", "status")
        self.assertRun(res, 0, err="")
        s = json.loads(res.out)
        self.assertFalse(s["kernel"]["zerosim"])
        self.assertEqual(s["kernel"]["zerosim_knobs"], [])
        self.assertEqual(s["kvm"]["loaded"], False)
        self.assertIsNone(s["kvm"]["ept"])
        self.assertEqual(s["cpu"]["physical_address_bits"], 43)
        self.assertEqual(s["swaps"][0]["filename"], "/var/swap file")
        self.assertEqual(s["swaps"][0]["type"], "file")
        self.assertEqual(s["config"]["present"], False)


class Libvirt(TestCase):
    def test_missing_socket_is_reported_quickly(self):
        with tempfile.TemporaryDirectory() as d:
            uri = f"qemu+unix:///system?socket={d}/nothing-here"
            start = time.monotonic()
            res = run("--root", os.path.join(FIXTURES, "debian-stock"),
                      "--connect", uri, "status")
            elapsed = time.monotonic() - start
        self.assertRun(res, 0, err="")
        self.assertLess(elapsed, 3)
        self.assertRegex(res.out, r"libvirt: +qemu\+unix:///system\?socket=\S+ "
                                  r"does not answer: .*No such file or directory")

    def test_hung_daemon_times_out(self):
        # A socket that accepts connections and never says a word: libvirt
        # itself would wait forever.
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "sock")
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            srv.bind(path)
            srv.listen(8)
            try:
                start = time.monotonic()
                res = run("--root", os.path.join(FIXTURES, "debian-stock"),
                          "--connect", f"qemu+unix:///system?socket={path}",
                          "--json", "status", timeout=30)
                elapsed = time.monotonic() - start
            finally:
                srv.close()
        self.assertRun(res, 0, err="")
        self.assertGreater(elapsed, 4.5)
        self.assertLess(elapsed, 8)
        s = json.loads(res.out)
        self.assertFalse(s["libvirt"]["answered"])
        self.assertEqual(s["libvirt"]["error"], "no answer within 5 s")
        self.assertIsNone(s["libvirt"]["active_domains"])


class KvmLoaded(TestCase):
    """`status` and `ept status` say the same about the KVM module: one
    rule, sys/hostinfo's (loaded as a module, or built in)."""

    def tree(self, edit):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        root = os.path.join(d, "0sim-node")
        shutil.copytree(os.path.join(FIXTURES, "0sim-node"), root)
        mod = root + "/sys/module/kvm_intel"
        if edit == "builtin":  # built in, no parameters exported
            shutil.rmtree(mod)
            os.makedirs(mod)
        elif edit == "builtin-param":
            os.unlink(mod + "/initstate")
            os.unlink(mod + "/refcnt")
        elif edit == "going":
            with open(mod + "/initstate", "w") as f:
                f.write("going\n")
        elif edit == "absent":
            shutil.rmtree(mod)
        return root

    def both(self, root):
        st = run("--root", root, "status")
        self.assertRun(st, 0)
        js = json.loads(run("--root", root, "--json", "status").out)
        ept = run("--root", root, "ept", "status")
        self.assertRun(ept, 0)
        kvm = re.search(r"(?m)^kvm: +(.*)$", st.out).group(1)
        module = re.search(r"(?m)^module: +(.*)$", ept.out).group(1)
        return kvm, js["kvm"]["loaded"], module

    def test_one_rule(self):
        for edit, kvm, loaded, module in (
                (None, "kvm_intel loaded, ept=N (off)", True, "kvm_intel loaded"),
                ("builtin", "kvm_intel loaded, no parameter 'ept'", True,
                 "kvm_intel loaded"),
                ("builtin-param", "kvm_intel loaded, ept=N (off)", True, "kvm_intel loaded"),
                ("going", "kvm_intel not loaded", False, "kvm_intel not loaded"),
                ("absent", "kvm_intel not loaded", False, "kvm_intel not loaded")):
            with self.subTest(edit=edit):
                self.assertEqual(self.both(self.tree(edit)), (kvm, loaded, module))


if __name__ == "__main__":
    main()
