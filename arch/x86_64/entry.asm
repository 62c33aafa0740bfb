; One entry stub per interrupt vector. Each pushes a zero where the CPU pushes
; no error code, then its vector number, and jumps to trap_common, which saves
; the general registers as a struct trap_frame (arch/x86_64/trap.h) and calls
; trap_dispatch(frame).
;
; Every vector arrives on an IST stack (arch/x86_64/gdt.h). An interrupt
; (vector 32 and up) first moves its frame off that shared stack, to below
; the red zone of the stack it interrupted, and goes on there: the timer's
; handler may switch threads, and a frame left on the IST stack would be
; overwritten by the next interrupt. #DB and #BP do the same: gdb may hold
; the world in them (kernel/gdbstub.c), and a breakpoint may be hit again
; before they return. Other exceptions stay on theirs.

extern trap_dispatch
global trap_stubs

section .text
bits 64

; Vectors for which the CPU pushes an error code.
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)
; Vectors that leave their IST stack at once: interrupts, #DB and #BP.
%define MOVES_OFF(v) ((v) >= 32 || (v) == 1 || (v) == 3)

RED_ZONE	equ 128
FRAME_WORDS	equ 9		; rbx and rax (pushed here), vector, error, rip, cs, rflags, rsp, ss
FRAME_RSP	equ 7		; where the interrupted rsp sits in them

%assign v 0
%rep 256
align 16
stub_%+v:
%if !HAS_ERROR(v)
	push 0
%endif
	push v
%if MOVES_OFF(v)
	jmp irq_common
%else
	jmp trap_common
%endif
%assign v v + 1
%endrep

; Copies the frame to below the interrupted stack's red zone, 16-byte
; aligned, and continues on that stack. Interrupts are off throughout.
irq_common:
	push rax
	push rbx
	mov rax, [rsp + FRAME_RSP * 8]
	sub rax, RED_ZONE + FRAME_WORDS * 8
	and rax, -16
%assign w 0
%rep FRAME_WORDS
	mov rbx, [rsp + w * 8]
	mov [rax + w * 8], rbx
%assign w w + 1
%endrep
	mov rsp, rax
	pop rbx
	pop rax

trap_common:
	cld
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov rdi, rsp
	mov rbx, rsp			; callee-saved: survives the call
	and rsp, -16			; the ABI's alignment at a call
	call trap_dispatch
	mov rsp, rbx
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16			; vector and error code
	iretq

section .rodata
align 8
trap_stubs:
%assign v 0
%rep 256
	dq stub_%+v
%assign v v + 1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
