"""`cmake --install` puts zsim-orch in bin/ and a commented default config
at /etc/zsim/zsim.conf, creates nothing else, and never overwrites a
node's config."""
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
            self.assertEqual(files_under(d), ["etc/zsim/zsim.conf", "usr/local/bin/zsim-orch"] + [
                "usr/local/libexec/zsim/" + w for w in sorted(WORKLOADS)])
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
