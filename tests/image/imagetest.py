"""Shared helpers for the image tier: paths, running our scripts, and a
unittest main in which a skip is a failure."""
import glob
import os
import subprocess
import unittest

SOURCE_DIR = os.environ["ZSIM_SOURCE_DIR"]
BUILD_DIR = os.environ["ZSIM_BUILD_DIR"]
# Where this tier caches what is slow to make (the unpacked linux-source).
CACHE = os.path.join(BUILD_DIR, "tests", "image")


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr


def run(*args, env=None, cwd=None, timeout=300):
    full_env = dict(os.environ, LC_ALL="C")
    if env:
        full_env.update(env)
    proc = subprocess.run(list(args), env=full_env, cwd=cwd, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout)
    return Result(proc)


def linux_source():
    """The tree unpacked from Debian's linux-source package by the
    image.linux-source fixture (linux_source.py)."""
    trees = glob.glob(os.path.join(CACHE, "linux-source", "linux-source-*"))
    if len(trees) != 1:
        raise AssertionError(f"no unpacked linux-source under {CACHE}; the "
                             "image.linux-source fixture makes it")
    return trees[0]


class TestCase(unittest.TestCase):
    maxDiff = None

    def assertRun(self, res, rc):
        self.assertEqual(res.rc, rc, f"\nexit {res.rc}\n--- stdout\n{res.out}"
                                     f"--- stderr\n{res.err}")


def main():
    prog = unittest.main(exit=False, verbosity=2)
    result = prog.result
    if result.skipped:
        print(f"{len(result.skipped)} test(s) skipped: a skip is a failure here")
        raise SystemExit(1)
    raise SystemExit(0 if result.wasSuccessful() else 1)
