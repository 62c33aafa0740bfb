#!/bin/sh
# Builds a GRUB rescue ISO that boots KERNEL through Multiboot 2 at once
# (menu timeout 0) with CMDLINE as its command line.
# Usage: tools/mkiso.sh KERNEL OUT.iso [CMDLINE]
set -eu
kernel=$1
out=$2
cmdline=${3:-}

command -v grub-mkrescue >/dev/null ||
	{ echo "mkiso: grub-mkrescue not found: apt-get install grub-pc-bin grub-common xorriso mtools" >&2; exit 1; }
[ -d /usr/lib/grub/i386-pc ] ||
	{ echo "mkiso: GRUB's BIOS modules are missing: apt-get install grub-pc-bin" >&2; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/boot/grub"
cp "$kernel" "$dir/boot/ceres"
# GRUB splits the line into words as a shell would (and re-quotes them for
# the kernel, which undoes that), but would also expand $variables: escape $.
escaped=$(printf '%s' "$cmdline" | sed 's/\$/\\$/g')
cat > "$dir/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
serial --unit=0 --speed=115200
terminal_output console
menuentry "Ceres" {
	multiboot2 /boot/ceres $escaped
	boot
}
CFG
log=$(mktemp)
if ! grub-mkrescue -o "$out" "$dir" >"$log" 2>&1; then
	cat "$log" >&2
	rm -f "$log"
	exit 1
fi
rm -f "$log"
