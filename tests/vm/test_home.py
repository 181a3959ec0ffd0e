"""zsim-orch setup --home-device on a real kernel: the partition table and
filesystem checked with sfdisk and blkid, the fstab line by UUID, the copy
of /home (owners, modes, times, links, extended attributes), data that
survives a reboot with the disks in another order, and the refusals."""
from zsimtest import vm as vmtest

SETUP = "zsim-orch setup --home-device /dev/disk/by-id/virtio-homedisk"

# A /home with what a copy can lose: owners, a setgid directory, a private
# one, a symbolic and a hard link, a modification time, an extended
# attribute (trusted.*: what the guest's tmpfs root keeps).
HOME_TREE = r"""
mkdir -p /home/alice/.ssh /home/bob
echo hello >/home/alice/file
ln -s file /home/alice/link
ln /home/alice/file /home/alice/hard
touch -d '2020-01-02 03:04:05' /home/alice/file
setfattr -n trusted.zsim -v kept /home/alice/file || fail setfattr
chown -R 1000:1000 /home/alice
chown 1001:1002 /home/bob
chmod 2750 /home/alice
chmod 700 /home/alice/.ssh
# what the copy must show: everything but inode numbers and access times
# (a directory's size and link count belong to its filesystem)
tree() {
	(cd "$1" && find . -path ./lost+found -prune -o -print | sort | while read -r f; do
		if [ -d "$f" ] && [ ! -L "$f" ]; then
			echo "$f $(stat -c '%F %a %u:%g' "$f")"
		else
			echo "$f $(stat -c '%F %a %u:%g %s %h %Y' "$f") $(readlink "$f")"
		fi
	done)
}
before=$(tree /home)
"""


class Home(vmtest.VMTestCase):
    def test_home_moves_and_survives_a_reordered_reboot(self):
        home, other, state = (self.disk("homedisk"), self.disk("other"),
                              self.disk("zsim-state", 64 * vmtest.MIB))
        first = self.boot(HOME_TREE + r"""
use_state_disk
h=$(disk homedisk)
expect_rc 0 zsim-orch --dry-run setup --home-device "$h"
contains "$OUT" "would write a GPT partition table on $h: partition 1 (${h}1) sectors 2048-2095103 of 512 bytes"
contains "$OUT" "would run: mkfs.ext4 -q -F -L zsim-home ${h}1"
contains "$OUT" "would copy /home onto it: cp -a -- /home/. "
contains "$OUT" "would add to /etc/fstab: UUID=<the new filesystem's UUID> /home ext4 defaults,nofail 0 2"
[ -z "$(blkid -p -o value -s PTTYPE "$h")" ] || fail "--dry-run wrote a partition table"
[ -e /etc/fstab ] && fail "--dry-run wrote /etc/fstab"

expect_rc 0 """ + SETUP + r"""
contains "$OUT" "holds /home now, recorded in /etc/fstab and [host] home"
# the table, as sfdisk reads it
sfdisk --dump "$h" >/tmp/dump || fail "sfdisk --dump"
cat /tmp/dump
grep -qx "label: gpt" /tmp/dump || fail "not a GPT"
equals "$(grep -c "^$h" /tmp/dump)" 1 "partitions"
contains "$(grep "^${h}1 " /tmp/dump)" "start=        2048, size=     2093056, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4"
contains "$(grep "^${h}1 " /tmp/dump)" 'name="zsim-home"'
sfdisk --verify "$h" >/tmp/verify 2>&1 || { cat /tmp/verify; fail "sfdisk --verify"; }
# the filesystem, as blkid reads it
equals "$(blkid -p -o value -s TYPE "${h}1")" ext4 "TYPE"
equals "$(blkid -p -o value -s LABEL "${h}1")" zsim-home "LABEL"
uuid=$(blkid -p -o value -s UUID "${h}1")
equals "$(cat /etc/fstab)" "UUID=$uuid /home ext4 defaults,nofail 0 2" "/etc/fstab"
grep -qx "home = UUID=$uuid" /etc/zsim/zsim.conf || fail "[host] home"
grep -q "^${h}1 /home ext4 " /proc/mounts || fail "not mounted on /home"
# the copy
equals "$(tree /home)" "$before" "the tree on the new disk"
equals "$(getfattr --only-values -n trusted.zsim /home/alice/file)" kept "xattr"
# the old contents are gone from the root filesystem
mkdir -p /mnt/rootfs && mount --bind / /mnt/rootfs || fail "bind /"
equals "$(ls -A /mnt/rootfs/home)" "" "old /home under the mount"
umount /mnt/rootfs

echo "written on the new disk" >/home/alice/new
cp /etc/fstab /persist/fstab
expect_rc 0 """ + SETUP + r"""
contains "$OUT" "(UUID=$uuid) is mounted on /home already"
equals "$(grep -c . /etc/fstab)" 1 "fstab lines after a second run"
data uuid "$uuid"
umount /home || fail "umount /home"
""", [home, other, state])

        second = self.boot(r"""
use_state_disk
h=$(disk homedisk)
equals "$h" /dev/vdc "homedisk's name on the second boot"
mkdir -p /home
# fstab mounts it by UUID
cp /persist/fstab /etc/fstab
mount /home || fail "mount /home from /etc/fstab"
equals "$(cat /home/alice/new)" "written on the new disk" "data after the reboot"
umount /home
# and zsim-orch, run again, finds its filesystem by the recorded UUID
expect_rc 0 """ + SETUP + r"""
contains "$OUT" "${h}1 (UUID="
contains "$OUT" "mounted on /home"
equals "$(cat /home/alice/new)" "written on the new disk" "data after setup"
equals "$(grep -c . /etc/fstab)" 1 "fstab lines"
data uuid "$(blkid -p -o value -s UUID "${h}1")"
""", [state, other, home])
        self.assertEqual(first.data["uuid"], second.data["uuid"])

    def test_xfs_on_another_directory(self):
        home = self.disk("homedisk", 2 * vmtest.GIB)
        self.boot(r"""
mkdir -p /users/carol /etc/zsim
echo data >/users/carol/f
chown -R 1003:1003 /users/carol
expect_rc 0 zsim-orch setup --home-device "$(disk homedisk)" --home-fs xfs --home-mount /users
h=$(disk homedisk)
equals "$(blkid -p -o value -s TYPE "${h}1")" xfs "TYPE"
uuid=$(blkid -p -o value -s UUID "${h}1")
equals "$(cat /etc/fstab)" "UUID=$uuid /users xfs defaults,nofail 0 0" "/etc/fstab"
grep -qx "home_mount = /users" /etc/zsim/zsim.conf || fail "[host] home_mount"
grep -q "^${h}1 /users xfs " /proc/mounts || fail "not mounted on /users"
equals "$(stat -c '%u %s' /users/carol/f)" "1003 5" "the copy"
# the recorded directory is the one; another is refused
expect_rc 3 zsim-orch setup --home-device "$h" --home-mount /srv
contains "$ERR" "is recorded for /users ([host] home_mount), not /srv"
expect_rc 0 zsim-orch setup --home-device "$h"
contains "$OUT" "is mounted on /users already"
""", [home])

    def test_refusals_change_nothing(self):
        fs, mounted, blank, spare = (self.disk("fsdisk"), self.disk("mounted"),
                                     self.disk("blank"), self.disk("spare"))
        self.boot(r"""
mkdir -p /home/alice /etc/zsim
echo hello >/home/alice/file
unchanged() {
	[ -e /etc/fstab ] && fail "/etc/fstab written"
	grep -q '^home =' /etc/zsim/zsim.conf 2>/dev/null && fail "[host] home recorded"
	equals "$(cat /home/alice/file)" hello "/home"
	[ -z "$(blkid -p -o value -s PTTYPE "$(disk blank)")" ] || fail "blank got a table"
}
f=$(disk fsdisk)
mkfs.ext4 -q -L data "$f" || fail mkfs
expect_rc 3 zsim-orch setup --home-device "$f"
contains "$ERR" "refusing to use $f for the home filesystem: it holds an ext4 filesystem"
contains "$ERR" "nothing was changed"
equals "$(blkid -p -o value -s TYPE "$f")" ext4 "fsdisk TYPE"
unchanged

m=$(disk mounted)
mkfs.ext4 -q "$m" && mkdir -p /mnt/m && mount "$m" /mnt/m || fail setup
expect_rc 3 zsim-orch setup --home-device "$m" --force
contains "$ERR" "is mounted on /mnt/m"
unchanged
umount /mnt/m

# the root disk: a root whose mount table has the disk under /
b=$(disk blank)
mkdir -p /r/dev /r/sys /r/proc/self /r/etc/zsim /r/home
mount --bind /dev /r/dev && mount --bind /sys /r/sys || fail "bind mounts"
echo "20 1 $(cat /sys/block/${b#/dev/}/dev) / / rw,relatime - ext4 $b rw" >/r/proc/self/mountinfo
expect_rc 3 zsim-orch --root /r setup --home-device "$b" --force
contains "$ERR" "refusing to use /r$b for the home filesystem: the root filesystem depends on it"
[ -e /r/etc/fstab ] && fail "fstab written under --root"
unchanged

# a directory that is a mount point, one below it, or in fstab; a disk twice
mount -t tmpfs tmpfs /home/alice
expect_rc 3 zsim-orch setup --home-device "$b"
contains "$ERR" "/home/alice is mounted below /home; unmount it first"
umount /home/alice
mount -t tmpfs tmpfs /home
expect_rc 3 zsim-orch setup --home-device "$b"
contains "$ERR" "/home is a mount point already"
umount /home
expect_rc 2 zsim-orch setup --swap "$b" --home-device "$b"
contains "$ERR" "are the same device"
expect_rc 2 zsim-orch setup --home-mount /srv
expect_rc 2 zsim-orch setup --home-device "$b" --home-fs btrfs
unchanged
echo "LABEL=old /home ext4 defaults 0 2" >/etc/fstab
expect_rc 3 zsim-orch setup --home-device "$b"
contains "$ERR" "/etc/fstab mounts LABEL=old on /home already"
rm /etc/fstab
unchanged

# setup checks the home disk with the others: a refused one stops all
s=$(disk spare)
expect_rc 3 zsim-orch setup --swap "$s" --home-device "$f"
[ -z "$(blkid -p -o value -s TYPE "$s")" ] || fail "spare was written"
# --force overwrites a signature
expect_rc 0 zsim-orch setup --home-device "$f" --force
equals "$(blkid -p -o value -s PTTYPE "$f")" gpt "fsdisk after --force"
# a partition is not a disk
expect_rc 2 zsim-orch setup --home-device "${f}1"
contains "$ERR" "${f}1 is a partition: give the whole disk"
""", [fs, mounted, blank, spare])


if __name__ == "__main__":
    vmtest.main()
