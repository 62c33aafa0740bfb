#!/usr/bin/env bash
# trap-hlt.sh ELF: turns every hlt in the application's code (musl's and the
# application's: [__app_text_start, __text_end), see linker.ld) into int3.
# musl ends itself with hlt where it means to crash (a_crash(): stack
# smashing, a heap check, abort's last resort), which traps in ring 3 but in
# ring 0 only waits for the next interrupt and runs on. int3 traps in any
# ring, and the kernel reports it (arch/x86_64/trap.c). objdump finds the
# instructions, so a 0xF4 byte inside another instruction is left alone.
set -eu
elf=$1
sym() { nm "$elf" | awk -v s="$1" '$3 == s {print $1}'; }
start=$(sym __app_text_start)
stop=$(sym __text_end)
[ -n "$start" ] && [ -n "$stop" ] || { echo "trap-hlt: no __app_text_start in $elf" >&2; exit 1; }
# The file offset of an address in .text: the section's offset plus the distance.
read -r text_addr text_off < <(readelf -SW "$elf" |
	awk '$2 == ".text" {print $4, $5} $3 == ".text" {print $5, $6}' | head -1)
n=0
while read -r addr; do
	off=$((0x$text_off + 0x$addr - 0x$text_addr))
	printf '\xcc' | dd of="$elf" bs=1 seek="$off" conv=notrunc status=none
	n=$((n + 1))
done < <(objdump -d --no-show-raw-insn --start-address="0x$start" --stop-address="0x$stop" "$elf" |
	awk '$2 == "hlt" {sub(":", "", $1); print $1}')
[ "${V:-0}" = 1 ] && echo "trap-hlt: $n hlt instructions in the application's code became int3" >&2
exit 0
