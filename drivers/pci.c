/*
 * PCI through configuration mechanism #1 (drivers/pci.h, docs/virtio.md).
 * The scan starts at bus 0 and follows PCI-PCI bridges to their secondary
 * buses: under emulation each configuration access is an exit, and most of
 * the 256 buses are empty.
 */
#include "drivers/pci.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/paging.h"
#include "drivers/pci_regs.h"
#include "kernel/printk.h"
#include "kernel/time.h"

#define PCI_DEVS_MAX 64
#define PCI_BRIDGE_DEPTH_MAX 8 /* nesting of bridges the scan follows */
#define PCI_MSIX_DEST_APIC 0   /* Ceres runs on CPU 0, APIC id 0 */
/*
 * Where BARs the firmware left unassigned go: ports above the ISA range,
 * and memory in the PCI hole below the IOAPIC, above any RAM the pc and
 * q35 machines put below 4 GiB (they stop at 0xE0000000 and 0xB0000000).
 */
#define PCI_IO_WINDOW_BASE 0xC000
#define PCI_IO_WINDOW_END 0x10000
#define PCI_MEM_WINDOW_BASE 0xE0000000ull
#define PCI_MEM_WINDOW_END 0xFEC00000ull
#define PCI_BAR_SIZE_SHIFT_MAX 31 /* BARs larger than 2 GiB do not fit the window */

static struct {
	struct pci_dev devs[PCI_DEVS_MAX];
	unsigned ndevs;
	unsigned dropped; /* functions found with the table full */
	unsigned accesses;
	unsigned assigned;	    /* BARs the firmware had left unassigned */
	uint64_t io_next, mem_next; /* where the next unassigned BAR goes */
	bool bus_seen[PCI_BUSES];
} pci;

static const struct {
	uint16_t vendor, device;
	const char *name;
} pci_names[] = {
	{ 0x8086, 0x1237, "i440FX host bridge" },
	{ 0x8086, 0x29C0, "Q35 host bridge" },
	{ 0x8086, 0x7000, "PIIX3 ISA bridge" },
	{ 0x8086, 0x7010, "PIIX3 IDE" },
	{ 0x8086, 0x7113, "PIIX4 ACPI" },
	{ 0x8086, 0x2918, "ICH9 LPC bridge" },
	{ 0x8086, 0x2922, "ICH9 AHCI" },
	{ 0x8086, 0x2930, "ICH9 SMBus" },
	{ 0x8086, 0x100E, "e1000" },
	{ 0x1234, 0x1111, "VGA" },
	{ 0x1B36, 0x0001, "PCI-PCI bridge" },
	{ 0x1AF4, 0x1000, "virtio-net (transitional)" },
	{ 0x1AF4, 0x1009, "virtio-9p (transitional)" },
	{ 0x1AF4, 0x1041, "virtio-net" },
	{ 0x1AF4, 0x1049, "virtio-9p" },
};

static uint32_t cfg_address(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off)
{
	return PCI_CONFIG_ENABLE | (uint32_t)bus << PCI_CONFIG_BUS_SHIFT |
	       (uint32_t)dev << PCI_CONFIG_DEV_SHIFT | (uint32_t)fn << PCI_CONFIG_FN_SHIFT |
	       (off & PCI_CONFIG_REG_MASK);
}

/* The address and data ports are one shared pair: interrupts off between. */
static uint32_t raw_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t off)
{
	unsigned long flags = irq_save();
	uint32_t v;

	outl(PCI_CONFIG_ADDRESS, cfg_address(bus, dev, fn, off));
	v = inl(PCI_CONFIG_DATA);
	pci.accesses++;
	irq_restore(flags);
	return v;
}

uint32_t pci_cfg_read32(const struct pci_dev *d, uint8_t off)
{
	return raw_read32(d->bus, d->dev, d->fn, off);
}

/* Where the bytes at off sit in the 32-bit word the data port returns. */
static unsigned lane_shift(uint8_t off, uint8_t width)
{
	return (off & (sizeof(uint32_t) - width)) * CHAR_BIT;
}

uint16_t pci_cfg_read16(const struct pci_dev *d, uint8_t off)
{
	return (uint16_t)(pci_cfg_read32(d, off) >> lane_shift(off, sizeof(uint16_t)));
}

uint8_t pci_cfg_read8(const struct pci_dev *d, uint8_t off)
{
	return (uint8_t)(pci_cfg_read32(d, off) >> lane_shift(off, sizeof(uint8_t)));
}

void pci_cfg_write32(const struct pci_dev *d, uint8_t off, uint32_t v)
{
	unsigned long flags = irq_save();

	outl(PCI_CONFIG_ADDRESS, cfg_address(d->bus, d->dev, d->fn, off));
	outl(PCI_CONFIG_DATA, v);
	irq_restore(flags);
}

void pci_cfg_write16(const struct pci_dev *d, uint8_t off, uint16_t v)
{
	unsigned long flags = irq_save();

	outl(PCI_CONFIG_ADDRESS, cfg_address(d->bus, d->dev, d->fn, off));
	outw((uint16_t)(PCI_CONFIG_DATA + (off & (sizeof(uint32_t) - sizeof(v)))), v);
	irq_restore(flags);
}

void pci_cfg_write8(const struct pci_dev *d, uint8_t off, uint8_t v)
{
	unsigned long flags = irq_save();

	outl(PCI_CONFIG_ADDRESS, cfg_address(d->bus, d->dev, d->fn, off));
	outb((uint16_t)(PCI_CONFIG_DATA + (off & (sizeof(uint32_t) - sizeof(v)))), v);
	irq_restore(flags);
}

uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t start)
{
	uint8_t off;

	if (!(pci_cfg_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	off = start ? pci_cfg_read8(d, start + PCI_CAP_NEXT) : pci_cfg_read8(d, PCI_CAP_PTR);
	for (int hops = 0; hops < PCI_CAP_LIST_MAX; hops++) {
		off &= PCI_CAP_PTR_MASK;
		if (!off)
			return 0;
		if (pci_cfg_read8(d, off + PCI_CAP_ID) == id)
			return off;
		off = pci_cfg_read8(d, off + PCI_CAP_NEXT);
	}
	pr_warn("pci: %02x:%02x.%u: capability list longer than %d entries, a loop?", d->bus,
		d->dev, d->fn, PCI_CAP_LIST_MAX);
	return 0;
}

void pci_enable(struct pci_dev *d)
{
	uint16_t cmd = pci_cfg_read16(d, PCI_COMMAND);

	pci_cfg_write16(d, PCI_COMMAND, cmd | PCI_CMD_IO | PCI_CMD_MEMORY | PCI_CMD_BUS_MASTER);
}

/* Writes all ones to the BAR register at off (holding old), reads what sticks, restores it. */
static uint32_t bar_probe(struct pci_dev *d, uint8_t off, uint32_t old)
{
	uint32_t mask;

	pci_cfg_write32(d, off, PCI_BAR_ALL_ONES);
	mask = pci_cfg_read32(d, off);
	pci_cfg_write32(d, off, old);
	return mask;
}

/* Decodes BAR i (and i + 1, for a 64-bit one); returns how many registers it took. */
static int bar_size(struct pci_dev *d, int i)
{
	uint8_t off = (uint8_t)(PCI_BAR0 + i * PCI_BAR_SIZE);
	uint32_t lo = pci_cfg_read32(d, off), mask = bar_probe(d, off, lo);
	struct pci_bar *b = &d->bars[i];

	if (lo & PCI_BAR_IO) {
		b->is_io = true;
		b->base = lo & PCI_BAR_IO_MASK;
		b->size = (~(mask & PCI_BAR_IO_MASK) + 1) & PCI_IO_PORT_LIMIT;
		return 1;
	}
	b->base = lo & PCI_BAR_MEM_MASK;
	b->size = (uint32_t)(~(mask & PCI_BAR_MEM_MASK) + 1);
	if ((lo & PCI_BAR_MEM_TYPE_MASK) != PCI_BAR_MEM_TYPE_64 || i + 1 >= PCI_BARS)
		return 1;
	{
		uint8_t hi_off = (uint8_t)(off + PCI_BAR_SIZE);
		uint32_t hi_old = pci_cfg_read32(d, hi_off);
		uint64_t hi = hi_old, hi_mask = bar_probe(d, hi_off, hi_old);
		uint64_t full = hi_mask << 32 | (mask & PCI_BAR_MEM_MASK);

		b->is_64 = true;
		b->base |= hi << 32;
		b->size = ~full + 1;
	}
	return 2;
}

/* Sizes every BAR of a normal header, with decode off while the BARs read all ones. */
static void bars_read(struct pci_dev *d)
{
	uint16_t cmd = pci_cfg_read16(d, PCI_COMMAND);

	pci_cfg_write16(d, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEMORY));
	for (int i = 0; i < PCI_BARS_NORMAL;) {
		int used = bar_size(d, i);

		if (!d->bars[i].size)
			d->bars[i].base = 0;
		i += used;
	}
	pci_cfg_write16(d, PCI_COMMAND, cmd);
}

static const char *dev_name(const struct pci_dev *d)
{
	for (size_t i = 0; i < sizeof(pci_names) / sizeof(pci_names[0]); i++)
		if (pci_names[i].vendor == d->vendor_id && pci_names[i].device == d->device_id)
			return pci_names[i].name;
	return "";
}

static void dev_log(const struct pci_dev *d)
{
	pr_info("pci: %02x:%02x.%u %04x:%04x class %02x%02x%02x %s", d->bus, d->dev, d->fn,
		d->vendor_id, d->device_id, d->class_code, d->subclass, d->prog_if, dev_name(d));
	for (int i = 0; i < PCI_BARS; i++)
		if (d->bars[i].size)
			pr_debug("pci:   bar%d %s %#lx size %#lx%s", i,
				 d->bars[i].is_io ? "io" : "mem", (unsigned long)d->bars[i].base,
				 (unsigned long)d->bars[i].size, d->bars[i].is_64 ? " 64-bit" : "");
}

static void scan_bus(uint8_t bus, int depth);

/* Records the function; follows a bridge to the bus behind it. */
static void add_function(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t id, int depth)
{
	struct pci_dev *d;
	uint32_t class_reg;

	if (pci.ndevs == PCI_DEVS_MAX) {
		pci.dropped++;
		return;
	}
	d = &pci.devs[pci.ndevs++];
	*d = (struct pci_dev){ .bus = bus, .dev = dev, .fn = fn };
	d->vendor_id = (uint16_t)id;
	d->device_id = (uint16_t)(id >> lane_shift(PCI_DEVICE_ID, sizeof(uint16_t)));
	/* One read for the four bytes of revision and class. */
	class_reg = pci_cfg_read32(d, PCI_REVISION);
	d->revision = (uint8_t)(class_reg >> lane_shift(PCI_REVISION, sizeof(uint8_t)));
	d->prog_if = (uint8_t)(class_reg >> lane_shift(PCI_PROG_IF, sizeof(uint8_t)));
	d->subclass = (uint8_t)(class_reg >> lane_shift(PCI_SUBCLASS, sizeof(uint8_t)));
	d->class_code = (uint8_t)(class_reg >> lane_shift(PCI_CLASS, sizeof(uint8_t)));
	d->header_type = pci_cfg_read8(d, PCI_HEADER_TYPE);
	if ((d->header_type & PCI_HEADER_TYPE_MASK) == PCI_HEADER_NORMAL) {
		d->subsystem_id = pci_cfg_read16(d, PCI_SUBSYSTEM_ID);
		bars_read(d);
	}
	if ((d->header_type & PCI_HEADER_TYPE_MASK) == PCI_HEADER_BRIDGE &&
	    d->class_code == PCI_CLASS_BRIDGE && d->subclass == PCI_SUBCLASS_PCI_BRIDGE)
		scan_bus(pci_cfg_read8(d, PCI_SECONDARY_BUS), depth + 1);
}

static void scan_device(uint8_t bus, uint8_t dev, int depth)
{
	uint32_t id = raw_read32(bus, dev, 0, PCI_VENDOR_ID);
	uint8_t htype;

	if ((uint16_t)id == PCI_VENDOR_NONE)
		return;
	htype = (uint8_t)(raw_read32(bus, dev, 0, PCI_HEADER_TYPE) >>
			  lane_shift(PCI_HEADER_TYPE, sizeof(uint8_t)));
	add_function(bus, dev, 0, id, depth);
	if (!(htype & PCI_HEADER_MULTIFUNCTION))
		return;
	for (uint8_t fn = 1; fn < PCI_FUNCTIONS; fn++) {
		id = raw_read32(bus, dev, fn, PCI_VENDOR_ID);
		if ((uint16_t)id != PCI_VENDOR_NONE)
			add_function(bus, dev, fn, id, depth);
	}
}

static void scan_bus(uint8_t bus, int depth)
{
	if (pci.bus_seen[bus] || depth > PCI_BRIDGE_DEPTH_MAX) {
		pr_warn("pci: bus %02x reached twice or through more than %d bridges; skipped", bus,
			PCI_BRIDGE_DEPTH_MAX);
		return;
	}
	pci.bus_seen[bus] = true;
	for (uint8_t dev = 0; dev < PCI_DEVICES_PER_BUS; dev++)
		scan_device(bus, dev, depth);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Where the next BAR of its kind goes (after whatever the firmware placed). */
static uint64_t *window_next(const struct pci_bar *b, uint64_t *end)
{
	*end = b->is_io ? PCI_IO_WINDOW_END : PCI_MEM_WINDOW_END;
	return b->is_io ? &pci.io_next : &pci.mem_next;
}

static void windows_init(void)
{
	pci.io_next = PCI_IO_WINDOW_BASE;
	pci.mem_next = PCI_MEM_WINDOW_BASE;
	for (struct pci_dev *d = pci_next(NULL); d; d = pci_next(d))
		for (int i = 0; i < PCI_BARS; i++) {
			const struct pci_bar *b = &d->bars[i];
			uint64_t end, *next = window_next(b, &end);

			if (b->base && b->base < end && b->base + b->size > *next)
				*next = b->base + b->size;
		}
}

/* Gives BAR i of d an address in its window, with decode off meanwhile. */
static void bar_assign(struct pci_dev *d, int i)
{
	struct pci_bar *b = &d->bars[i];
	uint8_t off = (uint8_t)(PCI_BAR0 + i * PCI_BAR_SIZE);
	uint64_t end, *next = window_next(b, &end), base = align_up(*next, b->size);
	uint16_t cmd = pci_cfg_read16(d, PCI_COMMAND);

	if (base + b->size > end || d->bus) {
		pr_warn("pci: %02x:%02x.%u: bar%d (%#lx bytes) unassigned and %s", d->bus, d->dev,
			d->fn, i, (unsigned long)b->size,
			d->bus ? "behind a bridge" : "no room left for it");
		return;
	}
	pci_cfg_write16(d, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEMORY));
	pci_cfg_write32(d, off, (uint32_t)base);
	if (b->is_64)
		pci_cfg_write32(d, (uint8_t)(off + PCI_BAR_SIZE), (uint32_t)(base >> 32));
	pci_cfg_write16(d, PCI_COMMAND, cmd);
	b->base = base;
	*next = base + b->size;
	pci.assigned++;
}

/*
 * Places the BARs the firmware left at 0 (qboot assigns none), largest
 * first so that each is aligned to its size without gaps.
 */
static void bars_assign(void)
{
	windows_init();
	for (int shift = PCI_BAR_SIZE_SHIFT_MAX; shift >= 0; shift--)
		for (struct pci_dev *d = pci_next(NULL); d; d = pci_next(d))
			for (int i = 0; i < PCI_BARS; i++)
				if (!d->bars[i].base && d->bars[i].size == 1ull << shift)
					bar_assign(d, i);
}

int pci_init(void)
{
	uint64_t start = clock_monotonic_ns(), scanned;

	scan_bus(0, 0);
	scanned = clock_monotonic_ns();
	bars_assign();
	for (struct pci_dev *d = pci_next(NULL); d; d = pci_next(d))
		dev_log(d);
	pr_info("pci: %u functions, %u configuration reads, scanned in %lu us; %u BARs assigned",
		pci.ndevs, pci.accesses, (unsigned long)((scanned - start) / NSEC_PER_USEC),
		pci.assigned);
	if (pci.dropped)
		pr_warn("pci: %u functions left out: the table holds %d", pci.dropped,
			PCI_DEVS_MAX);
	return 0;
}

struct pci_dev *pci_next(struct pci_dev *prev)
{
	size_t i = prev ? (size_t)(prev - pci.devs) + 1 : 0;

	return i < pci.ndevs ? &pci.devs[i] : NULL;
}

unsigned pci_msix_table_size(const struct pci_dev *d)
{
	uint8_t cap = pci_find_cap(d, PCI_CAP_ID_MSIX, 0);

	return cap ? (pci_cfg_read16(d, cap + PCI_MSIX_CTRL) & PCI_MSIX_CTRL_SIZE_MASK) + 1 : 0;
}

/* Maps the MSI-X table, which lies in one of the device's memory BARs. */
static int msix_map(struct pci_dev *d, uint8_t cap, unsigned size)
{
	uint32_t t = pci_cfg_read32(d, cap + PCI_MSIX_TABLE);
	unsigned bir = t & PCI_MSIX_BIR_MASK;
	uint64_t off = t & PCI_MSIX_OFFSET_MASK, len = (uint64_t)size * PCI_MSIX_ENTRY_SIZE;
	const struct pci_bar *b = bir < PCI_BARS ? &d->bars[bir] : NULL;

	if (!b || !b->base || b->is_io || off + len > b->size) {
		pr_err("pci: %02x:%02x.%u: MSI-X table (bar %u offset %#lx, %u entries) lies "
		       "outside any memory BAR",
		       d->bus, d->dev, d->fn, bir, (unsigned long)off, size);
		return -ENODEV;
	}
	d->msix_table = paging_map_device(b->base + off, len);
	return d->msix_table ? 0 : -ENOMEM;
}

static volatile uint32_t *msix_entry(struct pci_dev *d, unsigned entry, unsigned reg)
{
	return &d->msix_table[(entry * PCI_MSIX_ENTRY_SIZE + reg) / sizeof(uint32_t)];
}

/* Points entry at vector on CPU 0's LAPIC, and unmasks it. */
static void msix_program(struct pci_dev *d, unsigned entry, int vector)
{
	*msix_entry(d, entry, PCI_MSIX_ENTRY_ADDR_LO) =
		PCI_MSI_ADDR_BASE | PCI_MSIX_DEST_APIC << PCI_MSI_ADDR_DEST_SHIFT;
	*msix_entry(d, entry, PCI_MSIX_ENTRY_ADDR_HI) = 0;
	*msix_entry(d, entry, PCI_MSIX_ENTRY_DATA) = (uint32_t)vector;
	*msix_entry(d, entry, PCI_MSIX_ENTRY_CTRL) = 0;
}

int pci_msix_enable(struct pci_dev *d, unsigned nvec, const int vectors[])
{
	uint8_t cap = pci_find_cap(d, PCI_CAP_ID_MSIX, 0);
	unsigned size = pci_msix_table_size(d);
	uint16_t ctrl;
	int err;

	if (!cap)
		return -ENODEV;
	if (!nvec || nvec > size || nvec > PCI_MSIX_VECTORS_MAX)
		return -EINVAL;
	if (!d->msix_table && (err = msix_map(d, cap, size)) < 0)
		return err;
	ctrl = pci_cfg_read16(d, cap + PCI_MSIX_CTRL);
	/* Enabled but all masked while the entries change. */
	pci_cfg_write16(d, cap + PCI_MSIX_CTRL,
			ctrl | PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL);
	for (unsigned i = 0; i < size; i++)
		*msix_entry(d, i, PCI_MSIX_ENTRY_CTRL) = PCI_MSIX_ENTRY_CTRL_MASKED;
	for (unsigned i = 0; i < nvec; i++)
		msix_program(d, i, vectors[i]);
	pci_cfg_write16(d, PCI_COMMAND, pci_cfg_read16(d, PCI_COMMAND) | PCI_CMD_INTX_DISABLE);
	pci_cfg_write16(d, cap + PCI_MSIX_CTRL,
			(ctrl | PCI_MSIX_CTRL_ENABLE) & ~PCI_MSIX_CTRL_MASKALL);
	d->msix_cap = cap;
	d->msix_table_size = (uint16_t)size;
	d->msix_enabled = true;
	return 0;
}

void pci_msix_mask(struct pci_dev *d, unsigned entry)
{
	if (d->msix_enabled && entry < d->msix_table_size)
		*msix_entry(d, entry, PCI_MSIX_ENTRY_CTRL) = PCI_MSIX_ENTRY_CTRL_MASKED;
}

void pci_msix_unmask(struct pci_dev *d, unsigned entry)
{
	if (d->msix_enabled && entry < d->msix_table_size)
		*msix_entry(d, entry, PCI_MSIX_ENTRY_CTRL) = 0;
}
