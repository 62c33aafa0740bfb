/*
 * Goes wrong on purpose, in the way argv[1] names, so that the tests can
 * check the crash report and the exit status:
 *   null    write through a NULL pointer   (page fault, status 121)
 *   opcode  execute ud2                    (invalid opcode, status 121)
 *   divide  divide by zero                 (divide error, status 121)
 *   smash   overrun a stack buffer         (stack protector, status 120)
 *   assert  fail an assertion              (SIGABRT, status 120)
 *   term    raise(SIGTERM)                 (its default action, status 120)
 *   text    write into the kernel's code   (page fault, status 121)
 *   nx      run code in a data page        (page fault, status 121)
 *   stack   recurse until the stack ends   (guard page, status 121)
 *   bigframe  a 100 KiB frame on a thread's 64 KiB stack, stepping past
 *             its guard page in one go (guard page, status 121)
 * stdout is line buffered, so that what was printed before the crash is
 * out (a pipe, as the console is, gets full buffering otherwise).
 */
#include <assert.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int *volatile null_pointer;
static volatile int zero;
static volatile size_t overrun = 64;

__attribute__((noinline)) static void crash_null(void)
{
	*null_pointer = 42;
}

__attribute__((noinline)) static void crash_opcode(void)
{
	__builtin_trap();
}

__attribute__((noinline)) static int crash_divide(int x)
{
	return x / zero;
}

__attribute__((noinline)) static void crash_smash(void)
{
	char buf[16];

	memset(buf, 'A', overrun);
	printf("buffer: %.4s\n", buf);
}

__attribute__((noinline)) static void crash_assert(int argc)
{
	assert(argc == 0);
}

__attribute__((noinline)) static void crash_text(void)
{
	*(volatile unsigned char *)(uintptr_t)crash_opcode = 0x90;
}

/* A "ret" in writable data: fetching it must fault (NX). */
static unsigned char data_code[16] = { 0xC3 };

__attribute__((noinline)) static void crash_nx(void)
{
	void (*volatile fn)(void) = (void (*)(void))data_code;

	fn();
}

/*
 * Each call keeps a page-sized buffer live, so the stack runs out fast; the
 * depth limit only hides the recursion from gcc, it is never reached.
 */
static volatile int depth_limit = 1 << 30;

__attribute__((noinline)) static int crash_stack(int depth)
{
	volatile char pad[4096];

	pad[0] = (char)depth;
	if (depth > depth_limit)
		return 0;
	return crash_stack(depth + 1) + pad[0];
}

/*
 * Built with -fstack-clash-protection, the frame is probed a page at a time
 * and the first probe lands in the guard; without, the writes land in
 * whatever lies below the stack.
 */
__attribute__((noinline)) static int crash_bigframe(int x)
{
	volatile char big[100 * 1024];

	big[0] = (char)x;
	big[sizeof(big) - 1] = (char)x;
	return big[x];
}

static void *bigframe_thread(void *arg)
{
	return (void *)(intptr_t)crash_bigframe((int)(intptr_t)arg);
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("crash: going wrong with '%s'\n", how);
	if (!strcmp(how, "null"))
		crash_null();
	else if (!strcmp(how, "opcode"))
		crash_opcode();
	else if (!strcmp(how, "divide"))
		printf("%d\n", crash_divide(argc));
	else if (!strcmp(how, "smash"))
		crash_smash();
	else if (!strcmp(how, "assert"))
		crash_assert(argc);
	else if (!strcmp(how, "term"))
		raise(SIGTERM);
	else if (!strcmp(how, "text"))
		crash_text();
	else if (!strcmp(how, "nx"))
		crash_nx();
	else if (!strcmp(how, "stack"))
		printf("%d\n", crash_stack(0));
	else if (!strcmp(how, "bigframe")) {
		pthread_attr_t attr;
		pthread_t t;

		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 64 * 1024);
		pthread_create(&t, &attr, bigframe_thread, (void *)(intptr_t)1);
		pthread_join(t, NULL);
	}
	printf("crash: unknown or survived '%s'\n", how);
	return 1;
}
