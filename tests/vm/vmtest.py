"""Shared pieces of the vm tier's tests: disks in a scratch directory, one
boot per step, failures that show the guest's console."""
import os
import shutil
import tempfile
import unittest

import vm

INITRAMFS = os.environ.get("ZSIM_VM_INITRAMFS", "")
GIB = 1 << 30
MIB = 1 << 20


class VMTestCase(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(INITRAMFS):
            self.fail(f"no initramfs at '{INITRAMFS}': run the vm.initramfs "
                      "test first (ctest -L vm does)")
        self.scratch = tempfile.mkdtemp(prefix="zsim-vmtest.")

    def tearDown(self):
        shutil.rmtree(self.scratch)

    def disk(self, serial, size=GIB):
        """A sparse disk file; attach it as (path, serial)."""
        return (vm.sparse_disk(os.path.join(self.scratch, serial), size), serial)

    def boot(self, script, disks=(), rc=0, timeout=90):
        """Boot once, fail with the console unless the script exits `rc`."""
        try:
            res = vm.boot(INITRAMFS, script, disks, timeout=timeout)
        except vm.HarnessError as e:
            self.fail(str(e))
        print(f"--- boot ({res.seconds:.1f} s, exit {res.rc})\n{res.console}")
        self.assertEqual(res.rc, rc, "guest script exit code (console above)")
        return res


def main():
    prog = unittest.main(exit=False, verbosity=2)
    result = prog.result
    if result.skipped:
        print(f"{len(result.skipped)} test(s) skipped: a skip is a failure here")
        raise SystemExit(1)
    raise SystemExit(0 if result.wasSuccessful() else 1)
