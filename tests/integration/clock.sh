#!/usr/bin/env bash
# The clock against the host's (tests/apps/clocktest): sleeps take as long
# in host time as they say, with a CPU hog on the host CPU that QEMU runs
# on, and on a machine without the PIT's speaker gate (microvm); the wall
# clock agrees with the host's after a sleep of 5 s, loaded or not, and
# never goes back while the kernel settles its estimate of it.
source "$(dirname "$0")/../lib.sh"

# sleep_took NAME: host seconds from the "start" line to the "slept" line.
sleep_took() {
	awk '/clocktest: start/ {s = $1} /clocktest: slept/ {e = $1} END {if (s && e) printf "%.3f", e - s}' \
		"$out/$1.serial"
}

# check_sleep NAME SECONDS: the sleep took SECONDS to SECONDS + 0.5 of host
# time. Short by 0.5% at most: where no PM timer refines it, the TSC's rate
# is known to 0.1% (docs/time.md), and the reader stamps lines to a ms.
check_sleep() {
	local took
	took=$(sleep_took "$1")
	if [ -n "$took" ] && awk -v t="$took" -v s="$2" 'BEGIN {exit !(t >= s * 0.995 && t <= s + 0.5)}'; then
		pass "$1: sleep($2) took ${took} s of host time"
	else
		fail "$1: sleep($2) took '${took}' s of host time, expected $2 to $2.5"
		sed 's/^/    # /' "$out/$1.serial" | tail -5
	fi
}

# check_wall NAME: the guest's wall clock on the "slept" line is within a
# second of the host's when the line arrived. QEMU seeds its RTC with the
# host's time in whole seconds, so its RTC lags the host by the fraction of
# a second at which QEMU started: the boots start just after a whole second.
check_wall() {
	local diff
	diff=$(awk '/clocktest: slept/ {printf "%.3f", $1 - $NF}' "$out/$1.serial")
	if [ -n "$diff" ] && awk -v d="$diff" 'BEGIN {exit !(d > -1 && d < 1)}'; then
		pass "$1: the wall clock is ${diff} s behind the host's after the sleep"
	else
		fail "$1: the wall clock is '${diff}' s behind the host's, expected less than a second"
		sed 's/^/    # /' "$out/$1.serial" | tail -5
	fi
}

start_on_second
boot_timed wall-idle clocktest --append 'loglevel=warn -- 5'
expect_status wall-idle 0
check_sleep wall-idle 5
check_wall wall-idle

# The first 12 s, while each CMOS reading moves the estimate (a step back
# must be slewed, kernel/wallclock.h).
boot wall-back clocktest --append 'loglevel=warn -- watch 12'
expect_status wall-back 0
expect_serial wall-back '^clocktest: 12 s of readings, the wall clock went back 0 times' \
	"no step back in the first 12 s ($(sed -n 's/^clocktest: 12 s of readings, //p' \
	"$out/wall-back.serial" 2>/dev/null))"

boot_timed microvm clocktest --machine microvm --append 'loglevel=warn -- 2'
expect_status microvm 0
check_sleep microvm 2

# A hog on host CPU 0, and QEMU pinned there with it.
taskset -c 0 sh -c 'while :; do :; done' &
helpers+=($!)
BOOT_PREFIX="taskset -c 0"
for i in $(seq 10); do
	boot_timed "loaded-$i" clocktest --append 'loglevel=warn -- 2'
	[ "$status" = 0 ] || fail "loaded-$i: exit status $status, expected 0"
	check_sleep "loaded-$i" 2
done
start_on_second
boot_timed wall-loaded clocktest --append 'loglevel=warn -- 5'
expect_status wall-loaded 0
check_sleep wall-loaded 5
check_wall wall-loaded
