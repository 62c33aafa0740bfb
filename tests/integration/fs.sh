#!/usr/bin/env bash
# Files (docs/vfs.md), with Linux as the oracle: tests/apps/fstest runs
# natively on this host in one fresh directory and on Ceres over a 9p root
# in another (run.sh --fs DIR), and
#   - the two outputs agree line for line;
#   - the host sees what the guest did: sha256sum of every sized file
#     against the pattern made again with seq(1), the rename and the unlink,
#     the 1000 files, the names with spaces and UTF-8, and the whole tree
#     the same as the one the native run left;
#   - the ways a directory is attached, with fstest -q: -virtfs, -fsdev with
#     security_model mapped-xattr and passthrough, a legacy-only and a
#     modern-only device;
#   - the missing root: no 9p device (fstest -q runs on the ramfs root), a
#     device with another tag (the console names it and vfs.rootdev=), and
#     vfs.rootdev=<that tag>, which mounts it.
# Every boot's console has no "not ok" and no kernel error; the kernel's
# mount lines are checked where it prints them. The images are built by
# tests/run.sh (fstest, fstest-linux).
#
# FS_GUEST=linux runs the same checks against the Linux guest baseline
# instead (bench/linux-guest.sh build/bench/linux 1 builds it): the same
# fstest under Linux's v9fs, which proves the harness. Linux's v9fs keeps
# file times to the second only (its superblock's time granularity), so the
# nanoseconds utimensat set are left out of that comparison; Ceres keeps
# them. The missing-root cases and the kernel's own lines are Ceres's only.
source "$(dirname "$0")/../lib.sh"

FS_TIMEOUT=${FS_TIMEOUT:-180} # the full run, 64 MiB through 9p under TCG
MSIZE=${FS_MSIZE:-524288}     # the sizes fstest tries around; Ceres's msize
native=$root/build/fstest/fstest.linux
guest=${FS_GUEST:-ceres}
linux_dir=${FS_LINUX_DIR:-$root/build/bench/linux}
[ "$guest" = linux ] && out=$out/fs-linux && mkdir -p "$out"
new_tmp ceres-fs

# guest_output NAME: the console of boot NAME without the kernel's lines
# (and the Linux guest's init's).
guest_output() {
	grep -vE '^\[ *[0-9]+\.[0-9]+\] |^init: |^FS-EXIT ' "$out/$1.serial"
}

# fsboot NAME DIR KPARAMS ARGS [run.sh options...]: fstest ARGS on the guest,
# DIR (if any) attached; on the Linux guest DIR is mounted at /mnt and
# fstest runs there, and $status is fstest's.
fsboot() {
	local name=$1 dir=$2 kparams=$3 args=$4
	shift 4
	if [ "$guest" = ceres ]; then
		boot "$name" fstest ${dir:+--fs "$dir"} "$@" --append "$kparams -- $args"
		return
	fi
	boot "$name" fstest --kernel "$linux_dir/vmlinuz" --initrd "$linux_dir/fs.cpio.gz" \
		--no-exit-device -m 256 ${dir:+--fs "$dir"} "$@" \
		--append "console=ttyS0 quiet panic=-1 guest.msize=$MSIZE $kparams -- fstest $args /mnt"
	status=$(sed -n 's/^FS-EXIT //p' "$out/$name.serial")
	status=${status:-none}
}

# time_ns_free FILE: FILE without the line of utimensat's nanoseconds and
# the count, on the Linux guest (see the top); as it is on Ceres.
time_ns_free() {
	if [ "$guest" = linux ]; then
		grep -vE '^  stat: atime |^fstest: [0-9]+ checks' "$1"
	else
		cat "$1"
	fi
}

# native_run NAME ARGS...: fstest.linux in a fresh $tmp/NAME, output in $out/NAME.out.
native_run() {
	local name=$1
	shift
	mkdir -p "$tmp/$name"
	(cd "$tmp/$name" && "$native" "$@" "$tmp/$name" </dev/null 2>&1 | cat) >"$out/$name.out"
	check "$name: fstest passes natively ($(tail -1 "$out/$name.out"))" \
		grep -q '^fstest: [0-9]* checks, 0 failed$' "$out/$name.out"
}

# same_output NAME WANT: boot NAME's fstest lines are WANT's, line for line.
same_output() {
	local name=$1 want=$2
	guest_output "$name" >"$out/$name.out"
	if diff <(time_ns_free "$out/$want.out") <(time_ns_free "$out/$name.out") >"$out/$name.diff"; then
		pass "$name: $guest output matches linux ($(wc -l <"$out/$want.out") lines)"
		return
	fi
	fail "$name: $guest output differs from linux's ($out/$name.diff)"
	grep '^[<>]' "$out/$name.diff" | head -30 | while IFS= read -r l; do
		case $l in
		'<'*) fail "$name: linux: ${l#< }" ;;
		*) echo "    # $guest: ${l#> }" ;;
		esac
	done
}

# clean_console NAME: no failed check and no kernel error on boot NAME's console.
clean_console() {
	expect_no_serial "$1" 'not ok' "the console has no 'not ok'"
	expect_no_serial "$1" '\] [CE]: ' "the kernel reports no error or crash"
}

# mapped_link FILE: FILE is a symlink in mapped-xattr's format, a file with
# the link's mode in the xattr user.virtfs.mode (host byte order) and its
# target as content.
mapped_link() {
	python3 -c 'import os, stat, sys
m = int.from_bytes(os.getxattr(sys.argv[1], "user.virtfs.mode"), sys.byteorder)
sys.exit(not stat.S_ISLNK(m))' "$1" 2>/dev/null
}

# tree DIR [mapped]: one line per entry under DIR, sorted: type, name,
# content; with mapped, symlinks are read in mapped-xattr's format.
tree() {
	(cd "$1" && find . -mindepth 1 -print0 | sort -z | while IFS= read -r -d '' f; do
		if [ -L "$f" ]; then
			echo "link $f -> $(readlink "$f")"
		elif [ -d "$f" ]; then
			echo "dir $f"
		elif [ "${2:-}" = mapped ] && mapped_link "$f"; then
			echo "link $f -> $(cat "$f")"
		else
			echo "file $f $(sha256sum <"$f" | cut -d' ' -f1)"
		fi
	done)
}

# same_tree NAME WANT [mapped]: the files boot NAME left are those the native WANT run left.
same_tree() {
	tree "$tmp/$2" >"$out/$2.tree"
	tree "$tmp/$1" "${3:-}" >"$out/$1.tree"
	if diff "$out/$2.tree" "$out/$1.tree" >"$out/$1.tree.diff"; then
		pass "$1: the host holds the tree the native run left ($(wc -l <"$out/$2.tree") entries)"
	else
		fail "$1: the host's tree differs from the native run's ($out/$1.tree.diff)"
		head -10 "$out/$1.tree.diff" | sed 's/^/    # /'
	fi
}

# pattern_sum TAG SIZE: sha256 of fstest's pattern (tests/apps/fstest/main.c).
pattern_sum() {
	seq -f "$1%014.0f" 0 $(($2 / 16)) | head -c "$2" | sha256sum | cut -d' ' -f1
}

# host_checks NAME QUICK: what the guest left in $tmp/NAME/fstest, seen from the host.
host_checks() {
	local d=$tmp/$1/fstest name=$1 sizes files=1000 bad=0 tag size f k
	sizes="a 0,b 1,c 4096,d $((MSIZE - 1)),e $MSIZE,f $((MSIZE + 1))"
	[ "$2" = quick ] && files=100 || sizes+=",g 67108864"
	while read -r -d, tag size; do
		check "$name: host: sha256 of size-$size is the pattern's" \
			[ "$(sha256sum <"$d/size-$size" 2>/dev/null | cut -d' ' -f1)" = "$(pattern_sum "$tag" "$size")" ]
	done <<<"$sizes,"
	k=0
	for tag in p q r s; do # the threads' tags
		[ "$(sha256sum <"$d/thread-$k" 2>/dev/null | cut -d' ' -f1)" = "$(pattern_sum $tag 1048576)" ] ||
			bad=1
		k=$((k + 1))
	done
	check "$name: host: the 4 threads' files hold their patterns" [ "$bad" = 0 ]
	check "$name: host: 'renamed' is there, with the content" \
		[ "$(sha256sum <"$d/renamed" 2>/dev/null | cut -d' ' -f1)" = "$(pattern_sum r 1000)" ]
	check "$name: host: 'before-rename' is gone" [ ! -e "$d/before-rename" ]
	check "$name: host: 'unlinked' is gone" [ ! -e "$d/unlinked" ]
	check "$name: host: dir-after/inside is there, dir-before is not" \
		[ -f "$d/dir-after/inside" -a ! -e "$d/dir-before" ]
	check "$name: host: many/ holds f0000 ... f$(printf %04d $((files - 1))), and nothing else" \
		[ "$(ls "$d/many" 2>/dev/null | tr '\n' ' ')" = "$(seq -f 'f%04.0f' 0 $((files - 1)) | tr '\n' ' ')" ]
	bad=0
	for f in "with space" "  two leading and two trailing  " "ünïcödé" "日本語のファイル.txt" \
		"emoji 🙂" "a'quote\"and\\backslash"; do
		[ "$(sha256sum <"$d/names/$f" 2>/dev/null | cut -d' ' -f1)" = "$(pattern_sum n 100)" ] || bad=1
	done
	check "$name: host: the names with spaces, quotes and UTF-8 are there" [ "$bad" = 0 ]
}

[ -x "$native" ] || { fail "fs: no $native (make APP=fstest linux)"; exit 0; }
ok_status=0
if [ "$guest" = linux ]; then
	[ -f "$linux_dir/fs.cpio.gz" ] ||
		{ fail "fs: no Linux guest in $linux_dir (bench/linux-guest.sh $linux_dir 1)"; exit 0; }
	ok_status=1 # its one failure: the nanoseconds (see the top)
fi

# The full test, natively, then on the guest over a 9p root.
native_run fs-linux -m "$MSIZE"
mkdir -p "$tmp/fs"
TEST_TIMEOUT=$FS_TIMEOUT fsboot fs "$tmp/fs" "" "-m $MSIZE"
expect_status fs $ok_status
same_output fs fs-linux
clean_console fs
[ "$guest" = ceres ] &&
	expect_serial fs "\\] I: 9pfs: mounted tag 'rootfs'" "the kernel names the 9p root it mounted (tag rootfs)"
host_checks fs full
same_tree fs fs-linux

# mapped_mode FILE: FILE carries mapped-xattr's user.virtfs.mode.
mapped_mode() {
	python3 -c 'import os, sys; os.getxattr(sys.argv[1], "user.virtfs.mode")' "$1" 2>/dev/null
}

# Every way of attaching the directory, quick. attach NAME TREE-KIND
# CONSOLE-REGEX run.sh-options...: the regex (if any) is a line Ceres's
# console must show for that way.
native_run fs-linux-quick -q -m "$MSIZE"
attach() {
	local name=$1 tree_kind=$2 regex=$3
	shift 3
	mkdir -p "$tmp/$name"
	fsboot "$name" "$tmp/$name" "" "-q -m $MSIZE" "$@"
	expect_status "$name" $ok_status
	same_output "$name" fs-linux-quick
	clean_console "$name"
	[ -n "$regex" ] && [ "$guest" = ceres ] && expect_serial "$name" "$regex"
	host_checks "$name" quick
	same_tree "$name" fs-linux-quick "$tree_kind"
}
attach fs-virtfs "" "\\] I: 9pfs: mounted tag 'rootfs'" --virtfs
attach fs-mapped-xattr mapped "" --fs-model mapped-xattr
check "fs-mapped-xattr: host: the files carry the mode in user.virtfs.mode" \
	mapped_mode "$tmp/fs-mapped-xattr/fstest/renamed"
attach fs-passthrough "" "" --fs-model passthrough
attach fs-legacy "" '\] I: virtio-9p: .*: tag .rootfs., legacy transport' --fs-transport legacy
attach fs-modern "" '\] I: virtio-9p: .*: tag .rootfs., modern transport' --fs-transport modern

# Another tag, named by vfs.rootdev= (guest.fstag= for the Linux guest): mounted.
mkdir -p "$tmp/fs-rootdev"
if [ "$guest" = ceres ]; then
	fsboot fs-rootdev "$tmp/fs-rootdev" vfs.rootdev=hostdir "-q -m $MSIZE" --fs-tag hostdir
else
	fsboot fs-rootdev "$tmp/fs-rootdev" guest.fstag=hostdir "-q -m $MSIZE" --fs-tag hostdir
fi
expect_status fs-rootdev $ok_status
same_output fs-rootdev fs-linux-quick
clean_console fs-rootdev
[ "$guest" = ceres ] &&
	expect_serial fs-rootdev "\\] I: 9pfs: mounted tag 'hostdir'" \
		"the kernel names the 9p root it mounted (tag hostdir)"
host_checks fs-rootdev quick
[ "$guest" = ceres ] || exit 0

# Only images whose application names files carry the VFS and 9p (docs/abi.md).
fs_syms=' (virtio_9p_|p9_|fs_9p_|vfs_|ramfs_|devfs_)'
check "fs: hello carries no VFS and no 9p code" \
	bash -c "! nm '$root/build/hello/ceres.elf' | grep -qE '$fs_syms'"
check "fs: fstest carries the driver, the client and 9pfs" \
	bash -c "nm '$root/build/fstest/ceres.elf' | grep -qE ' virtio_9p_init$' &&
		nm '$root/build/fstest/ceres.elf' | grep -qE ' p9_walk$' &&
		nm '$root/build/fstest/ceres.elf' | grep -qE ' fs_9p_type$'"

# No 9p device: the root is a ramfs, and a scratch directory there works.
fsboot fs-no-device "" "" "-q -m $MSIZE /"
expect_status fs-no-device 0
same_output fs-no-device fs-linux-quick
clean_console fs-no-device
expect_serial fs-no-device '\] W: .*no virtio-9p device.*run\.sh --fs DIR' \
	"the console says there is no 9p device, and how to attach one"
expect_serial fs-no-device '\] [IW]: vfs: .*ramfs' "the console says the root is a ramfs"

# A device with another tag: named, with the parameter to set; the guest
# runs on, on the ramfs root.
mkdir -p "$tmp/fs-other-tag"
fsboot fs-other-tag "$tmp/fs-other-tag" "" "-q -m $MSIZE /tmp" --fs-tag hostdir
expect_status fs-other-tag 0
same_output fs-other-tag fs-linux-quick
expect_serial fs-other-tag '\] [IWE]: .*(hostdir.*vfs\.rootdev=|vfs\.rootdev=.*hostdir)' \
	"the console names the tag found (hostdir) and vfs.rootdev="
expect_no_serial fs-other-tag 'not ok' "the console has no 'not ok'"
check "fs-other-tag: nothing was written to the unmounted host directory" \
	[ -z "$(ls -A "$tmp/fs-other-tag")" ]
