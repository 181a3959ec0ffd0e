"""The workloads run in the target, checked by running the built static
binaries: time_loop, locality_mem_access and hog keep the old programs'
arguments and the output formats the plotting scripts parse; all of them
are static. zsim-touch (the old time_mmap_touch) is in test_touch.py;
memcached_gen_data and redis_gen_data, which need servers, are in
test_workload_kv.py."""
import os
import re
import signal
import subprocess
import tempfile
import time

from zsimtest import BUILD_DIR, WORKLOADS, TestCase, main

# the data converter's single-number line (0sim-plotting-scripts
# data-converter/src/main.rs) and what the cycle plots float()
NUMBER = re.compile(r"^(\d+)$")


def prog(name):
    return os.path.join(BUILD_DIR, "orchestrator", name)


def workload(name, *args, pin=None, timeout=120):
    cmd = [prog(name), *args]
    if pin is not None:
        cmd = ["taskset", "-c", str(pin), *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def to_full_disk(name, *args, timeout=300):
    """The program with its stdout on /dev/full: every write fails (ENOSPC)."""
    with open("/dev/full", "w") as full:
        return subprocess.run([prog(name), *args], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=timeout)


class Static(TestCase):
    def test_static(self):
        for name in WORKLOADS:
            res = subprocess.run(["ldd", prog(name)], capture_output=True, text=True)
            self.assertIn("not a dynamic executable", res.stdout + res.stderr, name)


class BadArguments(TestCase):
    """Exit 2, the reason and the usage on stderr, nothing on stdout."""
    def check(self, name, cases):
        for args, why in cases:
            res = workload(name, *args)
            self.assertEqual(res.returncode, 2, (name, args, res.stderr))
            self.assertIn(f"{name}: {why}", res.stderr, args)
            self.assertIn(f"usage: {name} ", res.stderr, args)
            self.assertEqual(res.stdout, "", args)

    def test_time_loop(self):
        self.check("time_loop", (([], "give exactly one argument"),
                                 (["1", "2"], "give exactly one argument"),
                                 (["-5"], "give exactly one argument"),
                                 (["abc"], "abc is not a whole number"),
                                 (["99999999999999999999"],
                                  "99999999999999999999 is not a whole number")))

    def test_hog(self):
        self.check("hog", (([], "give exactly one argument"),
                           (["x"], "x is not a whole number")))

    def test_locality(self):
        self.check("locality_mem_access", (
            (["10"], "give one of -l and -n"),
            (["-l", "-n", "10"], "give one of -l and -n"),
            (["-l"], "give N, the number of accesses, once"),
            (["-l", "1", "2"], "give N, the number of accesses, once"),
            (["-n", "ten"], "N ten is not a whole number"),
            (["-l", "8", "-t"], "-t needs a value"),
            (["-l", "8", "-t", "many"], "-t many is not a number of threads"),
            (["-l", "8", "--region-mib", "0"], "--region-mib 0 is not a size in MiB"),
            (["-l", "8", "-x"], "unknown option -x")))

    def test_help(self):
        for name in ("time_loop", "hog", "locality_mem_access"):
            res = workload(name, "--help")
            self.assertEqual(res.returncode, 0, name)
            self.assertTrue(res.stdout.startswith(f"usage: {name} "), res.stdout)


class TimeLoop(TestCase):
    def test_n_absolute_tsc_values(self):
        res = workload("time_loop", "5000", pin=0)
        self.assertEqual(res.returncode, 0, res.stderr)
        lines = res.stdout.splitlines()
        self.assertEqual(len(lines), 5000)
        self.assertTrue(all(NUMBER.match(l) for l in lines))
        stamps = [int(l) for l in lines]
        self.assertEqual(stamps, sorted(stamps), "TSC values must not go back")
        # absolute values: this machine has been up longer than a million cycles
        self.assertGreater(stamps[0], 10**6)

    def test_zero(self):
        res = workload("time_loop", "0")
        self.assertEqual((res.returncode, res.stdout, res.stderr), (0, "", ""))

    def test_values_that_cannot_be_written(self):
        res = to_full_disk("time_loop", "1000")
        self.assertEqual(res.returncode, 1)
        self.assertEqual(res.stderr, "time_loop: writing the values: No space left on device\n")

    def test_more_values_than_memory(self):
        n = str((1 << 64) // 8 - 1)  # the largest N it takes: 2^64 bytes of values
        res = workload("time_loop", n)
        self.assertEqual((res.returncode, res.stdout), (1, ""))
        self.assertEqual(res.stderr, f"time_loop: no memory for {n} values\n")


class Locality(TestCase):
    def counts(self, res, n):
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stderr, "")
        lines = res.stdout.splitlines()
        self.assertEqual(len(lines), n)
        self.assertTrue(all(NUMBER.match(l) for l in lines), lines[:5])
        return [int(l) for l in lines]

    def test_local_rounds_of_eight(self):
        self.counts(workload("locality_mem_access", "-l", "100", "--region-mib", "16"), 96)
        self.counts(workload("locality_mem_access", "-l", "7", "--region-mib", "16"), 0)

    def test_nonlocal_in_the_full_4gib_region(self):
        # the original's region: 4 GiB, populated before the first access
        self.counts(workload("locality_mem_access", "-n", "500", timeout=300), 500)

    def test_threads_each_do_all_accesses(self):
        self.counts(workload("locality_mem_access", "-n", "40", "-t", "3",
                             "--region-mib", "16"), 120)
        self.counts(workload("locality_mem_access", "--threads=2", "-l", "16",
                             "--region-mib", "16"), 32)
        self.counts(workload("locality_mem_access", "-n", "40", "-t", "0"), 0)

    def test_threads_pin_within_the_allowed_cpus(self):
        # allowed only CPU 1, thread 0 goes there (the original would ask
        # for CPU 0 and fail)
        self.counts(workload("locality_mem_access", "-n", "10", "-t", "2",
                             "--region-mib", "16", pin=1), 20)

    def test_counts_that_cannot_be_written(self):
        for args in (("-l", "64"), ("-n", "64", "-t", "2")):
            res = to_full_disk("locality_mem_access", *args, "--region-mib", "16")
            self.assertEqual(res.returncode, 1, args)
            self.assertEqual(res.stderr, "locality_mem_access: writing the cycle counts: "
                                         "No space left on device\n", args)

    def test_region_that_cannot_be_mapped(self):
        res = workload("locality_mem_access", "-n", "10", "--region-mib", str(1 << 30))
        self.assertEqual(res.returncode, 1)
        self.assertEqual(res.stdout, "")
        self.assertIn("locality_mem_access: cannot map a 1073741824 MiB region: ", res.stderr)


class Hog(TestCase):
    """hog in a mount namespace of its own with a private /tmp, so the test
    never touches the host's /tmp/hog_ready."""
    def start(self, pages, then=":"):
        err = tempfile.TemporaryFile(mode="w+")
        self.addCleanup(err.close)
        proc = subprocess.Popen(
            # opened before the mount: the build tree may be under /tmp
            ["unshare", "-m", "sh", "-c",
             'exec 3<"$0" && mount -t tmpfs zsim-hog /tmp && ' + then +
             ' && exec /proc/self/fd/3 "$1"',
             prog("hog"), str(pages)], stdout=subprocess.DEVNULL, stderr=err)
        self.addCleanup(self.stop, proc)
        return proc, err

    def stop(self, proc):
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    def stderr(self, err):
        err.seek(0)
        return err.read()

    def test_touches_then_says_ready_and_stays(self):
        pages = 25600  # 100 MiB
        proc, err = self.start(pages)
        ready = f"/proc/{proc.pid}/root/tmp/hog_ready"
        deadline = time.monotonic() + 60
        while not os.path.exists(ready):
            if proc.poll() is not None:
                self.fail(f"hog exited {proc.returncode}: {self.stderr(err)}")
            self.assertLess(time.monotonic(), deadline, "no /tmp/hog_ready")
            time.sleep(0.05)
        with open(f"/proc/{proc.pid}/status") as f:
            status = dict(l.split(":", 1) for l in f if ":" in l)
        self.assertTrue(os.readlink(f"/proc/{proc.pid}/exe").endswith("/hog"))
        self.assertGreaterEqual(int(status["RssAnon"].split()[0]), pages * 4)
        time.sleep(0.5)
        self.assertIsNone(proc.poll(), "hog must stay until killed")
        self.assertEqual(os.stat(ready).st_size, 0)

    def test_cannot_say_ready(self):
        # /tmp/hog_ready is a directory: it takes the memory, then cannot
        # make the file the runner waits for, and says so
        proc, err = self.start(256, then="mkdir /tmp/hog_ready")
        self.assertEqual(proc.wait(timeout=60), 1)
        self.assertEqual(self.stderr(err), "hog: cannot create /tmp/hog_ready: Is a directory\n")

    def test_cannot_map(self):
        proc, err = self.start(1 << 40)
        self.assertEqual(proc.wait(timeout=60), 1)
        self.assertIn("hog: cannot map 1099511627776 pages: ", self.stderr(err))


if __name__ == "__main__":
    main()
