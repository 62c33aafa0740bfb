/* Between virtio_pci.c and the two transports it chooses from. */
#ifndef DRIVERS_VIRTIO_VIRTIO_PCI_PRIV_H
#define DRIVERS_VIRTIO_VIRTIO_PCI_PRIV_H

#include "drivers/virtio/virtio.h"

/* Fills vd's modern windows from pd's capabilities; 0 or -ENODEV (none usable). */
int virtio_pci_modern_probe(struct virtio_dev *vd, struct pci_dev *pd);
/* Takes I/O BAR 0 of pd; 0 or -ENODEV. */
int virtio_pci_legacy_probe(struct virtio_dev *vd, struct pci_dev *pd);

extern const struct virtio_transport_ops virtio_pci_modern_ops;
extern const struct virtio_transport_ops virtio_pci_legacy_ops;

#endif
