#!/usr/bin/env bash
# Redis's own test suite, from the same source package (make test-long,
# docs/redis.md): the units for strings, incr, lists, hashes, sets, sorted
# sets, expire, keyspace, multi, pubsub and scripting, with --tags -slow
# and DEBUG allowed, run by Debian's tclsh as against an external server:
#   - first against the same objects natively (build/redis/redis.linux), on
#     loopback in the test's namespace: the reference;
#   - then against Redis on Ceres, from the namespace over the tap;
#   - then against Debian's redis-server (the same 7.0.15) in the Linux
#     guest baseline, on the same tap and memory: the count a Linux VM
#     gives (SUITE_LINUX=0 leaves it out).
# Both skip the tests that need fork (tests/redis/suite-skip.txt: a
# replica's SYNC, BGSAVE, BGREWRITEAOF, CONFIG SET appendonly yes). The checks: each run gets to its
# end, and every test that passed natively passes on Ceres too, but for
# those tests/redis/suite-known.txt names with the reason; the counts and
# every difference are printed. The Linux guest's run must get to its end;
# what it fails is printed, not checked.
source "$(dirname "$0")/../lib.sh"
REDIS_TEST=redis-suite
source "$root/tests/redis/lib.sh"

SUITE_TIMEOUT=${SUITE_TIMEOUT:-3600} # one run of the units, at most
SUITE_LINUX=${SUITE_LINUX:-1}
linux=${SUITE_LINUX_DIR:-$root/build/bench/linux} # bench/linux-guest.sh's folder
debian_redis=/usr/bin/redis-server
UNITS=${UNITS:-unit/type/string unit/type/incr unit/type/list unit/type/hash unit/type/set \
	unit/type/zset unit/expire unit/keyspace unit/multi unit/pubsub unit/scripting}

[ -d "$suite" ] || {
	fail "redis-suite: Redis's test suite is not in $suite (make APP=redis fetches it)"
	exit 0
}
grep -v '^#' "$root/tests/redis/suite-skip.txt" >"$tmp/skip"

# suite NAME HOST PORT: the units against HOST:PORT, from the namespace;
# the log in $out/NAME.log, the names of the tests that passed in
# $out/NAME.passed and of those that did not in $out/NAME.failed (sorted,
# a name once per run of it).
suite() {
	local name=$1 host=$2 port=$3 args=() u rc
	for u in $UNITS; do args+=(--single "$u"); done
	# In a process group of its own, waited for in the background: a signal
	# to this script then ends it at once, and the cleanup kills the group.
	setsid timeout "$SUITE_TIMEOUT" ip netns exec "$ns" env -C "$suite/.." ./runtest \
		--host "$host" --port "$port" "${args[@]}" --tags -slow --skipfile "$tmp/skip" \
		--clients 1 >"$out/$name.log" 2>&1 &
	helpers+=("-$!")
	wait $!
	rc=$?
	sed -i 's/\x1b\[[0-9;]*m//g' "$out/$name.log"
	sed -n 's/^\[ok\]: \(.*\) ([0-9]* ms)$/\1/p' "$out/$name.log" | sort >"$out/$name.passed"
	sed -n 's/^\[\(err\|exception\)\]: \(.*\)$/\2/p' "$out/$name.log" | sort >"$out/$name.failed"
	local oks bad skipped
	oks=$(wc -l <"$out/$name.passed")
	bad=$(wc -l <"$out/$name.failed")
	skipped=$(grep -c '^\[skip\]' "$out/$name.log")
	echo "    # $name: $oks passed, $bad failed, $skipped skipped (needs fork), status $rc"
	sed 's/^/    #   failed: /' "$out/$name.failed"
	check "$name: the suite ran to its end" \
		bash -c '[ "$1" != 124 ] && ! grep -q "^\[exception\]" "$2" && grep -q "^\[ok\]" "$2"' \
		_ "$rc" "$out/$name.log"
}

redis_netns || exit 0

# 1. The reference: the same objects natively, on the namespace's loopback.
mkdir -p "$tmp/native"
cp "$root/apps/redis/redis.conf" "$tmp/native/redis.conf"
echo "enable-debug-command yes" >>"$tmp/native/redis.conf"
nport=$(free_port)
ip netns exec "$ns" "$native" "$tmp/native/redis.conf" --port "$nport" --bind 127.0.0.1 \
	--dir "$tmp/native" >"$out/redis-suite-native.server" 2>&1 &
helpers+=($!)
for _ in $(seq 50); do
	[ "$(ip netns exec "$ns" redis-cli -p "$nport" ping 2>/dev/null)" = PONG ] && break
	sleep 0.1
done
suite redis-suite-native 127.0.0.1 "$nport"
ip netns exec "$ns" redis-cli -p "$nport" shutdown nosave >/dev/null 2>&1

# 2. Ceres. GETEX EXAT/PXAT compare the server's clock with the client's;
# the guest's wall clock lags the host's by the fraction of a second at
# which QEMU seeded its CMOS clock (docs/time.md), so boot on a second.
share=$tmp/share
mkdir -p "$share"
cp "$tmp/native/redis.conf" "$share/redis.conf"
start_on_second
if start redis-suite-ceres "$share" 512; then
	suite redis-suite-ceres "$guest" 6379
	# comm on sorted lists counts a name as often as it appears.
	comm -23 "$out/redis-suite-native.passed" "$out/redis-suite-ceres.passed" >"$tmp/lost"
	grep -v '^#' "$root/tests/redis/suite-known.txt" | grep . | sort >"$tmp/known"
	known=$(comm -12 "$tmp/lost" "$tmp/known")
	lost=$(comm -23 "$tmp/lost" "$tmp/known")
	[ -n "$known" ] && sed 's/^/    #   known (tests\/redis\/suite-known.txt): /' <<<"$known"
	if [ -z "$lost" ]; then
		pass "redis-suite: of the $(wc -l <"$out/redis-suite-native.passed") tests that passed natively, all but $(grep -c . <<<"$known") named in suite-known.txt passed on Ceres"
	else
		fail "redis-suite: $(grep -c . <<<"$lost") tests passed natively but not on Ceres"
		sed 's/^/    #   /' <<<"$lost" | head -20
	fi
	check "redis-suite-ceres: PING after the suite" [ "$(cli ping)" = PONG ]
	stop redis-suite-ceres
fi

# linux_initramfs: $tmp/redis-debian.cpio.gz, Debian's redis-server and its
# libraries with the configuration as /redis.conf, as bench/redis.sh makes
# it (bench/guest.sh, in a subshell: its names stay there).
linux_initramfs() {
	(
		out=$tmp guest_ip=$guest
		guest_extra=$tmp/linux-extra
		guest_run='/bin/redis-server "$@"'
		source "$root/bench/guest.sh"
		mkdir -p "$guest_extra" && cp "$share/redis.conf" "$guest_extra/redis.conf" || exit 1
		# shellcheck disable=SC2046 # one path a word
		guest_initramfs redis-debian "$(readlink -f "$debian_redis")" redis-server \
			$(ldd_paths "$debian_redis")
	)
}

# start_linux NAME MIB: boots the Linux guest with it, as start does Ceres,
# for as long as a run of the units may take.
start_linux() {
	local name=$1 mib=$2
	new_boot "$name"
	ip netns exec "$ns" "$root/run.sh" --serial "$out/$name.serial" --pidfile "$pidfile" \
		--timeout $((SUITE_TIMEOUT + READY_TIMEOUT)) -m "$mib" --net tap \
		--kernel "$linux/vmlinuz" --initrd "$tmp/redis-debian.cpio.gz" \
		--append "console=ttyS0 quiet panic=-1 -- /redis.conf" \
		>"$out/$name.stdout" 2>"$out/$name.stderr" </dev/null &
	cli_via=(ip netns exec "$ns" redis-cli -h "$guest")
	ready "$name" $!
}

# 3. The Linux guest, booted on a second as Ceres was.
[ "$SUITE_LINUX" = 1 ] || exit 0
if [ ! -x "$debian_redis" ]; then
	fail "redis-suite-linux: no $debian_redis (apt-get install redis-server)"
	exit 0
fi
if ! { [ -f "$linux/vmlinuz" ] && [ -x "$linux/rootfs/bin/busybox" ] &&
	[ -f "$linux/modules/virtio_net.ko" ]; } &&
	! "$root/bench/linux-guest.sh" "$linux" 1 >"$out/redis-suite-linux-guest.log" 2>&1; then
	fail "redis-suite-linux: building the Linux guest in $linux failed (see $out/redis-suite-linux-guest.log)"
	exit 0
fi
if ! linux_initramfs >"$out/redis-suite-linux-initramfs.log" 2>&1; then
	fail "redis-suite-linux: building its initramfs failed (see $out/redis-suite-linux-initramfs.log)"
	exit 0
fi
start_on_second
if start_linux redis-suite-linux 512; then
	suite redis-suite-linux "$guest" 6379
	comm -23 "$out/redis-suite-native.passed" "$out/redis-suite-linux.passed" |
		sed 's/^/    #   passed natively, not in the Linux guest: /'
	check "redis-suite-linux: PING after the suite" [ "$(cli ping)" = PONG ]
	cli shutdown nosave >/dev/null 2>&1
	finish redis-suite-linux 60
fi
exit 0
