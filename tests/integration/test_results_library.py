"""zsim-orch results on every data format of the experiment library, from
files the real programs wrote: exp00010 run here for time_loop and
locality_mem_access; memcached_gen_data and redis_gen_data against Debian's
real memcached and redis-server, time_loop and locality_mem_access run
here, this kernel's /proc/buddyinfo and /proc/vmstat, and coreutils' tail
over zswap counter files, each laid out as exp00000 -m/-r, exp00002,
exp00007 and exp00005 write their result sets. The expected figures are
computed here from the same files (the old plotting scripts' regexes,
sorted lists); the CSV is read with Python's csv module, the figures with
the PNG decoder of test_results. Bad input: truncated and garbled files, a
set with a file missing, sets of different experiments compared."""
import csv
import io
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import time

import test_results as tr
from test_workload_kv import Memcached, Redis, prog
from zsimtest import TestCase, main, run, tree_digest

GIB = 1 << 30
# 0sim-plotting-scripts: plot-memcached_gen_data-*.py, data-converter, plot-buddyinfo-over-time.py
DONE = re.compile(r"^DONE [0-9]+ Duration { secs: ([0-9]+), nanos: ([0-9]+) }( [0-9]+)?$")
DONE_I = re.compile(r"^DONE ([0-9]+) ")
SINGLE = re.compile(r"^(\d+)$")
BUDDY = re.compile(r"^Node\s+\d+,\s+zone\s+(DMA|DMA32|Normal)((\s+\d+)+)\s*$")


def mid(v):
    """The middle of the log-spaced bucket holding v (128 a power of two,
    exact below 256): what results reports as a percentile."""
    if v < 256:
        return float(v)
    k = v.bit_length() - 1 - 7
    return ((v >> k) << k) + ((1 << k) - 1) / 2


def pct(values, frac):
    return mid(tr.quantile(values, frac))


def cdf(values, scale):
    counts = {}
    for v in values:
        counts[tr.hist_top(v)] = counts.get(tr.hist_top(v), 0) + 1
    out, cum = [], 0
    for top in sorted(counts):
        cum += counts[top]
        out.append((top * scale, cum / len(values)))
    return out


def lines_of(path):
    with open(path) as f:
        return f.read().splitlines()


class Library(TestCase):
    check_png = tr.Results.check_png
    read_dat = tr.Results.read_dat
    assertSeries = tr.Results.assertSeries

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="zsim-results-lib.")
        self.results = os.path.join(self.tmp, "results")
        self.conf = os.path.join(self.tmp, "zsim.conf")
        with open(self.conf, "w") as f:
            f.write(f"[paths]\nresults = {self.results}\nstate = {self.tmp}/state\n")

    def tearDown(self):
        if not os.environ.get("KEEP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def zo(self, *args, **kw):
        return run("--config", self.conf, *args, env={"TZ": "UTC"}, timeout=300, **kw)

    # ---- result sets as the experiments write them ------------------------

    def exp00010(self, *args):
        res = self.zo("run", "exp00010", *args)
        self.assertRun(res, 0)
        base = re.search(r"^RESULTS: (.*)\.\*$", res.out.splitlines()[-1]).group(1)
        with open(base + ".params") as f:
            return base, json.load(f)

    def lay(self, base, experiment, settings, runner, files, stamp):
        """A zsim .params (settings as zsim's schema records them, the
        runner's settings beside them, the TSC frequency this host
        recorded) and the data files."""
        stem = os.path.join(self.results, base)
        p = {"experiment": experiment, "args": [], "settings": settings, "timestamp": stamp,
             "results": base, "zsim_orch_version": "0.1.0", "kernel": os.uname().release,
             "hostname": "node1", "tsc_khz": self.khz, "tsc_khz_source": "measured"}
        p.update(runner)
        with open(stem + ".params", "w") as f:
            json.dump(p, f, indent=2)
        for ext, text in files.items():
            with open(f"{stem}.{ext}", "w") as f:
                f.write(text)
        with open(stem + ".time", "w") as f:
            f.write("preflight: 0.100 s\nworkload: 2.000 s\ntotal: 2.500 s\n")
        return stem

    def kv(self, server, client, addr, vm_size, stamp):
        res = subprocess.run([prog(client), addr, "1", "--freq", str(self.khz // 1000)],
                             capture_output=True, text=True, timeout=300)
        self.assertEqual(res.returncode, 0, res.stderr)
        app = "Memcached" if server == "memcached" else "Redis"
        return self.lay(f"workload_bmk_-app_{app}_-vm_size{vm_size}-{stamp}", "exp00000",
                        {"vm_size": vm_size, "cores": 1, "workload": client, "size": 1},
                        {"workload": "bmk", "app": app, "exp": 0, "vm_size": vm_size},
                        {"out": res.stdout}, f"{stamp[:10]}T{stamp[11:].replace('-', ':')}+0000")

    template = None  # the sets, made once, copied for each test

    def populate(self):
        cls = type(self)
        if cls.template is None:
            cls.template = tempfile.mkdtemp(prefix="zsim-results-lib-sets.")
            saved = self.results, self.conf
            self.results = os.path.join(cls.template, "results")
            self.conf = os.path.join(cls.template, "zsim.conf")
            with open(self.conf, "w") as f:
                f.write(f"[paths]\nresults = {self.results}\nstate = {cls.template}/state\n")
            cls.sets, cls.khz = self.make_sets(), self.khz
            self.results, self.conf = saved
        shutil.copytree(os.path.join(cls.template, "results"), self.results)
        return {k: v.replace(os.path.join(cls.template, "results"), self.results)
                for k, v in cls.sets.items()}

    @classmethod
    def tearDownClass(cls):
        if cls.template:
            shutil.rmtree(cls.template, ignore_errors=True)

    def make_sets(self):
        sets = {}
        # exp00010 here, for real
        sets["tl10"], p = self.exp00010("time_loop", "20000")
        self.khz = p["tsc_khz"]
        sets["lo10"], _ = self.exp00010("locality_mem_access", "4000", "--region-mib", "16")
        # exp00002's files from the same programs
        for n, stamp in ((30000, "2026-12-01-01-00-00"), (50000, "2026-12-01-01-10-00")):
            out = subprocess.run([prog("time_loop"), str(n)], capture_output=True, text=True,
                                 check=True).stdout
            sets[f"tl{n}"] = self.lay(
                f"workload_time_loop_-n{n}-vm_size4-{stamp}", "exp00002",
                {"n": n, "time_loop": True, "vm_size": 4, "cores": 1, "workload": "time_loop"},
                {"workload": "time_loop", "exp": 2, "n": n, "vm_size": 4,
                 "workload_mr": "TimeLoop"}, {"out": out},
                f"{stamp[:10]}T{stamp[11:].replace('-', ':')}+0000")
        loc = {ext: subprocess.run([prog("locality_mem_access"), flag, "3000", "--region-mib",
                                    "16"], capture_output=True, text=True, check=True).stdout
               for ext, flag in (("local", "-l"), ("nonlocal", "-n"))}
        sets["lo2"] = self.lay("workload_locality_mem_access_-n3000-vm_size4-2026-12-01-02-00-00",
                               "exp00002", {"n": 3000, "locality": True, "vm_size": 4,
                                            "workload": "locality_mem_access"},
                               {"workload": "locality_mem_access", "exp": 2, "n": 3000},
                               loc, "2026-12-01T02:00:00+0000")
        # exp00000 -m and -r: the clients against the real servers
        mc = Memcached(self, "-m", "1024")
        sets["mc"] = self.kv("memcached", "memcached_gen_data", f"127.0.0.1:{mc.port}", 4,
                             "2026-12-01-03-00-00")
        rd = Redis(self)
        sets["rd"] = self.kv("redis", "redis_gen_data", f"unix:{rd.sock}", 4,
                             "2026-12-01-04-00-00")
        # the old runner's .params: a flat map of JSON texts, no TSC frequency
        old = os.path.join(self.results, "workload_bmk_-app_Redis_-vm_size8-2019-11-26-23-49-09")
        with open(old + ".params", "w") as f:
            json.dump({"app": '"Redis"', "exp": "0", "workload": '"bmk"', "vm_size": "8",
                       "cores": "1", "size": "null", "username": '"vagrant"'}, f)
        shutil.copy(sets["rd"] + ".out", old + ".out")
        sets["rd_old"] = old
        # exp00007: this kernel's buddyinfo, a sample a second
        samples = ""
        for i in range(12):
            with open("/proc/buddyinfo") as f:
                samples += f.read()
            time.sleep(0.1)
        for name, interval, stamp in (("bi", 5, "05"), ("bi30", 30, "06")):
            sets[name] = self.lay(
                f"workload_fragmentation_-app_memhog_-vm_size4-cores1-2026-12-01-{stamp}-00-00",
                "exp00007", {"interval": interval, "memhog": True, "vm_size": 4, "cores": 1,
                             "workload": "memhog"},
                {"workload": "fragmentation", "app": "memhog", "exp": 7, "vm_size": 4,
                 "stats_interval": interval}, {"out": samples, "guest_mem": "MemTotal: 1 kB\n"},
                f"2026-12-01T{stamp}:00:00+0000")
        # exp00005: this kernel's vmstat; zswap counters as tail prints them
        zdir = os.path.join(self.tmp, "debugfs", "zswap")
        os.makedirs(zdir)
        vmstat, zswap = "", ""
        for i in range(8):
            with open("/proc/vmstat") as f:
                vmstat += f.read()
            for name, v in (("pool_limit_hit", 0), ("pool_total_size", 4096 * 10 * (i + 1)),
                            ("stored_pages", 30 * (i + 1) * (i + 1)), ("written_back_pages", i)):
                with open(os.path.join(zdir, name), "w") as f:
                    f.write(f"{v}\n")
            files = sorted(os.path.join(zdir, n) for n in os.listdir(zdir))
            zswap += subprocess.run(["tail", *files], capture_output=True, text=True,
                                    check=True).stdout
            time.sleep(0.1)
        sets["vm"] = self.lay("workload_nas_cg_class_e_-vm_size4-cores1-2026-12-01-07-00-00",
                              "exp00005", {"duration": 5, "vm_size": 4, "cores": 1,
                                           "class_f": True, "workload": "nas_cg"},
                              {"workload": "nas_cg_class_e", "exp": 5, "nas_class": "F"},
                              {"vmstat": vmstat, "zswapstats": zswap,
                               "out": " NAS Parallel Benchmarks (NPB3.4-OMP) - CG Benchmark\n"},
                              "2026-12-01T07:00:00+0000")
        return sets

    # ---- the expected figures, from the files -----------------------------

    def expect_kv(self, stem, value):
        lines = lines_of(stem + ".out")
        done = [l for l in lines if DONE.match(l)]
        errors = [l for l in lines if not DONE.match(l)]
        ns = [int(DONE.match(l).group(1)) * 10**9 + int(DONE.match(l).group(2)) for l in done]
        idx = [int(DONE_I.match(l).group(1)) for l in done]
        puts = [b - a for a, b in zip([-1] + idx, idx)]
        per_put = [n // p for n, p in zip(ns, puts)]
        cum, elapsed = 0, []
        for i, n in zip(idx, ns):
            cum += n
            elapsed.append(((i + 1) * value / GIB, cum / 1e9))
        return {"heads": {"puts_per_s": (idx[-1] + 1) / (sum(ns) / 1e9),
                          "put_p50_ns": pct(per_put, 0.5), "put_p99_ns": pct(per_put, 0.99),
                          "put_errors": len(errors)},
                "per-op": [((i + 1) * value / GIB, n / 1e6) for i, n in zip(idx, ns)],
                "elapsed": elapsed, "cdf": cdf(ns, 1e-6), "errors": errors}

    def expect_numbers(self, path):
        return [int(SINGLE.match(l).group(1)) for l in lines_of(path)]

    def expect_buddy(self, stem, interval):
        samples, cur, seen = [], None, set()
        for l in lines_of(stem + ".out"):
            m = BUDDY.match(l)
            key = (l.split(",")[0], m.group(1))
            if cur is None or key in seen:
                cur, seen = [0] * len(m.group(2).split()), set()
                samples.append(cur)
            seen.add(key)
            for o, v in enumerate(m.group(2).split()):
                cur[o] += int(v)
        pages = [sum(n << o for o, n in enumerate(s)) for s in samples]
        huge = [100 * sum(n << o for o, n in enumerate(s) if o >= 9) / p
                for s, p in zip(samples, pages)]
        return {"heads": {"free_huge_pct_last": huge[-1], "free_huge_pct_min": min(huge),
                          "free_gib_last": pages[-1] * 4096 / GIB, "samples": len(samples)},
                "free-huge": [(i * interval, h) for i, h in enumerate(huge)],
                "orders": [[(i * interval, (s[o] << o) * 4096 / GIB)
                            for i, s in enumerate(samples)] for o in range(len(samples[0]))]}

    def expect_vm(self, stem):
        vm = {}
        for l in lines_of(stem + ".vmstat"):
            k, v = l.split(" ")
            vm.setdefault(k, []).append(int(v))
        z, name = {}, None
        for l in lines_of(stem + ".zswapstats"):
            m = re.match(r"^==> (.*) <==$", l)
            if m:
                name = os.path.basename(m.group(1))
            elif l:
                z.setdefault(name, []).append(int(l))
        n = len(vm["pswpout"])
        stored = [s * 4096 for s in z["stored_pages"]]
        top = stored.index(max(stored))
        return {"heads": {"pswpout_per_s": (vm["pswpout"][-1] - vm["pswpout"][0]) / (n - 1),
                          "pswpin_per_s": (vm["pswpin"][-1] - vm["pswpin"][0]) / (n - 1),
                          "zswap_stored_gib_max": stored[top] / GIB,
                          "zswap_ratio": stored[top] / z["pool_total_size"][top]},
                "free": [(i, v * 4096 / GIB) for i, v in enumerate(vm["nr_free_pages"])],
                "zswap": [[(i, s / GIB) for i, s in enumerate(stored)],
                          [(i, p / GIB) for i, p in enumerate(z["pool_total_size"])]],
                "swap": [[(i, b - a) for i, (a, b) in
                          enumerate(zip(vm[c], vm[c][1:]), 1)] for c in ("pswpin", "pswpout")]}

    def expected(self, s):
        want = {}
        want["mc"] = self.expect_kv(s["mc"], 523800)
        want["rd"] = self.expect_kv(s["rd"], 1 << 19)
        want["rd_old"] = self.expect_kv(s["rd_old"], 1 << 19)
        for k in ("tl10", "tl30000", "tl50000"):
            v = self.expect_numbers(s[k] + ".out")
            gaps = [max(b - a, 0) for a, b in zip(v, v[1:])]
            want[k] = {"heads": {"gap_max_cycles": max(gaps), "gap_p50_cycles": pct(gaps, 0.5),
                                 "gap_p99_cycles": pct(gaps, 0.99),
                                 "gap_max_ns": max(gaps) / self.khz * 1e6},
                       "cdf": cdf(gaps, 1000 / self.khz), "n": len(v)}
        for k in ("lo10", "lo2"):
            loc = self.expect_numbers(s[k] + ".local")
            non = self.expect_numbers(s[k] + ".nonlocal")
            want[k] = {"heads": {"local_p50_cycles": pct(loc, 0.5),
                                 "local_p99_cycles": pct(loc, 0.99),
                                 "nonlocal_p50_cycles": pct(non, 0.5),
                                 "nonlocal_p99_cycles": pct(non, 0.99)},
                       "cdf": [cdf(loc, 1000 / self.khz), cdf(non, 1000 / self.khz)]}
        want["bi"] = self.expect_buddy(s["bi"], 5)
        want["bi30"] = self.expect_buddy(s["bi30"], 30)
        want["vm"] = self.expect_vm(s["vm"])
        return want

    def assertHeads(self, got, want, where):
        for k, v in want.items():
            self.assertNotIn(got[k], (None, ""), f"{where}: {k}")
            self.assertAlmostEqual(float(got[k]), v, delta=abs(v) * 1e-9 + 1e-9,
                                   msg=f"{where}: {k}")

    def check_image(self, png, gp, curves):
        """Every curve's colour is in the image (its legend line at least);
        the last one, drawn over the others, where its points put it."""
        w, h, pixel = tr.read_png(png)
        seen = {pixel(x, y) for x in range(w) for y in range(h)}
        for colour, _ in curves:
            want = tr.rgb(colour)
            self.assertTrue(any(sum(abs(a - b) for a, b in zip(c, want)) < 60 for c in seen),
                            f"{os.path.basename(png)}: no {colour}")
        xlog, ylog = "set logscale x" in gp, "set logscale y" in gp
        rng = [float(v) for v in re.search(r"set xrange \[(\S+):(\S+)\]\nset yrange "
                                           r"\[(\S+):(\S+)\]", gp).groups()]

        def frac(v, lo, hi, log):
            return math.log(v / lo) / math.log(hi / lo) if log else (v - lo) / (hi - lo)
        colour, pts = curves[-1]
        pts = [p for p in pts if (p[0] > 0 or not xlog) and (p[1] > 0 or not ylog)]
        # not under the legend: a line at the top or bottom, or for many
        # curves the right of the figure
        key = re.search(r"set key (\w+) (\w+)", gp).groups()
        pts = [p for p in pts
               if not (key[0] == "top" and frac(p[1], rng[2], rng[3], ylog) > 0.88)
               and not (key[0] == "bottom" and frac(p[1], rng[2], rng[3], ylog) < 0.12)
               and not (len(curves) > 4 and key[1] == "right"
                        and frac(p[0], rng[0], rng[1], xlog) > 0.6)]
        # a curve flat on the x axis is under the border
        if len(pts) >= 7 and any(p[1] != rng[2] for p in pts):
            self.check_png(png, [(colour, pts)], gp)

    # ---- the tests ----------------------------------------------------------

    def test_headlines_csv_json(self):
        s = self.populate()
        want = self.expected(s)
        # the real runs wrote what the regexes accept; memcached -m 1024 refuses the last puts
        self.assertTrue(all(l.startswith("memcached returned error: ")
                            for l in want["mc"]["errors"]), want["mc"]["errors"])
        self.assertEqual(want["rd"]["errors"], [])
        res = self.zo("results", "csv", "--out", os.path.join(self.tmp, "all.csv"))
        self.assertRun(res, 0, out=f"wrote {self.tmp}/all.csv: 11 result sets\n")
        with open(os.path.join(self.tmp, "all.csv"), newline="") as f:
            rows = {r["path"]: r for r in csv.DictReader(f)}
        self.assertEqual(sorted(rows), sorted(s.values()))
        for k, stem in s.items():
            self.assertEqual((rows[stem]["status"], rows[stem]["error"]), ("ok", ""), k)
            self.assertHeads(rows[stem], want[k]["heads"], k)
        # another format's columns stay empty
        self.assertEqual(rows[s["mc"]]["gap_max_cycles"], "")
        self.assertEqual(rows[s["bi"]]["puts_per_s"], "")
        # ls: the first headline figure, read whole from small files
        res = self.zo("results", "ls", "--json")
        self.assertRun(res, 0)
        got = {x["path"]: x for x in json.loads(res.out)["sets"]}
        self.assertEqual(got[s["lo2"]]["data_files"], [os.path.basename(s["lo2"]) + ".local",
                                                       os.path.basename(s["lo2"]) + ".nonlocal"])
        self.assertEqual(got[s["vm"]]["format"], "vmstat")
        self.assertEqual(got[s["bi"]]["format"], "buddyinfo")
        self.assertEqual(got[s["mc"]]["format"], "memcached_gen_data")
        self.assertEqual(got[s["tl10"]]["format"], "time_loop")
        for k in ("mc", "rd", "bi", "vm", "lo2"):
            first = next(iter(want[k]["heads"]))
            self.assertAlmostEqual(got[s[k]]["headline"][first], want[k]["heads"][first],
                                   delta=abs(want[k]["heads"][first]) * 1e-9 + 1e-9)
        res = self.zo("results", "ls", "--exp", "exp00000")
        self.assertRun(res, 0)
        self.assertRegex(res.out, r"exp00000 +.*ok +[0-9,]+ puts/s +" + re.escape(s["mc"]))
        # show: every headline figure with its unit
        res = self.zo("results", "show", s["bi"])
        self.assertRun(res, 0)
        self.assertIn(f"  {'buddyinfo samples':36} {len(want['bi']['orders'][0])} samples\n",
                      res.out)
        self.assertRegex(res.out, r"free memory in blocks of 2 MiB or more, at the end +"
                         r"\d+\.\d %\n")
        j = json.loads(self.zo("results", "show", "--json", s["vm"]).out)
        self.assertHeads(j["headline"], want["vm"]["heads"], "vm")
        self.assertEqual(j["data_files"], [os.path.basename(s["vm"]) + ".vmstat",
                                           os.path.basename(s["vm"]) + ".zswapstats"])
        # compare: one experiment, or a run and its bare-metal baseline
        res = self.zo("results", "compare", s["tl30000"], s["tl10"])
        self.assertRun(res, 0)
        a, b = want["tl30000"]["heads"], want["tl10"]["heads"]
        self.assertRegex(res.out, r"\n  longest gap between two TSC reads +[0-9,]+ cycles +"
                         r"[0-9,]+ cycles +"
                         + re.escape(f"{b['gap_max_cycles'] / a['gap_max_cycles']:.3f}"))
        res = self.zo("results", "compare", "--json", s["mc"], s["rd"])
        self.assertRun(res, 0)
        self.assertIn("workload", json.loads(res.out)["settings_differ"])
        # an old runner's redis run: its DONE lines need no TSC frequency
        res = self.zo("results", "compare", s["rd"], s["rd_old"])
        self.assertRun(res, 0)
        self.assertRegex(res.out,
                         r"\n  puts per second +[0-9,]+ puts/s +[0-9,]+ puts/s +1\.000\n")
        res = self.zo("results", "plot", s["rd_old"], "--out", os.path.join(self.tmp, "old"))
        self.assertRun(res, 0)
        png = os.path.join(self.tmp, "old", "redis_gen_data-per-op.png")
        self.assertEqual(tr.read_png(png)[:2], (1000, 600))

    def test_plots(self):
        s = self.populate()
        want = self.expected(s)
        out = os.path.join(self.tmp, "figs")
        res = self.zo("results", "plot", s["mc"], s["rd"], s["tl30000"], s["tl50000"], s["lo2"],
                      s["bi"], s["bi30"], s["vm"], "--out", out)
        self.assertRun(res, 0)
        names = ["memcached_gen_data-per-op", "memcached_gen_data-elapsed",
                 "memcached_gen_data-cdf", "redis_gen_data-per-op", "redis_gen_data-elapsed",
                 "redis_gen_data-cdf", "time_loop-gaps", "time_loop-cdf",
                 "locality_mem_access-cdf", "buddyinfo-free-per-order", "buddyinfo-free-huge",
                 "vmstat-swap", "vmstat-free", "vmstat-zswap"]
        self.assertEqual(res.out.splitlines(), [os.path.join(out, n + ".png") for n in names])

        def figure(name, curves):
            """The data gnuplot read is the expected series; the image has
            each curve's colour where its points are."""
            stem = os.path.join(out, name)
            dat = self.read_dat(stem + ".dat")
            self.assertEqual([t for t, _ in dat], [t for t, _ in curves], name)
            for (_, got), (_, pts) in zip(dat, curves):
                if pts is not None:
                    self.assertSeries(got, pts)
            with open(stem + ".gp") as f:
                gp = f.read()
            self.check_image(stem + ".png", gp, [(run_colour(i), pts if pts is not None else got)
                                                 for i, ((_, pts), (_, got))
                                                 in enumerate(zip(curves, dat))])
            return dat

        def run_colour(i):
            return ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000",
                    "#f0e442", "#882255", "#44aa99", "#999933", "#aa4499"][i % 12]

        for k, fmt in (("mc", "memcached_gen_data"), ("rd", "redis_gen_data")):
            base = os.path.basename(s[k])
            for n in ("per-op", "elapsed", "cdf"):
                figure(f"{fmt}-{n}", [(base, want[k][n])])
        # two time_loop runs on one figure, the legend from the setting that differs
        figure("time_loop-cdf", [("n=30000", want["tl30000"]["cdf"]),
                                 ("n=50000", want["tl50000"]["cdf"])])
        dat = figure("time_loop-gaps", [("n=30000", None), ("n=50000", None)])
        # thinned to the largest gap of each stretch: the longest one is there
        self.assertEqual(max(y for _, y in dat[0][1]), want["tl30000"]["heads"]["gap_max_cycles"])
        self.assertLessEqual(len(dat[1][1]), 2048)
        figure("locality_mem_access-cdf", [("local", want["lo2"]["cdf"][0]),
                                           ("nonlocal", want["lo2"]["cdf"][1])])
        # two buddyinfo runs: their intervals put the same samples apart
        figure("buddyinfo-free-huge", [("interval=5", want["bi"]["free-huge"]),
                                       ("interval=30", want["bi30"]["free-huge"])])
        norders = len(want["bi"]["orders"])
        figure("buddyinfo-free-per-order",
               [(f"interval={iv} order {o}", w["orders"][o])
                for iv, w in ((5, want["bi"]), (30, want["bi30"])) for o in range(norders)])
        figure("vmstat-free", [(os.path.basename(s["vm"]), want["vm"]["free"])])
        figure("vmstat-zswap", [("stored (pages held)", want["vm"]["zswap"][0]),
                                ("pool (compressed)", want["vm"]["zswap"][1])])
        figure("vmstat-swap", [("pswpin", want["vm"]["swap"][0]),
                               ("pswpout", want["vm"]["swap"][1])])

    def test_bad_input(self):
        s = self.populate()
        mc = s["mc"] + ".out"
        lines = lines_of(mc)
        # truncated: cut in the middle of its last line
        cut = self.lay("cut-2026-12-01-08-00-00", "exp00000", {"workload": "memcached_gen_data"},
                       {"app": "Memcached"}, {"out": "\n".join(lines)[:-3]},
                       "2026-12-01T08:00:00+0000")
        # garbled: a line the plots' regex rejects, in the middle
        garbled = self.lay("garbled-2026-12-01-08-10-00", "exp00000",
                           {"workload": "memcached_gen_data"}, {"app": "Memcached"},
                           {"out": "\n".join(lines[:2] + ["DONE 150 Duration { secs: 0, nan"]
                                             + lines[2:]) + "\n"},
                           "2026-12-01T08:10:00+0000")
        # a locality set without its .nonlocal; buddyinfo with a zone the script has not
        os.rename(s["lo2"] + ".nonlocal", os.path.join(self.tmp, "nonlocal"))
        movable = self.lay("movable-2026-12-01-08-20-00", "exp00007", {"interval": 5},
                           {"workload": "fragmentation", "stats_interval": 5},
                           {"out": "Node 0, zone   Normal   1   2   3 \n"
                                   "Node 0, zone  Movable   1   2   3 \n"},
                           "2026-12-01T08:20:00+0000")
        zbad = self.lay("zbad-2026-12-01-08-30-00", "exp00005", {"duration": 1},
                        {"workload": "nas_cg_class_e"},
                        {"vmstat": "nr_free_pages 10\npswpin 0\npswpout 0\n",
                         "zswapstats": "==> /sys/kernel/debug/zswap/stored_pages <==\n12 pages\n"},
                        "2026-12-01T08:30:00+0000")
        before = tree_digest(self.results)
        res = self.zo("results", "ls")
        self.assertRun(res, 0)
        rows = {l.split()[-1]: l for l in res.out.splitlines()[1:]}
        for p in (cut, garbled, s["lo2"], movable, zbad):
            self.assertRegex(rows[p], r" broken +- +" + re.escape(p) + "$")
        self.assertIn(" ok ", rows[s["rd"]])
        for stem, msg in (
                (cut, f"{os.path.basename(cut)}.out ends in the middle of a line"),
                (garbled, f"{os.path.basename(garbled)}.out line 3: 'DONE 150 Duration {{ secs: "
                          "0, nan' is not a 'DONE <i> Duration { secs: S, nanos: N } 0' line or "
                          "the client's error line"),
                (s["lo2"], f"{os.path.basename(s['lo2'])}.nonlocal is missing"),
                (movable, f"{os.path.basename(movable)}.out line 2: 'Node 0, zone  Movable   1  "
                          " 2   3 ' is not a /proc/buddyinfo line"),
                (zbad, f"{os.path.basename(zbad)}.zswapstats line 2: '12 pages' is not the value "
                       "of a zswap debugfs file")):
            self.assertIn(f"warning: {stem}: {msg}", res.err)
            res2 = self.zo("results", "show", stem)
            self.assertRun(res2, 1)
            self.assertIn(f"zsim-orch: error: {stem} is broken: {msg}", res2.err)
            res2 = self.zo("results", "plot", stem, "--out", os.path.join(self.tmp, "no"))
            self.assertRun(res2, 1)
            self.assertIn(f"cannot plot {stem}: {msg}", res2.err)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "no")))
        # the CSV has them as broken rows, the good ones as they were
        res = self.zo("results", "csv")
        self.assertRun(res, 0)
        rows = {r["path"]: r for r in csv.DictReader(io.StringIO(res.out, newline=""))}
        self.assertEqual(rows[garbled]["status"], "broken")
        self.assertIn("line 3", rows[garbled]["error"])
        self.assertEqual(rows[s["mc"]]["status"], "ok")
        # sets of different experiments do not compare: a usage error
        res = self.zo("results", "compare", s["tl30000"], s["bi"])
        self.assertRun(res, 2, out="")
        self.assertIn(f"cannot compare {s['tl30000']} (exp00002, time_loop) with {s['bi']} "
                      "(exp00007, buddyinfo): they measure different things", res.err)
        res = self.zo("results", "compare", s["tl30000"], s["lo10"])
        self.assertRun(res, 2, out="")
        self.assertIn("(exp00010, locality_mem_access)", res.err)
        # buddyinfo without its interval cannot be put on a time axis
        nointerval = self.lay("noiv-2026-12-01-09-00-00", "exp00007", {"memhog": True},
                              {"workload": "fragmentation"}, {"out": lines_of(s["bi"] + ".out")[0]
                                                              + "\n"}, "2026-12-01T09:00:00+0000")
        res = self.zo("results", "plot", nointerval, "--out", os.path.join(self.tmp, "no"))
        self.assertRun(res, 1)
        self.assertIn("records no stats_interval", res.err)
        os.remove(nointerval + ".params")
        os.remove(nointerval + ".out")
        os.remove(nointerval + ".time")
        self.assertEqual(tree_digest(self.results), before)


if __name__ == "__main__":
    main()
