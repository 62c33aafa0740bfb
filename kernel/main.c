/*
 * The boot story, in order. boot/entry.asm has set up long mode, identity
 * page tables and a stack, and calls kernel_main() with the loader's magic
 * and information.
 */
#include <stdint.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "drivers/acpi.h"
#include "drivers/serial.h"
#include "drivers/vga.h"
#include "kernel/bootinfo.h"
#include "kernel/params.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/shutdown.h"
#include "kernel/time.h"

/* The application linked into this image. */
int main(int argc, char **argv);

/* Set by boot/entry.asm at the first instruction. */
extern const uint64_t boot_tsc;

/* All RAM below 4 GiB but page 0 is identity mapped by boot/entry.asm. */
#define BOOT_WINDOW_LOW 0x1000
#define BOOT_WINDOW_LIMIT 0x100000000ULL

static struct {
	struct bootinfo bi;
	struct params_result args;
} boot;

static void log_memory(const struct bootinfo *bi)
{
	uint64_t usable = 0;

	for (size_t i = 0; i < bi->nmem; i++)
		if (bi->mem[i].type == BOOTINFO_MEM_AVAILABLE)
			usable += bi->mem[i].len;
	pr_info("boot: Multiboot %d from %s, %lu KiB usable RAM in %zu map entries", bi->multiboot,
		bi->loader[0] ? bi->loader : "an unnamed loader", (unsigned long)(usable >> 10),
		bi->nmem);
}

static void read_bootinfo(uint32_t magic, uint64_t info)
{
	static const struct bootinfo_window identity = { .base = 0,
							 .low = BOOT_WINDOW_LOW,
							 .limit = BOOT_WINDOW_LIMIT };

	if (bootinfo_parse(&boot.bi, magic, info, &identity) < 0) {
		pr_crit("boot: unreadable Multiboot information at %#lx", (unsigned long)info);
		shutdown_exit(EXIT_BAD_BOOT);
	}
	pr_debug("boot: command line '%s'", boot.bi.cmdline);
}

void kernel_main(uint32_t magic, uint64_t info)
{
	/* Output first, so that everything after can say what went wrong. */
	serial_init();
	vga_init();
	/* From here on a CPU exception gets a report instead of a triple fault. */
	trap_init();
	panic_init_canary(rdtsc());
	/* The loader's information, copied before anything can overwrite it. */
	read_bootinfo(magic, info);
	/* Parameters before anything else logs: loglevel= governs what follows. */
	params_parse(bootinfo_args(&boot.bi), __start_ceres_params, __stop_ceres_params,
		     &boot.args);
	if (boot.args.help)
		shutdown_exit(0);
	/* Calibrate the clock: timestamps until now read 0. */
	time_init();
	log_memory(&boot.bi);
	/* Features next: NX and XSAVE must be on before any code relies on them. */
	cpu_init();
	/* Power-off needs the RSDP the loader may have handed over. */
	acpi_set_rsdp(boot.bi.acpi_rsdp);

	boot.args.argv[0] = CERES_APP;
	pr_info("boot: main() reached %lu us after the first instruction",
		(unsigned long)(clock_monotonic_ns() / 1000));
	shutdown_app_exit(main(boot.args.argc, boot.args.argv));
}
