# Helpers for the integration tests (sourced, bash). Every test prints one
# line per check, "ok - NAME" or "not ok - NAME", which tests/run.sh counts.
#
# boot NAME APP [run.sh options...] boots APP with the serial console in
# $out/NAME.serial, run.sh's own messages in $out/NAME.stderr, and its exit
# status in $status. Every QEMU is started with a pidfile and killed by
# process id when the test ends, however it ends; so are the processes a
# test names in $helpers and $runners, and the namespaces and scratch
# folders it made with new_netns and new_tmp go too.

set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/build/tests
mkdir -p "$out"
TEST_TIMEOUT=${TEST_TIMEOUT:-60}
pidfiles=()
status=0

helpers=() # other processes a test started (CPU hogs, servers), killed at the end
runners=() # run.sh processes in the background, given a moment first
namespaces=() # network namespaces the test made (new_netns)
tmpdirs=() # scratch folders (new_tmp)

cleanup() {
	local f pid n
	for f in "${pidfiles[@]}"; do
		[ -s "$f" ] || continue
		pid=$(cat "$f")
		kill -9 "$pid" 2>/dev/null
		rm -f "$f"
	done
	for pid in "${helpers[@]}"; do
		kill -9 "$pid" 2>/dev/null
	done
	for pid in "${runners[@]}"; do
		# run.sh removes its tap once QEMU is gone; give it a moment.
		for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
	done
	for n in "${namespaces[@]}"; do ip netns del "$n" 2>/dev/null; done
	for f in "${tmpdirs[@]}"; do rm -rf "$f"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# new_netns NAME: makes the network namespace NAME with its loopback up,
# for the cleanup to delete; false if it cannot.
new_netns() {
	ip netns add "$1" || return 1
	namespaces+=("$1")
	ip netns exec "$1" ip link set lo up
}

# new_tmp WHAT: sets $tmp to a new scratch folder, removed at the end.
new_tmp() {
	tmp=$(mktemp -d "/tmp/$1.XXXXXX") || exit 1
	tmpdirs+=("$tmp")
}

# new_boot NAME: a fresh console file and pidfile for a boot, the pidfile
# remembered for the cleanup; sets $pidfile.
new_boot() {
	pidfile=$out/$1.pid
	pidfiles+=("$pidfile")
	rm -f "$out/$1.serial" "$pidfile"
}

boot() {
	local name=$1 app=$2 pidfile
	shift 2
	new_boot "$name"
	"$root/run.sh" --no-build --serial "$out/$name.serial" --pidfile "$pidfile" \
		--timeout "$TEST_TIMEOUT" "$@" "$app" >"$out/$name.stdout" 2>"$out/$name.stderr" </dev/null
	status=$?
	# The UART sends \r\n; checks are written for \n.
	touch "$out/$name.serial"
	sed -i 's/\r$//' "$out/$name.serial"
}

# boot_timed NAME APP [run.sh options...]: like boot, but the console goes
# through a reader that puts the host's time (seconds since 1970, to the
# microsecond) before each line, into $out/NAME.serial. Extra words before
# run.sh can come in $BOOT_PREFIX (say, "taskset -c 0").
boot_timed() {
	local name=$1 app=$2 pidfile
	shift 2
	new_boot "$name"
	# shellcheck disable=SC2086 # the prefix is words on purpose
	${BOOT_PREFIX:-} "$root/run.sh" --no-build --pidfile "$pidfile" --timeout "$TEST_TIMEOUT" "$@" \
		"$app" 2>"$out/$name.stderr" </dev/null |
		while IFS= read -r line; do
			printf '%s %s\n' "$EPOCHREALTIME" "${line%$'\r'}"
		done >"$out/$name.serial"
	status=${PIPESTATUS[0]}
}

# start_on_second: returns just after the host clock's next whole second.
start_on_second() {
	local us=${EPOCHREALTIME#*.}
	sleep "0.$(printf '%06d' $((1000000 - 10#$us)))"
}

pass() { echo "ok - $*"; }
fail() { echo "not ok - $*"; }

# check NAME COMMAND...: one check, passing when COMMAND succeeds.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# expect_status NAME WANT: the last boot's status.
expect_status() {
	if [ "$status" = "$2" ]; then
		pass "$1: exit status $2"
	else
		fail "$1: exit status $status, expected $2"
		sed 's/^/    # /' "$out/$1.stderr" | tail -5
	fi
}

# expect_serial NAME REGEX [DESCRIPTION]: the last boot's console has a line
# matching REGEX (grep -E).
expect_serial() {
	if grep -qE -- "$2" "$out/$1.serial"; then
		pass "$1: ${3:-console shows /$2/}"
	else
		fail "$1: ${3:-console shows /$2/}"
		sed 's/^/    # /' "$out/$1.serial" | tail -8
	fi
}

# expect_no_serial NAME REGEX [DESCRIPTION]: no console line matches REGEX.
expect_no_serial() {
	if grep -qE -- "$2" "$out/$1.serial"; then
		fail "$1: ${3:-console lacks /$2/}"
		grep -E -- "$2" "$out/$1.serial" | sed 's/^/    # /' | head -3
	else
		pass "$1: ${3:-console lacks /$2/}"
	fi
}

# has_lines FILE LINE...: FILE holds the LINEs, whole and one after another.
has_lines() {
	local file=$1 want rc
	shift
	want=$(mktemp)
	printf '%s\n' "$@" >"$want"
	awk 'NR == FNR { w[++n] = $0; next }
	     { if ($0 == w[k + 1]) { if (++k == n) found = 1 } else k = ($0 == w[1]) }
	     END { exit !found }' "$want" "$file"
	rc=$?
	rm -f "$want"
	return $rc
}

# inns CMD...: CMD in the network namespace the test made, $ns.
inns() { ip netns exec "$ns" "$@"; }

# serial_has NAME REGEX: the console of boot NAME so far has a line matching REGEX.
serial_has() {
	tr -d '\r' 2>/dev/null <"$out/$1.serial" | grep -qE -- "$2"
}

# finish NAME [SECONDS]: waits (60 s unless told) for the guest started in
# the background as $runner to end by itself, then kills its QEMU by pid;
# sets $status and strips the console's carriage returns.
finish() {
	local name=$1 deadline=$((SECONDS + ${2:-60}))
	while kill -0 "$runner" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
	if kill -0 "$runner" 2>/dev/null; then
		echo "    # $name: the guest did not end; killing it"
		[ -s "$out/$name.pid" ] && kill -9 "$(cat "$out/$name.pid")" 2>/dev/null
	fi
	wait "$runner"
	status=$?
	touch "$out/$name.serial"
	sed -i 's/\r$//' "$out/$name.serial"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now, below
# the kernel's ephemeral range: a port in that range may be the local end
# of a client connection the test made (or one in TIME_WAIT), and a server
# then fails to bind it although nothing listens.
free_port() {
	local p lo=32768
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null
	((lo > 11024)) || lo=32768
	for _ in $(seq 50); do
		p=$((10000 + RANDOM % (lo - 10000)))
		(echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return; }
	done
	echo 0
}
