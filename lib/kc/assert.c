#include <assert.h>

#include "kernel/panic.h"

void __assert_fail(const char *expr, const char *file, int line, const char *func)
{
	panic("assertion failed at %s:%d in %s(): %s", file, line, func, expr);
}
