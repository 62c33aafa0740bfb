; The first code that runs: 32-bit protected mode, paging off, as Multiboot 1
; and 2 leave it (eax = magic, ebx = physical address of the boot info).
;
; It records the TSC (so the kernel can report time to main), checks that it
; was loaded by a Multiboot loader and that the CPU has long mode, builds
; identity page tables for the first 4 GiB (page 0 left unmapped, so NULL
; dereferences fault from the first C instruction on), enables SSE, PAE, long
; mode and paging, loads a 64-bit GDT and calls kernel_main(magic, info).
;
; Exit codes written to isa-debug-exit here must match kernel/shutdown.h.

MB1_LOADER_MAGIC	equ 0x2BADB002
MB2_LOADER_MAGIC	equ 0x36D76289

EXIT_NO_LONG_MODE	equ 122
EXIT_BAD_BOOT		equ 123
DEBUG_EXIT_PORT		equ 0xF4
COM1			equ 0x3F8
VGA_TEXT		equ 0xB8000
VGA_ATTR		equ 0x4F00	; white on red

CPUID_EXT_MAX		equ 0x80000000
CPUID_EXT_FEATURES	equ 0x80000001
CPUID_EXT_EDX_LM	equ 1 << 29

CR0_MP			equ 1 << 1
CR0_EM			equ 1 << 2
CR0_PG			equ 1 << 31
CR4_PAE			equ 1 << 5
CR4_OSFXSR		equ 1 << 9
CR4_OSXMMEXCPT		equ 1 << 10
MSR_EFER		equ 0xC0000080
EFER_LME		equ 1 << 8

PTE_PRESENT		equ 1 << 0
PTE_WRITE		equ 1 << 1
PTE_HUGE		equ 1 << 7
PAGE_SIZE		equ 4096
HUGE_SIZE		equ 0x200000

BOOT_STACK_SIZE		equ 16384
BOOT_MAP_GIB		equ 4		; identity mapped here: [0, 4 GiB)

extern kernel_main
global ceres_entry
global boot_tsc
global boot_stack_bottom
global boot_stack_top
global boot_pml4
global boot_map_end

section .text.boot
bits 32
ceres_entry:
	mov esi, eax			; keep the loader's magic
	rdtsc				; first instruction that measures anything
	mov [boot_tsc], eax
	mov [boot_tsc + 4], edx
	mov edi, ebx			; keep the boot info address
	mov esp, boot_stack_top

	cmp esi, MB1_LOADER_MAGIC
	je .magic_ok
	cmp esi, MB2_LOADER_MAGIC
	je .magic_ok
	mov ebx, msg_bad_boot
	mov ecx, EXIT_BAD_BOOT
	jmp early_fail
.magic_ok:
	mov eax, CPUID_EXT_MAX
	cpuid
	cmp eax, CPUID_EXT_FEATURES
	jb .no_long_mode
	mov eax, CPUID_EXT_FEATURES
	cpuid
	test edx, CPUID_EXT_EDX_LM
	jnz .long_mode_ok
.no_long_mode:
	mov ebx, msg_no_long_mode
	mov ecx, EXIT_NO_LONG_MODE
	jmp early_fail
.long_mode_ok:
	call build_page_tables

	mov eax, cr4
	or eax, CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT
	mov cr4, eax
	mov eax, boot_pml4
	mov cr3, eax
	mov ecx, MSR_EFER
	rdmsr
	or eax, EFER_LME
	wrmsr
	mov eax, cr0
	and eax, ~CR0_EM		; SSE needs the FPU, not emulation
	or eax, CR0_PG | CR0_MP
	mov cr0, eax
	lgdt [gdt64_pointer]
	jmp GDT64_CODE:long_mode

; PML4[0] -> PDPT; PDPT[0..BOOT_MAP_GIB) -> page directories of 2 MiB pages,
; except the first 2 MiB, which go through a page table of 4 KiB pages
; whose entry 0 stays empty.
build_page_tables:
	mov dword [boot_pml4], boot_pdpt + PTE_PRESENT + PTE_WRITE
	xor ecx, ecx
.pdpt:
	mov eax, ecx
	shl eax, 12
	add eax, boot_pd + PTE_PRESENT + PTE_WRITE
	mov [boot_pdpt + ecx * 8], eax
	inc ecx
	cmp ecx, BOOT_MAP_GIB
	jb .pdpt
	mov ecx, 1			; 2 MiB pages 1..(BOOT_MAP_GIB * 512 - 1)
.pd:
	mov eax, ecx
	shl eax, 21
	or eax, PTE_PRESENT | PTE_WRITE | PTE_HUGE
	mov [boot_pd + ecx * 8], eax
	mov dword [boot_pd + ecx * 8 + 4], 0
	inc ecx
	cmp ecx, BOOT_MAP_GIB * 512
	jb .pd
	mov dword [boot_pd], boot_pt0 + PTE_PRESENT + PTE_WRITE
	mov ecx, 1			; 4 KiB pages 1..511; page 0 unmapped
.pt:
	mov eax, ecx
	shl eax, 12
	or eax, PTE_PRESENT | PTE_WRITE
	mov [boot_pt0 + ecx * 8], eax
	inc ecx
	cmp ecx, 512
	jb .pt
	ret

; Print the message at ebx on COM1 and VGA, exit QEMU with status ecx if
; isa-debug-exit is there, halt otherwise. Needs no stack.
early_fail:
	mov edi, VGA_TEXT
.next:
	mov al, [ebx]
	test al, al
	jz .done
	mov dx, COM1
	out dx, al
	movzx eax, al
	or eax, VGA_ATTR
	mov [edi], ax
	add edi, 2
	inc ebx
	jmp .next
.done:
	mov al, 10
	mov dx, COM1
	out dx, al
	lea eax, [ecx + 1]		; see kernel/shutdown.c: status + 1
	mov dx, DEBUG_EXIT_PORT
	out dx, eax
.halt:
	cli
	hlt
	jmp .halt

bits 64
long_mode:
	mov ax, GDT64_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov rsp, boot_stack_top
	xor ebp, ebp			; ends every backtrace
	mov eax, esi			; kernel_main(magic, info)
	mov esi, edi
	mov edi, eax
	call kernel_main
.halt:
	cli
	hlt
	jmp .halt

section .rodata
msg_bad_boot:
	db "ceres: not started by a Multiboot loader (use QEMU -kernel or GRUB multiboot/multiboot2); halting", 0
msg_no_long_mode:
	db "ceres: this CPU has no 64-bit long mode; Ceres needs an x86_64 CPU; halting", 0

GDT64_CODE	equ 0x08
GDT64_DATA	equ 0x10
align 8
gdt64:
	dq 0
	dq 0x00AF9A000000FFFF		; 64-bit code, ring 0
	dq 0x00CF92000000FFFF		; data, ring 0
gdt64_pointer:
	dw $ - gdt64 - 1
	dq gdt64

section .data
align 8
boot_tsc:
	dq 0
boot_map_end:				; what the tables above map, for C
	dq BOOT_MAP_GIB << 30

section .bss
align PAGE_SIZE
boot_pml4:	resb PAGE_SIZE
boot_pdpt:	resb PAGE_SIZE
boot_pd:	resb BOOT_MAP_GIB * PAGE_SIZE
boot_pt0:	resb PAGE_SIZE
boot_stack_guard:		; unmapped by the kernel (kernel/stack.c)
		resb PAGE_SIZE
boot_stack_bottom:
		resb BOOT_STACK_SIZE
boot_stack_top:

section .note.GNU-stack noalloc noexec nowrite progbits
