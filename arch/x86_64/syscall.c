#include "arch/x86_64/syscall.h"

#include "arch/x86_64/arch.h"
#include "arch/x86_64/gdt.h"

#define MSR_EFER 0xC0000080
#define EFER_SCE (1u << 0) /* syscall/sysret enabled */
#define MSR_STAR 0xC0000081
#define MSR_LSTAR 0xC0000082
#define MSR_FMASK 0xC0000084
#define STAR_KERNEL_SHIFT 32 /* syscall loads CS from STAR[47:32], SS from the next slot */

#define RFLAGS_DF (1u << 10)
#define RFLAGS_AC (1u << 18)

int syscall_init(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, (uint64_t)GDT_KERNEL_CODE << STAR_KERNEL_SHIFT);
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	/* Interrupts stay on: the entry is safe against them at every instruction. */
	wrmsr(MSR_FMASK, RFLAGS_DF | RFLAGS_TF | RFLAGS_AC);
	return 0;
}

void arch_enter_app(uintptr_t entry, uintptr_t sp)
{
	__asm__ volatile("mov %1, %%rsp\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "xor %%edx, %%edx\n\t" /* no function for atexit, as from a loader */
			 "jmp *%0"
			 :
			 : "r"(entry), "r"(sp)
			 : "memory");
	__builtin_unreachable();
}
