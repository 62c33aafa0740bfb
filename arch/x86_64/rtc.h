#ifndef ARCH_X86_64_RTC_H
#define ARCH_X86_64_RTC_H

#include <stdint.h>

/* Seconds since 1970-01-01 UTC from the CMOS clock, or 0 if it is unreadable. */
uint64_t rtc_read_epoch(void);

#endif
