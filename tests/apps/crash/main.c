/*
 * Goes wrong on purpose, in the way argv[1] names, so that the tests can
 * check the crash report and the exit status:
 *   null    write through a NULL pointer   (page fault, status 121)
 *   opcode  execute ud2                    (invalid opcode, status 121)
 *   divide  divide by zero                 (divide error, status 121)
 *   smash   overrun a stack buffer         (stack protector, status 120)
 *   assert  fail an assertion              (panic, status 120)
 */
#include <assert.h>
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

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "";

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
	printf("crash: unknown or survived '%s'\n", how);
	return 1;
}
