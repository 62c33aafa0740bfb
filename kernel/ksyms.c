#include "kernel/ksyms.h"

#include <stddef.h>
#include <stdio.h>

#include "kernel/sections.h"

/* Defined by the generated ksyms.S, sorted by address. */
extern const uint64_t ksyms_count;
extern const uint64_t ksyms_addr[];
extern const uint32_t ksyms_name_off[];
extern const char ksyms_names[];

const char *ksyms_lookup(uintptr_t addr, uintptr_t *offset)
{
	size_t lo = 0, hi = ksyms_count;

	if (addr < (uintptr_t)__text_start || addr >= (uintptr_t)__text_end || !hi)
		return NULL;
	while (hi - lo > 1) { /* last entry <= addr */
		size_t mid = lo + (hi - lo) / 2;
		if (ksyms_addr[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (ksyms_addr[lo] > addr)
		return NULL;
	*offset = addr - ksyms_addr[lo];
	return ksyms_names + ksyms_name_off[lo];
}

void ksyms_describe(uintptr_t addr, char *buf, size_t size)
{
	uintptr_t off;
	const char *name = ksyms_lookup(addr, &off);

	if (name)
		snprintf(buf, size, "%s+0x%lx", name, (unsigned long)off);
	else
		snprintf(buf, size, "?");
}
