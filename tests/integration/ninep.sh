#!/usr/bin/env bash
# virtio-9p and the 9P2000.L client (docs/9p.md): the kernel test p9dev
# (tests/ktests/p9dev) drives the client against a fresh host directory under
# every way QEMU attaches one:
#   - -virtfs;
#   - -fsdev local with security_model none, mapped-xattr and passthrough;
#   - a legacy-only and a modern-only virtio-9p-pci device;
#   - a device without MSI-X (vectors=0), which the driver polls;
# and the host checks what the guest did: each file's sha256sum against the
# pattern made again here, the rename and the unlink, the truncation, the
# hard link and (where the model keeps it a real one) the symlink. Then:
#   - 9p.msize= lowers the msize, and a ring of 4 entries
#     (virtio_9p.queue_size=4) makes requests wait for room;
#   - a request QEMU refuses marks the device DEVICE_NEEDS_RESET: with MSI-X
#     and polling, the driver fails it and every later one with -EIO;
#   - no 9p device, and a device tagged something else: the driver's
#     messages name the tags it found.
# The image is built by tests/run.sh (p9dev).
source "$(dirname "$0")/../lib.sh"

new_tmp ninep-test

# pattern_sha SIZE SEED: the sha256 of p9dev's file of SIZE bytes with SEED:
# byte i is (i * 131 + (i >> 12) + SEED) & 0xff.
pattern_sha() {
	python3 -c '
import hashlib, sys
n, s = int(sys.argv[1]), int(sys.argv[2])
print(hashlib.sha256(bytes((i * 131 + (i >> 12) + s) & 0xff for i in range(n))).hexdigest())
' "$1" "$2"
}

# The guest's files must be these; their hashes are made once for every boot.
msize=524288
sizes=(0 1 4096 $((msize - 1)) "$msize" $((msize + 1)) $((4 << 20)))
declare -A want
for n in "${sizes[@]}"; do want[file-$n]=$(pattern_sha "$n" 0); done
for k in 1 2 3 4; do want[thread-$k]=$(pattern_sha $((256 << 10)) "$k"); done

# host_checks NAME DIR SYMLINKS: what the boot NAME left in DIR; SYMLINKS is
# "yes" when the security model keeps symlinks as host symlinks.
host_checks() {
	local name=$1 dir=$2 symlinks=$3 f bad=()
	for f in "${!want[@]}"; do
		[ -f "$dir/$f" ] && [ "$(sha256sum <"$dir/$f" | cut -d' ' -f1)" = "${want[$f]}" ] ||
			bad+=("$f")
	done
	if ((${#bad[@]} == 0)); then
		pass "$name: host: every file's sha256 is the pattern's (${#want[@]} files)"
	else
		fail "$name: host: wrong or missing: ${bad[*]}"
	fi
	check "$name: host: the rename is visible" \
		bash -c "[ -f '$dir/renamed' ] && [ ! -e '$dir/dir/e-0' ]"
	check "$name: host: the unlink is visible, the other 18 files stay" \
		bash -c "[ ! -e '$dir/dir/e-1' ] && [ \$(ls '$dir/dir' | wc -l) = 18 ]"
	check "$name: host: the truncated file has 100 bytes" \
		bash -c "[ \$(stat -c %s '$dir/truncated') = 100 ]"
	check "$name: host: the hard link shares the file" \
		bash -c "[ '$dir/hardlink' -ef '$dir/file-4096' ]"
	[ "$symlinks" = yes ] &&
		check "$name: host: the symlink points at file-1" \
			bash -c "[ \"\$(readlink '$dir/symlink')\" = file-1 ]"
}

# attached NAME SYMLINKS [run.sh options...]: one boot of p9dev on a fresh
# directory, and its checks.
attached() {
	local name=$1 symlinks=$2 dir=$tmp/$1
	shift 2
	mkdir "$dir"
	boot "$name" p9dev --fs "$dir" "$@"
	expect_status "$name" 0
	expect_no_serial "$name" '^not ok' "every guest check passed"
	expect_serial "$name" 'virtio-9p: .*tag .rootfs.' "the driver reports the device and its tag"
	host_checks "$name" "$dir" "$symlinks"
}

attached ninep-virtfs yes --virtfs
expect_serial ninep-virtfs "msize up to $msize" "the driver offers msize $msize"
attached ninep-none yes --fs-model none
expect_serial ninep-none 'parts of a transfer were in flight together'
expect_serial ninep-none "# p9: msize $msize"
attached ninep-mapped no --fs-model mapped-xattr
attached ninep-passthrough yes --fs-model passthrough
attached ninep-legacy yes --fs-transport legacy
expect_serial ninep-legacy 'tag .rootfs., legacy transport'
attached ninep-modern yes --fs-transport modern
expect_serial ninep-modern 'tag .rootfs., modern transport'

# A device without MSI-X (vectors=0): the driver polls, for finished
# requests and for the ISR's configuration bit, which p9dev's "break" (a
# request with no room for its reply) makes QEMU raise with
# DEVICE_NEEDS_RESET. run.sh has no option for the device's properties, so
# its QEMU command is taken from --dry-run.
boot_polling() {
	local name=ninep-poll dir=$tmp/ninep-poll cmd rc pidfile
	mkdir "$dir"
	new_boot "$name"
	cmd=$("$root/run.sh" --no-build --dry-run --fs "$dir" --serial "$out/$name.serial" \
		--pidfile "$pidfile" --append "-- break" p9dev 2>/dev/null)
	cmd=${cmd/mount_tag=rootfs/mount_tag=rootfs\\,vectors=0}
	eval "timeout -k 5 $TEST_TIMEOUT $cmd" >"$out/$name.stdout" 2>"$out/$name.stderr" </dev/null
	rc=$?
	# isa-debug-exit: QEMU exits with (v << 1) | 1, the kernel writes status + 1.
	status=$(((rc & 1) && rc > 1 ? (rc >> 1) - 1 : 125))
	touch "$out/$name.serial"
	sed -i 's/\r$//' "$out/$name.serial"
	expect_status "$name" 0
	expect_no_serial "$name" '^not ok' "every guest check passed"
	expect_serial "$name" 'virtio-9p: no MSI-X: no interrupts, polling every 1 ms'
	expect_serial "$name" "the device needs a reset; the device is reset and no longer used"
	expect_serial "$name" '^ok - virtio-9p: a request the device dropped fails with -EIO'
	host_checks "$name" "$dir" yes
}
boot_polling

# The same break with MSI-X: the configuration vector's interrupt stops the device.
mkdir "$tmp/ninep-break"
boot ninep-break p9dev --fs "$tmp/ninep-break" --fs-transport modern --append "-- break"
expect_status ninep-break 0
expect_no_serial ninep-break '^not ok' "every guest check passed"
expect_serial ninep-break "the device needs a reset; the device is reset and no longer used"
expect_serial ninep-break '^ok - virtio-9p: and so does every later one'

# A lower msize by the parameter: the sizes around it change, the test does not.
mkdir "$tmp/ninep-msize"
boot ninep-msize p9dev --fs "$tmp/ninep-msize" --append "9p.msize=65536"
expect_status ninep-msize 0
expect_serial ninep-msize 'msize up to 65536' "9p.msize= lowers the msize offered"
check "ninep-msize: host: the msize+1 file is there" test -f "$tmp/ninep-msize/file-65537"

# A ring of 4 entries (a modern device takes the size asked): requests wait
# for room, and every check still passes. The msize follows the ring: 16 KiB.
mkdir "$tmp/ninep-ring"
boot ninep-ring p9dev --fs "$tmp/ninep-ring" --fs-transport modern \
	--append "virtio_9p.queue_size=4"
expect_status ninep-ring 0
expect_no_serial ninep-ring '^not ok' "every guest check passed"
expect_serial ninep-ring '4-entry queue \(indirect\), msize up to 16384'
expect_serial ninep-ring 'ring full waits [1-9]' "requests waited for room in the ring"

# No device: said so, and the test's device check is its one failure.
boot ninep-nodev p9dev
expect_status ninep-nodev 1
expect_serial ninep-nodev 'virtio-9p: no usable device'
expect_serial ninep-nodev '^not ok - p9: a device tagged rootfs'

# Another tag: the driver names it, and the test lists it.
mkdir "$tmp/ninep-other"
boot ninep-other p9dev --fs "$tmp/ninep-other" --fs-tag other
expect_status ninep-other 1
expect_serial ninep-other "virtio-9p: .*tag 'other'" "the driver names the tag it found"
expect_serial ninep-other "# virtio-9p: device 0 tagged 'other'"
