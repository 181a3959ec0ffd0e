"""zsim-touch, the memory-touch workload: the old time_mmap_touch's
arguments, output format, record density and record-buffer reservation,
checked by running the built static binary, and at 2^31 pages (8 TiB) by
running the same source built with its touching and TSC stubbed out
(zsim-touch-stub: the page index stands in for the TSC, nothing is mapped
or touched)."""
import os
import re
import subprocess
import tempfile

from zsimtest import BUILD_DIR, TestCase, main

TOUCH = os.path.join(BUILD_DIR, "orchestrator", "zsim-touch")
STUB = os.path.join(BUILD_DIR, "orchestrator", "zsim-touch-stub")


def touch(*args, binary=TOUCH):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=120)


def old_rule(pages, stats_gb=16):
    """time_mmap_touch.rs:49-73: (touched, one record every F, records)."""
    nstats = (stats_gb << 30) // 8
    touched = pages - (stats_gb << 18)
    freq = 1 if touched < nstats else touched // nstats + 1
    return touched, freq, (touched - 1) // freq + 1


class Output(TestCase):
    def check(self, out, records):
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("First: "), lines[:2])
        self.assertTrue(lines[1].startswith("Last: "), lines[:2])
        first, last = int(lines[0][7:]), int(lines[1][6:])
        stamps = [int(l) for l in lines[2:]]
        self.assertEqual(len(stamps), records)
        self.assertEqual(stamps, sorted(stamps), "TSC values must not go back")
        self.assertLessEqual(first, stamps[0])
        self.assertLessEqual(stamps[-1], last)

    def test_zeros(self):
        # below time_mmap_touch's 16 GiB reservation (where it could not
        # run) only what one record a page needs is set aside: 4 pages of
        # records for 1996 touched
        res = touch("2000", "-z")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.check(res.stdout, 1996)
        self.assertEqual(res.stderr, "zsim-touch: 2000 pages: touching 1996, 4 reserved for "
                                     "1996 records (one every 1)\n")

    def test_counter_prefault_to_file(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "touch.out")
            res = touch("-c", "-p", "1500", "-o", out)
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertEqual(res.stdout, "")
            with open(out) as f:
                self.check(f.read(), 1497)
            self.assertIn(f"zsim-touch: wrote {os.path.getsize(out)} bytes to {out}\n",
                          res.stderr)

    def test_a_run_as_the_old_program_did(self):
        # 16 GiB + 1000 pages: the 16 GiB record buffer comes out of them
        pages = (16 << 18) + 1000
        res = touch(str(pages), "-z", "--stats_gb", "16")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.check(res.stdout, 1000)
        res = touch(str((1 << 18) + 300), "-c", "--stats-gb", "1")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.check(res.stdout, 300)

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
                          (["99999999999999999999", "-z"], "whole number"),
                          (["10", "-z", "--stats-gb", "0"], "--stats-gb must be"),
                          (["10", "-z", "--pftime", "5"], "unexpected argument")):
            res = touch(*args)
            self.assertEqual(res.returncode, 2, args)
            self.assertIn(why, res.stderr, args)
            self.assertIn("usage: zsim-touch PAGES", res.stderr)
            self.assertEqual(res.stdout, "")



class Density(TestCase):
    """The record density and the reservation at the sizes where they
    change, on the stub build: one record per touched page up to 2^31
    (8 TiB), then one every touched / 2^31 + 1 pages (time_mmap_touch's
    rule; zsim-touch used 2^27 before, so the old plots' x axis was wrong
    above 512 GiB)."""

    def stub(self, pages, *args):
        res = touch(str(pages), "-z", *args, binary=STUB)
        self.assertEqual(res.returncode, 0, res.stderr)
        facts = dict(re.findall(r"(?m)^([A-Za-z ]+): (\d+)$", res.stdout))
        heads = [int(v) for v in re.findall(r"(?m)^record page: (\d+)$", res.stdout)]
        return res, {k: int(v) for k, v in facts.items()}, heads

    def check_old_rule(self, pages, stats_gb=16):
        touched, freq, records = old_rule(pages, stats_gb)
        args = () if stats_gb == 16 else ("--stats-gb", str(stats_gb))
        res, f, heads = self.stub(pages, *args)
        self.assertEqual((f["touched"], f["reserved"], f["freq"], f["records"]),
                         (touched, stats_gb << 18, freq, records), pages)
        # the records fall on pages 0, F, 2F, ... up to the last touched
        self.assertEqual(heads, [0, freq, 2 * freq][:records])
        self.assertEqual(f["last record page"], (records - 1) * freq)
        self.assertLess(f["last record page"], touched)
        self.assertEqual((f["First"], f["Last"]), (0, touched - 1))
        self.assertEqual(res.stderr, f"zsim-touch: {pages} pages: touching {touched}, "
                                     f"{stats_gb << 18} reserved for {records} records (one "
                                     f"every {freq})\n")
        return f

    def test_2_27_plus_1_pages(self):
        # the old zsim-touch's switch point: still one record per page
        f = self.check_old_rule((1 << 27) + 1)
        self.assertEqual(f["freq"], 1)
        self.assertEqual(f["records"], (1 << 27) + 1 - (1 << 22))

    def test_2_31_plus_1_pages(self):
        # the 16 GiB reservation leaves fewer than 2^31 pages: one per page
        f = self.check_old_rule((1 << 31) + 1)
        self.assertEqual((f["freq"], f["records"]), (1, (1 << 31) + 1 - (1 << 22)))

    def test_past_2_31_touched_pages(self):
        # 2^31 touched (8 TiB + the reservation): one every 2 pages
        f = self.check_old_rule((1 << 31) + (1 << 22))
        self.assertEqual((f["touched"], f["freq"], f["records"]), (1 << 31, 2, 1 << 30))
        f = self.check_old_rule(3 * (1 << 31) + (1 << 22) + 7)
        self.assertEqual(f["freq"], 4)

    def test_a_smaller_record_buffer(self):
        # --stats-gb 1: 2^27 records, so the rule turns at 2^27 touched pages
        f = self.check_old_rule((1 << 27) + (1 << 18), stats_gb=1)
        self.assertEqual(f["freq"], 2)
        f = self.check_old_rule((1 << 27) + (1 << 18) - 1, stats_gb=1)
        self.assertEqual(f["freq"], 1)

    def test_at_and_below_the_reservation(self):
        # time_mmap_touch's PAGES - 2^22 wrapped here; zsim-touch sets
        # aside one page of records per 512 touched
        res, f, heads = self.stub(1 << 22)
        self.assertEqual((f["touched"], f["reserved"], f["freq"], f["records"]),
                         ((1 << 22) * 512 // 513, (1 << 22) - (1 << 22) * 512 // 513, 1,
                          (1 << 22) * 512 // 513))
        res, f, heads = self.stub((1 << 22) + 1)
        self.assertEqual((f["touched"], f["reserved"], f["records"]), (1, 1 << 22, 1))
        res, f, heads = self.stub(0)
        self.assertEqual((f["touched"], f["records"]), (0, 0))


if __name__ == "__main__":
    main()
