#include "kernel/bootinfo.h"

#include <errno.h>
#include <string.h>

#include "kernel/multiboot.h"
#include "kernel/printk.h"

/* A pointer to len readable bytes at physical address addr, or NULL. */
static const void *at(const struct bootinfo_window *w, uint64_t addr, uint64_t len)
{
	if (addr < w->low || addr > w->limit || len > w->limit - addr)
		return NULL;
	return w->base + addr;
}

static void fail(struct bootinfo *bi, const char *what, uint64_t addr)
{
	pr_warn("bootinfo: Multiboot %d %s at %#lx is malformed; ignored", bi->multiboot, what,
		(unsigned long)addr);
	bi->errors++;
}

/* Copies the string at addr (at most max bytes away, or the window's end). */
static void copy_string(struct bootinfo *bi, const struct bootinfo_window *w, uint64_t addr,
			uint64_t max, char *dst, size_t size, const char *what)
{
	const char *s = at(w, addr, 1);
	uint64_t room = s ? w->limit - addr : 0;
	size_t n;

	dst[0] = '\0';
	if (!s) {
		fail(bi, what, addr);
		return;
	}
	if (max < room)
		room = max;
	n = strnlen(s, room < size ? room : size);
	if (n == room) {
		fail(bi, what, addr);
		return;
	}
	if (n == size) {
		pr_warn("bootinfo: %s longer than %zu bytes; cut", what, size - 1);
		bi->errors++;
		n = size - 1;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static void add_mem(struct bootinfo *bi, uint64_t base, uint64_t len, uint32_t type)
{
	if (bi->nmem == BOOTINFO_MMAP_MAX) {
		if (!bi->mem_dropped++)
			pr_warn("bootinfo: more than %d memory map entries; the rest are ignored",
				BOOTINFO_MMAP_MAX);
		bi->errors++;
		return;
	}
	bi->mem[bi->nmem++] = (struct bootinfo_mem){ .base = base, .len = len, .type = type };
}

static struct bootinfo_module *add_module(struct bootinfo *bi, uint64_t start, uint64_t end)
{
	struct bootinfo_module *m;

	if (bi->nmods == BOOTINFO_MODS_MAX) {
		if (!bi->mods_dropped++)
			pr_warn("bootinfo: more than %d modules; the rest are ignored",
				BOOTINFO_MODS_MAX);
		bi->errors++;
		return NULL;
	}
	if (end < start) {
		fail(bi, "module", start);
		return NULL;
	}
	m = &bi->mods[bi->nmods++];
	m->start = start;
	m->end = end;
	return m;
}

static void mb1_mmap(struct bootinfo *bi, const struct bootinfo_window *w, uint64_t addr,
		     uint64_t len)
{
	uint64_t off = 0;

	while (off < len) {
		const struct mb1_mmap_entry *e = at(w, addr + off, sizeof(*e));

		if (!e || e->size + 4 < sizeof(*e) || off + e->size + 4 > len) {
			fail(bi, "memory map entry", addr + off);
			return;
		}
		add_mem(bi, e->addr, e->len, e->type);
		off += e->size + 4;
	}
}

static void mb1_modules(struct bootinfo *bi, const struct bootinfo_window *w, uint64_t addr,
			uint32_t count)
{
	const struct mb1_module *mods = at(w, addr, (uint64_t)count * sizeof(*mods));

	if (!mods) {
		fail(bi, "module list", addr);
		return;
	}
	for (uint32_t i = 0; i < count; i++) {
		struct bootinfo_module *m = add_module(bi, mods[i].start, mods[i].end);
		if (m && mods[i].string)
			copy_string(bi, w, mods[i].string, UINT64_MAX, m->cmdline,
				    sizeof(m->cmdline), "module string");
	}
}

static int parse_mb1(struct bootinfo *bi, uint64_t info, const struct bootinfo_window *w)
{
	const struct mb1_info *mi = at(w, info, sizeof(*mi));

	if (!mi)
		return -EINVAL;
	bi->info_start = info;
	bi->info_end = info + sizeof(*mi);
	if (mi->flags & MB1_INFO_MEMORY) {
		bi->mem_lower_kib = mi->mem_lower;
		bi->mem_upper_kib = mi->mem_upper;
	}
	if (mi->flags & MB1_INFO_CMDLINE)
		copy_string(bi, w, mi->cmdline, UINT64_MAX, bi->cmdline, sizeof(bi->cmdline),
			    "command line");
	if (mi->flags & MB1_INFO_LOADER_NAME)
		copy_string(bi, w, mi->boot_loader_name, UINT64_MAX, bi->loader, sizeof(bi->loader),
			    "loader name");
	if (mi->flags & MB1_INFO_MODS)
		mb1_modules(bi, w, mi->mods_addr, mi->mods_count);
	if (mi->flags & MB1_INFO_MMAP)
		mb1_mmap(bi, w, mi->mmap_addr, mi->mmap_length);
	return 0;
}

static void mb2_mmap(struct bootinfo *bi, const struct mb2_tag_mmap *t, uint64_t addr)
{
	const uint8_t *p = (const uint8_t *)(t + 1);
	uint32_t n;

	if (t->tag.size < sizeof(*t) || t->entry_size < sizeof(struct mb2_mmap_entry)) {
		fail(bi, "memory map tag", addr);
		return;
	}
	n = (t->tag.size - (uint32_t)sizeof(*t)) / t->entry_size;
	for (uint32_t i = 0; i < n; i++) {
		const struct mb2_mmap_entry *e = (const void *)(p + (size_t)i * t->entry_size);
		add_mem(bi, e->addr, e->len, e->type);
	}
}

/* Handles one tag that lies whole inside the window (checked by the caller). */
static void mb2_tag(struct bootinfo *bi, const struct bootinfo_window *w, const struct mb2_tag *t,
		    uint64_t addr)
{
	const struct mb2_tag_module *mod = (const void *)t;
	const struct mb2_tag_meminfo *mem = (const void *)t;
	struct bootinfo_module *m;
	uint64_t str = addr + sizeof(*t), strmax = t->size - sizeof(*t);

	switch (t->type) {
	case MB2_TAG_CMDLINE:
		copy_string(bi, w, str, strmax, bi->cmdline, sizeof(bi->cmdline), "command line");
		break;
	case MB2_TAG_LOADER_NAME:
		copy_string(bi, w, str, strmax, bi->loader, sizeof(bi->loader), "loader name");
		break;
	case MB2_TAG_MODULE:
		if (t->size < sizeof(*mod)) {
			fail(bi, "module tag", addr);
		} else if ((m = add_module(bi, mod->start, mod->end))) {
			copy_string(bi, w, addr + sizeof(*mod), t->size - sizeof(*mod), m->cmdline,
				    sizeof(m->cmdline), "module string");
		}
		break;
	case MB2_TAG_MEMINFO:
		if (t->size < sizeof(*mem)) {
			fail(bi, "memory info tag", addr);
			break;
		}
		bi->mem_lower_kib = mem->mem_lower;
		bi->mem_upper_kib = mem->mem_upper;
		break;
	case MB2_TAG_MMAP:
		mb2_mmap(bi, (const void *)t, addr);
		break;
	case MB2_TAG_ACPI_OLD:
	case MB2_TAG_ACPI_NEW:
		if (t->size < sizeof(*t) + MB2_RSDP_V1_SIZE)
			fail(bi, "ACPI tag", addr);
		else if (!bi->acpi_rsdp || t->type == MB2_TAG_ACPI_NEW)
			bi->acpi_rsdp = str;
		break;
	default:
		break;
	}
}

static int parse_mb2(struct bootinfo *bi, uint64_t info, const struct bootinfo_window *w)
{
	const struct mb2_info *mi = at(w, info, sizeof(*mi));
	uint64_t addr, end;

	if (!mi || mi->total_size < sizeof(*mi) || !at(w, info, mi->total_size))
		return -EINVAL;
	bi->info_start = info;
	bi->info_end = end = info + mi->total_size;
	for (addr = info + sizeof(*mi); addr + sizeof(struct mb2_tag) <= end;) {
		const struct mb2_tag *t = at(w, addr, sizeof(*t));

		if (t->type == MB2_TAG_END)
			return 0;
		if (t->size < sizeof(*t) || t->size > end - addr) {
			fail(bi, "tag", addr);
			return 0;
		}
		mb2_tag(bi, w, t, addr);
		addr += (t->size + MB2_TAG_ALIGN - 1) & ~(uint64_t)(MB2_TAG_ALIGN - 1);
	}
	fail(bi, "tag list (no end tag)", info);
	return 0;
}

int bootinfo_parse(struct bootinfo *bi, uint32_t magic, uint64_t info,
		   const struct bootinfo_window *w)
{
	memset(bi, 0, sizeof(*bi));
	if (magic == MB1_LOADER_MAGIC) {
		bi->multiboot = 1;
		return parse_mb1(bi, info, w);
	}
	if (magic == MB2_LOADER_MAGIC) {
		bi->multiboot = 2;
		return parse_mb2(bi, info, w);
	}
	return -EINVAL;
}

char *bootinfo_args(struct bootinfo *bi)
{
	char *s = bi->cmdline;

	if (strncmp(bi->loader, "qemu", 4))
		return s;
	s += strspn(s, " \t");
	s += strcspn(s, " \t");
	return s;
}
