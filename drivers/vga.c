/*
 * The VGA text screen (80x25 at 0xB8000) as a console output: scrolls at the
 * bottom, understands \n \r \t \b, and moves the hardware cursor.
 */
#include "drivers/vga.h"

#include <stdint.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "kernel/console.h"

#define VGA_TEXT_BASE 0xB8000
#define VGA_COLS 80
#define VGA_ROWS 25
#define VGA_ATTR_GREY 0x0700
#define VGA_CRTC_INDEX 0x3D4
#define VGA_CRTC_DATA 0x3D5
#define CRTC_CURSOR_HIGH 0x0E
#define CRTC_CURSOR_LOW 0x0F
#define TAB_WIDTH 8

static struct {
	volatile uint16_t *cell;
	int row, col;
} vga;

static void vga_scroll(void)
{
	for (int i = 0; i < (VGA_ROWS - 1) * VGA_COLS; i++)
		vga.cell[i] = vga.cell[i + VGA_COLS];
	for (int i = 0; i < VGA_COLS; i++)
		vga.cell[(VGA_ROWS - 1) * VGA_COLS + i] = VGA_ATTR_GREY | ' ';
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
		vga.cell[vga.row * VGA_COLS + vga.col] = VGA_ATTR_GREY | (uint8_t)c;
		vga.col++;
	}
	if (vga.col >= VGA_COLS)
		vga.col = 0, vga.row++;
	if (vga.row >= VGA_ROWS)
		vga_scroll();
}

static void vga_move_cursor(void)
{
	uint16_t pos = (uint16_t)(vga.row * VGA_COLS + vga.col);

	outb(VGA_CRTC_INDEX, CRTC_CURSOR_HIGH);
	outb(VGA_CRTC_DATA, pos >> 8);
	outb(VGA_CRTC_INDEX, CRTC_CURSOR_LOW);
	outb(VGA_CRTC_DATA, pos & 0xFF);
}

static void vga_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vga_putc(s[i]);
	vga_move_cursor();
}

static const struct console vga_console = {
	.name = "vga",
	.write = vga_write,
};

void vga_init(void)
{
	volatile uint64_t *quad = (volatile uint64_t *)VGA_TEXT_BASE;

	/* Four cells a write: under TCG each write to VGA memory is slow. */
	for (int i = 0; i < VGA_ROWS * VGA_COLS / 4; i++)
		quad[i] = (VGA_ATTR_GREY | ' ') * 0x0001000100010001ULL;
	vga.cell = (volatile uint16_t *)VGA_TEXT_BASE;
	vga_move_cursor();
	console_register(&vga_console);
}
