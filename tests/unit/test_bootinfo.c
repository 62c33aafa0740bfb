/*
 * The Multiboot 1 and 2 parsers. Each case lays out a loader's structures in
 * mem[], where the byte at "physical address" a is mem[a], and the parser may
 * read [WIN_LOW, WIN_LIMIT): WIN_LIMIT is mem's end, so a read past the window
 * is also a read past mem that the sanitizer reports.
 */
#define CHECK_SUITE "bootinfo"
#include "tests/unit/check.h"

#include <errno.h>
#include <stddef.h>

#include "kernel/bootinfo.h"
#include "kernel/multiboot.h"
#include "tests/unit/fake_kernel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define WIN_LOW 0x1000
#define WIN_LIMIT 0x8000
#define INFO WIN_LOW /* where the loader's info structure starts */
#define FILL 0xa5    /* what mem holds where nothing was put: no NULs */

static uint8_t mem[WIN_LIMIT];
static const struct bootinfo_window win = { .base = mem, .low = WIN_LOW, .limit = WIN_LIMIT };
static struct bootinfo bi;

/* Copies n bytes to address addr; returns addr. */
static uint32_t put(uint32_t addr, const void *p, size_t n)
{
	memcpy(mem + addr, p, n);
	return addr;
}

static uint32_t put_string(uint32_t addr, const char *s)
{
	return put(addr, s, strlen(s) + 1);
}

/* Fills mem and returns a Multiboot 1 info structure at INFO with these flags. */
static struct mb1_info *mb1_begin(uint32_t flags)
{
	struct mb1_info *mi = (struct mb1_info *)(mem + INFO);

	memset(mem, FILL, sizeof(mem));
	memset(mi, 0, sizeof(*mi));
	mi->flags = flags;
	return mi;
}

static int mb1_parse(void)
{
	fake_log_clear();
	return bootinfo_parse(&bi, MB1_LOADER_MAGIC, INFO, &win);
}

/* The next Multiboot 2 tag goes here. */
static uint64_t mb2_next;

/* Fills mem and starts a Multiboot 2 tag list at INFO. */
static void mb2_begin(void)
{
	memset(mem, FILL, sizeof(mem));
	mb2_next = INFO + sizeof(struct mb2_info);
}

/*
 * Appends a tag; returns its address. The padding to the next 8-byte boundary
 * is zeroed, so a parser that missed it would read an end tag there.
 */
static uint64_t mb2_add(uint32_t type, const void *payload, size_t len)
{
	struct mb2_tag tag = { .type = type, .size = (uint32_t)(sizeof(tag) + len) };
	uint64_t addr = mb2_next;

	put((uint32_t)addr, &tag, sizeof(tag));
	put((uint32_t)(addr + sizeof(tag)), payload, len);
	mb2_next = (addr + tag.size + MB2_TAG_ALIGN - 1) & ~(uint64_t)(MB2_TAG_ALIGN - 1);
	memset(mem + addr + tag.size, 0, mb2_next - (addr + tag.size));
	return addr;
}

static uint64_t mb2_add_string(uint32_t type, const char *s)
{
	return mb2_add(type, s, strlen(s) + 1);
}

static uint64_t mb2_add_module(uint32_t start, uint32_t end, const char *s)
{
	uint8_t p[8 + BOOTINFO_NAME_MAX];

	memcpy(p, &start, 4);
	memcpy(p + 4, &end, 4);
	memcpy(p + 8, s, strlen(s) + 1);
	return mb2_add(MB2_TAG_MODULE, p, 8 + strlen(s) + 1);
}

/* A mmap tag of n entries of entry_size bytes, each starting with e[i]. */
static uint64_t mb2_add_mmap(uint32_t entry_size, const struct mb2_mmap_entry *e, size_t n)
{
	uint8_t p[512];
	struct {
		uint32_t entry_size, entry_version;
	} head = { entry_size, 0 };

	memset(p, FILL, sizeof(p));
	memcpy(p, &head, sizeof(head));
	for (size_t i = 0; i < n; i++)
		memcpy(p + sizeof(head) + i * entry_size, &e[i], sizeof(e[i]));
	return mb2_add(MB2_TAG_MMAP, p, sizeof(head) + n * entry_size);
}

/* Sets total_size, from INFO to the end of the tags added. */
static void mb2_finish(void)
{
	struct mb2_info mi = { .total_size = (uint32_t)(mb2_next - INFO) };

	put(INFO, &mi, sizeof(mi));
}

/* Adds the end tag and sets total_size. */
static void mb2_end(void)
{
	mb2_add(MB2_TAG_END, "", 0);
	mb2_finish();
}

static int mb2_parse(void)
{
	fake_log_clear();
	return bootinfo_parse(&bi, MB2_LOADER_MAGIC, INFO, &win);
}

static void check_mem(int line, size_t i, uint64_t base, uint64_t len, uint32_t type)
{
	if (i >= bi.nmem) {
		check_fail(__FILE__, line, "no memory map entry %zu (%zu entries)", i, bi.nmem);
		return;
	}
	if (bi.mem[i].base != base || bi.mem[i].len != len || bi.mem[i].type != type)
		check_fail(__FILE__, line,
			   "memory map entry %zu is %#jx+%#jx type %u, want %#jx+%#jx type %u", i,
			   (uintmax_t)bi.mem[i].base, (uintmax_t)bi.mem[i].len, bi.mem[i].type,
			   (uintmax_t)base, (uintmax_t)len, type);
}

#define CHECK_MEM(i, base, len, type) check_mem(__LINE__, i, base, len, type)

/* The structures below are built with multiboot.h, so first check it against the specifications. */
TEST(wire_format_offsets)
{
	CHECK_EQ(offsetof(struct mb1_info, cmdline), 16);
	CHECK_EQ(offsetof(struct mb1_info, mods_count), 20);
	CHECK_EQ(offsetof(struct mb1_info, mods_addr), 24);
	CHECK_EQ(offsetof(struct mb1_info, mmap_length), 44);
	CHECK_EQ(offsetof(struct mb1_info, mmap_addr), 48);
	CHECK_EQ(offsetof(struct mb1_info, boot_loader_name), 64);
	CHECK_EQ(sizeof(struct mb1_module), 16);
	CHECK_EQ(offsetof(struct mb1_mmap_entry, addr), 4);
	CHECK_EQ(offsetof(struct mb1_mmap_entry, type), 20);
	CHECK_EQ(sizeof(struct mb1_mmap_entry), 24);
	CHECK_EQ(sizeof(struct mb2_info), 8);
	CHECK_EQ(sizeof(struct mb2_tag), 8);
	CHECK_EQ(offsetof(struct mb2_tag_module, string), 16);
	CHECK_EQ(sizeof(struct mb2_tag_meminfo), 16);
	CHECK_EQ(sizeof(struct mb2_tag_mmap), 16);
	CHECK_EQ(offsetof(struct mb2_mmap_entry, type), 16);
	CHECK_EQ(sizeof(struct mb2_mmap_entry), 24);
}

TEST(mb1_all_fields)
{
	static const struct mb1_mmap_entry map[] = {
		{ 20, 0x0, 0x9fc00, BOOTINFO_MEM_AVAILABLE },
		{ 20, 0x9fc00, 0x400, BOOTINFO_MEM_RESERVED },
		{ 20, 0x100000, 0x7ee0000, BOOTINFO_MEM_AVAILABLE },
		{ 20, 0x7fe0000, 0x20000, BOOTINFO_MEM_ACPI_RECLAIMABLE },
		{ 20, 0xfffc0000, 0x40000, 42 },
	};
	struct mb1_info *mi = mb1_begin(MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MODS |
					MB1_INFO_MMAP | MB1_INFO_LOADER_NAME);
	struct mb1_module mods[] = {
		{ 0x200000, 0x201000, put_string(0x1500, "initrd arg=1"), 0 },
		{ 0x300000, 0x300800, 0, 0 },
	};

	mi->mem_lower = 639;
	mi->mem_upper = 130048;
	mi->cmdline = put_string(0x1100, "/boot/ceres a=1 -- x");
	mi->boot_loader_name = put_string(0x1200, "qemu");
	mi->mmap_addr = put(0x1300, map, sizeof(map));
	mi->mmap_length = sizeof(map);
	mi->mods_addr = put(0x1400, mods, sizeof(mods));
	mi->mods_count = ARRAY_SIZE(mods);

	CHECK_EQ(mb1_parse(), 0);
	CHECK_EQ(bi.multiboot, 1);
	CHECK_EQ(bi.errors, 0);
	CHECK_STREQ(fake_log(), "");
	CHECK_STREQ(bi.cmdline, "/boot/ceres a=1 -- x");
	CHECK_STREQ(bi.loader, "qemu");
	CHECK_EQ(bi.mem_lower_kib, 639);
	CHECK_EQ(bi.mem_upper_kib, 130048);
	CHECK_EQ(bi.nmem, 5);
	CHECK_MEM(0, 0x0, 0x9fc00, BOOTINFO_MEM_AVAILABLE);
	CHECK_MEM(1, 0x9fc00, 0x400, BOOTINFO_MEM_RESERVED);
	CHECK_MEM(2, 0x100000, 0x7ee0000, BOOTINFO_MEM_AVAILABLE);
	CHECK_MEM(3, 0x7fe0000, 0x20000, BOOTINFO_MEM_ACPI_RECLAIMABLE);
	CHECK_MEM(4, 0xfffc0000, 0x40000, 42);
	CHECK_EQ(bi.nmods, 2);
	CHECK_EQ(bi.mods[0].start, 0x200000);
	CHECK_EQ(bi.mods[0].end, 0x201000);
	CHECK_STREQ(bi.mods[0].cmdline, "initrd arg=1");
	CHECK_EQ(bi.mods[1].start, 0x300000);
	CHECK_EQ(bi.mods[1].end, 0x300800);
	CHECK_STREQ(bi.mods[1].cmdline, "");
	CHECK_EQ(bi.acpi_rsdp, 0);
	CHECK_EQ(bi.info_start, INFO);
	CHECK_EQ(bi.info_end, INFO + sizeof(struct mb1_info));
}

TEST(mb1_fields_need_their_flags)
{
	/* Every field points outside the window: reading any would be an error. */
	struct mb1_info *mi = mb1_begin(0);

	mi->mem_lower = 639;
	mi->mem_upper = 130048;
	mi->cmdline = mi->boot_loader_name = mi->mmap_addr = mi->mods_addr = 0xfffffff0;
	mi->mmap_length = 24;
	mi->mods_count = 1;
	CHECK_EQ(mb1_parse(), 0);
	CHECK_EQ(bi.errors, 0);
	CHECK_STREQ(bi.cmdline, "");
	CHECK_STREQ(bi.loader, "");
	CHECK_EQ(bi.mem_lower_kib, 0);
	CHECK_EQ(bi.mem_upper_kib, 0);
	CHECK_EQ(bi.nmem, 0);
	CHECK_EQ(bi.nmods, 0);

	/* One flag, one field. */
	mi->flags = MB1_INFO_CMDLINE;
	mi->cmdline = put_string(0x1100, "a=1");
	CHECK_EQ(mb1_parse(), 0);
	CHECK_EQ(bi.errors, 0);
	CHECK_STREQ(bi.cmdline, "a=1");
	CHECK_EQ(bi.mem_upper_kib, 0);
}

TEST(mb1_mmap_entry_size_sets_the_stride)
{
	/* Entries may be longer than the fields we know; "size" says how long. */
	uint8_t map[2 * 32];
	struct mb1_mmap_entry e0 = { 28, 0x1000, 0x2000, BOOTINFO_MEM_AVAILABLE };
	struct mb1_mmap_entry e1 = { 28, 0x5000, 0x1000, BOOTINFO_MEM_ACPI_NVS };
	struct mb1_info *mi = mb1_begin(MB1_INFO_MMAP);

	memset(map, FILL, sizeof(map));
	memcpy(map, &e0, sizeof(e0));
	memcpy(map + 32, &e1, sizeof(e1));
	mi->mmap_addr = put(0x1300, map, sizeof(map));
	mi->mmap_length = sizeof(map);
	CHECK_EQ(mb1_parse(), 0);
	CHECK_EQ(bi.errors, 0);
	CHECK_EQ(bi.nmem, 2);
	CHECK_MEM(0, 0x1000, 0x2000, BOOTINFO_MEM_AVAILABLE);
	CHECK_MEM(1, 0x5000, 0x1000, BOOTINFO_MEM_ACPI_NVS);
}

TEST(mb1_mmap_entry_past_length)
{
	struct mb1_mmap_entry map[] = {
		{ 20, 0x0, 0x9fc00, BOOTINFO_MEM_AVAILABLE },
		{ 20, 0x100000, 0x100000, BOOTINFO_MEM_AVAILABLE },
		{ 40, 0x200000, 0x100000, BOOTINFO_MEM_AVAILABLE },
	};
	struct mb1_info *mi = mb1_begin(MB1_INFO_MMAP);

	/* The last entry's size runs past mmap_length. */
	mi->mmap_addr = put(0x1300, map, sizeof(map));
	mi->mmap_length = sizeof(map);
	CHECK_EQ(mb1_parse(), 0);
	CHECK_EQ(bi.errors, 1);
	CHECK_STRSTR(fake_log(), "W: bootinfo: Multiboot 1 memory map entry");
	CHECK_EQ(bi.nmem, 2);
	CHECK_MEM(0, 0x0, 0x9fc00, BOOTINFO_MEM_AVAILABLE);
	CHECK_MEM(1, 0x100000, 0x100000, BOOTINFO_MEM_AVAILABLE);

	/* mmap_length ends inside the last entry. */
	map[2].size = 20;
	put(0x1300, map, sizeof(map));
	mi->mmap_length = sizeof(map) - 10;
	CHECK_EQ(mb1_parse(), 0);
	CHECK_EQ(bi.errors, 1);
	CHECK_EQ(bi.nmem, 2);

	/* A size too small to hold an entry. */
	map[1].size = 4;
	put(0x1300, map, sizeof(map));
	mi->mmap_length = sizeof(map);
	CHECK_EQ(mb1_parse(), 0);
	CHECK_EQ(bi.errors, 1);
	CHECK_EQ(bi.nmem, 1);
}

TEST(mb1_pointers_outside_the_window)
{
	static const uint32_t outside[] = { 0, WIN_LOW - 1, WIN_LIMIT, 0xffffffff };
	struct mb1_info *mi =
		mb1_begin(MB1_INFO_CMDLINE | MB1_INFO_LOADER_NAME | MB1_INFO_MMAP | MB1_INFO_MODS);

	for (size_t i = 0; i < ARRAY_SIZE(outside); i++) {
		CHECK_CONTEXT("at %#x", outside[i]);
		mi->cmdline = mi->boot_loader_name = mi->mmap_addr = mi->mods_addr = outside[i];
		mi->mmap_length = 24;
		mi->mods_count = 1;
		CHECK_EQ(mb1_parse(), 0);
		CHECK_EQ(bi.errors, 4);
		CHECK_EQ(fake_log_count(), 4);
		CHECK_STRSTR(fake_log(), "command line");
		CHECK_STRSTR(fake_log(), "loader name");
		CHECK_STRSTR(fake_log(), "module list");
		CHECK_STRSTR(fake_log(), "memory map entry");
		CHECK_STREQ(bi.cmdline, "");
		CHECK_STREQ(bi.loader, "");
		CHECK_EQ(bi.nmem, 0);
		CHECK_EQ(bi.nmods, 0);
	}
}

TEST(mb1_info_outside_the_window)
{
	mb1_begin(0);
	CHECK_EQ(bootinfo_parse(&bi, MB1_LOADER_MAGIC, WIN_LOW - 4, &win), -EINVAL);
	CHECK_EQ(bootinfo_parse(&bi, MB1_LOADER_MAGIC, WIN_LIMIT - 8, &win), -EINVAL);
	CHECK_EQ(bootinfo_parse(&bi, MB1_LOADER_MAGIC, UINT64_MAX - 4, &win), -EINVAL);
}

TEST(mb1_string_at_the_window_end)
{
	struct mb1_info *mi = mb1_begin(MB1_INFO_CMDLINE);

	/* Unterminated: its last byte is the window's last. */
	mi->cmdline = put(WIN_LIMIT - 5, "abcde", 5);
	CHECK_EQ(mb1_parse(), 0);
	CHECK_EQ(bi.errors, 1);
	CHECK_STRSTR(fake_log(), "command line");
	CHECK_STREQ(bi.cmdline, "");

	/* Terminated by the window's last byte. */
	mi->cmdline = put_string(WIN_LIMIT - 5, "abcd");
	mi->flags |= MB1_INFO_LOADER_NAME;
	mi->boot_loader_name = put_string(WIN_LIMIT - 1, "");
	CHECK_EQ(mb1_parse(), 0);
	CHECK_EQ(bi.errors, 0);
	CHECK_STREQ(bi.cmdline, "abcd");
	CHECK_STREQ(bi.loader, "");
}

TEST(mb1_long_cmdline_is_cut)
{
	static char line[BOOTINFO_CMDLINE_MAX + 1000];
	struct mb1_info *mi = mb1_begin(MB1_INFO_CMDLINE);

	memset(line, 'x', sizeof(line) - 1);
	mi->cmdline = put_string(0x2000, line);
	CHECK_EQ(mb1_parse(), 0);
	CHECK_EQ(bi.errors, 1);
	CHECK_STRSTR(fake_log(), "cut");
	CHECK_EQ(strlen(bi.cmdline), BOOTINFO_CMDLINE_MAX - 1);
	CHECK(!strncmp(bi.cmdline, line, BOOTINFO_CMDLINE_MAX - 1));

	/* The longest that fits. */
	line[BOOTINFO_CMDLINE_MAX - 1] = '\0';
	put_string(0x2000, line);
	CHECK_EQ(mb1_parse(), 0);
	CHECK_EQ(bi.errors, 0);
	CHECK_STREQ(bi.cmdline, line);
}

TEST(mb1_bad_modules)
{
	struct mb1_module mods[BOOTINFO_MODS_MAX + 1];
	struct mb1_info *mi = mb1_begin(MB1_INFO_MODS);

	/* end before start */
	mods[0] = (struct mb1_module){ 0x300000, 0x200000, 0, 0 };
	mods[1] = (struct mb1_module){ 0x400000, 0x400100, put_string(0x1100, "m1"), 0 };
	mi->mods_addr = put(0x1400, mods, 2 * sizeof(mods[0]));
	mi->mods_count = 2;
	CHECK_EQ(mb1_parse(), 0);
	CHECK_EQ(bi.errors, 1);
	CHECK_EQ(bi.nmods, 1);
	CHECK_STREQ(bi.mods[0].cmdline, "m1");

	/* One more than there is room for. */
	for (size_t i = 0; i < ARRAY_SIZE(mods); i++)
		mods[i] = (struct mb1_module){ (uint32_t)i << 20, ((uint32_t)i << 20) + 1, 0, 0 };
	put(0x1400, mods, sizeof(mods));
	mi->mods_count = ARRAY_SIZE(mods);
	CHECK_EQ(mb1_parse(), 0);
	CHECK_EQ(bi.errors, 1);
	CHECK_EQ(bi.nmods, BOOTINFO_MODS_MAX);
	CHECK_EQ(bi.mods[BOOTINFO_MODS_MAX - 1].start, (uint64_t)(BOOTINFO_MODS_MAX - 1) << 20);

	/* A list that runs past the window. */
	mi->mods_addr = WIN_LIMIT - sizeof(mods[0]);
	mi->mods_count = 2;
	CHECK_EQ(mb1_parse(), 0);
	CHECK_EQ(bi.errors, 1);
	CHECK_STRSTR(fake_log(), "module list");
	CHECK_EQ(bi.nmods, 0);
}

TEST(mb2_all_tags)
{
	static const struct mb2_mmap_entry map[] = {
		{ 0x0, 0x9fc00, BOOTINFO_MEM_AVAILABLE, 0 },
		{ 0x100000, 0x7ee0000, BOOTINFO_MEM_AVAILABLE, 0 },
		{ 0xfeffc000, 0x4000, BOOTINFO_MEM_RESERVED, 0 },
	};
	static const char rsdp[36] = "RSD PTR ";
	uint32_t meminfo[2] = { 639, 523136 };
	uint64_t acpi;

	mb2_begin();
	mb2_add_string(MB2_TAG_CMDLINE, "a=1 -- x");
	mb2_add_string(MB2_TAG_LOADER_NAME, "GRUB 2.06");
	mb2_add_module(0x200000, 0x210000, "initrd.img");
	mb2_add(MB2_TAG_MEMINFO, meminfo, sizeof(meminfo));
	mb2_add(21, "\x01\x02\x03\x04", 4); /* a tag we do not use */
	mb2_add_mmap(sizeof(map[0]), map, ARRAY_SIZE(map));
	acpi = mb2_add(MB2_TAG_ACPI_NEW, rsdp, sizeof(rsdp));
	mb2_end();

	CHECK_EQ(mb2_parse(), 0);
	CHECK_EQ(bi.multiboot, 2);
	CHECK_EQ(bi.errors, 0);
	CHECK_STREQ(fake_log(), "");
	CHECK_STREQ(bi.cmdline, "a=1 -- x");
	CHECK_STREQ(bi.loader, "GRUB 2.06");
	CHECK_EQ(bi.nmods, 1);
	CHECK_EQ(bi.mods[0].start, 0x200000);
	CHECK_EQ(bi.mods[0].end, 0x210000);
	CHECK_STREQ(bi.mods[0].cmdline, "initrd.img");
	CHECK_EQ(bi.mem_lower_kib, 639);
	CHECK_EQ(bi.mem_upper_kib, 523136);
	CHECK_EQ(bi.nmem, 3);
	CHECK_MEM(0, 0x0, 0x9fc00, BOOTINFO_MEM_AVAILABLE);
	CHECK_MEM(1, 0x100000, 0x7ee0000, BOOTINFO_MEM_AVAILABLE);
	CHECK_MEM(2, 0xfeffc000, 0x4000, BOOTINFO_MEM_RESERVED);
	/* The address of the RSDP copy inside the tag. */
	CHECK_EQ(bi.acpi_rsdp, acpi + sizeof(struct mb2_tag));
	CHECK(!memcmp(mem + bi.acpi_rsdp, "RSD PTR ", 8));
	CHECK_EQ(bi.info_start, INFO);
	CHECK_EQ(bi.info_end, mb2_next);
}

TEST(mb2_tags_are_8_byte_aligned)
{
	/* An 11-byte tag: the next starts 5 zero bytes later, not at +11. */
	mb2_begin();
	mb2_add_string(MB2_TAG_CMDLINE, "ab");
	mb2_add_string(MB2_TAG_LOADER_NAME, "L");
	mb2_end();
	CHECK_EQ(mb2_parse(), 0);
	CHECK_EQ(bi.errors, 0);
	CHECK_STREQ(bi.cmdline, "ab");
	CHECK_STREQ(bi.loader, "L");
}

TEST(mb2_mmap_entry_size)
{
	static const struct mb2_mmap_entry map[] = {
		{ 0x1000, 0x2000, BOOTINFO_MEM_AVAILABLE, 0 },
		{ 0x5000, 0x1000, BOOTINFO_MEM_BAD, 0 },
	};

	/* Longer entries than we know: entry_size is the stride. */
	mb2_begin();
	mb2_add_mmap(32, map, ARRAY_SIZE(map));
	mb2_end();
	CHECK_EQ(mb2_parse(), 0);
	CHECK_EQ(bi.errors, 0);
	CHECK_EQ(bi.nmem, 2);
	CHECK_MEM(0, 0x1000, 0x2000, BOOTINFO_MEM_AVAILABLE);
	CHECK_MEM(1, 0x5000, 0x1000, BOOTINFO_MEM_BAD);

	/* Shorter ones than the format has. */
	mb2_begin();
	mb2_add_mmap(16, map, ARRAY_SIZE(map));
	mb2_end();
	CHECK_EQ(mb2_parse(), 0);
	CHECK_EQ(bi.errors, 1);
	CHECK_STRSTR(fake_log(), "memory map tag");
	CHECK_EQ(bi.nmem, 0);
}

TEST(mb2_acpi_new_rsdp_wins)
{
	static const char rsdp[20] = "RSD PTR ";
	uint64_t old, new;

	mb2_begin();
	old = mb2_add(MB2_TAG_ACPI_OLD, rsdp, sizeof(rsdp));
	mb2_end();
	CHECK_EQ(mb2_parse(), 0);
	CHECK_EQ(bi.acpi_rsdp, old + sizeof(struct mb2_tag));

	mb2_begin();
	old = mb2_add(MB2_TAG_ACPI_OLD, rsdp, sizeof(rsdp));
	new = mb2_add(MB2_TAG_ACPI_NEW, rsdp, sizeof(rsdp));
	mb2_end();
	CHECK_EQ(mb2_parse(), 0);
	CHECK_EQ(bi.acpi_rsdp, new + sizeof(struct mb2_tag));

	mb2_begin();
	new = mb2_add(MB2_TAG_ACPI_NEW, rsdp, sizeof(rsdp));
	old = mb2_add(MB2_TAG_ACPI_OLD, rsdp, sizeof(rsdp));
	mb2_end();
	CHECK_EQ(mb2_parse(), 0);
	CHECK_EQ(bi.acpi_rsdp, new + sizeof(struct mb2_tag));
}

TEST(mb2_tag_past_total_size)
{
	uint64_t bad;
	struct mb2_tag *t;

	mb2_begin();
	mb2_add_string(MB2_TAG_CMDLINE, "a=1");
	bad = mb2_add_string(MB2_TAG_LOADER_NAME, "GRUB");
	mb2_add_module(0x200000, 0x210000, "m");
	mb2_end();
	/* The loader name tag claims more than is left. */
	t = (struct mb2_tag *)(mem + bad);
	t->size = (uint32_t)(mb2_next - bad + 1);
	CHECK_EQ(mb2_parse(), 0);
	CHECK_EQ(bi.errors, 1);
	CHECK_STRSTR(fake_log(), "W: bootinfo: Multiboot 2 tag at");
	CHECK_STREQ(bi.cmdline, "a=1");
	CHECK_STREQ(bi.loader, "");
	/* Parsing stopped there. */
	CHECK_EQ(bi.nmods, 0);

	/* Too short to be a tag: stopping also keeps this from looping. */
	t->size = 4;
	CHECK_EQ(mb2_parse(), 0);
	CHECK_EQ(bi.errors, 1);
	CHECK_STREQ(bi.cmdline, "a=1");
	CHECK_EQ(bi.nmods, 0);
}

TEST(mb2_missing_end_tag)
{
	mb2_begin();
	mb2_add_string(MB2_TAG_CMDLINE, "a=1");
	mb2_add_string(MB2_TAG_LOADER_NAME, "GRUB");
	mb2_finish();
	CHECK_EQ(mb2_parse(), 0);
	CHECK_EQ(bi.errors, 1);
	CHECK_STRSTR(fake_log(), "no end tag");
	CHECK_STREQ(bi.cmdline, "a=1");
	CHECK_STREQ(bi.loader, "GRUB");
}

TEST(mb2_string_must_end_inside_its_tag)
{
	uint64_t mod;

	/* The padding after it is zero, but outside the tag. */
	mb2_begin();
	mb2_add(MB2_TAG_CMDLINE, "abc", 3);
	mod = mb2_add_module(0x200000, 0x210000, "");
	mb2_end();
	/* Cut the module tag's string off as well. */
	((struct mb2_tag *)(mem + mod))->size = sizeof(struct mb2_tag_module);
	CHECK_EQ(mb2_parse(), 0);
	CHECK_EQ(bi.errors, 2);
	CHECK_STREQ(bi.cmdline, "");
	CHECK_EQ(bi.nmods, 1);
	CHECK_STREQ(bi.mods[0].cmdline, "");
}

TEST(mb2_short_fixed_size_tags)
{
	/* Read past its end, the module tag would seem to hold module 0-0. */
	uint32_t lower = 639, start = 0, entry_size = 24;

	mb2_begin();
	mb2_add(MB2_TAG_MEMINFO, &lower, sizeof(lower));
	mb2_add(MB2_TAG_MODULE, &start, sizeof(start));
	mb2_add(MB2_TAG_MMAP, &entry_size, sizeof(entry_size));
	mb2_add_string(MB2_TAG_CMDLINE, "after");
	mb2_end();
	CHECK_EQ(mb2_parse(), 0);
	CHECK_EQ(bi.errors, 3);
	CHECK_EQ(bi.mem_lower_kib, 0);
	CHECK_EQ(bi.nmods, 0);
	CHECK_EQ(bi.nmem, 0);
	CHECK_STREQ(bi.cmdline, "after");
}

TEST(mb2_bad_total_size)
{
	struct mb2_info mi = { .total_size = 4 };

	mb2_begin();
	mb2_end();
	CHECK_EQ(mb2_parse(), 0);

	put(INFO, &mi, sizeof(mi));
	CHECK_EQ(mb2_parse(), -EINVAL);
	mi.total_size = 0;
	put(INFO, &mi, sizeof(mi));
	CHECK_EQ(mb2_parse(), -EINVAL);
	/* Beyond the window. */
	mi.total_size = WIN_LIMIT - INFO + 1;
	put(INFO, &mi, sizeof(mi));
	CHECK_EQ(mb2_parse(), -EINVAL);
	mi.total_size = UINT32_MAX;
	put(INFO, &mi, sizeof(mi));
	CHECK_EQ(mb2_parse(), -EINVAL);
	CHECK_EQ(bootinfo_parse(&bi, MB2_LOADER_MAGIC, WIN_LIMIT - 4, &win), -EINVAL);
}

TEST(unknown_magic)
{
	mb2_begin();
	mb2_end();
	CHECK_EQ(bootinfo_parse(&bi, 0, INFO, &win), -EINVAL);
	CHECK_EQ(bootinfo_parse(&bi, 0x1badb002, INFO, &win), -EINVAL);
	CHECK_EQ(bootinfo_parse(&bi, 0xe85250d6, INFO, &win), -EINVAL);
	CHECK_EQ(bi.errors, 0);
}

/* s without its leading blanks. */
static const char *skip_blanks(const char *s)
{
	return s + strspn(s, " \t");
}

TEST(args_drop_qemu_kernel_path)
{
	/* QEMU's -kernel loader: MB1, "qemu", the kernel's path first. */
	struct mb1_info *mi = mb1_begin(MB1_INFO_CMDLINE | MB1_INFO_LOADER_NAME);

	mi->cmdline = put_string(0x1100, "/build/hello/ceres a=1 -- x y");
	mi->boot_loader_name = put_string(0x1200, "qemu");
	CHECK_EQ(mb1_parse(), 0);
	CHECK_STREQ(skip_blanks(bootinfo_args(&bi)), "a=1 -- x y");

	put_string(0x1100, "  /k \t a=1");
	CHECK_EQ(mb1_parse(), 0);
	CHECK_STREQ(skip_blanks(bootinfo_args(&bi)), "a=1");

	/* Only the path. */
	put_string(0x1100, "/k");
	CHECK_EQ(mb1_parse(), 0);
	CHECK_STREQ(bootinfo_args(&bi), "");
}

TEST(args_keep_grub_cmdline)
{
	struct mb1_info *mi = mb1_begin(MB1_INFO_CMDLINE | MB1_INFO_LOADER_NAME);

	mi->cmdline = put_string(0x1100, "a=1 -- x");
	mi->boot_loader_name = put_string(0x1200, "GRUB 2.06");
	CHECK_EQ(mb1_parse(), 0);
	CHECK_STREQ(bootinfo_args(&bi), "a=1 -- x");

	mb2_begin();
	mb2_add_string(MB2_TAG_CMDLINE, "a=1 -- x");
	mb2_add_string(MB2_TAG_LOADER_NAME, "GRUB 2.06");
	mb2_end();
	CHECK_EQ(mb2_parse(), 0);
	CHECK_STREQ(bootinfo_args(&bi), "a=1 -- x");

	/* No loader name: nothing is dropped either. */
	mi = mb1_begin(MB1_INFO_CMDLINE);
	mi->cmdline = put_string(0x1100, "a=1 -- x");
	CHECK_EQ(mb1_parse(), 0);
	CHECK_STREQ(bootinfo_args(&bi), "a=1 -- x");
}
