#!/usr/bin/env bash
# The file-system benchmark (docs/benchmarks.md): fsbench (bench/apps/fsbench)
# on Ceres over its 9p root and, the very same objects linked for Linux, in
# the Linux guest baseline over v9fs (bench/linux-guest.sh's fs.cpio.gz,
# mount -t 9p -o trans=virtio,version=9p2000.L,msize=M), both on the same
# QEMU machine, memory, accelerator and 9p device (run.sh --fs), each
# repetition a boot of its own in a fresh host directory, Ceres then Linux:
#   fs_seq_write_mibps  256 MiB in 1 MiB writes, fsync included
#   fs_seq_read_mibps   the same file read back
#   fs_create_per_s     2000 files created, written 4 KiB and closed
# All three are rates: bench/run.sh's ratio is Ceres / Linux guest. And
# natively on the host, for reference. The Linux guest asks Ceres's msize
# (from Ceres's console when it prints one, else FS_MSIZE); Linux's virtio
# transport takes at most 512000 of it. Writes OUTDIR/{ceres,linux,native}-R.txt
# (RESULT lines, and INFO lines naming each guest's msize) and the consoles
# OUTDIR/{ceres,linux}-R.log.
# Usage: bench/fs.sh OUTDIR REPS LINUX_KERNEL LINUX_FS_INITRD
# Environment: BENCH_MEM (MiB, 256), FS_MSIZE (524288), FS_MIB (256),
# FS_FILES (2000).
set -u
out=$1
reps=$2
vmlinuz=$3
initrd=$4
here=$(cd "$(dirname "$0")/.." && pwd)
mem=${BENCH_MEM:-256}
msize=${FS_MSIZE:-524288}
mib=${FS_MIB:-256}
files=${FS_FILES:-2000}
mkdir -p "$out"
rm -f "$out"/*.txt # no stale results if this run fails early
tmp=$(mktemp -d /tmp/ceres-fsbench.XXXXXX) || exit 1

die() {
	echo "fs: $*" >&2
	exit 1
}

qemu_pidfile=$out/qemu.pid
cleanup() {
	[ -s "$qemu_pidfile" ] && kill -9 "$(cat "$qemu_pidfile")" 2>/dev/null
	rm -f "$qemu_pidfile"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -f "$vmlinuz" ] && [ -f "$initrd" ] || die "no Linux guest at $vmlinuz, $initrd (bench/linux-guest.sh)"
make -s -C "$here" APP=fsbench >/dev/null || die "building fsbench for Ceres failed"
make -s -C "$here" APP=fsbench linux >/dev/null || die "building fsbench for Linux failed"

# guest NAME run.sh-options...: one boot with a fresh host directory; its
# RESULT lines into OUTDIR/NAME.txt.
guest() {
	local name=$1 dir=$tmp/$1
	shift
	mkdir -p "$dir"
	rm -f "$qemu_pidfile"
	"$here/run.sh" --no-build --no-exit-device -m "$mem" --timeout 1200 --fs "$dir" \
		--serial "$out/$name.log" --pidfile "$qemu_pidfile" "$@" </dev/null >/dev/null \
		2>"$out/$name.stderr"
	tr -d '\r' <"$out/$name.log" | awk '$1 == "RESULT"' >"$out/$name.txt"
	[ -s "$out/$name.txt" ] || echo "fs: $name gave no results (see $out/$name.log)" >&2
	rm -rf "$dir"
}

# The msize a console shows: Ceres's "msize N", Linux's msize=N in /proc/mounts.
msize_of() {
	tr -d '\r' <"$1" | grep -oE 'msize[ =][0-9]+' | head -1 | grep -oE '[0-9]+'
}

for r in $(seq "$reps"); do
	echo "fs: fsbench on Ceres ($r/$reps)" >&2
	guest "ceres-$r" --append "loglevel=info -- 1 / $mib $files" fsbench
	m=$(msize_of "$out/ceres-$r.log")
	echo "INFO msize ${m:-unknown}" >>"$out/ceres-$r.txt"
	echo "fs: fsbench in the Linux guest ($r/$reps)" >&2
	guest "linux-$r" --kernel "$vmlinuz" --initrd "$initrd" \
		--append "console=ttyS0 quiet panic=-1 guest.msize=${m:-$msize} -- fsbench 1 /mnt $mib $files"
	echo "INFO msize $(msize_of "$out/linux-$r.log")" >>"$out/linux-$r.txt"
	for sys in ceres linux; do
		awk -v s="$sys" '$1 == "RESULT" { printf "fs:   %s %s %s\n", s, $2, $3 }' \
			"$out/$sys-$r.txt" >&2
	done
done

echo "fs: fsbench natively (for reference)" >&2
for r in $(seq "$reps"); do
	mkdir -p "$tmp/native-$r"
	"$here/build/fsbench/fsbench.linux" 1 "$tmp/native-$r" "$mib" "$files" >"$out/native-$r.txt" ||
		echo "fs: fsbench failed natively ($out/native-$r.txt)" >&2
	rm -rf "$tmp/native-$r"
done
