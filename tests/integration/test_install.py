"""`cmake --install` puts zsim-orch in bin/, its man pages in share/man,
its bash completion where bash-completion looks, a commented default
config at /etc/zsim/zsim.conf, the workloads and Slurm's health check and
epilog programs in libexec/zsim and the example slurm.conf in the doc
directory, creates nothing else, and never overwrites a node's config."""
import os
import re
import subprocess
import tempfile

from zsimtest import BUILD_DIR, SOURCE_DIR, WORKLOADS, TestCase, main, run


def install(destdir):
    subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix", "/usr/local"],
                   env=dict(os.environ, DESTDIR=destdir), check=True,
                   capture_output=True, text=True)


def files_under(root):
    found = []
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            found.append(os.path.relpath(os.path.join(dirpath, name), root))
    return sorted(found)


class Install(TestCase):
    def test_installs_exactly_binary_workloads_docs_and_config(self):
        # as CMake found it (bash-completion's pkg-config file, or the default)
        with open(os.path.join(BUILD_DIR, "CMakeCache.txt")) as f:
            completions = re.search(r"^ZSIM_BASH_COMPLETION_DIR:PATH=(.*)$", f.read(), re.M)[1]
        with tempfile.TemporaryDirectory() as d:
            install(d)
            self.assertEqual(files_under(d), sorted(
                ["etc/zsim/zsim.conf", "usr/local/bin/zsim-orch",
                 "usr/local/libexec/zsim/slurm-epilog",
                 "usr/local/libexec/zsim/slurm-healthcheck",
                 "usr/local/share/doc/zsim-orch/slurm.conf.example",
                 completions.lstrip("/") + "/zsim-orch",
                 "usr/local/share/man/man5/zsim-job.5", "usr/local/share/man/man5/zsim.conf.5",
                 "usr/local/share/man/man8/zsim-orch.8"] +
                ["usr/local/libexec/zsim/" + w for w in WORKLOADS]))
            for prog in ("slurm-epilog", "slurm-healthcheck"):
                self.assertTrue(os.access(os.path.join(d, "usr/local/libexec/zsim", prog), os.X_OK))
            for page in ("man5/zsim-job.5", "man5/zsim.conf.5", "man8/zsim-orch.8"):
                with open(os.path.join(d, "usr/local/share/man", page)) as a, \
                        open(os.path.join(SOURCE_DIR, "doc", os.path.basename(page))) as b:
                    self.assertEqual(a.read(), b.read())
            with open(os.path.join(d, completions.lstrip("/"), "zsim-orch")) as f:
                self.assertIn("complete -F _zsim_orch zsim-orch", f.read())
            self.assertTrue(os.access(os.path.join(d, "usr/local/bin/zsim-orch"), os.X_OK))
            with open(os.path.join(d, "etc/zsim/zsim.conf")) as f:
                self.assertEqual(f.read(), run("config", "default").out)

    def test_reinstall_keeps_the_node_config(self):
        with tempfile.TemporaryDirectory() as d:
            install(d)
            conf = os.path.join(d, "etc/zsim/zsim.conf")
            with open(conf, "w") as f:
                f.write("[kvm]\nept = off\n")
            install(d)
            with open(conf) as f:
                self.assertEqual(f.read(), "[kvm]\nept = off\n")


if __name__ == "__main__":
    main()
