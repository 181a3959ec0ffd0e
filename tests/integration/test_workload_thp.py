"""memcached_and_capture_thp against Debian's real memcached, with the
instrumented kernel's /proc/compact_instrumentation (and
/proc/compact_trigger) given as plain files under ZSIM_ROOT, the workload's
path seam. What memcached holds afterwards is read with its own `stats`;
the lines are checked against the old program's format (its stdout:
"<ops> <undos>" samples, NEXT!, NEXT!, DONE!; its OUTFILE: one TSC delta
per operation, NEXT! between the stages)."""
import os
import shutil
import subprocess
import tempfile
import threading
import time

from zsimtest import TestCase, main
from test_workload_kv import Memcached, gen, prog

VALUE = 1 << 19
PUTS = (1 << 30) // VALUE  # 2048 for 1 GiB
PROG = "memcached_and_capture_thp"


class CaptureThp(TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="zsim-thp-")
        self.addCleanup(shutil.rmtree, self.tmp)

    def fake_root(self, stats="7 3\n"):
        root = tempfile.mkdtemp(dir=self.tmp)
        os.makedirs(os.path.join(root, "proc"))
        if stats is not None:
            with open(os.path.join(root, "proc", "compact_instrumentation"), "w") as f:
                f.write(stats)
        return root

    def run_thp(self, root, *args, timeout=300):
        t = time.monotonic()
        res = subprocess.run([prog(PROG), *args], capture_output=True, text=True,
                             timeout=timeout, env=dict(os.environ, ZSIM_ROOT=root))
        res.wall = time.monotonic() - t
        return res

    def test_stages_samples_and_latencies(self):
        mc = Memcached(self, "-m", "2048")
        root = self.fake_root()
        lat = os.path.join(self.tmp, "x.memcached_latency")
        res = self.run_thp(root, f"127.0.0.1:{mc.port}", "1", "1", lat)
        self.assertEqual((res.returncode, res.stderr), (0, ""))
        out = res.stdout.splitlines()
        markers = [l for l in out if l.endswith("!")]
        self.assertEqual(markers, ["NEXT!", "NEXT!", "DONE!"])
        samples = [l for l in out if not l.endswith("!")]
        # sampling goes on after DONE! until the counter settles: the
        # unchanged counter is printed once (against 0), never twice after
        self.assertGreaterEqual(len(samples), 1)
        for l in samples:
            self.assertRegex(l, r"^\d+ \d+$")
            self.assertEqual(l, "7 3")
        with open(lat) as f:
            lines = f.read().splitlines()
        self.assertEqual([i for i, l in enumerate(lines) if l == "NEXT!"],
                         [PUTS, PUTS + 1 + PUTS // 3])
        nums = [l for l in lines if l != "NEXT!"]
        self.assertEqual(len(nums), PUTS + PUTS // 3 + PUTS // 2)
        for l in nums:
            self.assertRegex(l, r"^[0-9]+$")
            self.assertGreater(int(l), 0)
        stats = mc.stats()
        self.assertEqual(int(stats["curr_items"]), PUTS - PUTS // 3 + PUTS // 2)
        self.assertEqual(int(stats["total_items"]), PUTS + PUTS // 2)
        self.assertEqual(int(stats["delete_hits"]), PUTS // 3)
        print(f"MEASURE memcached_and_capture_thp 1 GiB: {res.wall:.2f} s")

    def test_sampling_follows_the_counter_until_it_settles(self):
        mc = Memcached(self, "-m", "2048")
        root = self.fake_root("1 0\n")
        path = os.path.join(root, "proc", "compact_instrumentation")
        lat = os.path.join(self.tmp, "lat")
        # a counter that moves while the program runs: a writer of ours
        # bumps it a few times (each write replaces the file)
        stop = threading.Event()

        def bump():
            n = 1
            while not stop.wait(0.4) and n < 6:
                n += 1
                with open(path + ".new", "w") as f:
                    f.write(f"{n} {n // 2}\n")
                os.rename(path + ".new", path)
        t = threading.Thread(target=bump)
        t.start()
        try:
            res = self.run_thp(root, f"127.0.0.1:{mc.port}", "1", "1", lat)
        finally:
            stop.set()
            t.join()
        self.assertEqual((res.returncode, res.stderr), (0, ""))
        samples = [l for l in res.stdout.splitlines() if not l.endswith("!")]
        ops = [int(l.split()[0]) for l in samples]
        self.assertEqual(ops, sorted(ops))
        # no two equal samples in a row after the end: the last one printed
        # is the settled value
        self.assertEqual(ops[-1], 6)

    def test_continual_compaction_writes_the_trigger(self):
        mc = Memcached(self, "-m", "2048")
        root = self.fake_root()
        trigger = os.path.join(root, "proc", "compact_trigger")
        open(trigger, "w").close()
        res = self.run_thp(root, f"127.0.0.1:{mc.port}", "1", "1", os.devnull,
                           "--continual_compaction")
        self.assertEqual((res.returncode, res.stderr), (0, ""))
        with open(trigger, "rb") as f:
            self.assertEqual(f.read(), b"512\0")

    def test_a_kernel_without_the_counters(self):
        mc = Memcached(self, "-m", "64")
        root = self.fake_root(stats=None)
        lat = os.path.join(self.tmp, "lat")
        res = self.run_thp(root, f"127.0.0.1:{mc.port}", "1", "1", lat)
        self.assertEqual(res.returncode, 1)
        self.assertEqual(res.stdout, "")
        self.assertIn(f"cannot read {root}/proc/compact_instrumentation", res.stderr)
        self.assertIn("markm_instrumented", res.stderr)
        self.assertFalse(os.path.exists(lat))
        self.assertEqual(int(mc.stats()["total_items"]), 0)

    def test_a_full_memcached_ends_the_run(self):
        # no -M would evict; -M refuses puts once full: tried twice, then exit 1
        mc = Memcached(self, "-m", "16", "-M")
        root = self.fake_root()
        res = self.run_thp(root, f"127.0.0.1:{mc.port}", "1", "1", os.devnull)
        self.assertEqual(res.returncode, 1)
        lines = res.stdout.splitlines()
        self.assertEqual(len([l for l in lines if l.startswith("unexpected error: ")]), 2)
        self.assertRegex(lines[-1], r"^unexpected error: SERVER_ERROR (?i:out of memory)")
        self.assertNotIn("DONE!", lines)

    def test_bad_arguments(self):
        root = self.fake_root()
        for args, why in ((("127.0.0.1:1", "1", "1"), "give ADDR, GB, INTERVAL and OUTFILE"),
                          (("127.0.0.1", "1", "1", "f"), "ADDR 127.0.0.1 is not an IP:PORT"),
                          (("127.0.0.1:1", "x", "1", "f"), "GB x is not a whole number"),
                          (("127.0.0.1:1", "1", "0", "f"), "INTERVAL 0 is not a number"),
                          (("127.0.0.1:1", "1", "1", "f", "--bogus"), "unknown option --bogus"),
                          (("127.0.0.1:1", "1", "1", "f", "g"), "unexpected argument g")):
            res = self.run_thp(root, *args)
            self.assertEqual(res.returncode, 2, args)
            self.assertIn(f"{PROG}: {why}", res.stderr)
            self.assertIn("usage: " + PROG, res.stderr)
            self.assertFalse(os.path.exists(os.path.join(self.tmp, "f")))
        res = gen(PROG, "--help")
        self.assertEqual(res.returncode, 0)
        self.assertTrue(res.stdout.startswith("usage: " + PROG))


if __name__ == "__main__":
    main()
