#include "arch/x86_64/paging.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "kernel/page.h"
#include "kernel/printk.h"
#include "kernel/sections.h"

#define PTE_PRESENT (1ULL << 0)
#define PTE_WRITE (1ULL << 1)
#define PTE_PWT (1ULL << 3)
#define PTE_PCD (1ULL << 4)
#define PTE_HUGE (1ULL << 7)
#define PTE_NX (1ULL << 63)
/*
 * Bits the CPU ignores in an entry that is not present, kept for the
 * application's zero-fill pages (paging_set_lazy): the page is its own
 * (identity mapped) but not yet zeroed, and the rest say what it may be
 * once it is.
 */
#define PTE_LAZY (1ULL << 9)
#define PTE_LAZY_ACCESS (1ULL << 10)
#define PTE_LAZY_WRITE (1ULL << 11)
#define PTE_LAZY_EXEC (1ULL << 52)
#define PTE_ADDR 0x000FFFFFFFFFF000ULL
#define CR0_WP (1ULL << 16)

#define ENTRIES 512
#define HUGE_SIZE (2UL << 20)
#define LOW_MEMORY (1UL << 20)
/* Identity mapping can cover the canonical lower half; devices above it go here. */
#define LOWER_HALF_END (1ULL << 47)
#define DEVICE_WINDOW 0xFFFFC00000000000ULL
/* One page below the device window: the writable alias (paging_alias). */
#define ALIAS_WINDOW (DEVICE_WINDOW - PAGE_SIZE)

static struct {
	uint64_t *pml4;
	uint64_t nx; /* PTE_NX if the CPU has it, else 0 (the bit is reserved) */
	uint64_t device_next;
	uint64_t
		tables; /* page-table pages in use (freed when a 2 MiB page takes a table's place) */
	uint64_t lazy_faults; /* zero-fill pages filled on first touch */
} paging;

static int map_locked(uint64_t virt, uint64_t phys, size_t size, unsigned flags);

static uint64_t pte_flags(unsigned flags)
{
	uint64_t f = PTE_PRESENT;

	if (flags & PAGING_WRITE)
		f |= PTE_WRITE;
	if (!(flags & PAGING_EXEC))
		f |= paging.nx;
	if (flags & PAGING_UNCACHED)
		f |= PTE_PCD | PTE_PWT;
	return f;
}

static uint64_t *new_table(void)
{
	uint64_t *t = page_alloc(1);

	if (t) {
		memset(t, 0, PAGE_SIZE);
		paging.tables++;
	}
	return t;
}

static unsigned index_at(uint64_t virt, int level)
{
	return (virt >> (PAGE_SHIFT + 9 * (level - 1))) & (ENTRIES - 1);
}

/* Replaces the 2 MiB page in *pde with a table of 512 4 KiB pages alike. */
static int split_huge(uint64_t *pde)
{
	uint64_t *t = new_table(), base = *pde & PTE_ADDR & ~(HUGE_SIZE - 1);
	uint64_t flags = *pde & ~PTE_ADDR & ~PTE_HUGE;

	if (!t)
		return -ENOMEM;
	for (int i = 0; i < ENTRIES; i++)
		t[i] = (base + (uint64_t)i * PAGE_SIZE) | flags;
	*pde = (uint64_t)t | PTE_PRESENT | PTE_WRITE;
	return 0;
}

/*
 * The entry for virt at level (1: 4 KiB page, 2: 2 MiB page), making the
 * tables above it as needed (and splitting a 2 MiB page if level is 1).
 * NULL if create is false and there is none, or out of memory.
 */
static uint64_t *entry_for(uint64_t virt, int level, bool create)
{
	uint64_t *t = paging.pml4;

	for (int l = 4; l > level; l--) {
		uint64_t *e = &t[index_at(virt, l)];

		if (*e & PTE_PRESENT && *e & PTE_HUGE) {
			if (!create || split_huge(e) < 0)
				return NULL;
		} else if (!(*e & PTE_PRESENT)) {
			uint64_t *n;

			if (!create || !(n = new_table()))
				return NULL;
			*e = (uint64_t)n | PTE_PRESENT | PTE_WRITE;
		}
		t = (uint64_t *)(*e & PTE_ADDR);
	}
	return &t[index_at(virt, level)];
}

/*
 * The tables are shared by every thread: changes run with interrupts off, or
 * two threads splitting the same 2 MiB page could each install a table and
 * one would lose the other's changes (a guard page mapped again).
 */
int paging_map(uint64_t virt, uint64_t phys, size_t size, unsigned flags)
{
	unsigned long irq = irq_save();
	int err = map_locked(virt, phys, size, flags);

	irq_restore(irq);
	return err;
}

static int map_locked(uint64_t virt, uint64_t phys, size_t size, unsigned flags)
{
	uint64_t f = pte_flags(flags), end = virt + size;

	while (virt < end) {
		bool huge = !(virt & (HUGE_SIZE - 1)) && !(phys & (HUGE_SIZE - 1)) &&
			    end - virt >= HUGE_SIZE;
		uint64_t *e = entry_for(virt, huge ? 2 : 1, true);

		uint64_t old;

		if (!e)
			return -ENOMEM;
		old = *e;
		*e = phys | f | (huge ? PTE_HUGE : 0);
		if (huge && old & PTE_PRESENT && !(old & PTE_HUGE)) {
			/*
			 * A table of 4 KiB pages gives way to one 2 MiB page: the
			 * table goes back, and any of its 512 pages may be cached.
			 */
			page_free((void *)(old & PTE_ADDR), 1);
			paging.tables--;
			if (paging.pml4 == (uint64_t *)read_cr3())
				write_cr3(read_cr3());
		} else if (old & PTE_PRESENT && paging.pml4 == (uint64_t *)read_cr3()) {
			invlpg(virt); /* an entry not present was never cached */
		}
		virt += huge ? HUGE_SIZE : PAGE_SIZE;
		phys += huge ? HUGE_SIZE : PAGE_SIZE;
	}
	return 0;
}

int paging_unmap(uint64_t virt, size_t size)
{
	unsigned long irq = irq_save();
	int err = 0;

	for (uint64_t v = virt; v < virt + size && !err; v += PAGE_SIZE) {
		uint64_t *e;

		if (paging_query(v) < 0)
			continue; /* not mapped: nothing to do */
		/* Unmapping part of a 2 MiB page splits it, which needs a table. */
		e = entry_for(v, 1, true);
		if (!e) {
			err = -ENOMEM;
			break;
		}
		*e = 0;
		invlpg(v);
	}
	irq_restore(irq);
	return err;
}

/* The software bits that remember flags (and whether the page may be touched at all). */
static uint64_t lazy_bits(unsigned flags, bool access)
{
	return PTE_LAZY | (access ? PTE_LAZY_ACCESS : 0) |
	       (flags & PAGING_WRITE ? PTE_LAZY_WRITE : 0) |
	       (flags & PAGING_EXEC ? PTE_LAZY_EXEC : 0);
}

/*
 * Gives each page of [virt, virt + size) flags (or no access): pages still
 * to be zeroed, and every page when fresh, become (or stay) zero-fill
 * pages with that plan; the rest are mapped, or not present with their
 * data kept.
 */
static int retarget(uint64_t virt, size_t size, unsigned flags, bool access, bool fresh)
{
	unsigned long irq = irq_save();
	int err = 0;

	for (uint64_t v = virt; v < virt + size; v += PAGE_SIZE) {
		uint64_t *e = entry_for(v, 1, true), old;

		if (!e) {
			err = -ENOMEM;
			break;
		}
		old = *e;
		if (fresh || old & PTE_LAZY)
			*e = v | lazy_bits(flags, access);
		else
			*e = access ? v | pte_flags(flags) : v;
		if (old & PTE_PRESENT)
			invlpg(v);
	}
	irq_restore(irq);
	return err;
}

int paging_set_lazy(uint64_t virt, size_t size, unsigned flags, bool access)
{
	return retarget(virt, size, flags, access, true);
}

int paging_protect(uint64_t virt, size_t size, unsigned flags, bool access)
{
	return retarget(virt, size, flags, access, false);
}

bool paging_fault(uint64_t addr)
{
	uint64_t v = addr & ~(PAGE_SIZE - 1), *e, lazy;
	unsigned flags;

	if (!paging.pml4 || !(e = entry_for(v, 1, false)) || !(*e & PTE_LAZY) ||
	    !(*e & PTE_LAZY_ACCESS))
		return false;
	lazy = *e;
	flags = (lazy & PTE_LAZY_WRITE ? PAGING_WRITE : 0) |
		(lazy & PTE_LAZY_EXEC ? PAGING_EXEC : 0);
	*e = v | pte_flags(PAGING_WRITE);
	invlpg(v);
	memset((void *)v, 0, PAGE_SIZE);
	if (flags != PAGING_WRITE) {
		*e = v | pte_flags(flags);
		invlpg(v);
	}
	paging.lazy_faults++;
	return true;
}

uint64_t paging_lazy_faults(void)
{
	return paging.lazy_faults;
}

int paging_query(uint64_t addr)
{
	/* Before paging_init(), the boot tables answer. */
	uint64_t *t = paging.pml4 ? paging.pml4 : (uint64_t *)(read_cr3() & PTE_ADDR), e = 0;

	for (int l = 4; l >= 1; l--) {
		e = t[index_at(addr, l)];
		if (!(e & PTE_PRESENT))
			return -ENOENT;
		if (e & PTE_HUGE || l == 1)
			break;
		t = (uint64_t *)(e & PTE_ADDR);
	}
	return (e & PTE_WRITE ? PAGING_WRITE : 0) | (e & paging.nx ? 0 : PAGING_EXEC) |
	       (e & PTE_PCD ? PAGING_UNCACHED : 0) | (e & PTE_HUGE ? PAGING_HUGE : 0);
}

void *paging_map_device(uint64_t phys, size_t size)
{
	uint64_t base = phys & ~(PAGE_SIZE - 1);
	uint64_t len = (phys + size - base + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint64_t virt = base;
	unsigned long irq = irq_save();

	if (base + len > LOWER_HALF_END) {
		virt = DEVICE_WINDOW + paging.device_next;
		paging.device_next += len;
	}
	irq_restore(irq);
	if (paging_map(virt, base, len, PAGING_WRITE | PAGING_UNCACHED) < 0) {
		pr_err("paging: out of memory mapping device memory at %#lx", (unsigned long)phys);
		return NULL;
	}
	return (void *)(virt + (phys - base));
}

int paging_alias_init(void)
{
	unsigned long irq = irq_save();
	uint64_t *e = entry_for(ALIAS_WINDOW, 1, true);

	irq_restore(irq);
	return e ? 0 : -ENOMEM;
}

/* The window's entry exists (paging_alias_init): no table is made here. */
void *paging_alias(uint64_t phys)
{
	uint64_t *e = entry_for(ALIAS_WINDOW, 1, false);

	if (!e)
		return NULL;
	*e = (phys & ~(PAGE_SIZE - 1)) | pte_flags(PAGING_WRITE);
	invlpg(ALIAS_WINDOW);
	return (void *)(ALIAS_WINDOW + (phys & (PAGE_SIZE - 1)));
}

void paging_alias_end(void)
{
	uint64_t *e = entry_for(ALIAS_WINDOW, 1, false);

	if (e && *e & PTE_PRESENT) {
		*e = 0;
		invlpg(ALIAS_WINDOW);
	}
}

/* Identity maps the pages that [lo, hi) touches. */
static int map_identity(uint64_t lo, uint64_t hi, unsigned flags)
{
	lo &= ~(PAGE_SIZE - 1);
	hi = (hi + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	return lo < hi ? paging_map(lo, lo, hi - lo, flags) : 0;
}

static int build_tables(const struct bootinfo *bi)
{
	int err;

	/* Firmware areas (VGA, BIOS, ACPI tables) and all RAM: data. */
	if ((err = map_identity(PAGE_SIZE, LOW_MEMORY, PAGING_WRITE)))
		return err;
	for (size_t i = 0; i < bi->nmem; i++)
		if ((err = map_identity(bi->mem[i].base, bi->mem[i].base + bi->mem[i].len,
					PAGING_WRITE)))
			return err;
	/* The kernel image, section by section. */
	if ((err = map_identity((uint64_t)__text_start, (uint64_t)__text_end, PAGING_EXEC)) ||
	    (err = map_identity((uint64_t)__rodata_start, (uint64_t)__rodata_end, 0)) ||
	    (err = map_identity((uint64_t)__data_start, (uint64_t)__bss_end, PAGING_WRITE)))
		return err;
	return paging_unmap(0, PAGE_SIZE); /* the memory map may call page 0 RAM */
}

int paging_init(const struct bootinfo *bi)
{
	int err;

	paging.nx = cpu_has(CPU_NX) ? PTE_NX : 0;
	paging.pml4 = new_table();
	err = paging.pml4 ? build_tables(bi) : -ENOMEM;
	if (err) {
		pr_crit("paging: out of memory building the page tables (%lu made)",
			(unsigned long)paging.tables);
		return err;
	}
	write_cr3((uint64_t)paging.pml4);
	write_cr0(read_cr0() | CR0_WP);
	pr_debug("paging: kernel tables at %p; text %p-%p read-only", (void *)paging.pml4,
		 (void *)__text_start, (void *)__text_end);
	return 0;
}

uint64_t paging_table_pages(void)
{
	return paging.tables;
}
