/*
 * Interrupt vectors for devices and timers, handed out at run time (PCI
 * MSI-X wants one per queue). A handler runs with interrupts off on the
 * interrupted thread's stack: it acknowledges, records and wakes threads,
 * and never blocks.
 */
#ifndef KERNEL_IRQ_H
#define KERNEL_IRQ_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*irq_fn)(void *ctx);

/* A free vector now routed to fn(ctx), or -ENOSPC. */
int irq_alloc(irq_fn fn, void *ctx, const char *name);

/* Runs the vector's handler; false if it has none (the caller counts it as stray). */
bool irq_dispatch(int vector);

/* Handlers running now (kernel/irq.c); read through irq_in_handler(). */
extern unsigned irq_active;

/*
 * Is an interrupt handler running? For the rules that say "not in
 * interrupts". Inline: the heap asks at every call.
 */
static inline bool irq_in_handler(void)
{
	return irq_active != 0;
}

/* Logs how often each vector with a handler fired (for the exit report). */
void irq_report(void);

#endif
