/*
 * The small x86_64 API the rest of the kernel calls: port I/O, CPUID, MSRs,
 * control registers, the TSC and interrupt state. Everything here is a
 * single instruction or close to it, so it is inline.
 */
#ifndef ARCH_X86_64_ARCH_H
#define ARCH_X86_64_ARCH_H

#include <stdbool.h>
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

#define DEFINE_CR_ACCESS(n)                                                \
	static inline uint64_t read_cr##n(void)                            \
	{                                                                  \
		uint64_t v;                                                \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));          \
		return v;                                                  \
	}                                                                  \
	static inline void write_cr##n(uint64_t v)                         \
	{                                                                  \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); \
	}
DEFINE_CR_ACCESS(0)
DEFINE_CR_ACCESS(2)
DEFINE_CR_ACCESS(3)
DEFINE_CR_ACCESS(4)
#undef DEFINE_CR_ACCESS

#define MSR_FS_BASE 0xC0000100
#define MSR_GS_BASE 0xC0000101

/* The FS base (the thread pointer for TLS); wrfsbase when CR4.FSGSBASE is on. */
static inline void set_fs_base(uint64_t base, bool fsgsbase)
{
	if (fsgsbase)
		__asm__ volatile("wrfsbase %0" : : "r"(base) : "memory");
	else
		wrmsr(MSR_FS_BASE, base);
}

/*
 * The kernel's own per-thread pointer lives in the GS base (the FS base
 * belongs to TLS): base points at a word holding the pointer, so reading
 * it is one load from %gs:0.
 */
static inline void arch_set_thread_pointer(void *base, bool fsgsbase)
{
	if (fsgsbase)
		__asm__ volatile("wrgsbase %0" : : "r"(base) : "memory");
	else
		wrmsr(MSR_GS_BASE, (uint64_t)base);
}

static inline void *arch_thread_pointer(void)
{
	void *p;

	__asm__("movq %%gs:0, %0" : "=r"(p));
	return p;
}

/* The word at offset in the running thread's struct (through the GS base). */
static inline void *arch_thread_word(unsigned long offset)
{
	void *p;

	__asm__("movq %%gs:(%1), %0" : "=r"(p) : "r"(offset));
	return p;
}

/*
 * Replaces *word with to if it holds from; says whether it did. One
 * cmpxchg: on our one CPU no interrupt can cut it, so it needs no lock
 * prefix (which emulators make slow).
 */
static inline bool arch_cmpxchg_ptr(void **word, void *from, void *to)
{
	void *seen = from;

	__asm__ volatile("cmpxchgq %2, %1" : "+a"(seen), "+m"(*word) : "r"(to) : "memory", "cc");
	return seen == from;
}

static inline void xsetbv(uint32_t reg, uint64_t v)
{
	__asm__ volatile("xsetbv" : : "c"(reg), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void irq_disable(void)
{
	__asm__ volatile("cli" : : : "memory");
}

static inline void irq_enable(void)
{
	__asm__ volatile("sti" : : : "memory");
}

/* Disables interrupts; returns the previous state for irq_restore(). */
static inline unsigned long irq_save(void)
{
	unsigned long flags;

	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

#define RFLAGS_TF (1UL << 8) /* single-step: a #DB after each instruction */
#define RFLAGS_IF (1UL << 9)
#define RFLAGS_RF (1UL << 16) /* the next instruction's breakpoint does not fire */

static inline void irq_restore(unsigned long flags)
{
	if (flags & RFLAGS_IF)
		irq_enable();
}

static inline bool irqs_enabled(void)
{
	unsigned long flags;

	__asm__ volatile("pushfq; popq %0" : "=r"(flags));
	return flags & RFLAGS_IF;
}

/*
 * Enables interrupts and halts until the next one, with no gap between: sti
 * holds interrupts off for one more instruction, so one that is already
 * pending wakes the hlt instead of slipping in before it.
 */
static inline void arch_idle(void)
{
	__asm__ volatile("sti; hlt" : : : "memory");
}

static inline void invlpg(uintptr_t addr)
{
	__asm__ volatile("invlpg (%0)" : : "r"(addr) : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause");
}

/* Stops the CPU for good: interrupts off, then halt forever. */
static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

static inline uintptr_t read_frame_pointer(void)
{
	return (uintptr_t)__builtin_frame_address(0);
}

#define X86_CALL_REL32 0xE8 /* call rel32: the opcode, then a 4-byte displacement */
#define X86_CALL_REL32_LEN 5

/*
 * If ret is the return address of a direct call (call rel32), the call's
 * target; else 0. The caller makes sure the 5 bytes before ret are mapped.
 */
static inline uintptr_t arch_call_target(uintptr_t ret)
{
	int32_t rel;

	if (*(const uint8_t *)(ret - X86_CALL_REL32_LEN) != X86_CALL_REL32)
		return 0;
	__builtin_memcpy(&rel, (const void *)(ret - sizeof(rel)), sizeof(rel));
	return ret + (uintptr_t)(intptr_t)rel;
}

/* The length of an indirect call (FF /2) whose ModRM byte is m. */
static inline unsigned x86_call_indirect_len(uint8_t m)
{
	unsigned mod = m >> 6, rm = m & 7, len = 2;

	if (mod == 0 && rm == 5)
		return 6; /* rip-relative */
	if (mod == 1)
		len += 1;
	if (mod == 2)
		len += 4;
	if (mod != 3 && rm == 4)
		len += 1; /* a SIB byte, which may name a 4-byte displacement of its own */
	return len;
}

/*
 * Do the bytes before ret hold a call that returns there (call rel32, or
 * an indirect call with or without a REX prefix)? The caller makes sure
 * the 8 bytes before ret are mapped. For stack scans, where frame pointers
 * are missing (musl's code has none).
 */
static inline bool arch_is_return_address(uintptr_t ret)
{
	const uint8_t *p = (const uint8_t *)ret;

	if (p[-X86_CALL_REL32_LEN] == X86_CALL_REL32)
		return true;
	for (unsigned len = 2; len <= 7; len++) {
		const uint8_t *op = p - len;

		if (op[0] != 0xFF || ((op[1] >> 3) & 7) != 2)
			continue;
		if (x86_call_indirect_len(op[1]) +
			    ((op[1] & 0xC7) == 0x04 && (op[2] & 7) == 5 ? 4 : 0) ==
		    len)
			return true;
	}
	return false;
}

#endif
