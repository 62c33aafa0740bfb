# Ceres: one application linked with the kernel into one image.
#
#   make [APP=hello]   build build/$(APP)/ceres (QEMU -kernel) and ceres.elf (gdb)
#   make run           build and boot it under QEMU (serial on this terminal)
#   make iso           build build/$(APP)/ceres.iso (GRUB); make run-iso boots it
#   make debug         boot halted with gdb attached, stopped at main
#   make test          every test; the last line is "N passed, N failed"
#   make bench         benchmarks against a Linux guest (build/bench/results.md)
#   V=1                show the commands
#
# An application is a folder apps/NAME/ (test applications: tests/apps/NAME/,
# benchmarks: bench/apps/NAME/) with C sources and an optional app.mk, which
# may set APP_CFLAGS.

APP ?= hello
APP_DIR := $(firstword $(wildcard apps/$(APP) tests/apps/$(APP) bench/apps/$(APP)))
ifeq ($(APP_DIR),)
$(error no application '$(APP)': expected a folder apps/$(APP)/, tests/apps/$(APP)/ or bench/apps/$(APP)/)
endif
APP_CFLAGS :=
-include $(APP_DIR)/app.mk

BUILD := build/$(APP)
OBJ := $(BUILD)/obj

ifeq ($(origin CC),default)
CC := gcc
endif
HOSTCC ?= gcc
NASM ?= nasm
NM ?= nm
OBJCOPY ?= objcopy

V ?= 0
ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-7s %s\n' $(1) $(2);
endif

CPPFLAGS := -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-I. -Ilib/libc/include -MMD -MP
# Frame pointers (leaf ones too) for backtraces; the stack protector uses one
# global guard (there is no %fs-based TLS for it to use); a frame larger than
# a page touches each page on the way down, so it cannot step over a guard
# page (stack clash protection); no libc builtins may turn a loop inside
# memset back into a call to memset.
CFLAGS_BASE := -std=gnu11 -O2 -g -ffreestanding -fno-pie -fno-pic -mno-red-zone \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fstack-protector-strong -mstack-protector-guard=global -fstack-clash-protection \
	-fno-asynchronous-unwind-tables -fno-delete-null-pointer-checks \
	-fno-tree-loop-distribute-patterns \
	-Wall -Wextra -Werror
# Kernel code may run in interrupt context, where the interrupted thread's
# SSE registers are live: it uses general registers only (docs/fpu.md).
KERNEL_CFLAGS := $(CFLAGS_BASE) -mgeneral-regs-only
APP_ALL_CFLAGS := $(CFLAGS_BASE) $(APP_CFLAGS)
LDFLAGS := -nostdlib -static -no-pie -Wl,-T,linker.ld -Wl,-z,max-page-size=4096 \
	-Wl,--build-id=none
NASMFLAGS := -f elf64 -g -F dwarf

KERNEL_DIRS := arch/x86_64 kernel sched drivers lib/libc
KERNEL_SRCS := $(foreach d,$(KERNEL_DIRS),$(wildcard $(d)/*.c))
ASM_SRCS := $(wildcard boot/*.asm arch/x86_64/*.asm)
APP_SRCS := $(wildcard $(APP_DIR)/*.c)

KERNEL_OBJS := $(KERNEL_SRCS:%.c=$(OBJ)/%.o)
APP_OBJS := $(APP_SRCS:%.c=$(OBJ)/%.o)
ASM_OBJS := $(ASM_SRCS:%.asm=$(OBJ)/%.o)
OBJS := $(ASM_OBJS) $(KERNEL_OBJS) $(APP_OBJS)

.PHONY: all run iso run-iso debug gdb test bench unit format check-format deps clean
all: $(BUILD)/ceres

$(KERNEL_OBJS): $(OBJ)/%.o: %.c
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(KERNEL_CFLAGS) -DCERES_APP='"$(APP)"' -c $< -o $@

$(APP_OBJS): $(OBJ)/%.o: %.c
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(APP_ALL_CFLAGS) -c $< -o $@

$(ASM_OBJS): $(OBJ)/%.o: %.asm
	$(call say,AS,$<)
	@mkdir -p $(@D)
	$(Q)$(NASM) $(NASMFLAGS) -MD $(@:.o=.d) -MP $< -o $@

# Two links: the first finds the function addresses, the second carries them
# in .ksyms. .ksyms lies after .text, so the addresses cannot move; the
# comparison proves it.
$(OBJ)/ksyms0.S: tools/ksyms.sh
	@mkdir -p $(@D)
	$(Q)tools/ksyms.sh < /dev/null > $@

$(OBJ)/%.o: $(OBJ)/%.S
	$(Q)$(CC) -c $< -o $@

$(BUILD)/ceres.pass1.elf: $(OBJS) $(OBJ)/ksyms0.o linker.ld
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $(OBJS) $(OBJ)/ksyms0.o -lgcc -o $@

$(OBJ)/ksyms.S: $(BUILD)/ceres.pass1.elf tools/ksyms.sh
	$(Q)$(NM) -n --defined-only $< | tools/ksyms.sh > $@

$(BUILD)/ceres.elf: $(OBJS) $(OBJ)/ksyms.o linker.ld
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $(OBJS) $(OBJ)/ksyms.o -lgcc -o $@
	$(Q)$(NM) -n --defined-only $(BUILD)/ceres.pass1.elf | grep -i ' t ' > $(OBJ)/pass1.syms
	$(Q)$(NM) -n --defined-only $@ | grep -i ' t ' > $(OBJ)/pass2.syms
	$(Q)cmp -s $(OBJ)/pass1.syms $(OBJ)/pass2.syms || \
		{ echo "ksyms: function addresses moved between links"; rm -f $@; exit 1; }

# QEMU's Multiboot loader takes only 32-bit ELF files: the same image,
# relabelled, without symbols.
$(BUILD)/ceres: $(BUILD)/ceres.elf
	$(call say,OBJCOPY,$@)
	$(Q)$(OBJCOPY) -O elf32-i386 --strip-all $< $@
	@printf '  %-7s %s: %s bytes\n' IMAGE $@ "$$(stat -c %s $@)"

# The kernel's own command-line splitter, on the host, for tools/mkiso.sh.
build/tools/cmdline-words: tools/cmdline-words.c kernel/cmdline.c kernel/cmdline.h
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) -O2 -Wall -Wextra -Werror -I. -o $@ tools/cmdline-words.c kernel/cmdline.c

iso: $(BUILD)/ceres.iso
$(BUILD)/ceres.iso: $(BUILD)/ceres tools/mkiso.sh build/tools/cmdline-words
	$(call say,ISO,$@)
	$(Q)tools/mkiso.sh $< $@ "$(CMDLINE)"

run: deps $(BUILD)/ceres
	./run.sh $(RUNFLAGS) $(APP)

run-iso: deps $(BUILD)/ceres.iso
	./run.sh --iso $(RUNFLAGS) $(APP)

debug: deps $(BUILD)/ceres
	tools/debug.sh $(APP)

gdb: $(BUILD)/ceres
	gdb -q -x tools/gdb/ceres.gdb -ex 'ceres-attach $(BUILD)/ceres.elf $(or $(GDB_PORT),1234)'

deps:
	@tools/deps.sh run

test:
	@tools/deps.sh test
	@tests/run.sh

bench:
	@tools/deps.sh bench
	@bench/run.sh

unit:
	@tests/unit/run.sh

FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_SRCS)

check-format:
	@clang-format --dry-run -Werror $(FORMAT_SRCS)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
