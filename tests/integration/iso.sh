#!/usr/bin/env bash
# The GRUB ISO: Multiboot 2, parameters and arguments passed through, the
# same words under GRUB as under QEMU's own loader, and GRUB's own errors
# on the serial line.
source "$(dirname "$0")/../lib.sh"

boot iso hello --iso --append 'loglevel=debug -- one "two three" $HOME'
expect_status iso 3
expect_serial iso 'Multiboot 2 from GRUB' "loaded by GRUB through Multiboot 2"
expect_serial iso '^Hello from Ceres! I am hello\.' "argv[0] is the app's name under GRUB too"
check "iso: arguments arrive as given" \
	has_lines "$out/iso.serial" one 'two three' '$HOME'
expect_serial iso '] D: ' "kernel parameters reach the kernel"

# Words that mean something to GRUB's script language or its quoting.
awkward='-- a;b "it'\''s" "two  words" back\\slash $HOME {x} #hash && x|y q\"uote tab	z'
want=$'a;b\nit\'s\ntwo  words\nback\\slash\n$HOME\n{x}\n#hash\n&&\nx|y\nq"uote\ntab\nz'
for loader in direct iso; do
	flags=()
	[ "$loader" = iso ] && flags=(--iso)
	boot "awkward-$loader" hello "${flags[@]}" --append "$awkward"
	expect_status "awkward-$loader" 12
	sed -n '/^Hello from Ceres/,/shutdown:/p' "$out/awkward-$loader.serial" | sed '1d;$d' \
		>"$out/awkward-$loader.args"
	check "awkward-$loader: ;, ', quotes, \\, \$, {}, #, && and | arrive as the words given" \
		test "$(cat "$out/awkward-$loader.args")" = "$want"
done

# A file GRUB cannot boot: its error and ours on the serial line, then power-off.
head -c 8192 /dev/zero >"$out/not-a-kernel"
"$root/tools/mkiso.sh" "$out/not-a-kernel" "$out/not-a-kernel.iso" '-- x'
mkdir -p "$root/build/not-a-kernel"
cp "$out/not-a-kernel.iso" "$root/build/not-a-kernel/ceres.iso"
boot grub-error not-a-kernel --iso
expect_status grub-error 126
expect_serial grub-error 'error: no multiboot header found' "GRUB's own error reaches the serial line"
expect_serial grub-error 'GRUB could not load /boot/ceres' "... and says what it does next"

"$root/tools/mkiso.sh" "$root/build/hello/ceres" "$out/empty-arg.iso" '-- a "" b' \
	2>"$out/empty-arg.stderr"
check "mkiso: an empty argument, which GRUB would drop, is refused" test $? != 0
check "mkiso: ... with a message" grep -q "GRUB drops empty arguments" "$out/empty-arg.stderr"
