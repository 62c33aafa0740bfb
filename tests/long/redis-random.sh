#!/usr/bin/env bash
# Redis on Ceres under a minute of load (make test-long, docs/redis.md):
# 1000 marker keys first, then redis-benchmark with 500 clients on random
# keys (SET, then GET, over 100000 keys) for RANDOM_SECONDS, cut off
# mid-run. Afterwards the server answers PING, every marker holds its
# value, and DBSIZE is the markers plus the benchmark's keys as SCAN
# counts them: nothing lost, nothing made up.
source "$(dirname "$0")/../lib.sh"
REDIS_TEST=redis-random
source "$root/tests/redis/lib.sh"

RANDOM_SECONDS=${RANDOM_SECONDS:-60}
MARKERS=1000

redis_netns || exit 0
share=$tmp/share
mkdir -p "$share"
cp "$root/apps/redis/redis.conf" "$share/redis.conf"
name=redis-random
start $name "$share" 512 || exit 0

for i in $(seq $MARKERS); do echo "SET marker:$i value-$i"; done | cli >/dev/null
check "$name: $MARKERS marker keys" [ "$(cli dbsize)" = $MARKERS ]

# SET's 800000 take about half a minute here, and GET is cut off.
timeout -s INT "$RANDOM_SECONDS" ip netns exec "$ns" redis-benchmark -h "$guest" -c 500 \
	-r 100000 -n 800000 -t set,get -q >"$out/$name.bench" 2>&1
tr '\r' '\n' <"$out/$name.bench" >"$tmp/bench"
{ grep 'requests per second' "$tmp/bench"; grep 'rps=' "$tmp/bench" | tail -1; } | sed 's/^ */    # /'
check "$name: redis-benchmark reported no errors" \
	bash -c '! tr "\r" "\n" <"$1" | grep -qiE "error|refused|reset"' _ "$out/$name.bench"

check "$name: PING after the load" [ "$(cli ping)" = PONG ]
keys=$(ip netns exec "$ns" redis-cli -h "$guest" --scan --pattern 'key:*' | wc -l)
size=$(cli dbsize)
check "$name: DBSIZE $size is $MARKERS markers and the $keys keys SCAN finds" \
	[ "$size" = $((MARKERS + keys)) ]
check "$name: the benchmark wrote keys ($keys)" [ "$keys" -gt 0 ]
for i in $(seq $MARKERS); do echo "GET marker:$i"; done | cli >"$out/$name.markers"
bad=$(seq $MARKERS | sed 's/^/value-/' | diff - "$out/$name.markers" | grep -c '^>')
check "$name: every marker holds its value ($bad do not)" [ "$bad" = 0 ]
stop $name
exit 0
