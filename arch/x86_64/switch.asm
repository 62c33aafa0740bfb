; switch_stack(uint64_t *save_sp, uint64_t next_sp): the heart of a thread
; switch (docs/scheduler.md). Pushes the registers the C ABI says a call
; preserves, saves rsp in *save_sp, loads next_sp and pops the same registers
; of the thread that saved it, returning into that thread's own call.
; Interrupts are off on both sides; the FPU state is handled by the caller.

global switch_stack


section .text
bits 64
switch_stack:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	mov [rdi], rsp
	mov rsp, rsi
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
