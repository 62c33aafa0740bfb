#include "arch/x86_64/lapic.h"

#include <errno.h>
#include <stdbool.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/vectors.h"
#include "kernel/printk.h"
#include "kernel/time.h"

#define MSR_APIC_BASE 0x1B
#define APIC_BASE_ENABLE (1ULL << 11)
#define APIC_BASE_X2APIC (1ULL << 10)
#define APIC_BASE_ADDR 0xFFFFFF000ULL
#define LAPIC_MMIO_SIZE 4096
#define MSR_X2APIC_BASE 0x800
#define MSR_TSC_DEADLINE 0x6E0

/* Register offsets (xAPIC); x2APIC MSR = 0x800 + offset / 16. */
#define LAPIC_ID 0x20
#define LAPIC_VERSION 0x30
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xB0
#define LAPIC_SVR 0xF0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3E0
#define LAPIC_VERSION_MASK 0xFF

#define SVR_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_TIMER_TSC_DEADLINE (2u << 17)
#define TIMER_DIVIDE_1 0xB

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define PIC_ICW1_INIT 0x11
#define PIC_ICW4_8086 0x01
#define PIC1_VECTOR 0x20
#define PIC2_VECTOR 0x28
#define PIC_CASCADE_IRQ 2
#define PIC_MASK_ALL 0xFF

#define CALIBRATE_NS 250000
#define SAMPLE_READS 3
#define HZ_PER_MHZ 1000000

static struct {
	volatile uint32_t *mmio;
	bool x2apic, tsc_deadline;
	uint64_t ticks_per_tsc_q32; /* LAPIC timer counts per TSC tick, 32.32 fixed */
} lapic;

static uint32_t lapic_read(uint32_t reg)
{
	return lapic.x2apic ? (uint32_t)rdmsr(MSR_X2APIC_BASE + reg / 16) : lapic.mmio[reg / 4];
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	if (lapic.x2apic)
		wrmsr(MSR_X2APIC_BASE + reg / 16, v);
	else
		lapic.mmio[reg / 4] = v;
}

/* Remaps the legacy PICs away from the exception vectors and masks them. */
static void pic_disable(void)
{
	outb(PIC1_CMD, PIC_ICW1_INIT);
	outb(PIC2_CMD, PIC_ICW1_INIT);
	outb(PIC1_DATA, PIC1_VECTOR);
	outb(PIC2_DATA, PIC2_VECTOR);
	outb(PIC1_DATA, 1 << PIC_CASCADE_IRQ);
	outb(PIC2_DATA, PIC_CASCADE_IRQ);
	outb(PIC1_DATA, PIC_ICW4_8086);
	outb(PIC2_DATA, PIC_ICW4_8086);
	outb(PIC1_DATA, PIC_MASK_ALL);
	outb(PIC2_DATA, PIC_MASK_ALL);
}

/*
 * The count, the TSC at the middle of the (slow, emulated) read, and the
 * read's width: the tightest of SAMPLE_READS reads.
 */
static void sample(uint64_t *tsc, uint32_t *count, uint64_t *width)
{
	*width = UINT64_MAX;
	for (int i = 0; i < SAMPLE_READS; i++) {
		uint64_t before = rdtsc();
		uint32_t c = lapic_read(LAPIC_TIMER_CURRENT);
		uint64_t w = rdtsc() - before;

		if (w < *width)
			*count = c, *width = w, *tsc = before + w / 2;
	}
}

/*
 * Counts the count-down timer against the TSC over about CALIBRATE_NS,
 * between two reads of the count: the time the start takes cancels out.
 * A TCG write to the LAPIC can take longer than a whole short window, and
 * counting from before it made estimates up to 20% off. What the two reads'
 * widths leave unknown is taken as if the window were that much longer: the
 * rate comes out low rather than high, so a timer fires a little early
 * (and the interrupt, finding nothing due, sets it again) instead of late.
 */
static void calibrate(void)
{
	uint64_t window = time_tsc_hz() * CALIBRATE_NS / NSEC_PER_SEC, t0, t1, w0, w1, span;
	uint32_t c0, c1;

	lapic_write(LAPIC_TIMER_DIVIDE, TIMER_DIVIDE_1);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
	lapic_write(LAPIC_TIMER_INIT, UINT32_MAX);
	sample(&t0, &c0, &w0);
	while (rdtsc() - t0 < window)
		cpu_relax();
	sample(&t1, &c1, &w1);
	lapic_write(LAPIC_TIMER_INIT, 0);
	span = t1 - t0 + (w0 + w1) / 2;
	lapic.ticks_per_tsc_q32 = ((uint64_t)(c0 - c1) << 32) / span;
	pr_info("lapic: timer at %lu MHz, one-shot mode",
		(unsigned long)((uint64_t)(c0 - c1) * time_tsc_hz() / span / HZ_PER_MHZ));
}

int lapic_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	pic_disable();
	lapic.x2apic = cpu_has(CPU_X2APIC);
	if (lapic.x2apic) {
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
	} else {
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
		lapic.mmio = paging_map_device(base & APIC_BASE_ADDR, LAPIC_MMIO_SIZE);
		if (!lapic.mmio)
			return -ENOMEM;
	}
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_LAPIC_SPURIOUS);
	lapic.tsc_deadline = cpu_has(CPU_TSC_DEADLINE);
	pr_info("lapic: %s, version %#x", lapic.x2apic ? "x2APIC" : "xAPIC",
		lapic_read(LAPIC_VERSION) & LAPIC_VERSION_MASK);
	if (lapic.tsc_deadline)
		pr_info("lapic: timer in TSC-deadline mode");
	else
		calibrate();
	return 0;
}

#define XAPIC_ID_SHIFT 24 /* xAPIC keeps its 8-bit id in the register's top byte */

uint32_t lapic_id(void)
{
	uint32_t id = lapic_read(LAPIC_ID);

	return lapic.x2apic ? id : id >> XAPIC_ID_SHIFT;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

void lapic_timer_arm(uint8_t vector, uint64_t deadline_tsc)
{
	uint64_t now, count;

	if (lapic.tsc_deadline) {
		lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_TSC_DEADLINE | vector);
		wrmsr(MSR_TSC_DEADLINE, deadline_tsc);
		return;
	}
	now = rdtsc();
	count = deadline_tsc > now ? (uint64_t)(((unsigned __int128)(deadline_tsc - now) *
						 lapic.ticks_per_tsc_q32) >>
						32)
				   : 0;
	if (count == 0)
		count = 1;
	if (count > UINT32_MAX)
		count = UINT32_MAX;
	lapic_write(LAPIC_LVT_TIMER, vector);
	lapic_write(LAPIC_TIMER_INIT, (uint32_t)count);
}
