/*
 * A gdb remote-protocol stub inside the kernel (docs/gdbstub.md), on a
 * serial port of its own, switched on by the parameter gdb=com2. gdb sees
 * every Ceres thread. While gdb holds the guest, interrupts stay off and
 * no thread runs; when it lets go, the monotonic clock skips the pause.
 * Off (the default), it costs a test of one flag per interrupt.
 */
#ifndef KERNEL_GDBSTUB_H
#define KERNEL_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trap_frame;
struct syscall_frame;
struct thread;

/* Signals as gdb numbers them in stop replies (its own numbering, not Linux's). */
#define GDB_SIG_INT 2
#define GDB_SIG_ILL 4
#define GDB_SIG_TRAP 5
#define GDB_SIG_ABRT 6
#define GDB_SIG_FPE 8
#define GDB_SIG_BUS 10
#define GDB_SIG_SEGV 11
#define GDB_SIG_UNKNOWN 143

/* A byte port the stub may serve gdb on (drivers/serial.c adds COM2). */
struct gdbstub_port {
	const char *name; /* what gdb= names it */
	/* Sets the port up, its receive interrupt off; 0 or a negative errno. */
	int (*open)(void);
	/* The next byte received, or -1 if none is waiting. Interrupts off. */
	int (*getc)(void);
	/* Sends n bytes, waiting for room as it must. Interrupts off. */
	void (*write)(const char *s, size_t n);
	/* Routes the port's receive interrupt to vector and turns it on; 0 or -errno. */
	int (*irq_route)(int vector);
};

/* Makes a port known to gdb=; before the parameters are read (up to a few). */
void gdbstub_add_port(const struct gdbstub_port *p);

/* What the system-call layer knows of a thread (lib/abi). */
struct gdbstub_app_ops {
	/* The system call t is in, with the application's registers at the call, or NULL. */
	struct syscall_frame *(*syscall_frame)(struct thread *t);
	/* The name of that call, or NULL if t is in none. */
	const char *(*syscall_in)(struct thread *t);
};

void gdbstub_set_app_ops(const struct gdbstub_app_ops *ops);

/*
 * Opens the port gdb= names and routes its interrupt (after the LAPIC and
 * paging are up). 0 when the stub is off; a port that cannot be opened
 * leaves it off, with an error, and returns 0 too: the boot goes on.
 */
int gdbstub_init(void);

/* The stub serves gdb (gdb= named a port, and it opened). */
bool gdbstub_enabled(void);

/* With gdb.wait: stops for gdb, and says so on the console. Before the application starts. */
void gdbstub_wait(void);

/*
 * A panic or a deadlock, reported already: with the stub on, says so and
 * waits for gdb; returns when gdb lets go (the caller then ends the VM).
 */
void gdbstub_fatal(const char *what);

/*
 * The application was ended by the signal named (lib/abi: "SIGABRT" for a
 * failed assert), reported already, on the way back from the system call
 * whose registers f holds: with the stub on, says so and waits for gdb,
 * which sees the thread there, in the application. Returns when gdb lets
 * go (the caller then ends the VM).
 */
void gdbstub_app_fatal(const char *signal, struct syscall_frame *f);

/*
 * The VM ends with status: a gdb that let it run is told (a W packet), so
 * that it says the program exited rather than that the line went dead.
 */
void gdbstub_exit(int status);

/* From trap_dispatch() after an interrupt's handler: a stop that gdb asked for. */
void gdbstub_irq_exit(struct trap_frame *f);

/* Why the world stopped, for the stop reply (from arch/x86_64/gdb_arch.c). */
enum gdb_stop_kind {
	GDB_STOP_SIGNAL,  /* a step, an interrupt, a crash: the signal alone */
	GDB_STOP_SWBREAK, /* one of the stub's int3s; pc is on it */
	GDB_STOP_HWBREAK,
	GDB_STOP_WATCH,	 /* a write to addr */
	GDB_STOP_AWATCH, /* an access to addr */
};

struct gdb_stop {
	int signal;
	enum gdb_stop_kind kind;
	uint64_t addr;
	bool fatal;	  /* a crash: when gdb lets go, the caller ends the VM */
	const char *what; /* for the console, with fatal: what happened */
};

/*
 * The running thread stopped, its registers in f: serves gdb until it lets
 * the world go on. Interrupts off.
 */
void gdbstub_stop(struct trap_frame *f, const struct gdb_stop *why);

/* Is there a breakpoint of gdb's at addr, patched into the code? */
bool gdbstub_breakpoint_at(uint64_t addr);

/* The stub is serving gdb now: a trap now comes from code the stub runs itself. */
bool gdbstub_busy(void);

/* A breakpoint in code the stub runs itself was hit: it is taken out, with a warning. */
void gdbstub_drop_breakpoint(uint64_t addr);

#endif
