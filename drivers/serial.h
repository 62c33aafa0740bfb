#ifndef DRIVERS_SERIAL_H
#define DRIVERS_SERIAL_H

/*
 * Sets COM1 to 115200 8N1 and makes it a console output; offers COM2 to
 * the gdb stub (gdb=com2), untouched until it is asked for.
 */
int serial_init(void);

#endif
