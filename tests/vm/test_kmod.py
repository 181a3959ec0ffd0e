"""ept on/off on a real kernel through libkmod. kvm_intel cannot load under
TCG, so [kvm] module/param point the same code at the loop module: the
reload, the value check, the modprobe.d file, the in-use refusal and the
rollback all run for real, on the host and under --root. What stays
unexercised is kvm_intel itself (its EPT parameter and a running KVM guest
holding it), which the integration tier covers only up to the libvirt
refusal."""
from zsimtest import vm as vmtest

CONFIG = r"""
mkdir -p /etc/zsim
printf '[kvm]\nmodule = loop\nparam = %s\n[target]\nuri = test:///default\n' "$1" >/etc/zsim/zsim.conf
"""


class EptReload(vmtest.VMTestCase):
    def test_reload_persist_refuse_rollback(self):
        self.boot(r"""
conf() {
	mkdir -p /etc/zsim
	printf '[kvm]\nmodule = loop\nparam = %s\n[target]\nuri = qemu+unix:///system?socket=/nonexistent\n' "$1" >/etc/zsim/zsim.conf
}
conf max_loop
p=/sys/module/loop/parameters/max_loop
before=$(cat $p)
expect_rc 0 zsim-orch ept status
contains "$OUT" "module:    loop loaded"

expect_rc 0 zsim-orch ept on
equals "$(cat $p)" 1 "max_loop after ept on"
contains "$(cat /etc/modprobe.d/zsim-kvm.conf)" "options loop max_loop=1" "modprobe.d"
grep -q '^ept = on' /etc/zsim/zsim.conf || fail "config not recorded"
contains "$OUT" "(was $before)"

expect_rc 0 zsim-orch ept off
equals "$(cat $p)" 0 "max_loop after ept off"
contains "$(cat /etc/modprobe.d/zsim-kvm.conf)" "options loop max_loop=0" "modprobe.d"
grep -q '^ept = off' /etc/zsim/zsim.conf || fail "config not recorded"
expect_rc 0 zsim-orch ept off
contains "$OUT" "already"

# in use: a bound loop device holds the module
truncate -s 16M /tmp/busy.img
l=$(/usr/sbin/losetup -f --show /tmp/busy.img) || fail losetup
expect_rc 3 zsim-orch ept on
contains "$ERR" "refusing to reload loop: it is in use (refcount"
equals "$(cat $p)" 0 "max_loop after the refusal"
/usr/sbin/losetup -d "$l"
sleep 1

# rollback: the kernel rejects hw_queue_depth=0, zsim-orch restores the old value
conf hw_queue_depth
q=/sys/module/loop/parameters/hw_queue_depth
old=$(cat $q)
expect_rc 1 zsim-orch ept off
contains "$ERR" "loading loop with hw_queue_depth=0 failed"
contains "$ERR" "restored it with hw_queue_depth=$old"
equals "$(cat $q)" "$old" "hw_queue_depth after the rollback"
[ -d /sys/module/loop ] || fail "loop not loaded after the rollback"

expect_rc 2 zsim-orch ept maybe

# --root: libkmod takes the tree's lib/modules and modprobe.d (an option
# only the tree's modprobe.d sets reaches the module), the tree's config
# and modprobe.d record the value, the host's files stay as they were
r=/tmp/root
mkdir -p $r/etc/zsim $r/etc/modprobe.d $r/lib
ln -s /proc $r/proc
ln -s /sys $r/sys
ln -s /lib/modules $r/lib/modules
printf '[kvm]\nmodule = loop\nparam = max_loop\n[target]\nuri = qemu+unix:///system?socket=/nonexistent\n' >$r/etc/zsim/zsim.conf
echo 'options loop hw_queue_depth=64' >$r/etc/modprobe.d/tree.conf
host_persisted=$(cat /etc/modprobe.d/zsim-kvm.conf)
host_config=$(cat /etc/zsim/zsim.conf)
expect_rc 0 zsim-orch --root $r ept on
equals "$(cat $p)" 1 "max_loop after ept on under --root"
equals "$(cat $q)" 64 "hw_queue_depth from the tree's modprobe.d"
contains "$(cat $r/etc/modprobe.d/zsim-kvm.conf)" "options loop max_loop=1" "the tree's modprobe.d"
grep -q '^ept = on' $r/etc/zsim/zsim.conf || fail "not recorded in the tree's config"
equals "$(cat /etc/modprobe.d/zsim-kvm.conf)" "$host_persisted" "the host's modprobe.d file"
equals "$(cat /etc/zsim/zsim.conf)" "$host_config" "the host's config"
""")


if __name__ == "__main__":
    vmtest.main()
