"""Test cases and the one skip rule.

A test whose prerequisites are missing (a program, a kernel, a fixture
another test builds) is skipped: it raises `Missing` (a unittest.SkipTest),
usually through `need()`. A test file then exits 77, which every Python test
declares to ctest as SKIP_RETURN_CODE. Under CI=true a skip is a failure
instead (exit 1): there every prerequisite is installed, so a skip could only
hide a broken test. This module is the only place that decides it.
"""
import os
import shutil
import sys
import unittest

SKIP = 77

# The places a program may live when PATH is a user's, not root's.
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


class HarnessError(Exception):
    """Something the harness itself had to do failed (a VM that gave no
    verdict, a daemon that did not start): a failure, never a skip."""


class Missing(unittest.SkipTest):
    """A prerequisite is missing: the test is skipped (exit 77), or fails
    under CI=true."""


def in_ci():
    """CI=true (or any value but empty, 0, false, no)."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def need(prog, package=None):
    """The path of `prog` (searched in PATH, then in the system directories),
    or skip: `package` names what provides it."""
    path = shutil.which(prog) or shutil.which(prog, path=SYSTEM_PATH)
    if not path:
        raise Missing(f"{prog} not found; install {package or 'the tier packages'} "
                      "(ci/deps test installs every tier's list)")
    return path


def need_root(what="this test"):
    if os.geteuid() != 0:
        raise Missing(f"{what} needs root")


def skip_status(reasons):
    """Print why tests were skipped; return the exit status for it."""
    for reason in reasons:
        print(f"skipped: {reason}", file=sys.stderr)
    if in_ci():
        print(f"{len(reasons)} skip(s) under CI=true: a skip is a failure here",
              file=sys.stderr)
        return 1
    return SKIP


class TestCase(unittest.TestCase):
    maxDiff = None

    def assertRun(self, res, rc, out=None, err=None):
        """`res` (a Result) exited `rc` and, when given, printed exactly
        `out` and `err`."""
        msg = f"\nexit {res.rc}\n--- stdout\n{res.out}--- stderr\n{res.err}"
        self.assertEqual(res.rc, rc, msg)
        if out is not None:
            self.assertEqual(res.out, out, msg)
        if err is not None:
            self.assertEqual(res.err, err, msg)


def main():
    """unittest.main for a test file: exit 0 when everything passed, 1 on a
    failure, and the skip rule's status when something was skipped."""
    prog = unittest.main(exit=False, verbosity=2)
    result = prog.result
    if not result.wasSuccessful():
        raise SystemExit(1)
    if result.skipped:
        raise SystemExit(skip_status([f"{test.id()}: {why}" for test, why in result.skipped]))
    raise SystemExit(0)


def script(fn):
    """Run fn() as a script's main (a fixture that builds something): its
    return value is the exit status; a missing prerequisite follows the skip
    rule."""
    try:
        status = fn()
    except unittest.SkipTest as e:
        status = skip_status([str(e)])
    raise SystemExit(status or 0)
