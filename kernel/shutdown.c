#include "kernel/shutdown.h"

#include "arch/x86_64/arch.h"
#include "arch/x86_64/trap.h"
#include "drivers/acpi.h"
#include "kernel/gdbstub.h"
#include "kernel/irq.h"
#include "kernel/page.h"
#include "kernel/printk.h"
#include "kernel/malloc.h"
#include "lib/abi/abi.h"
#include "lib/net/net.h"
#include "lib/vfs/vfs.h"

/* The network's last frames and counters, in images that have it (kernel/main.c). */
#pragma weak net_drain
#pragma weak net_report
/* The VFS's counters, in images that have it. */
#pragma weak vfs_report

/*
 * QEMU's isa-debug-exit (iobase 0xf4, iosize 4): writing v makes QEMU exit
 * with (v << 1) | 1. We write status + 1, so that QEMU's own failure (exit 1)
 * is never mistaken for a status.
 */
#define DEBUG_EXIT_PORT 0xF4

/*
 * The status is on the console too: under a VMM without isa-debug-exit
 * (libvirt) that line is the only way it reaches the host
 * (tools/libvirt/run.sh reads it).
 */
void shutdown_exit(int status)
{
	pr_info("shutdown: powering off, exit status %d", status);
	gdbstub_exit(status);
	outl(DEBUG_EXIT_PORT, (uint32_t)status + 1);
	acpi_poweroff();
	pr_crit("shutdown: no isa-debug-exit and no ACPI power-off; halting (status %d)", status);
	cpu_halt_forever();
}

void shutdown_app_exit(int status)
{
	struct page_stats pages;
	struct heap_stats kheap, app_heap;

	if (status < 0 || status > EXIT_APP_MAX) {
		pr_warn("shutdown: exit status %d is outside 0-%d, the range that reaches the "
			"host; "
			"reporting %d",
			status, EXIT_APP_MAX, EXIT_APP_MAX);
		status = EXIT_APP_MAX;
	}
	if (net_drain)
		net_drain();
	page_stats(&pages);
	kmalloc_stats(&kheap);
	malloc_app_stats(&app_heap);
	pr_info("shutdown: application exited with status %d", status);
	pr_info("shutdown: RAM in use %lu KiB of %lu (heap peaks: kernel %lu KiB, application "
		"%lu KiB)",
		(unsigned long)((pages.total - pages.free) >> 10),
		(unsigned long)(pages.total >> 10), (unsigned long)(kheap.peak >> 10),
		(unsigned long)(app_heap.peak >> 10));
	irq_report();
	trap_report();
	abi_report();
	if (net_report)
		net_report();
	if (vfs_report)
		vfs_report();
	shutdown_exit(status);
}
