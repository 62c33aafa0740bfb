# gdb commands for Ceres. Loaded by 'make debug', 'make gdb' and the tests:
#   gdb -x tools/gdb/ceres.gdb -ex 'ceres-debug build/hello/ceres.elf 1234'
#
# The kernel starts in 32-bit protected mode and switches to long mode.
# gdb must describe the target as x86-64 from the start: an i386
# description (what gdb picks for the 32-bit 'ceres' image) makes it reject
# QEMU's 64-bit register packets ("Remote 'g' packet reply is too long").
# So always load ceres.elf (64-bit, with symbols) and set the architecture
# before connecting. Breakpoints are hardware ones: QEMU's loader writes the
# image into memory after gdb connects, which would erase a software
# breakpoint, and KVM honours debug registers either way.

set pagination off
set confirm off
set architecture i386:x86-64

# ceres-attach ELF PORT: load symbols and connect to a guest started with
# 'run.sh --gdb --gdb-port PORT'.
define ceres-attach
	file $arg0
	target remote 127.0.0.1:$arg1
end

# ceres-debug ELF PORT: attach, then run to main().
define ceres-debug
	ceres-attach $arg0 $arg1
	hbreak main
	continue
end

document ceres-attach
Usage: ceres-attach ELF PORT. Loads ELF's symbols and attaches to QEMU's gdb stub on 127.0.0.1:PORT.
end

document ceres-debug
Usage: ceres-debug ELF PORT. Attaches like ceres-attach, then runs to a hardware breakpoint at main().
end
