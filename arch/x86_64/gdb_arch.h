/*
 * The x86-64 side of the gdb stub (kernel/gdbstub.c, docs/gdbstub.md):
 * gdb's register numbering and the target description that names it, the
 * registers of a thread read from the frame the kernel saved for it,
 * memory that can be touched without a fault, single-stepping (TF),
 * int3 breakpoints patched into read-only code through a writable alias,
 * the debug registers, and
 * the #DB and #BP traps that bring the stub in.
 */
#ifndef ARCH_X86_64_GDB_ARCH_H
#define ARCH_X86_64_GDB_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trap_frame;
struct syscall_frame;

/* gdb's register numbers: the order of the target description. */
enum gdb_reg {
	GDB_REG_RAX,
	GDB_REG_RBX,
	GDB_REG_RCX,
	GDB_REG_RDX,
	GDB_REG_RSI,
	GDB_REG_RDI,
	GDB_REG_RBP,
	GDB_REG_RSP,
	GDB_REG_R8,
	GDB_REG_R9,
	GDB_REG_R10,
	GDB_REG_R11,
	GDB_REG_R12,
	GDB_REG_R13,
	GDB_REG_R14,
	GDB_REG_R15,
	GDB_REG_RIP,
	GDB_REG_EFLAGS,
	GDB_REG_CS,
	GDB_REG_SS,
	GDB_REG_DS,
	GDB_REG_ES,
	GDB_REG_FS,
	GDB_REG_GS,
	GDB_REG_ST0,			/* st0-st7, then the x87 control registers, */
	GDB_REG_FOP = GDB_REG_ST0 + 15, /* up to fop; */
	GDB_REG_XMM0,			/* xmm0-xmm15 and mxcsr: never known (docs/gdbstub.md) */
	GDB_REG_MXCSR = GDB_REG_XMM0 + 16,
	GDB_REG_FS_BASE,
	GDB_REG_GS_BASE,
	GDB_REG_COUNT,
};

/* The largest register's bytes (an xmm register). */
#define GDB_REG_BYTES_MAX 16

/*
 * One thread's registers as gdb sees them. A register in a frame the kernel
 * saved (at[n]) is read and written there, so a change takes effect when
 * the thread goes on; one worked out from elsewhere (the segments, an rsp
 * past a frame) is a read-only copy; the rest are unknown.
 */
struct gdb_regs {
	uint64_t *at[GDB_REG_COUNT];
	uint64_t copy[GDB_REG_COUNT];
	uint64_t copied;   /* bit n: copy[n] holds register n */
	uint64_t *rflags;  /* the flags the thread resumes with (single-stepping), or NULL */
	bool resumes_here; /* it goes on from exactly these registers (an iretq) */
};

/* The stopped thread's registers, in the frame of the trap that stopped it. */
void gdb_arch_regs_trap(struct gdb_regs *r, struct trap_frame *f);

/* A thread in a system call: where the application made it. */
void gdb_arch_regs_syscall(struct gdb_regs *r, struct syscall_frame *f);

/* A thread switched out: the registers its last switch saved at sp (struct switch_frame). */
void gdb_arch_regs_switch(struct gdb_regs *r, uint64_t sp);

/* The FS base (TLS) and GS base (the kernel's thread pointer) of a thread that is not running. */
void gdb_arch_regs_bases(struct gdb_regs *r, uint64_t fs_base, uint64_t gs_base);

/* Register n's size in bytes, 0 if there is no such register. */
int gdb_arch_reg_size(int n);

/* Register n into buf (gdb_arch_reg_size(n) bytes, target order); false if unknown. */
bool gdb_arch_reg_get(const struct gdb_regs *r, int n, uint8_t *buf);

/* 0, -EINVAL (no such register) or -EPERM (unknown, or a copy that cannot be written). */
int gdb_arch_reg_set(struct gdb_regs *r, int n, const uint8_t *buf);

/* The thread's pc, 0 if unknown. */
uint64_t gdb_arch_reg_pc(const struct gdb_regs *r);

/*
 * Single-steps the thread when it goes on (TF), or stops doing so; false if
 * its flags are not in a frame it resumes from (a thread switched out in
 * the kernel).
 */
bool gdb_arch_set_step(struct gdb_regs *r, bool on);

/* The target description: the registers above, for qXfer:features:read. */
const char *gdb_arch_target_xml(size_t *len);

/*
 * Can [addr, addr + len) be read (or written) now without a fault? Only
 * mapped RAM: a canonical address, every page present, none of it device
 * memory (whose registers a read may change). Code and read-only data
 * count as writable: gdb_arch_mem_write() gets past the protection.
 */
bool gdb_arch_mem_ok(uint64_t addr, size_t len);

/* Makes what writing to read-only code needs later (its alias's tables): 0 or -ENOMEM. */
int gdb_arch_init(void);

/*
 * Copies n bytes to addr, read-only pages included (through a writable
 * alias: the code stays read-only). Interrupts off; checked by the caller.
 */
void gdb_arch_mem_write(uint64_t addr, const void *src, size_t n);

/* The software breakpoint: int3, one byte. */
#define GDB_ARCH_BREAK_INSN 0xCC
#define GDB_ARCH_BREAK_LEN 1

/* Hardware breakpoints and watchpoints, in the debug registers DR0-DR3. */
enum gdb_hw_type {
	GDB_HW_EXEC,
	GDB_HW_WRITE,
	GDB_HW_ACCESS,
};

/* 0, -ENOSPC (all four in use) or -EINVAL (a length or alignment the CPU cannot watch). */
int gdb_arch_hw_insert(enum gdb_hw_type type, uint64_t addr, uint64_t len);
/* 0, or -ENOENT if there is no such one. */
int gdb_arch_hw_remove(enum gdb_hw_type type, uint64_t addr, uint64_t len);
void gdb_arch_hw_remove_all(void);
/*
 * The debug registers are off while the stub runs (a watchpoint on data
 * the stub reads would trap inside it) and set again as the world goes on.
 */
void gdb_arch_hw_suspend(void);
void gdb_arch_hw_resume(void);

/*
 * From trap_dispatch(), for #DB and #BP: a stop of the stub's (a
 * breakpoint, a step, a watchpoint, gdb_arch_break()) is served, and true
 * returned; false if the trap is none of the stub's (the caller reports it).
 */
bool gdb_arch_trap(struct trap_frame *f);

/* From the crash report of a CPU exception: gdb is told of it as a signal. */
void gdb_arch_crash(struct trap_frame *f);

/*
 * Stops in the stub as a breakpoint would, here, with signal (gdb's
 * number) in the stop reply: gdb sees its caller. fatal: the caller ends
 * the VM when gdb lets it go on (a panic).
 */
void gdb_arch_break(int signal, bool fatal);

#endif
