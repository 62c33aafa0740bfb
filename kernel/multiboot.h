/*
 * The Multiboot 1 and 2 information structures, as the loaders lay them
 * out (Multiboot Specification 0.6.96 and 2.0). Wire format only.
 */
#ifndef KERNEL_MULTIBOOT_H
#define KERNEL_MULTIBOOT_H

#include <stdint.h>

#define MB1_LOADER_MAGIC 0x2BADB002
#define MB2_LOADER_MAGIC 0x36D76289

#define MB1_INFO_MEMORY (1u << 0)
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS (1u << 3)
#define MB1_INFO_MMAP (1u << 6)
#define MB1_INFO_LOADER_NAME (1u << 9)

struct mb1_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper; /* KiB */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
} __attribute__((packed));

struct mb1_module {
	uint32_t start, end;
	uint32_t string;
	uint32_t reserved;
} __attribute__((packed));

/* "size" does not count itself: the next entry is at +size+4. */
struct mb1_mmap_entry {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_LOADER_NAME 2
#define MB2_TAG_MODULE 3
#define MB2_TAG_MEMINFO 4
#define MB2_TAG_MMAP 6
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15
#define MB2_TAG_ALIGN 8
#define MB2_RSDP_V1_SIZE 20 /* the smallest RSDP copy an ACPI tag can hold */

struct mb2_info {
	uint32_t total_size;
	uint32_t reserved;
} __attribute__((packed));

struct mb2_tag {
	uint32_t type;
	uint32_t size; /* including this header, not the padding to 8 */
} __attribute__((packed));

struct mb2_tag_string {
	struct mb2_tag tag;
	char string[];
} __attribute__((packed));

struct mb2_tag_module {
	struct mb2_tag tag;
	uint32_t start, end;
	char string[];
} __attribute__((packed));

struct mb2_tag_meminfo {
	struct mb2_tag tag;
	uint32_t mem_lower, mem_upper;
} __attribute__((packed));

struct mb2_tag_mmap {
	struct mb2_tag tag;
	uint32_t entry_size, entry_version;
} __attribute__((packed));

struct mb2_mmap_entry {
	uint64_t addr, len;
	uint32_t type;
	uint32_t reserved;
} __attribute__((packed));

#endif
