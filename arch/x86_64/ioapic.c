#include "arch/x86_64/ioapic.h"

#include <errno.h>

#include "arch/x86_64/lapic.h"
#include "arch/x86_64/paging.h"
#include "kernel/printk.h"

/* Registers are reached through a window: the index at IOREGSEL, the data at IOWIN. */
#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN 0x10
#define IOAPIC_MMIO_SIZE 0x20
#define IOAPIC_VERSION 0x01
#define IOAPIC_MAX_ENTRY_SHIFT 16 /* in the version register: the last entry's number */
#define IOAPIC_MAX_ENTRY_MASK 0xFF
#define IOAPIC_REDIR(pin) (0x10 + 2 * (pin)) /* low half; the high half follows */

/* A redirection entry's low half; delivery fixed, destination physical (both 0). */
#define REDIR_ACTIVE_LOW (1u << 13)
#define REDIR_LEVEL (1u << 15)
#define REDIR_MASKED (1u << 16)
#define REDIR_DEST_SHIFT 24 /* in the high half: the LAPIC id */

static struct {
	uint64_t base;
	volatile uint32_t *mmio;
} ioapic;

static uint32_t ioapic_read(uint32_t reg)
{
	ioapic.mmio[IOAPIC_IOREGSEL / 4] = reg;
	return ioapic.mmio[IOAPIC_IOWIN / 4];
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	ioapic.mmio[IOAPIC_IOREGSEL / 4] = reg;
	ioapic.mmio[IOAPIC_IOWIN / 4] = v;
}

int ioapic_route(const struct ioapic_line *l, uint8_t vector)
{
	uint32_t low =
		vector | (l->active_low ? REDIR_ACTIVE_LOW : 0) | (l->level ? REDIR_LEVEL : 0);
	unsigned last;

	if (ioapic.base != l->base) {
		ioapic.mmio = paging_map_device(l->base, IOAPIC_MMIO_SIZE);
		if (!ioapic.mmio)
			return -ENOMEM;
		ioapic.base = l->base;
	}
	last = ioapic_read(IOAPIC_VERSION) >> IOAPIC_MAX_ENTRY_SHIFT & IOAPIC_MAX_ENTRY_MASK;
	if (l->pin > last)
		return -EINVAL;
	/* Masked while it changes: half an entry must not deliver. */
	ioapic_write(IOAPIC_REDIR(l->pin), REDIR_MASKED);
	ioapic_write(IOAPIC_REDIR(l->pin) + 1, lapic_id() << REDIR_DEST_SHIFT);
	ioapic_write(IOAPIC_REDIR(l->pin), low);
	pr_debug("ioapic: pin %u at %#lx to vector %#x", l->pin, (unsigned long)l->base, vector);
	return 0;
}
