/*
 * The host tests' stand-in for arch/x86_64/arch.h: tests/unit/run.sh puts
 * tests/unit/host first on the include path, so modules under test that
 * turn interrupts off (a privileged instruction) get a flag instead. The
 * tests are single-threaded, so nothing else is needed.
 */
#ifndef ARCH_X86_64_ARCH_H
#define ARCH_X86_64_ARCH_H

#include <stdbool.h>
#include <stdint.h>

extern bool fake_irqs_off; /* tests/unit/fake_kernel.c */

static inline void irq_disable(void)
{
	fake_irqs_off = true;
}

static inline void irq_enable(void)
{
	fake_irqs_off = false;
}

static inline unsigned long irq_save(void)
{
	unsigned long was_on = !fake_irqs_off;

	fake_irqs_off = true;
	return was_on;
}

static inline void irq_restore(unsigned long flags)
{
	fake_irqs_off = !flags;
}

static inline bool irqs_enabled(void)
{
	return !fake_irqs_off;
}

static inline void cpu_relax(void)
{
}

/* sched.h's running thread: none on the host (tests that need one fake it). */
static inline void *arch_thread_pointer(void)
{
	return 0;
}

static inline void *arch_thread_word(unsigned long offset)
{
	(void)offset;
	return 0;
}

static inline bool arch_cmpxchg_ptr(void **word, void *from, void *to)
{
	return __sync_bool_compare_and_swap(word, from, to);
}

#endif
