#!/usr/bin/env bash
# TCP against errors, leaks, hostile peers and a bad link (docs/tcp.md).
# The guest is at 172.44.0.2 on a tap, the host at 172.44.0.1/24 in a
# network namespace this test makes; tests/integration/tcp.sh has the plain
# cases (echo, bulk, 50 clients, the active open).
#   1. Errors, each a boot of bench/apps/tcpbench as a client in the guest:
#      a connect to a closed port (ECONNREFUSED), a peer that resets the
#      connection while sending (ECONNRESET), a peer that goes silent while
#      keepalive runs, 1 s idle, 1 s interval, 3 probes (ETIMEDOUT), and a
#      connect to an address nobody answers for (ETIMEDOUT once the SYN's
#      retries are spent, 127 s, or EHOSTUNREACH, as Linux says), which
#      runs beside the rest.
#   2. Leaks: LEAK_CONNS sequential connections (connect, one request
#      echoed, close) from the host, against tcpbench -s -n, once with a
#      tenth of them: the RAM in use in the two exit reports differs by at
#      most LEAK_SLACK_KIB.
#   3. Hostile peers (tests/net/tcp_hostile.py, scapy on the tap): a flood
#      of FLOOD_SYNS SYNs from addresses nobody answers for, then a normal
#      client; then segments with bad checksums, bad data offsets, sequence
#      numbers outside the window, RSTs with inexact in-window sequence
#      numbers and a SYN, on an established connection that must survive
#      them, and the exit report's counters for each.
#   4. A bad link: IMPAIR_MIB MiB through apps/tcpecho, both ways at once,
#      with 5% loss, 25% reordering and 5 ms delay on every IPv4 frame in
#      both directions, the sha256 compared; tshark on the host's side sees
#      SACK blocks and retransmissions from both ends. This kernel has no
#      netem, so the link is tests/net/tcp_hostile.py's relay: the guest's
#      tap lives in a second namespace with ARP off, and the relay moves
#      frames between it and a tap of its own in the host's namespace. The
#      relay sees the frames as the guest's NIC hands them over, so the NIC
#      goes without checksum offload (csum=off) for this part.
# Every QEMU, peer, relay and tshark started here is killed by its process
# id on every exit path (each is started as "ip netns exec ... &", which
# execs it, so $! is its own id), and the namespaces go with them.
source "$(dirname "$0")/../lib.sh"

READY_TIMEOUT=${READY_TIMEOUT:-60}
SYN_WAIT=${SYN_WAIT:-150} # a SYN nobody answers: Ceres gives up after 127 s
LEAK_CONNS=${LEAK_CONNS:-10000}
LEAK_SLACK_KIB=${LEAK_SLACK_KIB:-256}
FLOOD_SYNS=${FLOOD_SYNS:-5000}
IMPAIR_MIB=${IMPAIR_MIB:-16} # about a minute at the 0.25 MiB/s each way measured here under TCG
# A guest's time, at most: 5 minutes, and for the lossy link 15 s per MiB
# more, four times what it takes here.
GUEST_TIMEOUT=300
IMPAIR_TIMEOUT=$((60 + 15 * IMPAIR_MIB))
SECTIONS=${SECTIONS:-errors leaks hostile impair} # a subset, when working on one
ns=cerestcph$$
nsq=cerestcpq$$ # the guest's tap, behind the relay
nss=cerestcps$$ # the connect to nobody, beside the rest
syn_runner="" syn_t0=0
guest_ip=172.44.0.2
guest_mac=52:54:00:12:34:56 # QEMU's default; run.sh passes no mac=
host_ip=172.44.0.1
tap=ceres0
hostile=$root/tests/net/tcp_hostile.py
client=$out/tcpbench-host


missing=()
[ "$(id -u)" = 0 ] || missing+=("root (network namespaces and taps)")
for c in ip socat tshark sha256sum gcc; do command -v "$c" >/dev/null || missing+=("$c"); done
/usr/bin/python3 -c 'import scapy' 2>/dev/null || missing+=("python3-scapy for /usr/bin/python3")
for a in tcpbench tcpecho; do [ -f "$root/build/$a/ceres" ] || missing+=("build/$a/ceres (make APP=$a)"); done
if [ ${#missing[@]} -gt 0 ]; then
	fail "tcp-hostile: prerequisites: missing ${missing[*]}"
	exit 0
fi
if ! gcc -O2 -Wall -o "$client" "$root/bench/apps/tcpbench/main.c"; then
	fail "tcp-hostile: building tcpbench for the host failed"
	exit 0
fi
if ! new_netns "$ns"; then
	fail "tcp-hostile: could not make the network namespace $ns"
	exit 0
fi
# start NAME NS APP ARGS [run.sh options...]: boots APP with the application
# arguments ARGS on a tap in namespace NS, in the background. Sets $runner.
start() {
	local name=$1 where=$2 app=$3 args=$4
	shift 4
	new_boot "$name"
	ip netns exec "$where" "$root/run.sh" --no-build --serial "$out/$name.serial" --pidfile "$pidfile" \
		--timeout "$GUEST_TIMEOUT" --net tap "$@" --append "netdev.ip=$guest_ip/24:$host_ip -- $args" "$app" \
		>"$out/$name.stdout" 2>"$out/$name.stderr" </dev/null &
	runner=$!
	runners+=("$runner")
}

# wait_serial NAME REGEX SECONDS: until the console shows REGEX; 1 if the
# guest ended or the time ran out first.
wait_serial() {
	local deadline=$((SECONDS + $3))
	while [ $SECONDS -lt $deadline ]; do
		serial_has "$1" "$2" && return 0
		kill -0 "$runner" 2>/dev/null || { serial_has "$1" "$2"; return; }
		sleep 0.1
	done
	return 1
}

# ready NAME REGEX: wait_serial with READY_TIMEOUT, as a check.
ready() {
	if wait_serial "$1" "$2" "$READY_TIMEOUT"; then
		pass "$1: the guest is up (/$2/)"
	else
		fail "$1: the guest did not show /$2/ within ${READY_TIMEOUT}s"
		tr -d '\r' 2>/dev/null <"$out/$1.serial" | sed 's/^/    # /' | tail -6
		return 1
	fi
}

# listening PORT: waits (at most 10 s) until a peer in the namespace listens on PORT.
listening() {
	for _ in $(seq 100); do
		inns ss -Hltn "( sport = :$1 )" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# ram NAME: the exit report's RAM in use, in KiB.
ram() {
	sed -n 's/.*shutdown: RAM in use \([0-9]*\) KiB.*/\1/p' "$out/$1.serial"
}

on() { [[ " $SECTIONS " == *" $1 "* ]]; }

# 1. Errors.
if on errors; then
	# A connect to 172.44.0.9, which nobody answers ARP for: its SYN goes
	# unanswered, 7 times in 127 s (Linux gives up after about 3 s with
	# EHOSTUNREACH, when its ARP does). It runs in a namespace of its own,
	# beside the rest, and is looked at at the end.
	if new_netns "$nss"; then
		start tcp-nohost "$nss" tcpbench "-c 172.44.0.9:7 recv -d 0"
		syn_runner=$runner syn_t0=$SECONDS
	else
		fail "tcp-nohost: could not make the namespace $nss"
	fi
	start tcp-refused "$ns" tcpbench "-c $host_ip:9 recv -d 0"
	finish tcp-refused 60
	expect_serial tcp-refused '^tcpbench: connect: ECONNREFUSED$' "a connect to a closed port is ECONNREFUSED"

	# The resetting peer: accepts, waits for the client's first byte (so that
	# the guest is reading), sends 256 KiB, and closes with SO_LINGER 0.
	ip netns exec "$ns" /usr/bin/python3 -c '
import socket, struct
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7201)); s.listen(1); s.settimeout(60)
c, _ = s.accept()
c.recv(1)
c.sendall(b"x" * 262144)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()' >"$out/tcp-reset.peer" 2>&1 &
	peer=$!
	helpers+=($peer)
	listening 7201 || fail "tcp-reset: the resetting peer does not listen ($(cat "$out/tcp-reset.peer"))"
	start tcp-reset "$ns" tcpbench "-c $host_ip:7201 recv -d 0"
	finish tcp-reset 60
	kill "$peer" 2>/dev/null
	wait "$peer" 2>/dev/null
	expect_serial tcp-reset '^tcpbench: read: ECONNRESET$' "a reset in the middle of a transfer is ECONNRESET"

	# The silent peer: says hello, then its address goes, so that nothing the
	# guest sends is answered (and nothing is refused either).
	ip netns exec "$ns" /usr/bin/python3 -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7202)); s.listen(1); s.settimeout(60)
c, _ = s.accept()
c.sendall(b"hello\n")
time.sleep(60)' >"$out/tcp-timeout.peer" 2>&1 &
	peer=$!
	helpers+=($peer)
	listening 7202 || fail "tcp-timeout: the silent peer does not listen ($(cat "$out/tcp-timeout.peer"))"
	start tcp-timeout "$ns" tcpbench "-c $host_ip:7202 recv -d 0 -k"
	for _ in $(seq 300); do
		inns ss -Htn state established '( sport = :7202 )' | grep -q . && break
		sleep 0.1
	done
	sleep 0.5
	inns ip addr flush dev $tap
	t0=$SECONDS
	finish tcp-timeout 60
	kill "$peer" 2>/dev/null
	wait "$peer" 2>/dev/null
	expect_serial tcp-timeout '^tcpbench: read: ETIMEDOUT$' \
		"keepalive on a silent peer is ETIMEDOUT ($((SECONDS - t0)) s after it went silent)"
fi

# 2. Leaks.
if on leaks; then
	tenth=$((LEAK_CONNS / 10))
	for n in $tenth "$LEAK_CONNS"; do
		name=tcp-leak-$n
		start $name "$ns" tcpbench "-s -p 5001 -n $n"
		if ready $name '^tcpbench: listening'; then
			t0=$EPOCHREALTIME t1=$EPOCHREALTIME
			inns "$client" -c "$guest_ip:5001" crr -n "$n" -r tcp_leak >"$out/$name.client" 2>&1
			t1=$EPOCHREALTIME
		fi
		finish $name 60
		rate=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
		expect_serial $name "^tcpbench: served $n connections" "$n sequential connections served (${rate}/s)"
	done
	small=$(ram "tcp-leak-$tenth") big=$(ram "tcp-leak-$LEAK_CONNS")
	if [ -n "$small" ] && [ -n "$big" ] && [ $((big - small)) -le "$LEAK_SLACK_KIB" ]; then
		pass "tcp-leak: RAM in use after $tenth connections ${small} KiB, after $LEAK_CONNS ${big} KiB (at most +$LEAK_SLACK_KIB)"
	else
		fail "tcp-leak: RAM in use after $tenth connections '${small}' KiB, after $LEAK_CONNS '${big}' KiB"
	fi

fi

# 3. Hostile peers: the flood, a client, the attacks on a connection (two
# connections in all: tcpecho -n 2).
if on hostile; then
	name=tcp-hostile
	start $name "$ns" tcpecho "-p 7 -n 2"
	if ready $name '^tcpecho: listening'; then
		inns /usr/bin/python3 "$hostile" flood $tap $guest_ip $guest_mac --port 7 --count "$FLOOD_SYNS" \
			>"$out/$name.flood" 2>&1
		check "$name: $(tail -1 "$out/$name.flood")" grep -q "^flood: $FLOOD_SYNS SYNs sent" "$out/$name.flood"
		got=$(echo "after the flood" | timeout 30 ip netns exec "$ns" socat -t 5 - "TCP:$guest_ip:7" 2>&1)
		if [ "$got" = "after the flood" ]; then
			pass "$name: a client is served right after the flood"
		else
			fail "$name: after the flood a client got '$got'"
		fi
		inns /usr/bin/python3 "$hostile" attack $tap $guest_ip $guest_mac --port 7 >"$out/$name.attack" 2>&1
		rc=$?
		sed 's/^/    # /' "$out/$name.attack"
		check "$name: the connection survives the attacks and its data flows" [ $rc = 0 ]
	fi
	finish $name 60
	expect_status $name 0
	for c in 'half-open connections' 'half-open connections evicted \(queue full\)' 'dropped, bad checksum' \
		'dropped, bad data offset' 'dropped, outside the window' 'challenge ACKs sent \(RFC 5961\)'; do
		expect_serial $name "I: tcp: $c: [1-9][0-9]*$" "the exit report counts /$c/"
	done
	expect_no_serial $name 'I: tcp: resets acted on' "no guessed RST was acted on"
	expect_no_serial $name '\] [C]: ' "no crash report"

fi

# 4. A bad link: the guest's tap in $nsq, the relay, its tap in $ns.
if on impair && ! new_netns "$nsq"; then
	fail "tcp-impair: could not make the namespace $nsq"
elif on impair; then
	inq() { ip netns exec "$nsq" "$@"; }
	inq sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	inns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	inq ip tuntap add dev $tap mode tap &&
		inq ip addr add $host_ip/24 dev $tap && inq ip link set $tap arp off up
	ip netns exec "$nsq" /usr/bin/python3 "$hostile" relay $tap hside --loss 5 --reorder 25 --delay 5 >"$out/tcp-impair.relay" 2>&1 &
	relay=$!
	helpers+=($relay)
	for _ in $(seq 50); do inq ip link show hside >/dev/null 2>&1 && break; sleep 0.1; done
	ip -n "$nsq" link set hside netns "$ns" && inns ip addr add $host_ip/24 dev hside && inns ip link set hside up
	ip netns exec "$ns" tshark -i hside -s 128 -w "$out/tcp-impair.pcap" -q >"$out/tcp-impair.tshark" 2>&1 &
	tshark=$!
	helpers+=($tshark)
	for _ in $(seq 100); do [ -s "$out/tcp-impair.pcap" ] && break; sleep 0.1; done
	name=tcp-impair
	# retrans_segs: the segments the host's TCP has resent, in its namespace.
	retrans_segs() {
		inns awk '/^Tcp:/ { if (!n++) for (i = 1; i <= NF; i++) col[$i] = i; else print $col["RetransSegs"] }' /proc/net/snmp
	}
	# Two connections: the bulk, then a line that ends the guest (the guest
	# must not end while the bulk's tail is still in flight).
	GUEST_TIMEOUT=$((GUEST_TIMEOUT + IMPAIR_TIMEOUT))
	start $name "$nsq" tcpecho "-p 7 -n 2" --nic-opts csum=off
	if ready $name '^tcpecho: listening'; then
		head -c $((IMPAIR_MIB << 20)) /dev/urandom >"$out/$name.bulk"
		want=$(sha256sum <"$out/$name.bulk" | cut -d' ' -f1)
		h_rx0=$(retrans_segs)
		t0=$EPOCHREALTIME
		timeout $IMPAIR_TIMEOUT ip netns exec "$ns" socat -t 120 - "TCP:$guest_ip:7" \
			<"$out/$name.bulk" >"$out/$name.got" \
			2>"$out/$name.err"
		got=$(sha256sum <"$out/$name.got" | cut -d' ' -f1)
		t1=$EPOCHREALTIME
		rate=$(awk -v b="$IMPAIR_MIB" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.2f", b / (e - s) }')
		if [ "$got" = "$want" ]; then
			pass "$name: $IMPAIR_MIB MiB each way through a lossy link, sha256 matches (${rate} MiB/s)"
		else
			fail "$name: sha256 '$got', want '$want' ($(wc -c <"$out/$name.got") bytes back)"
			sed 's/^/    # /' "$out/$name.err" | head -3
		fi
		got=$(echo "the last line" | timeout 60 ip netns exec "$ns" socat -t 30 - "TCP:$guest_ip:7" 2>&1)
		check "$name: a line through the lossy link comes back ('$got')" [ "$got" = "the last line" ]
		h_rx=$(($(retrans_segs) - h_rx0))
	fi
	finish $name 60
	kill "$relay" "$tshark" 2>/dev/null
	wait "$relay" "$tshark" 2>/dev/null
	sed 's/^/    # /' "$out/$name.relay"
	expect_status $name 0
	check "$name: the relay dropped frames both ways" \
		bash -c "grep -qE 'to-host: [0-9]+ IPv4 frames passed, [1-9]' '$out/$name.relay' &&
			grep -qE 'to-guest: [0-9]+ IPv4 frames passed, [1-9]' '$out/$name.relay'"
	# count FILTER: frames in the capture that match the display filter.
	count() { tshark -r "$out/$name.pcap" -Y "$1" 2>/dev/null | wc -l; }
	for who in "guest ip.src==$guest_ip" "host ip.src==$host_ip"; do
		set -- $who
		sacks=$(count "$2 && tcp.options.sack_le")
		rexmit=$(count "$2 && tcp.analysis.retransmission")
		check "$name: the $1 sent SACK blocks ($sacks segments)" [ "$sacks" -gt 0 ]
		check "$name: the $1 retransmitted ($rexmit segments)" [ "$rexmit" -gt 0 ]
	done
	# SACK honoured: the guest resends at most twice the data segments the
	# link lost on their way from it. The reordering makes it resend some
	# that were only late; a sender that ignored the SACK blocks would resend
	# whole windows, tens of segments per loss. The relay counts the lost
	# frames that carried data (the share of pure ACKs among the lost changes
	# from run to run), and each side counts what it resent: the capture
	# cannot tell, as the relay's reordering makes late originals look like
	# resends in it. The host's Linux is shown for comparison, not judged.
	lost() { sed -n "s/.*$1: .*, \([0-9]*\) of them with data/\1/p" "$out/$name.relay"; }
	g_lost=$(lost to-host) h_lost=$(lost to-guest)
	g_rx=$(sed -n 's/.* I: tcp: segments retransmitted: \([0-9]*\)$/\1/p' "$out/$name.serial")
	if [ -n "$g_lost" ] && [ "$g_lost" -gt 0 ] && [ -n "$g_rx" ] && [ "$g_rx" -le $((2 * g_lost)) ]; then
		pass "$name: the guest resent $g_rx segments for $g_lost data segments lost (Linux ${h_rx:-?} for ${h_lost:-?})"
	else
		fail "$name: the guest resent '$g_rx' segments for '$g_lost' data segments lost: more than 2x (Linux ${h_rx:-?} for ${h_lost:-?})"
	fi
	expect_serial $name 'I: tcp: recoveries using SACK: [1-9]' "the guest recovered with SACK"
	# D-SACK (RFC 2883): the late originals and needless resends that came
	# twice are reported back, as the capture's analysis sees them.
	dsacks=$(count "ip.src==$guest_ip && tcp.options.sack.dsack_le")
	check "$name: the guest reported duplicates with D-SACK ($dsacks segments)" [ "$dsacks" -gt 0 ]
	expect_no_serial $name '\] [C]: ' "no crash report"
fi

# The connect to nobody (section 1) has had its time by now.
if [ -n "$syn_runner" ]; then
	runner=$syn_runner
	finish tcp-nohost $((SYN_WAIT - (SECONDS - syn_t0)))
	errno=$(sed -n 's/^tcpbench: connect: //p' "$out/tcp-nohost.serial")
	expect_serial tcp-nohost '^tcpbench: connect: (ETIMEDOUT|EHOSTUNREACH)$' \
		"a connect to an address nobody answers for fails: '$errno', $((SECONDS - syn_t0)) s after the boot"
fi
