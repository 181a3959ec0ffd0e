"""Static checks: shellcheck on every shell script of the image work and on
the kickstart's %pre and %post; the kickstart's commands and sections pass
our validator (ks_validate.py), and so does the include its %pre writes,
run here with a node's boot settings; bad settings stop the install."""
import os
import re
import subprocess
import sys
import tempfile

from zsimtest import SOURCE_DIR, TestCase, main, command as run

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ks_validate  # noqa: E402

KS = os.path.join(SOURCE_DIR, "image", "zsim.ks")
SCRIPTS = ["kernel/build-rpm", "kernel/mkspec-0sim", "image/build",
           "image/make-tarball", "initramfs/build-overlay", "units/zsim-boot",
           "ci/deps", "cloudlab/install-node",
           "image/reinstall-in-place", "orchestrator/slurm/slurm-healthcheck",
           "orchestrator/slurm/slurm-epilog"]


class Static(TestCase):
    def test_shellcheck_scripts(self):
        res = run("shellcheck", "-s", "sh", "-S", "warning",
                  *[os.path.join(SOURCE_DIR, s) for s in SCRIPTS])
        self.assertRun(res, 0)
        res = run("shellcheck", "-s", "sh",
                  *[os.path.join(SOURCE_DIR, s) for s in SCRIPTS if s != "ci/deps"])
        self.assertRun(res, 0)

    def test_shellcheck_kickstart_scripts(self):
        for section in ("%pre", "%post"):
            body = ks_validate.extract(section, KS)
            self.assertIn("set -eu", body)
            res = subprocess.run(["shellcheck", "-s", "sh", "-"], input=body,
                                 text=True, capture_output=True)
            self.assertEqual(res.returncode, 0, f"{section}:\n{res.stdout}")

    def test_kickstart_validates(self):
        problems, seen, packages = ks_validate.validate(KS)
        self.assertEqual(problems, [])
        for cmd in ("%pre", "%post", "%packages", "bootloader", "rootpw",
                    "%include", "services", "firewall"):
            self.assertIn(cmd, seen)
        for pkg in ("kernel-0sim", "zsim-orch", "libvirt", "qemu-kvm-ev",
                    "qemu-img-ev", "device-mapper", "kmod", "iniparser"):
            self.assertIn(pkg, packages)
        with open(KS) as f:
            text = f.read()
        self.assertRegex(text, r"(?m)^services --disabled=firewalld,ksm,ksmtuned ")
        self.assertIn("systemctl enable libvirtd zsim-firstboot zsim-storage "
                      "zsim-host zsim-orch", text)
        self.assertIn("grubby --set-default", text)

    def test_validator_catches_mistakes(self):
        with tempfile.NamedTemporaryFile("w", suffix=".ks") as f:
            f.write("text\nbootloader --locaton=mbr\nautopartx\n%packages\n@core\n")
            f.flush()
            problems = ks_validate.validate(f.name)[0]
        self.assertEqual(len(problems), 3, problems)
        self.assertIn("unknown option --locaton", problems[0])
        self.assertIn("unknown or unsupported command 'autopartx'", problems[1])
        self.assertIn("%packages has no %end", problems[2])

    def pre(self, cmdline):
        d = tempfile.mkdtemp(prefix="zsim-ks-pre.")
        with open(os.path.join(d, "cmdline"), "w") as f:
            f.write(cmdline + "\n")
        body = ks_validate.extract("%pre", KS)
        res = subprocess.run(["sh", "-c", body], text=True, capture_output=True,
                             env=dict(os.environ, ZSIM_CMDLINE=os.path.join(d, "cmdline"),
                                      ZSIM_KS_OUT=d))
        return res, os.path.join(d, "zsim-source.ks")

    def test_pre_writes_a_valid_include(self):
        res, inc = self.pre("inst.ks=file:/zsim.ks zsim.disk=sda "
                            "zsim.repo=http://h/zsim/repo zsim.mirror=http://m/c7")
        self.assertEqual(res.returncode, 0, res.stderr)
        problems, seen, _ = ks_validate.validate(inc)
        self.assertEqual(problems, [])
        with open(inc) as f:
            text = f.read()
        self.assertIn("url --url=http://m/c7/os/x86_64/\n", text)
        self.assertIn("repo --name=zsim --baseurl=http://h/zsim/repo\n", text)
        self.assertIn("repo --name=centos-qemu-ev --baseurl=http://m/c7/virt/x86_64/kvm-common/\n", text)
        self.assertIn("clearpart --all --initlabel --drives=sda\n", text)

    def test_pre_refuses_without_disk_or_repo(self):
        res, inc = self.pre("zsim.repo=http://h/r")
        self.assertEqual(res.returncode, 1)
        self.assertIn("no install disk: boot with zsim.disk=NAME", res.stderr)
        self.assertFalse(os.path.exists(inc))
        res, inc = self.pre("zsim.disk=sda")
        self.assertEqual(res.returncode, 1)
        self.assertIn("no zsim repo", res.stderr)


if __name__ == "__main__":
    main()
