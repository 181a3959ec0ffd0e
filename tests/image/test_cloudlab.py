"""The CloudLab path: cloudlab/profile.py under a recording stand-in for
geni-lib (geni_standin/, see its README for what it cannot prove), and
cloudlab/install-node on a fake CentOS node (fake_node.py: rpm, yum,
grubby, dracut, systemctl, shutdown, exportfs and mount are fakes that
log their argv and keep a little state; unit-style, so what is proven is
which commands run and which files are written, and that a second run
changes nothing, not that CentOS's tools accept them).

Every profile parameter is followed to the end: the profile's execute
command, run as install-node against the fake node, writes
/etc/zsim/firstboot.conf, and units/zsim-boot reads it into the
zsim-orch commands the first boot runs."""
import json
import os
import shlex
import shutil
import sys
import tempfile

from zsimtest import SOURCE_DIR, TestCase, main
from zsimtest import command as run

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = os.path.join(SOURCE_DIR, "cloudlab", "profile.py")
INSTALL = os.path.join(SOURCE_DIR, "cloudlab", "install-node")
BOOT = os.path.join(SOURCE_DIR, "units", "zsim-boot")
STANDIN = os.path.join(HERE, "geni_standin")
FAKE = os.path.join(HERE, "fake_node.py")
ORCH = os.environ["ZSIM_ORCH"]
sys.path.insert(0, HERE)
from fake_node import MUTATING, ZSIM_RELEASE  # noqa: E402

CENTOS7 = "urn:publicid:IDN+emulab.net+image+emulab-ops//CENTOS7-64-STD"
STOCK = "3.10.0-1160.el7.x86_64"
ZSIM_KERNEL = f"/boot/vmlinuz-{ZSIM_RELEASE}"
REPO = "http://repo.example/zsim/repo"
COMPUTE_UNITS = ["libvirtd", "zsim-firstboot", "zsim-storage", "zsim-host", "zsim-orch"]


def profile(*args):
    """Run the profile as geni-lib runs it outside the portal (parameters
    as --NAME VALUE); returns (result, record or None)."""
    with tempfile.TemporaryDirectory() as d:
        rec = os.path.join(d, "record.json")
        res = run(sys.executable, PROFILE, *args,
                  env={"PYTHONPATH": STANDIN, "GENI_STANDIN_RECORD": rec})
        record = None
        if os.path.exists(rec):
            with open(rec) as f:
                record = json.load(f)
    return res, record


def command_of(node):
    (svc,) = node["services"]
    assert svc["kind"] == "execute" and svc["shell"] == "sh", svc
    return svc["command"]


def mutating(call):
    name, args = call[0], call[1:]
    if name in MUTATING:
        return True
    if name == "rpm":
        return args[:1] not in (["-q"], ["-qa"])
    if name == "grubby":
        return any(a.startswith(("--set-default", "--add-kernel")) for a in args)
    if name == "systemctl":
        return args[:1] != ["is-enabled"]
    return True


class FakeNode:
    """A CentOS 7 node as CloudLab's standard image leaves it, with the
    Mellanox OFED packages, under a temporary directory."""

    def __init__(self, work):
        self.root = os.path.join(work, "root")
        self.state = os.path.join(work, "state")
        self.bin = os.path.join(work, "bin")
        self.log = os.path.join(work, "calls.log")
        self.write("proc/sys/kernel/osrelease", STOCK + "\n")
        self.write(f"boot/vmlinuz-{STOCK}", "kernel")
        self.write(f"boot/initramfs-{STOCK}.img", "initramfs")
        self.write("etc/fstab", "UUID=1234 / xfs defaults 0 0\n")
        self.write("proc/mounts", "/dev/sda1 / xfs rw 0 0\n")
        for name, release in (("bash", "46.el7"), ("mlnx-ofa_kernel", "OFED.4.9.0.1.7.1"),
                              ("libibverbs", "41mlnx1.OFED.4.9.0.0.7.49017"),
                              ("kmod-mlnx-ofa_kernel", "OFED.4.9.0.1.7.1")):
            self.put_state(f"installed/{name}", release)
        for unit in ("sshd", "firewalld", "ksm"):
            self.put_state(f"enabled/{unit}")
        self.put_state("grub-default", f"/boot/vmlinuz-{STOCK}")
        os.makedirs(self.bin)
        for tool in ("rpm", "yum", "grubby", "dracut", "systemctl", "shutdown",
                     "exportfs", "mount"):
            os.symlink(FAKE, os.path.join(self.bin, tool))
        os.symlink(ORCH, os.path.join(self.bin, "zsim-orch"))

    def write(self, rel, text):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def read(self, rel):
        with open(os.path.join(self.root, rel)) as f:
            return f.read()

    def exists(self, rel):
        return os.path.exists(os.path.join(self.root, rel))

    def put_state(self, rel, text=""):
        path = os.path.join(self.state, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def has_state(self, rel):
        return os.path.exists(os.path.join(self.state, rel))

    def install_node(self, *args, argv0=INSTALL):
        """Run install-node; returns (result, the calls it made)."""
        if os.path.exists(self.log):
            os.unlink(self.log)
        res = run(argv0, "--root", self.root, *args, env={
            "PATH": f"{self.bin}:{os.environ['PATH']}", "FAKE_ROOT": self.root,
            "FAKE_STATE": self.state, "FAKE_LOG": self.log})
        calls = []
        if os.path.exists(self.log):
            with open(self.log) as f:
                calls = [json.loads(line) for line in f]
        return res, calls

    def reboot(self, release=ZSIM_RELEASE, firstboot_ran=True):
        """What the reboot does: the default kernel runs, and first boot's
        unit records itself."""
        self.write("proc/sys/kernel/osrelease", release + "\n")
        if firstboot_ran:
            self.write("var/lib/zsim/firstboot.done", "ran=zsim-orch setup\n")

    def snapshot(self):
        files = {}
        for top in (self.root, self.state):
            for d, _, names in os.walk(top):
                for n in names:
                    with open(os.path.join(d, n), "rb") as f:
                        files[os.path.join(d, n)] = f.read()
        return files


class Profile(TestCase):
    def test_defaults_one_node(self):
        res, rec = profile()
        self.assertRun(res, 0)
        types = {p["name"]: (p["type"], p["defaultValue"]) for p in rec["parameters"]}
        self.assertEqual(types["nodeCount"], ("integer", 1))
        self.assertEqual(types["hardwareType"], ("nodetype", "c220g2"))
        self.assertEqual(types["diskImage"], ("image", CENTOS7))
        for name in ("swapDevices", "mapperDevice", "homeDevice"):
            self.assertEqual(types[name], ("string", ""))
        self.assertEqual(types["ept"], ("string", "off"))
        self.assertEqual(types["slurm"], ("boolean", False))
        (node,) = rec["nodes"]
        self.assertEqual((node["name"], node["type"], node["hardware_type"], node["disk_image"]),
                         ("node0", "raw-pc", "c220g2", CENTOS7))
        self.assertEqual(node["interfaces"], [])
        self.assertEqual(rec["links"], [])
        self.assertEqual(command_of(node),
                         "sudo /local/repository/cloudlab/install-node --role standalone "
                         "--log /var/log/zsim-install-node.log --ept off")
        self.assertIn("\nInstructions:\n", rec["tour"])

    def test_cluster_with_controller(self):
        res, rec = profile("--nodeCount", "3", "--slurm", "true", "--hardwareType", "c220g1",
                           "--swapDevices", "S1", "--zsimRepo", REPO, "--resultsSize", "500")
        self.assertRun(res, 0)
        names = [n["name"] for n in rec["nodes"]]
        self.assertEqual(names, ["ctl", "node0", "node1", "node2"])
        (lan,) = rec["links"]
        self.assertEqual(lan["type"], "lan")
        self.assertEqual(lan["interfaces"], [f"{n}:if1" for n in names])
        addrs = [n["interfaces"][0]["addresses"][0][0] for n in rec["nodes"]]
        self.assertEqual(addrs, ["10.10.1.1", "10.10.1.10", "10.10.1.11", "10.10.1.12"])
        ctl = rec["nodes"][0]
        self.assertEqual(ctl["extensions"], [dict(kind="blockstore", name="results",
                                                  mount="/shared/zsim-results",
                                                  size_gb=500, where="local")])
        self.assertEqual(command_of(ctl),
                         "sudo /local/repository/cloudlab/install-node --role controller "
                         f"--log /var/log/zsim-install-node.log --repo {REPO} "
                         "--results-dir /shared/zsim-results --nfs-clients 10.10.1.0/24")
        for node in rec["nodes"][1:]:
            self.assertEqual(node["hardware_type"], "c220g1")
            self.assertEqual(node["extensions"], [])
            self.assertEqual(command_of(node),
                             "sudo /local/repository/cloudlab/install-node --role compute "
                             f"--log /var/log/zsim-install-node.log --repo {REPO} "
                             "--controller 10.10.1.1 --results-dir /shared/zsim-results "
                             "--swap S1 --ept off")

    def assertRefused(self, args, messages, params):
        res, rec = profile(*args)
        self.assertEqual(res.rc, 100 + len(messages), res.err)
        self.assertIsNone(rec, "no request may be written")
        errors = json.loads(res.err)
        self.assertEqual([e["message"] for e in errors], messages)
        self.assertEqual([e["params"] for e in errors], params)
        self.assertEqual({e["errorType"] for e in errors}, {"ParameterError"})

    def test_bad_counts(self):
        for count in ("0", "65", "-1"):
            self.assertRefused(["--nodeCount", count],
                               [f"Number of zsim nodes: {count}; give 1 to 64"], [["nodeCount"]])
        self.assertRefused(["--slurm", "true", "--resultsSize", "0"],
                           ["Shared results size: 0 GB; give 1 to 10000"], [["resultsSize"]])

    def test_bad_device_names(self):
        self.assertRefused(
            ["--swapDevices", "/dev/sdb"],
            ["swapDevices: '/dev/sdb' is a kernel name, which a CloudLab node does not "
             "keep from boot to boot; give its /dev/disk/by-id/ path or its serial"],
            [["swapDevices"]])
        self.assertRefused(
            ["--mapperDevice", "x;reboot"],
            ["mapperDevice: 'x;reboot' is not a /dev/disk/by-id/ path or a disk serial "
             "(letters, digits and . _ : + @ -)"],
            [["mapperDevice"]])
        self.assertRefused(
            ["--homeDevice", "/dev/disk/by-id/../../sda"],
            ["homeDevice: '/dev/disk/by-id/../../sda' is not a /dev/disk/by-id/ path or a "
             "disk serial (letters, digits and . _ : + @ -)"],
            [["homeDevice"]])
        self.assertRefused(["--mapperDevice", "A,B"],
                           ["mapperDevice: give one disk, not 2"], [["mapperDevice"]])
        self.assertRefused(["--swapDevices", "S1,S2", "--homeDevice", "S2"],
                           ["'S2' is given twice (swapDevices and homeDevice); each disk "
                            "has one use"], [["homeDevice", "swapDevices"]])

    def test_bad_others_and_several_at_once(self):
        self.assertRefused(
            ["--hardwareType", "c220 g2", "--diskImage", "CENTOS7-64-STD",
             "--zsimRepo", "ftp://x/repo", "--resultsDir", "results"],
            ["Hardware type 'c220 g2': a CloudLab node type such as c220g2",
             "Disk image 'CENTOS7-64-STD': give an image URN (urn:publicid:IDN+...+image+...)",
             "zsim yum repository 'ftp://x/repo': give an http(s):// URL",
             "Shared results directory 'results': an absolute path (letters, digits, . _ / -)"],
            [["hardwareType"], ["diskImage"], ["zsimRepo"], ["resultsDir"]])
        res, rec = profile("--ept", "maybe")     # legal values, as geni-lib checks them
        self.assertEqual(res.rc, 2)
        self.assertIn("invalid choice: 'maybe'", res.err)
        self.assertIsNone(rec)


class InstallNode(TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="zsim-cloudlab.")
        self.node = FakeNode(self.work)

    def tearDown(self):
        shutil.rmtree(self.work)

    def test_every_parameter_reaches_firstboot(self):
        res, rec = profile("--swapDevices", "S1, /dev/disk/by-id/ata-X", "--mapperDevice",
                           "SERIAL=M1", "--homeDevice", "/dev/disk/by-id/wwn-0x5000", "--ept",
                           "on", "--force", "true", "--zsimRepo", REPO)
        self.assertRun(res, 0)
        words = shlex.split(command_of(rec["nodes"][0]))
        self.assertEqual(words[:2], ["sudo", "/local/repository/cloudlab/install-node"])
        # the command as the node runs it, its log redirected for the test
        args = words[2:]
        args[args.index("--log") + 1] = os.path.join(self.work, "install.log")
        dry, calls = self.node.install_node(*args, "--dry-run")
        self.assertRun(dry, 0)
        self.assertIn("would write /etc/zsim/firstboot.conf:\n", dry.out)
        self.assertFalse([c for c in calls if mutating(c)], calls)
        self.assertFalse(self.node.exists("etc/zsim/firstboot.conf"))

        res, calls = self.node.install_node(*args)
        self.assertRun(res, 0)
        self.assertEqual(res.out, "")            # all of it went to --log
        with open(os.path.join(self.work, "install.log")) as f:
            logged = f.read()
        self.assertIn("install-node: wrote /etc/zsim/firstboot.conf", logged)
        conf = self.node.read("etc/zsim/firstboot.conf")
        settings = [l for l in conf.splitlines() if not l.startswith("#")]
        self.assertEqual(settings, ["swap=SERIAL=S1,/dev/disk/by-id/ata-X",
                                    "mapper=SERIAL=M1", "home=/dev/disk/by-id/wwn-0x5000",
                                    "ept=on", "force=1"])
        # first boot: units/zsim-boot turns them into zsim-orch's commands
        orch_log = os.path.join(self.work, "orch.log")
        fake_orch = os.path.join(self.work, "fake-orch")
        with open(fake_orch, "w") as f:
            f.write(f'#!/bin/sh\necho "$*" >>{orch_log}\n')
        os.chmod(fake_orch, 0o755)
        self.node.write("proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz ro\n")
        boot = run(BOOT, "firstboot", env={"ZSIM_ROOT": self.node.root, "ZSIM_ORCH": fake_orch})
        self.assertRun(boot, 0)
        with open(orch_log) as f:
            self.assertEqual(f.read().splitlines(), [
                "setup --swap SERIAL=S1 /dev/disk/by-id/ata-X --mapper-device SERIAL=M1 "
                "--home-device /dev/disk/by-id/wwn-0x5000 --force",
                "ept on"])
        self.assertNotIn("unknown setting", boot.out)

    def test_ept_keep_and_no_devices_write_no_settings(self):
        res, rec = profile("--ept", "keep")
        words = shlex.split(command_of(rec["nodes"][0]))
        self.assertNotIn("--ept", words)
        res, _ = self.node.install_node("--repo", REPO)
        self.assertRun(res, 0)
        conf = self.node.read("etc/zsim/firstboot.conf")
        self.assertEqual([l for l in conf.splitlines() if not l.startswith("#")], [])

    def test_dry_run_prints_every_step_and_changes_nothing(self):
        before = self.node.snapshot()
        res, calls = self.node.install_node("--repo", REPO, "--swap", "S1", "--dry-run")
        self.assertRun(res, 0)
        for step in range(1, 9):
            if step != 7:
                self.assertIn(f"install-node: step {step}: ", res.out)
        self.assertIn("would write /etc/yum.repos.d/zsim.repo:\n", res.out)
        self.assertIn(f"  | baseurl={REPO}\n", res.out)
        self.assertIn("Mellanox OFED packages found: kmod-mlnx-ofa_kernel libibverbs "
                      "mlnx-ofa_kernel", res.out)
        self.assertIn("would run: yum -y --disablerepo=* remove kmod-mlnx-ofa_kernel "
                      "libibverbs mlnx-ofa_kernel\n", res.out)
        self.assertIn("would run: yum -y --disablerepo=* --enablerepo=zsim* install "
                      "kernel-0sim zsim-orch libvirt qemu-kvm-ev qemu-img-ev device-mapper "
                      "device-mapper-persistent-data kmod iniparser json-c\n", res.out)
        self.assertIn("would make the kernel kernel-0sim installs", res.out)
        self.assertIn("would run: systemctl enable " + " ".join(COMPUTE_UNITS), res.out)
        self.assertIn("would run: systemctl disable firewalld ksm\n", res.out)
        self.assertIn("  | swap=SERIAL=S1\n", res.out)
        self.assertIn("would reboot into the 0sim kernel once it is installed", res.out)
        self.assertFalse([c for c in calls if mutating(c)], calls)
        self.assertEqual(self.node.snapshot(), before)

    def test_install_then_reboot_then_nothing(self):
        res, calls = self.node.install_node("--repo", REPO, "--mapper", "M1", "--ept", "off")
        self.assertRun(res, 0)
        changes = [c for c in calls if mutating(c)]
        self.assertEqual(changes, [
            ["yum", "-y", "--disablerepo=*", "remove", "kmod-mlnx-ofa_kernel", "libibverbs",
             "mlnx-ofa_kernel"],
            ["yum", "-y", "--disablerepo=*", "--enablerepo=zsim*", "install", "kernel-0sim",
             "zsim-orch", "libvirt", "qemu-kvm-ev", "qemu-img-ev", "device-mapper",
             "device-mapper-persistent-data", "kmod", "iniparser", "json-c"],
            ["dracut", "-f", f"/boot/initramfs-{ZSIM_RELEASE}.img", ZSIM_RELEASE],
            ["grubby", f"--add-kernel={ZSIM_KERNEL}",
             f"--initrd=/boot/initramfs-{ZSIM_RELEASE}.img",
             f"--title=CentOS Linux ({ZSIM_RELEASE}) 0sim", "--copy-default"],
            ["grubby", f"--set-default={ZSIM_KERNEL}"],
            ["systemctl", "enable"] + COMPUTE_UNITS,
            ["systemctl", "disable", "firewalld", "ksm"],
            ["shutdown", "-r", "+1", f"zsim: rebooting into the 0sim kernel {ZSIM_RELEASE}"],
        ])
        repo = self.node.read("etc/yum.repos.d/zsim.repo")
        self.assertIn(f"[zsim]\nname=zsim: kernel-0sim and zsim-orch\nbaseurl={REPO}\n", repo)
        self.assertIn("[zsim-centos-os]\nname=CentOS 7 os (zsim)\n"
                      "baseurl=http://vault.centos.org/7.9.2009/os/x86_64/\n", repo)
        self.assertIn("baseurl=http://vault.centos.org/7.9.2009/virt/x86_64/kvm-common/\n", repo)
        self.assertIn("baseurl=https://archives.fedoraproject.org/pub/archive/epel/7/x86_64/\n",
                      repo)
        self.assertEqual(self.node.read("var/lib/zsim/cloudlab/reboot-requested"),
                         ZSIM_RELEASE + "\n")
        self.assertIn("mapper=SERIAL=M1\nept=off\n", self.node.read("etc/zsim/firstboot.conf"))
        self.assertFalse(self.node.has_state("installed/libibverbs"))

        # rebooted into the 0sim kernel; first boot ran: nothing left to do
        self.node.reboot()
        before = self.node.snapshot()
        res, calls = self.node.install_node("--repo", REPO, "--mapper", "M1", "--ept", "off")
        self.assertRun(res, 0)
        self.assertEqual([c for c in calls if mutating(c)], [])
        self.assertEqual(self.node.snapshot(), before)
        self.assertIn(f"running {ZSIM_RELEASE} already", res.out)
        self.assertIn("/etc/zsim/firstboot.conf: up to date", res.out)

    def test_reboots_once_only(self):
        res, _ = self.node.install_node("--repo", REPO)
        self.assertRun(res, 0)
        # the node came back on the stock kernel
        before = self.node.snapshot()
        res, calls = self.node.install_node("--repo", REPO)
        self.assertRun(res, 1)
        self.assertIn(f"this node was rebooted into {ZSIM_RELEASE} once already but runs "
                      f"{STOCK}; not rebooting again", res.err)
        self.assertEqual([c for c in calls if mutating(c)], [])
        self.assertEqual(self.node.snapshot(), before)

    def test_no_reboot_and_image_already_finished(self):
        res, calls = self.node.install_node("--repo", REPO, "--no-reboot")
        self.assertRun(res, 0)
        self.assertNotIn("shutdown", [c[0] for c in calls])
        self.assertIn("not rebooting (--no-reboot)", res.out)
        # a node from a disk image of a finished node: first boot not yet run
        self.node.reboot(firstboot_ran=False)
        res, calls = self.node.install_node("--repo", REPO, "--swap", "S9")
        self.assertRun(res, 0)
        self.assertEqual([c for c in calls if mutating(c)],
                         [["systemctl", "start", "zsim-firstboot.service"]])

    def test_release_url_installs_the_release_rpms(self):
        url = "https://github.com/o/zsim/releases/download/v0.1.0"
        res, calls = self.node.install_node("--release-url", url, "--no-reboot")
        self.assertRun(res, 0)
        (install,) = [c for c in calls if c[0] == "yum" and "install" in c]
        self.assertEqual(install[4:7], ["install", f"{url}/kernel-0sim.x86_64.rpm",
                                        f"{url}/zsim-orch.x86_64.rpm"])
        self.assertNotIn("[zsim]\n", self.node.read("etc/yum.repos.d/zsim.repo"))

    def test_controller_and_compute(self):
        hook_log = os.path.join(self.work, "hook.log")
        self.node.write("usr/libexec/zsim/slurm-node-setup",
                        f'#!/bin/sh\necho "$*" >>{hook_log}\n')
        os.chmod(os.path.join(self.node.root, "usr/libexec/zsim/slurm-node-setup"), 0o755)
        args = ["--role", "controller", "--repo", REPO, "--results-dir", "/shared/r",
                "--nfs-clients", "10.10.1.0/24"]
        res, calls = self.node.install_node(*args)
        self.assertRun(res, 0)
        self.assertEqual([c for c in calls if mutating(c)][1:], [
            ["yum", "-y", "--disablerepo=*", "--enablerepo=zsim*", "install", "zsim-orch",
             "nfs-utils"],
            ["systemctl", "enable", "nfs-server"],
            ["systemctl", "start", "nfs-server"],
            ["exportfs", "-ra"]])
        self.assertTrue(os.path.isdir(os.path.join(self.node.root, "shared/r")))
        self.assertEqual(self.node.read("etc/exports.d/zsim.exports"),
                         "/shared/r 10.10.1.0/24(rw,sync,no_root_squash,no_subtree_check)\n")
        self.assertIn("role=controller\ncontroller=\nresults=/shared/r\n",
                      self.node.read("etc/zsim/slurm-role"))
        with open(hook_log) as f:
            self.assertEqual(f.read(), f"{self.node.root}/etc/zsim/slurm-role\n")
        self.assertFalse(self.node.exists("etc/zsim/firstboot.conf"))
        res, calls = self.node.install_node(*args)
        self.assertRun(res, 0)
        self.assertEqual([c for c in calls if mutating(c)], [])
        with open(hook_log) as f:
            self.assertEqual(len(f.read().splitlines()), 1, "the hook ran once")

        other = FakeNode(os.path.join(self.work, "compute"))
        args = ["--role", "compute", "--repo", REPO, "--controller", "10.10.1.1",
                "--results-dir", "/shared/r", "--swap", "S1"]
        res, calls = other.install_node(*args)
        self.assertRun(res, 0)
        self.assertIn("nfs-utils", [c for c in calls if c[0] == "yum" and "install" in c][0])
        self.assertEqual(other.read("etc/fstab"),
                         "UUID=1234 / xfs defaults 0 0\n10.10.1.1:/shared/r /shared/r nfs "
                         "defaults,_netdev,nofail,x-systemd.automount 0 0\n")
        self.assertIn("role=compute\ncontroller=10.10.1.1\n", other.read("etc/zsim/slurm-role"))
        self.assertIn("no /usr/libexec/zsim/slurm-node-setup installed yet", res.out)
        other.reboot()
        res, calls = other.install_node(*args)
        self.assertRun(res, 0)
        self.assertEqual([c for c in calls if mutating(c)], [["mount", "/shared/r"]])

    def test_prepare_snapshot(self):
        args = ["--role", "compute", "--repo", REPO, "--controller", "10.10.1.1",
                "--swap", "S1"]
        self.assertRun(self.node.install_node(*args)[0], 0)
        self.node.reboot()
        self.node.write("etc/zsim/zsim.conf", "[host]\nswap = UUID=abcd\n")
        res, calls = self.node.install_node("--prepare-snapshot")
        self.assertRun(res, 0)
        default = run(ORCH, "config", "default").out
        self.assertEqual(self.node.read("etc/zsim/zsim.conf"), default)
        self.assertEqual(self.node.read("etc/zsim/zsim.conf.node"), "[host]\nswap = UUID=abcd\n")
        for gone in ("etc/zsim/firstboot.conf", "var/lib/zsim/firstboot.done",
                     "etc/zsim/slurm-role", "var/lib/zsim/cloudlab/reboot-requested"):
            self.assertFalse(self.node.exists(gone), gone)
        self.assertEqual(self.node.read("etc/fstab"), "UUID=1234 / xfs defaults 0 0\n")
        self.assertEqual([c for c in calls if mutating(c)],
                         [["systemctl", "disable", "zsim-firstboot"]])
        self.assertIn("take a snapshot of this node", res.out)

    def test_usage_errors_change_nothing(self):
        before = self.node.snapshot()
        for args, msg in (
                (["--ept", "maybe"], "--ept maybe: use on or off"),
                (["--role", "master"], "--role master: use standalone, compute or controller"),
                (["--swap", "S1,/dev/sdb;reboot"], "--swap '/dev/sdb;reboot': use letters"),
                (["--mapper", "FOO=bar"], "--mapper 'FOO=bar': give /dev/disk/by-id/"),
                (["--repo", "ftp://x"], "'ftp://x': give an http://, https:// or file:/// URL"),
                (["--repo", REPO, "--release-url", REPO], "give --repo or --release-url, not both"),
                (["--role", "controller"], "--role controller needs --nfs-clients NET"),
                (["--role", "controller", "--nfs-clients", "10.0.0.0/8", "--swap", "S1"],
                 "the controller runs no target"),
                (["--results-dir", "shared"], "--results-dir shared: give an absolute path"),
                (["--bogus"], "unknown argument '--bogus'")):
            res, calls = self.node.install_node(*args)
            self.assertEqual(res.rc, 2, (args, res.err))
            self.assertIn(f"install-node: {msg}", res.err)
            self.assertIn("usage: cloudlab/install-node", res.err)
            self.assertEqual(calls, [])
        self.assertEqual(self.node.snapshot(), before)

    def test_no_repo_outside_a_github_clone(self):
        # a copy outside any git clone has no release to default to
        copy = os.path.join(self.work, "copy", "install-node")
        os.makedirs(os.path.dirname(copy))
        shutil.copy(INSTALL, copy)
        res, calls = self.node.install_node(argv0=copy)
        self.assertRun(res, 1)
        self.assertIn("no --repo or --release-url, and", res.err)
        self.assertIn("give --repo URL", res.err)
        self.assertEqual(calls, [])


if __name__ == "__main__":
    main()
