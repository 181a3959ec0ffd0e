# Helpers for guest scripts in the vm tier. A script fails by exiting
# non-zero; every check prints what it saw so a failure explains itself.

fail() {
	echo "FAIL: $*"
	exit 1
}

# run CMD...: run it, keep its exit code in $RC, stdout in $OUT, stderr in
# $ERR, and echo all three to the console.
run() {
	"$@" >/tmp/run.out 2>/tmp/run.err
	RC=$?
	OUT=$(cat /tmp/run.out)
	ERR=$(cat /tmp/run.err)
	echo "\$ $* -> exit $RC"
	sed 's/^/  | /' /tmp/run.out
	sed 's/^/  ! /' /tmp/run.err
	return 0
}

# expect_rc N CMD...: run CMD and fail unless it exits N.
expect_rc() {
	want=$1
	shift
	run "$@"
	[ "$RC" -eq "$want" ] || fail "expected exit $want from: $*"
}

# contains TEXT NEEDLE [WHAT]
contains() {
	case $1 in
	*"$2"*) ;;
	*) fail "${3:-output} does not contain '$2'" ;;
	esac
}

not_contains() {
	case $1 in
	*"$2"*) fail "${3:-output} contains '$2'" ;;
	esac
}

equals() {
	[ "$1" = "$2" ] || fail "${3:-value} is '$1', expected '$2'"
}

# data KEY VALUE: hand a value to the host side of the test.
data() {
	echo "ZSIM-VM-DATA: $1=$2"
}

# disk SERIAL: the kernel's name for the disk with that serial (/dev/vdX).
disk() {
	link=/dev/disk/by-id/virtio-$1
	[ -L "$link" ] || fail "no disk with serial $1"
	echo "/dev/$(readlink "$link" | sed 's,.*/,,')"
}

# use_state_disk: keep /etc/zsim and /var/lib/zsim on the disk with serial
# zsim-state, so a second boot sees what the first one recorded.
use_state_disk() {
	dev=$(disk zsim-state)
	blkid "$dev" >/dev/null || mkfs.ext4 -q "$dev" || fail "mkfs $dev"
	mkdir -p /persist
	mount "$dev" /persist || fail "mount $dev"
	mkdir -p /persist/etc-zsim /persist/var-lib-zsim /etc/zsim /var/lib/zsim
	mount --bind /persist/etc-zsim /etc/zsim
	mount --bind /persist/var-lib-zsim /var/lib/zsim
}

# now_ms: a monotonic-enough clock in milliseconds for benchmarks.
now_ms() {
	read -r up _ </proc/uptime
	echo "$up" | awk '{ printf "%d\n", $1 * 1000 }'
}
