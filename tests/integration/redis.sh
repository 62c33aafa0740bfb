#!/usr/bin/env bash
# Redis (docs/redis.md): Debian's Redis 7.0.15 linked with Ceres, on a tap
# in a network namespace this test makes (host 172.44.0.1/24, guest
# 172.44.0.2), its data on a 9p share, driven by Debian's redis-cli and
# redis-benchmark from the namespace:
#   - a redis-cli script over the main types, transactions, Lua and CONFIG,
#     its replies compared line for line with the same Redis objects run
#     natively (build/redis/redis.linux): Linux is the oracle;
#   - keys that really expire, pub/sub between two clients, INFO (with
#     used_memory_rss from /proc) and CLIENT LIST;
#   - what needs fork (BGSAVE, BGREWRITEAOF) fails with Redis's own error,
#     and the server goes on;
#   - redis-benchmark with 50 and with 500 clients, without errors;
#   - malformed RESP and a client that never reads: each dropped, the
#     server still answers and DBSIZE is unchanged;
#   - one unit of Redis's own test suite (unit/type/incr);
#   - SAVE, then a second boot on the same share loads dump.rdb, and so
#     does a third through user networking and a forward on 127.0.0.1;
#   - with appendfsync always, QEMU killed in a write burst: a third boot
#     has every write that was acknowledged.
# No traffic leaves the namespace or loopback.
source "$(dirname "$0")/../lib.sh"
source "$root/tests/redis/lib.sh"

# The configuration: apps/redis/redis.conf, with DEBUG allowed for Redis's
# own test suite.
share=$tmp/share
mkdir -p "$share"
{ cat "$root/apps/redis/redis.conf"; echo "enable-debug-command yes"; } >"$share/redis.conf"

# 1. The oracle: the same objects natively, on loopback.
port=$(free_port)
"$native" --port "$port" --bind 127.0.0.1 --save "" --dir "$tmp" >"$out/redis-native.log" 2>&1 &
helpers+=($!)
for _ in $(seq 50); do [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
redis-cli -p "$port" <"$root/tests/redis/types.cmds" >"$out/redis-types.native" 2>&1
redis-cli -p "$port" shutdown nosave >/dev/null 2>&1
check "redis native: the script ran ($(wc -l <"$out/redis-types.native") reply lines)" \
	grep -q '^allkeys-lru$' "$out/redis-types.native"

redis_netns || exit 0

# 2. The first boot.
if start redis-1 "$share"; then
	cli <"$root/tests/redis/types.cmds" >"$out/redis-types.ceres" 2>&1
	if diff -u "$out/redis-types.native" "$out/redis-types.ceres" >"$out/redis-types.diff"; then
		pass "redis-1: $(wc -l <"$out/redis-types.native") replies to the types script agree with the native run"
	else
		fail "redis-1: the types script's replies differ from the native run's"
		sed 's/^/    # /' "$out/redis-types.diff" | head -20
	fi

	# Keys expire by themselves: DBSIZE does not touch them, so only the
	# server's own expiry cycle can bring it down.
	before=$(cli dbsize)
	for i in $(seq 50); do echo "SET ephemeral:$i x PX 200"; done | cli >/dev/null
	cli set lasting x ex 1000 >/dev/null
	sleep 2
	check "redis-1: 50 keys with a 200 ms TTL are gone 2 s later, the one with 1000 s is not" \
		[ "$(cli dbsize)" = $((before + 1)) ]
	ttl=$(cli ttl lasting)
	check "redis-1: TTL counts down from 1000 ($ttl)" bash -c '[ "$1" -gt 990 ] && [ "$1" -le 1000 ]' _ "$ttl"

	# pub/sub between two clients.
	timeout 30 ip netns exec "$ns" redis-cli -h "$guest" subscribe news >"$out/redis-sub.out" 2>&1 &
	sub=$!
	helpers+=("$sub")
	for _ in $(seq 100); do [ "$(cli pubsub numsub news | tail -1)" = 1 ] && break; sleep 0.1; done
	check "redis-1: PUBLISH reaches the one subscriber" [ "$(cli publish news "hello subscribers")" = 1 ]
	for _ in $(seq 50); do grep -q '^hello subscribers$' "$out/redis-sub.out" && break; sleep 0.1; done
	check "redis-1: the subscriber got the message" grep -q '^hello subscribers$' "$out/redis-sub.out"
	kill "$sub" 2>/dev/null

	check "redis-1: INFO server says redis_version:7.0.15" has '^redis_version:7.0.15' "$(cli info server)"
	check "redis-1: INFO memory reports used_memory" has '^used_memory:[1-9]' "$(cli info memory)"
	check "redis-1: ... and used_memory_rss, from /proc/1/stat" \
		has '^used_memory_rss:[1-9]' "$(cli info memory)"
	check "redis-1: CLIENT LIST shows this client" has 'cmd=client|list' "$(cli client list)"

	# What needs fork fails with Redis's own error, and nothing hangs.
	got=$(cli bgsave)
	check "redis-1: BGSAVE is an error ('$got')" [ "${got:0:3}" = ERR ]
	got=$(cli bgrewriteaof)
	check "redis-1: BGREWRITEAOF is an error" [ "${got:0:3}" = ERR ]
	check "redis-1: the log says why: fork is not there" \
		serial_has redis-1 "Can't save in background: fork: Function not implemented"
	check "redis-1: PING after the failed forks" [ "$(cli ping)" = PONG ]

	# redis-benchmark, 50 then 500 clients.
	ip netns exec "$ns" timeout 300 redis-benchmark -h "$guest" -c 50 -n 2000 --csv \
		-t ping,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,mset \
		>"$out/redis-bench-50.csv" 2>"$out/redis-bench-50.err"
	rc=$?
	rows=$(grep -c '^"[A-Z]' "$out/redis-bench-50.csv")
	check "redis-1: redis-benchmark -c 50: status $rc, $rows of 17 tests, no errors" \
		bash -c '[ "$1" = 0 ] && [ "$2" = 17 ] && ! grep -qi error "$3"' _ "$rc" "$rows" "$out/redis-bench-50.err"
	ip netns exec "$ns" timeout 300 redis-benchmark -h "$guest" -c 500 -n 5000 --csv -t ping,set,get \
		>"$out/redis-bench-500.csv" 2>"$out/redis-bench-500.err"
	rc=$?
	rows=$(grep -c '^"[A-Z]' "$out/redis-bench-500.csv")
	check "redis-1: redis-benchmark -c 500: status $rc, $rows of 4 tests, no errors" \
		bash -c '[ "$1" = 0 ] && [ "$2" = 4 ] && ! grep -qi error "$3"' _ "$rc" "$rows" "$out/redis-bench-500.err"
	for _ in $(seq 50); do
		clients=$(cli info clients | tr -d '\r' | awk -F: '$1 == "connected_clients" { print $2 }')
		[ "$clients" = 1 ] && break
		sleep 0.1
	done
	check "redis-1: the 500 benchmark clients are all gone (connected_clients $clients)" [ "$clients" = 1 ]

	# Bad input: each client is dropped, the data stays.
	before=$(cli dbsize)
	for c in bulk-2^40 truncated garbage no-reader; do
		got=$(ip netns exec "$ns" /usr/bin/python3 "$root/tests/redis/clients.py" "$guest" 6379 "$c" 2>&1)
		rc=$?
		check "redis-1: hostile client, $got" [ "$rc" = 0 ]
		check "redis-1: after '$c', PING and DBSIZE $before" \
			[ "$(cli ping)/$(cli dbsize)" = "PONG/$before" ]
	done

	# One unit of Redis's own test suite, as an external server.
	if [ -d "$suite" ]; then
		(cd "$suite/.." && timeout 300 ip netns exec "$ns" ./runtest --host "$guest" --port 6379 \
			--single unit/type/incr --tags -slow --clients 1) >"$out/redis-suite.log" 2>&1
		rc=$?
		sed -i 's/\x1b\[[0-9;]*m//g' "$out/redis-suite.log"
		oks=$(grep -c '^\[ok\]' "$out/redis-suite.log")
		bad=$(grep -cE '^\[(err|exception)\]' "$out/redis-suite.log")
		check "redis-1: Redis's unit/type/incr: $oks passed, $bad failed (status $rc)" \
			bash -c '[ "$1" = 0 ] && [ "$2" -gt 20 ] && [ "$3" = 0 ]' _ "$rc" "$oks" "$bad"
	else
		fail "redis-1: Redis's test suite is not in $suite"
	fi

	# SAVE, for the next boot.
	cli flushall >/dev/null
	for i in $(seq 300); do echo "RPUSH saved:$((i % 7)) $i"; done | cli >/dev/null
	cli set saved:marker "from the first boot" >/dev/null
	saved=$(cli dbsize)
	check "redis-1: SAVE" [ "$(cli save)" = OK ]
	check "redis-1: dump.rdb is on the share" test -s "$share/dump.rdb"
	stop redis-1
fi

# 3. A second boot on the same share loads dump.rdb.
if start redis-2 "$share"; then
	check "redis-2: dump.rdb loaded: DBSIZE $saved" [ "$(cli dbsize)" = "$saved" ]
	check "redis-2: a saved value is there" [ "$(cli get saved:marker)" = "from the first boot" ]
	check "redis-2: a saved list is whole" [ "$(cli llen saved:3)" = 43 ]
	stop redis-2
fi

# 3b. The same share through user networking and a forward on 127.0.0.1.
if start_user redis-user "$share" "$(free_port)"; then
	check "redis-user: dump.rdb loaded: DBSIZE $saved" [ "$(cli dbsize)" = "$saved" ]
	check "redis-user: SET and GET through the forward" \
		[ "$(cli set via-user yes)/$(cli get via-user)" = "OK/yes" ]
	stop redis-user
fi

# 4. appendfsync always, and QEMU killed in the middle of a write burst.
aof=$tmp/aof
mkdir -p "$aof"
{ cat "$root/apps/redis/redis.conf"; printf 'appendonly yes\nappendfsync always\n'; } >"$aof/redis.conf"
if start redis-aof "$aof"; then
	ip netns exec "$ns" /usr/bin/python3 "$root/tests/redis/clients.py" "$guest" 6379 burst \
		>"$tmp/burst.out" 2>&1 &
	burst=$!
	helpers+=("$burst")
	for _ in $(seq 300); do [ "$(wc -l <"$tmp/burst.out")" -ge 500 ] && break; sleep 0.1; done
	kill -9 "$(cat "$out/redis-aof.pid")"
	wait "$burst"
	acked=$(tail -1 "$tmp/burst.out")
	wait "$runner" 2>/dev/null
	check "redis-aof: killed in a burst, $acked writes acknowledged first" [ "${acked:-0}" -ge 500 ]
	if start redis-aof-2 "$aof"; then
		n=$(cli dbsize)
		check "redis-aof-2: the AOF was loaded" serial_has redis-aof-2 'DB loaded from append only file'
		check "redis-aof-2: all $acked acknowledged writes are there (DBSIZE $n)" \
			bash -c '[ "$1" -ge "$2" ] && [ "$1" -le $(($2 + 1)) ]' _ "$n" "$acked"
		check "redis-aof-2: the last acknowledged one holds its value" [ "$(cli get "burst:$acked")" = "$acked" ]
		check "redis-aof-2: and the first" [ "$(cli get burst:1)" = 1 ]
		stop redis-aof-2
	fi
fi
exit 0
