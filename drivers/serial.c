/*
 * COM1, a 16550 UART, as a console. Output is polled: the kernel's
 * messages must get out even with interrupts off or the scheduler stuck.
 * Input is polled too (the application's stdin, lib/vfs/console.c): the
 * receive FIFO holds 16 bytes, and a reader polls often.
 *
 * COM2, the same UART, is the port the gdb stub may serve gdb on
 * (gdb=com2, kernel/gdbstub.c): raw bytes both ways, polled while the stub
 * holds the world, and a receive interrupt through the I/O APIC while the
 * world runs (for Ctrl-C). Nothing touches it unless gdb= names it.
 */
#include "drivers/serial.h"

#include <errno.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/ioapic.h"
#include "drivers/acpi.h"
#include "kernel/console.h"
#include "kernel/gdbstub.h"

#define COM1 0x3F8
#define COM2 0x2F8
#define COM2_ISA_IRQ 3
#define UART_THR 0 /* transmit holding (DLAB=0) */
#define UART_DLL 0 /* divisor low (DLAB=1) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define UART_DLM 1 /* divisor high (DLAB=1) */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5

#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define FCR_ENABLE_CLEAR 0x07 /* enable FIFOs, clear both */
#define MCR_DTR_RTS_OUT2 0x0B
#define IER_RX_AVAILABLE 0x01
#define UART_RBR 0 /* receive buffer (DLAB=0) */
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define LSR_ABSENT 0xFF /* no UART answers on the port */
#define UART_CLOCK 115200
#define BAUD 115200

/* A missing UART reads as 0xFF (THR empty); this bounds a stuck one. */
#define TX_SPIN_MAX 100000
/* THR empty means the whole transmit FIFO of a 16550A is free. */
#define TX_FIFO_SIZE 16

static void wait_tx_empty(uint16_t port)
{
	for (int i = 0; i < TX_SPIN_MAX; i++) {
		if (inb(port + UART_LSR) & LSR_THR_EMPTY)
			return;
		cpu_relax();
	}
}

/* Fills the FIFO a burst at a time: one status read per 16 bytes. */
static void serial_write(const char *s, size_t n)
{
	int room = 0;

	for (size_t i = 0; i < n; i++) {
		if (room < 2) {
			wait_tx_empty(COM1);
			room = TX_FIFO_SIZE;
		}
		if (s[i] == '\n') {
			outb(COM1 + UART_THR, '\r');
			room--;
		}
		outb(COM1 + UART_THR, (uint8_t)s[i]);
		room--;
	}
}

/* What arrived before serial_init() turned the FIFOs on (which empties them). */
#define EARLY_IDLE_POLLS 2000
static struct {
	uint8_t byte[256];
	int n, next;
} early;

static int serial_getc(void)
{
	uint8_t lsr;

	if (early.next < early.n)
		return early.byte[early.next++];
	lsr = inb(COM1 + UART_LSR);

	if (lsr == LSR_ABSENT || !(lsr & LSR_DATA_READY))
		return -1;
	return inb(COM1 + UART_RBR);
}

static const struct console serial_console = {
	.name = "com1",
	.write = serial_write,
	.getc = serial_getc,
};

/* 115200 8N1, interrupts off, and the modem lines up. */
static void setup(uint16_t port)
{
	uint16_t divisor = UART_CLOCK / BAUD;

	outb(port + UART_IER, 0);
	outb(port + UART_LCR, LCR_DLAB);
	outb(port + UART_DLL, divisor & 0xFF);
	outb(port + UART_DLM, divisor >> 8);
	outb(port + UART_LCR, LCR_8N1);
}

/* ---- COM2, for the gdb stub ---- */

static int com2_open(void)
{
	if (inb(COM2 + UART_LSR) == LSR_ABSENT)
		return -ENODEV;
	setup(COM2);
	outb(COM2 + UART_FCR, FCR_ENABLE_CLEAR);
	outb(COM2 + UART_MCR, MCR_DTR_RTS_OUT2); /* OUT2 gates the interrupt line on a PC */
	return 0;
}

static int com2_getc(void)
{
	uint8_t lsr = inb(COM2 + UART_LSR);

	if (lsr == LSR_ABSENT || !(lsr & LSR_DATA_READY))
		return -1;
	return inb(COM2 + UART_RBR);
}

/* Bytes as they are: gdb's packets are no text. */
static void com2_write(const char *s, size_t n)
{
	int room = 0;

	for (size_t i = 0; i < n; i++, room--) {
		if (!room) {
			wait_tx_empty(COM2);
			room = TX_FIFO_SIZE;
		}
		outb(COM2 + UART_THR, (uint8_t)s[i]);
	}
}

/* Its ISA line, through the I/O APIC the MADT names, then the UART's receive interrupt on. */
static int com2_irq_route(int vector)
{
	struct ioapic_line line;
	int rc = acpi_isa_line(COM2_ISA_IRQ, &line);

	if (rc == 0)
		rc = ioapic_route(&line, (uint8_t)vector);
	if (rc == 0)
		outb(COM2 + UART_IER, IER_RX_AVAILABLE);
	return rc;
}

static const struct gdbstub_port com2_port = {
	.name = "com2",
	.open = com2_open,
	.getc = com2_getc,
	.write = com2_write,
	.irq_route = com2_irq_route,
};

int serial_init(void)
{
	setup(COM1);
	/*
	 * Turning the FIFOs on empties them, and QEMU then hands over no more
	 * input until the receive register is read. So: keep what is there
	 * first, turn them on, and read the register once more. With the FIFOs
	 * off, QEMU gives one byte at a time, the next soon after a read:
	 * input waiting at boot is drained until none comes for a while.
	 */
	for (int idle = 0; early.n < (int)sizeof(early.byte) && idle < EARLY_IDLE_POLLS;) {
		uint8_t lsr = inb(COM1 + UART_LSR);

		if (lsr == LSR_ABSENT || (!early.n && !(lsr & LSR_DATA_READY)))
			break; /* no UART, or no input: no waiting */
		if (lsr & LSR_DATA_READY) {
			early.byte[early.n++] = inb(COM1 + UART_RBR);
			idle = 0;
		} else {
			idle++;
		}
	}
	outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR);
	(void)inb(COM1 + UART_RBR);
	outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
	/* Known to gdb= now; opened only if it names the port. */
	gdbstub_add_port(&com2_port);
	return console_register(&serial_console);
}
