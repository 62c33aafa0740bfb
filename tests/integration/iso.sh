#!/usr/bin/env bash
# The GRUB ISO: Multiboot 2, parameters and arguments passed through.
source "$(dirname "$0")/../lib.sh"

boot iso hello --iso --append 'loglevel=debug -- one "two three" $HOME'
expect_status iso 3
expect_serial iso 'Multiboot 2 from GRUB' "loaded by GRUB through Multiboot 2"
expect_serial iso '^Hello from Ceres! I am hello\.' "argv[0] is the app's name under GRUB too"
check "iso: arguments arrive as given" \
	grep -qzE $'\none\ntwo three\n\\$HOME\n' "$out/iso.serial"
expect_serial iso '] D: ' "kernel parameters reach the kernel"
