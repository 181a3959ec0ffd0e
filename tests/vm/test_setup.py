"""zsim-orch setup on a real kernel: all devices checked before any is
written, stable IDs recorded, and a second run (also after a reboot with the
disks reordered) changing nothing."""
from zsimtest import vm as vmtest

SETUP = ("zsim-orch setup --unstable-device-names --swap "
         "/dev/disk/by-id/virtio-sw1 /dev/disk/by-id/virtio-sw2 "
         "--mapper-device /dev/disk/by-id/virtio-pooldata")

STATE = r"""
# swap devices, the pool's tables and the config, as one fingerprint
state() {
	{
		for dev in $(sed 1d /proc/swaps | cut -d' ' -f1); do
			blkid -o value -s UUID "$dev"
		done | sort
		dmsetup table | sed 's/[0-9]*:[0-9]*/M:m/g'
		cat /etc/zsim/zsim.conf
	} >/tmp/state
	sed 's/^/  state: /' /tmp/state >&2
	sha256sum </tmp/state | cut -d' ' -f1
}
"""


class Setup(vmtest.VMTestCase):
    def test_refuses_as_a_whole_then_is_idempotent(self):
        sw1, sw2, pool, ext, state = (
            self.disk("sw1"), self.disk("sw2"),
            self.disk("pooldata", 2 * vmtest.GIB), self.disk("ext"),
            self.disk("zsim-state", 64 * vmtest.MIB))
        first = self.boot(STATE + r"""
use_state_disk
printf '[thin]\nvirtual_size = 4G\n' >/etc/zsim/zsim.conf
conf=$(cat /etc/zsim/zsim.conf)
ext=$(disk ext)
mkfs.ext4 -q "$ext" || fail mkfs

expect_rc 3 """ + SETUP + r""" "$ext"
contains "$ERR" "ext4 filesystem"
contains "$ERR" "nothing was changed"
for s in sw1 sw2 pooldata; do
	[ -z "$(blkid -p -o value -s TYPE $(disk $s))" ] || fail "$s was written"
done
equals "$(dmsetup ls)" "No devices found" "dmsetup ls"
equals "$(cat /etc/zsim/zsim.conf)" "$conf" "config after refusal"

expect_rc 2 zsim-orch setup --swap "$(disk sw1)" --mapper-device /dev/disk/by-id/virtio-sw1
contains "$ERR" "are the same device"
expect_rc 2 zsim-orch setup
expect_rc 1 zsim-orch setup --swap /dev/vdz
contains "$ERR" "/dev/vdz: no such device"

expect_rc 0 """ + SETUP.replace("setup", "--dry-run setup", 1) + r"""
contains "$OUT" "would write a swap header"
contains "$OUT" "would create zsim-pool"
equals "$(dmsetup ls)" "No devices found" "dmsetup ls after --dry-run"

expect_rc 0 """ + SETUP + r"""
equals "$(grep -c '^/dev' /proc/swaps)" 3 "active swap devices"
for s in sw1 sw2; do
	grep -q "^$(disk $s) " /proc/swaps || fail "$s not active"
	grep -q "UUID=$(blkid -o value -s UUID $(disk $s))" /etc/zsim/zsim.conf || fail "$s not recorded"
done
equals "$(dmsetup table zsim-swap | cut -d' ' -f3)" thin "thin volume"
grep -q '^data = /dev/disk/by-id/virtio-pooldata' /etc/zsim/zsim.conf || fail "pool not recorded"
not_contains "$(cat /etc/zsim/zsim.conf)" "/dev/vd" "config"
before=$(state)
expect_rc 0 """ + SETUP + r"""
equals "$(state)" "$before" "state after a second setup"
data state "$before"
""", [sw1, sw2, pool, ext, state])

        second = self.boot(STATE + r"""
use_state_disk
equals "$(grep -c '^/dev' /proc/swaps)" 0 "swap before setup"
expect_rc 0 """ + SETUP + r"""
equals "$(grep -c '^/dev' /proc/swaps)" 3 "active swap devices"
data state "$(state)"
""", [state, pool, ext, sw2, sw1])
        self.assertEqual(first.data["state"], second.data["state"])


if __name__ == "__main__":
    vmtest.main()
