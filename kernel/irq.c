#include "kernel/irq.h"

#include <errno.h>
#include <stddef.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/vectors.h"
#include "kernel/printk.h"

#define IRQ_VECTORS (VEC_IRQ_LAST - VEC_IRQ_FIRST + 1)

unsigned irq_active; /* handlers running (interrupts are off in them: at most 1) */

static struct {
	struct {
		irq_fn fn;
		void *ctx;
		const char *name;
		uint64_t count;
	} vec[IRQ_VECTORS];
} irq;

int irq_alloc(irq_fn fn, void *ctx, const char *name)
{
	unsigned long flags = irq_save();

	for (int i = 0; i < IRQ_VECTORS; i++) {
		if (!irq.vec[i].fn) {
			irq.vec[i].fn = fn;
			irq.vec[i].ctx = ctx;
			irq.vec[i].name = name;
			irq_restore(flags);
			pr_debug("irq: vector %#x for %s", VEC_IRQ_FIRST + i, name);
			return VEC_IRQ_FIRST + i;
		}
	}
	irq_restore(flags);
	pr_err("irq: no free vector for %s", name);
	return -ENOSPC;
}

bool irq_dispatch(int vector)
{
	int i = vector - VEC_IRQ_FIRST;

	if (i < 0 || i >= IRQ_VECTORS || !irq.vec[i].fn)
		return false;
	irq.vec[i].count++;
	irq_active++;
	irq.vec[i].fn(irq.vec[i].ctx);
	irq_active--;
	return true;
}

void irq_report(void)
{
	for (int i = 0; i < IRQ_VECTORS; i++)
		if (irq.vec[i].fn)
			pr_debug("irq: vector %#x (%s): %lu interrupts", VEC_IRQ_FIRST + i,
				 irq.vec[i].name, (unsigned long)irq.vec[i].count);
}
