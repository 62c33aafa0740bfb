/*
 * virtio over PCI: which functions are virtio devices, and which of the
 * two transports (virtio_pci_modern.c, virtio_pci_legacy.c) drives each.
 * A transitional device offers both; modern is preferred.
 */
#include <errno.h>

#include "drivers/virtio/virtio_pci_priv.h"
#include "kernel/printk.h"

/* The virtio device type of a PCI function, or 0 if it is none (4.1.2). */
static uint16_t virtio_type(const struct pci_dev *d)
{
	if (d->vendor_id != VIRTIO_PCI_VENDOR)
		return 0;
	if (d->device_id >= VIRTIO_PCI_DEVICE_MODERN_BASE &&
	    d->device_id <= VIRTIO_PCI_DEVICE_MODERN_LAST)
		return (uint16_t)(d->device_id - VIRTIO_PCI_DEVICE_MODERN_BASE);
	/* Transitional: the subsystem device id carries the type. */
	if (d->device_id >= VIRTIO_PCI_DEVICE_LEGACY_FIRST &&
	    d->device_id <= VIRTIO_PCI_DEVICE_LEGACY_LAST)
		return d->subsystem_id;
	return 0;
}

struct pci_dev *virtio_pci_find(uint16_t type, struct pci_dev *prev)
{
	for (struct pci_dev *d = pci_next(prev); d; d = pci_next(d))
		if (virtio_type(d) == type)
			return d;
	return NULL;
}

int virtio_pci_probe(struct virtio_dev *vd, struct pci_dev *pd, uint16_t type, const char *name)
{
	bool transitional = pd->device_id < VIRTIO_PCI_DEVICE_MODERN_BASE;

	*vd = (struct virtio_dev){ .pci = pd, .name = name, .type = type };
	pci_enable(pd);
	if (virtio_pci_modern_probe(vd, pd) < 0) {
		if (!transitional) {
			pr_err("%s: %02x:%02x.%u: a modern-only device without usable virtio "
			       "capabilities",
			       name, pd->bus, pd->dev, pd->fn);
			return -ENODEV;
		}
		if (virtio_pci_legacy_probe(vd, pd) < 0)
			return -ENODEV;
	}
	pr_info("%s: %02x:%02x.%u, %s transport", name, pd->bus, pd->dev, pd->fn, vd->ops->name);
	return 0;
}
