#ifndef DRIVERS_SERIAL_H
#define DRIVERS_SERIAL_H

/* Sets COM1 to 115200 8N1 and makes it a console output. */
void serial_init(void);

#endif
