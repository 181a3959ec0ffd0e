"""image/zsim-orch.spec: `rpmbuild -bs` makes the SRPM from the git-archive
tarball with the BuildRequires the issue names (cmake3 on EL7); `rpmbuild
-bb` on Debian proves %install and %files: exactly our files, the spool
root:zsim 3770 (sticky), the config noreplace, the zsim group made in %pre, and a
binary that knows the commit it was built from. --nodeps because Debian's
build dependencies are dpkg packages the rpm database does not know;
the build itself uses them. rpmlint reports nothing beyond the findings
image/zsim-orch.rpmlintrc explains."""
import glob
import os
import shutil
import subprocess
import tarfile
import tempfile

from zsimtest import SOURCE_DIR, TestCase, main, command as run

SPEC = os.path.join(SOURCE_DIR, "image", "zsim-orch.spec")
RPMLINTRC = os.path.join(SOURCE_DIR, "image", "zsim-orch.rpmlintrc")
MAKE_TARBALL = os.path.join(SOURCE_DIR, "image", "make-tarball")

EXPECTED_FILES = """
/etc/zsim
/etc/zsim/zsim.conf
/usr/bin/zsim-orch
/usr/lib/systemd/system/zsim-firstboot.service
/usr/lib/systemd/system/zsim-host.service
/usr/lib/systemd/system/zsim-orch.service
/usr/lib/systemd/system/zsim-storage.service
/usr/libexec/zsim
/usr/libexec/zsim/hog
/usr/libexec/zsim/locality_mem_access
/usr/libexec/zsim/memcached_and_capture_thp
/usr/libexec/zsim/memcached_gen_data
/usr/libexec/zsim/redis_gen_data
/usr/libexec/zsim/slurm-epilog
/usr/libexec/zsim/slurm-healthcheck
/usr/libexec/zsim/time_loop
/usr/libexec/zsim/zsim-boot
/usr/libexec/zsim/zsim-touch
/usr/share/bash-completion
/usr/share/bash-completion/completions
/usr/share/bash-completion/completions/zsim-orch
/usr/share/doc/zsim-orch-0.1.0
/usr/share/doc/zsim-orch-0.1.0/README.md
/usr/share/doc/zsim-orch-0.1.0/slurm.conf.example
/usr/share/man/man5/zsim-job.5
/usr/share/man/man5/zsim.conf.5
/usr/share/man/man8/zsim-orch.8
/var/lib/zsim
/var/lib/zsim/results
/var/spool/zsim
""".split()


class Rpm(TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("rpmbuild", "rpmlint", "rpm2cpio", "git"):
            if not shutil.which(tool):
                raise AssertionError(f"{tool} not found; install the image "
                                     "tier's packages: ci/deps test")
        cls.top = tempfile.mkdtemp(prefix="zsim-rpm.")
        res = run(MAKE_TARBALL, os.path.join(cls.top, "SOURCES"))
        assert res.rc == 0, res.err
        cls.tarball = res.out.strip()
        cls.rpmbuild = ["rpmbuild", "--define", f"_topdir {cls.top}"]
        res = run(*cls.rpmbuild, "-bs", SPEC)
        assert res.rc == 0, res.out + res.err
        res = run(*cls.rpmbuild, "--nodeps", "-bb", SPEC, timeout=600)
        assert res.rc == 0, res.out[-3000:] + res.err[-3000:]
        cls.srpm = glob.glob(os.path.join(cls.top, "SRPMS", "*.src.rpm"))
        cls.rpms = glob.glob(os.path.join(cls.top, "RPMS", "*", "*.rpm"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.top)

    def rpmq(self, *args):
        res = run("rpm", "-qp", *args)
        self.assertRun(res, 0)
        return res.out

    def test_tarball_is_a_git_archive_that_names_its_commit(self):
        with tarfile.open(self.tarball) as t:
            names = t.getnames()
            commit = t.extractfile("zsim-orch-0.1.0/orchestrator/source-commit").read()
        self.assertTrue("zsim-orch-0.1.0/image/zsim-orch.spec" in names,
                        "the spec is not in the tarball (is it tracked by git?)")
        self.assertRegex(commit.decode(), r"^[0-9a-f]{40}\n$")
        self.assertFalse(any("/build/" in n for n in names))

    def test_srpm_carries_spec_tarball_and_build_requires(self):
        self.assertEqual([os.path.basename(p) for p in self.srpm],
                         ["zsim-orch-0.1.0-1.src.rpm"])
        self.assertEqual(sorted(self.rpmq("-l", self.srpm[0]).split()),
                         ["zsim-orch-0.1.0.tar.gz", "zsim-orch.spec"])
        breq = self.rpmq("-R", self.srpm[0]).splitlines()
        for dep in ("libvirt-devel", "device-mapper-devel", "kmod-devel",
                    "libblkid-devel", "iniparser-devel", "json-c-devel",
                    "cmake >= 3.10"):
            self.assertIn(dep, breq)

    def test_el7_build_asks_for_cmake3(self):
        with tempfile.TemporaryDirectory() as top:
            os.makedirs(os.path.join(top, "SOURCES"))
            shutil.copy(self.tarball, os.path.join(top, "SOURCES"))
            res = run("rpmbuild", "--define", f"_topdir {top}",
                      "--define", "rhel 7", "--define", "dist .el7", "-bs", SPEC)
            self.assertRun(res, 0)
            srpm = os.path.join(top, "SRPMS", "zsim-orch-0.1.0-1.el7.src.rpm")
            self.assertIn("cmake3 >= 3.10", self.rpmq("-R", srpm).splitlines())

    def test_binary_rpm_installs_exactly_our_files(self):
        self.assertEqual([os.path.basename(p) for p in self.rpms],
                         ["zsim-orch-0.1.0-1.x86_64.rpm"])
        files = [f for f in self.rpmq("-l", self.rpms[0]).split()
                 if not f.startswith("/usr/lib/.build-id")]
        self.assertEqual(sorted(files), EXPECTED_FILES)

    def test_modes_owners_config_and_group(self):
        rpm = self.rpms[0]
        lines = self.rpmq("--qf", "[%{FILEMODES:perms} %{FILEUSERNAME} "
                          "%{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILENAMES}\n]",
                          rpm).splitlines()
        by_name = {l.split()[-1]: l.split()[:-1] for l in lines}
        self.assertEqual(by_name["/var/spool/zsim"], ["drwxrws--T", "root", "zsim", ""][:3]
                         + by_name["/var/spool/zsim"][3:])
        self.assertEqual(by_name["/etc/zsim/zsim.conf"][:3], ["-rw-r--r--", "root", "root"])
        self.assertEqual(by_name["/etc/zsim/zsim.conf"][3], "cn")   # config(noreplace)
        self.assertEqual(by_name["/usr/libexec/zsim/zsim-boot"][0], "-rwxr-xr-x")
        scripts = self.rpmq("--scripts", rpm)
        self.assertIn("getent group zsim >/dev/null || groupadd -r zsim", scripts)
        self.assertIn("libvirt-daemon-kvm", self.rpmq("-R", rpm).splitlines())

    def test_payload_matches_the_tree_and_the_binary_runs(self):
        with tempfile.TemporaryDirectory() as d:
            cpio = subprocess.run(["rpm2cpio", self.rpms[0]], check=True,
                                  capture_output=True).stdout
            subprocess.run(["cpio", "-idm", "--quiet"], cwd=d, input=cpio, check=True)
            for unit in ("zsim-orch.service", "zsim-storage.service",
                         "zsim-host.service", "zsim-firstboot.service"):
                with open(os.path.join(d, "usr/lib/systemd/system", unit)) as a, \
                        open(os.path.join(SOURCE_DIR, "units", unit)) as b:
                    self.assertEqual(a.read(), b.read(), unit)
            # the committed roff: the build needed no scdoc
            for page in ("man8/zsim-orch.8", "man5/zsim.conf.5", "man5/zsim-job.5"):
                with open(os.path.join(d, "usr/share/man", page)) as a, \
                        open(os.path.join(SOURCE_DIR, "doc", os.path.basename(page))) as b:
                    self.assertEqual(a.read(), b.read(), page)
            with open(os.path.join(d, "usr/share/bash-completion/completions/zsim-orch")) as f:
                self.assertIn("complete -F _zsim_orch zsim-orch", f.read())
            with tarfile.open(self.tarball) as t:
                commit = t.extractfile("zsim-orch-0.1.0/orchestrator/"
                                       "source-commit").read().decode()[:12]
            res = run(os.path.join(d, "usr/bin/zsim-orch"), "--version")
            self.assertRun(res, 0)
            self.assertEqual(res.out, f"zsim-orch 0.1.0 (git {commit})\n")
            res = run(os.path.join(d, "usr/bin/zsim-orch"), "config", "default")
            with open(os.path.join(d, "etc/zsim/zsim.conf")) as f:
                self.assertEqual(f.read(), res.out)

    def test_rpmlint_has_nothing_unexplained(self):
        res = run("rpmlint", "-r", RPMLINTRC, SPEC, *self.srpm, *self.rpms)
        self.assertRun(res, 0)
        self.assertIn("0 errors, 0 warnings", res.out)

    def test_rpmlint_still_sees_the_filtered_findings(self):
        # Without the filters the same run reports them: the rc file hides
        # findings we explained, and only those.
        res = run("rpmlint", SPEC, *self.srpm, *self.rpms)
        self.assertIn("non-standard-dir-perm /var/spool/zsim 3770", res.out)


if __name__ == "__main__":
    main()
