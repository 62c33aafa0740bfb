#include "kernel/irq.h"

#include <errno.h>
#include <stddef.h>

#include "arch/x86_64/arch.h"
#include "kernel/printk.h"

#define IRQ_VECTORS (IRQ_VECTOR_LAST - IRQ_VECTOR_FIRST + 1)

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
			pr_debug("irq: vector %#x for %s", IRQ_VECTOR_FIRST + i, name);
			return IRQ_VECTOR_FIRST + i;
		}
	}
	irq_restore(flags);
	pr_err("irq: no free vector for %s", name);
	return -ENOSPC;
}

void irq_free(int vector)
{
	if (vector >= IRQ_VECTOR_FIRST && vector <= IRQ_VECTOR_LAST)
		irq.vec[vector - IRQ_VECTOR_FIRST].fn = NULL;
}

bool irq_dispatch(int vector)
{
	int i = vector - IRQ_VECTOR_FIRST;

	if (i < 0 || i >= IRQ_VECTORS || !irq.vec[i].fn)
		return false;
	irq.vec[i].count++;
	irq.vec[i].fn(irq.vec[i].ctx);
	return true;
}
