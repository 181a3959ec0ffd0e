"""target kernel install on the Debian test image: the base e2e.prepare made
(fixture e2e_debian_base) and the kernel image.kernel_build built from
linux-source (fixture image_kernel_pkg). The base boots by direct kernel
boot (no boot loader), so install takes the kernel and its initrd out of the
guest and records them; the new base then boots that kernel in a run, checked
with `uname -r` through the guest agent by virsh while the run is held, and
the run records it in .params. Bad input (a package of the other
distribution, a file that is no package) changes neither the base
(checksum) nor the config."""
import hashlib
import json
import os
import re
import shutil
import time

from zsimtest import BUILD_DIR
from zsimtest import e2e as e2etest

CLOUD = os.environ.get("ZSIM_E2E_CLOUD", "")
PREPARED = os.path.join(os.environ.get("ZSIM_E2E_PREPARED", ""), "base.json")
PACKAGE = os.path.join(BUILD_DIR, "tests", "image", "kernel-build", "package.json")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def config_value(conf, key):
    with open(conf) as f:
        m = re.search(rf"^{key}\s*=\s*(\S+)", f.read(), re.M)
    return m.group(1) if m else None


class KernelInstall(e2etest.E2ETestCase):
    name = "e2e-k"

    def setUp(self):
        for path, maker in ((PREPARED, "e2e.prepare"), (PACKAGE, "image.kernel_build")):
            if not os.path.exists(path):
                raise e2etest.Missing(f"no {path}: the {maker} test makes it")
        super().setUp()
        with open(PREPARED) as f:
            prepared = json.load(f)
        with open(PACKAGE) as f:
            self.pkg = json.load(f)
        # a copy of the prepared base of our own: install must leave it alone
        self.base = os.path.join(self.tmp, "base-debian12.qcow2")
        shutil.copyfile(prepared["base"], self.base)
        os.chmod(self.base, 0o644)
        self.base_sum = prepared["sha256"]
        self.write_config(kernel=os.path.join(CLOUD, "vmlinuz"),
                          initrd=os.path.join(CLOUD, "initrd.img"),
                          cmdline="root=LABEL=cloudimg-rootfs console=ttyS0",
                          memory="1G", agent_timeout="600", base_image=self.base,
                          base_sha256=self.base_sum, base_profile="debian12")

    def test_bad_packages_change_nothing(self):
        with open(self.conf) as f:
            conf_before = f.read()
        fake_rpm = os.path.join(self.tmp, "kernel-6.1.0.x86_64.rpm")
        with open(fake_rpm, "wb") as f:
            # an RPM lead: the magic, format 3.0, a binary package
            f.write(bytes([0xed, 0xab, 0xee, 0xdb, 3, 0, 0, 0]) + b"\0" * 88)
        res = self.zo("target", "kernel", "install", fake_rpm)
        self.assertRun(res, 2)
        self.assertIn(f"{fake_rpm} is an RPM package, and the base {self.base} (debian12) "
                      "installs deb packages", res.err)
        notpkg = os.path.join(self.tmp, "notes.deb")
        with open(notpkg, "w") as f:
            f.write("not a package\n")
        res = self.zo("target", "kernel", "install", notpkg)
        self.assertRun(res, 2)
        self.assertIn(f"{notpkg} is neither a deb nor an RPM package", res.err)
        res = self.zo("target", "kernel", "install", os.path.join(self.tmp, "missing.deb"))
        self.assertRun(res, 2)
        self.assertEqual(sha256(self.base), self.base_sum)
        with open(self.conf) as f:
            self.assertEqual(f.read(), conf_before)
        images = os.path.join(self.state, "images")
        self.assertFalse(os.path.exists(images) and os.listdir(images), "files were left")

    def test_install_then_boot_it(self):
        deb, release = self.pkg["package"], self.pkg["release"]
        t0 = time.monotonic()
        res = self.zo("target", "kernel", "install", deb, timeout=1500)
        self.assertRun(res, 0)
        print(f"MEASURE target kernel install (copy, install boot, verify boot): "
              f"{time.monotonic() - t0:.0f} s")
        self.assertIn(f"release: {release}\n", res.out)
        images = os.path.join(self.state, "images")
        new_base = os.path.join(images, f"base-debian12-{release}.qcow2")
        self.assertEqual(config_value(self.conf, "base_image"), new_base)
        self.assertEqual(config_value(self.conf, "base_sha256"), sha256(new_base))
        self.assertEqual(config_value(self.conf, "base_kernel_release"), release)
        self.assertEqual(config_value(self.conf, "kernel"),
                         os.path.join(images, f"vmlinuz-{release}"))
        self.assertEqual(config_value(self.conf, "initrd"),
                         os.path.join(images, f"initrd.img-{release}"))
        self.assertEqual(sha256(self.base), self.base_sum, "the old base was modified")
        self.assertEqual(sorted(n for n in os.listdir(images) if n.startswith(".")), [])

        # one boot of the new base: the run's, held while virsh asks the
        # target which kernel it runs; .params must name the same
        self.assertRun(self.zo("target", "create", "--destroy-existing"), 0)
        self.assertIn(f"vmlinuz-{release}</kernel>", self.virsh("dumpxml", self.name))
        rc, out, err, uname = self.run_held(
            ["exp00000", "1", "--zeros"], "exp00000: collect",
            lambda: self.agent_exec("uname", "-r").strip(), timeout=900)
        self.assertEqual(rc, 0, err[-3000:])
        self.assertEqual(uname, release)
        m = re.search(r"^RESULTS: (.*)\.\*$", out, re.M)
        with open(m.group(1) + ".params") as f:
            self.assertEqual(json.load(f)["guest_kernel"], release)


if __name__ == "__main__":
    e2etest.main()
