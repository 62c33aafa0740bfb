#!/usr/bin/env bash
# Memory: the guest's own tests (tests/apps/memtest), the smallest machine
# hello runs on, and faults that only page tables and guard pages catch.
source "$(dirname "$0")/../lib.sh"

boot memtest memtest -m 48
expect_status memtest 0
# The guest prints its own ok/not ok lines; count them as ours.
grep -E '^(not )?ok - ' "$out/memtest.serial" | sed 's/^\(not \)\?ok - /&memtest: /'
check "memtest: ran all its checks" grep -q '^memtest: 0 failed' "$out/memtest.serial"

boot small hello -m 2 --append '-- tiny'
expect_status small 1
expect_serial small '^tiny$' "hello runs in 2 MiB (QEMU's own floor)"
expect_serial small 'I: page: [0-9]+ KiB of RAM managed' "free memory logged"

crash() {
	local how=$1 what=$2
	boot "crash-$how" crash --append "-- $how"
	expect_status "crash-$how" 121
	expect_serial "crash-$how" "$what" "report says $what"
}
crash text 'write of address 0x[0-9a-f]+: protection violation in kernel code'
expect_serial crash-text '#0 +0x[0-9a-f]+ crash_text\+0x' "the writer is named"
crash nx 'instruction fetch of address 0x[0-9a-f]+: protection violation in kernel data'
expect_serial crash-nx '#1 +0x[0-9a-f]+ main\+0x' "the caller of the bad jump is named"
crash stack 'CRASH: double fault'
expect_serial crash-stack 'STACK OVERFLOW: the main stack ran into its guard page' \
	"overflow names the stack"
expect_serial crash-stack '#0 +0x[0-9a-f]+ crash_stack\+0x' "backtrace starts in the recursion"
