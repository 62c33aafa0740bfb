/*
 * The modern virtio PCI transport (virtio 1.x 4.1.4): vendor capabilities
 * point at windows in memory BARs (common configuration, doorbells, ISR,
 * device configuration), each mapped uncached. 64 feature bits through
 * 32-bit select/value pairs; queue addresses in 64-bit registers written
 * as two halves.
 */
#include <errno.h>

#include "arch/x86_64/paging.h"
#include "drivers/pci_regs.h"
#include "drivers/virtio/virtio_pci_priv.h"
#include "kernel/printk.h"

#define FEATURE_WORD_BITS 32
#define FEATURE_WORDS 2
#define RESET_POLLS_MAX 100000 /* reads of the status after a reset before giving up */
#define ISR_WINDOW_MIN 1
#define NOTIFY_WIDTH 2 /* a doorbell is a 16-bit write */

static uint8_t rd8(volatile uint8_t *base, unsigned off)
{
	return base[off];
}

static uint16_t rd16(volatile uint8_t *base, unsigned off)
{
	return *(volatile uint16_t *)(base + off);
}

static uint32_t rd32(volatile uint8_t *base, unsigned off)
{
	return *(volatile uint32_t *)(base + off);
}

static void wr8(volatile uint8_t *base, unsigned off, uint8_t v)
{
	base[off] = v;
}

static void wr16(volatile uint8_t *base, unsigned off, uint16_t v)
{
	*(volatile uint16_t *)(base + off) = v;
}

static void wr32(volatile uint8_t *base, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(base + off) = v;
}

/* A 64-bit register as two 32-bit halves, low first (4.1.3.1). */
static void wr64(volatile uint8_t *base, unsigned lo, unsigned hi, uint64_t v)
{
	wr32(base, lo, (uint32_t)v);
	wr32(base, hi, (uint32_t)(v >> 32));
}

static uint8_t modern_get_status(struct virtio_dev *vd)
{
	return rd8(vd->common, VIRTIO_PCI_COMMON_STATUS);
}

/* Writing 0 resets; the reset is done when the status reads 0 again (4.1.4.3.2). */
static void modern_set_status(struct virtio_dev *vd, uint8_t status)
{
	wr8(vd->common, VIRTIO_PCI_COMMON_STATUS, status);
	for (int i = 0; !status && i < RESET_POLLS_MAX; i++)
		if (!rd8(vd->common, VIRTIO_PCI_COMMON_STATUS))
			return;
	if (!status)
		pr_warn("%s: modern: status still %#x after a reset", vd->name,
			rd8(vd->common, VIRTIO_PCI_COMMON_STATUS));
}

static uint64_t modern_get_features(struct virtio_dev *vd)
{
	uint64_t f = 0;

	for (uint32_t w = 0; w < FEATURE_WORDS; w++) {
		wr32(vd->common, VIRTIO_PCI_COMMON_DFSELECT, w);
		f |= (uint64_t)rd32(vd->common, VIRTIO_PCI_COMMON_DF) << (w * FEATURE_WORD_BITS);
	}
	return f;
}

static void modern_set_features(struct virtio_dev *vd, uint64_t features)
{
	for (uint32_t w = 0; w < FEATURE_WORDS; w++) {
		wr32(vd->common, VIRTIO_PCI_COMMON_GFSELECT, w);
		wr32(vd->common, VIRTIO_PCI_COMMON_GF,
		     (uint32_t)(features >> (w * FEATURE_WORD_BITS)));
	}
}

static void read_fields(struct virtio_dev *vd, unsigned off, uint8_t *p, unsigned len)
{
	if (len == sizeof(uint32_t) && !(off % sizeof(uint32_t))) {
		uint32_t v = rd32(vd->device_cfg, off);
		__builtin_memcpy(p, &v, sizeof(v));
	} else if (len == sizeof(uint16_t) && !(off % sizeof(uint16_t))) {
		uint16_t v = rd16(vd->device_cfg, off);
		__builtin_memcpy(p, &v, sizeof(v));
	} else {
		for (unsigned i = 0; i < len; i++)
			p[i] = rd8(vd->device_cfg, off + i);
	}
}

/* Reads again until the configuration generation holds still (4.1.4.3.1). */
static void modern_read_config(struct virtio_dev *vd, unsigned off, void *buf, unsigned len)
{
	uint8_t before, after;

	do {
		before = rd8(vd->common, VIRTIO_PCI_COMMON_CFGGENERATION);
		read_fields(vd, off, buf, len);
		after = rd8(vd->common, VIRTIO_PCI_COMMON_CFGGENERATION);
	} while (before != after);
}

static uint16_t modern_queue_size(struct virtio_dev *vd, uint16_t index)
{
	if (index >= VIRTIO_QUEUES_MAX || index >= rd16(vd->common, VIRTIO_PCI_COMMON_NUMQ))
		return 0;
	wr16(vd->common, VIRTIO_PCI_COMMON_Q_SELECT, index);
	return rd16(vd->common, VIRTIO_PCI_COMMON_Q_SIZE);
}

/* Writes a vector register and checks the device took it (it says NO_VECTOR if not). */
static int set_vector(struct virtio_dev *vd, unsigned off, uint16_t entry)
{
	uint16_t seen;

	wr16(vd->common, off, entry);
	seen = rd16(vd->common, off);
	if (seen == entry)
		return 0;
	pr_err("%s: modern: MSI-X vector register %u: wrote %u, read back %u", vd->name, off, entry,
	       seen);
	return -EIO;
}

static int modern_queue_setup(struct virtio_dev *vd, struct virtq *vq, uint16_t msix_entry)
{
	volatile uint8_t *c = vd->common;
	uint16_t noff;
	int err;

	wr16(c, VIRTIO_PCI_COMMON_Q_SELECT, vq->index);
	wr16(c, VIRTIO_PCI_COMMON_Q_SIZE, vq->num);
	err = set_vector(vd, VIRTIO_PCI_COMMON_Q_MSIX, msix_entry);
	if (err < 0)
		return err;
	wr64(c, VIRTIO_PCI_COMMON_Q_DESCLO, VIRTIO_PCI_COMMON_Q_DESCHI, virtq_desc_addr(vq));
	wr64(c, VIRTIO_PCI_COMMON_Q_AVAILLO, VIRTIO_PCI_COMMON_Q_AVAILHI, virtq_avail_addr(vq));
	wr64(c, VIRTIO_PCI_COMMON_Q_USEDLO, VIRTIO_PCI_COMMON_Q_USEDHI, virtq_used_addr(vq));
	noff = rd16(c, VIRTIO_PCI_COMMON_Q_NOFF);
	if ((uint64_t)noff * vd->notify_mult + NOTIFY_WIDTH > vd->notify_len) {
		pr_err("%s: modern: queue %u doorbell at %u x %u, beyond the %u-byte window",
		       vd->name, vq->index, noff, vd->notify_mult, vd->notify_len);
		return -EIO;
	}
	vd->queue_notify_off[vq->index] = noff;
	wr16(c, VIRTIO_PCI_COMMON_Q_ENABLE, 1);
	return 0;
}

static int modern_set_config_vector(struct virtio_dev *vd, uint16_t msix_entry)
{
	return set_vector(vd, VIRTIO_PCI_COMMON_MSIX, msix_entry);
}

static uint8_t modern_read_isr(struct virtio_dev *vd)
{
	return rd8(vd->isr, 0);
}

static void modern_notify(struct virtq *vq)
{
	struct virtio_dev *vd = vq->priv;

	wr16(vd->notify_base, vd->queue_notify_off[vq->index] * vd->notify_mult, vq->index);
}

const struct virtio_transport_ops virtio_pci_modern_ops = {
	.name = "modern",
	.get_status = modern_get_status,
	.set_status = modern_set_status,
	.get_features = modern_get_features,
	.set_features = modern_set_features,
	.read_config = modern_read_config,
	.queue_size = modern_queue_size,
	.queue_setup = modern_queue_setup,
	.set_config_vector = modern_set_config_vector,
	.read_isr = modern_read_isr,
	.notify = modern_notify,
};

/* The window a capability at cap describes, mapped; NULL if it lies outside its BAR. */
static volatile uint8_t *map_cap(struct virtio_dev *vd, struct pci_dev *pd, uint8_t cap,
				 uint32_t *len)
{
	uint8_t bar = pci_cfg_read8(pd, cap + VIRTIO_PCI_CAP_BAR);
	uint32_t off = pci_cfg_read32(pd, cap + VIRTIO_PCI_CAP_OFFSET);
	const struct pci_bar *b = bar < PCI_BARS ? &pd->bars[bar] : NULL;

	*len = pci_cfg_read32(pd, cap + VIRTIO_PCI_CAP_LENGTH);
	if (!b || !b->base || b->is_io || (uint64_t)off + *len > b->size) {
		pr_warn("%s: modern: capability at %#x names bar %u offset %#x length %#x, "
			"outside any memory BAR; ignored",
			vd->name, cap, bar, off, *len);
		return NULL;
	}
	return paging_map_device(b->base + off, *len);
}

/* Takes the first usable capability of each type (4.1.4). */
static void take_cap(struct virtio_dev *vd, struct pci_dev *pd, uint8_t cap)
{
	uint8_t type = pci_cfg_read8(pd, cap + VIRTIO_PCI_CAP_CFG_TYPE);
	volatile uint8_t **win = type == VIRTIO_PCI_CAP_COMMON_CFG   ? &vd->common
				 : type == VIRTIO_PCI_CAP_NOTIFY_CFG ? &vd->notify_base
				 : type == VIRTIO_PCI_CAP_ISR_CFG    ? &vd->isr
				 : type == VIRTIO_PCI_CAP_DEVICE_CFG ? &vd->device_cfg
								     : NULL;
	uint32_t len;

	if (!win || *win)
		return;
	*win = map_cap(vd, pd, cap, &len);
	if (!*win)
		return;
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
		vd->notify_len = len;
		vd->notify_mult = pci_cfg_read32(pd, cap + VIRTIO_PCI_NOTIFY_CAP_MULT);
	} else if (type == VIRTIO_PCI_CAP_DEVICE_CFG) {
		vd->device_cfg_len = len;
	} else if (type == VIRTIO_PCI_CAP_COMMON_CFG && len < VIRTIO_PCI_COMMON_CFG_SIZE) {
		pr_warn("%s: modern: common configuration of %u bytes, expected %d; ignored",
			vd->name, len, VIRTIO_PCI_COMMON_CFG_SIZE);
		vd->common = NULL;
	} else if (type == VIRTIO_PCI_CAP_ISR_CFG && len < ISR_WINDOW_MIN) {
		vd->isr = NULL;
	}
}

int virtio_pci_modern_probe(struct virtio_dev *vd, struct pci_dev *pd)
{
	for (uint8_t cap = pci_find_cap(pd, PCI_CAP_ID_VENDOR, 0); cap;
	     cap = pci_find_cap(pd, PCI_CAP_ID_VENDOR, cap))
		take_cap(vd, pd, cap);
	if (!vd->common || !vd->notify_base || !vd->isr)
		return -ENODEV;
	vd->ops = &virtio_pci_modern_ops;
	vd->modern = true;
	return 0;
}
