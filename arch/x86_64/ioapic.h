/*
 * The I/O APIC, as far as one legacy device's interrupt needs it: its line
 * routed to a vector on this CPU. Ceres's devices use MSI-X; the gdb
 * stub's serial port (an ISA device) has only a line (kernel/gdbstub.c).
 */
#ifndef ARCH_X86_64_IOAPIC_H
#define ARCH_X86_64_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Where a line comes in, as the ACPI MADT says (drivers/acpi.c). */
struct ioapic_line {
	uint64_t base; /* the I/O APIC's registers, a physical address */
	unsigned pin;  /* its input: the line's GSI less the I/O APIC's first */
	bool active_low, level;
};

/*
 * Delivers the line as vector to this CPU's LAPIC (after lapic_init()).
 * 0, -ENOMEM (no mapping for the registers) or -EINVAL (no such pin).
 */
int ioapic_route(const struct ioapic_line *l, uint8_t vector);

#endif
