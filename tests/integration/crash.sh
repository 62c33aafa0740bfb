#!/usr/bin/env bash
# Deliberate faults: each report names the exception and the faulting
# function, and the exit status is the documented one.
source "$(dirname "$0")/../lib.sh"

crash() {
	local how=$1 want=$2 what=$3 fn=$4
	boot "crash-$how" crash --append "-- $how"
	expect_status "crash-$how" "$want"
	expect_serial "crash-$how" "$what" "report says $what"
	expect_serial "crash-$how" "#0 +0x[0-9a-f]+ $fn\+0x" "backtrace starts in $fn"
	expect_serial "crash-$how" "#[1-9] +0x[0-9a-f]+ main(\.cold)?\+0x" "backtrace reaches main"
}

crash null 121 'CRASH: page fault \(#PF\), vector 14' crash_null
expect_serial crash-null 'write of address 0: page not mapped \(NULL pointer dereference\)' \
	"NULL dereference explained"
expect_serial crash-null 'rip 0000000000[0-9a-f]+ rflags' "registers printed"
expect_serial crash-null 'stack: main \[' "the stack is named (main's thread stack)"
crash opcode 121 'CRASH: invalid opcode \(#UD\), vector 6' crash_opcode
crash divide 121 'CRASH: divide error \(#DE\), vector 0' crash_divide

boot crash-smash crash --append '-- smash'
expect_status crash-smash 120
expect_serial crash-smash 'PANIC: stack smashing detected in crash_smash\(\)' \
	"stack protector names the function"
