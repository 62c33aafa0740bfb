/*
 * The VGA text screen (80x25 at 0xB8000) as a console output: scrolls at the
 * bottom, understands \n \r \t \b, and moves the hardware cursor.
 *
 * Every access to video memory is an emulated device access under QEMU, so
 * the screen scrolls the way the hardware allows without copying: text
 * memory holds VGA_BUF_ROWS rows, the CRTC's start address says which 25
 * of them show, and a new line moves the start down one row. Only when the
 * buffer's end is reached are the 24 rows on show copied back to its top.
 *
 * Text mode is the video BIOS's work. When no BIOS set it up (qboot, which
 * direct boots use, runs none), nothing written here would ever show, so
 * the console is left out.
 */
#include "drivers/vga.h"

#include <stdint.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "kernel/console.h"

#define VGA_TEXT_BASE 0xB8000
#define VGA_TEXT_SIZE 0x8000 /* the 32 KiB colour text window */
#define VGA_COLS 80
#define VGA_ROWS 25
#define VGA_BUF_ROWS (VGA_TEXT_SIZE / 2 / VGA_COLS) /* 204 */
#define VGA_ATTR_GREY 0x0700
#define VGA_BLANK (VGA_ATTR_GREY | ' ')
#define VGA_FOUR_CELLS 0x0001000100010001ULL /* a cell's value in each 16 bits */
#define VGA_MISC_READ 0x3CC
#define MISC_COLOR_IO 0x01 /* CRTC at 0x3D4: set by a BIOS that chose colour text */
#define VGA_CRTC_INDEX 0x3D4
#define VGA_CRTC_DATA 0x3D5
#define CRTC_START_HIGH 0x0C
#define CRTC_CURSOR_HIGH 0x0E
#define TAB_WIDTH 8

static struct {
	volatile uint16_t *cell; /* the whole buffer */
	int top;		 /* the buffer row shown first */
	int row, col;		 /* the cursor, on the screen */
} vga;

/* Writes a 16-bit CRTC value: the high byte's register, then the one after it. */
static void crtc_write16(uint8_t high_reg, uint16_t v)
{
	outb(VGA_CRTC_INDEX, high_reg);
	outb(VGA_CRTC_DATA, v >> 8);
	outb(VGA_CRTC_INDEX, high_reg + 1);
	outb(VGA_CRTC_DATA, v & 0xFF);
}

static volatile uint16_t *screen_row(int row)
{
	return vga.cell + (vga.top + row) * VGA_COLS;
}

/* Four cells a write: each write to video memory is slow under emulation. */
static void clear_row(volatile uint16_t *r)
{
	volatile uint64_t *quad = (volatile uint64_t *)r;

	for (int i = 0; i < VGA_COLS / 4; i++)
		quad[i] = VGA_BLANK * VGA_FOUR_CELLS;
}

static void vga_scroll(void)
{
	if (vga.top + VGA_ROWS == VGA_BUF_ROWS) { /* the buffer is used up: back to its top */
		for (int i = 0; i < (VGA_ROWS - 1) * VGA_COLS; i++)
			vga.cell[i] = screen_row(1)[i];
		vga.top = 0;
	} else {
		vga.top++;
	}
	clear_row(screen_row(VGA_ROWS - 1));
	crtc_write16(CRTC_START_HIGH, (uint16_t)(vga.top * VGA_COLS));
	vga.row = VGA_ROWS - 1;
}

static void vga_putc(char c)
{
	switch (c) {
	case '\n':
		vga.col = 0, vga.row++;
		break;
	case '\r':
		vga.col = 0;
		break;
	case '\t':
		vga.col = (vga.col + TAB_WIDTH) & ~(TAB_WIDTH - 1);
		break;
	case '\b':
		if (vga.col)
			vga.col--;
		break;
	default:
		screen_row(vga.row)[vga.col] = VGA_ATTR_GREY | (uint8_t)c;
		vga.col++;
	}
	if (vga.col >= VGA_COLS)
		vga.col = 0, vga.row++;
	if (vga.row >= VGA_ROWS)
		vga_scroll();
}

static void vga_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vga_putc(s[i]);
	crtc_write16(CRTC_CURSOR_HIGH, (uint16_t)((vga.top + vga.row) * VGA_COLS + vga.col));
}

static const struct console vga_console = {
	.name = "vga",
	.write = vga_write,
};

int vga_init(void)
{
	if (!(inb(VGA_MISC_READ) & MISC_COLOR_IO))
		return 0; /* no BIOS set up colour text: the screen shows nothing */
	vga.cell = (volatile uint16_t *)VGA_TEXT_BASE;
	for (int r = 0; r < VGA_ROWS; r++)
		clear_row(screen_row(r));
	crtc_write16(CRTC_START_HIGH, 0);
	crtc_write16(CRTC_CURSOR_HIGH, 0);
	return console_register(&vga_console);
}
