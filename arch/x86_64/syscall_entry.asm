; The system-call entry (docs/abi.md). musl's `syscall` lands here through
; IA32_LSTAR, in ring 0 as everything is: no stack switch, rcx = the return
; address, r11 = rflags. IA32_FMASK clears DF, TF and AC but leaves
; interrupts on: an interrupt moves its frame below the red zone of the
; stack it arrives on (arch/x86_64/entry.asm), which is safe at every
; instruction here. The application's leaf functions keep data in the 128
; bytes below rsp (the red zone), so the frame goes below that. sysret
; always drops to ring 3, so the way back is an indirect jump, or iretq when
; every register must come back (after a signal handler). The flags are not
; restored on the fast way: the ABI gives them to the call (r11 is
; clobbered), and the kernel's are the application's with DF clear and IF
; set. Under emulation sti, cli and popfq each end a translation block:
; this path has none of them.
;
; The frame is a struct syscall_frame (arch/x86_64/syscall.h), lowest
; address first: r15 .. r12, rbp, rbx, r11, r10, r9, r8, rdx, rcx, rsi,
; rdi, rax, then the application's rsp, rip and rflags.

RED_ZONE	equ 128
F_RAX		equ 14 * 8
F_RSP		equ 15 * 8
F_RIP		equ 16 * 8
F_RFLAGS	equ 17 * 8

extern syscall_dispatch
global syscall_entry
global syscall_new_thread

section .text
bits 64
syscall_entry:
	sub rsp, RED_ZONE
	push r11			; rflags
	push rcx			; rip
	lea rcx, [rsp + 16 + RED_ZONE]
	push rcx			; the application's rsp
	mov rcx, [rsp + 8]		; rcx as the call leaves it: the return address
	push rax			; the call's number; its result on the way out
	push rdi
	push rsi
	push rcx
	push rdx
	push r8
	push r9
	push r10
	push r11
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	xor ebp, ebp			; the kernel's backtraces end here
	mov rdi, rsp
	mov rbx, rsp			; callee-saved: survives the call
	and rsp, -16
	call syscall_dispatch
	mov rsp, rbx
	test eax, eax
	jnz restore_all
	; r12-r15 are the application's still (the C code kept them); rbp and
	; rbx were this code's.
	mov rbp, [rsp + 4 * 8]
	mov rbx, [rsp + 5 * 8]
	add rsp, 6 * 8
	jmp restore_rest

; A thread made by clone() starts here, on a copy of its parent's frame,
; with interrupts off (it comes from a switch): on, then every register
; from the frame.
syscall_new_thread:
	sti
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
restore_rest:
	add rsp, 8			; r11: the call's to clobber, with rflags below
	pop r10
	pop r9
	pop r8
	pop rdx
	add rsp, 8			; rcx: the same, with rip
	pop rsi
	pop rdi
	pop rax
	mov rcx, [rsp + 8]		; rip (rcx and r11 are the call's to clobber)
	mov r11, [rsp + 16]		; the flags, as sysret would leave them in r11
	mov rsp, [rsp]
	jmp rcx

; Every register from the frame, rcx and r11 too, through an iretq frame
; built under it: the return from a signal handler, to any point.
restore_all:
	cli				; the iretq frame below rsp must stay whole
	sub rsp, 5 * 8
	mov rax, [rsp + 40 + F_RIP]
	mov [rsp], rax
	mov eax, cs			; the kernel's segments: the ones in use
	mov [rsp + 8], rax
	mov rax, [rsp + 40 + F_RFLAGS]
	mov [rsp + 16], rax
	mov rax, [rsp + 40 + F_RSP]
	mov [rsp + 24], rax
	mov eax, ss
	mov [rsp + 32], rax
	lea rax, [rsp + 40]
	mov r15, [rax]
	mov r14, [rax + 8]
	mov r13, [rax + 16]
	mov r12, [rax + 24]
	mov rbp, [rax + 32]
	mov rbx, [rax + 40]
	mov r11, [rax + 48]
	mov r10, [rax + 56]
	mov r9, [rax + 64]
	mov r8, [rax + 72]
	mov rdx, [rax + 80]
	mov rcx, [rax + 88]
	mov rsi, [rax + 96]
	mov rdi, [rax + 104]
	mov rax, [rax + F_RAX]
	iretq

section .note.GNU-stack noalloc noexec nowrite progbits
