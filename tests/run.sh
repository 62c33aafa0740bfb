#!/usr/bin/env bash
# 'make test': builds the images, then runs every layer of tests: format,
# host unit tests, and the integration tests that boot QEMU. Each check
# prints "ok - ..." or "not ok - ..."; the last line counts them:
# "N passed, N failed". Exit status 0 only if nothing failed.
#
# 'make test-long' (tests/run.sh long): the same builds, then the tests in
# tests/long/ instead, the ones that take too long for make test.
set -u
mode=${1:-test}
case $mode in
test | long) ;;
*)
	echo "usage: tests/run.sh [test|long]" >&2
	exit 2
	;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
log=$root/build/tests
mkdir -p "$log"
results=$log/results.txt
: >"$results"

# Everything a check prints goes to the terminal and to $results.
run() {
	"$@" 2>&1 | tee -a "$results"
}

build() {
	local what=$1
	shift
	if make "$@" >"$log/build-$what.log" 2>&1; then
		echo "ok - build: $what"
	else
		echo "not ok - build: $what (see build/tests/build-$what.log)"
		sed 's/^/    # /' "$log/build-$what.log" | tail -15
	fi
}

echo "== build"
run build hello APP=hello
run build hello-iso APP=hello iso
run build crash APP=crash
run build memtest APP=memtest
run build schedtest APP=schedtest
run build schedk APP=schedk
run build threadexit APP=threadexit
run build libctest APP=libctest
run build libctest-linux APP=libctest linux
run build sysabi APP=sysabi
run build sysabi-linux APP=sysabi linux
run build events APP=events
run build events-linux APP=events linux
run build udpsock APP=udpsock
run build udpsock-linux APP=udpsock linux
run build itimer APP=itimer
run build itimer-linux APP=itimer linux
run build procfs APP=procfs
run build procfs-linux APP=procfs linux
run build tcpsock APP=tcpsock
run build tcpsock-linux APP=tcpsock linux
run build redzone APP=redzone
run build fuzz APP=fuzz
run build threads APP=threads
run build procinfo APP=procinfo
run build clocktest APP=clocktest
run build deadlock APP=deadlock
run build gdbtest APP=gdbtest
run build udpecho APP=udpecho
run build udpecho-linux APP=udpecho linux
run build tcpecho APP=tcpecho
run build tcpecho-linux APP=tcpecho linux
run build tcpbench APP=tcpbench
run build storestrings APP=storestrings
run build storestrings-linux APP=storestrings linux
run build netdev APP=netdev
run build fstest APP=fstest
run build fstest-linux APP=fstest linux
run build p9dev APP=p9dev
run build redis APP=redis
run build redis-linux APP=redis linux
run build nginx APP=nginx
run build nginx-linux APP=nginx linux

# each DIR: every test script in tests/DIR/, in order.
each() {
	local t
	for t in tests/"$1"/*.sh; do
		echo "== ${t#tests/}"
		run "$t"
	done
}

if [ "$mode" = long ]; then
	each long
else
	echo "== format"
	if make -s check-format >"$log/format.log" 2>&1; then
		run echo "ok - format: every C file matches .clang-format"
	else
		run echo "not ok - format: files differ from .clang-format ('make format' fixes them)"
		grep -o '^[^:]*:' "$log/format.log" | sort -u | sed 's/^/    # /' | head
	fi
	echo "== unit"
	run tests/unit/run.sh
	each integration
fi

passed=$(grep -c '^ok - ' "$results")
failed=$(grep -c '^not ok - ' "$results")
if [ "$failed" -gt 0 ]; then
	echo
	echo "failed:"
	grep '^not ok - ' "$results" | sed 's/^not ok - /  /'
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
