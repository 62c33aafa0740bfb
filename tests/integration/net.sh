#!/usr/bin/env bash
# The network (docs/net.md), with real peers: udpecho (apps/udpecho) in the
# guest, ping, socat, ip neigh and scapy on the host.
#   - user networking: DHCP gives 10.0.2.15, and a --fwd udp port on
#     127.0.0.1 reaches the echo server;
#   - a tap in a network namespace this test makes (host 172.44.0.1/24,
#     guest 172.44.0.2): ping without loss, the guest's MAC in the host's
#     ARP table, echo byte for byte through epoll and through poll, both
#     forms of the static address parameters, the three virtio-net PCI
#     transports (transitional, modern only, legacy only);
#   - a burst of malformed frames (tests/net/malformed.py): afterwards ping
#     and echo still work and the exit report counts the drops;
#   - a bad parameter value is named and the guest runs on.
# Every boot ends with udpecho -n COUNT reaching its count (status 0), so a
# datagram lost or a malformed one let through shows as a failure.
#
# NET_GUEST=linux runs the same checks against the Linux guest baseline
# (bench/linux-guest.sh build/bench/linux 1 builds it), the same udpecho
# under Linux: that proves the harness. The checks of Ceres' own log lines
# are left out then.
source "$(dirname "$0")/../lib.sh"

guest=${NET_GUEST:-ceres}
# The Linux guest's files apart, so that a run of each at once do not mix.
[ "$guest" = linux ] && out=$out/net-linux && mkdir -p "$out"
NET_TIMEOUT=${NET_TIMEOUT:-300} # one boot, at most (TCG is slow)
READY_TIMEOUT=${READY_TIMEOUT:-120}
ns=cerestest$$
tap=ceres0
guest_ip=172.44.0.2
guest_mac=52:54:00:12:34:56 # QEMU's default; run.sh passes no mac=
linux_dir=$root/build/bench/linux
# The malformed UDP datagrams go to the echo port: one that Ceres let through
# would be echoed and counted, and udpecho -n would end early. Linux accepts
# some of them (IP options are valid there), so for it they go to a closed port.
malformed_port=7
[ "$guest" = linux ] && malformed_port=9

# What the malformed burst must leave in Ceres' exit report: one extended
# regex per counter line (lib/net/net_priv.h, "TEXT: N" at info level), each
# needing a nonzero count. Adjust here when the stack's counters change.
drop_counters=(
	'eth: dropped, (unknown ethertype|shorter than a header)'
	'ip: dropped, (truncated|bad total length|bad header length)'
	'ip: dropped, not version 4'
	'ip: dropped, bad header checksum'
	'ip: dropped, a fragment'
	'ip: dropped, has options'
	'ip: dropped, unknown protocol'
	'arp: dropped, malformed'
	'udp: dropped, bad checksum'
	'udp: dropped, (bad length|truncated)'
	'icmp: dropped, bad checksum'
)


# Only images that use sockets carry the network (docs/abi.md): hello has
# none of its code, udpecho has it all.
net_syms=' (pci_|virtio|netdev_|pbuf_|arp_|udp_|dhcp_)'
check "net: hello carries no network code" \
	bash -c "! nm '$root/build/hello/ceres.elf' | grep -qE '$net_syms'"
check "net: udpecho carries the driver and the stack" \
	bash -c "nm '$root/build/udpecho/ceres.elf' | grep -qE ' (pci_init|virtio_net_init|net_init|udp_input)$'"

# Prerequisites: a missing one fails the whole file, loudly.
missing=()
[ "$(id -u)" = 0 ] || missing+=("root (network namespaces and taps)")
for c in ip socat ping; do command -v "$c" >/dev/null || missing+=("$c"); done
/usr/bin/python3 -c 'import scapy' 2>/dev/null || missing+=("python3-scapy for /usr/bin/python3")
if [ "$guest" = linux ]; then
	[ -f "$linux_dir/net.cpio.gz" ] || missing+=("$linux_dir/net.cpio.gz (bench/linux-guest.sh build/bench/linux 1)")
else
	[ -f "$root/build/udpecho/ceres" ] || missing+=("build/udpecho/ceres (make APP=udpecho)")
fi
if [ ${#missing[@]} -gt 0 ]; then
	fail "net: prerequisites: missing ${missing[*]} (tools/deps.sh test installs the packages)"
	exit 0
fi
if ! new_netns "$ns"; then
	fail "net: could not make the network namespace $ns"
	exit 0
fi

# start NAME WHERE ARGS APPEND [run.sh options...]: boots udpecho with the
# application arguments ARGS and kernel parameters APPEND, in the background,
# in the namespace (WHERE=ns, --net tap) or here (WHERE=host, for --net user).
# Sets $runner (run.sh's pid).
start() {
	local name=$1 where=$2 args=$3 params=$4 pidfile prefix=()
	shift 4
	new_boot "$name"
	rm -f "$out/$name.stderr"
	[ "$where" = ns ] && prefix=(ip netns exec "$ns")
	if [ "$guest" = linux ]; then
		set -- --kernel "$linux_dir/vmlinuz" --initrd "$linux_dir/net.cpio.gz" --no-exit-device \
			-m 256 --append "console=ttyS0 quiet panic=-1 $params -- $args" "$@"
	else
		set -- --append "$params -- $args" "$@" udpecho
	fi
	"${prefix[@]}" "$root/run.sh" --no-build --serial "$out/$name.serial" --pidfile "$pidfile" \
		--timeout "$NET_TIMEOUT" "$@" >"$out/$name.stdout" 2>"$out/$name.stderr" </dev/null &
	runner=$!
	runners+=("$runner")
}

# wait_ready NAME: until udpecho says it listens (and, with a second
# argument, the console shows that regex too), the guest ends, or the time
# is up. One check.
wait_ready() {
	local name=$1 also=${2:-} deadline=$((SECONDS + READY_TIMEOUT))
	while [ $SECONDS -lt $deadline ]; do
		if serial_has "$name" '^udpecho: listening on port' &&
			{ [ -z "$also" ] || serial_has "$name" "$also"; }; then
			pass "$name: the guest is up${also:+ (/$also/)} and udpecho listens"
			return 0
		fi
		kill -0 "$runner" 2>/dev/null || break
		sleep 0.2
	done
	fail "$name: udpecho did not come up${also:+ with /$also/} within ${READY_TIMEOUT}s"
	tr -d '\r' 2>/dev/null <"$out/$name.serial" | sed 's/^/    # /' | tail -8
	sed 's/^/    # /' "$out/$name.stderr" | tail -3
	return 1
}

# echo_check NAME HOST PORT WHERE: three lines and a 1400-byte datagram, one
# datagram each, through one socat; what comes back must be what went out,
# byte for byte. 4 datagrams.
echo_check() {
	local name=$1 host=$2 port=$3 where=$4 sent=$out/$1.echo-sent got=$out/$1.echo-got
	local prefix=()
	[ "$where" = ns ] && prefix=(ip netns exec "$ns")
	{
		printf 'hello, %s\n' "$name"
		printf 'line two \t with a tab\n'
		printf '\x01\x02 binary \xff\xfe end\n'
		head -c 1050 /dev/urandom | base64 -w 0
	} >"$sent"
	{
		head -n 1 "$sent"
		sleep 0.3
		sed -n 2p "$sent"
		sleep 0.3
		sed -n 3p "$sent"
		sleep 0.3
		tail -n +4 "$sent"
	} | timeout 30 "${prefix[@]}" socat -t 3 - "UDP:$host:$port" >"$got" 2>"$out/$name.socat"
	if cmp -s "$sent" "$got"; then
		pass "$name: udpecho echoes 4 datagrams byte for byte ($(wc -c <"$sent") bytes)"
	else
		fail "$name: the echo differs from what was sent ($(wc -c <"$got") of $(wc -c <"$sent") bytes back)"
		cmp "$sent" "$got" 2>&1 | sed 's/^/    # /' | head -3
	fi
}

# ping_check NAME COUNT: the host pings the guest COUNT times, none lost.
ping_check() {
	local name=$1 count=$2 log=$out/$1.ping
	inns ping -c "$count" -i 0.01 -W 2 -q "$guest_ip" >"$log" 2>&1
	if grep -q "$count packets transmitted, $count received" "$log"; then
		pass "$name: $count pings, 0% loss ($(grep -o 'rtt [^ ]* = [^ ]*' "$log" | cut -d' ' -f4) ms)"
	else
		fail "$name: ping lost replies: $(grep -E 'transmitted|rtt' "$log" | tr '\n' ' ')"
	fi
}

arp_check() {
	if inns ip neigh show "$guest_ip" dev "$tap" | grep -qi "lladdr $guest_mac"; then
		pass "$1: the guest's MAC $guest_mac is in the host's ARP table"
	else
		fail "$1: the guest's MAC is not in the host's ARP table: $(inns ip neigh show | tr '\n' ' ')"
	fi
}

# ended NAME COUNT: the guest ended by itself, status 0, after COUNT echoes.
ended() {
	expect_status "$1" 0
	expect_serial "$1" "^udpecho: echoed $2 datagrams" "udpecho counted exactly $2 datagrams and exited"
	[ "$guest" = ceres ] && expect_no_serial "$1" '\] [C]: ' "no crash report"
}

seed_params="netdev.ipv4_addr=$guest_ip netdev.ipv4_gw_addr=172.44.0.1 netdev.ipv4_subnet_mask=255.255.255.0"
linux_params="guest.ip=$guest_ip/24 guest.gw=172.44.0.1"
static_params() { if [ "$guest" = linux ]; then echo "$linux_params"; else echo "$seed_params"; fi; }

# tap_echo NAME MODE PINGS [run.sh options...]: a tap boot with the seed's
# parameters: pings, ARP, echo, clean end.
tap_echo() {
	local name=$1 mode=$2 pings=$3
	shift 3
	start "$name" ns "-p 7 -m $mode -n 8" "$(static_params)" --net tap "$@"
	if wait_ready "$name"; then
		expect_serial "$name" "^udpecho: listening on port 7 \($mode\)" "udpecho waits with $mode"
		[ "$guest" = ceres ] && expect_serial "$name" "net: $guest_ip/24 via 172.44.0.1 \(static\)" \
			"the static address is configured"
		ping_check "$name" "$pings"
		arp_check "$name"
		echo_check "$name" "$guest_ip" 7 ns
		echo_check "$name-2" "$guest_ip" 7 ns
	fi
	finish "$name"
	ended "$name" 8
}

# 1. User networking: DHCP, and a forwarded port on 127.0.0.1.
if [ "$guest" = ceres ]; then
	port=$(free_port)
	start net-user host "-p 7 -n 4" "" --net user --fwd "udp:$port:7"
	if wait_ready net-user '10\.0\.2\.15'; then
		expect_serial net-user 'net: 10\.0\.2\.15/24 via 10\.0\.2\.2 \(dhcp\)' "DHCP gives 10.0.2.15 via 10.0.2.2"
		echo_check net-user 127.0.0.1 "$port" host
	fi
	finish net-user
	ended net-user 4
fi

# 2. A tap: the seed's parameters, epoll then poll, then netdev.ip=.
tap_echo net-tap-epoll epoll 100
tap_echo net-tap-poll poll 30
if [ "$guest" = ceres ]; then
	start net-ip-form ns "-p 7 -n 4" "netdev.ip=$guest_ip/24:172.44.0.1" --net tap
	if wait_ready net-ip-form; then
		expect_serial net-ip-form "net: $guest_ip/24 via 172.44.0.1 \(static\)" "netdev.ip=ADDR/PREFIX:GW configures it"
		ping_check net-ip-form 10
		echo_check net-ip-form "$guest_ip" 7 ns
	fi
	finish net-ip-form
	ended net-ip-form 4
fi

# 3. The virtio-net transports: modern only, legacy only (the default,
# transitional, is above).
for t in modern legacy; do
	tap_echo "net-$t" epoll 10 --nic-transport "$t"
	[ "$guest" = ceres ] && expect_serial "net-$t" "virtio-net[0-9]*: .*, $t transport" "the driver uses the $t transport"
done

# 4. Malformed frames: the stack drops them, counts them, and goes on.
start net-malformed ns "-p 7 -n 8" "$(static_params)" --net tap
if wait_ready net-malformed; then
	ping_check net-malformed 10
	inns /usr/bin/python3 "$root/tests/net/malformed.py" "$tap" "$guest_ip" "$guest_mac" \
		--port "$malformed_port" --each 20 >"$out/net-malformed.scapy" 2>&1
	check "net-malformed: scapy sent the burst ($(tail -1 "$out/net-malformed.scapy"))" \
		grep -qE '^malformed: [0-9]+ frames sent' "$out/net-malformed.scapy"
	ping_check net-malformed-after 50
	echo_check net-malformed "$guest_ip" 7 ns
	echo_check net-malformed-2 "$guest_ip" 7 ns
fi
finish net-malformed
ended net-malformed 8
if [ "$guest" = ceres ]; then
	for c in "${drop_counters[@]}"; do
		expect_serial net-malformed "I: ($c): [1-9][0-9]*$" "the exit report counts /$c/"
	done
	expect_no_serial net-malformed '\] E: ' "no error lines"
fi

# 5. A bad parameter value: named, and the guest goes on (with DHCP).
if [ "$guest" = ceres ]; then
	port=$(free_port)
	start net-bad-param host "-p 7 -n 4" "netdev.ipv4_addr=300.1.2.3" --net user --fwd "udp:$port:7"
	if wait_ready net-bad-param '10\.0\.2\.15'; then
		expect_serial net-bad-param 'E: net: netdev\.ipv4_addr=300\.1\.2\.3 is no IPv4 address' \
			"the bad value is named with its parameter"
		echo_check net-bad-param 127.0.0.1 "$port" host
	fi
	finish net-bad-param
	ended net-bad-param 4
fi

# 6. The driver alone (tests/ktests/netdev): an ARP round trip and a burst
# to user networking's gateway, over each transport and without MSI-X.
if [ "$guest" = ceres ]; then
	for variant in default modern legacy polling; do
		opts=(--nic-transport "$variant")
		[ "$variant" = polling ] && opts=(--nic-opts vectors=0)
		boot "netdev-$variant" netdev --net user "${opts[@]}"
		expect_status "netdev-$variant" 0
		expect_serial "netdev-$variant" '^ok - ' "the driver's checks ran"
		expect_no_serial "netdev-$variant" '^not ok - ' "none of them failed"
	done
	expect_serial netdev-polling 'no MSI-X' "without MSI-X the driver says it polls"
fi

# run.sh made each tap and removed it; the namespace goes in the trap.
check "net: no tap left in the namespace" bash -c "! ip netns exec $ns ip link show $tap >/dev/null 2>&1"
