"""Shared helpers for the integration tier: run the built zsim-orch and
compare what it prints and what it leaves behind."""
import hashlib
import os
import subprocess
import unittest

ZSIM_ORCH = os.environ["ZSIM_ORCH"]
SOURCE_DIR = os.environ["ZSIM_SOURCE_DIR"]
BUILD_DIR = os.environ["ZSIM_BUILD_DIR"]
FIXTURES = os.path.join(SOURCE_DIR, "tests", "fixtures")
GOLDEN = os.path.join(SOURCE_DIR, "tests", "integration", "golden")
# the static programs run in the target (orchestrator/CMakeLists.txt's
# ZSIM_WORKLOADS), in the order target prepare copies them
WORKLOADS = ["zsim-touch", "time_loop", "locality_mem_access", "hog", "memcached_gen_data",
             "redis_gen_data"]


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr


def run(*args, env=None, stdin=None, timeout=60, stdout=subprocess.PIPE,
        preexec_fn=None):
    full_env = dict(os.environ)
    full_env.pop("ZSIM_ROOT", None)
    full_env["LC_ALL"] = "C"
    if env:
        full_env.update(env)
    proc = subprocess.run([ZSIM_ORCH, *args], env=full_env, input=stdin,
                          stdout=stdout, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, preexec_fn=preexec_fn)
    return Result(proc)


def tree_digest(path):
    """A digest of every file's path, mode and content under `path` (or of
    the file itself), to prove a command changed nothing."""
    h = hashlib.sha256()
    if os.path.isfile(path):
        with open(path, "rb") as f:
            h.update(f.read())
        return h.hexdigest()
    for dirpath, dirnames, filenames in sorted(os.walk(path)):
        dirnames.sort()
        for name in sorted(filenames):
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            h.update(f"{os.path.relpath(p, path)}:{st.st_mode}\n".encode())
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    h.update(f.read())
    return h.hexdigest()


def golden(name):
    with open(os.path.join(GOLDEN, name)) as f:
        return f.read()


class TestCase(unittest.TestCase):
    maxDiff = None

    def assertRun(self, res, rc, out=None, err=None):
        msg = f"\nexit {res.rc}\n--- stdout\n{res.out}--- stderr\n{res.err}"
        self.assertEqual(res.rc, rc, msg)
        if out is not None:
            self.assertEqual(res.out, out, msg)
        if err is not None:
            self.assertEqual(res.err, err, msg)


def main():
    # ctest sees a failure as a failure; there are no skips in this tier.
    prog = unittest.main(exit=False, verbosity=2)
    result = prog.result
    if result.skipped:
        print(f"{len(result.skipped)} test(s) skipped: a skip is a failure here")
        raise SystemExit(1)
    raise SystemExit(0 if result.wasSuccessful() else 1)
