"""The target through a real (private) libvirtd and QEMU under TCG, checked
with virsh: create, start, agent, exec, fetch, stop, the disk mode's
overlay and --destroy-existing, and the errors that must define nothing."""
import glob
import json
import os
import re
import xml.etree.ElementTree as ET

from zsimtest import e2e as e2etest


class DirectBoot(e2etest.E2ETestCase):
    def test_lifecycle(self):
        self.assertRun(self.zo("target", "create"), 0)
        self.assertIn("Persistent:     yes", self.virsh("dominfo", self.name))
        res = self.zo("target", "start", "--memory", "1", "--vcpus", "1")
        self.assertRun(res, 0)
        self.assertRegex(res.out, r"running, agent answered after \d+\.\d s")
        info = self.virsh("dominfo", self.name)
        self.assertIn("State:          running", info)
        self.assertIn("Max memory:     1048576 KiB", info)
        self.assertRegex(self.virsh("vcpupin", self.name), r"\n\s*0\s+0\s*\n")
        xml = self.virsh("dumpxml", self.name)
        self.assertIn("name='org.qemu.guest_agent.0'", xml)
        self.assertIn("<domain type='qemu'", xml)

        res = self.zo("target", "exec", "--", "uname", "-r")
        self.assertRun(res, 0)
        self.assertEqual(res.out.strip(), os.uname().release
                         if os.path.exists(f"/lib/modules/{os.uname().release}")
                         else res.out.strip())
        kernel_release = [n[len("vmlinuz-"):] for n in os.listdir("/boot")
                          if n.startswith("vmlinuz-")]
        self.assertIn(res.out.strip(), kernel_release)

        res = self.zo("target", "exec", "--", "sh", "-c", "echo out; echo err >&2; exit 7")
        self.assertRun(res, 7)
        self.assertEqual(res.out, "out\n")
        self.assertEqual(res.err, "err\n")

        dest = os.path.join(self.tmp, "hostname")
        self.assertRun(self.zo("target", "fetch", "/etc/hostname", dest), 0)
        with open(dest) as f:
            self.assertEqual(f.read(), "zsim-target\n")

        res = self.zo("--json", "target", "status")
        self.assertRun(res, 0)
        st = json.loads(res.out)
        self.assertEqual((st["state"], st["memory_bytes"], st["vcpus"], st["agent"]),
                         ("running", 1 << 30, 1, True))
        self.assertGreaterEqual(st["uptime_s"], 0)
        self.assertIn("zsim-target: ready", self.zo("target", "log").out)

        res = self.zo("target", "stop", "--timeout", "60")
        self.assertRun(res, 0)
        self.assertIn("shut down", res.out)
        self.assertIn("State:          shut off", self.virsh("dominfo", self.name))

    def test_missing_kernel_defines_nothing(self):
        self.write_config(kernel="/nonexistent/vmlinuz")
        res = self.zo("target", "start")
        self.assertRun(res, 1)
        self.assertIn("[target] kernel /nonexistent/vmlinuz: No such file or directory; "
                      "nothing was defined", res.err)
        self.assertEqual(self.virsh("list", "--all", "--name").strip(), "")

    def test_bad_input(self):
        for args, rc, msg in ((["target", "start", "--memory", "0"], 2, "--memory 0"),
                              (["target", "start", "--vcpus", "x"], 2, "--vcpus x"),
                              (["target", "exec"], 2, "needs a command"),
                              (["target", "fetch", "/etc/hostname"], 2, "usage: target fetch"),
                              (["target", "bogus"], 2, "unknown subcommand")):
            res = self.zo(*args)
            self.assertRun(res, rc)
            self.assertIn(msg, res.err)
        res = self.zo("target", "exec", "--", "true")
        self.assertRun(res, 1)
        self.assertIn("no such target", res.err)
        self.assertEqual(self.virsh("list", "--all", "--name").strip(), "")


class FreshDaemon(e2etest.E2ETestCase):
    """Preflight against a libvirtd that has not probed QEMU yet: it asks
    about the one emulator the target uses, not every one on the host
    (virConnectGetVersion's way, seconds on a daemon's first call). What
    the daemon probed is in its capability cache."""
    name = "e2e-fresh"

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(os.path.join(e2etest.TARGET, "initrd.cpio")):
            raise e2etest.Missing(f"no tiny target in '{e2etest.TARGET}'")
        cls.daemon = e2etest.Libvirtd(warm=False)
        cls.daemon.start()

    def cached(self):
        caps = glob.glob(os.path.join(self.daemon.base, "cache", "libvirt", "qemu", "cache",
                                      "capabilities", "*.xml"))
        out = []
        for path in caps:
            out.append(ET.parse(path).getroot().findtext("emulator"))
        return sorted(out)

    def test_preflight_probes_one_emulator(self):
        self.assertEqual(self.cached(), [])
        res = self.zo("preflight", "1")
        self.assertRegex(res.out, r"QEMU +ok +QEMU \d+\.\d+", res.out + res.err)
        emulators = self.cached()
        self.assertEqual(len(emulators), 1, emulators)
        self.assertTrue(emulators[0].endswith("-x86_64") or emulators[0].endswith("qemu-kvm"),
                        emulators)
        # the version preflight gave is the one libvirt reports for it
        version = re.search(r"Running hypervisor: QEMU (\d+\.\d+)",
                            self.virsh("version")).group(1)
        self.assertRegex(res.out, rf"QEMU {re.escape(version)}\b")
        self.assertRun(self.zo("target", "start"), 0)


class DiskMode(e2etest.E2ETestCase):
    disk_mode = True

    def test_overlay_and_destroy_existing(self):
        self.assertRun(self.zo("target", "create"), 0)
        pool = self.virsh("pool-list", "--all")
        self.assertIn("zsim", pool)
        vols = self.virsh("vol-list", "zsim")
        self.assertIn("e2e-target.qcow2", vols)
        overlay = os.path.join(self.state, "images", "e2e-target.qcow2")
        self.assertIn(overlay, self.virsh("dumpxml", self.name))
        self.assertRun(self.zo("target", "start"), 0)
        res = self.zo("target", "exec", "--", "cat", "/.zsim-disk-root")
        self.assertRun(res, 0)
        self.assertEqual(res.out, "the target's disk root\n")
        self.assertRun(self.zo("target", "stop"), 0)

        # corrupt the overlay: a start must now fail, --destroy-existing
        # must recover from the pristine base
        with open(overlay, "r+b") as f:
            f.write(b"\0" * 65536)
        base = os.path.join(e2etest.TARGET, "base.qcow2")
        before = os.stat(base).st_mtime_ns
        res = self.zo("target", "start")
        self.assertRun(res, 1)
        res = self.zo("target", "create", "--destroy-existing")
        self.assertRun(res, 0)
        self.assertRun(self.zo("target", "start"), 0)
        res = self.zo("target", "exec", "--", "cat", "/.zsim-disk-root")
        self.assertRun(res, 0)
        self.assertEqual(os.stat(base).st_mtime_ns, before, "the base image was modified")
        self.assertRun(self.zo("target", "stop"), 0)

    def test_dry_run_prints_what_libvirt_then_holds(self):
        res = self.zo("--dry-run", "target", "create")
        self.assertRun(res, 0)
        docs = {m.group(1): m.group(0) for m in
                re.finditer(r"<(pool|volume|domain)\b.*?</\1>\n", res.out, re.S)}
        self.assertEqual("".join(docs[k] for k in ("pool", "volume", "domain")), res.out,
                         "the plan is the pool, the overlay volume and the domain")
        self.assertEqual(self.virsh("list", "--all", "--name").strip(), "")
        self.assertFalse(os.path.exists(os.path.join(self.state, "images")))

        self.assertRun(self.zo("target", "create"), 0)
        for kind, held in (("pool", self.virsh("pool-dumpxml", "zsim")),
                           ("volume", self.virsh("vol-dumpxml", "--pool", "zsim",
                                                 self.name + ".qcow2")),
                           ("domain", self.virsh("dumpxml", "--inactive", self.name))):
            self.assertHolds(ET.fromstring(docs[kind]), ET.fromstring(held), kind)

    def assertHolds(self, planned, held, where):
        """Every element, attribute and text of `planned` is in `held`
        (libvirt adds its own: UUIDs, addresses, defaults)."""
        where = f"{where}/{planned.tag}"
        self.assertEqual(planned.tag, held.tag, where)
        for k, v in planned.attrib.items():
            self.assertEqual(held.get(k), v, f"{where}@{k}")
        if (planned.text or "").strip():
            self.assertEqual((held.text or "").strip(), planned.text.strip(), where)
        left = list(held)
        for child in planned:
            for i, candidate in enumerate(left):
                try:
                    self.assertHolds(child, candidate, where)
                except AssertionError:
                    continue
                del left[i]
                break
            else:
                self.fail(f"{where}: libvirt holds no {ET.tostring(child, encoding='unicode')}")

    def test_missing_base_defines_nothing(self):
        self.write_config(base_image=os.path.join(self.tmp, "missing.qcow2"))
        res = self.zo("target", "start")
        self.assertRun(res, 1)
        self.assertIn("missing.qcow2: No such file or directory; nothing was defined", res.err)
        self.assertEqual(self.virsh("list", "--all", "--name").strip(), "")


if __name__ == "__main__":
    e2etest.main()
