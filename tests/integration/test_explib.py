"""The experiment library: exp00002 and exp00010 as the old runner took
them (positional arguments, short flags, underscore spellings, subcommand
words), bad input (exit 2 naming the argument), their result names under
--dry-run, `run --list` and `run EXP --help`; exp00010 really runs on this
host for time_loop, locality_mem_access and time_mmap_touch, and its files
parse as the old plotting scripts parse them."""
import glob
import json
import os
import re
import shutil
import tempfile

from zsimtest import TestCase, main, run

STAMP = r"-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d"


class ExpLib(TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.results = os.path.join(self.tmp.name, "results")
        self.conf = os.path.join(self.tmp.name, "zsim.conf")
        with open(self.conf, "w") as f:
            f.write(f"[paths]\nresults = {self.results}\nstate = {self.tmp.name}/state\n")

    def tearDown(self):
        self.tmp.cleanup()

    def zo(self, *args):
        return run("--config", self.conf, *args)

    def plan(self, exp, *args):
        res = self.zo("--dry-run", "run", exp, *args)
        self.assertRun(res, 0)
        ran = re.search(r"(?m)^would run \S+ with:(.*)$", res.out)
        wrote = re.search(r"(?m)^would write (.*)/([^/]*)\.\{([a-z_,]*)\}$", res.out)
        self.assertTrue(ran and wrote, res.out)
        self.assertEqual(wrote.group(1), self.results)
        return ran.group(1), wrote.group(2), wrote.group(3)

    def test_list_and_help(self):
        res = self.zo("run", "--list")
        self.assertRun(res, 0)
        self.assertRegex(res.out, r"(?m)^exp00002 +TSC-offsetting microbenchmarks")
        self.assertRegex(res.out, r"(?m)^exp00010 +bare-metal baseline")
        self.assertRegex(res.out, r"(?m)^exp00005 +NAS CG in a target")
        self.assertRegex(res.out, r"(?m)^exp00007 +fragmentation")
        res = self.zo("run", "exp00002", "--help")
        self.assertRun(res, 0)
        self.assertIn("usage: zsim-orch run exp00002 N [OPTIONS]", res.out)
        for alias in ("[also -t]", "[also -l]", "[also -L]", "[also -v --vm_size]",
                      "[also -C]", "[also -w]"):
            self.assertIn(alias, res.out)
        res = self.zo("run", "exp00010", "--help")
        self.assertRun(res, 0)
        for alias in ("[also time_loop]", "[also locality_mem_access]",
                      "[also time_mmap_touch]", "[also memcached]", "[also -z]", "[also -c]"):
            self.assertIn(alias, res.out)

    def test_exp00002_names_and_spellings(self):
        table = [
            (["1000", "-t"], " 1000 --time-loop", "workload_time_loop_-n1000-vm_size1024",
             "params,out,time,sim"),
            (["1000", "-t", "--vm_size", "4", "-C", "2", "-w"],
             " 1000 --time-loop --vm-size 4 --cores 2 --warmup",
             "workload_time_loop_-n1000-vm_size4", "params,out,time,sim"),
            (["800", "-l", "-v", "2"], " 800 --locality --vm-size 2",
             "workload_locality_mem_access_-n800-vm_size2", "params,local,nonlocal,time,sim"),
            (["800", "-L", "4", "-v2"], " 800 --threads 4 --vm-size 2",
             "workload_locality_mem_access_-n800-threads4-vm_size2",
             "params,local,nonlocal,time,sim"),
            (["800", "-wl"], " 800 --locality --warmup",
             "workload_locality_mem_access_-n800-vm_size1024",
             "params,local,nonlocal,time,sim"),
        ]
        for args, canonical, name, files in table:
            ran, base, exts = self.plan("exp00002", *args)
            self.assertEqual(ran, canonical, args)
            self.assertRegex(base, "^" + re.escape(name) + STAMP + "$", args)
            self.assertEqual(exts, files, args)
        self.assertFalse(os.path.exists(self.results))

    def test_exp00010_names_and_spellings(self):
        table = [
            (["time_loop", "1000"], " --time-loop 1000",
             "workload_bare_metal_-app_time_loop_-n1000"),
            (["--time-loop", "1000"], " --time-loop 1000",
             "workload_bare_metal_-app_time_loop_-n1000"),
            (["locality_mem_access", "800"], " --locality 800",
             "workload_bare_metal_-app_locality_mem_access_-n800"),
            (["time_mmap_touch", "2", "-z"], " --touch 2 --zeros",
             "workload_bare_metal_-app_time_mmap_touch_-size2-pattern_zeros_"),
            (["time_mmap_touch", "3", "-c"], " --touch 3 --counter",
             "workload_bare_metal_-app_time_mmap_touch_-size3-pattern_counter_"),
            (["memcached", "4"], " --memcached 4", "workload_bare_metal_-app_memcached_-size4"),
        ]
        for args, canonical, name in table:
            ran, base, _ = self.plan("exp00010", *args)
            self.assertEqual(ran, canonical, args)
            self.assertRegex(base, "^" + re.escape(name) + STAMP + "$", args)
        self.assertFalse(os.path.exists(self.results))

    def test_exp00007_names_and_spellings(self):
        table = [
            (["5", "-h"], " 5 --memhog", "workload_fragmentation_-app_memhog_-vm_size2048-cores1"),
            (["30", "-c", "-w", "--vm_size", "4", "-C", "2"],
             " 30 --cg --warmup --vm-size 4 --cores 2",
             "workload_fragmentation_-app_nas_cg_-warmuptrue-vm_size4-cores2"),
            (["1", "-m"], " 1 --memcached",
             "workload_fragmentation_-app_memcached_gen_data_-vm_size2048-cores1"),
            (["1", "-x"], " 1 --mix", "workload_fragmentation_-app_mix_-vm_size2048-cores1"),
        ]
        for args, canonical, name in table:
            ran, base, exts = self.plan("exp00007", *args)
            self.assertEqual(ran, canonical, args)
            self.assertRegex(base, "^" + re.escape(name) + STAMP + "$", args)
            self.assertEqual(exts, "params,out,guest_mem,time,sim")
        # -h is the runner's memhog here; --help still helps
        res = self.zo("run", "exp00007", "--help")
        self.assertRun(res, 0)
        self.assertIn("--memhog", res.out)
        self.assertIn("[also -h]", res.out)

    def test_exp00005_names_and_spellings(self):
        for args, canonical, name in (
                (["60"], " 60", "workload_nas_cg_class_e_-vm_size2048-cores1"),
                (["60", "4", "-C", "2", "-w", "--class-e"],
                 " 60 4 --cores 2 --warmup --class-e", "workload_nas_cg_class_e_-vm_size4-cores2")):
            ran, base, exts = self.plan("exp00005", *args)
            self.assertEqual(ran, canonical, args)
            self.assertRegex(base, "^" + re.escape(name) + STAMP + "$", args)
            self.assertEqual(exts, "params,out,vmstat,zswapstats,time,sim")

    def test_bad_input(self):
        for exp, args, said in (
                ("exp00002", [], "N is missing"),
                ("exp00002", ["100"], "give one workload"),
                ("exp00002", ["abc", "-t"], "N abc"),
                ("exp00002", ["100", "-t", "-l"], "-t and -l exclude each other"),
                ("exp00002", ["100", "-L", "0"], "-L 0"),
                ("exp00002", ["100", "-t", "--vm_size", "x"], "--vm_size x"),
                ("exp00002", ["100", "-t", "-q"], "-q: unknown option"),
                ("exp00010", ["time_loop"], "N|SIZE is missing"),
                ("exp00010", ["1000"], "give one workload"),
                ("exp00010", ["time_mmap_touch", "2"], "time_mmap_touch needs -z or -c"),
                ("exp00010", ["time_loop", "5", "-z"], "-z needs"),
                ("exp00010", ["time_loop", "locality_mem_access", "5"], "exclude each other"),
                ("exp00010", ["time_loop", "5", "6"], "unexpected argument '6'"),
                ("exp00007", ["5"], "give one workload"),
                ("exp00005", [], "DURATION is missing"),
                ("exp00005", ["60", "x"], "VMSIZE x"),
                ("exp00005", ["60", "--class-e", "--class-f"], "exclude each other"),
                ("exp00007", ["0", "-h"], "INTERVAL 0"),
                ("exp00007", ["5", "-h", "-c"], "-c and -h exclude each other")):
            res = self.zo("run", exp, *args)
            self.assertRun(res, 2)
            self.assertIn(said, res.err, (exp, args))
        self.assertFalse(os.path.exists(self.results))

    def result(self, res, exts):
        self.assertRun(res, 0)
        m = re.search(r"^RESULTS: (.*)\.\*$", res.out.splitlines()[-1])
        self.assertTrue(m, res.out)
        base = m.group(1)
        for ext in ("params", "time", "sim") + exts:
            self.assertTrue(os.path.exists(f"{base}.{ext}"), ext)
        with open(base + ".params") as f:
            return base, json.load(f)

    def test_exp00010_on_this_host(self):
        base, params = self.result(self.zo("run", "exp00010", "time_loop", "1000"), ("out",))
        self.assertEqual((params["workload"], params["app"], params["exp"], params["n"]),
                         ("bare_metal", "time_loop", 10, 1000))
        self.assertEqual(params["workload_settings"], {"TimeLoop": {"n": 1000}})
        self.assertEqual(params["workload_cpu"], "0")
        with open(base + ".out") as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 1000)
        stamps = [int(re.match(r"^(\d+)$", l).group(1)) for l in lines]
        self.assertEqual(stamps, sorted(stamps))
        with open(base + ".time") as f:
            self.assertEqual([l.split(":")[0] for l in f],
                             ["preflight", "workload", "collect", "total"])

        base, params = self.result(
            self.zo("run", "exp00010", "locality_mem_access", "800", "--region-mib", "16"),
            ("local", "nonlocal"))
        self.assertFalse(os.path.exists(base + ".out"))
        for ext in ("local", "nonlocal"):
            with open(f"{base}.{ext}") as f:
                lines = f.read().splitlines()
            self.assertEqual(len(lines), 800, ext)
            for l in lines:
                self.assertRegex(l, r"^\d+$")

        # zsim-touch reserves 16 GB of records by default: 1 GB is all records
        base, params = self.result(self.zo("run", "exp00010", "time_mmap_touch", "1", "-c"),
                                   ("out",))
        self.assertEqual(params["workload_settings"],
                         {"TimeMmapTouch": {"size": 1, "pattern": "Counter"}})
        with open(base + ".out") as f:
            lines = f.read().splitlines()
        self.assertTrue(lines[0].startswith("First: ") and lines[1].startswith("Last: "))

    def test_exp00010_memcached(self):
        if not shutil.which("memcached"):
            res = self.zo("run", "exp00010", "memcached", "1")
            self.assertRun(res, 3)
            self.assertIn("this host has no memcached; install the memcached package", res.err)
            return
        base, params = self.result(self.zo("run", "exp00010", "memcached", "1"), ("out",))
        self.assertEqual(params["workload_settings"], {"Memcached": {"size": 1}})
        self.assertFalse(os.path.exists(base + ".memcached-pid"))
        with open(base + ".out") as f:
            lines = f.read().splitlines()
        # the plots' and the CSV converter's regexes; OOM is allowed
        done = [l for l in lines
                if re.match(r"^DONE (\d+) Duration \{ secs: (\d+), nanos: (\d+) \} 0$", l)]
        self.assertGreater(len(done), 0)
        for l in lines:
            if l not in done:
                self.assertTrue(l.startswith("memcached returned error: "), l)

if __name__ == "__main__":
    main()
