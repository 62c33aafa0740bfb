# Booting Redis on Ceres for the Redis tests (sourced after tests/lib.sh):
# a network namespace with the guest at 172.44.0.2 on a tap, redis-cli from
# the namespace, and the native build beside it as the oracle. The
# namespace, every QEMU and every helper go when the test ends.
READY_TIMEOUT=${READY_TIMEOUT:-60}
REDIS_TIMEOUT=${REDIS_TIMEOUT:-600} # one boot, at most
ns=ceresredis$$
guest=172.44.0.2
params="netdev.ipv4_addr=$guest netdev.ipv4_gw_addr=172.44.0.1 netdev.ipv4_subnet_mask=255.255.255.0"
image=$root/build/redis/ceres
native=$root/build/redis/redis.linux
suite=$root/build/redis-src/7.0.15/tests
new_tmp redis-test


missing=()
[ "$(id -u)" = 0 ] || missing+=("root (network namespaces and taps)")
for c in ip redis-cli redis-benchmark tclsh /usr/bin/python3; do
	command -v "$c" >/dev/null || missing+=("$c")
done
[ -f "$image" ] || missing+=("build/redis/ceres (make APP=redis)")
[ -x "$native" ] || missing+=("build/redis/redis.linux (make APP=redis linux)")
if [ ${#missing[@]} != 0 ]; then
	fail "${REDIS_TEST:-redis}: prerequisites: ${missing[*]}"
	exit 0
fi

# Where cli goes: the guest over the tap, from the namespace, or after
# start_user a port on 127.0.0.1.
cli_via=(ip netns exec "$ns" redis-cli -h "$guest")
cli() { timeout 60 "${cli_via[@]}" "$@"; }

# has REGEX TEXT: a line of TEXT matches REGEX.
has() { grep -qE -- "$1" <<<"$2"; }

# redis_netns: makes the namespace; false (with a failed check) if it cannot.
redis_netns() {
	if ! new_netns "$ns"; then
		fail "${REDIS_TEST:-redis}: could not make the network namespace $ns"
		return 1
	fi
}

# start NAME SHARE [MIB]: boots Redis in the background with SHARE as its
# root (and MIB of RAM, 256 unless told) on a tap in the namespace, and
# waits until it is ready; false when it does not get there.
start() {
	local name=$1 share=$2 mib=${3:-256}
	new_boot "$name"
	ip netns exec "$ns" "$root/run.sh" --no-build --serial "$out/$name.serial" --pidfile "$pidfile" \
		--timeout "$REDIS_TIMEOUT" -m "$mib" --net tap --fs "$share" --append "$params -- /redis.conf" \
		redis >"$out/$name.stdout" 2>"$out/$name.stderr" </dev/null &
	cli_via=(ip netns exec "$ns" redis-cli -h "$guest")
	ready "$name" $!
}

# start_user NAME SHARE PORT: the same through QEMU's user networking, with
# PORT on 127.0.0.1 forwarded to the guest's 6379.
start_user() {
	local name=$1 share=$2 port=$3
	new_boot "$name"
	"$root/run.sh" --no-build --serial "$out/$name.serial" --pidfile "$pidfile" \
		--timeout "$REDIS_TIMEOUT" -m 256 --net user --fwd "tcp:$port:6379" --fs "$share" \
		--append "-- /redis.conf" redis >"$out/$name.stdout" 2>"$out/$name.stderr" </dev/null &
	cli_via=(redis-cli -p "$port")
	ready "$name" $!
}

# ready NAME PID: waits until the boot NAME (run.sh's PID) answers PING;
# sets $runner.
ready() {
	local name=$1
	runner=$2
	runners+=("$runner")
	local deadline=$((SECONDS + READY_TIMEOUT))
	while [ $SECONDS -lt $deadline ] && kill -0 "$runner" 2>/dev/null; do
		if serial_has "$name" 'Ready to accept connections' && [ "$(cli ping 2>/dev/null)" = PONG ]; then
			pass "$name: Redis is ready and answers PING"
			return 0
		fi
		sleep 0.2
	done
	fail "$name: Redis did not become ready in $READY_TIMEOUT s"
	sed 's/^/    # /' "$out/$name.serial" | tail -8
	return 1
}

# stop NAME: SHUTDOWN NOSAVE; the guest must end by itself with status 0.
stop() {
	cli shutdown nosave >/dev/null 2>&1
	finish "$1" 60
	expect_status "$1" 0
	expect_no_serial "$1" '\] [CE]: ' "no kernel error or crash report"
}

