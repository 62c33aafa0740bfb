#!/usr/bin/env bash
# The scheduler's guest tests (tests/apps/schedtest), with real preemption.
source "$(dirname "$0")/../lib.sh"

# Sleep lateness allowed: 1 ms under KVM, 2 ms under TCG (the issue's bounds).
tolerance=1000
"$root/run.sh" --dry-run schedtest 2>/dev/null | grep -q -- '-accel tcg' && tolerance=2000

boot schedtest schedtest --append "-- $tolerance"
expect_status schedtest 0
grep -E '^(not )?ok - ' "$out/schedtest.serial" | sed 's/^\(not \)\?ok - /&schedtest: /'
grep -E '^# ' "$out/schedtest.serial"
check "schedtest: ran all its checks" grep -q '^schedtest: 0 failed' "$out/schedtest.serial"

# A crash inside a thread lists every thread with its state.
boot threads-crash crash --append '-- null'
expect_serial threads-crash "thread [0-9]+ 'main': running" "the crash report lists the threads"
expect_serial threads-crash "thread 0 'idle': runnable" "... with their states"

# main() leaving with pthread_exit() ends the application only when the
# last thread is done.
boot threadexit threadexit
expect_status threadexit 0
check "threadexit: the worker outlives main and finishes" \
	grep -qzE $'threadexit: main leaves\nthreadexit: worker done after main left\n' "$out/threadexit.serial"
