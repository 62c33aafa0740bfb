/*
 * The boot story, in order. boot/entry.asm has set up long mode, identity
 * page tables and a stack, and calls kernel_main() with the loader's magic
 * and information. Each step returns 0 or a negative errno; a failed step
 * ends the boot with a panic that names it. Each step's end is timed, and
 * loglevel=debug prints the times (docs/boot.md).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/syscall.h"
#include "arch/x86_64/trap.h"
#include "boot/boot.h"
#include "drivers/acpi.h"
#include "drivers/net/pbuf.h"
#include "drivers/pci.h"
#include "drivers/serial.h"
#include "drivers/vga.h"
#include "drivers/virtio/virtio_9p.h"
#include "drivers/virtio/virtio_net.h"
#include "kernel/bootinfo.h"
#include "kernel/errname.h"
#include "kernel/gdbstub.h"
#include "kernel/page.h"
#include "kernel/panic.h"
#include "kernel/params.h"
#include "kernel/printk.h"
#include "kernel/shutdown.h"
#include "kernel/stack.h"
#include "kernel/time.h"
#include "lib/abi/abi.h"
#include "lib/net/net.h"
#include "lib/vfs/vfs.h"
#include "sched/sched.h"

/*
 * The network (drivers and stack) is linked only into images whose
 * application uses sockets (Makefile, CERES_NEEDS): weak, so that the
 * others link without it, and boot skips it.
 */
#pragma weak pbuf_pool_init
#pragma weak pci_init
#pragma weak virtio_net_init
#pragma weak net_init
#pragma weak virtio_9p_init
#pragma weak vfs_init

/*
 * Packet buffers for every device and socket: 2 MiB is 1000 frames in
 * flight; at most an eighth of RAM, and no less than 512 KiB (virtio-net
 * keeps 128 posted for receives).
 */
#define NET_POOL_BYTES (2u << 20)
#define NET_POOL_BYTES_MIN (512u << 10)
#define NET_POOL_RAM_SHARE 8

/* An application may ask for more (app.mk's APP_MAIN_STACK_KB): Redis's LZF
 * compressor keeps a 512 KiB table on the stack. */
#ifndef CERES_MAIN_STACK_KB
#define CERES_MAIN_STACK_KB 256
#endif
static int main_stack_kb = CERES_MAIN_STACK_KB;
PARAM_INT("sched.main_stack_kb", main_stack_kb, 16, 1 << 24,
	  "stack of the application's main thread, in KiB");

static bool show_times;
PARAM_BOOL("boot.times", show_times,
	   "print how long each boot step took, whatever the loglevel (debug prints it too)");

#define BOOT_STEPS_MAX 32

static struct {
	struct bootinfo bi;
	char cmdline[BOOTINFO_CMDLINE_MAX]; /* split in place by params_parse() */
	struct params_result args;
	struct {
		const char *name;
		uint64_t tsc; /* when it ended */
	} steps[BOOT_STEPS_MAX];
	int nsteps;
	struct sched_timer rtc_follow;
} boot;

/* Records the end of a boot step; a failed one ends the boot, named. */
static void step(const char *name, int rc)
{
	if (boot.nsteps < BOOT_STEPS_MAX)
		boot.steps[boot.nsteps++] = (typeof(boot.steps[0])){ name, rdtsc() };
	if (rc < 0)
		panic("boot: %s failed: %s (%d)", name, err_name(rc), rc);
}

/* The loader's information, copied before anything can overwrite it. */
static int read_bootinfo(uint32_t magic, uint64_t info)
{
	const struct bootinfo_window identity = { .base = 0,
						  .low = PAGE_SIZE,
						  .limit = boot_map_end };

	if (bootinfo_parse(&boot.bi, magic, info, &identity) < 0) {
		pr_crit("boot: unreadable Multiboot information at %#lx", (unsigned long)info);
		shutdown_exit(EXIT_BAD_BOOT);
	}
	return 0;
}

static int read_params(void)
{
	strcpy(boot.cmdline, bootinfo_args(&boot.bi));
	params_parse(boot.cmdline, __start_ceres_params, __stop_ceres_params, &boot.args);
	if (boot.args.help)
		shutdown_exit(0);
	boot.args.argv[0] = CERES_APP;
	return 0;
}

static int start_clock(void)
{
	struct tsc_refs refs = { 0 };

	refs.pm_port = acpi_pm_timer_port(&refs.pm_wide);
	return time_init(&refs);
}

/* Ceres runs on one CPU; say so when the machine has more. */
static int count_cpus(void)
{
	int n = acpi_cpu_count();

	if (n > 1)
		pr_warn("boot: this machine has %d CPUs; Ceres uses CPU 0 only, the others stay "
			"idle",
			n);
	return 0;
}

/* Keeps the wall clock on the RTC's second edges (docs/time.md). */
static void follow_rtc(struct sched_timer *t)
{
	uint64_t next = time_follow_rtc();

	if (next != UINT64_MAX)
		sched_timer_start(t, next, follow_rtc);
}

static void report_steps(void)
{
	uint64_t prev = boot_tsc;

	for (int i = 0; i < boot.nsteps; i++) {
		printk(show_times ? LOG_CRIT : LOG_DEBUG,
		       "boot: step %-10s %6lu us, done at %6lu us", boot.steps[i].name,
		       (unsigned long)((time_tsc_to_ns(boot.steps[i].tsc) - time_tsc_to_ns(prev)) /
				       NSEC_PER_USEC),
		       (unsigned long)(time_tsc_to_ns(boot.steps[i].tsc) / NSEC_PER_USEC));
		prev = boot.steps[i].tsc;
	}
}

/* The packet-buffer pool, from pages of its own. */
static int net_pool(void)
{
	struct page_stats ps;
	uint64_t bytes;
	void *mem;

	page_stats(&ps);
	bytes = ps.total / NET_POOL_RAM_SHARE;
	bytes = bytes > NET_POOL_BYTES ? NET_POOL_BYTES : bytes;
	bytes = bytes < NET_POOL_BYTES_MIN ? NET_POOL_BYTES_MIN
					   : bytes & ~(uint64_t)(PAGE_SIZE - 1);
	mem = page_alloc(bytes / PAGE_SIZE);
	return mem ? pbuf_pool_init(mem, bytes) : -ENOMEM;
}

/* The main thread: it becomes the application's, which ends the VM with exit_group(). */
static void *app_main(void *arg)
{
	(void)arg;
	step("threads", 0);
	/* Devices and the network stack need threads (the stack runs its own). */
	if (pci_init)
		step("pci", pci_init());
	if (net_init) {
		step("pbufs", net_pool());
		step("virtio-net", virtio_net_init());
		step("net", net_init());
	}
	if (virtio_9p_init)
		step("virtio-9p", virtio_9p_init());
	/* The root and /dev: the 9p device's tree, or a RAM one. */
	if (vfs_init)
		step("vfs", vfs_init());
	sched_timer_start(&boot.rtc_follow, time_follow_first(), follow_rtc);
	report_steps();
	/* gdb.wait: every thread is there now, and the application has not run yet. */
	gdbstub_wait();
	pr_info("boot: the application starts %lu us after the first instruction",
		(unsigned long)(clock_monotonic_ns() / NSEC_PER_USEC));
	abi_start(boot.args.argc, boot.args.argv, boot.args.envc, boot.args.envp,
		  (uint64_t)main_stack_kb * 1024);
}

/*
 * It sets the stack protector's guard itself, after its own frame took the
 * old one: it cannot check that frame, so it has no canary.
 */
__attribute__((no_stack_protector)) void kernel_main(uint32_t magic, uint64_t info)
{
	/* NX, XSAVE and FSGSBASE first: an emulator translates code for them. */
	step("cpu", cpu_init());
	/* thread_self() works from here: the GS base points at the boot thread. */
	step("thread", thread_early());
	/* Output first, so that everything after can say what went wrong. */
	step("serial", serial_init());
	step("vga", vga_init());
	/* From here on a CPU exception gets a report instead of a triple fault. */
	step("traps", trap_init());
	panic_init_canary(rdtsc());
	step("bootinfo", read_bootinfo(magic, info));
	/* Parameters before anything else logs: loglevel= governs what follows. */
	step("params", read_params());
	/* The ACPI tables: the PM timer for the clock, power-off, the CPUs. */
	step("acpi", acpi_init(boot.bi.acpi_rsdp));
	/* Calibrate the clock: timestamps until now read 0. */
	step("clock", start_clock());
	pr_info("boot: Multiboot %d from %s, command line '%s'", boot.bi.multiboot,
		boot.bi.loader[0] ? boot.bi.loader : "an unnamed loader", boot.bi.cmdline);
	/* What the CPU is and has, and how many there are. */
	step("cpu-check", cpu_report());
	step("cpus", count_cpus());
	/* Physical pages from the memory map, then the kernel's own page tables
	 * (built from those pages), then the RAM only those tables reach. */
	step("pages", page_init(&boot.bi, boot_map_end));
	step("paging", paging_init(&boot.bi));
	step("pages-high", page_add_high(&boot.bi, boot_map_end));
	/* Guard pages under the boot and IST stacks, now that the tables are ours. */
	step("stacks", stack_init());
	/* Threads save FPU state in the format chosen here. */
	step("fpu", fpu_init());
	/* Interrupts: the PICs masked, the LAPIC and its timer ready. */
	step("lapic", lapic_init());
	/* The application's `syscall` instructions land in lib/abi/syscall.c. */
	step("syscall", syscall_init());
	/* gdb=: the stub's port and its interrupt, before any thread runs. */
	step("gdb", gdbstub_init());
	/* The application runs as the first thread; this context becomes idle. */
	step("sched", sched_start(app_main, NULL, (size_t)main_stack_kb * 1024));
}
