"""target prepare on a real cloud-style image: a Debian 12 image built from
Debian's packages (cloudimage.py: debootstrap, the stock kernel, cloud-init,
qemu-guest-agent) is prepared with the debian12 profile, then exp00000 runs
on an overlay of it. Checked with other tools than ours: hashlib for the
checksum, debugfs for what is in the base and in the overlay chain,
virsh for the overlay's backing file. Also: an image whose cloud-init
never finishes (the tiny target has none) times out and keeps nothing.

The prepared base is also the ctest fixture e2e_debian_base: a copy of it
and its checksum go to $ZSIM_E2E_PREPARED, where test_explib_debian.py runs
the experiments on it without preparing a second time."""
import hashlib
import json
import os
import re
import shutil
import subprocess
import time

from zsimtest import e2e as e2etest

CLOUD = os.environ.get("ZSIM_E2E_CLOUD", "")
SWAP = 64 << 20  # [target] guest_swap = 64M
PREPARED = os.environ.get("ZSIM_E2E_PREPARED", "")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def config_value(conf, key):
    with open(conf) as f:
        m = re.search(rf"^{key}\s*=\s*(\S+)", f.read(), re.M)
    return m.group(1) if m else None


def guest_file_exists(tmp, image, path):
    """Whether `path` exists in the ext4 root of `image` (its whole backing
    chain), read with qemu-img and debugfs rather than through a guest."""
    raw = os.path.join(tmp, "inspect.raw")
    subprocess.run(["qemu-img", "convert", "-O", "raw", image, raw], check=True)
    try:
        res = subprocess.run(["debugfs", "-R", f"stat {path}", raw], capture_output=True,
                             text=True)
        return "Inode:" in res.stdout
    finally:
        os.unlink(raw)


def publish(base, digest):
    """The prepared base for the tests that need one (fixture
    e2e_debian_base): a copy, since this test then damages its own."""
    if not PREPARED:
        raise e2etest.Missing("ZSIM_E2E_PREPARED is not set: run this test through ctest")
    os.makedirs(PREPARED, exist_ok=True)
    dest = os.path.join(PREPARED, "base-debian12.qcow2")
    for name in (dest, dest + ".sha256"):
        if os.path.lexists(name):
            os.unlink(name)
    shutil.copyfile(base, dest + ".tmp")
    os.chmod(dest + ".tmp", 0o644)
    os.rename(dest + ".tmp", dest)
    with open(dest + ".sha256", "w") as f:
        f.write(digest + "\n")
    # what the config recorded of it, for the tests that configure it
    with open(os.path.join(PREPARED, "base.json.new"), "w") as f:
        json.dump({"base": dest, "sha256": digest, "profile": "debian12", "guest_swap": SWAP},
                  f)
    os.rename(os.path.join(PREPARED, "base.json.new"), os.path.join(PREPARED, "base.json"))
    print(f"published the prepared base as {dest}")


class Prepare(e2etest.E2ETestCase):
    # short: the agent socket path holds it, and "-prep" for preparing
    name = "e2e-p"

    def setUp(self):
        if not os.path.exists(os.path.join(CLOUD, "debian12-cloud.qcow2")):
            raise e2etest.Missing(f"no cloud image in '{CLOUD}': run the e2e.build-cloudimage "
                               "test first (ctest -L e2e does)")
        super().setUp()

    def cloud_config(self, **extra):
        self.write_config(kernel=os.path.join(CLOUD, "vmlinuz"),
                          initrd=os.path.join(CLOUD, "initrd.img"),
                          cmdline="root=LABEL=cloudimg-rootfs console=ttyS0",
                          memory="1G", agent_timeout="600", **extra)

    def test_prepare_then_run_on_an_overlay(self):
        self.cloud_config(guest_swap="64M")
        cloud = os.path.join(CLOUD, "debian12-cloud.qcow2")
        cloud_sum = sha256(cloud)
        t0 = time.monotonic()
        res = self.zo("target", "prepare", "--from", cloud, "--profile", "debian12",
                      "--timeout", "1200", timeout=1500)
        prepare_s = time.monotonic() - t0
        self.assertRun(res, 0)
        print(f"MEASURE target prepare: {prepare_s:.1f} s")
        # the pool follows this test's state directory, even when the same
        # libvirtd has it defined elsewhere from an earlier test
        self.assertIn(f"<path>{self.state}/images</path>",
                      self.virsh("pool-dumpxml", "zsim"))
        base = config_value(self.conf, "base_image")
        self.assertEqual(base, os.path.join(self.state, "images", "base-debian12.qcow2"))
        self.assertEqual(config_value(self.conf, "base_profile"), "debian12")
        self.assertEqual(config_value(self.conf, "base_sha256"), sha256(base))
        self.assertEqual(sha256(cloud), cloud_sum, "the cloud image itself was modified")
        # what the profile did, read off the disk
        for path in ("/var/lib/zsim/prepared", "/usr/local/bin/zsim-touch", "/results",
                     "/etc/sysctl.d/90-zsim.conf", "/usr/local/bin/time_loop",
                     "/usr/local/bin/locality_mem_access", "/usr/local/bin/hog",
                     "/usr/local/bin/memcached_gen_data", "/usr/local/bin/redis_gen_data",
                     "/usr/local/sbin/zsim-build-benchmarks"):
            self.assertTrue(guest_file_exists(self.tmp, base, path), path)
        # [target] guest_swap: the swap file, written whole, and its size recorded
        self.assertEqual(config_value(self.conf, "base_guest_swap"), str(SWAP))
        self.assertTrue(guest_file_exists(self.tmp, base, "/swapfile"))
        base_sum = sha256(base)
        publish(base, base_sum)

        res = self.zo("run", "exp00000", "1", "--zeros", timeout=900)
        self.assertRun(res, 0)
        m = re.search(r"^RESULTS: (.*)\.\*$", res.out, re.M)
        with open(m.group(1) + ".params") as f:
            params = json.load(f)
        with open(m.group(1) + ".out") as f:
            self.assertEqual(len(f.read().splitlines()) - 2, int(params["pages_touched"]))
        self.assertEqual(sha256(base), base_sum, "the run modified the base image")
        overlay = os.path.join(self.state, "images", self.name + ".qcow2")
        vol = self.virsh("vol-dumpxml", "--pool", "zsim", self.name + ".qcow2")
        self.assertRegex(vol, rf"<backingStore>\s*<path>{re.escape(base)}</path>")
        self.assertIn(overlay, self.virsh("dumpxml", self.name))
        self.assertTrue(guest_file_exists(self.tmp, overlay, "/results/.zsim-dmesg"))
        self.assertFalse(guest_file_exists(self.tmp, base, "/results/.zsim-dmesg"))

        # a rebuild starts from the prepared base without preparing again
        t0 = time.monotonic()
        self.assertRun(self.zo("target", "create", "--destroy-existing"), 0)
        print(f"MEASURE target create --destroy-existing: {time.monotonic() - t0:.2f} s")
        self.assertFalse(guest_file_exists(self.tmp, overlay, "/results/.zsim-dmesg"))
        t0 = time.monotonic()
        self.assertRun(self.zo("target", "start"), 0)
        print(f"MEASURE target start after the rebuild: {time.monotonic() - t0:.1f} s")
        self.assertRun(self.zo("target", "stop"), 0)

        # a base that changed is refused, with the fix
        with open(base, "ab") as f:
            f.write(b"\0" * 512)
        res = self.zo("run", "exp00000", "1", "--zeros")
        self.assertRun(res, 3)
        self.assertIn("changed since 'target prepare'", res.err)
        self.assertIn("State:          shut off", self.virsh("dominfo", self.name))

    def test_a_guest_without_cloud_init_times_out_and_nothing_is_kept(self):
        tiny = e2etest.TARGET
        self.write_config(kernel=os.path.join(tiny, "vmlinuz"),
                          initrd=os.path.join(tiny, "initrd.cpio"),
                          cmdline="console=ttyS0 root=/dev/vda")
        with open(self.conf) as f:
            before = f.read()
        res = self.zo("target", "prepare", "--from", os.path.join(tiny, "base.qcow2"),
                      "--profile", "debian12", "--timeout", "30")
        self.assertRun(res, 1)
        self.assertIn("cloud-init did not finish within 30 s", res.err)
        self.assertIn("Last lines of the serial log", res.err)
        with open(self.conf) as f:
            self.assertEqual(f.read(), before)
        images = os.path.join(self.state, "images")
        self.assertEqual([n for n in os.listdir(images) if "base" in n or "seed" in n], [])
        self.assertEqual(self.virsh("list", "--all", "--name").strip(), "")


if __name__ == "__main__":
    e2etest.main()
