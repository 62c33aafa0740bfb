#!/usr/bin/env bash
# The network benchmark (docs/benchmarks.md): udpecho (apps/udpecho) on
# Ceres and, the very same objects linked for Linux, in the Linux guest
# baseline (bench/linux-guest.sh's net.cpio.gz), on the same QEMU machine and
# the same tap, in a network namespace made here and removed at the end
# (host 172.44.0.1/24, guest 172.44.0.2). Per repetition, Ceres then Linux,
# each a boot of its own:
#   ping_rtt_median_us, ping_rtt_p99_us  ping -c PINGS -i 0.01 from the host
#   udp_echo_pps        replies per second to bench/net/echo-client, which
#                       keeps a window of datagrams outstanding (a rate: for
#                       it bench/run.sh's ratio is Ceres / Linux)
# And natively, for reference: udpecho.linux and the client over loopback in
# the namespace. Writes OUTDIR/{ceres,linux,native}-R.txt (RESULT lines) and
# the consoles OUTDIR/{ceres,linux}-R.log.
# Usage: bench/net.sh OUTDIR REPS LINUX_KERNEL LINUX_NET_INITRD
# Environment: BENCH_MEM (MiB, 256), NET_PINGS (200), NET_SECONDS (3, the
# client's time), NET_WINDOW (32), NET_SIZE (64 bytes).
set -u
out=$1
reps=$2
vmlinuz=$3
initrd=$4
here=$(cd "$(dirname "$0")/.." && pwd)
mem=${BENCH_MEM:-256}
pings=${NET_PINGS:-200}
seconds=${NET_SECONDS:-3}
window=${NET_WINDOW:-32}
size=${NET_SIZE:-64}
ns=cerestest-bench$$
guest_ip=172.44.0.2
mkdir -p "$out"
rm -f "$out"/*.txt # no stale results if this run fails early

die() {
	echo "net: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (a network namespace and a tap)"
for c in ip ping gcc; do command -v "$c" >/dev/null || die "$c is missing (tools/deps.sh bench)"; done
[ -f "$vmlinuz" ] && [ -f "$initrd" ] || die "no Linux guest at $vmlinuz, $initrd (bench/linux-guest.sh)"
gcc -O2 -Wall -Wextra -o "$out/echo-client" "$here/bench/net/echo-client.c" ||
	die "building bench/net/echo-client.c failed"
make -s -C "$here" APP=udpecho >/dev/null || die "building udpecho for Ceres failed"
make -s -C "$here" APP=udpecho linux >/dev/null || die "building udpecho for Linux failed"

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
inns() { ip netns exec "$ns" "$@"; }

# ping_stats: RESULT lines for the rtt values ping printed on stdin.
ping_stats() {
	awk -F'time=' '/time=/ { split($2, a, " "); v[++n] = a[1] * 1000 }
	END {
		if (n == 0) exit 1
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		p = int(n * 0.99 + 0.999999); if (p > n) p = n
		printf "RESULT ping_rtt_median_us %.1f\nRESULT ping_rtt_p99_us %.1f\nINFO ping replies %d\n", m, v[p], n
	}'
}

# measure HOST FILE: ping and the echo client against HOST, RESULT lines into FILE.
measure() {
	local host=$1 file=$2
	inns ping -c 5 -i 0.05 -W 2 "$host" >/dev/null 2>&1 # ARP and warm caches
	inns ping -c "$pings" -i 0.01 -W 1 "$host" 2>&1 | ping_stats >"$file" ||
		echo "net: no ping replies from $host" >&2
	inns "$out/echo-client" "$host" 7 -w "$window" -s "$size" -d "$seconds" >>"$file" 2>&1 ||
		echo "net: the echo client failed against $host ($file)" >&2
	awk '$2 == "ping_rtt_median_us" { m = $3 } $2 == "udp_echo_pps" { p = $3 }
		$1 == "INFO" && $2 == "sent" { l = $7; s = $3 }
		END { printf "net:   %s datagrams/s (%s of %s lost), ping median %s us\n", p, l, s, m }' \
		"$file" >&2
}

# guest NAME run.sh-options...: boots udpecho on the tap, measures, stops it.
guest() {
	local name=$1 deadline
	shift
	rm -f "$qemu_pidfile" "$out/$name.log"
	inns "$here/run.sh" --no-build --no-exit-device -m "$mem" --timeout 600 --net tap \
		--serial "$out/$name.log" --pidfile "$qemu_pidfile" "$@" </dev/null >/dev/null \
		2>"$out/$name.stderr" &
	runner=$!
	deadline=$((SECONDS + 180))
	until tr -d '\r' 2>/dev/null <"$out/$name.log" | grep -q '^udpecho: listening'; do
		if ! kill -0 "$runner" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
			echo "net: $name: udpecho did not come up (see $out/$name.log)" >&2
			: >"$out/$name.txt"
			break
		fi
		sleep 0.2
	done
	[ -e "$out/$name.txt" ] || measure "$guest_ip" "$out/$name.txt"
	[ -s "$qemu_pidfile" ] && kill "$(cat "$qemu_pidfile")" 2>/dev/null
	wait "$runner" 2>/dev/null
	runner=""
}

for r in $(seq "$reps"); do
	rm -f "$out/ceres-$r.txt" "$out/linux-$r.txt"
	echo "net: udpecho on Ceres ($r/$reps)" >&2
	guest "ceres-$r" --append "loglevel=warn netdev.ip=$guest_ip/24:172.44.0.1 -- -p 7" udpecho
	echo "net: udpecho in the Linux guest ($r/$reps)" >&2
	guest "linux-$r" --kernel "$vmlinuz" --initrd "$initrd" \
		--append "console=ttyS0 quiet panic=-1 guest.ip=$guest_ip/24 guest.gw=172.44.0.1 -- -p 7"
done

echo "net: udpecho natively, over loopback (for reference)" >&2
for r in $(seq "$reps"); do
	ip netns exec "$ns" "$here/build/udpecho/udpecho.linux" -p 7 >/dev/null 2>&1 & # not inns: $! must be the server
	native_pid=$!
	sleep 0.2
	measure 127.0.0.1 "$out/native-$r.txt"
	kill "$native_pid" 2>/dev/null
	wait "$native_pid" 2>/dev/null
	native_pid=""
done
