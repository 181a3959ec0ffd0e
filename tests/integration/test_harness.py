"""The harness's one skip rule and where ctest meets it: a test file whose
prerequisites are missing exits 77, ctest is told that 77 means skipped
(SKIP_RETURN_CODE) for every Python test and gives each the harness on
PYTHONPATH; under CI=true the skip is a failure."""
import json
import os
import subprocess
import sys
import tempfile

from zsimtest import BUILD_DIR, SOURCE_DIR, TestCase, main

SKIPPING = '''
from zsimtest import TestCase, main, need

class T(TestCase):
    def test_ok(self):
        pass

    def test_needs_a_program(self):
        need("zsim-no-such-program", "no-such-package")

main()
'''


class SkipRule(TestCase):
    def run_file(self, text, ci):
        with tempfile.NamedTemporaryFile("w", suffix=".py") as f:
            f.write(text)
            f.flush()
            env = dict(os.environ, PYTHONPATH=os.path.join(SOURCE_DIR, "tests", "lib"))
            env.pop("CI", None)
            if ci is not None:
                env["CI"] = ci
            return subprocess.run([sys.executable, f.name], env=env, capture_output=True,
                                  text=True, timeout=60)

    def test_a_missing_program_skips_with_77(self):
        res = self.run_file(SKIPPING, None)
        self.assertEqual(res.returncode, 77, res.stderr)
        self.assertIn("skipped: __main__.T.test_needs_a_program: zsim-no-such-program not "
                      "found; install no-such-package", res.stderr)

    def test_under_ci_a_skip_fails(self):
        for ci in ("true", "1"):
            res = self.run_file(SKIPPING, ci)
            self.assertEqual(res.returncode, 1, res.stderr)
            self.assertIn("1 skip(s) under CI=true: a skip is a failure here", res.stderr)
        res = self.run_file(SKIPPING, "false")
        self.assertEqual(res.returncode, 77, res.stderr)

    def test_a_failure_stays_a_failure(self):
        res = self.run_file(SKIPPING.replace("pass", "self.fail('no')"), None)
        self.assertEqual(res.returncode, 1, res.stderr)


class Ctest(TestCase):
    def test_every_python_test_declares_77_and_the_harness(self):
        res = subprocess.run(["ctest", "--show-only=json-v1"], cwd=BUILD_DIR,
                             capture_output=True, text=True, check=True)
        python = [t for t in json.loads(res.stdout)["tests"]
                  if "python" in os.path.basename(t["command"][0])]
        self.assertGreater(len(python), 30)
        for t in python:
            props = {p["name"]: p["value"] for p in t["properties"]}
            self.assertEqual(props.get("SKIP_RETURN_CODE"), 77, t["name"])
            self.assertIn(f"PYTHONPATH={SOURCE_DIR}/tests/lib", props["ENVIRONMENT"], t["name"])


if __name__ == "__main__":
    main()
