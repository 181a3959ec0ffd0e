"""The e2e tier from a clone only root can enter (the newcomer's
/root/zsim, /root being mode 0700): QEMU runs as the private libvirtd's
unprivileged user, and still boots the tiny target's kernel, initrd and
base image from such a clone, because the harness stages them where that
user can read them. Proof that the setting is the newcomer's: the
unprivileged user cannot read the clone's copies in place."""

from zsimtest import TestCase, main, need_root
from zsimtest.clone import PrivateClone
from zsimtest.files import unprivileged_access

TARGET = ["tests/e2e/target/vmlinuz", "tests/e2e/target/initrd.cpio",
          "tests/e2e/target/base.qcow2"]
BUILD_FILES = ["orchestrator/zsim-orch", "orchestrator/zsim-touch", *TARGET]


class PrivateCloneTest(TestCase):
    def test_disk_mode_boots_from_the_clone(self):
        need_root("the private libvirtd")
        clone = PrivateClone(BUILD_FILES)
        self.addCleanup(clone.cleanup)
        for rel in TARGET:
            self.assertFalse(unprivileged_access(clone.path(rel)), rel)
        # disk mode reads all three: kernel, initrd and the base under the overlay
        res = clone.run_test("e2e/test_target.py", "DiskMode.test_overlay_and_destroy_existing")
        report = f"\nexit {res.returncode}\n{res.stdout[-6000:]}{res.stderr[-6000:]}"
        self.assertEqual(res.returncode, 0, report)
        for rel in TARGET:
            self.assertIn(f"{clone.path(rel)} is out of unprivileged users' reach; staged at",
                          res.stderr, report)
        self.assertIn("OK", res.stderr, report)


if __name__ == "__main__":
    main()
