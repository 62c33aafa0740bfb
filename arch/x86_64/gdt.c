/*
 * The GDT: a null descriptor, 64-bit kernel code, kernel data, and the TSS,
 * whose only job in long mode is to name the IST stacks that the double
 * fault, NMI and machine check handlers switch to.
 */
#include "arch/x86_64/gdt.h"

#include <string.h>

#include "kernel/page.h"
#include "kernel/stack.h"

#define IST_STACK_SIZE 8192

#define DESC_CODE64 0x00AF9A000000FFFFULL
#define DESC_DATA 0x00CF92000000FFFFULL
#define TSS_TYPE_AVAILABLE 0x89 /* present, 64-bit TSS, available */

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct gdt_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* Each IST stack has a guard page below it, unmapped by stack_init(). */
struct ist_stack {
	uint8_t guard[PAGE_SIZE];
	uint8_t stack[IST_STACK_SIZE];
};

static struct {
	struct ist_stack ist[IST_COUNT];
	uint64_t desc[5]; /* null, code, data, TSS (two slots) */
	struct tss tss;
	struct stack known[IST_COUNT];
} gdt __attribute__((aligned(PAGE_SIZE)));

static const char *const ist_names[IST_COUNT] = {
	"double-fault IST", "NMI IST",	     "machine-check IST",
	"exception IST",    "interrupt IST", "debug IST",
};

static void set_tss_descriptor(void)
{
	uint64_t base = (uint64_t)&gdt.tss, limit = sizeof(gdt.tss) - 1;

	gdt.desc[3] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 |
		      (uint64_t)TSS_TYPE_AVAILABLE << 40 | ((limit >> 16) & 0xF) << 48 |
		      ((base >> 24) & 0xFF) << 56;
	gdt.desc[4] = base >> 32;
}

void gdt_init(void)
{
	struct gdt_pointer ptr = { sizeof(gdt.desc) - 1, (uint64_t)gdt.desc };

	gdt.desc[1] = DESC_CODE64;
	gdt.desc[2] = DESC_DATA;
	memset(&gdt.tss, 0, sizeof(gdt.tss));
	for (int i = 0; i < IST_COUNT; i++) {
		gdt.known[i] = (struct stack){ .name = ist_names[i],
					       .lo = (uintptr_t)gdt.ist[i].stack,
					       .hi = (uintptr_t)gdt.ist[i].stack + IST_STACK_SIZE };
		gdt.tss.ist[i] = gdt.known[i].hi;
		stack_register_static(&gdt.known[i]);
	}
	gdt.tss.iomap_base = sizeof(gdt.tss); /* no I/O bitmap */
	set_tss_descriptor();

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ax\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%ss\n\t"
			 "ltr %w3"
			 :
			 : "m"(ptr), "i"(GDT_KERNEL_CODE), "i"(GDT_KERNEL_DATA), "r"(GDT_TSS)
			 : "rax", "memory");
}
