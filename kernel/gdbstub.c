/*
 * The gdb stub (docs/gdbstub.md): the remote serial protocol on a port of
 * its own, for all-stop debugging of every thread.
 *
 * The world stops in a trap: a breakpoint or a step (#BP, #DB, through
 * arch/x86_64/gdb_arch.c), the port's receive interrupt (Ctrl-C, or a packet
 * from a gdb that connects), a crash, a panic or a deadlock. The stub then
 * runs in that trap with interrupts off, polling the port, until gdb lets
 * the world go on; no other thread runs meanwhile, and the monotonic clock
 * skips the pause (time_skip).
 *
 * Threads: gdb's thread id is the Ceres id + 1 (gdb's must be above 0, and
 * idle's is 0). The thread that stopped shows the registers it stopped
 * with (one a signal ended: those of its last system call); any other,
 * where it is in the application: the registers of the system call it is
 * in, else those of the interrupt that switched it out, else those its
 * last switch saved in the kernel (the callee-saved ones, rsp and rip).
 * "monitor view kernel" shows the kernel's side instead.
 *
 * Software breakpoints are int3s patched into the code (read-only, so
 * through a writable alias of its page, gdb_arch_mem_write) as the world
 * goes on, and taken out again as soon as it stops: the stub never meets
 * its own.
 */
#include "kernel/gdbstub.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/gdb_arch.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/trap.h"
#include "kernel/gdb_packet.h"
#include "kernel/irq.h"
#include "kernel/page.h"
#include "kernel/params.h"
#include "kernel/printk.h"
#include "kernel/shutdown.h"
#include "kernel/time.h"
#include "sched/sched.h"

/* The longest packet gdb may send (qSupported's PacketSize), and our replies' room. */
#define GDB_PACKET_MAX 4096
#define PORTS_MAX 4
#define BREAKPOINTS_MAX 64
/* Bytes the receive interrupt keeps for the stub: gdb's first packets. */
#define RX_RING_SIZE 512
/* qXfer data per reply, before escaping (which may double it). */
#define XFER_CHUNK_MAX ((GDB_PACKET_MAX - 1) / 2)
/* How long the VM's end waits for gdb to take its last word (polls of the port). */
#define EXIT_ACK_POLLS 2000000
#define EXTRA_INFO_MAX 96
#define MONITOR_CMD_MAX 64

/* Error replies: "E" and an errno, in hex, as gdbserver does. */
#define E_PERM "E01"
#define E_NOENT "E02"
#define E_FAULT "E0e"
#define E_INVAL "E16"
#define E_NOSPC "E1c"

/* What a command does next. */
enum after {
	STAY,	/* more packets */
	RESUME, /* the world goes on */
};

struct breakpoint {
	uint64_t addr;
	bool wanted;  /* gdb inserted it (Z0) and has not removed it */
	bool patched; /* the int3 is in the code now */
	uint8_t saved;
};

static struct {
	const struct gdbstub_port *ports[PORTS_MAX];
	int nports;
	const struct gdbstub_port *port; /* what gdb= named; NULL: off */
	bool enabled;			 /* the port opened */
	const struct gdbstub_app_ops *app;

	struct gdb_rx rx;
	char in[GDB_PACKET_MAX + 1];
	char out[GDB_PACKET_MAX + 1];
	uint8_t scratch[GDB_PACKET_MAX / 2]; /* M's bytes, a window of qXfer's document */
	struct {
		uint8_t byte[RX_RING_SIZE];
		unsigned head, tail; /* head: next to take; tail: next free (mod size) */
	} ring;
	bool stop_wanted; /* the interrupt saw Ctrl-C or a packet */
	int stop_signal;

	/* While the world is stopped: */
	bool busy;
	struct trap_frame *frame; /* the stopped thread's registers */
	struct thread *current;	  /* the stopped thread */
	struct gdb_stop why;
	struct thread *sel_g, *sel_c; /* H's choices: for registers, for s and c */
	struct thread *listed;	      /* qsThreadInfo goes on after it */
	bool kernel_view;	      /* "monitor view kernel" */
	uint64_t stopped_tsc;
	const char *break_what;		 /* for the console: why gdb_arch_break() stopped */
	struct syscall_frame *app_frame; /* a fatal signal's: the stopped thread's registers */
	char fatal_what[48];		 /* "SIGABRT ended the application" */

	bool gdb_running; /* gdb let the world go on and waits for the next stop */
	struct breakpoint bp[BREAKPOINTS_MAX];
	struct {
		uint64_t id;	  /* a thread told to step (gdb id), not the stopped one; 0: none */
		uint64_t *rflags; /* where its TF was set */
	} step;
	struct {
		uint64_t packets, bad_checksums, overlong, unknown, nested_breaks;
	} stats;
} gdb;

static bool wait_at_start;
PARAM_BOOL("gdb.wait", wait_at_start,
	   "with gdb=: stop for gdb before the application starts (docs/gdbstub.md)");

/* ---- the parameter and the port -------------------------------------------- */

static int port_set(const struct param *p, const char *val)
{
	(void)p;
	if (!strcmp(val, "off")) {
		gdb.port = NULL;
		return 0;
	}
	for (int i = 0; i < gdb.nports; i++) {
		if (!strcmp(gdb.ports[i]->name, val)) {
			gdb.port = gdb.ports[i];
			return 0;
		}
	}
	return -EINVAL;
}

static void port_show(const struct param *p, char *buf, size_t size)
{
	(void)p;
	snprintf(buf, size, "%s", gdb.port ? gdb.port->name : "off");
}

PARAM_CUSTOM("gdb", port_set, port_show,
	     "com2 (serve gdb's remote protocol on COM2, docs/gdbstub.md) or off");

void gdbstub_add_port(const struct gdbstub_port *p)
{
	if (gdb.nports < PORTS_MAX)
		gdb.ports[gdb.nports++] = p;
}

void gdbstub_set_app_ops(const struct gdbstub_app_ops *ops)
{
	gdb.app = ops;
}

bool gdbstub_enabled(void)
{
	return gdb.enabled;
}

bool gdbstub_busy(void)
{
	return gdb.busy;
}

/* ---- bytes in ------------------------------------------------------------------ */

static bool ring_put(uint8_t c)
{
	if (gdb.ring.tail - gdb.ring.head == RX_RING_SIZE)
		return false;
	gdb.ring.byte[gdb.ring.tail++ % RX_RING_SIZE] = c;
	return true;
}

static int ring_get(void)
{
	if (gdb.ring.head == gdb.ring.tail)
		return -1;
	return gdb.ring.byte[gdb.ring.head++ % RX_RING_SIZE];
}

/*
 * The port's receive interrupt, while the world runs: gdb sends nothing
 * then but Ctrl-C, or, connecting, its first packet. Either stops the world
 * on the way out of the interrupt (gdbstub_irq_exit); a packet's bytes are
 * kept for the stub, which answers it. Other bytes are acks, or noise.
 */
static void rx_irq(void *ctx)
{
	int c;

	(void)ctx;
	while ((c = gdb.port->getc()) >= 0) {
		if (c == GDB_INTERRUPT && !gdb.stop_wanted) {
			gdb.stop_wanted = true;
			gdb.stop_signal = GDB_SIG_INT;
		} else if (c == GDB_PACKET_START && !gdb.stop_wanted) {
			gdb.stop_wanted = true;
			gdb.stop_signal = GDB_SIG_TRAP;
		}
		if (gdb.stop_wanted && c != GDB_INTERRUPT)
			ring_put((uint8_t)c); /* gdb sends again what does not fit */
	}
}

/* The next byte from gdb, waiting for it. */
static uint8_t next_byte(void)
{
	for (;;) {
		int c = ring_get();

		if (c < 0)
			c = gdb.port->getc();
		if (c >= 0)
			return (uint8_t)c;
		cpu_relax();
	}
}

/* ---- packets out ----------------------------------------------------------------- */

static void send_raw(const char *payload, size_t n)
{
	char tail[3] = { GDB_PACKET_END };
	uint8_t sum = gdb_checksum(payload, n);

	gdb_to_hex(tail + 1, &sum, 1);
	gdb.port->write("$", 1);
	gdb.port->write(payload, n);
	gdb.port->write(tail, sizeof(tail));
}

/*
 * Sends a packet until gdb acknowledges it. A packet from gdb instead
 * counts as the ack (gdb went on); its '$' goes to the receiver.
 */
static void send_packet(const char *payload, size_t n)
{
	for (;;) {
		send_raw(payload, n);
		for (;;) {
			uint8_t c = next_byte();

			if (c == GDB_ACK)
				return;
			if (c == GDB_NAK)
				break;
			if (c == GDB_PACKET_START) {
				gdb_rx_feed(&gdb.rx, c);
				return;
			}
		}
	}
}

static enum after reply(const char *s)
{
	send_packet(s, strlen(s));
	return STAY;
}

__attribute__((format(printf, 1, 2))) static enum after replyf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(gdb.out, sizeof(gdb.out), fmt, ap);
	va_end(ap);
	send_packet(gdb.out, n < (int)sizeof(gdb.out) ? (size_t)n : sizeof(gdb.out) - 1);
	return STAY;
}

/* "monitor" output: an O packet, text in hex. */
static void console_out(const char *text)
{
	size_t n = strlen(text);

	if (2 * n + 1 >= sizeof(gdb.out))
		n = (sizeof(gdb.out) - 2) / 2;
	gdb.out[0] = 'O';
	gdb_to_hex(gdb.out + 1, text, n);
	send_packet(gdb.out, 1 + 2 * n);
}

/* ---- threads ----------------------------------------------------------------------- */

static uint64_t gdb_id(const struct thread *t)
{
	return thread_id(t) + 1;
}

static struct thread *thread_of(uint64_t id)
{
	for (struct thread *t = sched_next_thread(NULL); t; t = sched_next_thread(t))
		if (gdb_id(t) == id)
			return t;
	return NULL;
}

/* A thread id of gdb's: "-1" (all) and "0" (any) mean the stopped one. NULL if none. */
static struct thread *parse_thread(const char *s)
{
	uint64_t id;

	if (!strcmp(s, "-1"))
		return gdb.current;
	if (!gdb_parse_hex(&s, &id) || *s)
		return NULL;
	return id ? thread_of(id) : gdb.current;
}

static struct syscall_frame *syscall_frame_of(struct thread *t)
{
	return gdb.app ? gdb.app->syscall_frame(t) : NULL;
}

/* The registers gdb sees for t (the file's head says which). */
static void view_of(struct thread *t, struct gdb_regs *r)
{
	struct syscall_frame *sf = gdb.kernel_view ? NULL : syscall_frame_of(t);
	struct thread_debug d;

	if (t == gdb.current) {
		/* A fatal signal stopped it on its way out of a system call: show that. */
		if (!gdb.app_frame || gdb.kernel_view) {
			gdb_arch_regs_trap(r, gdb.frame);
			return;
		}
		sf = gdb.app_frame;
	}
	thread_debug(t, &d);
	if (sf)
		gdb_arch_regs_syscall(r, sf);
	else if (d.irq_frame)
		gdb_arch_regs_trap(r, d.irq_frame);
	else
		gdb_arch_regs_switch(r, d.switch_sp);
	gdb_arch_regs_bases(r, d.fs_base, d.gs_base);
}

/* "blocked, in futex": what a thread is doing, for info threads. */
static void describe(struct thread *t, char *buf, size_t size)
{
	const char *call = gdb.app ? gdb.app->syscall_in(t) : NULL;
	struct thread_debug d;

	thread_debug(t, &d);
	snprintf(buf, size, "%s%s%s%s", d.state, call ? ", in " : "", call ? call : "",
		 d.irq_frame ? ", preempted" : "");
}

/* ---- the stop reply ------------------------------------------------------------------- */

static enum after stop_reply(void)
{
	int n = snprintf(gdb.out, sizeof(gdb.out), "T%02xthread:%lx;", gdb.why.signal,
			 (unsigned long)gdb_id(gdb.current));

	switch (gdb.why.kind) {
	case GDB_STOP_SWBREAK:
		snprintf(gdb.out + n, sizeof(gdb.out) - (size_t)n, "swbreak:;");
		break;
	case GDB_STOP_HWBREAK:
		snprintf(gdb.out + n, sizeof(gdb.out) - (size_t)n, "hwbreak:;");
		break;
	case GDB_STOP_WATCH:
	case GDB_STOP_AWATCH:
		snprintf(gdb.out + n, sizeof(gdb.out) - (size_t)n, "%swatch:%lx;",
			 gdb.why.kind == GDB_STOP_AWATCH ? "a" : "", (unsigned long)gdb.why.addr);
		break;
	case GDB_STOP_SIGNAL:
		break;
	}
	return reply(gdb.out);
}

/* ---- registers ------------------------------------------------------------------- */

static enum after read_registers(void)
{
	struct gdb_regs r;
	uint8_t v[GDB_REG_BYTES_MAX];
	size_t n = 0;

	view_of(gdb.sel_g, &r);
	for (int i = 0; i < GDB_REG_COUNT; i++) {
		size_t size = (size_t)gdb_arch_reg_size(i);

		if (gdb_arch_reg_get(&r, i, v))
			gdb_to_hex(gdb.out + n, v, size);
		else
			memset(gdb.out + n, 'x', 2 * size); /* unknown: gdb shows <unavailable> */
		n += 2 * size;
	}
	gdb.out[n] = '\0';
	return reply(gdb.out);
}

/* G: every register, as g gives them; the ones that cannot be written keep their value. */
static enum after write_registers(const char *hex)
{
	struct gdb_regs r;
	uint8_t v[GDB_REG_BYTES_MAX];

	view_of(gdb.sel_g, &r);
	for (int i = 0; i < GDB_REG_COUNT && *hex; i++) {
		size_t size = (size_t)gdb_arch_reg_size(i);

		if (strlen(hex) < 2 * size)
			return reply(E_INVAL);
		if (gdb_from_hex(v, hex, size) == 0)
			gdb_arch_reg_set(&r, i, v);
		hex += 2 * size;
	}
	return reply("OK");
}

static enum after read_register(const char *arg)
{
	struct gdb_regs r;
	uint8_t v[GDB_REG_BYTES_MAX];
	uint64_t n;
	int size;

	if (!gdb_parse_hex(&arg, &n) || *arg || !(size = gdb_arch_reg_size((int)n)))
		return reply(E_INVAL);
	view_of(gdb.sel_g, &r);
	if (gdb_arch_reg_get(&r, (int)n, v))
		gdb_to_hex(gdb.out, v, (size_t)size);
	else
		memset(gdb.out, 'x', 2 * (size_t)size);
	gdb.out[2 * size] = '\0';
	return reply(gdb.out);
}

static enum after write_register(const char *arg)
{
	struct gdb_regs r;
	uint8_t v[GDB_REG_BYTES_MAX];
	uint64_t n;
	int size;

	if (!gdb_parse_hex(&arg, &n) || *arg++ != '=' || !(size = gdb_arch_reg_size((int)n)) ||
	    strlen(arg) != 2 * (size_t)size || gdb_from_hex(v, arg, (size_t)size) < 0)
		return reply(E_INVAL);
	view_of(gdb.sel_g, &r);
	return reply(gdb_arch_reg_set(&r, (int)n, v) == 0 ? "OK" : E_PERM);
}

/* ---- memory ------------------------------------------------------------------------ */

/* "ADDR,LEN" then sep (or the end, if sep is 0). */
static bool parse_range(const char **p, uint64_t *addr, uint64_t *len, char sep)
{
	if (!gdb_parse_hex(p, addr) || *(*p)++ != ',' || !gdb_parse_hex(p, len))
		return false;
	if (!sep)
		return !**p;
	return *(*p)++ == sep;
}

/* The bytes from addr on that can be read, up to len: a read may stop short at a bad page. */
static uint64_t readable_prefix(uint64_t addr, uint64_t len)
{
	uint64_t n = 0;

	while (n < len) {
		uint64_t step = PAGE_SIZE - ((addr + n) & (PAGE_SIZE - 1));

		step = step < len - n ? step : len - n;
		if (!gdb_arch_mem_ok(addr + n, step))
			break;
		n += step;
	}
	return n;
}

static enum after read_memory(const char *arg)
{
	uint64_t addr, len;

	if (!parse_range(&arg, &addr, &len, 0))
		return reply(E_INVAL);
	if (len > GDB_PACKET_MAX / 2)
		len = GDB_PACKET_MAX / 2; /* gdb takes a short read, and asks for the rest */
	len = readable_prefix(addr, len);
	if (!len)
		return reply(E_FAULT);
	gdb.out[gdb_to_hex(gdb.out, (const void *)addr, len)] = '\0';
	return reply(gdb.out);
}

static enum after write_memory(const char *arg)
{
	uint64_t addr, len;

	if (!parse_range(&arg, &addr, &len, ':') || len > sizeof(gdb.scratch) ||
	    strlen(arg) != 2 * len || gdb_from_hex(gdb.scratch, arg, len) < 0)
		return reply(E_INVAL);
	if (!gdb_arch_mem_ok(addr, len))
		return reply(E_FAULT);
	gdb_arch_mem_write(addr, gdb.scratch, len);
	return reply("OK");
}

/* ---- breakpoints ---------------------------------------------------------------------- */

static struct breakpoint *breakpoint_find(uint64_t addr)
{
	for (int i = 0; i < BREAKPOINTS_MAX; i++)
		if (gdb.bp[i].wanted && gdb.bp[i].addr == addr)
			return &gdb.bp[i];
	return NULL;
}

bool gdbstub_breakpoint_at(uint64_t addr)
{
	struct breakpoint *b = breakpoint_find(addr);

	return b && b->patched;
}

static void unpatch(struct breakpoint *b)
{
	if (b->patched)
		gdb_arch_mem_write(b->addr, &b->saved, GDB_ARCH_BREAK_LEN);
	b->patched = false;
}

/* As the world goes on: each int3 in place, over the byte there now. */
static void patch_all(void)
{
	static const uint8_t insn = GDB_ARCH_BREAK_INSN;

	for (int i = 0; i < BREAKPOINTS_MAX; i++) {
		struct breakpoint *b = &gdb.bp[i];

		if (!b->wanted || b->patched || !gdb_arch_mem_ok(b->addr, GDB_ARCH_BREAK_LEN))
			continue;
		b->saved = *(const volatile uint8_t *)b->addr;
		gdb_arch_mem_write(b->addr, &insn, GDB_ARCH_BREAK_LEN);
		b->patched = true;
	}
}

static void unpatch_all(void)
{
	for (int i = 0; i < BREAKPOINTS_MAX; i++)
		unpatch(&gdb.bp[i]);
}

void gdbstub_drop_breakpoint(uint64_t addr)
{
	struct breakpoint *b = breakpoint_find(addr);

	if (!b)
		return;
	unpatch(b);
	b->wanted = false;
	gdb.stats.nested_breaks++;
	pr_warn("gdb: the breakpoint at %#lx is in code the stub runs itself; it is taken out",
		(unsigned long)addr);
}

static int sw_insert(uint64_t addr)
{
	int flags = paging_query(addr);

	if (flags < 0 || !(flags & PAGING_EXEC) || !gdb_arch_mem_ok(addr, GDB_ARCH_BREAK_LEN))
		return -EFAULT;
	if (breakpoint_find(addr))
		return 0;
	for (int i = 0; i < BREAKPOINTS_MAX; i++) {
		if (!gdb.bp[i].wanted) {
			gdb.bp[i] = (struct breakpoint){ .addr = addr, .wanted = true };
			return 0;
		}
	}
	return -ENOSPC;
}

static void sw_remove(uint64_t addr)
{
	struct breakpoint *b = breakpoint_find(addr);

	if (b)
		b->wanted = false; /* not patched while the world is stopped */
}

static const char *errno_reply(int err)
{
	switch (err) {
	case 0:
		return "OK";
	case -EFAULT:
		return E_FAULT;
	case -ENOSPC:
		return E_NOSPC;
	case -ENOENT:
		return E_NOENT;
	}
	return E_INVAL;
}

/* Z and z: 0 software, 1 hardware breakpoint, 2 write and 4 access watchpoints. */
static enum after breakpoint_cmd(const char *arg, bool insert)
{
	static const enum gdb_hw_type hw[] = {
		[1] = GDB_HW_EXEC, [2] = GDB_HW_WRITE, [4] = GDB_HW_ACCESS
	};
	uint64_t type, addr, kind;
	const char *p = arg;
	int err;

	if (!gdb_parse_hex(&p, &type) || *p++ != ',' || !parse_range(&p, &addr, &kind, 0))
		return reply(E_INVAL);
	if (type == 0) {
		if (!insert) {
			sw_remove(addr);
			return reply("OK");
		}
		return reply(errno_reply(sw_insert(addr)));
	}
	if (type != 1 && type != 2 && type != 4)
		return reply(""); /* read watchpoints: x86 has none */
	err = insert ? gdb_arch_hw_insert(hw[type], addr, kind)
		     : gdb_arch_hw_remove(hw[type], addr, kind);
	return reply(errno_reply(err));
}

/* ---- going on ---------------------------------------------------------------------- */

/* Takes out a step that was asked of a thread that then did not stop for it. */
static void cancel_step(void)
{
	struct thread *t = gdb.step.id ? thread_of(gdb.step.id) : NULL;
	struct gdb_regs r;

	if (t && t != gdb.current) {
		view_of(t, &r);
		if (r.rflags == gdb.step.rflags)
			gdb_arch_set_step(&r, false);
	}
	gdb.step.id = 0;
}

/* t steps one instruction when it goes on; false if it cannot (switched out in the kernel). */
static bool step_thread(struct thread *t)
{
	struct gdb_regs r;

	view_of(t, &r);
	if (!gdb_arch_set_step(&r, true))
		return false;
	if (t != gdb.current) {
		gdb.step.id = gdb_id(t);
		gdb.step.rflags = r.rflags;
	}
	return true;
}

static enum after resume(struct thread *step, const char *addr)
{
	uint64_t pc;

	if (addr && *addr) {
		struct gdb_regs r;

		view_of(gdb.current, &r);
		if (!gdb_parse_hex(&addr, &pc) || *addr)
			return reply(E_INVAL);
		gdb_arch_reg_set(&r, GDB_REG_RIP, (const uint8_t *)&pc);
	}
	if (step && !step_thread(step))
		return reply(E_PERM);
	gdb.gdb_running = true;
	return RESUME;
}

/* The thread an action names (":ID"), or the stopped one; NULL if it names none. */
static struct thread *action_thread(const char *colon)
{
	char id[24];
	size_t n;

	if (!colon)
		return gdb.current;
	n = strcspn(colon + 1, ";");
	if (n >= sizeof(id))
		return NULL;
	memcpy(id, colon + 1, n);
	id[n] = '\0';
	return parse_thread(id);
}

/*
 * vCont;ACTION[:ID]...: in all-stop mode every thread goes on; s or S
 * names the one that steps (signals are not delivered: C and S are c and s).
 */
static enum after vcont(const char *p)
{
	struct thread *step = NULL;

	while (*p++ == ';') {
		const char *end = p + strcspn(p, ";"), *colon = NULL;
		char a = *p;

		for (const char *q = p; q < end; q++)
			if (*q == ':')
				colon = q;
		if (a != 'c' && a != 'C' && a != 's' && a != 'S')
			return reply(E_INVAL);
		if ((a == 's' || a == 'S') && !step) {
			step = action_thread(colon);
			if (!step)
				return reply(E_NOENT);
		}
		p = end;
	}
	return resume(step, NULL);
}

/* D: the breakpoints go, and the world goes on with nobody waiting for it. */
static enum after detach(void)
{
	struct gdb_regs r;

	for (int i = 0; i < BREAKPOINTS_MAX; i++)
		gdb.bp[i].wanted = false;
	gdb_arch_hw_remove_all();
	view_of(gdb.current, &r);
	gdb_arch_set_step(&r, false);
	reply("OK");
	pr_info("gdb: detached; the guest goes on");
	gdb.gdb_running = false;
	return RESUME;
}

static __attribute__((noreturn)) void kill_guest(bool answer)
{
	if (answer)
		reply("OK");
	pr_crit("gdb: killed by gdb");
	gdb.gdb_running = false;
	shutdown_exit(EXIT_PANIC);
}

/* ---- queries ----------------------------------------------------------------------- */

/* A window [off, off + len) of a document made in one pass, for qXfer. */
struct window {
	uint8_t *dst;
	size_t off, len, pos;
};

static void win_put(struct window *w, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, w->pos++)
		if (w->pos >= w->off && w->pos - w->off < w->len)
			w->dst[w->pos - w->off] = (uint8_t)s[i];
}

static void win_text(struct window *w, const char *s)
{
	win_put(w, s, strlen(s));
}

/* s as XML character data or an attribute's value. */
static void win_xml(struct window *w, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			win_text(w, "&amp;");
			break;
		case '<':
			win_text(w, "&lt;");
			break;
		case '>':
			win_text(w, "&gt;");
			break;
		case '"':
			win_text(w, "&quot;");
			break;
		default:
			win_put(w, s, 1);
		}
	}
}

static void threads_xml(struct window *w)
{
	char line[64], extra[EXTRA_INFO_MAX];

	win_text(w, "<?xml version=\"1.0\"?><threads>");
	for (struct thread *t = sched_next_thread(NULL); t; t = sched_next_thread(t)) {
		snprintf(line, sizeof(line), "<thread id=\"%lx\" core=\"0\" name=\"",
			 (unsigned long)gdb_id(t));
		win_text(w, line);
		win_xml(w, thread_name(t));
		win_text(w, "\">");
		describe(t, extra, sizeof(extra));
		win_xml(w, extra);
		win_text(w, "</thread>");
	}
	win_text(w, "</threads>");
}

/* qXfer:OBJECT:read:ANNEX:OFF,LEN: "m" and a part, or "l" and the last part. */
static enum after xfer_read(const char *arg)
{
	uint64_t off, len;
	struct window w = { .dst = gdb.scratch };
	const char *range = strrchr(arg, ':');
	size_t n, taken;

	if (!range++ || !parse_range(&range, &off, &len, 0))
		return reply(E_INVAL);
	w.off = off;
	w.len = len < XFER_CHUNK_MAX ? len : XFER_CHUNK_MAX;
	if (!strncmp(arg, "features:read:target.xml:", strlen("features:read:target.xml:"))) {
		const char *xml = gdb_arch_target_xml(&n);

		win_put(&w, xml, n);
	} else if (!strncmp(arg, "threads:read::", strlen("threads:read::"))) {
		threads_xml(&w);
	} else if (!strncmp(arg, "features:read:", strlen("features:read:"))) {
		return reply(E_NOENT);
	} else {
		return reply("");
	}
	n = w.pos > w.off ? w.pos - w.off : 0;
	n = n < w.len ? n : w.len;
	gdb.out[0] = w.pos > w.off + n ? 'm' : 'l';
	n = gdb_escape(gdb.out + 1, sizeof(gdb.out) - 2, (const char *)gdb.scratch, n, &taken);
	send_packet(gdb.out, 1 + n);
	return STAY;
}

/* qfThreadInfo / qsThreadInfo: the thread ids, as many a reply as fit. */
static enum after thread_info(bool first)
{
	struct thread *t = first ? sched_next_thread(NULL) : gdb.listed;
	size_t n = 1;

	gdb.out[0] = 'm';
	for (; t && n + 20 < sizeof(gdb.out); t = sched_next_thread(t))
		n += (size_t)snprintf(gdb.out + n, sizeof(gdb.out) - n, "%s%lx", n > 1 ? "," : "",
				      (unsigned long)gdb_id(t));
	gdb.listed = t;
	if (n == 1)
		return reply("l");
	gdb.out[n] = '\0';
	return reply(gdb.out);
}

static enum after extra_info(const char *arg)
{
	struct thread *t = parse_thread(arg);
	char text[EXTRA_INFO_MAX + THREAD_NAME_MAX], state[EXTRA_INFO_MAX];

	if (!t)
		return reply(E_NOENT);
	describe(t, state, sizeof(state));
	snprintf(text, sizeof(text), "%s: %s", thread_name(t), state);
	gdb.out[gdb_to_hex(gdb.out, text, strlen(text))] = '\0';
	return reply(gdb.out);
}

/* qRcmd: "monitor view app|kernel". */
static enum after monitor(const char *hex)
{
	char cmd[MONITOR_CMD_MAX];
	size_t n = strlen(hex) / 2;

	if (strlen(hex) % 2 || n >= sizeof(cmd) || gdb_from_hex(cmd, hex, n) < 0)
		return reply(E_INVAL);
	cmd[n] = '\0';
	if (!strcmp(cmd, "view kernel") || !strcmp(cmd, "view app")) {
		gdb.kernel_view = !strcmp(cmd, "view kernel");
		console_out(gdb.kernel_view ? "threads not stopped now show their kernel side "
					      "(maintenance flushregs shows it)\n"
					    : "threads not stopped now show their application side "
					      "(maintenance flushregs shows it)\n");
	} else {
		console_out("Ceres gdb stub: monitor view app (threads show where they are in the "
			    "application, the default) or monitor view kernel (in the kernel)\n");
	}
	return reply("OK");
}

static enum after query(const char *q)
{
	if (!strncmp(q, "qSupported", strlen("qSupported")))
		return replyf("PacketSize=%x;qXfer:features:read+;qXfer:threads:read+;swbreak+;"
			      "hwbreak+",
			      GDB_PACKET_MAX);
	if (!strncmp(q, "qXfer:", strlen("qXfer:")))
		return xfer_read(q + strlen("qXfer:"));
	if (!strcmp(q, "qfThreadInfo") || !strcmp(q, "qsThreadInfo"))
		return thread_info(q[1] == 'f');
	if (!strncmp(q, "qThreadExtraInfo,", strlen("qThreadExtraInfo,")))
		return extra_info(q + strlen("qThreadExtraInfo,"));
	if (!strcmp(q, "qC"))
		return replyf("QC%lx", (unsigned long)gdb_id(gdb.current));
	if (!strcmp(q, "qAttached"))
		return reply("1"); /* the guest was running: quitting gdb detaches */
	if (!strncmp(q, "qRcmd,", strlen("qRcmd,")))
		return monitor(q + strlen("qRcmd,"));
	return reply("");
}

/* ---- commands ---------------------------------------------------------------------- */

static enum after select_thread(const char *arg)
{
	struct thread *t = parse_thread(arg + 1);

	if (!t || (arg[0] != 'g' && arg[0] != 'c'))
		return reply(E_NOENT);
	if (arg[0] == 'g')
		gdb.sel_g = t;
	else
		gdb.sel_c = t;
	return reply("OK");
}

static enum after v_packet(const char *p)
{
	if (!strcmp(p, "vCont?"))
		return reply("vCont;c;C;s;S");
	if (!strncmp(p, "vCont;", strlen("vCont;")))
		return vcont(p + strlen("vCont"));
	if (!strncmp(p, "vKill", strlen("vKill")))
		kill_guest(true);
	return reply(""); /* vMustReplyEmpty and what else gdb tries */
}

/* c and s take an address to go on from; C and S a signal first, which is not delivered. */
static const char *after_signal(const char *p)
{
	const char *semi = strchr(p, ';');

	return semi ? semi + 1 : "";
}

static enum after handle(const char *p)
{
	gdb.stats.packets++;
	switch (p[0]) {
	case '?':
		return stop_reply();
	case 'g':
		return read_registers();
	case 'G':
		return write_registers(p + 1);
	case 'p':
		return read_register(p + 1);
	case 'P':
		return write_register(p + 1);
	case 'm':
		return read_memory(p + 1);
	case 'M':
		return write_memory(p + 1);
	case 'c':
		return resume(NULL, p + 1);
	case 'C':
		return resume(NULL, after_signal(p));
	case 's':
		return resume(gdb.sel_c, p + 1);
	case 'S':
		return resume(gdb.sel_c, after_signal(p));
	case 'Z':
	case 'z':
		return breakpoint_cmd(p + 1, p[0] == 'Z');
	case 'H':
		return select_thread(p + 1);
	case 'T':
		return reply(parse_thread(p + 1) ? "OK" : E_NOENT);
	case 'q':
		return query(p);
	case 'v':
		return v_packet(p);
	case 'D':
		return detach();
	case 'k':
		kill_guest(false);
	}
	gdb.stats.unknown++;
	return reply("");
}

/* Packets in, answers out, until one lets the world go on. */
static void serve(void)
{
	for (;;) {
		switch (gdb_rx_feed(&gdb.rx, next_byte())) {
		case GDB_RX_PACKET:
			gdb.port->write("+", 1);
			if (handle(gdb.in) == RESUME)
				return;
			break;
		case GDB_RX_BAD_CHECKSUM:
			gdb.port->write("-", 1);
			pr_warn("gdb: packet with a bad checksum dropped (%lu so far)",
				(unsigned long)++gdb.stats.bad_checksums);
			break;
		case GDB_RX_OVERLONG:
			gdb.port->write("-", 1);
			pr_warn("gdb: packet of more than %d bytes dropped (%lu so far)",
				GDB_PACKET_MAX, (unsigned long)++gdb.stats.overlong);
			break;
		default:
			break; /* acks, Ctrl-C while stopped, noise */
		}
	}
}

/* ---- stopping the world --------------------------------------------------------- */

void gdbstub_stop(struct trap_frame *f, const struct gdb_stop *why)
{
	const char *what = why->what ? why->what : gdb.break_what;

	gdb.busy = true;
	gdb.break_what = NULL;
	gdb.stopped_tsc = rdtsc();
	gdb_arch_hw_suspend();
	unpatch_all();
	gdb.frame = f;
	gdb.why = *why;
	gdb.current = gdb.sel_g = gdb.sel_c = thread_self();
	cancel_step();
	if (why->fatal)
		pr_crit("gdb: %s: waiting for gdb on %s (the guest ends when gdb lets it go on)",
			what, gdb.port->name);
	else if (what)
		pr_info("gdb: %s; waiting for gdb on %s", what, gdb.port->name);
	else if (!gdb.gdb_running)
		pr_info("gdb: stopped; waiting for gdb on %s", gdb.port->name);
	if (gdb.gdb_running) {
		gdb.gdb_running = false;
		stop_reply();
	}
	serve();
	if (why->fatal && gdb.gdb_running) {
		replyf("X%02x", why->signal); /* gdb: "terminated with signal" */
		gdb.gdb_running = false;
	}
	patch_all();
	gdb_arch_hw_resume();
	time_skip(gdb.stopped_tsc, rdtsc());
	gdb.busy = false;
}

void gdbstub_irq_exit(struct trap_frame *f)
{
	struct gdb_stop why = { .kind = GDB_STOP_SIGNAL };

	if (!gdb.stop_wanted)
		return;
	gdb.stop_wanted = false;
	why.signal = gdb.stop_signal;
	gdbstub_stop(f, &why);
}

void gdbstub_wait(void)
{
	unsigned long flags;

	if (!gdb.enabled || !wait_at_start)
		return;
	flags = irq_save();
	gdb.break_what = "the application is about to start";
	gdb_arch_break(GDB_SIG_TRAP, false);
	irq_restore(flags);
}

void gdbstub_fatal(const char *what)
{
	if (!gdb.enabled || gdb.busy)
		return;
	gdb.break_what = what;
	gdb_arch_break(GDB_SIG_ABRT, true);
}

/* gdb's own numbers for signals (its signals.def), by name: they are not Linux's. */
static int gdb_signal_named(const char *name)
{
	static const struct {
		const char *name;
		int number;
	} signals[] = {
		{ "SIGHUP", 1 },   { "SIGINT", 2 },   { "SIGQUIT", 3 },	 { "SIGILL", 4 },
		{ "SIGTRAP", 5 },  { "SIGABRT", 6 },  { "SIGFPE", 8 },	 { "SIGKILL", 9 },
		{ "SIGBUS", 10 },  { "SIGSEGV", 11 }, { "SIGSYS", 12 },	 { "SIGPIPE", 13 },
		{ "SIGALRM", 14 }, { "SIGTERM", 15 }, { "SIGUSR1", 30 }, { "SIGUSR2", 31 },
	};

	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (!strcmp(signals[i].name, name))
			return signals[i].number;
	return GDB_SIG_UNKNOWN;
}

void gdbstub_app_fatal(const char *signal, struct syscall_frame *f)
{
	if (!gdb.enabled || gdb.busy)
		return;
	snprintf(gdb.fatal_what, sizeof(gdb.fatal_what), "%s ended the application", signal);
	gdb.break_what = gdb.fatal_what;
	gdb.app_frame = f;
	gdb_arch_break(gdb_signal_named(signal), true);
}

void gdbstub_exit(int status)
{
	char payload[8];
	int n;

	if (!gdb.enabled || gdb.busy || !gdb.gdb_running)
		return;
	n = snprintf(payload, sizeof(payload), "W%02x", status & 0xFF);
	send_raw(payload, (size_t)n);
	/* gdb acks it; a gdb that went away does not, and the end does not wait long. */
	for (int i = 0; i < EXIT_ACK_POLLS && gdb.port->getc() != GDB_ACK; i++)
		cpu_relax();
}

int gdbstub_init(void)
{
	int rc, vector;

	if (!gdb.port)
		return 0;
	rc = gdb_arch_init();
	if (rc == 0)
		rc = gdb.port->open();
	if (rc < 0) {
		pr_err("gdb: cannot set up %s and the code's alias (%d); no gdb stub",
		       gdb.port->name, rc);
		return 0;
	}
	gdb_rx_init(&gdb.rx, gdb.in, sizeof(gdb.in));
	gdb.enabled = true;
	vector = irq_alloc(rx_irq, NULL, "gdb");
	if (vector < 0 || (rc = gdb.port->irq_route(vector)) < 0)
		pr_warn("gdb: no receive interrupt for %s: Ctrl-C and a gdb that connects do not "
			"stop the guest (breakpoints, crashes and gdb.wait do)",
			gdb.port->name);
	pr_info("gdb: serving gdb's remote protocol on %s%s (docs/gdbstub.md)", gdb.port->name,
		wait_at_start ? "; waiting for it before the application starts" : "");
	return 0;
}
