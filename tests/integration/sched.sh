#!/usr/bin/env bash
# The scheduler's guest tests (tests/apps/schedtest), with real preemption.
source "$(dirname "$0")/../lib.sh"

boot schedtest schedtest
expect_status schedtest 0
grep -E '^(not )?ok - ' "$out/schedtest.serial" | sed 's/^\(not \)\?ok - /&schedtest: /'
grep -E '^# ' "$out/schedtest.serial"
check "schedtest: ran all its checks" grep -q '^schedtest: 0 failed' "$out/schedtest.serial"

# What only the kernel sees (tests/ktests/schedk): the timer's interrupts.
boot schedk schedk
expect_status schedk 0
grep -E '^(not )?ok - ' "$out/schedk.serial" | sed 's/^\(not \)\?ok - /&schedk: /'
grep -E '^# ' "$out/schedk.serial"
check "schedk: ran all its checks" grep -q '^schedk: 0 failed' "$out/schedk.serial"

# A name that matches no test runs nothing, and that is a failure.
boot schedtest-none schedtest --append '-- no-such-test'
expect_status schedtest-none 1
expect_serial schedtest-none '^not ok - schedtest: at least one test ran' "running no test fails"

# A crash inside a thread lists every thread with its state.
boot threads-crash crash --append '-- null'
expect_status threads-crash 121
expect_serial threads-crash "thread [0-9]+ 'main': running" "the crash report lists the threads"
expect_serial threads-crash "thread 0 'idle': runnable" "... with their states"

# main() leaving with pthread_exit() ends the application only when the
# last thread is done.
boot threadexit threadexit
expect_status threadexit 0
check "threadexit: the worker outlives main and finishes" \
	has_lines "$out/threadexit.serial" 'threadexit: main leaves' 'threadexit: worker done after main left'

# Deadlocks are reported, with every thread, and end the guest with 119;
# waits that a timer ends are not deadlocks.
for how in mutex join; do
	boot "deadlock-$how" deadlock --append "-- $how"
	expect_status "deadlock-$how" 119
	expect_serial "deadlock-$how" 'C: deadlock: every thread is blocked' "the deadlock is named"
	expect_serial "deadlock-$how" "thread [0-9]+ 'main': blocked" "... with the other thread's state"
	expect_serial "deadlock-$how" '#[0-9] +0x[0-9a-f]+ main\+0x' "... and backtraces that reach main"
done
for how in sleeper timed; do
	boot "deadlock-$how" deadlock --append "-- $how"
	expect_status "deadlock-$how" 0
	expect_no_serial "deadlock-$how" 'deadlock: every thread' "a wait that a timer ends is no deadlock"
done
