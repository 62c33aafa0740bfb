#include "kernel/stack.h"

#include "kernel/mmap.h"

#include "arch/x86_64/arch.h"
#include "arch/x86_64/paging.h"
#include "boot/boot.h"
#include "kernel/page.h"
#include "kernel/printk.h"

static struct stack boot_stack;

/* Every stack, for crash reports; the boot stack from the first instruction on. */
static struct {
	struct list_head all; /* changed with interrupts off */
	uint64_t lost_guards; /* guard pages that could not be mapped again */
} stacks = {
	.all = { &boot_stack.link, &boot_stack.link },
};

static struct stack boot_stack = {
	.name = "boot",
	.lo = (uintptr_t)boot_stack_bottom,
	.hi = (uintptr_t)boot_stack_top,
	.link = { &stacks.all, &stacks.all },
};

static void link(struct stack *s)
{
	unsigned long flags = irq_save();

	list_add_tail(&s->link, &stacks.all);
	irq_restore(flags);
}

void stack_register_static(struct stack *s)
{
	link(s);
}

int stack_init(void)
{
	list_for_each(l, &stacks.all)
	{
		int err =
			paging_unmap(list_entry(l, struct stack, link)->lo - PAGE_SIZE, PAGE_SIZE);

		if (err)
			return err;
	}
	return 0;
}

/* The struct stack sits at the top of its own memory, above the usable part. */
struct stack *stack_alloc(size_t size, const char *name)
{
	size_t n = (size + sizeof(struct stack) + PAGE_SIZE - 1) / PAGE_SIZE + 1;
	char *mem = page_alloc(n);
	struct stack *s;

	if (!mem)
		return NULL;
	if (paging_unmap((uintptr_t)mem, PAGE_SIZE) < 0) {
		page_free(mem, n);
		return NULL;
	}
	s = (struct stack *)(mem + n * PAGE_SIZE) - 1;
	s->name = name;
	s->lo = (uintptr_t)mem + PAGE_SIZE;
	s->hi = (uintptr_t)s & ~(uintptr_t)15;
	link(s);
	return s;
}

void stack_free(struct stack *s)
{
	uintptr_t mem = s->lo - PAGE_SIZE;
	size_t n = ((uintptr_t)(s + 1) - mem) / PAGE_SIZE;
	unsigned long flags = irq_save();

	list_del(&s->link);
	irq_restore(flags);
	/* A guard that cannot be mapped again (no page for a table) stays out of use. */
	if (paging_map(mem, mem, PAGE_SIZE, PAGING_WRITE) < 0) {
		pr_warn("stack: no memory to map the guard page at %#lx again; it stays unused "
			"(%lu so far)",
			(unsigned long)mem, (unsigned long)++stacks.lost_guards);
		page_free((void *)(mem + PAGE_SIZE), n - 1);
		return;
	}
	page_free((void *)mem, n);
}

bool stack_find(uintptr_t addr, struct stack_span *span)
{
	list_for_each(l, &stacks.all)
	{
		const struct stack *s = list_entry(l, struct stack, link);

		if (addr >= s->lo - PAGE_SIZE && addr < s->hi) {
			*span = (struct stack_span){ s->name, s->lo, s->hi, addr < s->lo };
			return true;
		}
	}
	span->name = "application thread";
	return mmap_find_stack(addr, &span->lo, &span->hi, &span->in_guard);
}
