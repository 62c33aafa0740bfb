#ifndef DRIVERS_VGA_H
#define DRIVERS_VGA_H

/* Clears the 80x25 text screen and makes it a console output. */
void vga_init(void);

#endif
