/*
 * The kernel's page tables (docs/memory.md): identity mapped RAM with
 * per-section permissions, page 0 and stack guard pages left unmapped, and
 * device memory mapped uncached on request.
 */
#ifndef ARCH_X86_64_PAGING_H
#define ARCH_X86_64_PAGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bootinfo;

/* What a mapping allows; readable is implied. */
#define PAGING_WRITE (1u << 0)
#define PAGING_EXEC (1u << 1)
#define PAGING_UNCACHED (1u << 2)
/* In what paging_query() says only: mapped by a 2 MiB page. */
#define PAGING_HUGE (1u << 3)

/*
 * Builds the kernel's tables from the memory map and switches to them.
 * Needs the page allocator (for the tables) and cpu_init() (for NX).
 * 0, or -ENOMEM (the boot tables stay).
 */
int paging_init(const struct bootinfo *bi);

/* Maps [virt, virt + size) to phys with flags; 0 or -ENOMEM. Page aligned. */
int paging_map(uint64_t virt, uint64_t phys, size_t size, unsigned flags);

/*
 * Removes the mappings of [virt, virt + size). 0, or -ENOMEM when a 2 MiB
 * page had to be split and no page was left for the table: that page and
 * those after it stay mapped.
 */
int paging_unmap(uint64_t virt, size_t size);

/*
 * Zero-fill on demand, for the application's anonymous memory: each page
 * of [virt, virt + size) (its own, identity mapped) becomes not present,
 * to be zeroed and mapped with flags the first time it is touched
 * (paging_fault), if access allows it at all. 0 or -ENOMEM (splitting a
 * 2 MiB page needs a table).
 */
int paging_set_lazy(uint64_t virt, size_t size, unsigned flags, bool access);
/*
 * New protection for [virt, virt + size): present pages get flags (or
 * become not present, their data kept, without access); pages still to be
 * zeroed keep waiting, with the new protection planned. 0 or -ENOMEM.
 */
int paging_protect(uint64_t virt, size_t size, unsigned flags, bool access);
/*
 * For the page-fault handler: if addr's page waits to be zeroed and may be
 * touched, zeroes and maps it, and says so; the access can then go again.
 */
bool paging_fault(uint64_t addr);
/* How many pages paging_fault() has filled. */
uint64_t paging_lazy_faults(void);

/*
 * Maps size bytes of device memory at phys, uncached; returns where it can
 * be reached (phys itself below 2^47), or NULL.
 */
void *paging_map_device(uint64_t phys, size_t size);

/*
 * A writable second mapping of one page, for writing into read-only code
 * (the gdb stub's breakpoints, arch/x86_64/gdb_arch.c) while the code
 * itself stays read-only and ring 0 keeps obeying that (CR0.WP).
 * paging_alias_init() makes the tables of a one-page window, so that
 * paging_alias() needs no memory later: 0 or -ENOMEM. paging_alias(phys)
 * maps the page holding phys there, writable and not executable, and
 * returns where phys can be written, or NULL without the window;
 * paging_alias_end() takes the mapping out again. Interrupts off; one page
 * at a time.
 */
int paging_alias_init(void);
void *paging_alias(uint64_t phys);
void paging_alias_end(void);

/*
 * Is addr mapped, and with what: PAGING_* flags, or -ENOENT if it is not.
 * Before paging_init() the boot tables answer.
 */
int paging_query(uint64_t addr);

/* Pages holding page tables (guard pages and zero-fill pages split 2 MiB pages). */
uint64_t paging_table_pages(void);

#endif
