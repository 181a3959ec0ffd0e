"""target prepare without booting anything: the profiles' user-data
(rendered by --dry-run, parsed as YAML, each runcmd script shellchecked)
and the refusals that come before a guest would boot. The boot itself is
in the e2e tier (debian12); the centos7 profile cannot boot here: there is
no CentOS 7 cloud image in the Debian archive, so it is checked only as
text. Also the recipe the profiles run for NAS CG and Metis
(image/target/zsim-build-benchmarks): shellchecked, its pins, and its
refusals (no network here: they come before or right after a download)."""
import os
import re
import shutil
import subprocess
import tempfile

import yaml

from zsimtest import SOURCE_DIR, WORKLOADS, TestCase, main, run

RECIPE = os.path.join(SOURCE_DIR, "image", "target", "zsim-build-benchmarks")


def user_data(profile):
    res = run("--dry-run", "target", "prepare", "--profile", profile)
    assert res.rc == 0, res.err
    text = res.out.split("\n", 1)[1]  # after the "# user-data for profile" line
    return text[:text.index("\n# would copy")]


class Prepare(TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="zsim-prepare.")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def check_profile(self, profile):
        text = user_data(profile)
        self.assertTrue(text.startswith("#cloud-config\n"), text[:40])
        self.assertNotIn("@WORKLOADS@", text)
        doc = yaml.safe_load(text)
        scripts = [c for c in doc["runcmd"] if isinstance(c, str)]
        self.assertEqual(len(scripts), 1)
        script = os.path.join(self.tmp, profile + ".sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\n" + scripts[0])
        sc = subprocess.run(["shellcheck", "-s", "sh", script], capture_output=True, text=True)
        self.assertEqual(sc.returncode, 0, sc.stdout)
        self.assertIn('install -m 0755 "$seed/$w" "/usr/local/bin/$w"', scripts[0])
        self.assertIn('install -m 0755 "$seed/zsim-build-benchmarks" '
                      '/usr/local/sbin/zsim-build-benchmarks', scripts[0])
        self.assertIn("/usr/local/sbin/zsim-build-benchmarks ||", scripts[0])
        self.assertIn('workloads="%s"' % " ".join(WORKLOADS), scripts[0])
        self.assertTrue(scripts[0].rstrip().endswith(
            "sync" if profile == "debian12" else "systemctl restart qemu-guest-agent"))
        files = {f["path"]: f["content"] for f in doc["write_files"]}
        self.assertIn("kernel.hung_task_timeout_secs = 0", files["/etc/sysctl.d/90-zsim.conf"])
        self.assertIn("kernel.watchdog = 0", files["/etc/sysctl.d/90-zsim.conf"])
        return scripts[0], files

    def test_debian12_profile(self):
        script, files = self.check_profile("debian12")
        self.assertIn("OOMScoreAdjust=-1000",
                      files["/etc/systemd/system/ssh.service.d/90-zsim.conf"])
        self.assertIn("tsc=reliable", script)
        self.assertIn("mkdir -p /results /var/lib/zsim", script)

    def test_centos7_profile_unblocks_the_agent(self):
        script, files = self.check_profile("centos7")
        self.assertIn("OOMScoreAdjust=-1000",
                      files["/etc/systemd/system/sshd.service.d/90-zsim.conf"])
        self.assertIn('grubby --update-kernel=ALL --args="tsc=reliable nowatchdog"', script)
        # the edit, applied to CentOS 7's own file, empties BLACKLIST_RPC
        sysconfig = os.path.join(self.tmp, "qemu-ga")
        with open(sysconfig, "w") as f:
            f.write("# This is a systemd environment file, not a shell script.\n"
                    "BLACKLIST_RPC=guest-file-open,guest-file-close,guest-file-read,"
                    "guest-file-write,guest-file-seek,guest-file-flush,guest-exec,"
                    "guest-exec-status\n"
                    "FSFREEZE_HOOK_PATHNAME=/etc/qemu-ga/fsfreeze-hook\n")
        line = [l for l in script.splitlines() if "BLACKLIST_RPC" in l and "sed" in l][0]
        self.assertIn("/etc/sysconfig/qemu-ga", line)
        subprocess.run(["sh", "-c", line.replace("/etc/sysconfig/qemu-ga", sysconfig)],
                       check=True)
        with open(sysconfig) as f:
            lines = f.read().splitlines()
        self.assertIn("BLACKLIST_RPC=", lines)
        self.assertIn("FSFREEZE_HOOK_PATHNAME=/etc/qemu-ga/fsfreeze-hook", lines)

    def test_bad_input_changes_nothing(self):
        conf = os.path.join(self.tmp, "zsim.conf")
        with open(conf, "w") as f:
            f.write(f"[target]\nuri = test:///default\nname = test\n"
                    f"[paths]\nstate = {self.tmp}/state\n")
        with open(conf) as f:
            before = f.read()
        not_image = os.path.join(self.tmp, "notes.txt")
        with open(not_image, "w") as f:
            f.write("not a disk image\n")
        truncated = os.path.join(self.tmp, "truncated.qcow2")
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", truncated + ".full", "64M"],
                       check=True)
        subprocess.run(["qemu-io", "-c", "write -P 0x5a 0 8M", truncated + ".full"],
                       check=True, capture_output=True)
        with open(truncated + ".full", "rb") as f:
            data = f.read()
        with open(truncated, "wb") as f:
            f.write(data[:len(data) // 2])
        good = truncated + ".full"
        for args, rc, msg in (
                (["--from", not_image], 1, "is not a qcow2 disk image"),
                (["--from", truncated], 1, "is damaged (truncated or corrupt)"),
                (["--from", os.path.join(self.tmp, "missing.qcow2")], 1, "No such file"),
                (["--from", good, "--profile", "arch"], 2, "use centos7 or debian12"),
                (["--from", good, "--timeout", "0"], 2, "--timeout 0"),
                ([], 2, "needs --from"),
                # test:///default runs a domain named "test": our target
                (["--from", good], 3, "test is running")):
            res = run("--config", conf, "target", "prepare", *args)
            self.assertRun(res, rc)
            self.assertIn(msg, res.err, args)
        with open(conf) as f:
            self.assertEqual(f.read(), before)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "state", "images")))



class BuildRecipe(TestCase):
    """zsim-build-benchmarks, run as the profiles run it (sh), without a
    network: what it refuses, and that it changes nothing when it does."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="zsim-recipe.")
        self.prefix = os.path.join(self.tmp, "bin")
        self.work = os.path.join(self.tmp, "work")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def recipe(self, *args, path=None, env=None):
        e = {"PATH": path or os.environ["PATH"], "PREFIX": self.prefix,
             "ZSIM_BUILD_DIR": self.work, **(env or {})}
        return subprocess.run(["sh", RECIPE, *args], capture_output=True, text=True, env=e,
                              timeout=60)

    def pins(self):
        with open(RECIPE) as f:
            return dict(re.findall(r"^([A-Z_0-9]+)=(\S+)$", f.read(), re.M))

    def test_shellcheck(self):
        sc = subprocess.run(["shellcheck", "-s", "sh", RECIPE], capture_output=True, text=True)
        self.assertEqual(sc.returncode, 0, sc.stdout)

    def test_pins(self):
        pins = self.pins()
        # the tarball the 0sim workspace carries, at a fixed commit
        self.assertRegex(pins["NPB_URL"], r"^https://raw\.githubusercontent\.com/multifacet/"
                         r"0sim-workspace/[0-9a-f]{40}/bmks/NPB3\.4\.tar\.gz$")
        self.assertRegex(pins["NPB_SHA256"], r"^[0-9a-f]{64}$")
        self.assertRegex(pins["METIS_COMMIT"], r"^[0-9a-f]{40}$")
        self.assertEqual(pins["METIS_URL"],
                         "https://github.com/multifacet/Metis/archive/$METIS_COMMIT.tar.gz")
        # no SHA-256 is known for it: a named placeholder, refused below
        self.assertEqual(pins["METIS_SHA256"], "${METIS_SHA256:-UNPINNED}")

    def test_metis_is_refused_without_a_pinned_sha256(self):
        res = self.recipe("metis")
        self.assertEqual(res.returncode, 3, res.stderr)
        self.assertIn("zsim-build-benchmarks: no SHA-256 is pinned for https://github.com/"
                      "multifacet/Metis/archive/", res.stderr)
        self.assertIn("run again with METIS_SHA256=<its sha256>", res.stderr)
        self.assertIn("zsim-build-benchmarks: metis not built (exit 3)", res.stderr)
        self.assertEqual(os.listdir(self.work), [])
        self.assertEqual(os.listdir(self.prefix), [])

    def test_a_download_that_does_not_match_its_pin_is_refused(self):
        # the transport answers with other bytes (a proxy's error page)
        shim = os.path.join(self.tmp, "shim")
        os.mkdir(shim)
        with open(os.path.join(shim, "curl"), "w") as f:
            f.write('#!/bin/sh\nwhile [ "$1" != -o ]; do shift; done\n'
                    'echo "<html>blocked</html>" >"$2"\n')
        os.chmod(os.path.join(shim, "curl"), 0o755)
        res = self.recipe("nas", path=shim + ":" + os.environ["PATH"])
        self.assertEqual(res.returncode, 3, res.stderr)
        self.assertRegex(res.stderr, r"NPB3\.4\.tar\.gz: sha256 [0-9a-f]{64}, pinned "
                         + self.pins()["NPB_SHA256"] + "; not building from it")
        self.assertEqual(os.listdir(self.work), [])
        self.assertEqual(os.listdir(self.prefix), [])

    def test_an_unknown_benchmark_is_a_usage_error(self):
        res = self.recipe("nas", "hpl")
        self.assertEqual(res.returncode, 2)
        self.assertIn("unknown benchmark 'hpl': give nas and/or metis", res.stderr)
        self.assertFalse(os.path.exists(self.work))


if __name__ == "__main__":
    main()
