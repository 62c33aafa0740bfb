#!/usr/bin/env bash
# Memory: the kernel's own tests (tests/ktests/memtest), the smallest machine
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
crash stack 'CRASH: page fault \(#PF\)'
expect_serial crash-stack 'STACK OVERFLOW: the main stack ran into its guard page' \
	"overflow names the stack"
expect_serial crash-stack '#0 +0x[0-9a-f]+ crash_stack\+0x' "backtrace starts in the recursion"
crash bigframe 'CRASH: page fault \(#PF\)'
expect_serial crash-bigframe 'STACK OVERFLOW: the application thread stack ran into its guard page' \
	"a frame larger than the guard page still hits it"
expect_serial crash-bigframe '#0 +0x[0-9a-f]+ crash_bigframe\+0x' "the function with the big frame is named"

# Memory that runs out while booting: the step is named, the status is a
# panic's, and it comes well under the timeout (a hang would take it all).
failing_boot() {
	local name=$1 append=$2 what=$3
	local t0=$EPOCHREALTIME
	boot "$name" hello --append "$append"
	expect_status "$name" 120
	expect_serial "$name" "$what" "says $what"
	check "$name: ends within 10 s" awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {exit !(b - a < 10)}'
}
failing_boot no-ram 'mem=4K' 'PANIC: boot: pages failed: ENOMEM'
expect_serial no-ram 'page: no usable RAM for .* cut by mem=' "the page allocator says why"
failing_boot no-tables 'mem=64K' 'PANIC: boot: paging failed: ENOMEM'
expect_serial no-tables 'paging: out of memory building the page tables' "paging says why"
failing_boot huge-main-stack 'sched.main_stack_kb=16777216' 'PANIC: boot: sched failed: ENOMEM'
expect_serial huge-main-stack "no memory for the main thread's 16777216 KiB stack" "the scheduler says why"

# The allocators' bars (tests/ktests/memtest: threads, blocks).
boot threads memtest -m 128 --append '-- threads'
expect_status threads 0
grep -E '^(not )?ok - ' "$out/threads.serial" | sed 's/^\(not \)\?ok - /&memtest: /'
boot blocks-1m memtest -m 128 --append '-- blocks 1 115'
expect_status blocks-1m 0
grep -E '^(not )?ok - ' "$out/blocks-1m.serial" | sed 's/^\(not \)\?ok - /&memtest -m 128: /'
boot blocks-64m memtest -m 8192 --append '-- blocks 64 120'
expect_status blocks-64m 0
grep -E '^(not )?ok - ' "$out/blocks-64m.serial" | sed 's/^\(not \)\?ok - /&memtest -m 8192: /'
