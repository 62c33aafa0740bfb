/*
 * The application's start, as a Linux kernel starts a static program
 * (docs/abi.md): musl's _start runs on a stack that holds argc, argv,
 * envp and the auxiliary vector. The auxiliary vector's program headers
 * are made up from the link's symbols: only the TLS segment's, which musl
 * needs to set up __thread variables, and PT_GNU_STACK's.
 */
#include "lib/abi/abi.h"

#include <stdint.h>
#include <string.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/syscall.h"
#include "kernel/errname.h"
#include "kernel/page.h"
#include "kernel/panic.h"
#include "kernel/params.h"
#include "kernel/random.h"
#include "kernel/sections.h"
#include "kernel/shutdown.h"
#include "kernel/stack.h"
#include "lib/abi/process.h"
#include "lib/abi/signal.h"
#include "lib/abi/thread.h"
#include "lib/vfs/console.h"
#include "sched/sched.h"

#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_HWCAP2 26
#define AT_EXECFN 31
#define AT_MINSIGSTKSZ 51
#define AUX_COUNT 20

#define PT_TLS 7
#define PT_GNU_STACK 0x6474E551
#define PF_W 2
#define PF_R 4
#define HWCAP2_FSGSBASE (1 << 1)
#define CLK_TCK 100

struct elf64_phdr {
	uint32_t p_type, p_flags;
	uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};

/* musl's entry (crt1.o), or a kernel test's; each image has one of them. */
extern const char _start[] __attribute__((weak));
extern int ktest_main(int argc, char **argv) __attribute__((weak));

static struct elf64_phdr phdrs[2];

static int describe_segments(void)
{
	int n = 0;
	uint64_t filesz = (uint64_t)(__tdata_end - __tdata_start);

	if ((uint64_t)__tls_size) {
		phdrs[n++] = (struct elf64_phdr){
			.p_type = PT_TLS,
			.p_flags = PF_R,
			.p_vaddr = (uint64_t)__tdata_start,
			.p_paddr = (uint64_t)__tdata_start,
			.p_filesz = filesz,
			.p_memsz = (uint64_t)__tls_size,
			.p_align = (uint64_t)__tls_align,
		};
	}
	/* A size of 0 leaves musl's default thread stack size as it is. */
	phdrs[n++] = (struct elf64_phdr){ .p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W };
	return n;
}

/* Copies s below *top; returns where it now is. */
static char *push_string(char **top, const char *s)
{
	size_t n = strlen(s) + 1;

	*top -= n;
	memcpy(*top, s, n);
	return *top;
}

/*
 * Lays out argc, argv, envp and auxv in area (which ends at top) as Linux
 * does, and returns the stack pointer musl's _start wants: at argc, 16-byte
 * aligned.
 */
static uint64_t *lay_out(char *top, int argc, char **argv, int envc, char **envp)
{
	char *ap[PARAMS_ARGV_MAX + 1], *ep[PARAMS_ENV_MAX + 1], *platform, *random_at, *p = top;
	uint64_t aux[AUX_COUNT * 2], *sp;
	int nphdr = describe_segments(), na = 0;

	platform = push_string(&p, "x86_64");
	for (int i = envc - 1; i >= 0; i--)
		ep[i] = push_string(&p, envp[i]);
	for (int i = argc - 1; i >= 0; i--)
		ap[i] = push_string(&p, argv[i]);
	p = (char *)((uintptr_t)p & ~15UL) - 16;
	random_fill(p, 16); /* AT_RANDOM: musl's stack protector and pointer guard */
	random_at = p;

#define AUX(k, v) (aux[na++] = (k), aux[na++] = (uint64_t)(v))
	AUX(AT_PHDR, phdrs);
	AUX(AT_PHENT, sizeof(phdrs[0]));
	AUX(AT_PHNUM, nphdr);
	AUX(AT_PAGESZ, PAGE_SIZE);
	AUX(AT_BASE, 0);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, _start);
	AUX(AT_UID, 0);
	AUX(AT_EUID, 0);
	AUX(AT_GID, 0);
	AUX(AT_EGID, 0);
	AUX(AT_PLATFORM, platform);
	AUX(AT_HWCAP, cpuid(1, 0).edx); /* what Linux reports: CPUID leaf 1's EDX */
	AUX(AT_HWCAP2, cpu_has(CPU_FSGSBASE) ? HWCAP2_FSGSBASE : 0);
	AUX(AT_CLKTCK, CLK_TCK);
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, random_at);
	AUX(AT_EXECFN, ap[0]);
	AUX(AT_MINSIGSTKSZ, signal_frame_size());
	AUX(AT_NULL, 0);
#undef AUX

	/* argc, argv[], NULL, envp[], NULL, auxv: its end just below the strings. */
	sp = (uint64_t *)p - (1 + argc + 1 + envc + 1 + na);
	sp = (uint64_t *)((uintptr_t)sp & ~15UL);
	p = (char *)sp;
	*sp = (uint64_t)argc;
	for (int i = 0; i < argc; i++)
		sp[1 + i] = (uint64_t)ap[i];
	sp[1 + argc] = 0;
	for (int i = 0; i < envc; i++)
		sp[2 + argc + i] = (uint64_t)ep[i];
	sp[2 + argc + envc] = 0;
	memcpy(sp + 3 + argc + envc, aux, (size_t)na * sizeof(aux[0]));
	return sp;
}

void abi_start(int argc, char **argv, int envc, char **envp, uint64_t stack_size)
{
	size_t need = 1024 + AUX_COUNT * 16 + (size_t)(argc + envc + 4) * 8;
	char *area;
	int err;

	struct stack_span stack;

	if (ktest_main)
		shutdown_app_exit(ktest_main(argc, argv));
	/* This thread's stack becomes the application's main stack. */
	if (stack_find((uintptr_t)__builtin_frame_address(0), &stack))
		page_set_app((void *)stack.lo, (stack.hi - stack.lo + PAGE_SIZE - 1) / PAGE_SIZE,
			     true);
	abi_threads_init();
	process_set_stack_size(stack_size);
	err = console_files_init();
	if (!err)
		err = abi_thread_attach(thread_self(), NULL);
	if (err < 0)
		panic("abi: cannot start the application: %s", err_name(err));
	for (int i = 0; i < argc; i++)
		need += strlen(argv[i]) + 1;
	for (int i = 0; i < envc; i++)
		need += strlen(envp[i]) + 1;
	/*
	 * The layout goes at the top of this stack: what lies above it is this
	 * function's frame and its callers', which the application replaces.
	 */
	area = __builtin_alloca(need);
	arch_enter_app((uintptr_t)_start, (uintptr_t)lay_out(area + need, argc, argv, envc, envp));
}
