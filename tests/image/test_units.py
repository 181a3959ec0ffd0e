"""units/: `systemd-analyze verify` finds nothing to say about our units in
a root staged like the RPM installs them (systemd need not be PID 1 for
that; here it is not), the man pages each names in Documentation= are
among those installed there (verify --man=yes asks man(1), pointed at the
staged root by MANPATH), and units/zsim-boot, the helper the units run, calls
the right zsim-orch commands: storage and host read the effective config
through the real binary; firstboot takes zsim.* settings from
/etc/zsim/firstboot.conf and the kernel command line, runs setup once and
records it."""
import glob
import os
import shutil
import subprocess
import tempfile

from zsimtest import BUILD_DIR, SOURCE_DIR, TestCase, main, need, command as run

UNITS = os.path.join(SOURCE_DIR, "units")
BOOT = os.path.join(UNITS, "zsim-boot")
ORCH = os.environ["ZSIM_ORCH"]
OUR_UNITS = ["zsim-firstboot.service", "zsim-host.service",
             "zsim-orch.service", "zsim-storage.service"]


def stage_root(root):
    """Our files where the RPM puts them, the host's systemd units for the
    targets ours name, and libvirtd.service, which Debian's systemd lacks
    here (libvirt-daemon-system is not installed): a minimal stand-in so
    Requires=/After= resolve. What is verified is our units."""
    subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix", "/usr"],
                   env=dict(os.environ, DESTDIR=root), check=True,
                   capture_output=True)
    unitdir = os.path.join(root, "usr/lib/systemd/system")
    os.makedirs(unitdir)
    for unit in OUR_UNITS:
        shutil.copy(os.path.join(UNITS, unit), unitdir)
    os.makedirs(os.path.join(root, "usr/libexec/zsim"), exist_ok=True)
    shutil.copy(BOOT, os.path.join(root, "usr/libexec/zsim/zsim-boot"))
    for path in glob.glob("/lib/systemd/system/*"):
        dest = os.path.join(unitdir, os.path.basename(path))
        if not os.path.lexists(dest) and os.path.isfile(path):
            shutil.copy(path, dest)
    with open(os.path.join(unitdir, "libvirtd.service"), "w") as f:
        f.write("[Unit]\nDescription=stand-in\n[Service]\n"
                "ExecStart=/usr/bin/zsim-orch status\n")
    return unitdir


def verify(root, unit):
    """--man=yes runs `man` for each man: page the unit names; MANPATH
    makes it look only in the staged root."""
    return run("systemd-analyze", "verify", "--man=yes", f"--root={root}",
               unit, cwd=os.path.join(root, "usr/lib/systemd/system"),
               env={"MANPATH": os.path.join(root, "usr/share/man")})


def documentation(unit):
    """The words of the unit's Documentation= lines."""
    with open(os.path.join(UNITS, unit)) as f:
        return [w for line in f if line.startswith("Documentation=")
                for w in line.split("=", 1)[1].split()]


class Verify(TestCase):
    def test_every_unit_verifies_clean(self):
        if not shutil.which("systemd-analyze"):
            self.fail("systemd-analyze not found; install systemd (ci/deps test)")
        need("man", "man-db")
        with tempfile.TemporaryDirectory() as root:
            stage_root(root)
            for unit in OUR_UNITS:
                res = verify(root, unit)
                self.assertRun(res, 0)
                self.assertEqual(res.out + res.err, "", unit)

    def test_verify_would_catch_a_broken_unit(self):
        with tempfile.TemporaryDirectory() as root:
            unitdir = stage_root(root)
            path = os.path.join(unitdir, "zsim-orch.service")
            with open(path) as f:
                text = f.read()
            with open(path, "w") as f:
                f.write(text.replace("/usr/bin/zsim-orch serve",
                                     "/usr/bin/zsim-orchestrator serve"))
            res = verify(root, "zsim-orch.service")
            self.assertNotEqual(res.rc, 0)
            self.assertIn("zsim-orchestrator is not executable", res.err)

    def test_verify_would_catch_a_missing_man_page(self):
        need("man", "man-db")
        with tempfile.TemporaryDirectory() as root:
            unitdir = stage_root(root)
            os.unlink(os.path.join(root, "usr/share/man/man5/zsim-job.5"))
            res = verify(root, "zsim-orch.service")
            self.assertNotEqual(res.rc, 0)
            self.assertIn("Command 'man zsim-job(5)' failed", res.err)
            self.assertTrue(os.path.exists(os.path.join(unitdir, "zsim-orch.service")))

    def test_every_unit_names_its_man_pages(self):
        for unit in OUR_UNITS:
            docs = documentation(unit)
            self.assertEqual(docs[:2], ["man:zsim-orch(8)", "man:zsim.conf(5)"], unit)
        self.assertIn("man:zsim-job(5)", documentation("zsim-orch.service"))

    def test_units_run_what_exists(self):
        with open(os.path.join(UNITS, "zsim-orch.service")) as f:
            text = f.read()
        self.assertIn("Type=notify\n", text)
        self.assertIn("ExecStart=/usr/bin/zsim-orch serve\n", text)

    def test_helper_is_shellcheck_clean(self):
        self.assertRun(run("shellcheck", "-s", "sh", BOOT), 0)


class Boot(TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="zsim-boot-root.")
        for d in ("proc", "etc/zsim", "var/lib/zsim"):
            os.makedirs(os.path.join(self.root, d))
        self.log = os.path.join(self.root, "calls")
        self.fake = os.path.join(self.root, "zsim-orch")
        # Records every command except `config show`, which the real binary
        # answers from the root's config.
        with open(self.fake, "w") as f:
            f.write("#!/bin/sh\n"
                    'if [ "$1 $2" = "config show" ]; then exec "$REAL_ORCH" "$@"; fi\n'
                    'printf "%s|" "$@" >>"$CALLS"; echo >>"$CALLS"\n'
                    'exit "${FAKE_RC:-0}"\n')
        os.chmod(self.fake, 0o755)
        self.cmdline("BOOT_IMAGE=/vmlinuz ro quiet")
        self.conf("")

    def tearDown(self):
        shutil.rmtree(self.root)

    def cmdline(self, text):
        with open(os.path.join(self.root, "proc/cmdline"), "w") as f:
            f.write(text + "\n")

    def conf(self, text, name="zsim.conf"):
        with open(os.path.join(self.root, "etc/zsim", name), "w") as f:
            f.write(text)

    def boot(self, what, rc=0):
        return run("sh", BOOT, what, env={
            "ZSIM_ROOT": self.root, "ZSIM_ORCH": self.fake,
            "REAL_ORCH": ORCH, "CALLS": self.log, "FAKE_RC": str(rc)})

    def calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [l.rstrip("|").split("|") for l in f.read().splitlines()]

    def done(self):
        return os.path.join(self.root, "var/lib/zsim/firstboot.done")

    def test_storage_without_thin_pool_turns_swap_on(self):
        self.assertRun(self.boot("storage"), 0)
        self.assertEqual(self.calls(), [["swap", "on"]])

    def test_storage_with_thin_pool_activates_it_first(self):
        self.conf("[thin]\ndata = SERIAL=disk3\n")
        self.assertRun(self.boot("storage"), 0)
        self.assertEqual(self.calls(), [["thin", "activate"], ["swap", "on"]])

    def test_storage_failure_fails_the_unit(self):
        self.conf("[thin]\ndata = SERIAL=disk3\n")
        self.assertRun(self.boot("storage", rc=1), 1)
        self.assertEqual(self.calls(), [["thin", "activate"]])

    def test_host_applies_ept_from_config_then_knobs(self):
        self.conf("[kvm]\nept = off\n")
        self.assertRun(self.boot("host"), 0)
        self.assertEqual(self.calls(), [["ept", "off"], ["knobs", "apply"]])
        self.conf("")
        os.unlink(self.log)
        self.assertRun(self.boot("host"), 0)   # default: on
        self.assertEqual(self.calls(), [["ept", "on"], ["knobs", "apply"]])

    def test_firstboot_from_the_kernel_command_line_runs_once(self):
        self.cmdline("ro zsim.swap=/dev/sdb,/dev/disk/by-id/ata-X zsim.mapper="
                     "SERIAL=disk3 zsim.force=1 zsim.ept=off quiet")
        res = self.boot("firstboot")
        self.assertRun(res, 0)
        self.assertEqual(self.calls(), [
            ["setup", "--swap", "/dev/sdb", "/dev/disk/by-id/ata-X",
             "--mapper-device", "SERIAL=disk3", "--force"], ["ept", "off"]])
        with open(self.done()) as f:
            record = f.read()
        self.assertIn("ran=zsim-orch setup --swap /dev/sdb /dev/disk/by-id/ata-X "
                      "--mapper-device SERIAL=disk3 --force; zsim-orch ept off\n",
                      record)
        res = self.boot("firstboot")
        self.assertRun(res, 0)
        self.assertIn("first boot already done", res.out)
        self.assertEqual(len(self.calls()), 2)

    def test_firstboot_conf_with_command_line_override(self):
        self.conf("# copied by the kickstart\nswap=/dev/sdb\nmapper=/dev/sdc\n",
                  "firstboot.conf")
        self.cmdline("ro zsim.mapper=/dev/sdd")
        self.assertRun(self.boot("firstboot"), 0)
        self.assertEqual(self.calls(), [
            ["setup", "--swap", "/dev/sdb", "--mapper-device", "/dev/sdd"]])

    def test_firstboot_passes_the_home_device_on(self):
        # what cloudlab/install-node writes for --home
        self.conf("swap=/dev/disk/by-id/ata-A\nhome=/dev/disk/by-id/ata-HOME\n",
                  "firstboot.conf")
        res = self.boot("firstboot")
        self.assertRun(res, 0)
        self.assertNotIn("unknown setting", res.out)
        self.assertEqual(self.calls(), [
            ["setup", "--swap", "/dev/disk/by-id/ata-A",
             "--home-device", "/dev/disk/by-id/ata-HOME"]])
        with open(self.done()) as f:
            self.assertIn("ran=zsim-orch setup --swap /dev/disk/by-id/ata-A "
                          "--home-device /dev/disk/by-id/ata-HOME\n", f.read())
        # alone, and from the command line
        os.unlink(self.done())
        os.unlink(self.log)
        self.conf("", "firstboot.conf")
        self.cmdline("ro zsim.home=SERIAL=disk9 zsim.force=1")
        self.assertRun(self.boot("firstboot"), 0)
        self.assertEqual(self.calls(), [["setup", "--home-device", "SERIAL=disk9", "--force"]])

    def test_firstboot_without_settings_records_nothing_ran(self):
        self.assertRun(self.boot("firstboot"), 0)
        self.assertEqual(self.calls(), [])
        with open(self.done()) as f:
            self.assertIn("ran=nothing\n", f.read())

    def test_failed_setup_is_not_recorded(self):
        self.cmdline("zsim.swap=/dev/sdb")
        self.assertRun(self.boot("firstboot", rc=3), 3)
        self.assertFalse(os.path.exists(self.done()))

    def test_bad_settings_change_nothing(self):
        for line, msg in (("zsim.ept=maybe", "ept=maybe: use on or off"),
                          ("zsim.force=sure", "force=sure: use 1 or 0"),
                          ("zsim.swap=sdb", "device 'sdb': give /dev/..."),
                          ("zsim.home=sdc", "device 'sdc': give /dev/...")):
            self.cmdline(line)
            res = self.boot("firstboot")
            self.assertRun(res, 1)
            self.assertIn(msg, res.err)
            self.assertEqual(self.calls(), [])
            self.assertFalse(os.path.exists(self.done()))

    def test_settings_are_data_not_shell(self):
        self.cmdline("zsim.swap=/dev/sdb$(touch${IFS}/tmp/zsim-pwned),/dev/sdc;id")
        self.assertRun(self.boot("firstboot"), 0)
        self.assertEqual(self.calls(), [
            ["setup", "--swap", "/dev/sdb$(touch${IFS}/tmp/zsim-pwned)",
             "/dev/sdc;id"]])
        self.assertFalse(os.path.exists("/tmp/zsim-pwned"))

    def test_usage(self):
        self.assertRun(self.boot("bogus"), 2)


if __name__ == "__main__":
    main()
