/*
 * What happens on a trap. Until interrupts are routed (the scheduler's
 * issue), every vector that arrives here is a CPU exception or a stray
 * interrupt; an exception ends the kernel with a crash report.
 */
#include "arch/x86_64/trap.h"

#include "arch/x86_64/arch.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/shutdown.h"

#define VEC_PAGE_FAULT 14
#define EXCEPTION_VECTORS 32

#define PF_PRESENT (1u << 0)
#define PF_WRITE (1u << 1)
#define PF_USER (1u << 2)
#define PF_RESERVED (1u << 3)
#define PF_FETCH (1u << 4)

/* Set by boot/entry.asm. */
extern const char boot_stack_bottom[], boot_stack_top[];

static const char *const exception_names[EXCEPTION_VECTORS] = {
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

static struct {
	uint64_t stray;
} trap_stats;

void trap_init(void)
{
	gdt_init();
	idt_init();
}

bool trap_find_stack(uintptr_t sp, struct stack_span *out)
{
	static const char *const ist_names[IST_COUNT + 1] = {
		[IST_DOUBLE_FAULT] = "double-fault IST",
		[IST_NMI] = "NMI IST",
		[IST_MACHINE_CHECK] = "machine-check IST",
	};

	*out = (struct stack_span){ "boot", (uintptr_t)boot_stack_bottom,
				    (uintptr_t)boot_stack_top };
	if (sp >= out->lo && sp < out->hi)
		return true;
	for (int i = 1; i <= IST_COUNT; i++) {
		gdt_ist_stack((enum ist_slot)i, &out->lo, &out->hi);
		out->name = ist_names[i];
		if (sp >= out->lo && sp < out->hi)
			return true;
	}
	return false;
}

static void report_page_fault(const struct trap_frame *f, uint64_t cr2)
{
	uint64_t e = f->error;

	pr_crit("  %s of address %#lx: %s%s%s",
		e & PF_FETCH   ? "instruction fetch"
		: e & PF_WRITE ? "write"
			       : "read",
		(unsigned long)cr2, e & PF_PRESENT ? "protection violation" : "page not mapped",
		e & PF_RESERVED ? ", reserved bit set" : "",
		cr2 < 4096 ? " (NULL pointer dereference)" : "");
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

static __attribute__((noreturn)) void crash(const struct trap_frame *f)
{
	const char *name = exception_names[f->vector];
	uint64_t cr2 = read_cr2();
	struct stack_span st;

	panic_enter(EXIT_CRASH);
	pr_crit("CRASH: %s, vector %lu, error code %#lx", name ? name : "reserved exception",
		(unsigned long)f->vector, (unsigned long)f->error);
	if (f->vector == VEC_PAGE_FAULT)
		report_page_fault(f, cr2);
	report_registers(f);
	if (trap_find_stack(f->rsp, &st))
		pr_crit("  stack: %s [%#lx-%#lx)", st.name, (unsigned long)st.lo,
			(unsigned long)st.hi);
	panic_backtrace(f->rip, f->rbp, f->rsp);
	shutdown_exit(EXIT_CRASH);
}

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector < EXCEPTION_VECTORS)
		crash(f);
	trap_stats.stray++;
	pr_warn("trap: stray interrupt on vector %lu (%lu so far); ignored",
		(unsigned long)f->vector, (unsigned long)trap_stats.stray);
}
