#!/usr/bin/env bash
# storestrings (apps/storestrings): TCP, epoll and a file made durable, with
# real clients (nc, socat). The same checks run first against the Linux
# build on this host (127.0.0.1, a free port), which proves the test, then
# against Ceres on a 9p root:
#   - a session (nc): two lines, OK with their numbers, LIST with the file's
#     lines and END; a socat session; the host file holds the lines;
#   - an overlong line gets an ERR and the next line is stored; a line cut
#     off by the client's close is not stored; a client that resets its
#     connection with replies unread leaves the server serving; a client
#     that reads nothing for 3 s while its replies (8 LISTs) overflow the
#     socket buffers does not hold up another, and then gets every reply
#     in order;
#   - 50 concurrent clients send 200 lines each: every client gets 200 OKs,
#     the file holds exactly those 10000 lines, and line n of the file is
#     the one acknowledged with OK n;
#   - durability: the server (Linux: the process; Ceres: QEMU) is killed
#     with SIGKILL in the middle of a burst; every acknowledged line is in
#     the file at its number;
#   - a restart on the same file counts its lines and goes on numbering.
# Linux only: a file size limit (ulimit -f) makes writes fail: ERR, and the
# file keeps only what was acknowledged. Ceres: over a tap in a network
# namespace this test makes, with the seed's address parameters, then the
# restart over user networking through a --fwd port on 127.0.0.1.
#
# Note: QEMU writes the 9p files with pwrite, so a SIGKILL of QEMU leaves
# in the host's page cache whatever reached it; the durability check proves
# that no line is acknowledged before it reached the host, not fsync itself.
source "$(dirname "$0")/../lib.sh"

SS_TIMEOUT=${SS_TIMEOUT:-240} # one Ceres boot, at most
READY_TIMEOUT=${READY_TIMEOUT:-60}
native=$root/build/storestrings/storestrings.linux
image=$root/build/storestrings/ceres
ns=sstest$$
guest_ip=172.44.0.2
seed_params="netdev.ipv4_addr=$guest_ip netdev.ipv4_gw_addr=172.44.0.1 netdev.ipv4_subnet_mask=255.255.255.0"
new_tmp storestrings-test


# The target of the client functions: name (for messages and files), host,
# port, the host file, and a command prefix (ip netns exec ...) or none.
name="" host="" port="" file="" via=()

target() {
	name=$1 host=$2 port=$3 file=$4
	shift 4
	via=("$@")
}

# talk: stdin to the server through nc, its replies on stdout; nc ends when
# the server closes after the replies.
talk() {
	timeout 60 "${via[@]}" nc -N -w 20 "$host" "$port"
}

lines_in() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

# session: two lines and LIST, through nc; then one line through socat.
session() {
	local before got want
	before=$(lines_in "$file")
	got=$(printf 'first line of %s\nsecond, with CR LF\r\nLIST\n' "$name" | talk)
	want=$(printf 'OK %d\nOK %d\n' $((before + 1)) $((before + 2)); cat "$file"; echo "END $((before + 2))")
	if [ "$got" = "$want" ]; then
		pass "$name: nc session: OK $((before + 1)), OK $((before + 2)), LIST gives the file's $((before + 2)) lines and END"
	else
		fail "$name: nc session replies differ from the file"
		diff <(echo "$want") <(echo "$got") | head -8 | sed 's/^/    # /'
	fi
	check "$name: the host file ends with the two lines" \
		has_lines "$file" "first line of $name" "second, with CR LF"
	got=$(printf 'via socat\n' | timeout 60 "${via[@]}" socat -t 20 - "TCP:$host:$port")
	check "$name: socat session: OK $((before + 3)) and the line is in the file" \
		bash -c '[ "$1" = "OK $2" ] && [ "$(tail -n 1 "$3")" = "via socat" ]' _ "$got" $((before + 3)) "$file"
}

# edges: an overlong line, a line cut off by close, a reset with replies
# unread, a slow reader, a client gone in the middle of a LIST.
edges() {
	local before got
	before=$(lines_in "$file")
	got=$({ head -c 5000 /dev/zero | tr '\0' x; printf '\nshort after long\n'; } | talk)
	check "$name: a 5000-byte line gets ERR, the next line OK $((before + 1))" \
		[ "$got" = "$(printf 'ERR line too long (over 4096 bytes)\nOK %d' $((before + 1)))" ]
	got=$(printf 'whole line\ncut off without newline' | talk)
	sleep 0.5
	check "$name: a line ended by the client's close is not stored" \
		bash -c '[ "$1" = "OK $2" ] && [ "$(tail -n 1 "$3")" = "whole line" ]' _ "$got" $((before + 2)) "$file"
	timeout 60 "${via[@]}" python3 -c '
import socket, struct, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.sendall(b"".join(b"reset client line %d\n" % i for i in range(2000)))
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()' "$host" "$port" 2>"$tmp/$name.reset.err"
	got=$(printf 'after the reset\n' | talk)
	check "$name: after a client reset its connection, the server answers ($got)" \
		bash -c '[ "${1%% *}" = OK ] && [ "$(tail -n 1 "$2")" = "after the reset" ]' _ "$got" "$file"
	slow_reader
	# The file holds 20000 lines now: a listing of 500 KiB, cut at 100 bytes.
	timeout 60 "${via[@]}" python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.sendall(b"LIST\n")
s.recv(100)
s.close()' "$host" "$port" 2>"$tmp/$name.midlist.err"
	got=$(printf 'after a listing cut off\n' | talk)
	check "$name: after a client left in the middle of a LIST, the server answers ($got)" \
		bash -c '[ "${1%% *}" = OK ] && [ "$(tail -n 1 "$2")" = "after a listing cut off" ]' _ "$got" "$file"
}

# slow_reader: a client sends 20000 lines, 8 LISTs and 1000 lines, and
# reads nothing for 3 s: the LISTs' replies are more than the sockets'
# buffers hold, so the server must stop reading that client, and serve
# another meanwhile. Then the first gets every reply in order: 20000 OKs
# counting up, 8 listings of the file with their END, 1000 more OKs.
slow_reader() {
	local pid got
	timeout 100 "${via[@]}" python3 -c "$slow_py" "$host" "$port" >"$tmp/$name.slow" 2>&1 &
	pid=$!
	sleep 1
	got=$(printf 'while another waits\n' | talk)
	wait "$pid"
	check "$name: a client that does not read its replies gets them all, in order ($(head -1 "$tmp/$name.slow"))" \
		grep -qE '^ok: 20000 OKs, 8 listings, 1000 OKs from [0-9]+$' "$tmp/$name.slow"
	check "$name: meanwhile another client was served ($got, before the slow one's last 1000 lines)" \
		bash -c '[ "${1%% *}" = OK ] && [ "${1#OK }" -lt "${2##* }" ]' _ "$got" "$(head -1 "$tmp/$name.slow")"
}
slow_py='
import socket, sys, threading, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect((sys.argv[1], int(sys.argv[2])))
data = b"".join(b"slow reader line %d\n" % i for i in range(20000)) + b"LIST\n" * 8
data += b"".join(b"slow reader tail %d\n" % i for i in range(1000))
threading.Thread(target=s.sendall, args=(data,), daemon=True).start()
time.sleep(3)
f = s.makefile("rb")
def fail(why):
    print("bad: " + why)
    sys.exit(1)
def oks(n, after):
    nums = []
    for _ in range(n):
        l = f.readline().split()
        if len(l) != 2 or l[0] != b"OK" or int(l[1]) <= after:
            fail("expected OK after %d, got %r" % (after, l))
        after = int(l[1])
        nums.append(after)
    return nums
first = oks(20000, 0)
for _ in range(8):
    count = 0
    while True:
        l = f.readline()
        if not l:
            fail("the listing ended early")
        if l == b"END %d\n" % count:
            break
        count += 1
    if count < first[-1]:
        fail("a listing of %d lines, after OK %d" % (count, first[-1]))
tail = oks(1000, count)
print("ok: 20000 OKs, 8 listings, 1000 OKs from %d" % tail[0])
'

# feed FILE [PACE]: FILE on stdout; with PACE, 20 lines at a time, PACE
# seconds apart, so that a burst lasts long enough to be cut.
feed() {
	local chunk
	if [ -z "${2:-}" ]; then
		cat "$1"
		return
	fi
	while mapfile -t -n 20 chunk && [ ${#chunk[@]} -gt 0 ]; do
		printf '%s\n' "${chunk[@]}"
		sleep "$2"
	done <"$1"
}

# burst DIR CLIENTS LINES [PACE]: CLIENTS socats at once, each sending
# LINES lines; DIR/sent.I and DIR/got.I. Sets $burst_pids.
burst() {
	local dir=$1 clients=$2 lines=$3 pace=${4:-} i
	mkdir -p "$dir"
	burst_pids=()
	for i in $(seq "$clients"); do
		seq -f "$name client $i line %g $RANDOM" "$lines" >"$dir/sent.$i"
		feed "$dir/sent.$i" "$pace" |
			timeout 90 "${via[@]}" socat -t 60 - "TCP:$host:$port" >"$dir/got.$i" 2>"$dir/err.$i" &
		burst_pids+=($!)
	done
}

# acked DIR: "N<TAB>LINE" for every acknowledged line of a burst.
acked() {
	local f
	for f in "$1"/sent.*; do
		paste "${f/sent/got}" "$f" | awk -F'\t' '$1 ~ /^OK [0-9]+$/ { print substr($1, 4) "\t" $2 }'
	done
}

# numbered_right DIR: every acknowledged line is line N of the file.
numbered_right() {
	acked "$1" | awk -F'\t' 'NR == FNR { line[FNR] = $0; next }
		{ n++; if (line[$1] != $2) { bad++; if (bad < 4) print "    # OK " $1 ": " $2 " / file: " line[$1] } }
		END { exit !(n > 0 && !bad) }' "$file" -
}

concurrency() {
	local dir=$tmp/$name.conc ok_clients=0 i t0=$EPOCHREALTIME
	burst "$dir" 50 200
	wait "${burst_pids[@]}"
	echo "    # $name: 10000 lines from 50 clients in $(awk "BEGIN { printf \"%.2f\", $EPOCHREALTIME - $t0 }") s"
	for i in $(seq 50); do
		[ "$(grep -cxE 'OK [0-9]+' "$dir/got.$i")" = 200 ] && [ "$(wc -l <"$dir/got.$i")" = 200 ] &&
			ok_clients=$((ok_clients + 1))
	done
	check "$name: 50 concurrent clients: $ok_clients got 200 OKs each" [ "$ok_clients" = 50 ]
	check "$name: the file holds exactly those 10000 lines" \
		cmp -s <(cat "$dir"/sent.* | sort) <(grep "^$name client " "$file" | sort)
	check "$name: line n of the file is the one acknowledged with OK n" numbered_right "$dir"
	check "$name: the OK numbers are 10000 distinct ones" \
		[ "$(acked "$dir" | cut -f1 | sort -u | wc -l)" = 10000 ]
}

# durability KILLPID: kills KILLPID with SIGKILL once 500 lines of a
# running burst are acknowledged; then every acknowledged line is in place.
durability() {
	local victim=$1 dir=$tmp/$name.dur n=0 deadline=$((SECONDS + 60)) pid
	burst "$dir" 20 400 0.1
	while [ $SECONDS -lt $deadline ]; do
		n=$(cat "$dir"/got.* | grep -c '^OK ')
		[ "$n" -ge 500 ] && break
		sleep 0.05
	done
	kill -9 "$victim"
	wait "$victim" 2>/dev/null # a native server is our child: no "Killed" line
	sleep 1
	for pid in "${burst_pids[@]}"; do kill "$pid" 2>/dev/null; done
	wait "${burst_pids[@]}" 2>/dev/null
	n=$(acked "$dir" | wc -l)
	check "$name: SIGKILL in a burst of 8000 lines, $n acknowledged: each is in the file at its number" \
		bash -c '[ "$1" -ge 500 ] && [ "$1" -lt 8000 ]' _ "$n"
	numbered_right "$dir" && pass "$name: no acknowledged line lost" || fail "$name: acknowledged lines lost"
}

# restarted: a fresh server on the same file: its startup line counts the
# file's lines, and the next line gets the number after them.
restarted() {
	local log=$1 before got
	before=$(lines_in "$file")
	check "$name: the startup line names the port and the file's $before lines" \
		grep -qE "^storestrings: listening on port [0-9]+, appending to [^ ]*strings.txt \($before lines\)" "$log"
	got=$(printf 'after the restart\nLIST\n' | talk)
	check "$name: after the restart: OK $((before + 1)), and LIST gives the whole file" \
		[ "$got" = "$(printf 'OK %d\n' $((before + 1)); cat "$file"; echo "END $((before + 1))")" ]
}

# wait_listening LOG PID: until LOG shows the startup line, PID ends, or
# READY_TIMEOUT passes. One check.
wait_listening() {
	local log=$1 pid=$2 deadline=$((SECONDS + READY_TIMEOUT))
	while [ $SECONDS -lt $deadline ]; do
		tr -d '\r' 2>/dev/null <"$log" | grep -q '^storestrings: listening on port' &&
			{ pass "$name: storestrings is up"; return 0; }
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	fail "$name: storestrings did not come up; the checks that need it were not run"
	tr -d '\r' 2>/dev/null <"$log" | grep -E '^storestrings|\] [WEC]: ' | sed 's/^/    # /' | tail -6
	return 1
}

# native_start DIR [ulimit -f]: the Linux build in DIR on a free port. Sets $srv.
native_start() {
	local dir=$1 limit=${2:-unlimited}
	port=$(free_port)
	mkdir -p "$dir"
	(cd "$dir" && ulimit -f "$limit" && exec "$native" -p "$port") >"$dir/log" 2>&1 &
	srv=$!
	runners+=("$srv")
}

missing=()
for c in nc socat python3 ip; do command -v "$c" >/dev/null || missing+=("$c"); done
[ -x "$native" ] || missing+=("$native (make APP=storestrings linux)")
[ -f "$image" ] || missing+=("$image (make APP=storestrings)")
[ "$(id -u)" = 0 ] || missing+=("root (network namespaces and taps)")
if [ ${#missing[@]} -gt 0 ]; then
	fail "storestrings: prerequisites: missing ${missing[*]}"
	exit 0
fi

# 1. Linux, on this host.
dir=$tmp/linux
native_start "$dir"
target linux 127.0.0.1 "$port" "$dir/strings.txt"
if wait_listening "$dir/log" "$srv"; then
	session
	edges
	concurrency
	durability "$srv"
	native_start "$dir"
	target linux-restart 127.0.0.1 "$port" "$dir/strings.txt"
	wait_listening "$dir/log" "$srv" && restarted "$dir/log"
	kill "$srv"
fi

# Linux: a file size limit of 4 KiB; 100-byte lines until the writes fail.
dir=$tmp/linux-limit
native_start "$dir" 4
target linux-limit 127.0.0.1 "$port" "$dir/strings.txt"
if wait_listening "$dir/log" "$srv"; then
	# One connection a line: a batch of several would fail as a whole.
	got=$(for i in $(seq 60); do printf '%099d\n' "$i" | talk; done)
	oks=$(grep -c '^OK ' <<<"$got")
	check "$name: past the limit, ERR write: File too large ($oks OKs first)" \
		bash -c '[ "$1" -gt 0 ] && [ "$(grep -c "^ERR write: File too large$" <<<"$2")" = $((60 - $1)) ]' _ "$oks" "$got"
	check "$name: the file holds exactly the $oks acknowledged lines" [ "$(lines_in "$file")" = "$oks" ]
	got=$(printf 'LIST\n' | talk)
	check "$name: LIST gives them, END $oks" [ "$got" = "$(cat "$file"; echo "END $oks")" ]
	kill "$srv"
fi

# 2. Ceres over a tap in a namespace of ours, a 9p root.
dir=$tmp/ceres
mkdir -p "$dir"
if new_netns "$ns"; then
	new_boot ss-tap
	ip netns exec "$ns" "$root/run.sh" --no-build --serial "$out/ss-tap.serial" --pidfile "$pidfile" \
		--timeout "$SS_TIMEOUT" --net tap --fs "$dir" --append "$seed_params --" storestrings \
		>"$out/ss-tap.stdout" 2>"$out/ss-tap.stderr" </dev/null &
	runners+=($!)
	target ceres-tap "$guest_ip" 1234 "$dir/strings.txt" ip netns exec "$ns"
	if wait_listening "$out/ss-tap.serial" $!; then
		session
		edges
		concurrency
		durability "$(cat "$out/ss-tap.pid")"
	fi
	[ -s "$out/ss-tap.pid" ] && kill -9 "$(cat "$out/ss-tap.pid")" 2>/dev/null
	wait "${runners[-1]}" 2>/dev/null
	[ -f "$out/ss-tap.serial" ] && expect_no_serial ss-tap '\] [CE]: ' "no kernel error or crash report"
else
	fail "ceres-tap: could not make the network namespace $ns"
fi

# 3. Ceres again on the same directory, through user networking and a
# forward on 127.0.0.1: it counts the lines the last boot left.
new_boot ss-user
port=$(free_port)
"$root/run.sh" --no-build --serial "$out/ss-user.serial" --pidfile "$pidfile" --timeout "$SS_TIMEOUT" \
	--net user --fwd "tcp:$port:1234" --fs "$dir" storestrings \
	>"$out/ss-user.stdout" 2>"$out/ss-user.stderr" </dev/null &
runners+=($!)
target ceres-user 127.0.0.1 "$port" "$dir/strings.txt"
if wait_listening "$out/ss-user.serial" $!; then
	tr -d '\r' <"$out/ss-user.serial" >"$tmp/ss-user.log"
	restarted "$tmp/ss-user.log"
fi
[ -s "$out/ss-user.pid" ] && kill -9 "$(cat "$out/ss-user.pid")" 2>/dev/null
wait "${runners[-1]}" 2>/dev/null
[ -f "$out/ss-user.serial" ] && expect_no_serial ss-user '\] [CE]: ' "no kernel error or crash report"
