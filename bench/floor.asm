; The VMM floor for the boot benchmark (bench/boot.sh): a Multiboot kernel
; whose first instruction ends the VM through isa-debug-exit with status 0,
; so that a run of it is QEMU, the firmware and the loader and nothing else.

MB1_MAGIC	equ 0x1BADB002
MB1_FLAGS	equ 0
DEBUG_EXIT_PORT	equ 0xF4

; The header first in .text: QEMU looks for it in the file's first 8 KiB.
section .text
bits 32
align 4
	dd MB1_MAGIC
	dd MB1_FLAGS
	dd -(MB1_MAGIC + MB1_FLAGS)

global _start
_start:
	mov eax, 1			; status 0: the kernel writes status + 1
	out DEBUG_EXIT_PORT, eax
.halt:
	hlt
	jmp .halt

section .note.GNU-stack noalloc noexec nowrite progbits
