"""Swap by stable ID on a real kernel: the header zsim-orch writes, the ID it
records, the safety rule, checked with blkid, /proc/swaps and mount."""
from zsimtest import vm as vmtest

# Two partitions on the disk: the first 64 MiB, the second the rest.
PARTITION = "printf 'o\\nn\\np\\n1\\n\\n+64M\\nn\\np\\n2\\n\\n\\nw\\n' | fdisk {dev} >/dev/null"


class SwapByStableId(vmtest.VMTestCase):
    def test_survives_reordered_disks(self):
        a, b, state = (self.disk("diskA"), self.disk("diskB"),
                       self.disk("zsim-state", 64 * vmtest.MIB))
        first = self.boot(r"""
use_state_disk
a=$(disk diskA)
equals "$a" /dev/vda "diskA's name on the first boot"
expect_rc 0 zsim-orch swap add "$a"
uuid=$(blkid -s UUID -o value "$a")
equals "$(blkid -s TYPE -o value "$a")" swap "blkid TYPE"
contains "$OUT" "recorded as UUID=$uuid"
conf=$(cat /etc/zsim/zsim.conf)
contains "$conf" "swap = UUID=$uuid" "zsim.conf"
not_contains "$conf" "/dev/vd" "zsim.conf"
grep -q "^$a " /proc/swaps || fail "$a not in /proc/swaps"
# a second add of the same disk changes nothing
expect_rc 0 zsim-orch swap add "$a"
contains "$OUT" "already zsim swap"
equals "$(grep -c UUID= /etc/zsim/zsim.conf)" 1 "recorded IDs"
data uuid "$uuid"
""", [a, b, state])

        second = self.boot(r"""
use_state_disk
a=$(disk diskA)
equals "$a" /dev/vdb "diskA's name on the second boot"
[ -z "$(blkid -s TYPE -o value /dev/vda)" ] || fail "diskB gained a signature"
expect_rc 0 zsim-orch swap on
grep -q "^/dev/vdb " /proc/swaps || fail "/dev/vdb (diskA) not in /proc/swaps"
grep -q "^/dev/vda " /proc/swaps && fail "/dev/vda (diskB) is swap"
data uuid "$(blkid -s UUID -o value "$a")"
expect_rc 0 zsim-orch swap status
contains "$OUT" "/dev/vdb"
expect_rc 0 zsim-orch swap off
grep -q "^/dev/vdb " /proc/swaps && fail "swap off left /dev/vdb on"
expect_rc 0 zsim-orch swap on
grep -q "^/dev/vdb " /proc/swaps || fail "swap on after off"
""", [b, a, state])
        self.assertEqual(first.data["uuid"], second.data["uuid"])


class SwapSafety(vmtest.VMTestCase):
    def test_ext4_refused_then_forced(self):
        a = self.disk("diskA")
        self.boot(r"""
a=$(disk diskA)
mkfs.ext4 -q "$a" || fail mkfs
mkdir -p /mnt/a
mount "$a" /mnt/a && echo precious >/mnt/a/file && umount /mnt/a || fail setup
expect_rc 3 zsim-orch swap add "$a"
contains "$ERR" "ext4 filesystem"
contains "$ERR" "--force"
mount "$a" /mnt/a || fail "ext4 gone after the refusal"
equals "$(cat /mnt/a/file)" precious "file on the ext4 disk"
[ -e /etc/zsim/zsim.conf ] && fail "a refused add wrote the config"

# mounted: --force does not override that
expect_rc 3 zsim-orch swap add --force "$a"
contains "$ERR" "mounted on /mnt/a"
equals "$(cat /mnt/a/file)" precious "file after refused --force"
umount /mnt/a

expect_rc 0 zsim-orch --dry-run swap add --force "$a"
contains "$OUT" "would wipe: overwriting an ext4 filesystem"
equals "$(blkid -s TYPE -o value "$a")" ext4 "TYPE after --dry-run"

expect_rc 0 zsim-orch swap add --force "$a"
contains "$ERR" "overwriting an ext4 filesystem"
equals "$(blkid -s TYPE -o value "$a")" swap "TYPE after --force"
run wipefs "$a"
not_contains "$OUT" ext4 "wipefs listing"
grep -q "^$a " /proc/swaps || fail "$a not active"
""", [a])

    def test_partitions_and_bad_devices(self):
        a, b = self.disk("diskA"), self.disk("diskB")
        self.boot(r"""
a=$(disk diskA)
b=$(disk diskB)
""" + PARTITION.format(dev="$a") + r"""
[ -b "${a}1" ] && [ -b "${a}2" ] || fail "partitions not created"
expect_rc 3 zsim-orch swap add "$a"
contains "$ERR" "dos partition table"

mkfs.ext4 -q "${a}1" && mkdir -p /mnt/p && mount "${a}1" /mnt/p || fail setup
expect_rc 3 zsim-orch swap add --force "$a"
contains "$ERR" "mounted on /mnt/p"
equals "$(blkid -s PTTYPE -o value "$a")" dos "partition table after refusal"

# an unused partition next to a mounted one is fine, and recorded by UUID
expect_rc 0 zsim-orch swap add "${a}2"
grep -q "^${a}2 " /proc/swaps || fail "${a}2 not active"

# someone else's active swap is never reformatted
mkswap "$b" >/dev/null && swapon "$b" || fail "swapon $b"
expect_rc 3 zsim-orch swap add --force "$b"
contains "$ERR" "it is active swap"
swapoff "$b" && wipefs -q -a "$b" || fail "cleanup $b"

expect_rc 1 zsim-orch swap add /dev/vdz
contains "$ERR" "no block device matches /dev/vdz"
expect_rc 1 zsim-orch swap add UUID=0b0b0b0b-0000-4000-8000-000000000000
contains "$ERR" "no block device matches"
expect_rc 1 zsim-orch swap add /etc/passwd
contains "$ERR" "not a block device"
expect_rc 2 zsim-orch swap add "$b" --priority 99999
contains "$ERR" "--priority 99999"
expect_rc 2 zsim-orch swap add
[ -z "$(blkid -s TYPE -o value "$b")" ] || fail "a usage error wrote to $b"
equals "$(grep -c UUID= /etc/zsim/zsim.conf)" 1 "recorded IDs"
""", [a, b])


if __name__ == "__main__":
    vmtest.main()
