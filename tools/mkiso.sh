#!/usr/bin/env bash
# Builds a GRUB rescue ISO that boots KERNEL through Multiboot 2 at once
# (menu timeout 0) with CMDLINE as its command line. GRUB runs the commands
# in GRUB_FIRST before it loads the kernel (the tests take RAM away from the
# memory map with "cutmem").
# Usage: tools/mkiso.sh KERNEL OUT.iso [CMDLINE [GRUB_FIRST]]
#
# GRUB reads its configuration as a script (';' ends a command, quotes and
# '$' mean something) and hands the kernel its words again, re-quoted. So
# CMDLINE is split into words exactly as the kernel splits it (the kernel's
# own splitter, in build/tools/cmdline-words), and each word goes to GRUB
# in single quotes, which GRUB takes literally: the kernel then gets the
# same words as from QEMU's -append.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
kernel=$1
out=$2
cmdline=${3:-}
grub_first=${4:-}
splitter=$here/build/tools/cmdline-words

command -v grub-mkrescue >/dev/null ||
	{ echo "mkiso: grub-mkrescue not found: apt-get install grub-pc-bin grub-common xorriso mtools" >&2; exit 1; }
[ -d /usr/lib/grub/i386-pc ] ||
	{ echo "mkiso: GRUB's BIOS modules are missing: apt-get install grub-pc-bin" >&2; exit 1; }
make -s -C "$here" "$splitter" >/dev/null

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$splitter" "$cmdline" >"$dir/words" ||
	{ echo "mkiso: cannot pass the command line '$cmdline' to GRUB" >&2; exit 1; }
args=""
while IFS= read -r -d '' word; do
	if [ -z "$word" ]; then
		echo "mkiso: GRUB drops empty arguments; the command line '$cmdline' has one" >&2
		exit 1
	fi
	args+=" '${word//\'/\'\\\'\'}'"
done <"$dir/words"
mkdir -p "$dir/boot/grub"
cp "$kernel" "$dir/boot/ceres"
# GRUB's own messages (a kernel it cannot load, say) go to the serial line
# too, and when the kernel cannot be booted GRUB powers off instead of
# trying again forever.
cat > "$dir/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
serial --unit=0 --speed=115200
terminal_output serial console
menuentry "Ceres" {
	$grub_first
	if multiboot2 /boot/ceres$args; then
		boot
	fi
	echo "mkiso: GRUB could not load /boot/ceres as a Multiboot 2 kernel; powering off"
	halt
}
CFG
log=$(mktemp)
if ! grub-mkrescue -o "$out" "$dir" >"$log" 2>&1; then
	cat "$log" >&2
	rm -f "$log"
	exit 1
fi
rm -f "$log"
