"""The dm-thin swap pool on a real kernel, checked with dmsetup, losetup,
blkid and /proc/swaps rather than with zsim-orch's own view."""
import json

from zsimtest import schema
from zsimtest import vm as vmtest

GUEST_NO_LEFTOVERS = r"""
# nothing_left DEV: no dm device, no bound loop device, no signature on DEV,
# no pool in the config.
nothing_left() {
	equals "$(dmsetup ls)" "No devices found" "dmsetup ls"
	for l in /sys/block/loop*; do
		[ -e "$l/loop/backing_file" ] && fail "${l##*/} still bound to $(cat $l/loop/backing_file)"
	done
	[ -z "$(blkid -p -o value -s TYPE "$1")" ] || fail "$1 gained a signature"
	[ -e /var/lib/zsim/thin-metadata.img ] && fail "metadata file left behind"
	if [ -e /etc/zsim/zsim.conf ]; then
		grep -q '^data = .' /etc/zsim/zsim.conf && fail "a pool was recorded"
	fi
	return 0
}
"""


class ThinPool(vmtest.VMTestCase):
    def test_create_then_restore_on_second_boot(self):
        data, other, state = (self.disk("pooldata", 2 * vmtest.GIB),
                              self.disk("other"),
                              self.disk("zsim-state", 64 * vmtest.MIB))
        first = self.boot(r"""
use_state_disk
d=$(disk pooldata)
dev=$(cat /sys/block/${d#/dev/}/dev)
expect_rc 0 zsim-orch thin create "$d" --virtual-size 8G --block-size 64M
contains "$OUT" "volume /dev/mapper/zsim-swap (8G) is swap, on"

pool=$(dmsetup table zsim-pool)
echo "pool table: $pool"
set -- $pool
equals "$1 $2 $3" "0 4194304 thin-pool" "pool target"
equals "$5" "$dev" "pool data device"
equals "$6 $7" "131072 4" "block size (sectors) and low water (blocks)"
contains "$pool" "skip_block_zeroing" "pool features"
contains "$pool" "error_if_no_space" "pool features"
loop=
for l in /sys/block/loop*; do
	case $(cat $l/loop/backing_file 2>/dev/null) in
	*/thin-metadata.img) loop=${l##*/} ;;
	esac
done
[ -n "$loop" ] || fail "metadata file not on a loop device"
equals "$4" "$(cat /sys/block/$loop/dev)" "pool metadata device"
equals "$(cat /sys/block/$loop/loop/autoclear)" 1 "loop autoclear"

pooldev=$(dmsetup info -c --noheadings -o major,minor zsim-pool | tr : ' ')
set -- $(dmsetup table zsim-swap)
equals "$1 $2 $3" "0 16777216 thin" "thin target"
equals "$4 $5" "$(echo $pooldev | tr ' ' :) 0" "thin pool and device id"

equals "$(blkid -o value -s TYPE /dev/mapper/zsim-swap)" swap "volume TYPE"
grep -q "^/dev/mapper/zsim-swap \|^/dev/dm-1 " /proc/swaps || fail "thin swap not active"
grep -q "^swap = /dev/mapper/zsim-swap" /etc/zsim/zsim.conf || fail "volume not recorded"
grep -q "^data = /dev/disk/by-id/virtio-pooldata" /etc/zsim/zsim.conf || fail "data not recorded"

# data written into the volume must be there after the reboot
expect_rc 0 zsim-orch swap off
dd if=/dev/urandom of=/tmp/pattern bs=1M count=8 2>/dev/null
dd if=/tmp/pattern of=/dev/mapper/zsim-swap bs=1M seek=1000 conv=fsync 2>/dev/null || fail "write"
data pattern "$(sha256sum </tmp/pattern | cut -d' ' -f1)"
data mapped "$(dmsetup status zsim-swap | cut -d' ' -f4)"
data uuid "$(blkid -o value -s UUID /dev/mapper/zsim-swap)"
""", [data, other, state])

        second = self.boot(r"""
use_state_disk
d=$(disk pooldata)
equals "$d" /dev/vdc "pooldata's name on the second boot"
dev=$(cat /sys/block/vdc/dev)
equals "$(dmsetup ls)" "No devices found" "dm devices before activate"
expect_rc 0 zsim-orch thin activate
set -- $(dmsetup table zsim-pool)
equals "$5" "$dev" "pool data device after reordering"
set -- $(dmsetup table zsim-swap)
equals "$5" 0 "thin device id"
data mapped "$(dmsetup status zsim-swap | cut -d' ' -f4)"
data pattern "$(dd if=/dev/mapper/zsim-swap bs=1M skip=1000 count=8 2>/dev/null | sha256sum | cut -d' ' -f1)"
data uuid "$(blkid -o value -s UUID /dev/mapper/zsim-swap)"
expect_rc 0 zsim-orch thin activate
contains "$OUT" "already active"
expect_rc 0 zsim-orch swap on
grep -q "^/dev/mapper/zsim-swap \|^/dev/dm-1 " /proc/swaps || fail "thin swap not active"

expect_rc 0 zsim-orch thin remove
equals "$(dmsetup ls)" "No devices found" "dm devices after remove"
[ -e /var/lib/zsim/thin-metadata.img ] && fail "metadata file kept"
grep -q "zsim-swap" /etc/zsim/zsim.conf && fail "volume still recorded"
true
""", [state, other, data])
        for key in ("pattern", "mapped", "uuid"):
            self.assertEqual(first.data[key], second.data[key], key)

    def test_status_matches_dmsetup(self):
        data = self.disk("pooldata", 2 * vmtest.GIB)
        res = self.boot(r"""
d=$(disk pooldata)
expect_rc 0 zsim-orch thin create "$d" --virtual-size 8G --block-size 64M
expect_rc 0 zsim-orch swap off
dd if=/dev/urandom of=/dev/mapper/zsim-swap bs=1M seek=512 count=300 conv=fsync 2>/dev/null || fail write
data pool "$(dmsetup status zsim-pool)"
data vol "$(dmsetup status zsim-swap)"
data json "$(zsim-orch thin status --json | tr -d '\n')"
expect_rc 0 zsim-orch thin status
set -- $(dmsetup status zsim-pool)
contains "$OUT" "data:      $6 blocks used"
contains "$OUT" "metadata:  $5 blocks used"
# a run's .sim records the same usage and where the pool sits
dmesg | tail -n 1 > /tmp/last-kmsg
expect_rc 0 zsim-orch run noop --seconds 0
sim=$(ls /var/lib/zsim/results/noop-*.sim) || fail "no .sim"
set -- $(dmsetup status zsim-pool)
grep -qx "data_used_blocks=${6%/*}" "$sim" || fail "data usage in .sim"
grep -qx "metadata_total_blocks=${5#*/}" "$sim" || fail "metadata size in .sim"
row=$(grep "^$(basename "$d") " "$sim") || fail "no row for $d in .sim"
contains "$row" pooldata "its row"
contains "$row" "dm-$(dmsetup info -c --noheadings -o minor zsim-pool | tr -d ' ')" "its row"
grep -qF "$(cat /tmp/last-kmsg)" "$sim" || fail "the kernel log's tail is not in .sim"
""", [data])
        pool = res.data["pool"].split()
        vol = res.data["vol"].split()
        status = json.loads(res.data["json"])
        self.assertEqual(schema.check_document(status, "thin.status"), [])
        meta_used, meta_total = map(int, pool[4].split("/"))
        data_used, data_total = map(int, pool[5].split("/"))
        self.assertEqual(status["pool"]["data_used_blocks"], data_used)
        self.assertEqual(status["pool"]["data_total_blocks"], data_total)
        self.assertEqual(status["pool"]["metadata_used_blocks"], meta_used)
        self.assertEqual(status["pool"]["metadata_total_blocks"], meta_total)
        self.assertEqual(status["pool"]["mode"], pool[7])
        self.assertEqual(status["volume"]["mapped_bytes"], int(vol[3]) * 512)
        # 300 MiB at 64 MiB blocks, plus the block holding the swap header
        self.assertGreaterEqual(data_used, 6)
        self.assertEqual(data_total, 32)
        self.assertEqual(status["pool"]["block_bytes"], 64 << 20)

    def test_dry_run_shows_the_tables_sent(self):
        data, meta = (self.disk("pooldata", 2 * vmtest.GIB),
                      self.disk("poolmeta", 64 * vmtest.MIB))
        self.boot(r"""
d=$(disk pooldata)
m=$(disk poolmeta)
# "would create NAME: TABLE" as dmsetup shows TABLE (it ends lines with a space)
planned() { printf '%s\n' "$OUT" | sed -n "s/^would create $1: //p"; }
table() { dmsetup table "$1" | sed 's/ *$//'; }

expect_rc 0 zsim-orch --dry-run thin create "$d" --metadata "$m" --virtual-size 8G --block-size 64M
pool=$(planned zsim-pool)
vol=$(planned zsim-swap)
equals "$(dmsetup ls)" "No devices found" "dmsetup ls after --dry-run"
expect_rc 0 zsim-orch thin create "$d" --metadata "$m" --virtual-size 8G --block-size 64M
equals "$pool" "$(table zsim-pool)" "the pool's table --dry-run showed"
# the pool's number is the kernel's to choose when it is created
pooldev=$(dmsetup info -c --noheadings -o major,minor zsim-pool | tr -d ' ')
equals "$(echo "$vol" | sed "s/<pool>/$pooldev/")" "$(table zsim-swap)" \
	"the volume's table --dry-run showed"

# with the pool up, activate's plan names every device
expect_rc 0 zsim-orch swap off
dmsetup remove zsim-swap || fail "dmsetup remove zsim-swap"
expect_rc 0 zsim-orch --dry-run thin activate
vol=$(planned zsim-swap)
[ -z "$(planned zsim-pool)" ] || fail "--dry-run activate would create the running pool"
expect_rc 0 zsim-orch thin activate
equals "$vol" "$(table zsim-swap)" "the volume's table --dry-run activate showed"
""", [data, meta])

    def test_root_prefix_reaches_libdevmapper(self):
        data = self.disk("pooldata", 2 * vmtest.GIB)
        self.boot(r"""
d=$(disk pooldata)
expect_rc 0 zsim-orch thin create "$d" --virtual-size 8G --block-size 64M
# a root whose /dev is this one's sees the pool through its own /dev/mapper
mkdir -p /r/dev /r/sys /r/etc/zsim
mount --bind /dev /r/dev && mount --bind /sys /r/sys || fail "bind mounts"
cp /etc/zsim/zsim.conf /r/etc/zsim/
expect_rc 0 zsim-orch --root /r thin status
contains "$OUT" "zsim-pool: active"
# a root without device-mapper: refused, and nothing written under it
mkdir -p /empty/etc
expect_rc 1 zsim-orch --root /empty thin status
contains "$ERR" "/empty/dev/mapper/control: No such file or directory; there is no device-mapper under --root /empty"
[ -e /empty/dev ] && fail "thin status wrote into the --root tree"
expect_rc 1 zsim-orch --root /empty --dry-run thin remove
equals "$(ls /empty)" etc "the --root tree after --dry-run thin remove"
""", [data])

    def test_bad_input_leaves_nothing_behind(self):
        data, tiny, small, part = (self.disk("pooldata", 2 * vmtest.GIB),
                                   self.disk("tiny", 1 * vmtest.MIB),
                                   self.disk("small", 16 * vmtest.MIB),
                                   self.disk("parted", 256 * vmtest.MIB))
        self.boot(GUEST_NO_LEFTOVERS + r"""
d=$(disk pooldata)
tiny=$(disk tiny)
small=$(disk small)
p=$(disk parted)

expect_rc 1 zsim-orch thin create /dev/vdz
contains "$ERR" "data device /dev/vdz: no such device"
nothing_left "$d"

expect_rc 2 zsim-orch thin create "$d" --virtual-size 0
contains "$ERR" "--virtual-size 0"
expect_rc 2 zsim-orch thin create "$d" --virtual-size 10Q
expect_rc 2 zsim-orch thin create "$d" --block-size 100K
contains "$ERR" "multiple of 64K"
nothing_left "$d"

expect_rc 2 zsim-orch thin create "$tiny"
contains "$ERR" "smaller than one pool block"
expect_rc 2 zsim-orch thin create "$tiny" --block-size 64K
contains "$ERR" "smaller than the pool's metadata"
expect_rc 2 zsim-orch thin create "$tiny" --block-size 64K --metadata "$small"
contains "$ERR" "smaller than the metadata device"
nothing_left "$tiny"

printf 'o\nn\np\n1\n\n\nw\n' | fdisk "$p" >/dev/null
mkfs.ext4 -q "${p}1" && mkdir -p /mnt/p && mount "${p}1" /mnt/p || fail setup
expect_rc 3 zsim-orch thin create "$p" --force
contains "$ERR" "mounted on /mnt/p"
expect_rc 3 zsim-orch thin create "${p}1" --force
contains "$ERR" "mounted on /mnt/p"
umount /mnt/p

# a metadata file on a full filesystem
mkfs.ext4 -q "$small" && mkdir -p /mnt/full && mount "$small" /mnt/full || fail setup
dd if=/dev/zero of=/mnt/full/filler bs=1M 2>/dev/null
expect_rc 1 zsim-orch thin create "$d" --virtual-size 4G --metadata /mnt/full/meta.img
contains "$ERR" "No space left on device"
[ -e /mnt/full/meta.img ] && fail "partial metadata file left"
nothing_left "$d"

expect_rc 1 zsim-orch thin activate
contains "$ERR" "no thin pool recorded"

# the metadata of an earlier pool is not overwritten without --force
expect_rc 0 zsim-orch thin create "$d" --virtual-size 4G
expect_rc 0 zsim-orch thin remove
expect_rc 0 zsim-orch thin create "$d" --virtual-size 4G --metadata /keep.img
expect_rc 0 zsim-orch swap off
dmsetup remove zsim-swap && dmsetup remove zsim-pool || fail "manual teardown"
sed -i 's/^data = .*/data = /' /etc/zsim/zsim.conf
wipefs -q -a "$d"
expect_rc 3 zsim-orch thin create "$d" --virtual-size 4G --metadata /keep.img
contains "$ERR" "holds the metadata of an earlier pool"
equals "$(dmsetup ls)" "No devices found" "dmsetup ls after refusal"
""", [data, tiny, small, part])

    # What `thin create` says swapon will cost must be what the kernel
    # takes: MemFree before and after swapon (caches dropped, the larger
    # of two tries, as memory freed meanwhile can hide an allocation),
    # within 3 % of the estimate plus 4 MiB (what does not grow with the
    # size: slab, per-CPU lists).
    COST_TOLERANCE_PCT = 3
    COST_SLACK = 4 * vmtest.MIB

    def test_swapon_cost_is_what_create_said(self):
        data = self.disk("pooldata", 2 * vmtest.GIB)
        sizes = ("64G", "256G")
        res = self.boot(r"""
d=$(disk pooldata)
memfree() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 2
	awk '/^MemFree:/ { print $2 * 1024 }' /proc/meminfo
}
for size in """ + " ".join(sizes) + r"""; do
	expect_rc 0 zsim-orch thin create "$d" --virtual-size $size --block-size 64M
	contains "$OUT" "swapon of /dev/mapper/zsim-swap ($size) will take"
	contains "$OUT" "MemAvailable is"
	est=$(printf '%s\n' "$OUT" | sed -n 's/.* on this kernel (\([0-9]*\) bytes, .*/\1/p')
	[ -n "$est" ] || fail "no estimate in bytes"
	swapoff /dev/mapper/zsim-swap || fail swapoff
	best=0
	for try in 1 2; do
		before=$(memfree)
		swapon /dev/mapper/zsim-swap || fail swapon
		after=$(memfree)
		swapoff /dev/mapper/zsim-swap || fail swapoff
		[ $((before - after)) -gt $best ] && best=$((before - after))
	done
	data "estimate_$size" "$est"
	data "measured_$size" "$best"
	expect_rc 0 zsim-orch thin remove
done
""", [data], timeout=300)
        for size in sizes:
            est = int(res.data[f"estimate_{size}"])
            got = int(res.data[f"measured_{size}"])
            print(f"{size}: estimate {est} bytes, measured {got} bytes "
                  f"({(got - est) * 100 / est:+.2f} %)")
            self.assertLessEqual(abs(got - est), est * self.COST_TOLERANCE_PCT // 100 +
                                 self.COST_SLACK, f"swapon of {size}: estimate {est}, "
                                 f"measured {got}")

    def test_swap_the_host_cannot_afford_is_refused(self):
        data, sw = self.disk("pooldata", 2 * vmtest.GIB), self.disk("sw1")
        self.boot(GUEST_NO_LEFTOVERS + r"""
d=$(disk pooldata)
nothing_on() {
	nothing_left "$d"
	equals "$(sed 1d /proc/swaps)" "" "swap in use"
	[ -z "$(blkid -p -o value -s TYPE "$(disk sw1)")" ] || fail "sw1 was written"
}
# 4T of swap takes about 3G of tables: the 1G guest cannot spare it
expect_rc 3 zsim-orch thin create "$d" --virtual-size 4T
contains "$ERR" "refusing to create a 4T thin volume: swapon would take 3.1G of RAM on this kernel ("
contains "$ERR" "bytes a 4K page: swap_map 1.003, swap cgroup 2.003"
contains "$ERR" "more than this host can spare (MemAvailable "
contains "$ERR" "of which swap's tables may take 3/4); use --virtual-size "
[ -z "$OUT" ] || fail "a refused create printed: $OUT"
nothing_on
expect_rc 3 zsim-orch --dry-run thin create "$d" --virtual-size 4T
contains "$ERR" "refusing to create a 4T thin volume"
nothing_on
# the size it offers is one it would take
max=$(printf '%s\n' "$ERR" | sed -n 's/.*use --virtual-size \([0-9]*[MG]\) or less here.*/\1/p')
[ -n "$max" ] || fail "no size offered"
expect_rc 0 zsim-orch --dry-run thin create "$d" --virtual-size "$max"
contains "$OUT" "swapon of /dev/mapper/zsim-swap ($max) will take"
nothing_on

# setup checks it with the other devices, before writing any
mkdir -p /etc/zsim
printf '[thin]\nvirtual_size = 4T\n' >/etc/zsim/zsim.conf
expect_rc 3 zsim-orch setup --swap "$(disk sw1)" --mapper-device "$d"
contains "$ERR" "refusing to create a 4T thin volume"
contains "$ERR" "nothing was changed"
nothing_on
""", [data, sw])


if __name__ == "__main__":
    vmtest.main()
