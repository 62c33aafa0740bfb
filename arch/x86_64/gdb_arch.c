/*
 * The x86-64 side of the gdb stub (docs/gdbstub.md). Everything runs with
 * interrupts off, while the world is stopped.
 */
#include "arch/x86_64/gdb_arch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/switch.h"
#include "arch/x86_64/syscall.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/vectors.h"
#include "kernel/gdbstub.h"
#include "kernel/page.h"

/* The canonical halves of the address space: anything between faults (#GP). */
#define CANONICAL_LOW_END 0x0000800000000000ULL
#define CANONICAL_HIGH_START 0xFFFF800000000000ULL

/* Debug registers: DR6 says what trapped, DR7 enables DR0-DR3. */
#define HW_SLOTS 4
#define DR6_BS (1ULL << 14)		 /* a single step */
#define DR6_CLEAR 0xFFFF0FF0ULL		 /* no condition recorded (its reserved bits read as 1) */
#define DR7_LOCAL(n) (1ULL << (2 * (n))) /* enabled */
#define DR7_RW_SHIFT(n) (16 + 4 * (n))
#define DR7_LEN_SHIFT(n) (18 + 4 * (n))
#define DR_RW_EXEC 0x0
#define DR_RW_WRITE 0x1
#define DR_RW_ACCESS 0x3
/* DR7's length field: 1, 2, 8 or 4 bytes are 0, 1, 2, 3. */
#define DR_LEN_1 0x0
#define DR_LEN_2 0x1
#define DR_LEN_8 0x2
#define DR_LEN_4 0x3

/* Where gdb_arch_break()'s int3 returns to: it tells that stop from a breakpoint's. */
extern const char gdb_arch_break_site[];

static struct {
	struct {
		bool used;
		enum gdb_hw_type type;
		uint64_t addr, len;
	} hw[HW_SLOTS];
	/* The stop at gdb_arch_break_site: its signal, and whether the VM ends when gdb lets go. */
	int break_signal;
	bool break_fatal;
	char xml[8192];
	size_t xml_len;
} gdb_arch;

/* ---- registers ----------------------------------------------------------------- */

struct reg_desc {
	const char *name;
	uint8_t bits;
	const char *type;
	const char *group; /* NULL: gdb's default group */
};

static const struct reg_desc reg_descs[GDB_REG_COUNT] = {
	{ "rax", 64, "int64", NULL },	  { "rbx", 64, "int64", NULL },
	{ "rcx", 64, "int64", NULL },	  { "rdx", 64, "int64", NULL },
	{ "rsi", 64, "int64", NULL },	  { "rdi", 64, "int64", NULL },
	{ "rbp", 64, "data_ptr", NULL },  { "rsp", 64, "data_ptr", NULL },
	{ "r8", 64, "int64", NULL },	  { "r9", 64, "int64", NULL },
	{ "r10", 64, "int64", NULL },	  { "r11", 64, "int64", NULL },
	{ "r12", 64, "int64", NULL },	  { "r13", 64, "int64", NULL },
	{ "r14", 64, "int64", NULL },	  { "r15", 64, "int64", NULL },
	{ "rip", 64, "code_ptr", NULL },  { "eflags", 32, "ceres_eflags", NULL },
	{ "cs", 32, "int32", NULL },	  { "ss", 32, "int32", NULL },
	{ "ds", 32, "int32", NULL },	  { "es", 32, "int32", NULL },
	{ "fs", 32, "int32", NULL },	  { "gs", 32, "int32", NULL },
	{ "st0", 80, "i387_ext", NULL },  { "st1", 80, "i387_ext", NULL },
	{ "st2", 80, "i387_ext", NULL },  { "st3", 80, "i387_ext", NULL },
	{ "st4", 80, "i387_ext", NULL },  { "st5", 80, "i387_ext", NULL },
	{ "st6", 80, "i387_ext", NULL },  { "st7", 80, "i387_ext", NULL },
	{ "fctrl", 32, "int", "float" },  { "fstat", 32, "int", "float" },
	{ "ftag", 32, "int", "float" },	  { "fiseg", 32, "int", "float" },
	{ "fioff", 32, "int", "float" },  { "foseg", 32, "int", "float" },
	{ "fooff", 32, "int", "float" },  { "fop", 32, "int", "float" },
	{ "xmm0", 128, "vec128", NULL },  { "xmm1", 128, "vec128", NULL },
	{ "xmm2", 128, "vec128", NULL },  { "xmm3", 128, "vec128", NULL },
	{ "xmm4", 128, "vec128", NULL },  { "xmm5", 128, "vec128", NULL },
	{ "xmm6", 128, "vec128", NULL },  { "xmm7", 128, "vec128", NULL },
	{ "xmm8", 128, "vec128", NULL },  { "xmm9", 128, "vec128", NULL },
	{ "xmm10", 128, "vec128", NULL }, { "xmm11", 128, "vec128", NULL },
	{ "xmm12", 128, "vec128", NULL }, { "xmm13", 128, "vec128", NULL },
	{ "xmm14", 128, "vec128", NULL }, { "xmm15", 128, "vec128", NULL },
	{ "mxcsr", 32, "int", "vector" }, { "fs_base", 64, "int64", NULL },
	{ "gs_base", 64, "int64", NULL },
};

static uint64_t read_segment(int n)
{
	uint16_t v = 0;

	switch (n) {
	case GDB_REG_CS:
		__asm__ volatile("mov %%cs, %0" : "=r"(v));
		break;
	case GDB_REG_SS:
		__asm__ volatile("mov %%ss, %0" : "=r"(v));
		break;
	case GDB_REG_DS:
		__asm__ volatile("mov %%ds, %0" : "=r"(v));
		break;
	case GDB_REG_ES:
		__asm__ volatile("mov %%es, %0" : "=r"(v));
		break;
	case GDB_REG_FS:
		__asm__ volatile("mov %%fs, %0" : "=r"(v));
		break;
	case GDB_REG_GS:
		__asm__ volatile("mov %%gs, %0" : "=r"(v));
		break;
	}
	return v;
}

static void set_copy(struct gdb_regs *r, int n, uint64_t v)
{
	r->copy[n] = v;
	r->copied |= 1ULL << n;
}

/*
 * Every thread runs in ring 0 on the kernel's segments, so the selectors
 * are the same for all: the ones loaded now. They are copies: a frame that
 * holds cs and ss holds them for iretq, which a wrong one would fault.
 */
static void start_view(struct gdb_regs *r)
{
	memset(r, 0, sizeof(*r));
	for (int n = GDB_REG_CS; n <= GDB_REG_GS; n++)
		set_copy(r, n, read_segment(n));
}

/*
 * The general registers of a trap frame or a system call's frame, which
 * name them alike: where each of gdb's first 18 registers is kept.
 */
#define GP_VIEW(f)                                                                               \
	{                                                                                        \
		[GDB_REG_RAX] = &(f)->rax, [GDB_REG_RBX] = &(f)->rbx, [GDB_REG_RCX] = &(f)->rcx, \
		[GDB_REG_RDX] = &(f)->rdx, [GDB_REG_RSI] = &(f)->rsi, [GDB_REG_RDI] = &(f)->rdi, \
		[GDB_REG_RBP] = &(f)->rbp, [GDB_REG_RSP] = &(f)->rsp, [GDB_REG_R8] = &(f)->r8,   \
		[GDB_REG_R9] = &(f)->r9, [GDB_REG_R10] = &(f)->r10, [GDB_REG_R11] = &(f)->r11,   \
		[GDB_REG_R12] = &(f)->r12, [GDB_REG_R13] = &(f)->r13, [GDB_REG_R14] = &(f)->r14, \
		[GDB_REG_R15] = &(f)->r15, [GDB_REG_RIP] = &(f)->rip,                            \
		[GDB_REG_EFLAGS] = &(f)->rflags,                                                 \
	}

void gdb_arch_regs_trap(struct gdb_regs *r, struct trap_frame *f)
{
	uint64_t *gp[] = GP_VIEW(f);

	start_view(r);
	memcpy(r->at, gp, sizeof(gp));
	set_copy(r, GDB_REG_CS, f->cs);
	set_copy(r, GDB_REG_SS, f->ss);
	set_copy(r, GDB_REG_FS_BASE, rdmsr(MSR_FS_BASE));
	set_copy(r, GDB_REG_GS_BASE, rdmsr(MSR_GS_BASE));
	r->rflags = &f->rflags;
	r->resumes_here = true;
}

void gdb_arch_regs_syscall(struct gdb_regs *r, struct syscall_frame *f)
{
	uint64_t *gp[] = GP_VIEW(f);

	start_view(r);
	memcpy(r->at, gp, sizeof(gp));
	r->rflags = &f->rflags;
}

void gdb_arch_regs_switch(struct gdb_regs *r, uint64_t sp)
{
	struct switch_frame *s = (struct switch_frame *)sp;

	start_view(r);
	r->at[GDB_REG_RBX] = &s->rbx;
	r->at[GDB_REG_RBP] = &s->rbp;
	r->at[GDB_REG_R12] = &s->r12;
	r->at[GDB_REG_R13] = &s->r13;
	r->at[GDB_REG_R14] = &s->r14;
	r->at[GDB_REG_R15] = &s->r15;
	r->at[GDB_REG_RIP] = &s->ret;
	/* The switch's ret pops the frame: rsp as the thread's own code has it. */
	set_copy(r, GDB_REG_RSP, sp + sizeof(*s));
}

void gdb_arch_regs_bases(struct gdb_regs *r, uint64_t fs_base, uint64_t gs_base)
{
	set_copy(r, GDB_REG_FS_BASE, fs_base);
	set_copy(r, GDB_REG_GS_BASE, gs_base);
}

int gdb_arch_reg_size(int n)
{
	return n >= 0 && n < GDB_REG_COUNT ? reg_descs[n].bits / 8 : 0;
}

bool gdb_arch_reg_get(const struct gdb_regs *r, int n, uint8_t *buf)
{
	const uint64_t *v;

	if (!gdb_arch_reg_size(n))
		return false;
	v = r->at[n] ? r->at[n] : r->copied & (1ULL << n) ? &r->copy[n] : NULL;
	if (!v)
		return false;
	memcpy(buf, v, (size_t)gdb_arch_reg_size(n)); /* the known ones are 8 bytes or fewer */
	return true;
}

int gdb_arch_reg_set(struct gdb_regs *r, int n, const uint8_t *buf)
{
	int size = gdb_arch_reg_size(n);
	uint64_t v;

	if (!size)
		return -EINVAL;
	if (!r->at[n])
		return -EPERM;
	v = *r->at[n];
	memcpy(&v, buf, (size_t)size); /* a 32-bit register keeps the slot's upper half */
	*r->at[n] = v;
	return 0;
}

uint64_t gdb_arch_reg_pc(const struct gdb_regs *r)
{
	return r->at[GDB_REG_RIP] ? *r->at[GDB_REG_RIP] : 0;
}

bool gdb_arch_set_step(struct gdb_regs *r, bool on)
{
	if (!r->rflags)
		return false;
	*r->rflags = on ? *r->rflags | RFLAGS_TF : *r->rflags & ~RFLAGS_TF;
	return true;
}

/* ---- the target description ----------------------------------------------------- */

/* eflags' bits that gdb shows by name (Intel SDM vol. 1, 3.4.3). */
static const struct {
	const char *name;
	uint8_t bit;
} eflags_bits[] = {
	{ "CF", 0 },  { "PF", 2 },  { "AF", 4 },  { "ZF", 6 },	{ "SF", 7 },
	{ "TF", 8 },  { "IF", 9 },  { "DF", 10 }, { "OF", 11 }, { "NT", 14 },
	{ "RF", 16 }, { "AC", 18 }, { "ID", 21 },
};

/* The lanes an xmm register shows, as gdb users know them. */
static const struct {
	const char *id, *field, *type;
	int count;
} vec128_lanes[] = {
	{ "v4f", "v4_float", "ieee_single", 4 }, { "v2d", "v2_double", "ieee_double", 2 },
	{ "v16i8", "v16_int8", "int8", 16 },	 { "v8i16", "v8_int16", "int16", 8 },
	{ "v4i32", "v4_int32", "int32", 4 },	 { "v2i64", "v2_int64", "int64", 2 },
};

/* Appends to the description; what does not fit is cut (the buffer is sized for it all). */
__attribute__((format(printf, 1, 2))) static void xml(const char *fmt, ...)
{
	size_t room = sizeof(gdb_arch.xml) - gdb_arch.xml_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(gdb_arch.xml + gdb_arch.xml_len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		gdb_arch.xml_len += (size_t)n < room ? (size_t)n : room - 1;
}

static void xml_regs(int first, int last)
{
	for (int n = first; n <= last; n++)
		xml("<reg name=\"%s\" bitsize=\"%d\" type=\"%s\" regnum=\"%d\"%s%s%s/>",
		    reg_descs[n].name, reg_descs[n].bits, reg_descs[n].type, n,
		    reg_descs[n].group ? " group=\"" : "",
		    reg_descs[n].group ? reg_descs[n].group : "", reg_descs[n].group ? "\"" : "");
}

static void build_xml(void)
{
	xml("<?xml version=\"1.0\"?><target version=\"1.0\">"
	    "<architecture>i386:x86-64</architecture>"
	    "<feature name=\"org.gnu.gdb.i386.core\"><flags id=\"ceres_eflags\" size=\"4\">");
	for (size_t i = 0; i < sizeof(eflags_bits) / sizeof(eflags_bits[0]); i++)
		xml("<field name=\"%s\" start=\"%d\" end=\"%d\"/>", eflags_bits[i].name,
		    eflags_bits[i].bit, eflags_bits[i].bit);
	xml("</flags>");
	xml_regs(GDB_REG_RAX, GDB_REG_FOP);
	xml("</feature><feature name=\"org.gnu.gdb.i386.sse\">");
	for (size_t i = 0; i < sizeof(vec128_lanes) / sizeof(vec128_lanes[0]); i++)
		xml("<vector id=\"%s\" type=\"%s\" count=\"%d\"/>", vec128_lanes[i].id,
		    vec128_lanes[i].type, vec128_lanes[i].count);
	xml("<union id=\"vec128\">");
	for (size_t i = 0; i < sizeof(vec128_lanes) / sizeof(vec128_lanes[0]); i++)
		xml("<field name=\"%s\" type=\"%s\"/>", vec128_lanes[i].field, vec128_lanes[i].id);
	xml("<field name=\"uint128\" type=\"uint128\"/></union>");
	xml_regs(GDB_REG_XMM0, GDB_REG_MXCSR);
	xml("</feature><feature name=\"org.gnu.gdb.i386.segments\">");
	xml_regs(GDB_REG_FS_BASE, GDB_REG_GS_BASE);
	xml("</feature></target>");
}

const char *gdb_arch_target_xml(size_t *len)
{
	if (!gdb_arch.xml_len)
		build_xml();
	*len = gdb_arch.xml_len;
	return gdb_arch.xml;
}

/* ---- memory -------------------------------------------------------------------- */

static bool canonical(uint64_t a)
{
	return a < CANONICAL_LOW_END || a >= CANONICAL_HIGH_START;
}

bool gdb_arch_mem_ok(uint64_t addr, size_t len)
{
	uint64_t last = addr + len - 1;

	if (!len)
		return true;
	if (last < addr || !canonical(addr) || !canonical(last) ||
	    (addr < CANONICAL_LOW_END) != (last < CANONICAL_LOW_END))
		return false;
	for (uint64_t p = addr & ~(PAGE_SIZE - 1);; p += PAGE_SIZE) {
		int flags = paging_query(p);

		if (flags < 0 || flags & PAGING_UNCACHED)
			return false;
		if (p == (last & ~(PAGE_SIZE - 1)))
			return true;
	}
}

int gdb_arch_init(void)
{
	return paging_alias_init();
}

/*
 * Code and read-only data are mapped read-only, and ring 0 obeys that
 * (CR0.WP): their bytes are written through a writable alias of their page
 * instead (paging_alias), a page at a time. Every page but device memory,
 * which gdb_arch_mem_ok() refuses, is identity mapped: its address is its
 * physical one. A plain loop, not memcpy: a breakpoint may sit in memcpy.
 */
void gdb_arch_mem_write(uint64_t addr, const void *src, size_t n)
{
	const uint8_t *s = src;

	while (n) {
		size_t chunk = PAGE_SIZE - (addr & (PAGE_SIZE - 1));
		bool alias = !(paging_query(addr) & PAGING_WRITE);
		volatile uint8_t *dst = alias ? paging_alias(addr) : (volatile uint8_t *)addr;

		chunk = chunk < n ? chunk : n;
		for (size_t i = 0; dst && i < chunk; i++)
			dst[i] = s[i];
		if (alias)
			paging_alias_end();
		addr += chunk;
		s += chunk;
		n -= chunk;
	}
}

/* ---- debug registers ------------------------------------------------------------- */

static void write_dr(int n, uint64_t v)
{
	switch (n) {
	case 0:
		__asm__ volatile("mov %0, %%dr0" : : "r"(v));
		break;
	case 1:
		__asm__ volatile("mov %0, %%dr1" : : "r"(v));
		break;
	case 2:
		__asm__ volatile("mov %0, %%dr2" : : "r"(v));
		break;
	case 3:
		__asm__ volatile("mov %0, %%dr3" : : "r"(v));
		break;
	case 6:
		__asm__ volatile("mov %0, %%dr6" : : "r"(v));
		break;
	case 7:
		__asm__ volatile("mov %0, %%dr7" : : "r"(v));
		break;
	}
}

static uint64_t read_dr6(void)
{
	uint64_t v;

	__asm__ volatile("mov %%dr6, %0" : "=r"(v));
	return v;
}

/* DR7's length code for a watched length, -1 if the CPU cannot watch it. */
static int len_code(uint64_t len)
{
	switch (len) {
	case 1:
		return DR_LEN_1;
	case 2:
		return DR_LEN_2;
	case 4:
		return DR_LEN_4;
	case 8:
		return DR_LEN_8;
	}
	return -1;
}

int gdb_arch_hw_insert(enum gdb_hw_type type, uint64_t addr, uint64_t len)
{
	/* An instruction breakpoint is one byte long, whatever gdb says. */
	if (type == GDB_HW_EXEC)
		len = 1;
	if (len_code(len) < 0 || addr & (len - 1))
		return -EINVAL;
	for (int i = 0; i < HW_SLOTS; i++) {
		if (!gdb_arch.hw[i].used) {
			gdb_arch.hw[i].used = true;
			gdb_arch.hw[i].type = type;
			gdb_arch.hw[i].addr = addr;
			gdb_arch.hw[i].len = len;
			return 0;
		}
	}
	return -ENOSPC;
}

int gdb_arch_hw_remove(enum gdb_hw_type type, uint64_t addr, uint64_t len)
{
	if (type == GDB_HW_EXEC)
		len = 1;
	for (int i = 0; i < HW_SLOTS; i++) {
		if (gdb_arch.hw[i].used && gdb_arch.hw[i].type == type &&
		    gdb_arch.hw[i].addr == addr && gdb_arch.hw[i].len == len) {
			gdb_arch.hw[i].used = false;
			return 0;
		}
	}
	return -ENOENT;
}

void gdb_arch_hw_remove_all(void)
{
	for (int i = 0; i < HW_SLOTS; i++)
		gdb_arch.hw[i].used = false;
}

void gdb_arch_hw_suspend(void)
{
	write_dr(7, 0);
}

void gdb_arch_hw_resume(void)
{
	static const uint64_t rw[] = {
		[GDB_HW_EXEC] = DR_RW_EXEC,
		[GDB_HW_WRITE] = DR_RW_WRITE,
		[GDB_HW_ACCESS] = DR_RW_ACCESS,
	};
	uint64_t dr7 = 0;

	for (int i = 0; i < HW_SLOTS; i++) {
		if (!gdb_arch.hw[i].used)
			continue;
		write_dr(i, gdb_arch.hw[i].addr);
		dr7 |= DR7_LOCAL(i) | rw[gdb_arch.hw[i].type] << DR7_RW_SHIFT(i) |
		       (uint64_t)len_code(gdb_arch.hw[i].len) << DR7_LEN_SHIFT(i);
	}
	write_dr(7, dr7);
}

/* ---- traps --------------------------------------------------------------------- */

static bool on_breakpoint(struct trap_frame *f)
{
	uint64_t at = f->rip - GDB_ARCH_BREAK_LEN;
	struct gdb_stop why = { .signal = GDB_SIG_TRAP };

	if (f->rip == (uint64_t)gdb_arch_break_site) {
		why.fatal = gdb_arch.break_fatal;
		why.signal = gdb_arch.break_signal;
	} else if (gdbstub_breakpoint_at(at)) {
		f->rip = at; /* it goes on from the instruction the int3 stands in for */
		if (gdbstub_busy()) {
			gdbstub_drop_breakpoint(at);
			return true;
		}
		why.kind = GDB_STOP_SWBREAK;
	} else {
		return false; /* not ours: the application's a_crash(), say */
	}
	gdbstub_stop(f, &why);
	return true;
}

/* The debug register that trapped, or -1. */
static int hw_hit(uint64_t dr6)
{
	for (int i = 0; i < HW_SLOTS; i++)
		if (dr6 & (1ULL << i) && gdb_arch.hw[i].used)
			return i;
	return -1;
}

static bool on_debug(struct trap_frame *f)
{
	static const enum gdb_stop_kind kinds[] = {
		[GDB_HW_EXEC] = GDB_STOP_HWBREAK,
		[GDB_HW_WRITE] = GDB_STOP_WATCH,
		[GDB_HW_ACCESS] = GDB_STOP_AWATCH,
	};
	uint64_t dr6 = read_dr6();
	struct gdb_stop why = { .signal = GDB_SIG_TRAP };
	int hw;

	write_dr(6, DR6_CLEAR);
	f->rflags &= ~RFLAGS_TF; /* a step ends here; the stub sets it again for the next */
	if (gdbstub_busy())
		return true;
	/*
	 * A step over `syscall` traps at its entry, in the kernel. The call's
	 * frame keeps the application's flags, TF set: the step goes on, and
	 * ends, one instruction after the call returns.
	 */
	if (dr6 & DR6_BS && f->rip == (uint64_t)syscall_entry)
		return true;
	hw = hw_hit(dr6);
	if (hw >= 0) {
		why.kind = kinds[gdb_arch.hw[hw].type];
		why.addr = gdb_arch.hw[hw].addr;
	} else if (!(dr6 & DR6_BS)) {
		return false;
	}
	gdbstub_stop(f, &why);
	/* An instruction breakpoint traps before the instruction: let it run once. */
	f->rflags |= RFLAGS_RF;
	return true;
}

bool gdb_arch_trap(struct trap_frame *f)
{
	if (!gdbstub_enabled())
		return false;
	return f->vector == VEC_BREAKPOINT ? on_breakpoint(f) : on_debug(f);
}

static int crash_signal(uint64_t vector)
{
	switch (vector) {
	case VEC_DIVIDE_ERROR:
	case VEC_X87_FP:
	case VEC_SIMD_FP:
		return GDB_SIG_FPE;
	case VEC_INVALID_OPCODE:
		return GDB_SIG_ILL;
	case VEC_DEBUG:
		return GDB_SIG_TRAP;
	case VEC_BREAKPOINT:
		return GDB_SIG_ABRT; /* musl's a_crash(): its hlt made an int3 */
	case VEC_ALIGNMENT_CHECK:
		return GDB_SIG_BUS;
	}
	return GDB_SIG_SEGV;
}

void gdb_arch_crash(struct trap_frame *f)
{
	struct gdb_stop why = { .signal = crash_signal(f->vector),
				.fatal = true,
				.what = "CPU exception" };

	if (!gdbstub_enabled() || gdbstub_busy())
		return;
	/* gdb shows the int3 itself, not the instruction after it. */
	if (f->vector == VEC_BREAKPOINT)
		f->rip -= GDB_ARCH_BREAK_LEN;
	gdbstub_stop(f, &why);
}

/* Not inlined: there is one int3, and one label after it. */
__attribute__((noinline, noclone)) void gdb_arch_break(int signal, bool fatal)
{
	gdb_arch.break_signal = signal;
	gdb_arch.break_fatal = fatal;
	__asm__ volatile("int3\n"
			 ".globl gdb_arch_break_site\n"
			 "gdb_arch_break_site:" ::
				 : "memory");
}
