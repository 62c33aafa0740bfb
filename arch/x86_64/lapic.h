/*
 * The local APIC: interrupt acknowledgement and the one-shot timer. x2APIC
 * (MSRs) when the CPU has it, xAPIC (memory mapped) otherwise; the timer in
 * TSC-deadline mode when available, one-shot count mode otherwise.
 */
#ifndef ARCH_X86_64_LAPIC_H
#define ARCH_X86_64_LAPIC_H

#include <stdint.h>

/* Masks the 8259 PICs, enables the LAPIC and calibrates its timer. 0 or -ENOMEM. */
int lapic_init(void);

/* This CPU's LAPIC id, as an I/O APIC names its destination. */
uint32_t lapic_id(void);

/* Acknowledges the interrupt being handled. */
void lapic_eoi(void);

/*
 * Fires vector once at TSC value deadline (or at once if it has passed).
 * A deadline beyond the timer's reach fires early; the handler re-arms.
 */
void lapic_timer_arm(uint8_t vector, uint64_t deadline_tsc);

#endif
