#ifndef DRIVERS_ACPI_H
#define DRIVERS_ACPI_H

#include <stdint.h>

/* Where the loader put a copy of the RSDP (0: search the BIOS area). */
void acpi_set_rsdp(uint64_t rsdp);

/*
 * Enters S5 (soft off) through the FADT's PM1 control ports and the \_S5
 * package of the DSDT. Returns only if that is impossible or did not work.
 */
void acpi_poweroff(void);

#endif
