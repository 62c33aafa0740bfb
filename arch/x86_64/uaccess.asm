; Copies that may touch memory the application named (kernel/uaccess.c). An
; instruction here that faults (#PF: not mapped or read-only; #GP: not a
; canonical address) resumes at its fixup instead, which returns -EFAULT:
; each pair (instruction, fixup) is in the section ceres_extable, which
; trap.c searches before it reports a crash.

EFAULT		equ 14

global uaccess_copy
global uaccess_clear
global uaccess_strnlen

%macro EXTABLE 2
	section ceres_extable progbits alloc noexec nowrite align=8
	dq %1, %2
	section .text
%endmacro

section .text
bits 64

; long uaccess_copy(void *dst, const void *src, size_t n): 0 or -EFAULT.
uaccess_copy:
	mov rcx, rdx
	shr rcx, 3
.quads:
	rep movsq
	mov rcx, rdx
	and rcx, 7
.bytes:
	rep movsb
	xor eax, eax
	ret
	EXTABLE .quads, fault
	EXTABLE .bytes, fault

; long uaccess_clear(void *dst, size_t n): 0 or -EFAULT.
uaccess_clear:
	mov rdx, rsi
	mov rcx, rsi
	shr rcx, 3
	xor eax, eax
.quads:
	rep stosq
	mov rcx, rdx
	and rcx, 7
.bytes:
	rep stosb
	ret
	EXTABLE .quads, fault
	EXTABLE .bytes, fault

; long uaccess_strnlen(const char *s, size_t max): the length, max if there
; is no NUL in the first max bytes, or -EFAULT.
uaccess_strnlen:
	xor eax, eax
.next:
	cmp rax, rsi
	jae .done
.load:
	cmp byte [rdi + rax], 0
	je .done
	inc rax
	jmp .next
.done:
	ret
	EXTABLE .load, fault

fault:
	mov rax, -EFAULT
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
