"""The experiment library: exp00002 and exp00010 as the old runner took
them (positional arguments, short flags, underscore spellings, subcommand
words), bad input (exit 2 naming the argument), their result names under
--dry-run, `run --list` and `run EXP --help`; exp00010 really runs on this
host for time_loop, locality_mem_access and time_mmap_touch, and its files
parse as the old plotting scripts parse them."""
import glob
import os
import re
import shutil

from zsimtest import main
from zsimtest.exp import STAMP, ExpCase



class ExpLib(ExpCase):
    def test_list_and_help(self):
        res = self.zo("run", "--list")
        self.assertRun(res, 0)
        self.assertRegex(res.out, r"(?m)^exp00002 +TSC-offsetting microbenchmarks")
        self.assertRegex(res.out, r"(?m)^exp00010 +bare-metal baseline")
        self.assertRegex(res.out, r"(?m)^exp00005 +NAS CG in a target")
        self.assertRegex(res.out, r"(?m)^exp00007 +fragmentation")
        self.assertRegex(res.out, r"(?m)^exp00009 +exp00000's workload in a target while the "
                                  r"host builds a Linux kernel$")
        res = self.zo("run", "exp00002", "--help")
        self.assertRun(res, 0)
        self.assertIn("usage: zsim-orch run exp00002 N [OPTIONS]", res.out)
        for alias in ("[also -t]", "[also -l]", "[also -L]", "[also -v --vm_size]",
                      "[also -C]", "[also -w]"):
            self.assertIn(alias, res.out)
        res = self.zo("run", "exp00009", "--help")
        self.assertRun(res, 0)
        self.assertIn("usage: zsim-orch run exp00009 VMSIZE CORES [OPTIONS]", res.out)
        for alias in ("[also -z]", "[also -c]", "[also -m]", "[also -w]", "[also -p]",
                      "[also -s]"):
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
            (["2", "-r", "-C", "3"], " 2 --redis --cores 3",
             "workload_fragmentation_-app_redis_-vm_size2048-cores3"),
            (["2", "-M", "--vm-size", "8"], " 2 --metis --vm-size 8",
             "workload_fragmentation_-app_metis_-vm_size8-cores1"),
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

    def fake_tree(self, path, full=True):
        """A directory shaped like a Linux source tree (or, not full, like
        the headers kernel-devel and linux-headers install)."""
        os.makedirs(os.path.join(path, "include", "linux"))
        with open(os.path.join(path, "Makefile"), "w") as f:
            f.write("all:\n")
        if full:
            os.makedirs(os.path.join(path, "init"))
            os.makedirs(os.path.join(path, "kernel"))
            open(os.path.join(path, "init", "main.c"), "w").close()
        return path

    def kbuild_conf(self, **kbuild):
        with open(self.conf, "a") as f:
            f.write("[kbuild]\n")
            for k, v in kbuild.items():
                f.write(f"{k} = {v}\n")

    def test_exp00009_names_spellings_and_plan(self):
        tree = self.fake_tree(os.path.join(self.tmp.name, "linux"))
        self.kbuild_conf(source=tree, config="tinyconfig", jobs="3")
        table = [
            (["4", "1", "-z"], " 4 1 --zeros", "workload_time_mmap_touch_host_kbuild_-vm_size4"),
            (["4", "2", "-c", "-w", "-p", "-s", "2"], " 4 2 --counter --warmup --prefault --size 2",
             "workload_time_mmap_touch_host_kbuild_-vm_size4-cores2-size2"),
            (["8", "1", "-wm", "-s3"], " 8 1 --memcached --warmup --size 3",
             "workload_memcached_gen_data_host_kbuild_-vm_size8-size3"),
            (["2", "1", "--counter"], " 2 1 --counter",
             "workload_time_mmap_touch_host_kbuild_-vm_size2"),
        ]
        for args, canonical, name in table:
            ran, base, exts = self.plan("exp00009", *args)
            self.assertEqual(ran, canonical, args)
            self.assertRegex(base, "^" + re.escape(name) + STAMP + "$", args)
            self.assertEqual(exts, "params,out,kbuild,time,sim", args)
        res = self.zo("--dry-run", "run", "exp00009", "4", "1", "-z")
        self.assertRun(res, 0)
        self.assertIn(f"would run in {tree}: make clean; tinyconfig\n", res.out)
        self.assertIn(f"would run make -j 3 all in {tree} on the host while the workload "
                      "runs, stopped when it ends\n", res.out)
        self.assertNotIn("would unpack", res.out)
        self.assertFalse(os.path.exists(self.results))
        self.assertEqual(sorted(os.listdir(tree)), ["Makefile", "include", "init", "kernel"])

    def root_with(self, *files, release="6.1.0-zsim"):
        """A --root tree holding `files` (empty) and a running kernel."""
        root = os.path.join(self.tmp.name, "root")
        os.makedirs(os.path.join(root, "proc", "sys", "kernel"))
        with open(os.path.join(root, "proc", "sys", "kernel", "osrelease"), "w") as f:
            f.write(release + "\n")
        for name in files:
            os.makedirs(os.path.dirname(root + name), exist_ok=True)
            open(root + name, "w").close()
        return root

    def test_exp00009_finds_an_installed_source(self):
        # Debian's linux-source tarballs: the newest is built, unpacked under
        # [paths] state; the running kernel's config when [kbuild] config is
        # left at current (the runner's)
        root = self.root_with("/usr/src/linux-source-5.10.tar.xz", "/usr/src/linux-source-6.1.tar.xz",
                              "/boot/config-6.1.0-zsim")
        res = self.zo("--root", root, "--dry-run", "run", "exp00009", "4", "1", "-m")
        self.assertRun(res, 0)
        tree = f"{root}{self.tmp.name}/state/kbuild/linux-source-6.1"
        self.assertIn(f"would unpack {root}/usr/src/linux-source-6.1.tar.xz into {tree} (once: "
                      "reused while the tarball is unchanged)\n", res.out)
        self.assertIn(f"would run in {tree}: make clean; the running kernel's config with "
                      "PAGE_TABLE_ISOLATION and RETPOLINE off, FRAME_POINTER on, make "
                      "olddefconfig\n", res.out)
        self.assertIn(f"would run make -j {os.cpu_count()} all in {tree}", res.out)
        self.assertFalse(os.path.exists(os.path.join(root, self.tmp.name.lstrip("/"))))

        # else a full tree at /usr/src/linux
        shutil.rmtree(root)
        root = self.root_with("/boot/config-6.1.0-zsim")
        self.fake_tree(root + "/usr/src/linux")
        res = self.zo("--root", root, "--dry-run", "run", "exp00009", "4", "1", "-z")
        self.assertRun(res, 0)
        self.assertIn(f"would run make -j {os.cpu_count()} all in {root}/usr/src/linux on the "
                      "host", res.out)

    def test_exp00009_refused_without_a_source_tree(self):
        how = ("install Debian's linux-source (apt-get install linux-source: "
               "/usr/src/linux-source-*.tar.xz), or unpack a kernel.org release (the old runner "
               "built linux-5.1.4.tar.xz) and set [kbuild] source to its directory or tarball "
               f"in {self.conf}; CentOS's kernel-devel holds only headers, which build no kernel")
        # nothing installed: refused before anything boots, with .err
        root = self.root_with("/boot/config-6.1.0-zsim")
        self.fake_tree(root + "/usr/src/kernels/6.1.0-zsim", full=False)
        said = ("no Linux source tree for the host's kernel build ([kbuild] source is empty, "
                "and neither /usr/src/linux-source-*.tar.* nor a full tree at /usr/src/linux is "
                "there): " + how)
        res = self.zo("--root", root, "--dry-run", "run", "exp00009", "4", "1", "-z")
        self.assertRun(res, 3)
        self.assertIn(said, res.err)
        res = self.zo("--root", root, "run", "exp00009", "4", "1", "-z")
        self.assertRun(res, 3)
        self.assertIn(f"exp00009 failed in phase preflight: {said}", res.err)
        err = glob.glob(f"{root}{self.results}/workload_time_mmap_touch_host_kbuild_*.err")
        self.assertEqual(len(err), 1, res.out)
        with open(err[0]) as f:
            self.assertEqual(f.read(), f"phase: preflight\nerror: {said}\n")
        with open(err[0][:-3] + "time") as f:
            self.assertEqual([l.split(":")[0] for l in f], ["preflight", "total"])

        # a configured source that is missing, or only headers
        for source, why in (
                ("/nowhere/linux", f"[kbuild] source = /nowhere/linux in {self.conf}: "
                                   "No such file or directory; "),
                ("/usr/src/kernels/6.1.0-zsim",
                 f"[kbuild] source = /usr/src/kernels/6.1.0-zsim in {self.conf} is neither a "
                 "full Linux source tree (with Makefile, init/main.c and kernel/) nor a .tar.* "
                 "of one; ")):
            with open(self.conf, "w") as f:
                f.write(f"[paths]\nresults = {self.results}\n[kbuild]\nsource = {source}\n")
            res = self.zo("--root", root, "--dry-run", "run", "exp00009", "4", "1", "-c")
            self.assertRun(res, 3)
            self.assertIn(why + how, res.err)

        # the runner's config needs the running kernel's
        os.unlink(root + "/boot/config-6.1.0-zsim")
        self.fake_tree(root + "/usr/src/linux")
        with open(self.conf, "w") as f:
            f.write(f"[paths]\nresults = {self.results}\n")
        res = self.zo("--root", root, "--dry-run", "run", "exp00009", "4", "1", "-c")
        self.assertRun(res, 3)
        self.assertIn("[kbuild] config = current builds the running kernel's config, but "
                      f"{root}/boot/config-6.1.0-zsim is not there; set [kbuild] config = "
                      f"defconfig in {self.conf}", res.err)
        with open(self.conf, "a") as f:
            f.write("[kbuild]\nconfig = defconfig\n")
        res = self.zo("--root", root, "--dry-run", "run", "exp00009", "4", "1", "-c")
        self.assertRun(res, 0)
        self.assertIn(f"would run in {root}/usr/src/linux: make clean; defconfig", res.out)

    # Every argument of exp00002, 5, 7, 9 and 10 given wrong: exit 2 and the
    # argument named as the user spelled it.
    BAD_INPUT = (
        ("exp00002", [], "N is missing"),
        ("exp00002", ["100"], "give one workload"),
        ("exp00002", ["abc", "-t"], "N abc"),
        ("exp00002", ["0", "-t"], "N 0: use a whole number from 1 to 1099511627776"),
        ("exp00002", ["100", "-t", "-l"], "-t and -l exclude each other"),
        ("exp00002", ["100", "-L", "0"], "-L 0"),
        ("exp00002", ["100", "-L", "5000"], "-L 5000: use a whole number from 1 to 4096"),
        ("exp00002", ["100", "-L"], "-L needs a value (THREADS)"),
        ("exp00002", ["100", "-t", "--vm_size", "x"], "--vm_size x"),
        ("exp00002", ["100", "-t", "--vm-size", "0"], "--vm-size 0: use a whole number"),
        ("exp00002", ["100", "-t", "-v", "2000000"], "-v 2000000: use a whole number from 1 "
                                                     "to 1048576"),
        ("exp00002", ["100", "-t", "--cores", "0"], "--cores 0: use a whole number from 1"),
        ("exp00002", ["100", "-t", "-C", "5000"], "-C 5000: use a whole number from 1 to 4096"),
        ("exp00002", ["100", "-l", "--region-mib", "0"], "--region-mib 0: use a whole number"),
        ("exp00002", ["100", "-t", "--warmup=yes"], "--warmup takes no value"),
        ("exp00002", ["100", "-t", "5"], "unexpected argument '5'"),
        ("exp00002", ["100", "-t", "-q"], "-q: unknown option"),
        ("exp00005", [], "DURATION is missing"),
        ("exp00005", ["0"], "DURATION 0: use a whole number from 1 to 2592000"),
        ("exp00005", ["2592001"], "DURATION 2592001"),
        ("exp00005", ["60", "x"], "VMSIZE x"),
        ("exp00005", ["60", "0"], "VMSIZE 0"),
        ("exp00005", ["60", "4", "-C", "0"], "-C 0: use a whole number from 1 to 4096"),
        ("exp00005", ["60", "4", "--cores"], "--cores needs a value (N)"),
        ("exp00005", ["60", "4", "5"], "unexpected argument '5'"),
        ("exp00005", ["60", "--class-e", "--class-f"], "--class-e and --class-f exclude each other"),
        ("exp00005", ["60", "-x"], "-x: unknown option for exp00005"),
        ("exp00007", [], "INTERVAL is missing"),
        ("exp00007", ["5"], "give one workload"),
        ("exp00007", ["0", "-h"], "INTERVAL 0"),
        ("exp00007", ["x", "-m"], "INTERVAL x: use a whole number from 1 to 86400"),
        ("exp00007", ["86401", "-r"], "INTERVAL 86401"),
        ("exp00007", ["5", "-h", "-c"], "-c and -h exclude each other"),
        ("exp00007", ["5", "-m", "-r"], "-m and -r exclude each other"),
        ("exp00007", ["5", "-x", "-M"], "-M and -x exclude each other"),
        ("exp00007", ["5", "-h", "--vm_size", "0"], "--vm_size 0: use a whole number"),
        ("exp00007", ["5", "-m", "-C", "x"], "-C x: use a whole number from 1 to 4096"),
        ("exp00007", ["5", "-h", "7"], "unexpected argument '7'"),
        ("exp00007", ["5", "-h", "--eager"], "--eager: unknown option for exp00007"),
        ("exp00009", [], "VMSIZE is missing"),
        ("exp00009", ["4"], "CORES is missing"),
        ("exp00009", ["4", "1"], "give one workload: -z (zeros), -c (counter) or -m "
                                 "(memcached)"),
        ("exp00009", ["0", "1", "-z"], "VMSIZE 0: use a whole number from 1 to 1048576"),
        ("exp00009", ["4", "0", "-z"], "CORES 0: use a whole number from 1 to 4096"),
        ("exp00009", ["4", "x", "-c"], "CORES x"),
        ("exp00009", ["4", "1", "-z", "-m"], "-z and -m exclude each other"),
        ("exp00009", ["4", "1", "-z", "-c"], "-z and -c exclude each other"),
        ("exp00009", ["4", "1", "-z", "-s", "0"], "-s 0: use a whole number from 1"),
        ("exp00009", ["4", "1", "-z", "-s", "5"], "-s 5 is larger than the target (4 GB)"),
        ("exp00009", ["4", "1", "-c", "--size=x"], "--size x: use a whole number"),
        ("exp00009", ["4", "1", "-z", "-s"], "-s needs a value (GB)"),
        ("exp00009", ["4", "1", "-z", "x"], "unexpected argument 'x'"),
        ("exp00009", ["4", "1", "-r"], "-r: unknown option for exp00009"),
        ("exp00009", ["4", "1", "-M"], "-M: unknown option for exp00009"),
        ("exp00010", ["time_loop"], "N|SIZE is missing"),
        ("exp00010", ["1000"], "give one workload"),
        ("exp00010", ["time_loop", "0"], "N|SIZE 0: use a whole number from 1"),
        ("exp00010", ["memcached", "x"], "N|SIZE x"),
        ("exp00010", ["time_mmap_touch", "2"], "time_mmap_touch needs -z or -c"),
        ("exp00010", ["time_mmap_touch", "2", "-z", "-c"], "-z and -c exclude each other"),
        ("exp00010", ["time_loop", "5", "-z"], "-z needs"),
        ("exp00010", ["locality_mem_access", "5", "-c"], "-c needs --touch"),
        ("exp00010", ["time_loop", "5", "--region-mib", "0"], "--region-mib 0"),
        ("exp00010", ["time_loop", "locality_mem_access", "5"],
         "time_loop and locality_mem_access exclude each other"),
        ("exp00010", ["time_loop", "5", "6"], "unexpected argument '6'"),
    )

    def test_bad_input(self):
        for exp, args, said in self.BAD_INPUT:
            res = self.zo("run", exp, *args)
            self.assertRun(res, 2)
            self.assertIn(f"zsim-orch: error: run {exp}: {said}", res.err, (exp, args))
            self.assertEqual(res.out, "", (exp, args))
        self.assertFalse(os.path.exists(self.results))

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
        self.assert_locality(base, 800)

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
