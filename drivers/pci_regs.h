/*
 * PCI configuration space as the PCI Local Bus Specification 3.0 lays it
 * out: the configuration mechanism #1 ports, the header fields, BAR bits,
 * and the MSI-X capability and table. Constants only.
 */
#ifndef DRIVERS_PCI_REGS_H
#define DRIVERS_PCI_REGS_H

/* Configuration mechanism #1: an address to 0xCF8, data through 0xCFC. */
#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA 0xCFC
#define PCI_CONFIG_ENABLE (1u << 31)
#define PCI_CONFIG_BUS_SHIFT 16
#define PCI_CONFIG_DEV_SHIFT 11
#define PCI_CONFIG_FN_SHIFT 8
#define PCI_CONFIG_REG_MASK 0xFC

#define PCI_BUSES 256
#define PCI_DEVICES_PER_BUS 32
#define PCI_FUNCTIONS 8

/* The common header */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION 0x08
#define PCI_PROG_IF 0x09
#define PCI_SUBCLASS 0x0A
#define PCI_CLASS 0x0B
#define PCI_HEADER_TYPE 0x0E
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_ID 0x2E
#define PCI_CAP_PTR 0x34
#define PCI_INTERRUPT_LINE 0x3C

/* Header type 1 (PCI-PCI bridge) */
#define PCI_SECONDARY_BUS 0x19

#define PCI_VENDOR_NONE 0xFFFF /* no function answers */

#define PCI_HEADER_TYPE_MASK 0x7F
#define PCI_HEADER_NORMAL 0x00
#define PCI_HEADER_BRIDGE 0x01
#define PCI_HEADER_MULTIFUNCTION 0x80

#define PCI_CMD_IO (1u << 0)
#define PCI_CMD_MEMORY (1u << 1)
#define PCI_CMD_BUS_MASTER (1u << 2)
#define PCI_CMD_INTX_DISABLE (1u << 10)

#define PCI_STATUS_CAP_LIST (1u << 4)

#define PCI_CLASS_BRIDGE 0x06
#define PCI_SUBCLASS_PCI_BRIDGE 0x04

#define PCI_BARS_NORMAL 6
#define PCI_BAR_SIZE 4 /* bytes per BAR register */
#define PCI_BAR_IO (1u << 0)
#define PCI_BAR_IO_MASK 0xFFFFFFFCu
#define PCI_BAR_MEM_TYPE_MASK 0x6u
#define PCI_BAR_MEM_TYPE_64 0x4u
#define PCI_BAR_MEM_MASK 0xFFFFFFF0u
#define PCI_BAR_ALL_ONES 0xFFFFFFFFu
#define PCI_IO_PORT_LIMIT 0xFFFFu /* I/O BARs decode 16 bits of port address on x86 */

/* Capabilities: a list of (id, next) pairs from PCI_CAP_PTR */
#define PCI_CAP_ID 0
#define PCI_CAP_NEXT 1
#define PCI_CAP_PTR_MASK 0xFC
#define PCI_CAP_LIST_MAX 48 /* (256 - 64) / 4: more links than that is a loop */
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_VENDOR 0x09
#define PCI_CAP_ID_MSIX 0x11

/* The MSI-X capability */
#define PCI_MSIX_CTRL 2
#define PCI_MSIX_TABLE 4
#define PCI_MSIX_PBA 8
#define PCI_MSIX_CTRL_SIZE_MASK 0x7FFu /* table size - 1 */
#define PCI_MSIX_CTRL_MASKALL (1u << 14)
#define PCI_MSIX_CTRL_ENABLE (1u << 15)
#define PCI_MSIX_BIR_MASK 0x7u
#define PCI_MSIX_OFFSET_MASK 0xFFFFFFF8u

/* An MSI-X table entry */
#define PCI_MSIX_ENTRY_SIZE 16
#define PCI_MSIX_ENTRY_ADDR_LO 0
#define PCI_MSIX_ENTRY_ADDR_HI 4
#define PCI_MSIX_ENTRY_DATA 8
#define PCI_MSIX_ENTRY_CTRL 12
#define PCI_MSIX_ENTRY_CTRL_MASKED (1u << 0)

/* The message address: the LAPIC window, and which APIC takes it */
#define PCI_MSI_ADDR_BASE 0xFEE00000u
#define PCI_MSI_ADDR_DEST_SHIFT 12

#endif
