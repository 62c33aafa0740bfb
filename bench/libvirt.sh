#!/usr/bin/env bash
# What libvirt adds to a boot (docs/libvirt.md, "Cost"): the seed's three
# steps booted by run.sh and by tools/libvirt/run.sh in turn, REPS times
# each, with the same image, memory (128 MiB) and accelerator. The private
# libvirtd (tools/libvirt/libvirtd.sh) is started first and kept, so its
# start (timed once) is not counted. All of it runs in a network namespace
# made here, where each runner makes its own tap ceres0 as it starts
# (run.sh when there is none, libvirt always); the shares are passthrough
# 9p for both. Each run gives, in ms from the runner's start:
#   hello_exit_ms          hello -- one two: to the runner's exit
#   hello_status_ms        to the console's last write, its power-off line
#   storestrings_listen_ms storestrings with the seed's network parameters,
#                          the tap and a share: to its listening line on the
#                          console (bench/ready.py line: polled every 10 ms,
#                          the time is the console's write)
#   nginx_200_ms           nginx the same, serving the share's index.html:
#                          to the first 200 from the namespace (bench/ready.py
#                          http, a SYN every 10 ms; --neigh, since the tap is
#                          new each time)
# Writes OUTDIR/results.txt ("RESULT SYSTEM METRIC VALUE", SYSTEM run.sh or
# libvirt, one line a run) and the consoles OUTDIR/SYSTEM-STEP-R.log, and
# prints the medians.
# Usage: bench/libvirt.sh OUTDIR REPS
# Environment: LV_READY_TIMEOUT (60 s, one boot).
set -u
[ $# = 2 ] || { echo "usage: bench/libvirt.sh OUTDIR REPS" >&2; exit 2; }
out=$(mkdir -p "$1" && cd "$1" && pwd) || exit 1
reps=$2
here=$(cd "$(dirname "$0")/.." && pwd)
ready_timeout=${LV_READY_TIMEOUT:-60}
ns=ceres-lvcost$$
daemon=$out/daemon
guest_mac=52:54:00:12:34:56
seed_params="netdev.ipv4_addr=172.44.0.2 netdev.ipv4_gw_addr=172.44.0.1 netdev.ipv4_subnet_mask=255.255.255.0"
results=$out/results.txt
uri="" runner="" qemu_pidfile=$out/qemu.pid

die() {
	echo "libvirt-cost: $*" >&2
	exit 1
}

missing=()
[ "$(id -u)" = 0 ] || missing+=("root (a private libvirtd, a namespace and taps)")
for c in virsh libvirtd ip curl python3 stat; do
	command -v "$c" >/dev/null || missing+=("$c")
done
[ ${#missing[@]} = 0 ] || die "missing: ${missing[*]} (tools/deps.sh libvirt)"
# The probes' interpreter itself: python3 may be a wrapper (pyenv's shim
# takes 0.15 s here), which would start polling after a fast guest is up.
py=$(python3 -c 'import sys; print(sys.executable)') || die "python3 does not run"
for a in hello storestrings nginx; do
	make -s -C "$here" APP=$a >/dev/null || die "building $a failed"
done

ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }
v() { virsh -q -c "$uri" "$@"; }
inns() { ip netns exec "$ns" "$@"; }
finish() {
	local d
	[ -s "$qemu_pidfile" ] && kill -9 "$(cat "$qemu_pidfile")" 2>/dev/null
	if [ -n "$runner" ]; then
		kill "$runner" 2>/dev/null
		wait "$runner" 2>/dev/null
	fi
	if [ -n "$uri" ]; then
		for d in lvcost-hello lvcost-storestrings lvcost-nginx; do
			v destroy "$d" >/dev/null 2>&1
			v undefine "$d" >/dev/null 2>&1
		done
		"$here/tools/libvirt/libvirtd.sh" stop "$daemon"
	fi
	rm -f "$qemu_pidfile"
	ip netns del "$ns" 2>/dev/null
}
trap finish EXIT
trap 'exit 130' INT TERM

{ ip netns add "$ns" && inns ip link set lo up; } || die "could not make the namespace $ns"
t0=$EPOCHREALTIME
uri=$(inns "$here/tools/libvirt/libvirtd.sh" start "$daemon") ||
	{ uri=""; die "the private libvirtd did not start"; }
echo "libvirt-cost: the private libvirtd answered $(ms "$t0" "$EPOCHREALTIME") ms after its start" >&2

ss_share=$out/ss-share www=$out/www
rm -rf "$ss_share" "$www"
mkdir -p "$ss_share" "$www"
page="<p>served by nginx over 9p</p>"
echo "$page" >"$www/index.html"
: >"$results"

result() { echo "RESULT $1 $2 $3" >>"$results"; }

# boot SYSTEM APP LOG [ceres-xml or run.sh options...]: starts APP under
# SYSTEM in the namespace, in the background; $t0 its start. ip netns exec,
# not inns: $runner is then the runner itself, not a subshell, for halt's
# kill.
boot() {
	local sys=$1 app=$2 log=$3
	shift 3
	rm -f "$log" "$qemu_pidfile"
	t0=$EPOCHREALTIME
	if [ "$sys" = run.sh ]; then
		ip netns exec "$ns" "$here/run.sh" --no-build --timeout 300 --serial "$log" \
			--pidfile "$qemu_pidfile" "$@" "$app" </dev/null >/dev/null 2>"${log%.log}.stderr" &
	else
		ip netns exec "$ns" "$here/tools/libvirt/run.sh" --uri "$uri" --name "lvcost-$app" --timeout 300 \
			--console "$log" -- --image "$here/build/$app/ceres" "$@" </dev/null >/dev/null 2>"${log%.log}.stderr" &
	fi
	runner=$!
}

# halt: stops the boot; the next one waits until its tap is gone, or run.sh
# would take the old one as it is.
halt() {
	if [ -s "$qemu_pidfile" ]; then
		kill "$(cat "$qemu_pidfile")" 2>/dev/null # run.sh's QEMU
	else
		kill "$runner" 2>/dev/null # tools/libvirt/run.sh destroys its domain
	fi
	wait "$runner" 2>/dev/null
	runner=""
	rm -f "$qemu_pidfile"
	for _ in $(seq 100); do
		inns ip link show ceres0 >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	die "the tap ceres0 is still there after the boot ended"
}

hello() { # SYSTEM R
	local log=$out/$1-hello-$2.log rc
	boot "$1" hello "$log" --append "-- one two"
	wait "$runner"
	rc=$?
	t1=$EPOCHREALTIME
	runner=""
	[ "$rc" = 2 ] || die "hello under $1 ended with $rc, not 2 (${log%.log}.stderr)"
	result "$1" hello_exit_ms "$(ms "$t0" "$t1")"
	result "$1" hello_status_ms "$(ms "$t0" "$(stat -c %.6Y "$log")")"
}

storestrings() { # SYSTEM R
	local log=$out/$1-storestrings-$2.log opts=(--append "$seed_params --")
	if [ "$1" = run.sh ]; then
		opts+=(--net tap:ceres0 --fs "$ss_share" --fs-model passthrough)
	else
		opts+=(--net tap --share "$ss_share")
	fi
	boot "$1" storestrings "$log" "${opts[@]}"
	t1=$(inns "$py" "$here/bench/ready.py" "$runner" "$ready_timeout" line "$log" \
		'^storestrings: listening on port 1234') || die "storestrings under $1 did not listen ($log)"
	result "$1" storestrings_listen_ms "$(ms "$t0" "$t1")"
	halt
}

nginx() { # SYSTEM R
	local log=$out/$1-nginx-$2.log opts=(--append "$seed_params --") mac got
	if [ "$1" = run.sh ]; then
		opts+=(--net tap:ceres0 --nic-opts "mac=$guest_mac" --fs "$www" --fs-model passthrough)
		mac=$guest_mac
	else
		opts+=(--net tap --share "$www")
		mac=$daemon/etc/qemu/lvcost-nginx.xml # /etc/libvirt in the daemon's namespace
	fi
	boot "$1" nginx "$log" "${opts[@]}"
	t1=$(inns "$py" "$here/bench/ready.py" --neigh ceres0 "$mac" "$runner" "$ready_timeout" \
		http 172.44.0.2 80 /) || die "nginx under $1 did not answer ($log)"
	result "$1" nginx_200_ms "$(ms "$t0" "$t1")"
	got=$(inns curl -sS -m 10 http://172.44.0.2/)
	[ "$got" = "$page" ] || die "nginx under $1 did not serve the share's page: '$got'"
	halt
}

# A hello under each first, not counted: the daemon probes QEMU's
# capabilities at its first domain start (seconds under TCG).
hello run.sh 0 && hello libvirt 0
: >"$results"
for r in $(seq "$reps"); do
	for step in hello storestrings nginx; do
		for sys in run.sh libvirt; do
			echo "libvirt-cost: $step under $sys ($r/$reps)" >&2
			"$step" "$sys" "$r"
		done
	done
done

# The medians, and every run.
for m in hello_exit_ms hello_status_ms storestrings_listen_ms nginx_200_ms; do
	line=$m
	for sys in run.sh libvirt; do
		runs=$(awk -v s="$sys" -v m="$m" '$2 == s && $3 == m { print $4 }' "$results")
		med=$(sort -n <<<"$runs" | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
		line+="   $sys $med ms ($(paste -sd' ' <<<"$runs"))"
	done
	echo "$line"
done
