#ifndef DRIVERS_VGA_H
#define DRIVERS_VGA_H

/*
 * Clears the 80x25 text screen and makes it a console output, when a video
 * BIOS set up colour text mode; otherwise leaves it out (the screen would
 * show nothing). 0, or -ENOSPC if no console slot is left.
 */
int vga_init(void);

#endif
