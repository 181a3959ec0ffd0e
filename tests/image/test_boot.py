"""The boot chain under QEMU (TCG). image/build runs with Debian's kernel
and a stand-in for the installer's initrd (busybox and a probe, gzipped as
the real one is); then QEMU boots the result two ways:

  pxe  QEMU's iPXE fetches pxelinux.0 over its built-in TFTP
       (-netdev user,tftp=DIR/tftp,bootfile=pxelinux.0), pxelinux loads our
       menu, whose default entry starts the kernel with our initrd
  iso  the ISO as a CD-ROM: isolinux, the same menu, the same kernel

and the probe, running as /init from the stand-in initrd, reports that
/zsim.ks (from the appended overlay) is there and identical to
image/zsim.ks, that the stand-in's own files were unpacked too, and the
kernel command line, which must carry inst.ks= and the zsim.* settings.

    python3 test_boot.py Boot.test_pxe     one of them
"""
import hashlib
import os
import re
import shutil
import tempfile

from zsimtest import SOURCE_DIR, TestCase, initramfs, main, need, command as run
from zsimtest.qemu import boot

BUILD = os.path.join(SOURCE_DIR, "image", "build")
KS = os.path.join(SOURCE_DIR, "image", "zsim.ks")
REPO_URL = "http://10.0.2.2:8080/zsim/repo"
SETTINGS = "zsim.disk=vda zsim.swap=/dev/vdb,/dev/vdc zsim.mapper=/dev/vdd zsim.ept=off console=ttyS0"
QEMU_TIMEOUT = 100

PROBE = r"""#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
echo "ZSIM-PROBE: cmdline=$(cat /proc/cmdline)"
if [ -f /zsim.ks ]; then
	echo "ZSIM-PROBE: ks=present sha256=$(sha256sum /zsim.ks | cut -d' ' -f1)"
else
	echo "ZSIM-PROBE: ks=missing"
fi
echo "ZSIM-PROBE: stand-in=$(cat /stand-in)"
echo "ZSIM-PROBE: done"
poweroff -f
"""


def kernel():
    return initramfs.kernel_image()


def stand_in_initrd(path):
    """A gzipped newc cpio like an installer's initrd: busybox, the probe
    as /init, and a marker file."""
    busybox = need("busybox", "busybox-static")
    root = tempfile.mkdtemp(prefix="zsim-stand-in.")
    try:
        os.makedirs(os.path.join(root, "bin"))
        os.makedirs(os.path.join(root, "proc"))
        os.makedirs(os.path.join(root, "dev"))
        shutil.copy(busybox, os.path.join(root, "bin/busybox"))
        for applet in ("sh", "mount", "cat", "sha256sum", "cut", "poweroff"):
            os.symlink("busybox", os.path.join(root, "bin", applet))
        with open(os.path.join(root, "init"), "w") as f:
            f.write(PROBE)
        os.chmod(os.path.join(root, "init"), 0o755)
        with open(os.path.join(root, "stand-in"), "w") as f:
            f.write("installer-initrd\n")
        initramfs.write_cpio(root, path, gzip=True)
    finally:
        shutil.rmtree(root)


def qemu(*args):
    """Boot once; return the serial console text. Fails loudly on timeout."""
    res = boot(*args, timeout=QEMU_TIMEOUT)
    print(f"boot: qemu {' '.join(args[-4:])}: {res.seconds:.1f} s")
    return res.console


class Boot(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="zsim-boot.")
        initrd = os.path.join(cls.work, "installer-initrd.img")
        stand_in_initrd(initrd)
        # The repo needs RPMs: the zsim-orch RPM the spec builds here.
        rpms = os.path.join(cls.work, "rpms")
        top = os.path.join(cls.work, "rpmbuild")
        res = run(os.path.join(SOURCE_DIR, "image", "make-tarball"),
                  os.path.join(top, "SOURCES"))
        assert res.rc == 0, res.err
        res = run("rpmbuild", "--define", f"_topdir {top}", "--define",
                  f"_rpmdir {rpms}", "--define", "_build_name_fmt %%{NAME}.rpm",
                  "--nodeps", "-bb", os.path.join(SOURCE_DIR, "image", "zsim-orch.spec"))
        assert res.rc == 0, res.err[-3000:]
        cls.out = os.path.join(cls.work, "out")
        cls.iso = os.path.join(cls.work, "zsim.iso")
        res = run(BUILD, "--kernel", kernel(), "--initrd", initrd,
                  "--rpms", rpms, "--out", cls.out, "--repo-url", REPO_URL,
                  "--append", SETTINGS, "--iso", cls.iso, "--timeout", "10")
        assert res.rc == 0, res.out + res.err
        cls.build_out = res.out
        with open(KS, "rb") as f:
            cls.ks_sha = hashlib.sha256(f.read()).hexdigest()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work)

    def probe(self, console):
        self.assertIn("ZSIM-PROBE: done", console, console[-4000:])
        found = dict(re.findall(r"^ZSIM-PROBE: (\w[\w-]*)=(.*)$", console, re.M))
        self.assertEqual(found.get("ks"), f"present sha256={self.ks_sha}", console[-4000:])
        self.assertEqual(found.get("stand-in"), "installer-initrd")
        args = found["cmdline"].split()
        for want in ("inst.ks=file:/zsim.ks", "zsim.disk=vda",
                     "zsim.swap=/dev/vdb,/dev/vdc", "zsim.mapper=/dev/vdd",
                     "zsim.ept=off",
                     "inst.repo=http://vault.centos.org/7.9.2009/os/x86_64/"):
            self.assertIn(want, args)
        return args

    def test_pxe(self):
        console = qemu("-netdev", f"user,id=n0,tftp={self.out}/tftp,bootfile=pxelinux.0",
                       "-device", "e1000,netdev=n0", "-boot", "n")
        self.assertIn("PXELINUX", console)        # booted through pxelinux
        self.assertIn("zsim: install a 0sim node (PXE)", console)   # our menu
        args = self.probe(console)
        self.assertIn(f"zsim.repo={REPO_URL}", args)

    def test_iso(self):
        console = qemu("-drive", f"file={self.iso},media=cdrom,readonly=on",
                       "-boot", "d")
        self.assertIn("ISOLINUX", console)
        self.assertIn("zsim: install a 0sim node (ISO)", console)
        args = self.probe(console)
        self.assertFalse(any(a.startswith("zsim.repo=") for a in args), args)

    def test_tree_layout(self):
        tftp = os.path.join(self.out, "tftp")
        for name in ("pxelinux.0", "ldlinux.c32", "menu.c32", "pxelinux.cfg/default",
                     "grubx64.efi", "grub/grub.cfg", "zsim/vmlinuz",
                     "zsim/initrd.img", "zsim.ks"):
            self.assertTrue(os.path.isfile(os.path.join(tftp, name)), name)
        with open(os.path.join(tftp, "grub/grub.cfg")) as f:
            grub = f.read()
        self.assertIn("linux /zsim/vmlinuz inst.ks=file:/zsim.ks", grub)
        self.assertIn(f"zsim.repo={REPO_URL}", grub)
        res = run("file", os.path.join(tftp, "grubx64.efi"))
        self.assertIn("EFI application", res.out)
        repodata = os.path.join(self.out, "repo", "repodata", "repomd.xml")
        self.assertTrue(os.path.isfile(repodata))
        res = run("sh", "-c", f"zcat {self.out}/repo/repodata/*-primary.xml.gz")
        self.assertIn("<name>zsim-orch</name>", res.out)
        listing = run("xorriso", "-indev", self.iso, "-find", "/", "-type", "f")
        for name in ("/isolinux/isolinux.bin", "/zsim/initrd.img", "/zsim.ks",
                     "/repo/repodata/repomd.xml", "/repo/zsim-orch.rpm"):
            self.assertIn(f"'{name}'", listing.out)

    def test_build_refuses_bad_input(self):
        res = run(BUILD, "--kernel", kernel())
        self.assertRun(res, 2)
        self.assertIn("--initrd is required", res.err)
        res = run(BUILD, "--kernel", kernel(), "--initrd", kernel(), "--rpms",
                  self.work, "--out", self.out, "--repo-url", REPO_URL)
        self.assertRun(res, 1)
        self.assertIn("is not empty", res.err)


if __name__ == "__main__":
    main()
