/*
 * The virtio PCI transport's registers (virtio 1.x 4.1): the vendor
 * capabilities and the common configuration window of a modern device,
 * and the I/O BAR 0 registers of a legacy (0.9.5) one. Constants only.
 */
#ifndef DRIVERS_VIRTIO_VIRTIO_PCI_REGS_H
#define DRIVERS_VIRTIO_VIRTIO_PCI_REGS_H

#define VIRTIO_PCI_VENDOR 0x1AF4
/* Transitional devices: 0x1000 + (type - 1) for the legacy types; modern: 0x1040 + type. */
#define VIRTIO_PCI_DEVICE_LEGACY_FIRST 0x1000
#define VIRTIO_PCI_DEVICE_LEGACY_LAST 0x103F
#define VIRTIO_PCI_DEVICE_MODERN_BASE 0x1040
#define VIRTIO_PCI_DEVICE_MODERN_LAST 0x107F
#define VIRTIO_PCI_LEGACY_NET 0x1000
#define VIRTIO_PCI_LEGACY_9P 0x1009

/* struct virtio_pci_cap, inside a PCI vendor capability (4.1.4) */
#define VIRTIO_PCI_CAP_CFG_TYPE 3
#define VIRTIO_PCI_CAP_BAR 4
#define VIRTIO_PCI_CAP_OFFSET 8
#define VIRTIO_PCI_CAP_LENGTH 12
#define VIRTIO_PCI_NOTIFY_CAP_MULT 16 /* notify_off_multiplier, after the cap */

#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5

/* struct virtio_pci_common_cfg (4.1.4.3): byte offsets */
#define VIRTIO_PCI_COMMON_DFSELECT 0
#define VIRTIO_PCI_COMMON_DF 4
#define VIRTIO_PCI_COMMON_GFSELECT 8
#define VIRTIO_PCI_COMMON_GF 12
#define VIRTIO_PCI_COMMON_MSIX 16
#define VIRTIO_PCI_COMMON_NUMQ 18
#define VIRTIO_PCI_COMMON_STATUS 20
#define VIRTIO_PCI_COMMON_CFGGENERATION 21
#define VIRTIO_PCI_COMMON_Q_SELECT 22
#define VIRTIO_PCI_COMMON_Q_SIZE 24
#define VIRTIO_PCI_COMMON_Q_MSIX 26
#define VIRTIO_PCI_COMMON_Q_ENABLE 28
#define VIRTIO_PCI_COMMON_Q_NOFF 30
#define VIRTIO_PCI_COMMON_Q_DESCLO 32
#define VIRTIO_PCI_COMMON_Q_DESCHI 36
#define VIRTIO_PCI_COMMON_Q_AVAILLO 40
#define VIRTIO_PCI_COMMON_Q_AVAILHI 44
#define VIRTIO_PCI_COMMON_Q_USEDLO 48
#define VIRTIO_PCI_COMMON_Q_USEDHI 52
#define VIRTIO_PCI_COMMON_CFG_SIZE 56 /* what the window must hold at least */

/* The legacy registers in I/O BAR 0 (4.1.4.8) */
#define VIRTIO_PCI_LEGACY_HOST_FEATURES 0 /* 32 bits */
#define VIRTIO_PCI_LEGACY_GUEST_FEATURES 4
#define VIRTIO_PCI_LEGACY_QUEUE_PFN 8
#define VIRTIO_PCI_LEGACY_QUEUE_NUM 12 /* 16 bits */
#define VIRTIO_PCI_LEGACY_QUEUE_SEL 14
#define VIRTIO_PCI_LEGACY_QUEUE_NOTIFY 16
#define VIRTIO_PCI_LEGACY_STATUS 18 /* 8 bits */
#define VIRTIO_PCI_LEGACY_ISR 19
/* Only while MSI-X is enabled: */
#define VIRTIO_PCI_LEGACY_MSIX_CONFIG 20
#define VIRTIO_PCI_LEGACY_MSIX_QUEUE 22
/* Device configuration: after the MSI-X registers when they are there. */
#define VIRTIO_PCI_LEGACY_CONFIG 20
#define VIRTIO_PCI_LEGACY_CONFIG_MSIX 24
#define VIRTIO_PCI_LEGACY_PFN_SHIFT 12 /* the queue address in 4096-byte frames */
#define VIRTIO_PCI_LEGACY_BAR 0

/* Queue and config vectors: none (4.1.5.1.2) */
#define VIRTIO_MSI_NO_VECTOR 0xFFFF

/* The ISR status byte: reading it acknowledges */
#define VIRTIO_PCI_ISR_QUEUE 0x1
#define VIRTIO_PCI_ISR_CONFIG 0x2

#endif
