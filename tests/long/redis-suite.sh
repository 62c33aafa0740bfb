#!/usr/bin/env bash
# Redis's own test suite, from the same source package (make test-long,
# docs/redis.md): the units for strings, incr, lists, hashes, sets, sorted
# sets, expire, keyspace, multi, pubsub and scripting, with --tags -slow
# and DEBUG allowed, run by Debian's tclsh as against an external server:
#   - first against the same objects natively (build/redis/redis.linux), on
#     loopback in the test's namespace: the reference;
#   - then against Redis on Ceres, from the namespace over the tap.
# Both skip the tests that need fork (tests/redis/suite-skip.txt: a
# replica's SYNC, BGSAVE, BGREWRITEAOF, CONFIG SET appendonly yes). The checks: each run gets to its
# end, and every test that passed natively passes on Ceres too, but for
# those tests/redis/suite-known.txt names with the reason; the counts and
# every difference are printed.
source "$(dirname "$0")/../lib.sh"
REDIS_TEST=redis-suite
source "$root/tests/redis/lib.sh"

SUITE_TIMEOUT=${SUITE_TIMEOUT:-3600} # one run of the units, at most
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
	(cd "$suite/.." && timeout "$SUITE_TIMEOUT" ip netns exec "$ns" ./runtest --host "$host" \
		--port "$port" "${args[@]}" --tags -slow --skipfile "$tmp/skip" --clients 1) \
		>"$out/$name.log" 2>&1
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
exit 0
