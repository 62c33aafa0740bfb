/*
 * The red zone under fire (docs/abi.md). A leaf function, as gcc writes
 * them for user space, keeps data in the 128 bytes below %rsp without
 * moving %rsp. In ring 0 an interrupt would push its frame right there,
 * unless it arrives on a stack of its own and moves below the red zone
 * (arch/x86_64/entry.asm), and the system-call entry must step over it too
 * (arch/x86_64/syscall_entry.asm). Here the red zone is filled, then kept
 * live across a spin that timer interrupts keep cutting into (two threads
 * sleep 50 us at a time, and 1 ms time slices: run it with
 * sched.timeslice_ms=1) and across a system call, and checked. Prints
 * "ok - ..." / "not ok - ..." and exits with the number of failures.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>

/*
 * uint64_t red_zone_check(uint64_t spins, uint64_t do_syscall): fills the
 * 16 words below %rsp with a pattern, spins, makes getppid() if asked,
 * and returns how many words changed. A leaf: it never moves %rsp.
 */
__asm__(".text\n"
	".globl red_zone_check\n"
	"red_zone_check:\n"
	"	mov $0x5EED000000000000, %rax\n"
	"	mov $16, %ecx\n"
	"1:	lea (%rax,%rcx), %rdx\n"
	"	mov %rdx, -136(%rsp,%rcx,8)\n"
	"	dec %ecx\n"
	"	jnz 1b\n"
	"	mov %rdi, %rcx\n"
	"2:	pause\n"
	"	dec %rcx\n"
	"	jnz 2b\n"
	"	test %rsi, %rsi\n"
	"	jz 3f\n"
	"	mov %rax, %r8\n"
	"	mov $110, %eax\n" /* getppid */
	"	syscall\n"
	"	mov %r8, %rax\n"
	"3:	xor %r8d, %r8d\n"
	"	mov $16, %ecx\n"
	"4:	lea (%rax,%rcx), %rdx\n"
	"	cmp %rdx, -136(%rsp,%rcx,8)\n"
	"	setne %r9b\n"
	"	movzbl %r9b, %r9d\n"
	"	add %r9, %r8\n"
	"	dec %ecx\n"
	"	jnz 4b\n"
	"	mov %r8, %rax\n"
	"	ret\n");

uint64_t red_zone_check(uint64_t spins, uint64_t do_syscall);

static volatile int stop;

static void *sleeper(void *arg)
{
	struct timespec ts = { 0, 50000 };
	long *wakeups = arg;

	while (!stop) {
		nanosleep(&ts, NULL);
		(*wakeups)++;
	}
	return NULL;
}

int main(void)
{
	enum { ROUNDS = 300, SPINS = 20000 };
	pthread_t t[2];
	long wakeups[2] = { 0, 0 };
	uint64_t bad_spin = 0, bad_call = 0;
	int failures = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, sleeper, &wakeups[i]);
	for (int i = 0; i < ROUNDS; i++) {
		bad_spin += red_zone_check(SPINS, 0);
		bad_call += red_zone_check(SPINS / 10, 1);
	}
	stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("# %d rounds; the sleepers woke %ld times\n", ROUNDS, wakeups[0] + wakeups[1]);
	printf("%s - red zone: intact across timer interrupts (%lu words changed)\n",
	       bad_spin ? "not ok" : "ok", (unsigned long)bad_spin);
	printf("%s - red zone: intact across a system call (%lu words changed)\n",
	       bad_call ? "not ok" : "ok", (unsigned long)bad_call);
	printf("%s - red zone: the interrupts came (more than 1000 wakeups)\n",
	       wakeups[0] + wakeups[1] > 1000 ? "ok" : "not ok");
	failures = (bad_spin != 0) + (bad_call != 0) + (wakeups[0] + wakeups[1] <= 1000);
	return failures;
}
