"""The second half of ci/demo: the experiment itself, on the tiny target
under QEMU (TCG) through a private libvirtd that is stopped afterwards."""
import json
import os
import shutil
import subprocess
import sys
import time

# the test harness (tests/lib/zsimtest): paths, the private libvirtd, the tiny target
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))
from zsimtest import DEMO_DIR as KEEP, ZSIM_ORCH as ORCH, ZSIM_TOUCH as TOUCH  # noqa: E402
from zsimtest import libvirtd, script, shared_tmpdir, target  # noqa: E402


def main():
    start = time.monotonic()
    print("zsim demo: a stock Debian kernel under QEMU emulation (TCG) stands in for")
    print("the 0sim kernel and KVM here. This shows the flow; it is NOT a 0sim")
    print("simulation, and its timings say nothing about a real node.\n")
    os.makedirs(KEEP, exist_ok=True)
    work = shared_tmpdir("zsim-demo.", 0o777)
    try:
        return demo(work, start)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def demo(work, start):
    tgt = os.path.join(work, "target")
    target.build(tgt, TOUCH, disk=False)
    state = os.path.join(work, "state")
    os.makedirs(os.path.join(state, "target"))
    for d in (state, os.path.join(state, "target")):
        os.chmod(d, 0o777)
    results = os.path.join(KEEP, "results")
    conf = os.path.join(work, "zsim.conf")
    with open(conf, "w") as f:
        f.write(f"""[host]
require_0sim = no
[target]
name = zsim-demo
accel = tcg
kernel = {tgt}/vmlinuz
initrd = {tgt}/initrd.cpio
cmdline = console=ttyS0 quiet
agent_timeout = 120
[paths]
state = {state}
results = {results}
""")
    with libvirtd.Libvirtd() as d:
        # a 2 GB target touching 1 GB (-s: the runner's default, the
        # target's MemAvailable in whole GB, is 0 for a target this small)
        cmd = [ORCH, "--config", conf, "--connect", d.uri, "run", "exp00000", "2", "-s", "1"]
        print("$ zsim-orch run exp00000 2 -s 1", flush=True)
        res = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        sys.stdout.write(res.stdout)
        d.virsh("undefine", "zsim-demo")
    if res.returncode != 0:
        print(f"zsim demo: the run failed (exit {res.returncode})", file=sys.stderr)
        return 1
    base = res.stdout.strip().splitlines()[-1].split(" ", 1)[1][:-2]
    with open(base + ".out") as f:
        lines = f.read().splitlines()
    with open(base + ".params") as f:
        params = json.load(f)
    first, last = int(lines[0].split()[1]), int(lines[1].split()[1])
    pages = len(lines) - 2
    seconds = (last - first) / (params["tsc_khz"] * 1000)
    print(f"\nzsim demo: {pages} pages ({pages * 4096 >> 20} MiB) touched in the target in "
          f"{seconds:.2f} s of TSC time: {pages / seconds:,.0f} pages/s")
    print(f"zsim demo: results in {os.path.dirname(base)}/ "
          f"({os.path.basename(base)}.{{out,params,time,sim}})")
    print(f"zsim demo: done in {time.monotonic() - start:.0f} s; libvirtd stopped")
    return 0


if __name__ == "__main__":
    script(main)
