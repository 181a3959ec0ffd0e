"""zsim-touch, the memory-touch workload: the old time_mmap_touch's
arguments and output format, checked by running the built static binary."""
import os
import subprocess
import tempfile

from zsimtest import BUILD_DIR, TestCase, main

TOUCH = os.path.join(BUILD_DIR, "orchestrator", "zsim-touch")


def touch(*args):
    return subprocess.run([TOUCH, *args], capture_output=True, text=True, timeout=60)


class Output(TestCase):
    def check(self, out, pages):
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("First: "), lines[:2])
        self.assertTrue(lines[1].startswith("Last: "), lines[:2])
        first, last = int(lines[0][7:]), int(lines[1][6:])
        stamps = [int(l) for l in lines[2:]]
        self.assertEqual(len(stamps), pages)
        self.assertEqual(stamps, sorted(stamps), "TSC values must not go back")
        self.assertLessEqual(first, stamps[0])
        self.assertLessEqual(stamps[-1], last)

    def test_zeros(self):
        res = touch("2000", "-z")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.check(res.stdout, 2000)

    def test_counter_prefault_to_file(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "touch.out")
            res = touch("-c", "-p", "1500", "-o", out)
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertEqual(res.stdout, "")
            with open(out) as f:
                self.check(f.read(), 1500)

    def test_no_pages(self):
        res = touch("0", "-z")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(len(res.stdout.splitlines()), 2)

    def test_static(self):
        res = subprocess.run(["ldd", TOUCH], capture_output=True, text=True)
        self.assertIn("not a dynamic executable", res.stdout + res.stderr)

    def test_bad_arguments(self):
        for args, why in ((["10"], "one of -z and -c"),
                          (["-z"], "give PAGES"),
                          (["10", "-z", "-c"], "one of -z and -c"),
                          (["abc", "-z"], "whole number"),
                          (["-5", "-z"], "unexpected argument"),
                          (["10", "-z", "-x"], "unexpected argument"),
                          (["99999999999999999999", "-z"], "whole number")):
            res = touch(*args)
            self.assertEqual(res.returncode, 2, args)
            self.assertIn(why, res.stderr, args)
            self.assertIn("usage: zsim-touch PAGES", res.stderr)
            self.assertEqual(res.stdout, "")


if __name__ == "__main__":
    main()
