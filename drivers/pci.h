/*
 * PCI: the devices on the buses, their configuration space, BARs,
 * capabilities and MSI-X (docs/virtio.md). pci_init() scans once at boot;
 * drivers then walk the devices with pci_next(). Thread context, except
 * pci_msix_mask()/pci_msix_unmask(), which any context may call.
 */
#ifndef DRIVERS_PCI_H
#define DRIVERS_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_BARS 6
#define PCI_MSIX_VECTORS_MAX 8 /* entries a driver may enable */

struct pci_bar {
	uint64_t base; /* port number or physical address; 0: not present */
	uint64_t size;
	bool is_io;
	bool is_64; /* the upper half is the next BAR, which reads empty here */
};

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor_id, device_id;
	uint16_t subsystem_id;
	uint8_t class_code, subclass, prog_if, revision;
	uint8_t header_type;
	struct pci_bar bars[PCI_BARS];
	/* MSI-X, once pci_msix_enable() has succeeded */
	uint8_t msix_cap; /* offset of the capability, 0 if none */
	uint16_t msix_table_size;
	volatile uint32_t *msix_table;
	bool msix_enabled;
};

/* Scans the buses and logs each function found. 0 (no devices is no error). */
int pci_init(void);

/* The device after prev (NULL: the first), or NULL after the last. */
struct pci_dev *pci_next(struct pci_dev *prev);

uint32_t pci_cfg_read32(const struct pci_dev *d, uint8_t off);
uint16_t pci_cfg_read16(const struct pci_dev *d, uint8_t off);
uint8_t pci_cfg_read8(const struct pci_dev *d, uint8_t off);
void pci_cfg_write32(const struct pci_dev *d, uint8_t off, uint32_t v);
void pci_cfg_write16(const struct pci_dev *d, uint8_t off, uint16_t v);
void pci_cfg_write8(const struct pci_dev *d, uint8_t off, uint8_t v);

/*
 * The offset of the first capability with this id after the one at start
 * (0: from the beginning of the list), or 0 if there is none.
 */
uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t start);

/* Turns on I/O and memory decode and bus mastering (DMA). */
void pci_enable(struct pci_dev *d);

/*
 * Routes MSI-X table entries 0..nvec-1 to the CPU vectors vectors[] (from
 * irq_alloc()), unmasked, and disables INTx. 0, -ENODEV (no MSI-X),
 * -EINVAL (nvec beyond the table or PCI_MSIX_VECTORS_MAX) or -ENOMEM
 * (the table could not be mapped).
 */
int pci_msix_enable(struct pci_dev *d, unsigned nvec, const int vectors[]);
/* Entries in the device's MSI-X table; 0 if it has no MSI-X. */
unsigned pci_msix_table_size(const struct pci_dev *d);
void pci_msix_mask(struct pci_dev *d, unsigned entry);
void pci_msix_unmask(struct pci_dev *d, unsigned entry);

#endif
