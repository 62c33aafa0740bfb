#!/bin/sh
# Writes the kernel's symbol table (functions only, sorted by address) as an
# assembly file for the .ksyms section; see kernel/ksyms.c for the layout.
# Usage: nm -n --defined-only ceres.elf | tools/ksyms.sh > ksyms.S
# (no input gives an empty table, for the first link)
set -eu
awk 'BEGIN { n = 0 }
$2 ~ /^[tTwW]$/ && $3 !~ /^\./ { addr[n] = $1; name[n] = $3; n++ }
END {
	print "\t.section .note.GNU-stack, \"\", @progbits"
	print "\t.section .ksyms, \"a\""
	print "\t.balign 8"
	print "\t.globl ksyms_count, ksyms_addr, ksyms_name_off, ksyms_names"
	print "ksyms_count:\n\t.quad " n
	print "ksyms_addr:"
	for (i = 0; i < n; i++) print "\t.quad 0x" addr[i]
	print "ksyms_name_off:"
	off = 0
	for (i = 0; i < n; i++) { print "\t.long " off; off += length(name[i]) + 1 }
	print "ksyms_names:"
	for (i = 0; i < n; i++) print "\t.asciz \"" name[i] "\""
}'
