/*
 * The legacy virtio PCI transport (virtio 0.9.5, virtio 1.x 4.1.4.8):
 * registers in I/O BAR 0, 32 feature bits, one page frame number per
 * queue with the used ring 4096-aligned, and the device configuration
 * after the MSI-X registers while MSI-X is enabled.
 */
#include <errno.h>

#include "arch/x86_64/arch.h"
#include "drivers/virtio/virtio_pci_priv.h"
#include "kernel/printk.h"

#define LEGACY_FEATURES_MASK 0xFFFFFFFFull /* a legacy device has 32 feature bits */
#define LEGACY_PFN_LIMIT (1ull << 32)	   /* the PFN register holds 32 bits */

static uint16_t reg(const struct virtio_dev *vd, unsigned off)
{
	return (uint16_t)(vd->io_base + off);
}

static unsigned config_base(const struct virtio_dev *vd)
{
	return vd->pci->msix_enabled ? VIRTIO_PCI_LEGACY_CONFIG_MSIX : VIRTIO_PCI_LEGACY_CONFIG;
}

static uint8_t legacy_get_status(struct virtio_dev *vd)
{
	return inb(reg(vd, VIRTIO_PCI_LEGACY_STATUS));
}

static void legacy_set_status(struct virtio_dev *vd, uint8_t status)
{
	outb(reg(vd, VIRTIO_PCI_LEGACY_STATUS), status);
}

static uint64_t legacy_get_features(struct virtio_dev *vd)
{
	return inl(reg(vd, VIRTIO_PCI_LEGACY_HOST_FEATURES));
}

static void legacy_set_features(struct virtio_dev *vd, uint64_t features)
{
	outl(reg(vd, VIRTIO_PCI_LEGACY_GUEST_FEATURES),
	     (uint32_t)(features & LEGACY_FEATURES_MASK));
}

static void legacy_read_config(struct virtio_dev *vd, unsigned off, void *buf, unsigned len)
{
	uint16_t port = reg(vd, config_base(vd) + off);
	uint8_t *p = buf;

	if (len == sizeof(uint32_t) && !(off % sizeof(uint32_t))) {
		uint32_t v = inl(port);
		__builtin_memcpy(p, &v, sizeof(v));
	} else if (len == sizeof(uint16_t) && !(off % sizeof(uint16_t))) {
		uint16_t v = inw(port);
		__builtin_memcpy(p, &v, sizeof(v));
	} else {
		for (unsigned i = 0; i < len; i++)
			p[i] = inb((uint16_t)(port + i));
	}
}

static uint16_t legacy_queue_size(struct virtio_dev *vd, uint16_t index)
{
	outw(reg(vd, VIRTIO_PCI_LEGACY_QUEUE_SEL), index);
	return inw(reg(vd, VIRTIO_PCI_LEGACY_QUEUE_NUM));
}

/* Writes an MSI-X vector register and checks the device took it. */
static int set_vector(struct virtio_dev *vd, unsigned off, uint16_t entry)
{
	uint16_t seen;

	if (!vd->pci->msix_enabled)
		return 0;
	outw(reg(vd, off), entry);
	seen = inw(reg(vd, off));
	if (seen == entry)
		return 0;
	pr_err("%s: legacy: MSI-X vector register %u: wrote %u, read back %u", vd->name, off, entry,
	       seen);
	return -EIO;
}

static int legacy_queue_setup(struct virtio_dev *vd, struct virtq *vq, uint16_t msix_entry)
{
	uint64_t addr = virtq_desc_addr(vq);
	int err;

	if (addr >> VIRTIO_PCI_LEGACY_PFN_SHIFT >= LEGACY_PFN_LIMIT) {
		pr_err("%s: legacy: queue %u at %#lx, beyond what a PFN reaches", vd->name,
		       vq->index, (unsigned long)addr);
		return -EIO;
	}
	outw(reg(vd, VIRTIO_PCI_LEGACY_QUEUE_SEL), vq->index);
	err = set_vector(vd, VIRTIO_PCI_LEGACY_MSIX_QUEUE, msix_entry);
	if (err < 0)
		return err;
	outl(reg(vd, VIRTIO_PCI_LEGACY_QUEUE_PFN), (uint32_t)(addr >> VIRTIO_PCI_LEGACY_PFN_SHIFT));
	return 0;
}

static int legacy_set_config_vector(struct virtio_dev *vd, uint16_t msix_entry)
{
	return set_vector(vd, VIRTIO_PCI_LEGACY_MSIX_CONFIG, msix_entry);
}

static uint8_t legacy_read_isr(struct virtio_dev *vd)
{
	return inb(reg(vd, VIRTIO_PCI_LEGACY_ISR));
}

static void legacy_notify(struct virtq *vq)
{
	struct virtio_dev *vd = vq->priv;

	outw(reg(vd, VIRTIO_PCI_LEGACY_QUEUE_NOTIFY), vq->index);
}

const struct virtio_transport_ops virtio_pci_legacy_ops = {
	.name = "legacy",
	.get_status = legacy_get_status,
	.set_status = legacy_set_status,
	.get_features = legacy_get_features,
	.set_features = legacy_set_features,
	.read_config = legacy_read_config,
	.queue_size = legacy_queue_size,
	.queue_setup = legacy_queue_setup,
	.set_config_vector = legacy_set_config_vector,
	.read_isr = legacy_read_isr,
	.notify = legacy_notify,
};

int virtio_pci_legacy_probe(struct virtio_dev *vd, struct pci_dev *pd)
{
	const struct pci_bar *bar = &pd->bars[VIRTIO_PCI_LEGACY_BAR];

	if (!bar->is_io || !bar->base || bar->size < VIRTIO_PCI_LEGACY_CONFIG_MSIX) {
		pr_err("%s: legacy: expected an I/O BAR %d of %d bytes at least, found %s %#lx "
		       "size %#lx",
		       vd->name, VIRTIO_PCI_LEGACY_BAR, VIRTIO_PCI_LEGACY_CONFIG_MSIX,
		       bar->is_io ? "io" : "mem", (unsigned long)bar->base,
		       (unsigned long)bar->size);
		return -ENODEV;
	}
	vd->io_base = (uint16_t)bar->base;
	vd->device_cfg_len = (uint32_t)bar->size - VIRTIO_PCI_LEGACY_CONFIG_MSIX;
	vd->ops = &virtio_pci_legacy_ops;
	vd->modern = false;
	return 0;
}
