#!/usr/bin/env bash
# The TCP benchmark (docs/benchmarks.md): bench/apps/tcpbench's server on
# Ceres and, the very same objects linked for Linux, in the Linux guest
# baseline (bench/linux-guest.sh's net.cpio.gz), on the same QEMU machine and
# the same tap, in a network namespace made here and removed at the end
# (host 172.44.0.1/24, guest 172.44.0.2). The client is tcpbench built for
# the host, run in the namespace. Per repetition, Ceres then Linux, each a
# boot of its own, one connection at a time:
#   tcp_h2g_mibps       the host writes for TCP_SECONDS, the guest reads and
#                       discards (the rate counts only what the guest
#                       acknowledged having read: its byte count must match)
#   tcp_g2h_mibps       the guest writes, the host reads for TCP_SECONDS
#   tcp_crr_per_s       connect, one 64-byte request echoed, close, per second
#   tcp_rr_median_us, tcp_rr_p99_us  one connection, one 64-byte request
#                       outstanding, echoed, for TCP_SECONDS
# Not iperf3: its client needs an iperf3 server at the other end (a control
# connection with its own protocol), which neither guest has; tcpbench is
# the same plain TCP at both ends, and the same program in both guests.
# And natively, for reference: both ends over loopback in the namespace.
# Writes OUTDIR/{ceres,linux,native}-R.txt (RESULT lines) and the consoles
# OUTDIR/{ceres,linux}-R.log.
# Usage: bench/tcp.sh OUTDIR REPS LINUX_KERNEL LINUX_NET_INITRD
# Environment: BENCH_MEM (MiB, 256), TCP_SECONDS (3, each measurement).
set -u
out=$1
reps=$2
vmlinuz=$3
initrd=$4
here=$(cd "$(dirname "$0")/.." && pwd)
mem=${BENCH_MEM:-256}
seconds=${TCP_SECONDS:-3}
ns=cerestest-tcpbench$$
guest_ip=172.44.0.2
port=5001
mkdir -p "$out"
rm -f "$out"/*.txt # no stale results if this run fails early

die() {
	echo "tcp: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (a network namespace and a tap)"
for c in ip ping gcc; do command -v "$c" >/dev/null || die "$c is missing (tools/deps.sh bench)"; done
[ -f "$vmlinuz" ] && [ -f "$initrd" ] || die "no Linux guest at $vmlinuz, $initrd (bench/linux-guest.sh)"
client=$out/tcpbench-host
gcc -O2 -Wall -Wextra -o "$client" "$here/bench/apps/tcpbench/main.c" ||
	die "building tcpbench for the host failed"
make -s -C "$here" APP=tcpbench >/dev/null || die "building tcpbench for Ceres failed"

runner="" qemu_pidfile=$out/qemu.pid native_pid=""
cleanup() {
	[ -s "$qemu_pidfile" ] && kill -9 "$(cat "$qemu_pidfile")" 2>/dev/null
	[ -n "$native_pid" ] && kill -9 "$native_pid" 2>/dev/null
	if [ -n "$runner" ]; then
		for _ in $(seq 20); do kill -0 "$runner" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$runner" 2>/dev/null
	fi
	rm -f "$qemu_pidfile"
	ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$ns" && ip netns exec "$ns" ip link set lo up || die "could not make the namespace $ns"
# The client closes first, so the host keeps each connection in TIME_WAIT
# for a minute, and the connection rate's runs leave tens of thousands
# behind in the namespace: Linux's connect() then searches ever longer for
# a free port (1.2 ms a connect, measured, against 0.35 ms for the whole
# exchange), which slowed whichever guest came next. Reusing TIME_WAIT
# ports (safe with timestamps, RFC 7323) keeps the client's cost flat.
ip netns exec "$ns" sh -c 'echo 1 >/proc/sys/net/ipv4/tcp_tw_reuse' || die "could not set tcp_tw_reuse in $ns"
inns() { ip netns exec "$ns" "$@"; }

# measure HOST FILE: the four measurements against HOST, RESULT lines into
# FILE, then tells the server to end. A failed one leaves its lines out.
measure() {
	local host=$1 file=$2 m
	: >"$file"
	inns ping -c 5 -i 0.05 -W 2 "$host" >/dev/null 2>&1 # ARP and warm caches, as bench/net.sh
	for m in "send tcp_h2g" "recv tcp_g2h" "crr tcp_crr" "rr tcp_rr"; do
		set -- $m
		timeout $((seconds * 4 + 30)) ip netns exec "$ns" "$client" -c "$host:$port" "$1" \
			-d "$seconds" -r "$2" >>"$file" 2>&1 || echo "tcp: $1 failed against $host ($file)" >&2
	done
	timeout 10 ip netns exec "$ns" "$client" -c "$host:$port" quit >/dev/null 2>&1
	awk '$1 == "RESULT" { v[$2] = $3 }
		END { printf "tcp:   h2g %s MiB/s, g2h %s MiB/s, %s connections/s, rr median %s us, p99 %s us\n",
			v["tcp_h2g_mibps"], v["tcp_g2h_mibps"], v["tcp_crr_per_s"], v["tcp_rr_median_us"], v["tcp_rr_p99_us"] }' \
		"$file" >&2
}

# guest NAME run.sh-options...: boots tcpbench -s on the tap, measures, waits
# for it to end (the quit request), at most 30 s, then stops it.
guest() {
	local name=$1 deadline
	shift
	rm -f "$qemu_pidfile" "$out/$name.log"
	inns "$here/run.sh" --no-build --no-exit-device -m "$mem" --timeout 600 --net tap \
		--serial "$out/$name.log" --pidfile "$qemu_pidfile" "$@" </dev/null >/dev/null \
		2>"$out/$name.stderr" &
	runner=$!
	deadline=$((SECONDS + 180))
	until tr -d '\r' 2>/dev/null <"$out/$name.log" | grep -q '^tcpbench: listening'; do
		if ! kill -0 "$runner" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
			echo "tcp: $name: tcpbench did not come up (see $out/$name.log)" >&2
			: >"$out/$name.txt"
			break
		fi
		sleep 0.2
	done
	[ -e "$out/$name.txt" ] || measure "$guest_ip" "$out/$name.txt"
	deadline=$((SECONDS + 30))
	while kill -0 "$runner" 2>/dev/null && [ $SECONDS -lt $deadline ] &&
		! tr -d '\r' <"$out/$name.log" | grep -q '^tcpbench: served'; do sleep 0.2; done
	[ -s "$qemu_pidfile" ] && kill "$(cat "$qemu_pidfile" 2>/dev/null)" 2>/dev/null
	wait "$runner" 2>/dev/null
	runner=""
}

for r in $(seq "$reps"); do
	echo "tcp: tcpbench on Ceres ($r/$reps)" >&2
	guest "ceres-$r" --append "loglevel=warn netdev.ip=$guest_ip/24:172.44.0.1 -- -s -p $port" tcpbench
	echo "tcp: tcpbench in the Linux guest ($r/$reps)" >&2
	guest "linux-$r" --kernel "$vmlinuz" --initrd "$initrd" \
		--append "console=ttyS0 quiet panic=-1 guest.ip=$guest_ip/24 guest.gw=172.44.0.1 -- tcpbench -s -p $port"
done

echo "tcp: tcpbench natively, over loopback (for reference)" >&2
for r in $(seq "$reps"); do
	ip netns exec "$ns" "$client" -s -p "$port" >/dev/null 2>&1 & # not inns: $! must be the server
	native_pid=$!
	sleep 0.2
	measure 127.0.0.1 "$out/native-$r.txt"
	wait "$native_pid" 2>/dev/null
	native_pid=""
done
