/* The CMOS real-time clock, read once at boot for the wall clock. */
#include "arch/x86_64/rtc.h"

#include <stdbool.h>

#include "arch/x86_64/arch.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_NMI_OFF 0x80
#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_STATUS_A 0x0A
#define RTC_STATUS_B 0x0B
#define RTC_CENTURY 0x32
#define STATUS_A_UPDATING 0x80
#define STATUS_B_24H 0x02
#define STATUS_B_BINARY 0x04
#define HOUR_PM 0x80
#define UPDATE_SPINS 1000000

struct rtc_time {
	unsigned sec, min, hour, day, month, year, century;
};

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, CMOS_NMI_OFF | reg);
	return inb(CMOS_DATA);
}

static void read_raw(struct rtc_time *t)
{
	for (int i = 0; i < UPDATE_SPINS && cmos_read(RTC_STATUS_A) & STATUS_A_UPDATING; i++)
		cpu_relax();
	t->sec = cmos_read(RTC_SECONDS);
	t->min = cmos_read(RTC_MINUTES);
	t->hour = cmos_read(RTC_HOURS);
	t->day = cmos_read(RTC_DAY);
	t->month = cmos_read(RTC_MONTH);
	t->year = cmos_read(RTC_YEAR);
	t->century = cmos_read(RTC_CENTURY);
}

static unsigned from_bcd(unsigned v)
{
	return (v >> 4) * 10 + (v & 0xF);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

uint64_t rtc_read_epoch(void)
{
	struct rtc_time a, b;
	uint8_t status;
	bool pm;
	unsigned year;

	do { /* twice alike: no update ran in between */
		read_raw(&a);
		read_raw(&b);
	} while (a.sec != b.sec || a.min != b.min || a.hour != b.hour || a.day != b.day);
	status = cmos_read(RTC_STATUS_B);
	pm = a.hour & HOUR_PM;
	a.hour &= ~HOUR_PM;
	if (!(status & STATUS_B_BINARY)) {
		a.sec = from_bcd(a.sec), a.min = from_bcd(a.min), a.hour = from_bcd(a.hour);
		a.day = from_bcd(a.day), a.month = from_bcd(a.month), a.year = from_bcd(a.year);
		a.century = from_bcd(a.century);
	}
	if (!(status & STATUS_B_24H) && pm)
		a.hour = (a.hour % 12) + 12;
	year = a.century >= 19 && a.century <= 30 ? a.century * 100 + a.year : 2000 + a.year;
	if (!a.month || a.month > 12 || !a.day || a.day > 31)
		return 0;
	return (uint64_t)(days_from_civil(year, a.month, a.day) * 86400 + a.hour * 3600 +
			  a.min * 60 + a.sec);
}
