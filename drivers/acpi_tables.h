/* ACPI table layouts (ACPI 6.x, chapter 5), wire format only. */
#ifndef DRIVERS_ACPI_TABLES_H
#define DRIVERS_ACPI_TABLES_H

#include <stdint.h>

#define ACPI_RSDP_SIG "RSD PTR "
#define ACPI_FADT_SIG "FACP"
#define ACPI_MADT_SIG "APIC"

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision; /* 0: ACPI 1.0 (RSDT only); 2+: XSDT fields valid */
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t ext_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

#define ACPI_RSDP_V1_SIZE 20

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __attribute__((packed));

/* The part of the FADT that power-off and the clock need (ACPI 1.0 layout). */
struct acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk; /* the PM timer's I/O port, 0 if none */
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len; /* 4 when there is a PM timer */
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
} __attribute__((packed));

#define ACPI_FADT_TMR_VAL_EXT (1u << 8) /* flags: the PM timer counts 32 bits, not 24 */

/* The MADT: a header, then variable-length entries. */
struct acpi_madt {
	struct acpi_header h;
	uint32_t lapic_address;
	uint32_t flags;
} __attribute__((packed));

struct acpi_madt_entry {
	uint8_t type;
	uint8_t length;
} __attribute__((packed));

#define ACPI_MADT_LAPIC 0    /* processor ID (1), APIC ID (1), flags (4) */
#define ACPI_MADT_X2APIC 9   /* reserved (2), x2APIC ID (4), flags (4), UID (4) */
#define ACPI_MADT_IOAPIC 1   /* id (1), reserved (1), address (4), first GSI (4) */
#define ACPI_MADT_OVERRIDE 2 /* bus (1), ISA irq (1), GSI (4), flags (2) */
#define ACPI_MADT_IOAPIC_ADDR_OFF 4
#define ACPI_MADT_IOAPIC_GSI_OFF 8
#define ACPI_MADT_IOAPIC_LEN 12
#define ACPI_MADT_OVERRIDE_IRQ_OFF 3
#define ACPI_MADT_OVERRIDE_GSI_OFF 4
#define ACPI_MADT_OVERRIDE_FLAGS_OFF 8
#define ACPI_MADT_OVERRIDE_LEN 10
/* An override's flags: polarity and trigger; 0 in either means the bus's (ISA: high, edge). */
#define ACPI_MPS_POLARITY_MASK 0x3
#define ACPI_MPS_ACTIVE_LOW 0x3
#define ACPI_MPS_TRIGGER_MASK 0xC
#define ACPI_MPS_LEVEL 0xC
#define ACPI_MADT_LAPIC_FLAGS_OFF 4
#define ACPI_MADT_X2APIC_FLAGS_OFF 8
#define ACPI_MADT_ENABLED (1u << 0)

#define ACPI_PM1_SCI_EN (1u << 0)
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_EN (1u << 13)

/* AML opcodes met on the way to \_S5's package. */
#define AML_NAME_OP 0x08
#define AML_PACKAGE_OP 0x12
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_BYTE_PREFIX 0x0A

#endif
