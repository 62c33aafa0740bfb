#!/usr/bin/env bash
# TCP sockets (docs/tcp.md, docs/net.md).
#   - tests/apps/tcpsock: the socket calls over 127.0.0.1 inside one program,
#     natively and in Ceres, outputs compared line for line;
#   - apps/tcpecho in the guest on a tap in a network namespace this test
#     makes (host 172.44.0.1/24, guest 172.44.0.2), with real clients from
#     the namespace: lines through nc and socat, 256 MiB each way with the
#     sha256 compared, 50 concurrent clients, and an active open from the
#     guest to a socat listener in the namespace. The guest ends by itself
#     (tcpecho -n COUNT) and its exit report is checked.
# No traffic leaves loopback or the namespace.
source "$(dirname "$0")/../lib.sh"

READY_TIMEOUT=${READY_TIMEOUT:-120}
BULK_MIB=${BULK_MIB:-256}
CLIENTS=${CLIENTS:-50}
SEQUENTIAL=${SEQUENTIAL:-200}
ns=cerestcp$$
guest_ip=172.44.0.2
host_ip=172.44.0.1
port=7
active_port=7100

guest_output() {
	grep -vE '^\[ *[0-9]+\.[0-9]+\] [CEWID]: ' "$out/$1.serial"
}

# 1. The socket calls against Linux.
if [ -x "$root/build/tcpsock/tcpsock.linux" ] && [ -f "$root/build/tcpsock/ceres" ]; then
	boot tcpsock tcpsock
	expect_status tcpsock 0
	"$root/build/tcpsock/tcpsock.linux" </dev/null >"$out/tcpsock.native" 2>&1
	if guest_output tcpsock | diff -u "$out/tcpsock.native" - >"$out/tcpsock.diff"; then
		pass "tcpsock: $(wc -l <"$out/tcpsock.native") lines agree with the native run"
	else
		fail "tcpsock: the guest's output differs from the native run's"
		sed 's/^/    # /' "$out/tcpsock.diff" | head -20
	fi
	check "tcpsock: the native run got to its end" grep -q '^tcpsock: done' "$out/tcpsock.native"
	expect_serial tcpsock 'I: tcp: segments sent: [1-9]' "the exit report counts TCP segments"
else
	fail "tcpsock: prerequisites: make APP=tcpsock and make APP=tcpsock linux"
fi

# 2. Real clients on a tap.
missing=()
[ "$(id -u)" = 0 ] || missing+=("root (network namespaces and taps)")
for c in ip socat nc sha256sum; do command -v "$c" >/dev/null || missing+=("$c"); done
[ -f "$root/build/tcpecho/ceres" ] || missing+=("build/tcpecho/ceres (make APP=tcpecho)")
if [ ${#missing[@]} -gt 0 ]; then
	fail "tcp: prerequisites: missing ${missing[*]}"
	exit 0
fi
if ! new_netns "$ns"; then
	fail "tcp: could not make the network namespace $ns"
	exit 0
fi
# The active open's peer: it answers one line and closes. It listens on any
# address of the namespace (the tap and its address come with run.sh), and
# before the guest boots (tcpecho connects first).
ip netns exec "$ns" socat -T 60 "TCP-LISTEN:$active_port,reuseaddr" SYSTEM:'read l; echo "peer got: $l"' \
	>"$out/tcp-active.peer" 2>&1 &
helpers+=($!)

# Connections the guest serves before it ends: 3 line checks, 2 bulk, the
# concurrent clients, the sequential ones.
conns=$((3 + 2 + CLIENTS + SEQUENTIAL))
name=tcp-echo
new_boot $name
inns "$root/run.sh" --no-build --serial "$out/$name.serial" --pidfile "$pidfile" --timeout 600 \
	--net tap --append "netdev.ip=$guest_ip/24:$host_ip -- -p $port -n $conns -c $host_ip:$active_port" \
	tcpecho >"$out/$name.stdout" 2>"$out/$name.stderr" </dev/null &
runner=$!
runners+=("$runner")

ready=0
deadline=$((SECONDS + READY_TIMEOUT))
while [ $SECONDS -lt $deadline ]; do
	if tr -d '\r' 2>/dev/null <"$out/$name.serial" | grep -q '^tcpecho: listening on port'; then
		ready=1
		break
	fi
	kill -0 "$runner" 2>/dev/null || break
	sleep 0.2
done
if [ $ready = 0 ]; then
	fail "$name: tcpecho did not come up within ${READY_TIMEOUT}s"
	tr -d '\r' 2>/dev/null <"$out/$name.serial" | sed 's/^/    # /' | tail -8
	exit 0
fi
pass "$name: the guest is up and tcpecho listens"

# Lines through nc (one connection) and socat (two).
printf 'hello, tcp\nline two\n' >"$out/$name.lines"
if timeout 20 ip netns exec "$ns" nc -N -w 5 "$guest_ip" $port <"$out/$name.lines" >"$out/$name.nc" 2>&1 &&
	cmp -s "$out/$name.lines" "$out/$name.nc"; then
	pass "$name: nc gets its lines back"
else
	fail "$name: nc got '$(head -c 80 "$out/$name.nc")'"
fi
for i in 1 2; do
	got=$(printf 'socat line %s\n' "$i" | timeout 20 ip netns exec "$ns" socat -t 5 - "TCP:$guest_ip:$port" 2>&1)
	if [ "$got" = "socat line $i" ]; then
		pass "$name: socat session $i echoes its line"
	else
		fail "$name: socat session $i got '$got'"
	fi
done

# Bulk: BULK_MIB MiB through one connection, both ways at once (tcpecho
# sends back as it reads; socat shuts its sending side at the file's end and
# waits for the guest's FIN), twice.
head -c $((BULK_MIB << 20)) /dev/urandom >"$out/$name.bulk"
want=$(sha256sum <"$out/$name.bulk" | cut -d' ' -f1)
for i in 1 2; do
	start=$EPOCHREALTIME
	got=$(timeout 300 ip netns exec "$ns" socat -t 60 - "TCP:$guest_ip:$port" <"$out/$name.bulk" 2>"$out/$name.bulk.err" |
		sha256sum | cut -d' ' -f1)
	end=$EPOCHREALTIME
	rate=$(awk -v b="$BULK_MIB" -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", b / (e - s) }')
	if [ "$got" = "$want" ]; then
		pass "$name: $BULK_MIB MiB echoed, sha256 matches (${rate} MiB/s each way)"
	else
		fail "$name: bulk transfer $i: sha256 '$got', want '$want'"
		sed 's/^/    # /' "$out/$name.bulk.err" | head -3
	fi
done

# CLIENTS clients at once, each with 20 lines of its own.
pids=()
for i in $(seq "$CLIENTS"); do
	for j in $(seq 20); do printf 'client %d line %d\n' "$i" "$j"; done >"$out/$name.c$i.sent"
	(sleep 0.5; cat "$out/$name.c$i.sent") |
		timeout 120 ip netns exec "$ns" socat -t 30 - "TCP:$guest_ip:$port" >"$out/$name.c$i.got" 2>&1 &
	pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
good=0
for i in $(seq "$CLIENTS"); do cmp -s "$out/$name.c$i.sent" "$out/$name.c$i.got" && good=$((good + 1)); done
if [ $good = "$CLIENTS" ]; then
	pass "$name: $CLIENTS concurrent clients each got their 20 lines back"
else
	fail "$name: only $good of $CLIENTS concurrent clients got their lines back"
fi

# SEQUENTIAL connections one after the other, a line each: none may fail, and
# none may leave memory behind (the exit report's block count, below).
good=0
for i in $(seq "$SEQUENTIAL"); do
	got=$(printf 'seq %d\n' "$i" | timeout 10 ip netns exec "$ns" nc -N -w 5 "$guest_ip" $port 2>&1)
	[ "$got" = "seq $i" ] && good=$((good + 1))
done
if [ $good = "$SEQUENTIAL" ]; then
	pass "$name: $SEQUENTIAL sequential connections each echo their line"
else
	fail "$name: only $good of $SEQUENTIAL sequential connections echoed their line"
fi

# The guest ends once every connection closed; then its report.
deadline=$((SECONDS + 60))
while kill -0 "$runner" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
if kill -0 "$runner" 2>/dev/null; then
	echo "    # $name: the guest did not end; killing it"
	[ -s "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null
fi
wait "$runner"
status=$?
touch "$out/$name.serial"
sed -i 's/\r$//' "$out/$name.serial"
expect_status $name 0
expect_serial $name "^tcpecho: active open to $host_ip:$active_port got 'peer got: hello from tcpecho'" \
	"an active open from the guest reaches socat in the namespace"
expect_serial $name "^tcpecho: $conns connections, [0-9]+ bytes echoed" "tcpecho served all $conns connections"
expect_serial $name 'I: tcp: segments received: [1-9]' "the exit report counts TCP segments"
# What may be left: the listener, the active open in TIME_WAIT (the guest
# closed first) and the last connection in LAST_ACK; a leak would leave one
# per connection.
expect_serial $name 'I: tcp: [1-3] control blocks' "after $conns connections at most 3 TCP blocks are left"
expect_no_serial $name '\] [C]: ' "no crash report"
