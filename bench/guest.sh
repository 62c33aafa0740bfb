# Booting one server at a time on Ceres and in the Linux guest baseline,
# on one tap in a network namespace of the benchmark's own (sourced by
# bench/redis.sh and bench/nginx.sh). The caller sets: out (its output
# folder), linux (bench/linux-guest.sh's folder), here (the repository),
# ns, tap, guest_ip, guest_mac, ready_timeout (s) and share (the 9p
# share every guest gets); and defines boot_opts SYSTEM (run.sh's options
# for it, one a line). The namespace, the QEMU and run.sh go at exit.

# virtio-net's modules and 9p's, in load order (Debian's kernel has them as modules).
netmods=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover net_failover virtio_net)
ninepmods=(netfs fscache 9pnet 9pnet_virtio 9p)

# guest_initramfs NAME SERVER DEST [LIB...]: writes OUTDIR/NAME.cpio.gz, a
# Linux guest's initramfs: busybox, virtio-net's and 9p's modules, SERVER
# stripped as /bin/DEST (the initramfs stays in the guest's memory), the
# LIBs at their paths, and the files the caller put in $guest_extra (a
# folder copied over the root). Its /init brings eth0 up as
# bench/linux-guest.sh's net.cpio.gz does, with guest_9p=1 mounts the 9p
# share at /share, runs $guest_run (a shell line, with "$@" the words after
# "--"), and powers off when it ends.
guest_initramfs() {
	local name=$1 server=$2 dest=$3 root=$out/$1-root m mods=("${netmods[@]}") mount=:
	shift 3
	if [ "${guest_9p:-0}" = 1 ]; then
		mods+=("${ninepmods[@]}")
		mount='mount -t 9p -o trans=virtio,version=9p2000.L rootfs /share || echo "init: no 9p share"'
	fi
	rm -rf "$root"
	mkdir -p "$root"/{bin,proc,sys,dev,share,tmp,lib/modules}
	cp "$linux/rootfs/bin/busybox" "$root/bin/busybox"
	for m in "${mods[@]}"; do cp "$linux/modules/$m.ko" "$root/lib/modules/" || return 1; done
	strip -o "$root/bin/$dest" "$server" || return 1
	[ $# = 0 ] || cp -L --parents "$@" "$root/" || return 1
	[ -z "${guest_extra:-}" ] || cp -a "$guest_extra/." "$root/" || return 1
	cat >"$root/init" <<-INIT
		#!/bin/busybox sh
		export PATH=/bin
		/bin/busybox --install -s /bin
		mount -t proc proc /proc
		mount -t sysfs sys /sys
		mount -t devtmpfs dev /dev
		for m in ${mods[*]}; do
			insmod /lib/modules/\$m.ko || echo "init: insmod \$m failed"
		done
		i=0
		while [ ! -e /sys/class/net/eth0 ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
		ip link set lo up
		ip link set eth0 up && ip addr add $guest_ip/24 dev eth0 && ip route add default via 172.44.0.1
		echo "init: eth0 $guest_ip \$(cat /sys/class/net/eth0/address)"
		$mount
		$guest_run
		echo "SERVER-EXIT \$?"
		poweroff -f
	INIT
	chmod +x "$root/init"
	(set -o pipefail && cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/$name.cpio.gz"
}

# ldd_paths BINARY: the shared libraries and the interpreter ldd names,
# a path a line ("libc.so.6 => /lib/.../libc.so.6 (0x...)", "/lib64/ld-... (0x...)").
ldd_paths() {
	ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
}

runner="" qemu_pidfile=$out/qemu.pid native_pid="" guest_job=""
# The interpreter itself, for the readiness probe: python3 may be a wrapper
# (pyenv's shim takes 0.15 s to start here), which would begin polling
# after a fast guest is up and count its own start as the guest's.
guest_py=$(python3 -c 'import sys; print(sys.executable)')
guest_cleanup() {
	[ -n "$guest_job" ] && kill -TERM -- -"$guest_job" 2>/dev/null
	[ -s "$qemu_pidfile" ] && kill -9 "$(cat "$qemu_pidfile")" 2>/dev/null
	[ -n "$native_pid" ] && kill -9 "$native_pid" 2>/dev/null
	if [ -n "$runner" ]; then
		for _ in $(seq 20); do kill -0 "$runner" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$runner" 2>/dev/null
	fi
	rm -f "$qemu_pidfile"
	ip netns del "$ns" 2>/dev/null
}
inns() { ip netns exec "$ns" "$@"; }

# guest_wait CMD...: runs CMD in a session of its own and waits for it; its
# status is CMD's. bash runs a trap only once the foreground command is
# done, so a client run in the foreground (a redis-benchmark of up to 300 s)
# would keep a TERM to the script waiting; in the background, the trap runs
# at once and guest_cleanup ends CMD's whole group (timeout and its child).
guest_wait() {
	setsid "$@" &
	guest_job=$!
	wait "$guest_job"
	local rc=$?
	guest_job=""
	return $rc
}

# guest_netns: the namespace and its tap, made here so that the guest's
# neighbour entry is there before a guest is: run.sh reuses a tap as it
# finds it. Without it, a SYN sent before the guest is up waits for ARP's
# next try (1 s), which would round the boot time to seconds.
guest_netns() {
	ip netns add "$ns" && inns ip link set lo up &&
		inns ip tuntap add dev "$tap" mode tap && inns ip addr add 172.44.0.1/24 dev "$tap" &&
		inns ip link set "$tap" up &&
		inns ip neigh replace "$guest_ip" lladdr "$guest_mac" dev "$tap" nud permanent
}

# guest_boot SYSTEM MIB LOG KIND ARGS...: starts the guest in the background
# ($runner) and waits until it answers (bench/ready.py KIND ARGS: "http
# HOST PORT PATH" or "redis HOST PORT", from inside the namespace); sets
# $ready_ms, the milliseconds from run.sh's start to that answer. False
# when the guest ended or did not answer in time.
guest_boot() {
	local sys=$1 mib=$2 log=$3 t0 t1 opts
	shift 3
	ready_ms=""
	mapfile -t opts < <(boot_opts "$sys")
	rm -f "$qemu_pidfile" "$log"
	t0=$EPOCHREALTIME
	inns "$here/run.sh" --no-build --no-exit-device -m "$mib" --timeout 1800 --net tap:"$tap" \
		--nic-opts mac="$guest_mac" --fs "$share" --serial "$log" --pidfile "$qemu_pidfile" \
		"${opts[@]}" </dev/null >/dev/null 2>"${log%.log}.stderr" &
	runner=$!
	t1=$(inns "$guest_py" "$here/bench/ready.py" "$runner" "$ready_timeout" "$@") || return 1
	ready_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
}

# guest_halt: stops the guest started by guest_boot.
guest_halt() {
	[ -s "$qemu_pidfile" ] && kill "$(cat "$qemu_pidfile")" 2>/dev/null
	[ -n "$runner" ] && wait "$runner" 2>/dev/null
	runner=""
	rm -f "$qemu_pidfile"
}
