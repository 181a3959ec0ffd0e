"""zsim-orch results ls/show/csv/plot/compare on result sets this test
writes: a results directory, a spool's per-run directories and a Slurm
sweep; a failed set, broken sets and bad input. The CSV is read with
Python's csv module, the figures with a PNG decoder written here (zlib and
struct), both independent of zsim-orch."""
import csv
import io
import json
import math
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib

from zsimtest import TestCase, main, run, tree_digest

KHZ = 1000  # a cycle is a microsecond: expected figures by hand
PAGE = 4096
GIB = 1 << 30


def params(settings, stamp, khz=KHZ, pages=None, experiment="exp00000", **extra):
    p = {"experiment": experiment, "args": [str(settings.get("vm_size", 0))],
         "settings": settings, "timestamp": stamp, "results": "ignored",
         "zsim_orch_version": "0.1.0", "kernel": "6.1.0", "hostname": "node1",
         "tsc_khz": khz, "config": {"zswap": {"zpool": "ztier"}}}
    if pages is not None:
        p["pages_touched"] = str(pages)
    p.update(extra)
    return p


def touch_settings(vm_size, **kw):
    s = {"vm_size": vm_size, "cores": 1, "zeros": True, "warmup": False, "size": None,
         "workload": "time_mmap_touch"}
    s.update(kw)
    return s


def touch_out(deltas, first=1000):
    """time_mmap_touch's .out for these per-page times (cycles)."""
    tsc, recs = first, []
    for d in deltas:
        tsc += d
        recs.append(tsc)
    return first, recs, "First: %d\nLast: %d\n%s" % (
        first, recs[-1] + 7, "".join("%d\n" % r for r in recs))


def write_set(directory, base, p, out=None, err=None, timings="preflight: 1.000 s\n"
              "workload: 2.000 s\ntotal: 3.000 s\n"):
    os.makedirs(directory, exist_ok=True)
    stem = os.path.join(directory, base)
    with open(stem + ".params", "w") as f:
        f.write(p if isinstance(p, str) else json.dumps(p, indent=2))
    if out is not None:
        with open(stem + ".out", "w") as f:
            f.write(out)
    if err is not None:
        with open(stem + ".err", "w") as f:
            f.write(err)
    if timings is not None:
        with open(stem + ".time", "w") as f:
            f.write(timings)
    return stem


# ---- the expected numbers, computed here independently ---------------------

def quantile(values, frac):
    v = sorted(values)
    return v[max(1, math.ceil(frac * len(v))) - 1]


def hist_top(v):
    """The top of the log-spaced bucket holding v (128 per power of two,
    exact below 256), as results documents its CDF."""
    if v < 256:
        return v
    k = v.bit_length() - 1 - 7
    return ((v >> k) << k) + (1 << k) - 1


def expected_series(first, recs, khz=KHZ):
    """Every record kept (fewer than 2048): elapsed, per-page, cdf."""
    elapsed = [(0.0, 0.0)]
    per_page = []
    prev = first
    for i, r in enumerate(recs):
        x = (i + 1) * PAGE / GIB
        elapsed.append((x, (r - first) / (khz * 1000)))
        per_page.append((x, (r - prev) * 1000 / khz))
        prev = r
    deltas = [recs[0] - first] + [b - a for a, b in zip(recs, recs[1:])]
    counts = {}
    for d in deltas:
        counts[hist_top(d)] = counts.get(hist_top(d), 0) + 1
    cdf, cum = [], 0
    for top in sorted(counts):
        cum += counts[top]
        cdf.append((top * 1000 / khz, cum / len(deltas)))
    return {"elapsed": elapsed, "per-page": per_page, "cdf": cdf}


# ---- PNG, decoded here -------------------------------------------------------

def read_png(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, palette = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = [body[i:i + 3] for i in range(0, len(body), 3)]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    assert depth == 8 and interlace == 0 and ctype in (2, 3, 6), (depth, ctype, interlace)
    bpp = {2: 3, 3: 1, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line

    def pixel(x, y):
        o = x * bpp
        if ctype == 3:
            return tuple(palette[rows[y][o]])
        return tuple(rows[y][o:o + 3])
    return w, h, pixel


def rgb(hexcolour):
    return tuple(int(hexcolour[i:i + 2], 16) for i in (1, 3, 5))


class Results(TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="zsim-results.")
        self.results = os.path.join(self.tmp, "results")
        self.conf = os.path.join(self.tmp, "zsim.conf")
        with open(self.conf, "w") as f:
            f.write(f"[paths]\nresults = {self.results}\n")
        os.makedirs(self.results)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def zo(self, *args, env=None, **kw):
        return run("--config", self.conf, "results", *args, env=dict(env or {}, TZ="UTC"),
                   **kw)

    # A night's results: three exp00000 runs, one failed, a noop, a spool
    # run and a Slurm sweep run.
    def populate(self):
        sets = {}
        deltas = [100 + (i % 100) for i in range(500)]
        first, recs, out = touch_out(deltas)
        base = "exp00000-workload_time_mmap_touch_-vm_size4-2026-12-01-10-00-00"
        sets["a"] = write_set(self.results, base,
                              params(touch_settings(4, note='zeros, "fast"'),
                                     "2026-12-01T10:00:00+0000", pages=500), out)
        sets["a_data"] = (first, recs, deltas)
        first, recs, out = touch_out([2 * d for d in deltas])
        sets["b"] = write_set(self.results, "workload_bmk_-app_TimeMmapTouch_-vm_size8-2026-12-01-11-00-00",
                              params(touch_settings(8, note="plain"), "2026-12-01T11:00:00+0000",
                                     pages=500, conditioning={"governor": "powersave"}), out)
        sets["b_data"] = (first, recs, [2 * d for d in deltas])
        sets["failed"] = write_set(
            self.results, "exp00000-workload_time_mmap_touch_-vm_size16-2026-12-01-12-00-00",
            params(touch_settings(16, note="plain"), "2026-12-01T12:00:00+0000"), None,
            err="phase: target start\nerror: the target did not come up (see above)\n")
        sets["noop"] = write_set(self.results, "noop-seconds0-2026-12-01-09-00-00",
                                 params({"seconds": 0}, "2026-12-01T09:00:00+0000", khz=None,
                                        experiment="noop"), "noop: slept 0 s\n")
        # the spool's RESULTS/NAME-ID/ and a sweep's SHARED/<sweep>/<name>-<job>_<task>-r<N>/
        first, recs, out = touch_out(deltas)
        sets["spool"] = write_set(os.path.join(self.results, "zeros-r1-1796139211067-0001"),
                                  "exp00000-workload_time_mmap_touch_-vm_size4-2026-12-01-13-00-00",
                                  params(touch_settings(4, warmup=True, note="plain"),
                                         "2026-12-01T13:00:00+0000", pages=500), out)
        sets["sweep"] = write_set(os.path.join(self.results, "sweep-7", "zeros-41_3-r1"),
                                  "exp00000-workload_time_mmap_touch_-vm_size4-2026-12-01-14-00-00",
                                  params(touch_settings(4, note="plain"),
                                         "2026-12-01T15:00:00+0100", pages=500), out)
        return sets

    def test_ls_lists_every_layout_by_time(self):
        s = self.populate()
        res = self.zo("ls")
        self.assertRun(res, 0)
        lines = res.out.splitlines()
        self.assertRegex(lines[0], r"^TIME +EXPERIMENT +SETTINGS +STATUS +HEADLINE +PATH$")
        paths = [l.split()[-1] for l in lines[1:]]
        self.assertEqual(paths, [s["noop"], s["a"], s["b"], s["failed"], s["spool"], s["sweep"]])
        rows = {l.split()[-1]: l for l in lines[1:]}
        # 500 pages in (sum of deltas + 7) cycles of 1 us
        rate = 500 / ((sum(s["a_data"][2]) + 7) / 1e6)
        self.assertRegex(rows[s["a"]], r"^2026-12-01 10:00:00  exp00000 .*vm_size=4 .* ok +"
                         + re.escape(f"{rate:,.0f} pages/s") + " ")
        self.assertIn(" failed (target start) ", rows[s["failed"]])
        # another experiment's settings are no difference
        self.assertRegex(rows[s["noop"]], r"noop +- +ok +- ")
        self.assertIn("warmup=true", rows[s["spool"]])
        self.assertEqual(res.err, "")
        # --json, filters
        res = self.zo("ls", "--json", "--exp", "exp00000", "--where", "vm_size=4")
        self.assertRun(res, 0)
        j = json.loads(res.out)
        self.assertEqual([x["path"] for x in j["sets"]], [s["a"], s["spool"], s["sweep"]])
        self.assertEqual(j["varying"], ["note", "warmup"])
        self.assertEqual(j["sets"][2]["slurm"], {"job": "41", "task": "3", "restart": "1"})
        self.assertAlmostEqual(j["sets"][0]["headline"]["pages_per_s"], rate, delta=1e-6 * rate)
        res = self.zo("ls", "--json", "--since", "2026-12-01T12:30", "--where", "hostname=node1")
        self.assertEqual([x["path"] for x in json.loads(res.out)["sets"]], [s["spool"], s["sweep"]])
        # the sweep directory alone
        res = self.zo("ls", os.path.join(self.results, "sweep-7"))
        self.assertRun(res, 0)
        self.assertEqual(len(res.out.splitlines()), 2)

    def test_broken_sets_are_listed_not_fatal(self):
        s = self.populate()
        bad_json = write_set(self.results, "exp00000-broken-2026-12-01-15-00-00", "{\"experiment\": ")
        first, recs, out = touch_out([100] * 10)
        cut = write_set(self.results, "exp00000-cut-2026-12-01-16-00-00",
                        params(touch_settings(4), "2026-12-01T16:00:00+0000", pages=10), out[:-3])
        short = write_set(self.results, "exp00000-short-2026-12-01-17-00-00",
                          params(touch_settings(4), "2026-12-01T17:00:00+0000", pages=20), out)
        res = self.zo("ls")
        self.assertRun(res, 0)
        rows = {l.split()[-1]: l for l in res.out.splitlines()[1:]}
        self.assertEqual(len(rows), 9)
        for p in (bad_json, cut):
            self.assertRegex(rows[p], r" broken +- +" + re.escape(p) + "$")
        self.assertIn(" ok ", rows[s["a"]])
        self.assertIn(f"warning: {bad_json}: exp00000-broken-2026-12-01-15-00-00.params is not "
                      "JSON", res.err)
        self.assertIn(f"warning: {cut}: exp00000-cut-2026-12-01-16-00-00.out ends in the middle "
                      "of a line: truncated", res.err)
        # a file cut at a line end is seen when the whole of it is read
        res = self.zo("show", short)
        self.assertRun(res, 1)
        self.assertIn("status      broken: exp00000-short-2026-12-01-17-00-00.out has 10 records "
                      "for 20 pages touched (one a page): truncated", res.out)
        self.assertIn(f"error: {short} is broken: ", res.err)
        for p in (bad_json, cut):
            res = self.zo("show", p)
            self.assertRun(res, 1)
            self.assertIn(f"zsim-orch: error: {p} is broken: ", res.err)
        # the CSV has them as broken rows
        res = self.zo("csv")
        self.assertRun(res, 0)
        rows = {r["path"]: r for r in csv.DictReader(io.StringIO(res.out, newline=""))}
        self.assertEqual(rows[short]["status"], "broken")
        self.assertIn("truncated", rows[short]["error"])
        self.assertEqual(rows[s["failed"]]["status"], "failed")

    def test_csv_is_rfc4180(self):
        s = self.populate()
        out = os.path.join(self.tmp, "night.csv")
        res = self.zo("csv", self.results, "--out", out)
        self.assertRun(res, 0, out=f"wrote {out}: 6 result sets\n")
        with open(out, "rb") as f:
            text = f.read().decode()
        self.assertTrue(text.endswith("\r\n"))
        # the same to stdout (read here in text mode: CRLF becomes LF)
        self.assertRun(self.zo("csv"), 0, out=text.replace("\r\n", "\n"))
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader)
        self.assertEqual(header, ["time", "experiment", "status", "failed_phase", "error",
                                  "note", "vm_size", "warmup", "pages_per_s", "page_p50_ns",
                                  "page_p99_ns", "slurm_job", "slurm_task", "slurm_restart",
                                  "path"])
        rows = [dict(zip(header, r)) for r in reader]
        self.assertEqual([r["path"] for r in rows],
                         [s["noop"], s["a"], s["b"], s["failed"], s["spool"], s["sweep"]])
        a = rows[1]
        self.assertEqual(a["note"], 'zeros, "fast"')
        self.assertEqual((a["vm_size"], a["status"], a["warmup"]), ("4", "ok", "false"))
        deltas = s["a_data"][2]
        self.assertAlmostEqual(float(a["pages_per_s"]), 500 / ((sum(deltas) + 7) / 1e6),
                               delta=1e-3)
        self.assertEqual(float(a["page_p50_ns"]), quantile(deltas, 0.5) * 1000)
        self.assertEqual(float(a["page_p99_ns"]), quantile(deltas, 0.99) * 1000)
        self.assertEqual(rows[3]["failed_phase"], "target start")
        self.assertEqual(rows[3]["error"], "the target did not come up (see above)")
        self.assertEqual(rows[3]["pages_per_s"], "")
        self.assertEqual((rows[5]["slurm_job"], rows[5]["slurm_task"], rows[5]["slurm_restart"]),
                         ("41", "3", "1"))
        self.assertEqual(rows[4]["slurm_job"], "")

    def test_show_names_and_paths(self):
        s = self.populate()
        base = os.path.basename(s["a"])
        for name in (base, s["a"], s["a"] + ".out", s["a"] + ".params", s["a"] + ".*",
                     "exp00000-workload_time_mmap_touch_-vm_size4-2026-12-01-10"):
            res = self.zo("show", name)
            self.assertRun(res, 0)
            self.assertTrue(res.out.startswith(f"result set  {s['a']}\n"), name)
        res = self.zo("show", "zeros-41_3-r1")  # a sweep run's directory name
        self.assertRun(res, 0)
        self.assertIn(f"result set  {s['sweep']}\n", res.out)
        res = self.zo("show", base)
        deltas = s["a_data"][2]
        for want in ("experiment  exp00000\n", "status      ok\n", f"  {'vm_size':36} 4\n",
                     f"  {'time per 4 KiB page, p50':36} {quantile(deltas, 0.5):.3g} us\n",
                     f"  {'workload':36} 2.000 s\n",
                     f"  {'config.zswap.zpool':36} ztier\n",
                     f"files\n  {s['a']}.out\n  {s['a']}.params\n  {s['a']}.time\n"):
            self.assertIn(want, res.out)
        j = json.loads(self.zo("show", "--json", base).out)
        self.assertEqual(j["timings"], [{"phase": "preflight", "seconds": 1.0},
                                        {"phase": "workload", "seconds": 2.0},
                                        {"phase": "total", "seconds": 3.0}])
        self.assertAlmostEqual(j["headline"]["page_p99_ns"], quantile(deltas, 0.99) * 1000,
                               delta=1e-6)
        self.assertEqual(j["facts"]["hostname"], "node1")
        res = self.zo("show", os.path.join(self.results, "zeros-r1-1796139211067-0001"))
        self.assertRun(res, 0)
        self.assertIn(f"result set  {s['spool']}\n", res.out)
        res = self.zo("show", s["b"])
        self.assertIn(f"note        conditioning.governor was powersave, not performance", res.out)
        self.assertIn(f"host conditioning\n  {'conditioning.governor':36} powersave\nrun facts\n",
                      res.out)
        res = self.zo("show", s["failed"])
        self.assertRun(res, 0)
        self.assertIn("status      failed (target start)\nerror       the target did not come "
                      "up (see above)\n", res.out)

    def test_compare(self):
        s = self.populate()
        res = self.zo("compare", s["a"], s["b"])
        self.assertRun(res, 0)
        self.assertIn(f"* {'vm_size':34} {'4':30} 8\n", res.out)
        self.assertIn(f"  {'cores':34} {'1':30} 1\n", res.out)
        self.assertIn("note: conditioning.governor was powersave, not performance", res.out)
        self.assertRegex(res.out, r"\n  pages per second +[0-9,]+ pages/s +[0-9,]+ pages/s +0\.50\d\n")
        # 298 cycles is in a 2-wide bucket: 298.5
        self.assertRegex(res.out, r"\n  time per 4 KiB page, p50 +149 us +298 us +2\.003\n")
        self.assertIn(f"  {'workload':34} {'2.000':30} {'2.000':30} 1.000\n", res.out)
        self.assertIn(f"* {'conditioning.governor':34} {'(none)':30} powersave\n", res.out)
        j = json.loads(self.zo("compare", "--json", s["a"], s["b"]).out)
        self.assertEqual(j["settings_differ"], ["note", "vm_size"])
        self.assertIn("conditioning.governor", j["facts_differ"])

    def test_bad_input(self):
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty)
        res = self.zo("ls", empty)
        self.assertRun(res, 1, out="")
        self.assertEqual(res.err, f"zsim-orch: error: no result sets in {empty} (a result set "
                         "is the files of one run, found by its .params); give the directory "
                         "'zsim-orch run' or a sweep wrote to\n")
        res = self.zo("ls", os.path.join(self.tmp, "nowhere"))
        self.assertRun(res, 1)
        self.assertIn("cannot read the results directory", res.err)
        s = self.populate()
        before = tree_digest(self.results)
        res = self.zo("show", "no-such-set")
        self.assertRun(res, 1, out="")
        self.assertEqual(res.err, f"zsim-orch: error: no result set 'no-such-set' in "
                         f"{self.results}; 'zsim-orch results ls {self.results}' lists them\n")
        res = self.zo("show", "/nowhere/x")
        self.assertRun(res, 1)
        self.assertIn("/nowhere/x: not a result set (no /nowhere/x.params)", res.err)
        res = self.zo("show", "exp00000-workload_time_mmap_touch_-vm_size")
        self.assertRun(res, 2)
        self.assertIn("names 4 result sets", res.err)
        for args, msg in ((("ls", "--since", "yesterday"), "--since yesterday: give a date"),
                          (("ls", "--where", "vm_size"), "--where vm_size: give KEY=VALUE"),
                          (("ls", "--bogus"), "unknown option '--bogus' for 'results ls'"),
                          (("ls", "a", "b"), "takes at most one directory"),
                          (("show",), "'results show' takes one result set"),
                          (("compare", s["a"]), "'results compare' takes two result sets"),
                          (("plot", s["a"], "--format", "bmp"), "--format bmp: use png, svg"),
                          (("plot",), "'results plot' needs a result set"),
                          (("frobnicate",), "unknown subcommand 'results frobnicate'")):
            res = self.zo(*args)
            self.assertRun(res, 2)
            self.assertIn(msg, res.err)
        self.assertEqual(tree_digest(self.results), before)

    # ---- figures ---------------------------------------------------------

    def check_png(self, path, series, gp):
        w, h, pixel = read_png(path)
        self.assertEqual((w, h), (1000, 600))
        # not blank: most of it white, a fair share of it not
        sample = [pixel(x, y) for x in range(0, w, 5) for y in range(0, h, 5)]
        self.assertGreater(sum(1 for p in sample if p != (255, 255, 255)), len(sample) // 50)
        self.assertGreater(len(set(sample)), 4)
        rng = [float(v) for v in re.search(r"set xrange \[(\S+):(\S+)\]\nset yrange \[(\S+):(\S+)\]",
                                           gp).groups()]
        xlog, ylog = "set logscale x" in gp, "set logscale y" in gp

        def to_px(x, y):
            def frac(v, lo, hi, log):
                return (math.log(v / lo) / math.log(hi / lo)) if log else (v - lo) / (hi - lo)
            px = 0.10 * w + frac(x, rng[0], rng[1], xlog) * 0.86 * w
            py = h - (0.12 * h + frac(y, rng[2], rng[3], ylog) * 0.78 * h)
            return int(round(px)), int(round(py))

        def near(px, py, colour, radius=3):
            want = rgb(colour)
            for dx in range(-radius, radius + 1):
                for dy in range(-radius, radius + 1):
                    x, y = px + dx, py + dy
                    if 0 <= x < w and 0 <= y < h and \
                            sum(abs(a - b) for a, b in zip(pixel(x, y), want)) < 60:
                        return True
            return False
        for colour, pts in series:
            # points right of the legend, spread over the curve
            inside = [p for p in pts if p[1] > 0 or not ylog]
            picks = [inside[int(k * (len(inside) - 1) / 6)] for k in range(2, 7)]
            for x, y in picks:
                px, py = to_px(x, y)
                self.assertTrue(near(px, py, colour),
                                f"{os.path.basename(path)}: no {colour} near ({px},{py}) for ({x}, {y})")

    def read_dat(self, path):
        with open(path) as f:
            blocks = f.read().split("\n\n\n")
        out = []
        for b in blocks:
            lines = b.strip("\n").splitlines()
            self.assertTrue(lines[0].startswith("# "))
            out.append((lines[0][2:], [tuple(float(v) for v in l.split()) for l in lines[1:]]))
        return out

    def assertSeries(self, got, want):
        self.assertEqual(len(got), len(want))
        for (gx, gy), (wx, wy) in zip(got, want):
            self.assertAlmostEqual(gx, wx, delta=abs(wx) * 1e-8 + 1e-12)
            self.assertAlmostEqual(gy, wy, delta=abs(wy) * 1e-8 + 1e-12)

    def test_plot_every_figure(self):
        s = self.populate()
        outdir = os.path.join(self.tmp, "figs")
        res = self.zo("plot", s["a"], s["b"], "--out", outdir)
        self.assertRun(res, 0)
        names = ["elapsed", "per-page", "cdf"]
        self.assertEqual(res.out.splitlines(),
                         [os.path.join(outdir, f"time_mmap_touch-{n}.png") for n in names])
        want = {"a": expected_series(*s["a_data"][:2]), "b": expected_series(*s["b_data"][:2])}
        for n in names:
            stem = os.path.join(outdir, f"time_mmap_touch-{n}")
            dat = self.read_dat(stem + ".dat")
            # the legend: the settings that differ
            self.assertEqual([t for t, _ in dat], ['note=zeros, "fast" vm_size=4',
                                                   "note=plain vm_size=8"])
            self.assertSeries(dat[0][1], want["a"][n])
            self.assertSeries(dat[1][1], want["b"][n])
            with open(stem + ".gp") as f:
                gp = f.read()
            self.assertIn(f"plot '{stem}.dat' index 0 using 1:2 with lines lw 2 lc rgb '#0072b2'"
                          " title 'note=zeros, \"fast\" vm_size=4'", gp)
            self.check_png(stem + ".png", [("#0072b2", want["a"][n]), ("#d55e00", want["b"][n])],
                           gp)

    def test_plot_formats_and_refusals(self):
        s = self.populate()
        for fmt, magic in (("svg", b"<?xml"), ("pdf", b"%PDF")):
            outdir = os.path.join(self.tmp, fmt)
            res = self.zo("plot", s["sweep"], "--format", fmt, "--out", outdir)
            self.assertRun(res, 0)
            for n in ("elapsed", "per-page", "cdf"):
                with open(os.path.join(outdir, f"time_mmap_touch-{n}.{fmt}"), "rb") as f:
                    self.assertEqual(f.read(len(magic)), magic)
        out = os.path.join(self.tmp, "refused")
        res = self.zo("plot", s["noop"], "--out", out)
        self.assertRun(res, 1)
        self.assertIn(f"{s['noop']}: noop results have no figures", res.err)
        nokhz = write_set(self.results, "nokhz", params(touch_settings(4), "2026-12-01T18:00:00+0000",
                                                      khz=None, pages=500),
                          touch_out([100] * 500)[2])
        res = self.zo("plot", nokhz, "--out", out)
        self.assertRun(res, 1)
        self.assertIn("records no TSC frequency (tsc_khz)", res.err)
        self.assertFalse(os.path.exists(out))
        # without gnuplot: the data and scripts are there to draw elsewhere
        bindir = os.path.join(self.tmp, "bin")
        os.makedirs(bindir)
        res = self.zo("plot", s["a"], "--out", out, env={"PATH": bindir})
        self.assertRun(res, 1)
        self.assertIn("gnuplot is not installed: install gnuplot (CentOS) or gnuplot-nox (Debian)",
                      res.err)
        self.assertTrue(os.path.exists(os.path.join(out, "time_mmap_touch-elapsed.gp")))
        subprocess.run(["gnuplot", os.path.join(out, "time_mmap_touch-elapsed.gp")], check=True,
                       cwd="/")
        self.assertTrue(os.path.getsize(os.path.join(out, "time_mmap_touch-elapsed.png")) > 0)


if __name__ == "__main__":
    main()
