#include "kernel/panic.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "kernel/gdbstub.h"
#include "kernel/ksyms.h"
#include "kernel/printk.h"
#include "kernel/sections.h"
#include "kernel/shutdown.h"
#include "kernel/stack.h"
#include "sched/sched.h"

#define BACKTRACE_MAX 32
#define PANIC_MSG_MAX 256

static struct {
	int depth;
} panic_state;

void panic_enter(int status)
{
	irq_disable();
	if (panic_state.depth++) {
		pr_crit("panic: fault while reporting a fault; giving up");
		shutdown_exit(status);
	}
}

/*
 * A return address points after its call, which may be the last instruction
 * of a function that does not return: look up the byte before it.
 */
static void print_frame(int i, uintptr_t addr, int is_return)
{
	uintptr_t off;
	const char *name = ksyms_lookup(addr - (is_return ? 1 : 0), &off);

	if (name)
		pr_crit("  #%-2d %#018lx %s+0x%lx", i, (unsigned long)addr, name,
			(unsigned long)(off + (is_return ? 1 : 0)));
	else
		pr_crit("  #%-2d %#018lx ?", i, (unsigned long)addr);
}

/* Is ret the return address of a direct call to the function holding rip? */
static bool returns_from_call_to(uintptr_t ret, uintptr_t rip)
{
	uintptr_t off, ret_off;

	/* Both in kernel text: the bytes before ret are mapped. */
	if (!ksyms_lookup(rip, &off) || !ksyms_lookup(ret - X86_CALL_REL32_LEN, &ret_off))
		return false;
	return arch_call_target(ret) == rip - off;
}

/*
 * Where frame pointers run out (musl's code keeps none), the words on the
 * stack that are return addresses: each points into code, right after a
 * call. Some may be stale, left by calls that have returned.
 */
static void scan(int i, uintptr_t sp, const struct stack_span *st)
{
	uintptr_t off;
	const char *fn;

	pr_crit("  (no frame pointer goes further; return addresses found on the stack:)");
	for (uintptr_t a = sp; a + 8 <= st->hi && i < BACKTRACE_MAX; a += 8) {
		uintptr_t w = *(const uintptr_t *)a;

		if (w < (uintptr_t)__text_start + 8 || w >= (uintptr_t)__text_end ||
		    !(fn = ksyms_lookup(w - 1, &off)) || !arch_is_return_address(w))
			continue;
		print_frame(i++, w, 1);
		if (!strcmp(fn, "_start"))
			break; /* the application's first frame: above it lie the kernel's, spent */
	}
}

/*
 * Walks saved frame pointers: [rbp] is the caller's rbp, [rbp+8] the return
 * address. A frame is trusted only inside the stack that sp lies in, 8-byte
 * aligned and above the one before it; boot/entry.asm and the application's
 * start begin the chain at 0. gcc gives leaf functions no frame, so when the
 * word at sp is a return address into a call of the faulting function (or
 * the caller says it is one), that caller comes first. A chain that breaks
 * before its end goes on as a stack scan.
 */
void panic_backtrace(uintptr_t rip, uintptr_t rbp, uintptr_t sp, bool sp_is_return)
{
	struct stack_span st;
	uintptr_t off, low = sp;
	int i = 0;

	pr_crit("backtrace:");
	print_frame(i++, rip, 0);
	if (!stack_find(sp, &st) || sp % 8) {
		pr_crit("  (rsp %#lx is on no known stack; not walking it)", (unsigned long)sp);
		return;
	}
	if (sp + 8 <= st.hi && !st.in_guard &&
	    (sp_is_return || returns_from_call_to(*(const uintptr_t *)sp, rip))) {
		print_frame(i++, *(const uintptr_t *)sp, 1);
		low = sp + 8;
	}
	while (i < BACKTRACE_MAX && rbp) {
		uintptr_t ret, next;

		if (rbp < sp || rbp < st.lo || rbp % 8 || rbp + 16 > st.hi)
			break; /* not a frame of this stack */
		ret = ((const uintptr_t *)rbp)[1];
		next = ((const uintptr_t *)rbp)[0];
		if (!ret)
			return;
		if (!ksyms_lookup(ret - 1, &off))
			break;
		print_frame(i++, ret, 1);
		low = rbp + 16;
		if (next && next <= rbp)
			break;
		rbp = next;
	}
	if (rbp && i < BACKTRACE_MAX && !st.in_guard)
		scan(i, low, &st);
}

void panic(const char *fmt, ...)
{
	char msg[PANIC_MSG_MAX];
	const uintptr_t *fp;
	va_list ap;

	panic_enter(EXIT_PANIC);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_crit("PANIC: %s", msg);
	fp = (const uintptr_t *)read_frame_pointer();
	panic_backtrace(fp[1], fp[0], (uintptr_t)fp, false);
	sched_dump();
	gdbstub_fatal("panic");
	shutdown_exit(EXIT_PANIC);
}

/*
 * Stack protector support (-fstack-protector-strong with a global guard).
 * The guard starts as a constant and is replaced at boot by
 * panic_init_canary(), which itself has no canary to check.
 */
uintptr_t __stack_chk_guard = 0x595e9fbd94fda766;

__attribute__((no_stack_protector)) void panic_init_canary(uint64_t seed)
{
	__stack_chk_guard ^= seed * 0x9E3779B97F4A7C15ULL;
}

void __stack_chk_fail(void)
{
	uintptr_t ret = (uintptr_t)__builtin_return_address(0), off;
	const char *fn = ksyms_lookup(ret - 1, &off);

	panic("stack smashing detected in %s()", fn ? fn : "an unknown function");
}
