/*
 * Ending the kernel, and the exit statuses the host sees. run.sh turns QEMU's
 * exit code back into these (docs/exit-status.md); boot/entry.asm uses the
 * same numbers for the failures it reports before C runs.
 */
#ifndef KERNEL_SHUTDOWN_H
#define KERNEL_SHUTDOWN_H

#define EXIT_APP_MAX 118      /* main's status, 0..118, reaches the host as is */
#define EXIT_DEADLOCK 119     /* every thread blocked, and nothing can wake them */
#define EXIT_PANIC 120	      /* panic(), assert(), stack smashing, abort(), a failed boot step */
#define EXIT_CRASH 121	      /* a CPU exception */
#define EXIT_NO_LONG_MODE 122 /* the CPU cannot run 64-bit code */
#define EXIT_BAD_BOOT 123     /* not started by a Multiboot loader */

/* The application is done: report its status (clamped to 0..EXIT_APP_MAX). */
__attribute__((noreturn)) void shutdown_app_exit(int status);

/*
 * Ends the VM with this status: through isa-debug-exit when QEMU has it, else
 * by ACPI power-off (libvirt, other VMMs), else by halting.
 */
__attribute__((noreturn)) void shutdown_exit(int status);

#endif
