"""The instrumented-kernel experiments (exp00003, exp00004, exp00006,
exp00008) against stock kernels: each refuses (exit 3) naming the /proc
files it needs and the 0sim branch that adds them, after running its
phases up to that point, and the host is as before; the target is off.
The host conditioned is a fixture tree given as --root (as e2e.run's
Conditioning does): other e2e tests condition this machine's real knobs at
the same time, so a before/after comparison of them would race.

DebianSwap: [target] guest_swap on the Debian base e2e.prepare made (its
copy, the e2e_debian_base fixture): the swap file is on in the target
while exp00008 runs (/proc/swaps read through the guest agent with virsh,
zsim-orch held with SIGSTOP meanwhile) and has no holes (stat's blocks)."""
import json
import os
import re
import shutil

from zsimtest import e2e as e2etest
from zsimtest import initramfs
from zsimtest.env import E2E_CLOUD, E2E_PREPARED

# what a run conditions on this host, read before and after
HOST_FILES = ("/sys/kernel/mm/transparent_hugepage/enabled",
              "/sys/kernel/mm/transparent_hugepage/defrag",
              "/sys/kernel/mm/transparent_hugepage/khugepaged/defrag",
              "/sys/kernel/mm/transparent_hugepage/khugepaged/alloc_sleep_millisecs",
              "/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs",
              "/sys/kernel/mm/ksm/run", "/proc/sys/kernel/printk",
              "/sys/module/zswap/parameters/enabled", "/sys/module/zswap/parameters/zpool",
              "/sys/module/zswap/parameters/max_pool_percent",
              "/sys/module/kvm_intel/parameters/enable_tsc_offsetting",
              "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")


def selected(value):
    """A sysfs choice as the kernel shows it ("always [madvise] never") or as
    written back into a fixture file ("madvise"): the chosen one."""
    m = re.search(r"\[(\w+)\]", value)
    return m.group(1) if m else value


def host_state(root):
    out = {}
    for path in HOST_FILES + ("/proc/swaps",):
        try:
            with open(root + path) as f:
                out[path] = selected(f.read().strip())
        except OSError as e:
            out[path] = f"absent ({e.errno})"
            continue
        # a bool module parameter written as 1/0 reads back as Y/N from the
        # kernel; the fixture file keeps what was written
        if path.startswith("/sys/module/") and out[path] in ("0", "1"):
            out[path] = "NY"[int(out[path])]
    return out


class TinyTarget(e2etest.E2ETestCase):
    name = "e2e-kexp"

    def setUp(self):
        super().setUp()
        self.root = e2etest.conditioned_root(os.path.join(self.tmp, "host"), e2etest.TARGET)
        with open(self.conf, "w") as f:
            f.write(f"[host]\nrequire_0sim = no\n[target]\nname = {self.name}\naccel = tcg\n"
                    f"memory = 256M\nvcpus = 1\nagent_timeout = 90\n"
                    f"kernel = /target/vmlinuz\ninitrd = /target/initrd.cpio\n"
                    f"cmdline = console=ttyS0 quiet\n"
                    f"[paths]\nstate = /state\nresults = /results\n")

    def refused(self, exp, args, phase, needs, branch,
                ran=("preflight", "storage", "condition host", "target start")):
        before = host_state(self.root)
        res = self.zo("-v", "--root", self.root, "run", exp, *args)
        self.assertRun(res, 3)
        self.assertIn(f"{exp} failed in phase {phase}", res.err)
        self.assertIn(f"{exp} needs {needs}, which the target's kernel", res.err)
        self.assertIn(f"0sim's {branch} branch", res.err)
        self.assertIn("zsim-orch target kernel build --git https://github.com/multifacet/0sim",
                      res.err)
        # the phases before it ran (the target booted: its kernel was asked)
        phases = re.findall(rf"^zsim-orch: {exp}: (.*)$", res.err, re.M)
        self.assertEqual(phases, [*ran, phase])
        self.assertIn("State:          shut off", self.virsh("dominfo", self.name))
        self.assertEqual(host_state(self.root), before, exp)
        m = re.search(r"^RESULTS: (.*)\.\*$", res.out, re.M)
        with open(m.group(1) + ".params") as f:
            params = json.load(f)
        # the target's kernel, as its own uname said
        self.assertEqual(params["target_kernel"], self.target_release())
        return res

    def target_release(self):
        return initramfs.kernel_release()

    def test_exp00003(self):
        self.refused("exp00003", ["1", "-s", "1"], "setup",
                     "/proc/compact_instrumentation /proc/compact_spurious_fail",
                     "markm_instrumented")
        self.refused("exp00003", ["1", "-s", "1", "--continual_compaction", "2"], "setup",
                     "/proc/compact_instrumentation /proc/compact_spurious_fail "
                     "/proc/compact_trigger", "markm_instrumented")

    def test_exp00006(self):
        # the runner's first boot, for the boot parameter, finds the kernel
        self.refused("exp00006", ["1", "1", "4"], "boot parameter",
                     "/proc/ktask_instrumentation",
                     "markm_instrument_ktask or markm_instrument_mem_init",
                     ran=("preflight", "storage"))

    def test_exp00008(self):
        self.refused("exp00008", ["1", "-m", "--vm_size", "1"], "setup",
                     "/proc/swap_instrumentation", "markm_instrument_swap")
        self.refused("exp00008", ["1", "-h", "--vm_size", "1", "-f", "2"], "setup",
                     "/proc/swap_instrumentation /proc/swap_extra_factor",
                     "markm_instrument_swap")

    def test_exp00004_on_this_host(self):
        # bare metal: this host's stock kernel has no compaction counters;
        # refused in preflight, before anything is conditioned
        res = self.zo("run", "exp00004", "1")
        self.assertRun(res, 3)
        self.assertIn("exp00004 failed in phase preflight", res.err)
        self.assertIn("exp00004 needs /proc/compact_instrumentation "
                      "/proc/compact_spurious_fail, which this host's kernel "
                      f"({os.uname().release}) does not have", res.err)
        self.assertIn("0sim's markm_instrumented branch", res.err)


class DebianSwap(e2etest.E2ETestCase):
    name = "e2e-kswap"

    def setUp(self):
        self.prepared = E2E_PREPARED
        if not os.path.exists(os.path.join(self.prepared, "base.json")):
            raise e2etest.Missing(f"no prepared Debian base in '{self.prepared}': the "
                                  "e2e.prepare test leaves one (ctest runs it first)")
        super().setUp()
        with open(os.path.join(self.prepared, "base.json")) as f:
            self.base_info = json.load(f)
        base = os.path.join(self.tmp, "base-debian12.qcow2")
        shutil.copyfile(os.path.join(self.prepared, "base-debian12.qcow2"), base)
        os.chmod(base, 0o644)
        self.write_config(base_image=base, base_sha256=self.base_info["sha256"],
                          base_profile="debian12",
                          base_guest_swap=str(self.base_info["guest_swap"]),
                          kernel=os.path.join(E2E_CLOUD, "vmlinuz"),
                          initrd=os.path.join(E2E_CLOUD, "initrd.img"),
                          cmdline="root=LABEL=cloudimg-rootfs console=ttyS0",
                          memory="1G", agent_timeout="600")

    def test_swap_on_without_holes_while_exp00008_runs(self):
        size = self.base_info["guest_swap"]

        def swap_on():
            swaps = self.agent_exec("cat", "/proc/swaps").splitlines()
            rows = [l.split() for l in swaps[1:]]
            self.assertIn("/swapfile", [r[0] for r in rows], swaps)
            row = [r for r in rows if r[0] == "/swapfile"][0]
            self.assertEqual(row[1], "file")
            self.assertEqual(int(row[2]) * 1024, size - 4096)  # the header page
            blocks, unit, nbytes = self.agent_exec("stat", "-c", "%b %B %s",
                                                   "/swapfile").split()
            self.assertEqual(int(nbytes), size)
            # every byte is on disk: no holes
            self.assertEqual(int(blocks) * int(unit), size)
            return True

        # zsim-orch held while the target runs with its swap on
        rc, out, err, held = self.run_held(["exp00008", "1", "-m", "--vm_size", "1"],
                                           "swap file /swapfile is on", swap_on, timeout=300)
        self.assertTrue(held, err)
        # then the stock kernel is refused, as on the tiny target
        self.assertEqual(rc, 3, err)
        self.assertIn("exp00008 needs /proc/swap_instrumentation", err)
        self.assertIn("State:          shut off", self.virsh("dominfo", self.name))


if __name__ == "__main__":
    e2etest.main()
