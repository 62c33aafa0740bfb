/*
 * The boot story, in order. boot/entry.asm has set up long mode, identity
 * page tables and a stack, and calls kernel_main() with the loader's magic
 * and information.
 */
#include <stdint.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/trap.h"
#include "drivers/acpi.h"
#include "drivers/serial.h"
#include "drivers/vga.h"
#include "kernel/bootinfo.h"
#include "kernel/page.h"
#include "kernel/params.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/shutdown.h"
#include "kernel/stack.h"
#include "kernel/time.h"
#include "sched/sched.h"

/* The application linked into this image. */
int main(int argc, char **argv);

/* Set by boot/entry.asm at the first instruction. */
extern const uint64_t boot_tsc;

/* The application's main thread gets a roomier stack than other threads. */
#define MAIN_STACK_SIZE (256 * 1024)

/* All RAM below 4 GiB but page 0 is identity mapped by boot/entry.asm. */
#define BOOT_WINDOW_LOW 0x1000
#define BOOT_WINDOW_LIMIT 0x100000000ULL

static struct {
	struct bootinfo bi;
	char cmdline[BOOTINFO_CMDLINE_MAX]; /* split in place by params_parse() */
	struct params_result args;
} boot;

static void read_bootinfo(uint32_t magic, uint64_t info)
{
	static const struct bootinfo_window identity = { .base = 0,
							 .low = BOOT_WINDOW_LOW,
							 .limit = BOOT_WINDOW_LIMIT };

	if (bootinfo_parse(&boot.bi, magic, info, &identity) < 0) {
		pr_crit("boot: unreadable Multiboot information at %#lx", (unsigned long)info);
		shutdown_exit(EXIT_BAD_BOOT);
	}
}

/* The main thread: the application, then the VM's end with its status. */
static void *app_main(void *arg)
{
	(void)arg;
	pr_info("boot: main() reached %lu us after the first instruction",
		(unsigned long)(clock_monotonic_ns() / 1000));
	shutdown_app_exit(main(boot.args.argc, boot.args.argv));
}

void kernel_main(uint32_t magic, uint64_t info)
{
	/* errno and every __thread variable live in TLS: give this context one. */
	sched_boot_tls();
	/* Output first, so that everything after can say what went wrong. */
	serial_init();
	vga_init();
	/* From here on a CPU exception gets a report instead of a triple fault. */
	trap_init();
	panic_init_canary(rdtsc());
	/* The loader's information, copied before anything can overwrite it. */
	read_bootinfo(magic, info);
	/* Parameters before anything else logs: loglevel= governs what follows. */
	strcpy(boot.cmdline, bootinfo_args(&boot.bi));
	params_parse(boot.cmdline, __start_ceres_params, __stop_ceres_params, &boot.args);
	if (boot.args.help)
		shutdown_exit(0);
	/* Calibrate the clock: timestamps until now read 0. */
	time_init();
	pr_info("boot: Multiboot %d from %s, command line '%s'", boot.bi.multiboot,
		boot.bi.loader[0] ? boot.bi.loader : "an unnamed loader", boot.bi.cmdline);
	/* Features next: NX and XSAVE must be on before any code relies on them. */
	cpu_init();
	/* Physical pages from the memory map, then the kernel's own page tables
	 * (built from those pages), then the RAM only those tables reach. */
	page_init(&boot.bi, PAGING_BOOT_LIMIT);
	paging_init(&boot.bi);
	page_add_high(&boot.bi, PAGING_BOOT_LIMIT);
	/* Guard pages under the boot and IST stacks, now that the tables are ours. */
	stack_init();
	/* Power-off needs the RSDP the loader may have handed over. */
	acpi_set_rsdp(boot.bi.acpi_rsdp);
	/* Threads save FPU state in the format chosen here. */
	fpu_init();
	/* Interrupts: the PICs masked, the LAPIC and its timer ready. */
	lapic_init();
	/* The application runs as the first thread; this context becomes idle. */
	boot.args.argv[0] = CERES_APP;
	sched_start(app_main, NULL, MAIN_STACK_SIZE);
}
