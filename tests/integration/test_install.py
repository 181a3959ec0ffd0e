"""`cmake --install` puts zsim-orch in bin/, a commented default config
at /etc/zsim/zsim.conf, the workload and Slurm's health check and epilog
programs in libexec/zsim and the example slurm.conf in the doc directory,
creates nothing else, and never overwrites a node's config."""
import os
import subprocess
import tempfile

from zsimtest import BUILD_DIR, WORKLOADS, TestCase, main, run


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
    def test_installs_exactly_binary_workloads_and_config(self):
        with tempfile.TemporaryDirectory() as d:
            install(d)
            self.assertEqual(files_under(d), sorted(
                ["etc/zsim/zsim.conf", "usr/local/bin/zsim-orch",
                 "usr/local/libexec/zsim/slurm-epilog",
                 "usr/local/libexec/zsim/slurm-healthcheck",
                 "usr/local/share/doc/zsim-orch/slurm.conf.example"] +
                ["usr/local/libexec/zsim/" + w for w in WORKLOADS]))
            for prog in ("slurm-epilog", "slurm-healthcheck"):
                self.assertTrue(os.access(os.path.join(d, "usr/local/libexec/zsim", prog), os.X_OK))
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
