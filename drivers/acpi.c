/*
 * Just enough ACPI to power off: find the RSDP, the FADT through the RSDT or
 * XSDT, the sleep type for S5 in the DSDT's \_S5 package, and write it to the
 * PM1 control ports. Tables are read in place (identity mapped); every
 * address is checked to be mapped, and every length and checksum, first.
 */
#include "drivers/acpi.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/paging.h"
#include "drivers/acpi_tables.h"
#include "kernel/page.h"
#include "kernel/printk.h"

#define BIOS_AREA_START 0xE0000
#define BIOS_AREA_END 0x100000
#define RSDP_ALIGN 16
#define IDENTITY_LIMIT 0x100000000ULL
#define TABLE_MAX (16u << 20)
#define ENABLE_SPINS 1000000
#define POWEROFF_SPINS 10000000

static struct {
	uint64_t rsdp;
} acpi;

void acpi_set_rsdp(uint64_t rsdp)
{
	acpi.rsdp = rsdp;
}

static bool checksum_ok(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (n--)
		sum += *b++;
	return sum == 0;
}

/* Is [addr, addr + len) below 4 GiB and mapped? (Garbage addresses must not fault.) */
static bool readable(uint64_t addr, uint64_t len)
{
	if (!addr || len > IDENTITY_LIMIT || addr > IDENTITY_LIMIT - len)
		return false;
	for (uint64_t p = addr & ~(PAGE_SIZE - 1); p < addr + len; p += PAGE_SIZE)
		if (paging_query(p) < 0)
			return false;
	return true;
}

static const struct acpi_rsdp *find_rsdp(void)
{
	const struct acpi_rsdp *r;

	if (acpi.rsdp) {
		r = (const void *)acpi.rsdp;
		if (!readable(acpi.rsdp, sizeof(*r)))
			return NULL;
		return checksum_ok(r, ACPI_RSDP_V1_SIZE) ? r : NULL;
	}
	for (uintptr_t a = BIOS_AREA_START; a < BIOS_AREA_END; a += RSDP_ALIGN) {
		r = (const void *)a;
		if (!memcmp(r->signature, ACPI_RSDP_SIG, 8) && checksum_ok(r, ACPI_RSDP_V1_SIZE))
			return r;
	}
	return NULL;
}

/* The table at addr if it is mapped, sane and checksums; else NULL. */
static const struct acpi_header *table_at(uint64_t addr)
{
	const struct acpi_header *h = (const void *)addr;

	if (!readable(addr, sizeof(*h)))
		return NULL;
	if (h->length < sizeof(*h) || h->length > TABLE_MAX || !readable(addr, h->length))
		return NULL;
	return checksum_ok(h, h->length) ? h : NULL;
}

static const struct acpi_fadt *find_fadt(const struct acpi_rsdp *r)
{
	/* The XSDT only if the RSDP is a whole, checksummed 2.0 one. */
	bool x = r->revision >= 2 && r->length >= sizeof(*r) && r->length <= PAGE_SIZE &&
		 readable((uint64_t)r, r->length) && checksum_ok(r, r->length) && r->xsdt_address;
	const struct acpi_header *root = table_at(x ? r->xsdt_address : r->rsdt_address);
	size_t width = x ? 8 : 4, n;
	const uint8_t *entries;

	if (!root)
		return NULL;
	n = (root->length - sizeof(*root)) / width;
	entries = (const uint8_t *)(root + 1);
	for (size_t i = 0; i < n; i++) {
		uint64_t addr = 0;
		const struct acpi_header *h;

		memcpy(&addr, entries + i * width, width);
		h = table_at(addr);
		if (h && !memcmp(h->signature, ACPI_FADT_SIG, 4) &&
		    h->length >= sizeof(struct acpi_fadt))
			return (const void *)h;
	}
	return NULL;
}

/* Reads one small integer element of an AML package; returns bytes used. */
static size_t aml_small_int(const uint8_t *p, const uint8_t *end, uint8_t *v)
{
	if (p < end && (*p == AML_ZERO_OP || *p == AML_ONE_OP)) {
		*v = *p;
		return 1;
	}
	if (p + 1 < end && *p == AML_BYTE_PREFIX) {
		*v = p[1];
		return 2;
	}
	return 0;
}

/* Finds Name(_S5, Package(){ a, b, ... }) in the DSDT's AML. */
static bool find_s5(const struct acpi_header *dsdt, uint8_t *typ_a, uint8_t *typ_b)
{
	const uint8_t *p = (const uint8_t *)(dsdt + 1), *end = (const uint8_t *)dsdt + dsdt->length;

	for (; p + 8 < end; p++) {
		size_t used;

		if (memcmp(p, "_S5_", 4) || p[4] != AML_PACKAGE_OP)
			continue;
		if (p[-1] != AML_NAME_OP && !(p[-1] == '\\' && p[-2] == AML_NAME_OP))
			continue;
		p += 5;
		p += 1 + (*p >> 6); /* PkgLength: lead byte plus 0-3 more */
		p++;		    /* NumElements */
		used = aml_small_int(p, end, typ_a);
		if (!used || !aml_small_int(p + used, end, typ_b))
			return false;
		return true;
	}
	return false;
}

static void enable_acpi_mode(const struct acpi_fadt *f)
{
	if (inw((uint16_t)f->pm1a_cnt_blk) & ACPI_PM1_SCI_EN)
		return;
	if (!f->smi_cmd || !f->acpi_enable)
		return;
	outb((uint16_t)f->smi_cmd, f->acpi_enable);
	for (int i = 0; i < ENABLE_SPINS; i++)
		if (inw((uint16_t)f->pm1a_cnt_blk) & ACPI_PM1_SCI_EN)
			return;
}

void acpi_poweroff(void)
{
	const struct acpi_rsdp *r = find_rsdp();
	const struct acpi_fadt *f = r ? find_fadt(r) : NULL;
	const struct acpi_header *dsdt = f ? table_at(f->dsdt) : NULL;
	uint8_t a = 0, b = 0;

	const char *missing = !r		       ? "RSDP"
			      : !f		       ? "FADT"
			      : !dsdt		       ? "DSDT"
			      : !f->pm1a_cnt_blk       ? "PM1a control port"
			      : !find_s5(dsdt, &a, &b) ? "\\_S5 package"
						       : NULL;

	if (missing) {
		pr_err("acpi: cannot power off: no %s", missing);
		return;
	}
	enable_acpi_mode(f);
	outw((uint16_t)f->pm1a_cnt_blk, (uint16_t)(a << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SLP_EN));
	if (f->pm1b_cnt_blk)
		outw((uint16_t)f->pm1b_cnt_blk,
		     (uint16_t)(b << ACPI_PM1_SLP_TYP_SHIFT | ACPI_PM1_SLP_EN));
	for (int i = 0; i < POWEROFF_SPINS; i++)
		cpu_relax();
	pr_err("acpi: S5 requested through port %#x but the machine is still running",
	       f->pm1a_cnt_blk);
}
