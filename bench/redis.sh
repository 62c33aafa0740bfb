#!/usr/bin/env bash
# The Redis benchmark (docs/benchmarks.md): Redis 7.0.15 on Ceres
# (make APP=redis) against two Redis servers in the Linux guest baseline:
# Debian's own redis-server (the host's /usr/bin/redis-server, glibc and
# jemalloc, with the shared libraries ldd names) and the very objects Ceres
# links, as a static musl program (make APP=redis linux). The three share
# one redis.conf (apps/redis/redis.conf with enable-debug-command yes, for
# DEBUG POPULATE), the QEMU machine, memory, a 9p share holding the
# configuration, and one tap in a network namespace made here and removed
# at the end (host 172.44.0.1/24, guest 172.44.0.2). Debian's redis-tools
# drive them from the namespace. Per repetition, one boot each of Ceres,
# Debian's Redis and the musl Redis in turn:
#   redis_ready_ms          QEMU start to the first PING answered (bench/ready.py)
#   redis_{set,get}_per_s   redis-benchmark -t set,get -c 50 -P 1
#   redis_{set,get}_p50_us, redis_{set,get}_p99_us   its latencies, -P 1
#   redis_{set,get}_p16_per_s  the same with -P 16 (pipelined)
# Then, once per system, by bisection over -m (MiB):
#   redis_min_mem_ping_mib  the least memory Redis starts in and answers PING
#   redis_min_mem_100k_mib  the least that holds DEBUG POPULATE 100000
# And natively, for reference: Debian's redis-server over loopback in the
# namespace (the rates and latencies only).
# Writes OUTDIR/{ceres,linux,linux_musl,native}-R.txt and
# OUTDIR/{ceres,linux,linux_musl}-mem.txt (RESULT lines; the latter also
# INFO lines saying how Redis failed 1 MiB below each least), the consoles
# OUTDIR/SYSTEM-R.log and OUTDIR/mem/SYSTEM-WHAT-MIB.log, and
# OUTDIR/problems.txt: each boot of the repetitions whose console has a
# kernel error or crash report, each redis-benchmark that failed or printed
# an error.
# Usage: bench/redis.sh OUTDIR REPS LINUX_DIR (bench/linux-guest.sh's OUTDIR)
# Environment: BENCH_MEM (MiB, 256; also the bisection's upper end),
# REDIS_REQUESTS (100000, per test at -P 1; at TCG speed a few seconds on
# Ceres, about 10 in the Linux guest), REDIS_P16_REQUESTS (1000000),
# REDIS_READY_TIMEOUT (120 s, a boot's time to answer PING),
# REDIS_BENCH_TIMEOUT (300 s, one redis-benchmark run), REDIS_BISECT
# (1; 0 leaves the memory bisection out).
set -u
out=$1
reps=$2
linux=$3
here=$(cd "$(dirname "$0")/.." && pwd)
mem=${BENCH_MEM:-256}
requests=${REDIS_REQUESTS:-100000}
p16_requests=${REDIS_P16_REQUESTS:-1000000}
ready_timeout=${REDIS_READY_TIMEOUT:-120}
bench_timeout=${REDIS_BENCH_TIMEOUT:-300}
bisect=${REDIS_BISECT:-1}
clients=50
ns=cerestest-redis$$
tap=ceres0
guest_ip=172.44.0.2
# Both guests get this MAC (QEMU's default for the first NIC, named so that
# the host's neighbour entry can be made before they boot).
guest_mac=52:54:00:12:34:56
debian_redis=/usr/bin/redis-server
musl_redis=$here/build/redis/redis.linux
mkdir -p "$out/mem"
rm -f "$out"/*.txt "$out"/mem/*.log # no stale results if this run fails early

die() {
	echo "redis: $*" >&2
	exit 1
}

# Prerequisites: all named at once.
missing=()
[ "$(id -u)" = 0 ] || missing+=("root (a network namespace and a tap)")
for c in ip redis-cli redis-benchmark ldd strip cpio gzip timeout; do
	command -v "$c" >/dev/null || missing+=("$c")
done
# Debian's layout: redis-server is a link to redis-check-rdb, one binary
# that looks at the name it was started as.
[ -x "$debian_redis" ] || missing+=("$debian_redis (apt-get install redis-server)")
[ -f "$linux/vmlinuz" ] && [ -x "$linux/rootfs/bin/busybox" ] && [ -f "$linux/modules/virtio_net.ko" ] ||
	missing+=("the Linux guest in $linux (bench/linux-guest.sh $linux 1)")
[ ${#missing[@]} = 0 ] || die "missing: ${missing[*]} (tools/deps.sh bench installs the packages)"
make -s -C "$here" APP=redis >/dev/null || die "building Redis for Ceres failed"
make -s -C "$here" APP=redis linux >/dev/null || die "building Redis for Linux (musl) failed"
"$debian_redis" --version | grep -q 'v=7\.0\.15' ||
	echo "redis: note: $debian_redis is not 7.0.15: $("$debian_redis" --version)" >&2

# The shared configuration, and the share Ceres reads it from.
share=$out/share
rm -rf "$share"
mkdir -p "$share"
{ cat "$here/apps/redis/redis.conf"; echo "enable-debug-command yes"; } >"$share/redis.conf"

source "$here/bench/guest.sh"
native_dir=""
trap 'guest_cleanup; [ -n "$native_dir" ] && rm -rf "$native_dir"' EXIT
trap 'exit 130' INT TERM

# The guests' initramfs files (bench/guest.sh): Redis as /bin/redis-server
# with the configuration as /redis.conf.
guest_extra=$out/redis-extra
rm -rf "$guest_extra"
mkdir -p "$guest_extra"
cp "$share/redis.conf" "$guest_extra/redis.conf"
guest_run='/bin/redis-server "$@"'
libs=$(ldd_paths "$debian_redis")
[ -n "$libs" ] || die "ldd $debian_redis named no libraries"
# shellcheck disable=SC2086 # one path a word
guest_initramfs redis-debian "$(readlink -f "$debian_redis")" redis-server $libs ||
	die "building the initramfs with Debian's redis-server failed"
guest_initramfs redis-musl "$musl_redis" redis-server || die "building the initramfs with the musl Redis failed"

guest_netns || die "could not make the namespace $ns and its tap"

# The kernel command lines and images, by system.
ceres_append="loglevel=warn netdev.ip=$guest_ip/24:172.44.0.1 -- /redis.conf"
linux_append="console=ttyS0 quiet panic=-1 -- /redis.conf"
boot_opts() { # SYSTEM: run.sh's options for it, one a line
	case $1 in
	ceres) printf '%s\n' --append "$ceres_append" redis ;;
	linux) printf '%s\n' --kernel "$linux/vmlinuz" --initrd "$out/redis-debian.cpio.gz" --append "$linux_append" ;;
	linux_musl) printf '%s\n' --kernel "$linux/vmlinuz" --initrd "$out/redis-musl.cpio.gz" --append "$linux_append" ;;
	esac
}

# boot SYSTEM MIB LOG: boots it and waits for its first PONG (guest_boot).
boot() {
	guest_boot "$1" "$2" "$3" redis "$guest_ip" 6379
}

halt() { guest_halt; }

# why LOG: what went wrong on a console, on one line (empty when nothing
# did): Redis's first fatal message, the kernel's first error or crash
# report (Ceres: "[ t] E: ...", "[ t] C: ..."; Linux: a panic, the OOM
# killer, a transmit queue that timed out) and a stack overflow.
why() {
	tr -d '\r' <"$1" 2>/dev/null | awk '
		!r && /# (Fatal|Guru Meditation)/ { sub(/^.*# /, ""); r = $0 }
		!k && /\] [CE]: |Kernel panic|Out of memory: Killed|NETDEV WATCHDOG/ { sub(/^\[ *[0-9.]*\] /, ""); k = $0 }
		!o && /STACK OVERFLOW/ { sub(/^.*C: +/, ""); o = $0 }
		END { printf "%s", r; if (r != "" && k != "") printf "; "; printf "%s", k; if (o != "") printf "; %s", o }'
}

# bench_redis HOST FILE: redis-benchmark's SET and GET against HOST at -P 1
# and -P 16, RESULT lines into FILE. A run that fails, times out or reports
# an error leaves its lines out, is noted in problems.txt and ends the
# measurements of this boot (a guest whose network stalled stays so).
bench_redis() {
	local host=$1 file=$2 p n csv
	for p in 1 16; do
		n=$requests
		[ "$p" = 16 ] && n=$p16_requests
		csv=${file%.txt}-P$p.csv
		guest_wait timeout "$bench_timeout" ip netns exec "$ns" redis-benchmark -h "$host" \
			-c "$clients" -n "$n" -P "$p" -t set,get --csv >"$csv" 2>"${csv%.csv}.err"
		local rc=$?
		if [ "$rc" != 0 ] || grep -qiE 'error|ERR ' "$csv" "${csv%.csv}.err" ||
			[ "$(grep -c '^"[SG]ET"' "$csv")" != 2 ]; then
			echo "redis: redis-benchmark -P $p against $host: status $rc ($csv, ${csv%.csv}.err)" >&2
			echo "$csv: redis-benchmark -P $p status $rc$([ "$rc" = 124 ] && echo " (timed out after $bench_timeout s)"), $(grep -c '^"[SG]ET"' "$csv") of 2 rows: $(head -c 300 "${csv%.csv}.err" | tr '\n' ' ')" >>"$out/problems.txt"
			break
		fi
		# "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
		awk -F'","|"' -v p="$p" '$2 == "SET" || $2 == "GET" {
			t = tolower($2)
			if (p == 1) {
				printf "RESULT redis_%s_per_s %.0f\n", t, $3
				printf "RESULT redis_%s_p50_us %.0f\nRESULT redis_%s_p99_us %.0f\n", t, $6 * 1000, t, $8 * 1000
			} else
				printf "RESULT redis_%s_p%d_per_s %.0f\n", t, p, $3
		}' "$csv" >>"$file"
	done
	awk '$1 == "RESULT" { v[$2] = $3 }
		END { printf "redis:   SET %s/s GET %s/s (p99 %s/%s us), -P 16: SET %s/s GET %s/s\n", v["redis_set_per_s"],
			v["redis_get_per_s"], v["redis_set_p99_us"], v["redis_get_p99_us"], v["redis_set_p16_per_s"], v["redis_get_p16_per_s"] }' \
		"$file" >&2
}

# 1. Boot to ready and redis-benchmark, one boot a system a repetition.
for r in $(seq "$reps"); do
	for sys in ceres linux linux_musl; do
		echo "redis: $sys ($r/$reps)" >&2
		: >"$out/$sys-$r.txt"
		if boot "$sys" "$mem" "$out/$sys-$r.log"; then
			echo "RESULT redis_ready_ms $ready_ms" >>"$out/$sys-$r.txt"
			echo "redis:   ready in $ready_ms ms" >&2
			bench_redis "$guest_ip" "$out/$sys-$r.txt"
		else
			echo "redis: $sys did not answer PING in $ready_timeout s (see $out/$sys-$r.log)" >&2
			echo "$out/$sys-$r.log: no PING answered at -m $mem" >>"$out/problems.txt"
		fi
		halt
		bad=$(why "$out/$sys-$r.log")
		[ -z "$bad" ] || echo "$out/$sys-$r.log: $bad" >>"$out/problems.txt"
	done
done

# 2. Natively, over loopback in the namespace, for reference.
native_dir=$(mktemp -d /tmp/ceres-redis-bench.XXXXXX) || die "mktemp failed"
for r in $(seq "$reps"); do
	echo "redis: Debian's redis-server natively ($r/$reps)" >&2
	: >"$out/native-$r.txt"
	ip netns exec "$ns" "$debian_redis" "$share/redis.conf" --dir "$native_dir" --bind 127.0.0.1 \
		>"$out/native-$r.log" 2>&1 & # not inns: $! must be the server
	native_pid=$!
	for _ in $(seq 100); do [ "$(inns redis-cli ping 2>/dev/null)" = PONG ] && break; sleep 0.05; done
	bench_redis 127.0.0.1 "$out/native-$r.txt"
	kill "$native_pid" 2>/dev/null
	wait "$native_pid" 2>/dev/null
	native_pid=""
done

# 3. The least memory, by bisection over -m, once per system.
# works SYSTEM WHAT MIB: Redis answers PING (WHAT ping) or also holds
# 100000 keys from DEBUG POPULATE (WHAT 100k) at -m MIB.
works() {
	local sys=$1 what=$2 mib=$3 log=$out/mem/$1-$2-$3.log ok=1
	if boot "$sys" "$mib" "$log"; then
		ok=0
		if [ "$what" = 100k ]; then
			guest_wait timeout 300 ip netns exec "$ns" redis-cli -h "$guest_ip" debug populate 100000 \
				>"${log%.log}.populate" 2>&1
			[ "$(<"${log%.log}.populate")" = OK ] &&
				[ "$(inns timeout 30 redis-cli -h "$guest_ip" dbsize 2>&1)" = 100000 ] &&
				[ "$(inns timeout 30 redis-cli -h "$guest_ip" ping 2>&1)" = PONG ] || ok=1
		fi
	fi
	halt
	echo "redis:   $sys, $what, -m $mib: $([ $ok = 0 ] && echo works || echo fails)" >&2
	return $ok
}

# least SYSTEM WHAT LO HI: the least MIB in (LO, HI] that works, HI known to.
least() {
	local sys=$1 what=$2 lo=$3 hi=$4 mid
	while [ $((hi - lo)) -gt 1 ]; do
		mid=$(((lo + hi) / 2))
		if works "$sys" "$what" "$mid"; then hi=$mid; else lo=$mid; fi
	done
	echo "$hi"
}

[ "$bisect" = 1 ] || { touch "$out/problems.txt"; exit 0; }
for sys in ceres linux linux_musl; do
	echo "redis: the least memory for $sys, by bisection over -m 2..$mem" >&2
	if ! works "$sys" 100k "$mem"; then
		echo "redis: $sys does not hold 100k keys even at -m $mem" >&2
		continue
	fi
	ping_mib=$(least "$sys" ping 1 "$mem")
	echo "RESULT redis_min_mem_ping_mib $ping_mib" >>"$out/$sys-mem.txt"
	# Below the least for PING, 100k keys cannot fit either.
	keys_mib=$(least "$sys" 100k $((ping_mib - 1)) "$mem")
	echo "RESULT redis_min_mem_100k_mib $keys_mib" >>"$out/$sys-mem.txt"
	echo "redis:   $sys: PING at -m $ping_mib, 100k keys at -m $keys_mib" >&2
	# How it failed 1 MiB below, which the bisection tried (for 100k keys
	# perhaps as its PING probe), unless that is -m 1.
	for w in "ping $ping_mib" "100k $keys_mib"; do
		set -- $w
		log=$out/mem/$sys-$1-$(($2 - 1)).log
		[ -f "$log" ] || log=$out/mem/$sys-ping-$(($2 - 1)).log
		[ -f "$log" ] || continue
		echo "INFO below $1 $(($2 - 1)) $log: $(why "$log")" >>"$out/$sys-mem.txt"
	done
done
touch "$out/problems.txt"
exit 0
