/*
 * Stacks and their guard pages. Every stack the kernel runs on has an
 * unmapped page right below it, so an overflow faults at once instead of
 * overwriting whatever lies below; crash reports use stack_find() to say
 * which stack a stack pointer or a faulting address belongs to.
 */
#ifndef KERNEL_STACK_H
#define KERNEL_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/list.h"

struct stack {
	const char *name;
	uintptr_t lo, hi; /* usable [lo, hi); the guard page is the one below lo */
	struct list_head link;
};

/*
 * Records a stack that lives in the kernel image (the boot and IST stacks),
 * whose guard page is set aside there too. Their guards are unmapped by
 * stack_init(), which must come after every such registration.
 */
void stack_register_static(struct stack *s);

/* Unmaps the static stacks' guard pages; needs the kernel's page tables. 0 or -ENOMEM. */
int stack_init(void);

/*
 * A new stack of at least size bytes with an unmapped guard page, or NULL:
 * out of pages, or no page left to split the mapping the guard sits in (a
 * stack without its guard is never handed out).
 */
struct stack *stack_alloc(size_t size, const char *name);
void stack_free(struct stack *s);

/* Where a stack lies, as stack_find() sees it. */
struct stack_span {
	const char *name; /* the kernel stack's, or "application thread" */
	uintptr_t lo, hi; /* usable [lo, hi) */
	bool in_guard;	  /* the address was in the guard page below lo */
};

/*
 * The stack whose usable part or guard holds addr: a kernel stack, or an
 * application's mapping (a musl thread stack, whose guard is the PROT_NONE
 * mapping right below it). False if none. Safe in crash reports: it only
 * reads.
 */
bool stack_find(uintptr_t addr, struct stack_span *span);

#endif
