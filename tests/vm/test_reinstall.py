"""image/reinstall-in-place.

Kexec: a booted Debian kernel (the vm tier's guest) runs the script, which
kexecs into Debian's kernel again with the image tier's stand-in installer
initrd (test_boot.py: busybox and a probe as /init); the probe prints the
kernel command line and whether /zsim.ks, appended by the script, is
there. What this cannot show is the real CentOS installer taking the
command line: the image tier's PXE/ISO tests and the kickstart's own
checks cover the kickstart side.

GRUB one-shot (no VM): against a scratch root that looks like a CloudLab
node, with grubby and shutdown as recording fakes and the real
grub-editenv on a scratch grubenv: the entry's arguments and next_entry.
The refusals (no --yes, no SSH keys, a partition) change nothing."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

from zsimtest import HarnessError, VM_INITRAMFS, initramfs
from zsimtest import vm as vmtest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(SOURCE, "image", "reinstall-in-place")
KS = os.path.join(SOURCE, "image", "zsim.ks")
IMAGE_TESTS = os.path.join(SOURCE, "tests", "image")
# test_boot's stand-in initrd and ks_validate live in the image tier.
sys.path.insert(0, IMAGE_TESTS)
import ks_validate  # noqa: E402
from test_boot import stand_in_initrd  # noqa: E402

REPO = "http://10.0.2.2:8080/zsim/repo"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZzaW1fdGVzdF9rZXlfbm90X3JlYWw zsim-test"
SETTINGS = ["--swap", "/dev/disk/by-id/virtio-swapA,SERIAL=swapB", "--mapper", "SERIAL=thin",
            "--ept", "off", "--force-devices"]
WANT_ZSIM = ["zsim.swap=/dev/disk/by-id/virtio-swapA,SERIAL=swapB", "zsim.mapper=SERIAL=thin",
             "zsim.ept=off", "zsim.force=1", f"zsim.repo={REPO}",
             "zsim.mirror=http://vault.centos.org/7.9.2009",
             "zsim.epel=https://archives.fedoraproject.org/pub/archive/epel/7/x86_64",
             "inst.ks=file:/zsim.ks", "inst.repo=http://vault.centos.org/7.9.2009/os/x86_64/",
             "ip=dhcp"]

GUEST = r"""
d=$(disk diskA)
mkdir -p /root/.ssh
echo "$KEY" >/root/.ssh/authorized_keys
args="--repo $REPO --disk $d --kernel /boot/vmlinuz --initrd /boot/installer-initrd.img --ks /src/image/zsim.ks $SETTINGS"

# shellcheck disable=SC2086
expect_rc 3 /src/image/reinstall-in-place $args
contains "$OUT" "this WIPES /dev/vda (disk/by-id/virtio-diskA), 1 GB"
contains "$OUT" "none of CloudLab's account setup"
contains "$ERR" "refusing without --yes; nothing was changed"
[ ! -e /var/tmp/zsim-reinstall ] || fail "the refusal wrote files"
equals "$(cat /sys/kernel/kexec_loaded)" 0 "kexec_loaded after the refusal"

expect_rc 0 /src/image/reinstall-in-place $args --yes --no-reboot
contains "$OUT" "run: kexec -l /var/tmp/zsim-reinstall/vmlinuz --initrd=/var/tmp/zsim-reinstall/initrd.img"
equals "$(cat /sys/kernel/kexec_loaded)" 1 "kexec_loaded after --no-reboot"
data ks_sha "$(sha256sum /var/tmp/zsim-reinstall/zsim.ks | cut -d' ' -f1)"
grep -qxF "$KEY" /var/tmp/zsim-reinstall/zsim.ks || fail "the key is not in the kickstart"

# now for real: the script kexecs; the stand-in installer reports
echo "ZSIM-VM: kexec"
/src/image/reinstall-in-place $args --yes
echo "reinstall-in-place returned $?: kexec did not happen"
exit 1
"""


class Kexec(unittest.TestCase):
    def test_kexec_into_the_installer(self):
        if not os.path.exists(VM_INITRAMFS):
            self.fail(f"no initramfs at '{VM_INITRAMFS}': run vm.initramfs first")
        work = tempfile.mkdtemp(prefix="zsim-reinstall.")
        try:
            installer = os.path.join(work, "installer-initrd.img")
            stand_in_initrd(installer)
            disk = vmtest.sparse_disk(os.path.join(work, "diskA"), vmtest.GIB)
            files = {"/src/image/reinstall-in-place": SCRIPT,
                     "/src/image/zsim.ks": KS,
                     "/src/initramfs/build-overlay":
                         os.path.join(SOURCE, "initramfs", "build-overlay"),
                     "/boot/vmlinuz": initramfs.kernel_image(),
                     "/boot/installer-initrd.img": installer}
            env = {"KEY": KEY, "REPO": REPO, "SETTINGS": " ".join(SETTINGS)}
            try:
                res = vmtest.boot(VM_INITRAMFS, GUEST, [(disk, "diskA")], timeout=180,
                              env=env, files=files, handover=r"^ZSIM-PROBE: done")
            except HarnessError as e:
                self.fail(str(e))
        finally:
            shutil.rmtree(work)
        print(f"--- boot ({res.seconds:.1f} s)\n{res.console}")
        self.assertIsNone(res.rc, "the guest script ended instead of kexecing")
        self.assertIn("ZSIM-VM: kexec", res.console)
        probe = dict(re.findall(r"^ZSIM-PROBE: (\w[\w-]*)=(.*)$", res.console, re.M))
        self.assertEqual(probe.get("stand-in"), "installer-initrd")
        self.assertEqual(probe.get("ks"), f"present sha256={res.data['ks_sha']}")
        args = probe["cmdline"].split()
        for want in WANT_ZSIM + ["zsim.disk=disk/by-id/virtio-diskA", "console=ttyS0"]:
            self.assertIn(want, args)
        self.assertFalse([a for a in args if a.startswith("BOOTIF=")], args)


def fake(path, log):
    with open(path, "w") as f:
        f.write(f"#!/bin/sh\nprintf '%s\\n' \"$(basename \"$0\")\" \"$@\" "
                f"| python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().splitlines()))' "
                f">>{log}\n")
    os.chmod(path, 0o755)


class GrubOneShot(unittest.TestCase):
    """A CloudLab-like node under a scratch root: / on sda1, a default
    route on eno1, a serial console, root's authorized_keys."""

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="zsim-reinstall-grub.")
        self.root = os.path.join(self.work, "root")
        w = self.write
        w("proc/mounts", "/dev/sda1 / xfs rw 0 0\n/dev/sdb1 /mnt xfs rw 0 0\n")
        w("proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz-3.10.0 root=UUID=1 ro console=ttyS0,115200\n")
        w("proc/net/route", "Iface\tDestination\tGateway\n"
          "eno1\t00000000\t0101A8C0\neno1\t0001A8C0\t00000000\n")
        w("sys/class/net/eno1/address", "52:54:00:12:34:56\n")
        w("sys/block/sda/size", str(480 * 2097152) + "\n")
        w("sys/block/sda/device/model", "INTEL SSDSC2BX48\n")
        w("sys/block/sda/sda1/partition", "1\n")
        w("sys/block/sda/sda2/partition", "2\n")
        w("sys/block/sdb/size", "0\n")
        w("sys/block/sdb/sdb1/partition", "1\n")
        os.makedirs(os.path.join(self.root, "sys/class/block"))
        for part in ("sda1", "sda2", "sdb1"):
            os.symlink(f"../../block/{part[:3]}/{part}",
                       os.path.join(self.root, "sys/class/block", part))
        for dev in ("sda", "sda1", "sda2", "sdb", "sdb1"):
            w(f"dev/{dev}", "")
        os.makedirs(os.path.join(self.root, "dev/disk/by-id"))
        for name, target in (("wwn-0x55cd2e404c", "sda"), ("ata-INTEL_SSDSC2BX48_BTHC", "sda"),
                             ("ata-INTEL_SSDSC2BX48_BTHC-part1", "sda1")):
            os.symlink(f"../../{target}", os.path.join(self.root, "dev/disk/by-id", name))
        w("root/.ssh/authorized_keys", f"# CloudLab's key\n{KEY}\n\n")
        w("boot/grub2/.keep", "")
        self.grubenv = os.path.join(self.root, "boot/grub2/grubenv")
        subprocess.run(["grub-editenv", self.grubenv, "create"], check=True)
        w("installer/vmlinuz", "KERNEL")
        w("installer/initrd.img", "INITRD")        # 6 bytes: padded to 8
        self.bin = os.path.join(self.work, "bin")
        os.makedirs(self.bin)
        self.log = os.path.join(self.work, "calls.log")
        for tool in ("grubby", "shutdown", "kexec", "systemctl"):
            fake(os.path.join(self.bin, tool), self.log)

    def tearDown(self):
        shutil.rmtree(self.work)

    def write(self, rel, text):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def reinstall(self, *args):
        if os.path.exists(self.log):
            os.unlink(self.log)
        res = subprocess.run(
            [SCRIPT, "--root", self.root, "--work", os.path.join(self.work, "work"),
             "--kernel", os.path.join(self.root, "installer/vmlinuz"),
             "--initrd", os.path.join(self.root, "installer/initrd.img"), *args],
            env=dict(os.environ, PATH=f"{self.bin}:{os.environ['PATH']}", LC_ALL="C"),
            capture_output=True, text=True, timeout=60)
        calls = []
        if os.path.exists(self.log):
            with open(self.log) as f:
                calls = [json.loads(line) for line in f]
        return res, calls

    def next_entry(self):
        out = subprocess.run(["grub-editenv", self.grubenv, "list"], check=True,
                             capture_output=True, text=True).stdout
        return dict(l.split("=", 1) for l in out.splitlines()).get("next_entry")

    def test_grub_one_shot(self):
        res, calls = self.reinstall("--repo", REPO, "--grub", "--yes", *SETTINGS)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertIn("this WIPES /dev/sda (disk/by-id/ata-INTEL_SSDSC2BX48_BTHC), 480 GB, "
                      "INTEL SSDSC2BX48:\n  every partition on it (sda1 sda2) and all data, "
                      "including what is mounted from it: / (sda1)\n", res.stdout)
        title = "zsim reinstall (wipes disk/by-id/ata-INTEL_SSDSC2BX48_BTHC)"
        self.assertEqual(self.next_entry(), title)
        grubby = [c for c in calls if c[0] == "grubby"]
        self.assertEqual(len(grubby), 1, calls)
        self.assertEqual(grubby[0][1:4], ["--add-kernel=/boot/zsim-reinstall/vmlinuz",
                                          "--initrd=/boot/zsim-reinstall/initrd.img",
                                          f"--title={title}"])
        self.assertTrue(grubby[0][4].startswith("--args="))
        args = grubby[0][4][len("--args="):].split()
        for want in WANT_ZSIM + ["zsim.disk=disk/by-id/ata-INTEL_SSDSC2BX48_BTHC",
                                 "console=ttyS0,115200", "BOOTIF=01-52-54-00-12-34-56"]:
            self.assertIn(want, args)
        self.assertNotIn("root=UUID=1", args)
        self.assertEqual(calls[-1], ["shutdown", "-r", "now", "zsim: rebooting into the installer"])
        boot = os.path.join(self.root, "boot/zsim-reinstall")
        with open(os.path.join(boot, "initrd.img"), "rb") as f:
            initrd = f.read()
        self.assertEqual(initrd[:8], b"INITRD\0\0")
        self.assertIn(b"zsim.ks", initrd[8:])
        with open(os.path.join(boot, "vmlinuz")) as f:
            self.assertEqual(f.read(), "KERNEL")
        # the kickstart: zsim's, plus root's keys, still valid
        ks = os.path.join(self.work, "work", "zsim.ks")
        with open(ks) as f, open(KS) as orig:
            text, base = f.read(), orig.read()
        self.assertTrue(text.startswith(base))
        self.assertIn(f"<<'ZSIM_KEYS'\n{KEY}\nZSIM_KEYS\n", text)
        self.assertNotIn("CloudLab's key", text)
        self.assertEqual(ks_validate.validate(ks)[0], [])
        post = text[len(base):].split("%post --log=/root/zsim-ks-keys.log\n", 1)[1]
        post = post.split("%end\n")[0]
        sc = subprocess.run(["shellcheck", "-s", "sh", "-"], input=post, text=True,
                            capture_output=True)
        self.assertEqual(sc.returncode, 0, sc.stdout)

    def test_dry_run_and_refusals_change_nothing(self):
        def unchanged():
            self.assertFalse(os.path.exists(os.path.join(self.work, "work")))
            self.assertFalse(os.path.exists(os.path.join(self.root, "boot/zsim-reinstall")))
            self.assertIsNone(self.next_entry())

        res, calls = self.reinstall("--repo", REPO, "--grub", "--dry-run")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("reinstall-in-place: would run: grubby --add-kernel=", res.stdout)
        self.assertIn("reinstall-in-place: would run: shutdown -r now", res.stdout)
        self.assertIn(f"  | {KEY}\n", res.stdout)
        self.assertEqual(calls, [])
        unchanged()

        res, calls = self.reinstall("--repo", REPO, "--grub")
        self.assertEqual(res.returncode, 3)
        self.assertIn("refusing without --yes; nothing was changed", res.stderr)
        self.assertIn("this WIPES /dev/sda", res.stdout)
        self.assertEqual(calls, [])
        unchanged()

        os.unlink(os.path.join(self.root, "root/.ssh/authorized_keys"))
        res, calls = self.reinstall("--repo", REPO, "--grub", "--yes")
        self.assertEqual(res.returncode, 3)
        self.assertIn("refusing: no SSH keys for root, so nobody could log in to the new "
                      "system; give --ssh-key FILE", res.stderr)
        unchanged()

        for args, msg in ((["--disk", "/dev/sda1"], "--disk /dev/sda1: not a whole disk"),
                          ([], "--repo URL is required"),
                          (["--ept", "auto"], "--ept auto: use on or off"),
                          (["--swap", "a b"], "'a b': unexpected characters")):
            full = (["--repo", REPO] if args and args[0] != "--repo" and msg[:6] != "--repo"
                    else []) + args + ["--yes", "--grub"]
            res, calls = self.reinstall(*full)
            self.assertEqual(res.returncode, 2, (args, res.stderr))
            self.assertIn(f"reinstall-in-place: {msg}", res.stderr)
            self.assertEqual(calls, [])
            unchanged()


if __name__ == "__main__":
    vmtest.main()
