"""The instrumented-kernel experiments exp00003, exp00004, exp00006 and
exp00008 as the old runner took them (positional arguments, short flags,
underscore spellings), bad input (exit 2 naming the argument), their
result names and files under --dry-run; exp00004 (bare metal) refused on
a host root without the markm_instrumented /proc files, naming the branch
and changing nothing, and run for real on this host against a fixture root
that has them (a fake /proc/compact_instrumentation, read by the workload
through the same root): its THP settings put back, memcached gone, .out
in the old program's format."""
import glob
import hashlib
import json
import os
import re
import shutil
import socket

from zsimtest import SOURCE_DIR, main
from zsimtest.exp import STAMP, ExpCase

FIXTURE = os.path.join(SOURCE_DIR, "tests", "fixtures", "0sim-node")
THP = "sys/kernel/mm/transparent_hugepage"


def tree_digest(root):
    """The host's files under `root` (its /proc and /sys)."""
    h = hashlib.sha256()
    for d, dirs, files in sorted(x for top in ("proc", "sys")
                                 for x in os.walk(os.path.join(root, top))):
        dirs.sort()
        for name in sorted(files):
            p = os.path.join(d, name)
            h.update(p.encode())
            with open(p, "rb") as f:
                h.update(f.read())
    return h.hexdigest()


class KExp(ExpCase):
    def test_list_and_help(self):
        res = self.zo("run", "--list")
        self.assertRun(res, 0)
        for exp, what in (("exp00003", "memcached under aggressive compaction"),
                          ("exp00004", "exp00003 on bare metal"),
                          ("exp00006", "boot-time memory init with ktask"),
                          ("exp00008", "reclaim")):
            self.assertRegex(res.out, rf"(?m)^{exp} +{what}")
        for exp, usage, aliases in (
                ("exp00003", "VMSIZE", ("[also -C]", "[also -s]", "[also --continual_compaction]")),
                ("exp00006", "VMSIZE CORES", ("[also --no_ktask]",)),
                ("exp00008", "INTERVAL", ("[also -m]", "[also -c]", "[also -h]", "[also -w]",
                                          "[also --vm_size]", "[also -C]", "[also -f]"))):
            res = self.zo("run", exp, "--help")
            self.assertRun(res, 0)
            self.assertIn(f"usage: zsim-orch run {exp} {usage}", res.out)
            for alias in aliases:
                self.assertIn(alias, res.out, exp)

    def test_names_and_spellings(self):
        table = [
            ("exp00003", ["4"], " 4",
             "workload_memcached_per_page_thp_ops_-continual_compactionnull-size13-vm_size4",
             "params,out,memcached_latency,time,sim"),
            ("exp00003", ["4", "-C", "2", "-s", "5", "--continual_compaction", "1"],
             " 4 --cores 2 --size 5 --continual-compaction 1",
             "workload_memcached_per_page_thp_ops_-continual_compaction1-size5-vm_size4",
             "params,out,memcached_latency,time,sim"),
            ("exp00003", ["4", "-s7"], " 4 --size 7",
             "workload_memcached_per_page_thp_ops_-continual_compactionnull-size7-vm_size4",
             "params,out,memcached_latency,time,sim"),
            ("exp00004", ["3"], " 3", "workload_memcached_thp_ops_per_page_bare_metal_-size3",
             "params,out,time,sim"),
            ("exp00006", ["4", "2", "4"], " 4 2 4",
             "workload_ktask_boot_mem_init_-vm_size4-cores2-ktask_div4", "params,out,time,sim"),
            ("exp00006", ["4", "2", "--no_ktask"], " 4 2 --no-ktask",
             "workload_boot_mem_init_-vm_size4-cores2", "params,out,time,sim"),
            ("exp00008", ["30", "-m"], " 30 --memcached",
             "workload_swap_memcached_gen_data_-vm_size2048-cores1-factor0",
             "params,out,guest_mem,time,sim"),
            ("exp00008", ["30", "-hw", "--vm_size", "4", "-C", "2", "-f", "3"],
             " 30 --memhog --warmup --vm-size 4 --cores 2 --factor 3",
             "workload_swap_memhog_-vm_size4-cores2-factor3", "params,out,guest_mem,time,sim"),
            ("exp00008", ["30", "-c"], " 30 --cg", "workload_swap_nas_cg_-vm_size2048-cores1-factor0",
             "params,out,guest_mem,time,sim"),
        ]
        for exp, args, canonical, name, files in table:
            ran, base, exts = self.plan(exp, *args)
            self.assertEqual(ran, canonical, (exp, args))
            self.assertRegex(base, "^" + re.escape(name) + STAMP + "$", (exp, args))
            self.assertEqual(exts, files, (exp, args))
        self.assertFalse(os.path.exists(self.results))

    def test_bad_input(self):
        for exp, args, said in (
                ("exp00003", [], "VMSIZE is missing"),
                ("exp00003", ["x"], "VMSIZE x"),
                ("exp00003", ["4", "-s", "0"], "-s 0"),
                ("exp00003", ["4", "--continual_compaction"], "--continual_compaction"),
                ("exp00003", ["4", "--continual_compaction", "y"], "--continual_compaction y"),
                ("exp00004", [], "SIZE is missing"),
                ("exp00004", ["1", "2"], "unexpected argument '2'"),
                ("exp00006", ["4"], "CORES is missing"),
                ("exp00006", ["4", "2"], "give DIV (ktask's divisor) or --no_ktask"),
                ("exp00006", ["4", "2", "3", "--no_ktask"], "give DIV or --no_ktask, not both"),
                ("exp00006", ["4", "2", "0"], "DIV 0"),
                ("exp00008", ["30"], "give one workload"),
                ("exp00008", ["0", "-m"], "INTERVAL 0"),
                ("exp00008", ["30", "-m", "-h"], "-m and -h exclude each other"),
                ("exp00008", ["30", "-m", "-f", "x"], "-f x"),
                ("exp00008", ["30", "-m", "--vm_size", "0"], "--vm_size 0")):
            res = self.zo("run", exp, *args)
            self.assertRun(res, 2)
            self.assertIn(said, res.err, (exp, args))
        self.assertFalse(os.path.exists(self.results))

    def fixture_root(self, compact):
        root = os.path.join(self.tmp.name, "root")
        shutil.copytree(FIXTURE, root, symlinks=True)
        shutil.rmtree(os.path.join(root, "etc"))  # the config is ours
        kh = os.path.join(root, THP, "khugepaged")
        os.makedirs(kh)
        for path, value in ((os.path.join(root, THP, "defrag"),
                             "always defer defer+madvise [madvise] never\n"),
                            (os.path.join(kh, "defrag"), "0\n"),
                            (os.path.join(kh, "alloc_sleep_millisecs"), "60000\n"),
                            (os.path.join(kh, "scan_sleep_millisecs"), "10000\n")):
            with open(path, "w") as f:
                f.write(value)
        if compact:
            for name, value in (("compact_instrumentation", "7 3\n"),
                                ("compact_spurious_fail", "2\n")):
                with open(os.path.join(root, "proc", name), "w") as f:
                    f.write(value)
        return root

    def test_exp00004_refused_on_a_host_without_the_instrumented_kernel(self):
        root = self.fixture_root(compact=False)
        before = tree_digest(root)
        res = self.zo("--root", root, "run", "exp00004", "1")
        self.assertRun(res, 3)
        self.assertIn("exp00004 needs /proc/compact_instrumentation "
                      "/proc/compact_spurious_fail, which this host's kernel", res.err)
        self.assertIn("0sim's markm_instrumented branch", res.err)
        self.assertIn("failed in phase preflight", res.err)
        self.assertEqual(tree_digest(root), before, "the refused run changed the host root")

    def test_exp00004_runs_against_a_root_with_the_counters(self):
        root = self.fixture_root(compact=True)
        res = self.zo("--root", root, "run", "exp00004", "1", timeout=600,
                      env={"ZSIM_ROOT": root})
        self.assertRun(res, 0)
        base = re.search(r"(?m)^RESULTS: (.*)\.\*$", res.out).group(1)
        self.assertRegex(os.path.basename(base),
                         "^workload_memcached_thp_ops_per_page_bare_metal_-size1" + STAMP + "$")
        with open(base + ".out") as f:
            lines = f.read().splitlines()
        # memcached -M -m 1024 fills up before 1 GiB of 2^19-byte values
        # is in (the runner's allow_oom): the client says so twice and
        # ends; the run goes on
        # (here: in the third stage, after N puts and N/3 deletes)
        self.assertIn(lines[:-2], (["NEXT!", "NEXT!"], ["NEXT!"], []), lines)
        for l in lines[-2:]:
            self.assertRegex(l, r"^unexpected error: SERVER_ERROR (?i:out of memory)")
        with open(base + ".params") as f:
            params = json.load(f)
        self.assertEqual(params["size"], 1)
        self.assertEqual(params["transparent_hugepage_enabled"], "always")
        self.assertIn("memcached_and_capture_thp exited 1", params["workload_note"])
        # put back: the files hold what the kernel would have said before
        for rel, want in ((f"{THP}/enabled", "madvise"), (f"{THP}/defrag", "madvise"),
                          (f"{THP}/khugepaged/defrag", "0"),
                          (f"{THP}/khugepaged/alloc_sleep_millisecs", "60000"),
                          (f"{THP}/khugepaged/scan_sleep_millisecs", "10000"),
                          ("proc/compact_spurious_fail", "2")):
            with open(os.path.join(root, rel)) as f:
                self.assertEqual(f.read().strip(), want, rel)
        # memcached stopped: nothing listens on its port any more
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", 11211), timeout=5).close()


if __name__ == "__main__":
    main()
