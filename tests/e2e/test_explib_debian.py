"""The experiments that need real servers, end to end on the Debian test
image (cloudimage.py: Debian's memcached, redis-server and numactl) that
e2e.prepare prepared with the debian12 profile (the e2e_debian_base
fixture), one target boot per run, small sizes under TCG.

What the servers hold is asked of the servers themselves, in the still
running target: when the run reaches its collect phase (the workload is
over, the target not yet stopped) the test stops zsim-orch (SIGSTOP), asks
through `virsh qemu-agent-command` (guest-exec, with the server's own
client: redis-cli, or memcached's text protocol over bash's /dev/tcp), and
lets zsim-orch go on (SIGCONT). Nothing zsim-orch wrote is the witness of
what the server stored. buddyinfo samples are checked against the target's
shape (a 1 GB target has no Normal zone, the host has one) and size (virsh
dominfo). Every .out line must parse with the old plotting scripts'
regexes (../shared/RUNNER-REFERENCE.md, plotting scripts)."""
import json
import os
import re

from zsimtest import e2e as e2etest
from zsimtest.agent import guest_exec

CLOUD = os.environ.get("ZSIM_E2E_CLOUD", "")
PREPARED = os.environ.get("ZSIM_E2E_PREPARED", "")
BASE = os.path.join(PREPARED, "base-debian12.qcow2")

# plot-memcached_gen_data-*.py, and data-converter's stricter one
DONE_PLOT = re.compile(r"^DONE [0-9]+ Duration { secs: ([0-9]+), nanos: ([0-9]+) }( [0-9]+)?$")
DONE_CSV = re.compile(r"^DONE (\d+) Duration \{ secs: (\d+), nanos: (\d+) \} 0$")
# plot-buddyinfo-over-time.py and data-converter --buddyinfo
BUDDY_PLOT = re.compile(r"Node \d, zone\s+(DMA|DMA32|Normal)((\s+\d+)+)")
BUDDY_CSV = re.compile(r"^Node\s+\d+,\s+zone\s+(DMA|DMA32|Normal)((\s+\d+)+)\s+$")
MEMCACHED_VALUE = 523800
REDIS_VALUE = 1 << 19


class DebianExperiments(e2etest.E2ETestCase):
    name = "e2e-deb"

    def setUp(self):
        for path in (os.path.join(CLOUD, "vmlinuz"), BASE, BASE + ".sha256"):
            if not os.path.exists(path):
                raise e2etest.Missing(f"no {path}: e2e.prepare publishes the prepared Debian "
                                      "base (fixture e2e_debian_base; ctest runs it first)")
        super().setUp()
        with open(BASE + ".sha256") as f:
            digest = f.read().strip()
        self.write_config(kernel=os.path.join(CLOUD, "vmlinuz"),
                          initrd=os.path.join(CLOUD, "initrd.img"),
                          cmdline="root=LABEL=cloudimg-rootfs console=ttyS0",
                          base_image=BASE, base_sha256=digest, base_profile="debian12",
                          agent_timeout="600")

    def guest(self, script, rc=0, timeout=60):
        code, out, err = guest_exec(self.agent, ["/bin/sh", "-c", script], timeout, poll=0.2)
        self.assertEqual(code, rc, f"{script}: {out}{err}")
        return out

    # -- a run, held at its collect phase while `at_collect` asks the guest
    def run_exp(self, *args, at_collect=None, timeout=1200):
        exp = args[0]
        rc, out, err, held = self.run_held(args, f"{exp}: collect",
                                           at_collect or (lambda: None), timeout)
        self.assertEqual(rc, 0, err[-3000:])
        if at_collect:
            self.assertIsNotNone(held, f"never saw the '{exp}: collect' phase")
        m = re.search(r"^RESULTS: (.*)\.\*$", out.splitlines()[-1])
        self.assertTrue(m, out)
        with open(m.group(1) + ".params") as f:
            params = json.load(f)
        with open(m.group(1) + ".time") as f:
            print(f"{exp} .time:\n{f.read()}")
        with open(m.group(1) + ".out") as f:
            lines = f.read().splitlines()
        self.assertIn("State:          shut off", self.virsh("dominfo", self.name))
        return lines, params, held

    def test_exp00000_memcached(self):
        def stats():
            # our own memcached (-d, not Debian's unit): its limit is -m 2048
            self.assertEqual(self.guest("systemctl is-enabled memcached.service", rc=1).strip(),
                             "disabled")
            # memcached's text protocol with bash's /dev/tcp: no client of ours
            text = self.guest("bash -c 'exec 3<>/dev/tcp/127.0.0.1/11211; "
                              "printf \"stats\\r\\nquit\\r\\n\" >&3; timeout 10 cat <&3'")
            st = dict(l.split()[1:3] for l in text.splitlines() if l.startswith("STAT "))
            st["uname -r"] = self.guest("uname -r").strip()
            return st

        lines, params, st = self.run_exp("exp00000", "2", "-m", "-s", "2", at_collect=stats)
        # the guest kernel .params names is the one the target ran
        self.assertEqual(params["guest_kernel"], st["uname -r"])
        print("memcached stats: " + ", ".join(f"{k} {st[k]}" for k in (
            "curr_items", "cmd_set", "bytes", "limit_maxbytes", "evictions")))
        self.assertEqual(params["workload_size_gb"], "2")
        self.assertEqual(int(st["limit_maxbytes"]), 2048 << 20)
        # the runner's fill: size - 1 GB of 523,800-byte values
        puts = (1 << 30) // MEMCACHED_VALUE
        errors = [l for l in lines if l.startswith("memcached returned error: ")]
        done = [l for l in lines if l.startswith("DONE ")]
        self.assertEqual(len(errors) + len(done), len(lines), lines[:5])
        for l in done:
            self.assertRegex(l, DONE_PLOT)
            self.assertRegex(l, DONE_CSV)
        self.assertEqual([int(DONE_CSV.match(l).group(1)) for l in done],
                         list(range(0, puts, 100)))
        self.assertEqual(errors, [])
        self.assertEqual(int(st["curr_items"]), puts)
        self.assertEqual(int(st["cmd_set"]), puts)
        self.assertGreaterEqual(int(st["bytes"]), puts * MEMCACHED_VALUE)

    def test_exp00000_redis(self):
        def stats():
            self.assertEqual(self.guest("systemctl is-enabled redis-server.service", rc=1)
                             .strip(), "disabled")
            cli = "redis-cli -s /tmp/redis.sock "
            return {"dbsize": int(self.guest(cli + "DBSIZE")),
                    "info": dict(l.split(":", 1) for l in self.guest(
                        cli + "INFO stats").splitlines() if ":" in l),
                    "maxmemory": self.guest(cli + "CONFIG GET maxmemory").split(),
                    "policy": self.guest(cli + "CONFIG GET maxmemory-policy").split()}

        lines, params, st = self.run_exp("exp00000", "2", "-r", "-s", "1", at_collect=stats)
        print(f"redis: DBSIZE {st['dbsize']}, evicted_keys "
              f"{st['info']['evicted_keys'].strip()}, {st['maxmemory']}")
        self.assertEqual(params["workload_size_gb"], "1")
        self.assertEqual(st["maxmemory"], ["maxmemory", str(1024 << 20)])
        self.assertEqual(st["policy"], ["maxmemory-policy", "allkeys-random"])
        puts = (1 << 30) // REDIS_VALUE
        done = [l for l in lines if l.startswith("DONE ")]
        self.assertEqual([l for l in lines if not l.startswith("DONE ")], [])
        for l in done:
            self.assertRegex(l, DONE_PLOT)
            self.assertRegex(l, DONE_CSV)
        self.assertEqual([int(DONE_CSV.match(l).group(1)) for l in done],
                         list(range(0, puts, 100)))
        # what redis holds plus what it evicted (allkeys-random at maxmemory)
        # is every key the client put
        evicted = int(st["info"]["evicted_keys"].strip())
        self.assertGreater(st["dbsize"], 0)
        self.assertEqual(st["dbsize"] + evicted, puts, st["info"])

    def test_exp00007_memhog(self):
        with open("/proc/buddyinfo") as f:
            host = f.read()
        lines, params, _ = self.run_exp("exp00007", "1", "-h", "--vm_size", "1")
        # the host this runs on has a Normal zone; a 1 GB target has none
        self.assertRegex(host, r"zone\s+Normal")
        self.assertGreater(len(lines), 0)
        for l in lines:
            self.assertRegex(l, BUDDY_PLOT)
            self.assertRegex(l, BUDDY_CSV)
        zones = [BUDDY_CSV.match(l).group(1) for l in lines]
        self.assertEqual(set(zones), {"DMA", "DMA32"})
        self.assertEqual(zones, ["DMA", "DMA32"] * (len(lines) // 2))
        mem_kib = int(re.search(r"Max memory:\s+(\d+) KiB",
                                self.virsh("dominfo", self.name)).group(1))
        self.assertEqual(mem_kib, 1 << 20)
        free_kib = []
        for i in range(0, len(lines), 2):
            counts = [[int(n) for n in BUDDY_CSV.match(l).group(2).split()]
                      for l in lines[i:i + 2]]
            for c in counts:
                self.assertEqual(len(c), 11)  # orders 0..10
            free_kib.append(sum(n << o for c in counts for o, n in enumerate(c)) * 4)
        print(f"buddyinfo: {len(free_kib)} samples, free KiB min {min(free_kib)} "
              f"max {max(free_kib)}, target {mem_kib} KiB")
        self.assertLess(max(free_kib), mem_kib)
        # memhog took the available memory: some sample saw most of it gone
        avail = int(params["target_mem_available_kb"])
        self.assertLess(min(free_kib), avail // 2, free_kib)


if __name__ == "__main__":
    e2etest.main()
