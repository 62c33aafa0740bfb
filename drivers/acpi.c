/*
 * Just enough ACPI: find the RSDP and, through the RSDT or XSDT, the FADT
 * (the PM timer's port, and power-off: the sleep type for S5 in the DSDT's
 * \_S5 package, written to the PM1 control ports) and the MADT (how many
 * CPUs there are, and the I/O APIC line of an ISA interrupt). Tables are
 * read in place (identity mapped); every address is checked to be mapped,
 * and every length and checksum, first, and again at power-off, since the
 * application may have written anywhere.
 */
#include "drivers/acpi.h"

#include <errno.h>
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
/* Firmware keeps its tables in the low 4 GiB; an address above is garbage. */
#define TABLE_ADDR_LIMIT 0x100000000ULL
#define TABLE_MAX (16u << 20)
#define ENABLE_SPINS 1000000
#define POWEROFF_SPINS 10000000

static struct {
	uint64_t rsdp;	     /* the loader's copy, 0: search the BIOS area */
	uint64_t fadt, madt; /* found by acpi_init(), 0 if absent */
} acpi;

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
	if (!addr || len > TABLE_ADDR_LIMIT || addr > TABLE_ADDR_LIMIT - len)
		return false;
	for (uint64_t p = addr & ~(PAGE_SIZE - 1); p < addr + len; p += PAGE_SIZE)
		if (paging_query(p) < 0)
			return false;
	return true;
}

static const struct acpi_rsdp *find_rsdp(void)
{
	const struct acpi_rsdp *r;
	uint64_t sig;

	if (acpi.rsdp) {
		r = (const void *)acpi.rsdp;
		if (!readable(acpi.rsdp, sizeof(*r)))
			return NULL;
		return checksum_ok(r, ACPI_RSDP_V1_SIZE) ? r : NULL;
	}
	memcpy(&sig, ACPI_RSDP_SIG, sizeof(sig));
	/* One load a candidate: under emulation a call per candidate costs a millisecond. */
	for (uintptr_t a = BIOS_AREA_START; a < BIOS_AREA_END; a += RSDP_ALIGN) {
		r = (const void *)a;
		if (*(const uint64_t *)a == sig && checksum_ok(r, ACPI_RSDP_V1_SIZE))
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

/* Records where the FADT and the MADT are, from the RSDT or XSDT. */
static void find_tables(const struct acpi_rsdp *r)
{
	/* The XSDT only if the RSDP is a whole, checksummed 2.0 one. */
	bool x = r->revision >= 2 && r->length >= sizeof(*r) && r->length <= PAGE_SIZE &&
		 readable((uint64_t)r, r->length) && checksum_ok(r, r->length) && r->xsdt_address;
	const struct acpi_header *root = table_at(x ? r->xsdt_address : r->rsdt_address);
	size_t width = x ? 8 : 4, n;
	const uint8_t *entries;

	if (!root)
		return;
	n = (root->length - sizeof(*root)) / width;
	entries = (const uint8_t *)(root + 1);
	for (size_t i = 0; i < n; i++) {
		uint64_t addr = 0;
		const struct acpi_header *h;

		memcpy(&addr, entries + i * width, width);
		h = table_at(addr);
		if (h && !memcmp(h->signature, ACPI_FADT_SIG, 4) &&
		    h->length >= offsetof(struct acpi_fadt, pm2_cnt_blk))
			acpi.fadt = addr;
		else if (h && !memcmp(h->signature, ACPI_MADT_SIG, 4) &&
			 h->length >= sizeof(struct acpi_madt))
			acpi.madt = addr;
	}
}

int acpi_init(uint64_t rsdp)
{
	const struct acpi_rsdp *r;

	acpi.rsdp = rsdp;
	r = find_rsdp();
	if (!r) {
		pr_debug("acpi: no RSDP: no ACPI power-off, PM timer or CPU count");
		return 0;
	}
	find_tables(r);
	pr_debug("acpi: RSDP at %p, FADT at %#lx, MADT at %#lx", (const void *)r,
		 (unsigned long)acpi.fadt, (unsigned long)acpi.madt);
	return 0;
}

uint16_t acpi_pm_timer_port(bool *wide)
{
	const struct acpi_fadt *f = (const void *)table_at(acpi.fadt);

	if (!f || f->h.length < offsetof(struct acpi_fadt, gpe0_blk) || !f->pm_tmr_blk ||
	    f->pm_tmr_blk > UINT16_MAX)
		return 0;
	*wide = f->h.length >= offsetof(struct acpi_fadt, flags) + sizeof(f->flags) &&
		f->flags & ACPI_FADT_TMR_VAL_EXT;
	return (uint16_t)f->pm_tmr_blk;
}

/* The MADT's entry after prev (NULL: the first) that lies wholly inside it, or NULL. */
static const uint8_t *madt_next(const struct acpi_madt *m, const uint8_t *prev)
{
	const uint8_t *end = (const uint8_t *)m + m->h.length;
	const uint8_t *p = prev ? prev + ((const struct acpi_madt_entry *)prev)->length
				: (const uint8_t *)(m + 1);
	const struct acpi_madt_entry *e = (const void *)p;

	if (p + sizeof(*e) > end || e->length < sizeof(*e) || p + e->length > end)
		return NULL;
	return p;
}

int acpi_cpu_count(void)
{
	const struct acpi_madt *m = (const void *)table_at(acpi.madt);
	int n = 0;

	for (const uint8_t *p = m ? madt_next(m, NULL) : NULL; p; p = madt_next(m, p)) {
		const struct acpi_madt_entry *e = (const void *)p;
		uint32_t flags;

		if (e->type == ACPI_MADT_LAPIC && e->length >= ACPI_MADT_LAPIC_FLAGS_OFF + 4) {
			memcpy(&flags, p + ACPI_MADT_LAPIC_FLAGS_OFF, sizeof(flags));
			n += flags & ACPI_MADT_ENABLED;
		} else if (e->type == ACPI_MADT_X2APIC &&
			   e->length >= ACPI_MADT_X2APIC_FLAGS_OFF + 4) {
			memcpy(&flags, p + ACPI_MADT_X2APIC_FLAGS_OFF, sizeof(flags));
			n += flags & ACPI_MADT_ENABLED;
		}
	}
	return n;
}

/* The GSI and flags an override gives ISA irq, or the irq itself, high and edge. */
static uint32_t isa_gsi(const struct acpi_madt *m, unsigned irq, uint16_t *flags)
{
	*flags = 0;
	for (const uint8_t *p = madt_next(m, NULL); p; p = madt_next(m, p)) {
		const struct acpi_madt_entry *e = (const void *)p;
		uint32_t gsi;

		if (e->type != ACPI_MADT_OVERRIDE || e->length < ACPI_MADT_OVERRIDE_LEN ||
		    p[ACPI_MADT_OVERRIDE_IRQ_OFF] != irq)
			continue;
		memcpy(&gsi, p + ACPI_MADT_OVERRIDE_GSI_OFF, sizeof(gsi));
		memcpy(flags, p + ACPI_MADT_OVERRIDE_FLAGS_OFF, sizeof(*flags));
		return gsi;
	}
	return irq;
}

int acpi_isa_line(unsigned irq, struct ioapic_line *l)
{
	const struct acpi_madt *m = (const void *)table_at(acpi.madt);
	uint16_t flags;
	uint32_t gsi, addr, first, best = 0;
	bool found = false;

	if (!m)
		return -ENOENT;
	gsi = isa_gsi(m, irq, &flags);
	/* The I/O APIC whose first GSI is the highest at or below this one serves it. */
	for (const uint8_t *p = madt_next(m, NULL); p; p = madt_next(m, p)) {
		const struct acpi_madt_entry *e = (const void *)p;

		if (e->type != ACPI_MADT_IOAPIC || e->length < ACPI_MADT_IOAPIC_LEN)
			continue;
		memcpy(&addr, p + ACPI_MADT_IOAPIC_ADDR_OFF, sizeof(addr));
		memcpy(&first, p + ACPI_MADT_IOAPIC_GSI_OFF, sizeof(first));
		if (first <= gsi && (!found || first >= best)) {
			*l = (struct ioapic_line){ .base = addr, .pin = gsi - first };
			best = first;
			found = true;
		}
	}
	if (!found)
		return -ENOENT;
	l->active_low = (flags & ACPI_MPS_POLARITY_MASK) == ACPI_MPS_ACTIVE_LOW;
	l->level = (flags & ACPI_MPS_TRIGGER_MASK) == ACPI_MPS_LEVEL;
	return 0;
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
	const struct acpi_fadt *f = (const void *)table_at(acpi.fadt);
	const struct acpi_header *dsdt = f ? table_at(f->dsdt) : NULL;
	uint8_t a = 0, b = 0;

	const char *missing = !f		       ? "FADT"
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
