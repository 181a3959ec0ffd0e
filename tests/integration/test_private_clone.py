"""The suite from a clone only root can enter (the newcomer's /root/zsim,
/root being mode 0700): the integration tests that run zsim-orch as an
unprivileged user (nobody) pass from there, because the harness stages the
binary where nobody can run it. Proof that the setting is the newcomer's:
nobody cannot run the clone's zsim-orch in place."""
import glob
import os

from zsimtest import TestCase, main, need_root
from zsimtest.clone import PrivateClone
from zsimtest.files import NOBODY, unprivileged_access
from zsimtest import command

BUILD_FILES = ["orchestrator/zsim-orch", "orchestrator/zsim-touch", "orchestrator/zsim.conf"]


def as_nobody():
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


class PrivateCloneTest(TestCase):
    def setUp(self):
        need_root("running tests as nobody")
        self.clone = PrivateClone(BUILD_FILES)
        self.addCleanup(self.clone.cleanup)

    def test_nobody_cannot_reach_the_clone(self):
        orch = self.clone.path("orchestrator/zsim-orch")
        self.assertFalse(unprivileged_access(orch, os.X_OK))
        with self.assertRaises(PermissionError):
            command(orch, "--version", preexec_fn=as_nobody)

    def test_the_unprivileged_tests_pass_from_the_clone(self):
        # the integration tests that drop to an unprivileged user
        files = []
        for path in sorted(glob.glob(os.path.join(self.clone.source, "tests", "integration",
                                                  "test_*.py"))):
            with open(path) as f:
                if "setuid(" in f.read() and not path.endswith("test_private_clone.py"):
                    files.append(os.path.basename(path))
        self.assertGreaterEqual(len(files), 2, files)
        for name in files:
            res = self.clone.run_test(os.path.join("integration", name))
            report = f"\n{name}: exit {res.returncode}\n{res.stdout}{res.stderr[-6000:]}"
            self.assertEqual(res.returncode, 0, report)
            self.assertIn("zsim-orch is out of unprivileged users' reach; staged at",
                          res.stderr, report)
            print(f"{name} from {self.clone.source}: passed")


if __name__ == "__main__":
    main()
