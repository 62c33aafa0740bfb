; Multiboot headers. Both must lie near the start of the image: Multiboot 1
; within the first 8 KiB (QEMU -kernel, GRUB "multiboot"), Multiboot 2 within
; the first 32 KiB (GRUB "multiboot2"). The loaders read the ELF program
; headers for where to put the image, so neither header gives addresses.

MB1_MAGIC		equ 0x1BADB002
MB1_F_PAGE_ALIGN	equ 1 << 0	; modules on page boundaries
MB1_F_MEMINFO		equ 1 << 1	; we want the memory map
MB1_FLAGS		equ MB1_F_PAGE_ALIGN | MB1_F_MEMINFO

MB2_MAGIC		equ 0xE85250D6
MB2_ARCH_I386		equ 0		; 32-bit protected mode entry
MB2_TAG_END		equ 0

section .multiboot
align 4
mb1_header:
	dd MB1_MAGIC
	dd MB1_FLAGS
	dd -(MB1_MAGIC + MB1_FLAGS)

align 8
mb2_header:
	dd MB2_MAGIC
	dd MB2_ARCH_I386
	dd mb2_header_end - mb2_header
	dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	; end tag
	dw MB2_TAG_END
	dw 0
	dd 8
mb2_header_end:

section .note.GNU-stack noalloc noexec nowrite progbits
