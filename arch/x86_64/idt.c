/*
 * The IDT: all 256 vectors point at their stubs in entry.asm, each on an
 * IST stack (arch/x86_64/gdt.h): double fault, NMI and machine check each
 * on its own, so a blown stack still gets a report; #DB and #BP on one,
 * which they leave at once; other exceptions on one; interrupts on
 * another, which they leave at once.
 */
#include "arch/x86_64/idt.h"

#include "arch/x86_64/gdt.h"
#include "arch/x86_64/vectors.h"

#define GATE_INTERRUPT 0x8E /* present, ring 0, 64-bit interrupt gate */

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));

struct idt_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern const uint64_t trap_stubs[VEC_COUNT];

static struct {
	struct idt_gate gate[VEC_COUNT];
} idt __attribute__((aligned(16)));

static void set_gate(int vec, uint64_t handler, int ist)
{
	idt.gate[vec] = (struct idt_gate){
		.offset_lo = handler & 0xFFFF,
		.selector = GDT_KERNEL_CODE,
		.ist = (uint8_t)ist,
		.type = GATE_INTERRUPT,
		.offset_mid = (handler >> 16) & 0xFFFF,
		.offset_hi = (uint32_t)(handler >> 32),
	};
}

void idt_init(void)
{
	struct idt_pointer ptr = { sizeof(idt.gate) - 1, (uint64_t)idt.gate };

	for (int v = 0; v < VEC_COUNT; v++)
		set_gate(v, trap_stubs[v], v < VEC_EXCEPTIONS ? IST_EXCEPTION : IST_IRQ);
	set_gate(VEC_NMI, trap_stubs[VEC_NMI], IST_NMI);
	set_gate(VEC_DOUBLE_FAULT, trap_stubs[VEC_DOUBLE_FAULT], IST_DOUBLE_FAULT);
	set_gate(VEC_MACHINE_CHECK, trap_stubs[VEC_MACHINE_CHECK], IST_MACHINE_CHECK);
	set_gate(VEC_DEBUG, trap_stubs[VEC_DEBUG], IST_DEBUG);
	set_gate(VEC_BREAKPOINT, trap_stubs[VEC_BREAKPOINT], IST_DEBUG);
	__asm__ volatile("lidt %0" : : "m"(ptr));
}
