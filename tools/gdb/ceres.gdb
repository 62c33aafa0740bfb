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

# The Python helpers beside this file (ceres runq, ceres sockets, ...; the
# unwinder for musl's frames): found through gdb's own command line, which
# names this file, else from the top of the tree.
python
import os
def _ceres_gdb_dir():
    for arg in open("/proc/self/cmdline", "rb").read().split(b"\0"):
        arg = arg.decode(errors="replace").split("=")[-1]
        if arg.endswith("ceres.gdb"):
            return os.path.dirname(os.path.abspath(arg))
    return "tools/gdb"
gdb.execute("source " + os.path.join(_ceres_gdb_dir(), "ceres.py"))
end

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

# ceres-stub ELF PORT: load symbols and connect to Ceres's own gdb stub,
# started with 'run.sh --gdb-stub PORT'. It shows every Ceres thread.
define ceres-stub
	file $arg0
	target remote 127.0.0.1:$arg1
end

document ceres-stub
Usage: ceres-stub ELF PORT. Loads ELF's symbols and attaches to Ceres's own gdb stub (gdb=com2) on 127.0.0.1:PORT: every thread is a gdb thread (docs/gdbstub.md).
end

# ceres-stub-debug ELF PORT: attach to a guest that waits for gdb before
# its application starts ('run.sh --gdb-stub PORT --gdb-wait'), then run to
# main(). The stub patches software breakpoints into the code itself.
define ceres-stub-debug
	ceres-stub $arg0 $arg1
	break main
	continue
end

document ceres-stub-debug
Usage: ceres-stub-debug ELF PORT. Attaches like ceres-stub to a guest started with --gdb-wait, then runs to a breakpoint at main().
end

document ceres-attach
Usage: ceres-attach ELF PORT. Loads ELF's symbols and attaches to QEMU's gdb stub on 127.0.0.1:PORT.
end

document ceres-debug
Usage: ceres-debug ELF PORT. Attaches like ceres-attach, then runs to a hardware breakpoint at main().
end

# ceres-threads: every thread with its state, and a backtrace for each one
# that is not running (from the registers its last switch saved: see
# struct switch_frame in arch/x86_64/switch.h).
define ceres-threads
	set $c_off = (unsigned long)&((struct thread *)0)->all
	set $c_link = sched_state.all.next
	while $c_link != &sched_state.all
		set $t = (struct thread *)((char *)$c_link - $c_off)
		printf "thread %lu '%s' ", $t->id, $t->name
		output $t->state
		printf ", %lu ms of CPU\n", $t->runtime_ns / 1000000
		if $t != sched_state.current && $t->state != THREAD_EXITED && $t->sp
			set $c_frame = (unsigned long *)$t->sp
			set $c_pc = $c_frame[6]
			set $c_fp = $c_frame[5]
			set $c_depth = 0
			while $c_pc && $c_depth < 24
				printf "    #%-2d ", $c_depth
				info symbol $c_pc
				if $c_fp == 0
					set $c_pc = 0
				else
					set $c_pc = ((unsigned long *)$c_fp)[1]
					set $c_fp = ((unsigned long *)$c_fp)[0]
				end
				set $c_depth = $c_depth + 1
			end
			# In a system call: where the application made it, from its frame.
			if $t->head.abi && ((struct abi_thread *)$t->head.abi)->frame
				set $c_sys = ((struct abi_thread *)$t->head.abi)->frame
				printf "    in system call %lu, called from:\n", $c_sys->rax
				set $c_pc = $c_sys->rip
				set $c_fp = $c_sys->rbp
				while $c_pc && $c_depth < 24
					printf "    #%-2d ", $c_depth
					info symbol $c_pc
					# musl keeps no frame pointers: its rbp may be anything
					if $c_fp < 0x1000 || $c_fp & 7
						set $c_pc = 0
					else
						set $c_pc = ((unsigned long *)$c_fp)[1]
						set $c_fp = ((unsigned long *)$c_fp)[0]
					end
					set $c_depth = $c_depth + 1
				end
			end
		end
		set $c_link = $c_link->next
	end
end

document ceres-threads
Usage: ceres-threads. Lists every thread with its state, CPU time and, for those not running, a backtrace (through the system call a thread is in, into the application).
end
