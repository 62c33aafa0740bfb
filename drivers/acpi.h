#ifndef DRIVERS_ACPI_H
#define DRIVERS_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/ioapic.h"

/*
 * Finds the ACPI tables from the RSDP the loader copied (rsdp; 0: search
 * the BIOS area). Works on the boot page tables. A machine without ACPI is
 * no error: the functions below then find nothing. Returns 0.
 */
int acpi_init(uint64_t rsdp);

/* The PM timer's I/O port (3.579545 MHz) and whether it counts 32 bits; 0 if none. */
uint16_t acpi_pm_timer_port(bool *wide);

/* Enabled processors in the MADT, 0 if there is no MADT. */
int acpi_cpu_count(void);

/*
 * Where ISA interrupt irq comes in: the I/O APIC and pin that serve its
 * GSI (the irq itself unless the MADT overrides it), polarity and trigger.
 * 0, or -ENOENT without a MADT or an I/O APIC for it.
 */
int acpi_isa_line(unsigned irq, struct ioapic_line *l);

/*
 * Enters S5 (soft off) through the FADT's PM1 control ports and the \_S5
 * package of the DSDT. Returns only if that is impossible or did not work.
 */
void acpi_poweroff(void);

#endif
