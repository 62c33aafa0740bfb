/*
 * What the boot loader told us, in one shape whichever loader it was
 * (Multiboot 1 from QEMU -kernel or GRUB, Multiboot 2 from GRUB). Strings are
 * copied out, so the loader's memory can be reused once this is parsed.
 */
#ifndef KERNEL_BOOTINFO_H
#define KERNEL_BOOTINFO_H

#include <stddef.h>
#include <stdint.h>

#define BOOTINFO_CMDLINE_MAX 4096
#define BOOTINFO_NAME_MAX 64
#define BOOTINFO_MMAP_MAX 128
#define BOOTINFO_MODS_MAX 16

enum bootinfo_mem_type {
	BOOTINFO_MEM_AVAILABLE = 1,
	BOOTINFO_MEM_RESERVED = 2,
	BOOTINFO_MEM_ACPI_RECLAIMABLE = 3,
	BOOTINFO_MEM_ACPI_NVS = 4,
	BOOTINFO_MEM_BAD = 5,
};

struct bootinfo_mem {
	uint64_t base, len;
	uint32_t type; /* enum bootinfo_mem_type; other values count as reserved */
};

struct bootinfo_module {
	uint64_t start, end;
	char cmdline[BOOTINFO_NAME_MAX];
};

struct bootinfo {
	int multiboot;			    /* 1 or 2 */
	char loader[BOOTINFO_NAME_MAX];	    /* "" when the loader gave none */
	char cmdline[BOOTINFO_CMDLINE_MAX]; /* as given, loader's path included */
	uint64_t mem_lower_kib, mem_upper_kib;
	size_t nmem;
	struct bootinfo_mem mem[BOOTINFO_MMAP_MAX];
	size_t nmods;
	struct bootinfo_module mods[BOOTINFO_MODS_MAX];
	uint64_t acpi_rsdp;	       /* address of the loader's RSDP copy, 0 if none */
	uint64_t info_start, info_end; /* where the loader's structure lay */
	int errors;		       /* malformed, truncated or dropped parts */
	int mem_dropped, mods_dropped; /* entries past the arrays' ends (warned once) */
};

/*
 * The physical memory the parser may read: the byte at physical address a is
 * base[a], for a in [low, limit). The kernel passes its identity map; tests
 * pass a buffer. Every read is checked against it.
 */
struct bootinfo_window {
	const uint8_t *base;
	uint64_t low, limit;
};

/* Returns 0, or -EINVAL if magic is neither Multiboot's or info is unreadable. */
int bootinfo_parse(struct bootinfo *bi, uint32_t magic, uint64_t info,
		   const struct bootinfo_window *w);

/*
 * The part of the command line meant for the kernel and the application.
 * QEMU's Multiboot loader puts the kernel's path first; GRUB does not.
 */
char *bootinfo_args(struct bootinfo *bi);

#endif
