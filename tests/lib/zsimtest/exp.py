"""Cases for the experiment library (`zsim-orch run EXP`): a config of the
case's own (results and state in a temporary directory), zsim-orch with
it, a --dry-run plan read back, and a run's result files.

    from zsimtest.exp import STAMP, ExpCase, ResultFiles
"""
import json
import os
import re
import tempfile

from .case import TestCase
from .proc import run

# the time stamp that ends a result name
STAMP = r"-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d"


class ResultFiles:
    """For a TestCase (any tier) that runs an experiment."""

    def result(self, res, exts):
        """`res` succeeded and named its results (RESULTS: BASE.*): BASE and
        its .params, after checking that .params, .time, .sim and each of
        `exts` exist."""
        self.assertRun(res, 0)
        m = re.search(r"^RESULTS: (.*)\.\*$", res.out.splitlines()[-1])
        self.assertTrue(m, res.out)
        base = m.group(1)
        for ext in ("params", "time", "sim") + exts:
            self.assertTrue(os.path.exists(f"{base}.{ext}"), ext)
        with open(base + ".params") as f:
            return base, json.load(f)

    def assert_locality(self, base, n):
        """locality_mem_access's results: no .out; .local and .nonlocal of
        `n` lines, one number each, as the old plotting scripts read them."""
        self.assertFalse(os.path.exists(base + ".out"))
        for ext in ("local", "nonlocal"):
            with open(f"{base}.{ext}") as f:
                lines = f.read().splitlines()
            self.assertEqual(len(lines), n, ext)
            for line in lines:
                self.assertRegex(line, r"^\d+$")


class ExpCase(ResultFiles, TestCase):
    """self.tmp, self.results (not created) and self.conf, a zsim.conf
    that puts results and state under self.tmp (the host lock too)."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.results = os.path.join(self.tmp.name, "results")
        self.conf = os.path.join(self.tmp.name, "zsim.conf")
        with open(self.conf, "w") as f:
            f.write(f"[paths]\nresults = {self.results}\nstate = {self.tmp.name}/state\n")

    def tearDown(self):
        self.tmp.cleanup()

    def zo(self, *args, **kw):
        """zsim-orch with this case's config."""
        return run("--config", self.conf, *args, **kw)

    def plan(self, exp, *args):
        """`--dry-run run EXP ARGS`: what it would run (the canonical
        arguments), the result name and its extensions."""
        res = self.zo("--dry-run", "run", exp, *args)
        self.assertRun(res, 0)
        ran = re.search(r"(?m)^would run \S+ with:(.*)$", res.out)
        wrote = re.search(r"(?m)^would write (.*)/([^/]*)\.\{([a-z_,]*)\}$", res.out)
        self.assertTrue(ran and wrote, res.out)
        self.assertEqual(wrote.group(1), self.results)
        return ran.group(1), wrote.group(2), wrote.group(3)
