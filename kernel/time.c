#include "kernel/time.h"

#include "arch/x86_64/arch.h"
#include "arch/x86_64/rtc.h"
#include "arch/x86_64/tsc.h"
#include "kernel/printk.h"

/* Set by boot/entry.asm at the first instruction. */
extern const uint64_t boot_tsc;

/* ns = (ticks * mult) >> TIME_SHIFT, with mult = 1e9 << TIME_SHIFT / hz. */
#define TIME_SHIFT 32
#define NS_PER_S 1000000000ULL

static struct {
	uint64_t hz;
	uint64_t mult;
	uint64_t epoch_at_boot_ns; /* the wall clock when the monotonic one read 0 */
} clock;

void time_init(void)
{
	const char *how;
	uint64_t epoch;

	clock.hz = tsc_calibrate(&how);
	clock.mult = (NS_PER_S << TIME_SHIFT) / clock.hz;
	pr_info("time: TSC at %lu.%03lu MHz (%s)", (unsigned long)(clock.hz / 1000000),
		(unsigned long)(clock.hz / 1000 % 1000), how);
	epoch = rtc_read_epoch();
	if (!epoch)
		pr_warn("time: the CMOS clock is unreadable; the wall clock starts at 1970");
	clock.epoch_at_boot_ns = epoch * NS_PER_S - clock_monotonic_ns();
}

uint64_t clock_realtime_ns(void)
{
	return clock.epoch_at_boot_ns + clock_monotonic_ns();
}

uint64_t time_tsc_to_ns(uint64_t tsc)
{
	return (uint64_t)(((unsigned __int128)(tsc - boot_tsc) * clock.mult) >> TIME_SHIFT);
}

/* Saturates: a deadline too far to express (centuries away) becomes UINT64_MAX. */
uint64_t time_ns_to_tsc(uint64_t ns)
{
	unsigned __int128 tsc = (unsigned __int128)ns * clock.hz / NS_PER_S + boot_tsc;

	return tsc > UINT64_MAX ? UINT64_MAX : (uint64_t)tsc;
}

uint64_t clock_monotonic_ns(void)
{
	return time_tsc_to_ns(rdtsc());
}

uint64_t time_tsc_hz(void)
{
	return clock.hz;
}
