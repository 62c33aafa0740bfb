#!/usr/bin/env bash
# Builds the Linux guest baseline (docs/benchmarks.md): Debian's kernel and
# an initramfs with busybox-static and the benchmark programs: each one's
# static musl build, the very objects Ceres runs (make APP=x linux), and
# bench-malloc once more with glibc's malloc, the allocator to beat. Its
# /init runs every benchmark with the given repetitions, prints their
# RESULT lines on the console, and powers off. A second initramfs,
# boot.cpio.gz, only powers off: the boot benchmark's baseline. net.cpio.gz
# runs udpecho on virtio-net (bench/net.sh), or tcpbench when the words
# after "--" start with it (bench/tcp.sh); fs.cpio.gz mounts the 9p
# device over v9fs at /mnt and runs the command after "--" on the kernel
# command line (bench/fs.sh: fsbench; tests/integration/fs.sh: fstest).
# Usage: bench/linux-guest.sh OUTDIR REPS BENCH...
set -eu
out=$1
reps=$2
shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
debs=$out/debs
root=$out/rootfs
mkdir -p "$debs"

# Debian's packages, fetched once and kept in OUTDIR/debs.
fetch() {
	local pkg=$1
	ls "$debs"/"${pkg}"_*.deb >/dev/null 2>&1 && return
	(cd "$debs" && apt-get download "$pkg" >/dev/null 2>&1) ||
		{ echo "linux-guest: 'apt-get download $pkg' failed (run 'apt-get update' first?)" >&2; exit 1; }
}
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
[ -n "$kpkg" ] || { echo "linux-guest: no linux-image-amd64 in the package lists (apt-get update)" >&2; exit 1; }
fetch "$kpkg"
fetch busybox-static

# virtio-net and what it needs, all modules in Debian's kernel, in load
# order; then 9p over virtio (v9fs), which needs the same virtio modules.
virtiomods=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci)
netmods=("${virtiomods[@]}" failover net_failover virtio_net)
fsmods=("${virtiomods[@]}" netfs fscache 9pnet 9pnet_virtio 9p)
if [ ! -f "$out/vmlinuz" ] || [ ! -f "$out/modules/virtio_net.ko" ] || [ ! -f "$out/modules/9p.ko" ]; then
	rm -rf "$out/kernel" "$out/modules" "$out/netmods"
	dpkg-deb -x "$debs/${kpkg}"_*.deb "$out/kernel"
	cp "$out"/kernel/boot/vmlinuz-* "$out/vmlinuz"
	mkdir -p "$out/modules"
	for m in "${netmods[@]}" "${fsmods[@]:${#virtiomods[@]}}"; do
		f=$(find "$out/kernel/lib/modules" -name "$m.ko" -o -name "$m.ko.xz" | head -1)
		[ -n "$f" ] || { echo "linux-guest: $kpkg has no module $m" >&2; exit 1; }
		case $f in *.xz) xz -dc "$f" >"$out/modules/$m.ko" ;; *) cp "$f" "$out/modules/$m.ko" ;; esac
	done
	rm -rf "$out/kernel"
fi

rm -rf "$root"
mkdir -p "$root"/{bin,proc,sys,dev}
dpkg-deb --fsys-tarfile "$debs"/busybox-static_*.deb | tar -x -C "$out" ./bin/busybox
mv "$out/bin/busybox" "$root/bin/busybox"
for b in "$@"; do
	make -s -C "$here" APP="$b" linux >/dev/null
	cp "$here/build/$b/$b.linux" "$root/bin/$b"
done
gcc -O2 -static -pthread -o "$root/bin/bench-malloc-glibc" "$here/bench/apps/bench-malloc/main.c"
{
	echo '#!/bin/busybox sh'
	echo '/bin/busybox mount -t proc proc /proc'
	echo '/bin/busybox mount -t devtmpfs dev /dev'
	for b in "$@"; do
		case $b in
		bench-malloc)
			echo "/bin/bench-malloc $reps malloc_free_ns_mallocng"
			echo "/bin/bench-malloc-glibc $reps" ;;
		*) echo "/bin/$b $reps" ;;
		esac
	done
	echo 'echo BENCH-DONE'
	echo '/bin/busybox poweroff -f'
} >"$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initramfs.cpio.gz"

boot=$out/bootroot
rm -rf "$boot"
mkdir -p "$boot/bin"
cp "$root/bin/busybox" "$boot/bin/busybox"
printf '#!/bin/busybox sh\n/bin/busybox poweroff -f\n' >"$boot/init"
chmod +x "$boot/init"
(cd "$boot" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/boot.cpio.gz"

net=$out/netroot
rm -rf "$net"
mkdir -p "$net"/{bin,proc,sys,dev,lib/modules}
cp "$root/bin/busybox" "$net/bin/busybox"
for m in "${netmods[@]}"; do cp "$out/modules/$m.ko" "$net/lib/modules/"; done
for b in udpecho tcpbench; do
	make -s -C "$here" APP=$b linux >/dev/null
	cp "$here/build/$b/$b.linux" "$net/bin/$b"
done
{
	echo '#!/bin/busybox sh'
	echo 'export PATH=/bin'
	echo '/bin/busybox --install -s /bin'
	echo 'mount -t proc proc /proc'
	echo 'mount -t sysfs sys /sys'
	echo 'mount -t devtmpfs dev /dev'
	echo "for m in ${netmods[*]}; do"
	echo '	insmod /lib/modules/$m.ko || echo "init: insmod $m failed"'
	echo 'done'
	echo 'addr=172.44.0.2/24 gw=172.44.0.1'
	echo 'for w in $(cat /proc/cmdline); do'
	echo '	case $w in guest.ip=*) addr=${w#guest.ip=} ;; guest.gw=*) gw=${w#guest.gw=} ;; esac'
	echo 'done'
	echo 'i=0'
	echo 'while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done'
	echo 'ip link set lo up'
	echo 'ip link set eth0 up && ip addr add $addr dev eth0 && ip route add default via $gw'
	echo 'echo "init: eth0 $addr $(cat /sys/class/net/eth0/address)"'
	echo 'prog=udpecho'
	echo 'case ${1:-} in tcpbench) prog=$1; shift ;; esac'
	echo '/bin/$prog "$@"'
	echo 'rc=$?'
	echo 'echo "$(echo $prog | tr a-z A-Z)-EXIT $rc"'
	echo 'poweroff -f'
} >"$net/init"
chmod +x "$net/init"
(cd "$net" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/net.cpio.gz"

# The 9p guest: the host directory (tag guest.fstag=, default rootfs) over
# v9fs at /mnt with the msize guest.msize= (default 524288), Ceres's, then
# the command after "--", whose status it prints.
fs=$out/fsroot
rm -rf "$fs"
mkdir -p "$fs"/{bin,proc,sys,dev,mnt,tmp,lib/modules}
cp "$root/bin/busybox" "$fs/bin/busybox"
for m in "${fsmods[@]}"; do cp "$out/modules/$m.ko" "$fs/lib/modules/"; done
for b in fsbench fstest; do
	make -s -C "$here" APP=$b linux >/dev/null
	cp "$here/build/$b/$b.linux" "$fs/bin/$b"
done
{
	echo '#!/bin/busybox sh'
	echo 'export PATH=/bin'
	echo '/bin/busybox --install -s /bin'
	echo 'mount -t proc proc /proc'
	echo 'mount -t sysfs sys /sys'
	echo 'mount -t devtmpfs dev /dev'
	echo "for m in ${fsmods[*]}; do"
	echo '	insmod /lib/modules/$m.ko || echo "init: insmod $m failed"'
	echo 'done'
	echo 'tag=rootfs msize=524288'
	echo 'for w in $(cat /proc/cmdline); do'
	echo '	case $w in guest.fstag=*) tag=${w#guest.fstag=} ;; guest.msize=*) msize=${w#guest.msize=} ;; esac'
	echo 'done'
	echo 'if mount -t 9p -o trans=virtio,version=9p2000.L,msize=$msize $tag /mnt; then'
	echo '	echo "init: mounted $tag at /mnt, $(grep " /mnt " /proc/mounts)"'
	echo '	cd /mnt'
	echo '	"$@"'
	echo '	echo "FS-EXIT $?"'
	echo '	cd /'
	echo '	umount /mnt'
	echo 'else'
	echo '	echo "init: mounting $tag failed"'
	echo 'fi'
	echo 'poweroff -f'
} >"$fs/init"
chmod +x "$fs/init"
(cd "$fs" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/fs.cpio.gz"
