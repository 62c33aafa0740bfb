#include "kernel/stack.h"

#include "arch/x86_64/arch.h"
#include "arch/x86_64/paging.h"
#include "kernel/page.h"
#include "kernel/printk.h"

/* Set by boot/entry.asm; the guard page lies right below the bottom. */
extern char boot_stack_bottom[], boot_stack_top[];

static struct stack boot_stack = {
	.name = "boot",
	.lo = (uintptr_t)boot_stack_bottom,
	.hi = (uintptr_t)boot_stack_top,
};

/* The boot stack is known from the first instruction, for crash reports. */
static struct {
	struct stack *list;
	bool paging; /* guards are unmapped from stack_init() on */
} stacks = {
	.list = &boot_stack,
};

static void link(struct stack *s)
{
	unsigned long flags = irq_save();

	s->next = stacks.list;
	stacks.list = s;
	irq_restore(flags);
}

void stack_register_static(struct stack *s)
{
	link(s);
	if (stacks.paging)
		paging_unmap(s->lo - PAGE_SIZE, PAGE_SIZE);
}

void stack_init(void)
{
	for (struct stack *s = stacks.list; s; s = s->next)
		paging_unmap(s->lo - PAGE_SIZE, PAGE_SIZE);
	stacks.paging = true;
}

/* The struct stack sits at the top of its own memory, above the usable part. */
struct stack *stack_alloc(size_t size, const char *name)
{
	size_t n = (size + sizeof(struct stack) + PAGE_SIZE - 1) / PAGE_SIZE + 1;
	char *mem = page_alloc(n);
	struct stack *s;

	if (!mem)
		return NULL;
	paging_unmap((uintptr_t)mem, PAGE_SIZE);
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

	for (struct stack **p = &stacks.list; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	irq_restore(flags);
	paging_map(mem, mem, PAGE_SIZE, PAGING_WRITE);
	page_free((void *)mem, n);
}

const struct stack *stack_find(uintptr_t addr, bool *in_guard)
{
	for (const struct stack *s = stacks.list; s; s = s->next) {
		if (addr >= s->lo - PAGE_SIZE && addr < s->hi) {
			*in_guard = addr < s->lo;
			return s;
		}
	}
	return NULL;
}
