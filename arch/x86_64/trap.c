/*
 * What happens on a trap: #NM is lazy FPU switching; #DB and #BP may be
 * gdb's (kernel/gdbstub.c); a #PF or #GP in one of the copies of
 * application memory resumes at its fixup (an -EFAULT); any other CPU
 * exception ends the kernel with a crash report; an interrupt goes to the
 * handler kernel/irq.c routes it to, and may switch threads on the way out.
 */
#include "arch/x86_64/trap.h"

#include "arch/x86_64/arch.h"
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/gdb_arch.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/vectors.h"
#include <string.h>

#include "kernel/gdbstub.h"
#include "kernel/irq.h"
#include "kernel/ksyms.h"
#include "kernel/page.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/sections.h"
#include "kernel/shutdown.h"
#include "kernel/stack.h"
#include "sched/sched.h"

#define PF_PRESENT (1u << 0)
#define PF_WRITE (1u << 1)
#define PF_USER (1u << 2)
#define PF_RESERVED (1u << 3)
#define PF_FETCH (1u << 4)

static const char *const exception_names[VEC_EXCEPTIONS] = {
	[0] = "divide error (#DE)",
	[1] = "debug (#DB)",
	[2] = "non-maskable interrupt (NMI)",
	[3] = "breakpoint (#BP)",
	[4] = "overflow (#OF)",
	[5] = "bound range exceeded (#BR)",
	[6] = "invalid opcode (#UD)",
	[7] = "device not available (#NM)",
	[8] = "double fault (#DF)",
	[9] = "coprocessor segment overrun",
	[10] = "invalid TSS (#TS)",
	[11] = "segment not present (#NP)",
	[12] = "stack-segment fault (#SS)",
	[13] = "general protection fault (#GP)",
	[14] = "page fault (#PF)",
	[16] = "x87 floating-point error (#MF)",
	[17] = "alignment check (#AC)",
	[18] = "machine check (#MC)",
	[19] = "SIMD floating-point exception (#XM)",
	[20] = "virtualization exception (#VE)",
	[21] = "control protection exception (#CP)",
	[28] = "hypervisor injection exception (#HV)",
	[29] = "VMM communication exception (#VC)",
	[30] = "security exception (#SX)",
};

/* An instruction that may fault on purpose, and where it resumes (arch/x86_64/uaccess.asm). */
struct extable_entry {
	uint64_t insn, fixup;
};

extern const struct extable_entry __start_ceres_extable[], __stop_ceres_extable[];

static struct {
	uint64_t stray, spurious;
} trap_stats;

static uintptr_t fixup_for(uintptr_t rip)
{
	for (const struct extable_entry *e = __start_ceres_extable; e < __stop_ceres_extable; e++)
		if (e->insn == rip)
			return e->fixup;
	return 0;
}

int trap_init(void)
{
	gdt_init();
	idt_init();
	return 0;
}

/* What lies at addr, for a page fault report. */
static const char *region_of(uint64_t addr)
{
	if (addr < PAGE_SIZE)
		return " (NULL pointer dereference)";
	if (addr >= (uint64_t)__text_start && addr < (uint64_t)__text_end)
		return " in kernel code, which is read-only";
	if (addr >= (uint64_t)__rodata_start && addr < (uint64_t)__rodata_end)
		return " in read-only data";
	if (addr >= (uint64_t)__data_start && addr < (uint64_t)__kernel_end)
		return " in kernel data, which is not executable";
	return "";
}

static void report_page_fault(const struct trap_frame *f, uint64_t cr2)
{
	uint64_t e = f->error;

	pr_crit("  %s of address %#lx: %s%s%s",
		e & PF_FETCH   ? "instruction fetch"
		: e & PF_WRITE ? "write"
			       : "read",
		(unsigned long)cr2, e & PF_PRESENT ? "protection violation" : "page not mapped",
		e & PF_RESERVED ? ", reserved bit set" : "", region_of(cr2));
}

static void report_registers(const struct trap_frame *f)
{
	pr_crit("  rax %016lx rbx %016lx rcx %016lx", f->rax, f->rbx, f->rcx);
	pr_crit("  rdx %016lx rsi %016lx rdi %016lx", f->rdx, f->rsi, f->rdi);
	pr_crit("  rbp %016lx rsp %016lx r8  %016lx", f->rbp, f->rsp, f->r8);
	pr_crit("  r9  %016lx r10 %016lx r11 %016lx", f->r9, f->r10, f->r11);
	pr_crit("  r12 %016lx r13 %016lx r14 %016lx", f->r12, f->r13, f->r14);
	pr_crit("  r15 %016lx rip %016lx rflags %08lx", f->r15, f->rip, f->rflags);
	pr_crit("  cs %04lx ss %04lx cr0 %08lx cr2 %016lx cr3 %08lx cr4 %08lx", f->cs, f->ss,
		read_cr0(), read_cr2(), read_cr3(), read_cr4());
}

/* Names the stack rsp is on, and an overflow when the fault hit a guard page. */
static void report_stack(const struct trap_frame *f, uint64_t cr2)
{
	struct stack_span s, hit;

	if (stack_find(f->rsp, &s))
		pr_crit("  stack: %s [%#lx-%#lx)%s", s.name, (unsigned long)s.lo,
			(unsigned long)s.hi, s.in_guard ? ", rsp in its guard page" : "");
	else
		pr_crit("  stack: rsp %#lx is on no known stack", (unsigned long)f->rsp);
	if ((f->vector == VEC_PAGE_FAULT || f->vector == VEC_DOUBLE_FAULT) &&
	    stack_find(cr2, &hit) && hit.in_guard)
		pr_crit("  STACK OVERFLOW: the %s stack ran into its guard page at %#lx", hit.name,
			(unsigned long)cr2);
}

/*
 * An int3 in the application's code is a hlt that tools/trap-hlt.sh
 * rewrote: musl stopping itself on purpose (a_crash()). Said as such, with
 * a panic's status; stack smashing is named for the function that smashed.
 */
static bool report_app_stop(const struct trap_frame *f)
{
	uintptr_t at = f->rip - 1, off;
	const char *fn;

	if (f->vector != VEC_BREAKPOINT || at < (uintptr_t)__app_text_start ||
	    at >= (uintptr_t)__text_end)
		return false;
	fn = ksyms_lookup(at, &off);
	if (fn && !strncmp(fn, "__stack_chk_fail", strlen("__stack_chk_fail"))) { /* or _local */
		const char *caller = ksyms_lookup(*(const uintptr_t *)f->rsp - 1, &off);

		pr_crit("PANIC: stack smashing detected in %s()",
			caller ? caller : "an unknown function");
	} else {
		pr_crit("PANIC: the application stopped itself in %s (musl's a_crash(): a failed "
			"check, such as heap corruption)",
			fn ? fn : "unknown code");
	}
	return true;
}

static __attribute__((noreturn)) void crash(struct trap_frame *f)
{
	const char *name = exception_names[f->vector];
	uint64_t cr2 = read_cr2();
	bool stopped;

	panic_enter(EXIT_CRASH);
	stopped = report_app_stop(f);
	if (!stopped)
		pr_crit("CRASH: %s, vector %lu, error code %#lx",
			name ? name : "reserved exception", (unsigned long)f->vector,
			(unsigned long)f->error);
	pr_crit("  in thread %lu '%s'", (unsigned long)thread_id(thread_self()),
		thread_name(thread_self()));
	if (f->vector == VEC_PAGE_FAULT)
		report_page_fault(f, cr2);
	report_registers(f);
	report_stack(f, cr2);
	/* A fetch fault at the very address jumped to: the call had just pushed. */
	panic_backtrace(f->rip, f->rbp, f->rsp,
			f->vector == VEC_PAGE_FAULT && f->error & PF_FETCH && f->rip == cr2);
	sched_dump();
	/* With the stub on, gdb may look at the crash first: it sees the faulting line. */
	gdb_arch_crash(f);
	shutdown_exit(stopped ? EXIT_PANIC : EXIT_CRASH);
}

/*
 * Exceptions end the kernel; interrupts go to their handler, are
 * acknowledged, and may switch threads on the way out (docs/scheduler.md).
 */
void trap_dispatch(struct trap_frame *f)
{
	uintptr_t fixup;

	if (f->vector == VEC_DEVICE_NOT_AVAILABLE && fpu_trap())
		return;
	/* gdb's breakpoints and steps (kernel/gdbstub.c). */
	if ((f->vector == VEC_BREAKPOINT || f->vector == VEC_DEBUG) && gdb_arch_trap(f))
		return;
	/* The application's memory is zeroed on first touch (kernel/mmap.c). */
	if (f->vector == VEC_PAGE_FAULT && !(f->error & PF_PRESENT) && paging_fault(read_cr2()))
		return;
	if ((f->vector == VEC_PAGE_FAULT || f->vector == VEC_GENERAL_PROTECTION) &&
	    (fixup = fixup_for(f->rip))) {
		f->rip = fixup;
		return;
	}
	if (f->vector < VEC_EXCEPTIONS)
		crash(f);
	if (f->vector == VEC_LAPIC_SPURIOUS) {
		trap_stats.spurious++; /* no EOI for a spurious interrupt */
		return;
	}
	if (!irq_dispatch((int)f->vector)) {
		trap_stats.stray++;
		pr_warn("trap: stray interrupt on vector %lu (%lu so far); ignored",
			(unsigned long)f->vector, (unsigned long)trap_stats.stray);
	}
	lapic_eoi();
	/* A stop gdb asked for (Ctrl-C) takes the interrupted thread as it stands. */
	gdbstub_irq_exit(f);
	sched_irq_exit(f);
}

void trap_report(void)
{
	if (trap_stats.stray || trap_stats.spurious)
		pr_warn("trap: %lu stray and %lu spurious interrupts",
			(unsigned long)trap_stats.stray, (unsigned long)trap_stats.spurious);
}
