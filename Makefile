# Ceres: one application linked with the kernel into one image.
#
#   make [APP=hello]   build build/$(APP)/ceres (QEMU -kernel) and ceres.elf (gdb)
#   make APP=x linux   the same application objects as a static Linux
#                      executable, build/x/x.linux (the benchmarks' baseline)
#   make run           build and boot it under QEMU (serial on this terminal)
#   make iso           build build/$(APP)/ceres.iso (GRUB); make run-iso boots it
#   make libvirt       boot it as a libvirt domain, console on this terminal, and
#                      exit with its status: FS=DIR (9p share), NET=none|tap|bridge:BR,
#                      APPEND="params -- args", MEM=MiB, KEEP=1 (docs/libvirt.md);
#                      make libvirt-xml prints the domain XML
#   make debug         boot halted with gdb attached, stopped at main
#   make gdb-threads   the same through Ceres's own gdb stub, which shows
#                      every thread (docs/gdbstub.md)
#   make test          every test; the last line is "N passed, N failed"
#   make test-long     the long ones (tests/long/: Redis's own test suite,
#                      256 MiB through a lossy link), over an hour here
#   make bench         benchmarks against a Linux guest (build/bench/results.md)
#   MALLOC=musl        the application keeps musl's own malloc (mallocng)
#                      instead of the kernel's heap; built in build/APP-mallocng
#   V=1                show the commands
#
# An application is a folder apps/NAME/ (test applications: tests/apps/NAME/,
# benchmarks: bench/apps/NAME/) with C sources and an optional app.mk, which
# may add APP_CFLAGS and APP_LDLIBS (-lm is accepted: musl keeps its math in
# libc.a). It is compiled against Debian's musl and linked with musl's
# crt1.o and libc.a, as a static Linux program would be (docs/abi.md).
# A third-party program (apps/redis/) is an app.mk alone: its recipe
# builds the program's objects with musl-gcc and names them (archives too)
# in APP_EXTRA_OBJS, which are linked after the folder's own objects.
# APP_FILES (DIR/NAME=SOURCE, or DIR/ for an empty directory) are files of
# the application's own that the image carries: at boot each /DIR the root
# lacks becomes a ramfs holding them (docs/vfs.md; nginx's default
# configuration in /ceres/, docs/nginx.md).
#
# A kernel test (tests/ktests/NAME/) is kernel code instead: it is built
# into the kernel, may use the kernel's own headers, and the kernel runs its
# ktest_main(argc, argv) in place of an application. For what only the
# inside of the kernel can check.

APP ?= hello
APP_DIR := $(patsubst %/,%,$(dir $(firstword $(wildcard apps/$(APP)/*.c apps/$(APP)/app.mk \
	tests/apps/$(APP)/*.c bench/apps/$(APP)/*.c tests/ktests/$(APP)/*.c))))
ifeq ($(APP_DIR),)
$(error no application '$(APP)': expected a folder apps/$(APP)/, tests/apps/$(APP)/, \
	bench/apps/$(APP)/ or tests/ktests/$(APP)/)
endif
KTEST := $(filter tests/ktests/%,$(APP_DIR))
APP_CFLAGS :=
APP_LDLIBS :=
APP_EXTRA_OBJS :=
APP_FILES :=
# An app.mk may have rules of its own: none of them is the default goal.
.DEFAULT_GOAL := all
-include $(APP_DIR)/app.mk

# The application's malloc: the kernel's heap, exported to it (ceres), or
# musl's mallocng (musl), for comparison (docs/benchmarks.md).
MALLOC ?= ceres
ifeq ($(MALLOC),ceres)
BUILD := build/$(APP)
EXPORTS := tools/kernel.exports
else ifeq ($(MALLOC),musl)
BUILD := build/$(APP)-mallocng
EXPORTS := $(BUILD)/kernel.exports
else
$(error MALLOC=$(MALLOC): expected ceres or musl)
endif
OBJ := $(BUILD)/obj

ifeq ($(origin CC),default)
CC := gcc
endif
HOSTCC ?= gcc
NASM ?= nasm
NM ?= nm
OBJCOPY ?= objcopy
OBJDUMP ?= objdump

MUSL_INC := /usr/include/x86_64-linux-musl
MUSL_LIB := /usr/lib/x86_64-linux-musl
GCC_INC := $(shell $(CC) -print-file-name=include)
LIBGCC := $(shell $(CC) -print-libgcc-file-name)

V ?= 0
ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-7s %s\n' $(1) $(2);
endif

# The kernel sees its own headers (lib/kc/include), never musl's.
KERNEL_CPPFLAGS := -nostdinc -isystem $(GCC_INC) -I. -Ilib/kc/include -MMD -MP
# Frame pointers (leaf ones too) for backtraces; the stack protector uses one
# global guard (%fs belongs to the application's TLS); a frame larger than
# a page touches each page on the way down, so it cannot step over a guard
# page (stack clash protection); no libc builtins may turn a loop inside
# memset back into a call to memset. Kernel code may run in interrupt
# context, where the interrupted thread's SSE registers are live: it uses
# general registers only (docs/fpu.md).
KERNEL_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pie -fno-pic -mno-red-zone \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fstack-protector-strong -mstack-protector-guard=global -fstack-clash-protection \
	-fno-asynchronous-unwind-tables -fno-delete-null-pointer-checks \
	-fno-tree-loop-distribute-patterns -mgeneral-regs-only -ffunction-sections -fdata-sections \
	-Wall -Wextra -Werror
# Applications see musl's headers and nothing of the kernel's. They are
# ordinary user-space code: the red zone, SSE and musl's TLS stack protector
# are all theirs; frame pointers keep crash reports' backtraces whole (musl's
# own code has none: the reports scan the stack there).
APP_CPPFLAGS := -nostdinc -isystem $(MUSL_INC) -isystem $(GCC_INC) -MMD -MP
APP_ALL_CFLAGS := -std=gnu11 -O2 -g -fno-pie -fno-omit-frame-pointer -fstack-protector-strong \
	-fstack-clash-protection -Wall -Wextra -Werror $(APP_CFLAGS)
LDFLAGS := -nostdlib -static -no-pie -Wl,-T,linker.ld -Wl,-z,max-page-size=4096 -Wl,--gc-sections \
	-Wl,--build-id=none
NASMFLAGS := -f elf64 -g -F dwarf

# Subsystems that only some images carry (CERES_NEEDS): net (PCI, virtio,
# virtio-net and the network stack), events (poll, select, epoll, pipes,
# eventfds) and fs (the VFS with ramfs, /dev, /proc and the path calls, and PCI,
# virtio, virtio-9p, the 9P2000.L client and 9pfs under it). An
# application's app.mk may name them; otherwise they follow from what it
# links of musl (build/APP/needs.mk): socket() or socketpair() brings net, any of musl's
# readiness or pipe functions brings events, and any function that names a
# file by path brings fs (musl's own readers of /etc/hosts and time-zone
# files, __fopen_rb_ca and __map_file, count). A kernel test names its needs in its app.mk. The
# system-call table and kernel/main.c reach these subsystems through weak
# references (lib/abi/syscall.c).
VIRTIO_SRCS := drivers/pci.c $(addprefix drivers/virtio/,virtio.c virtio_ring.c virtio_pci.c \
	virtio_pci_legacy.c virtio_pci_modern.c)
NET_SRCS := $(VIRTIO_SRCS) drivers/virtio/virtio_net.c $(wildcard drivers/net/*.c lib/net/*.c)
EVENTS_SRCS := $(wildcard $(addprefix lib/vfs/,poll.c epoll.c eventfd.c pipe.c))
VFS_SRCS := $(addprefix lib/vfs/,vfs.c attr.c dcache.c devfs.c lookup.c names.c path.c procfs.c \
	ramfs.c vfile.c vfs_sys.c)
FS_SRCS := $(VIRTIO_SRCS) $(VFS_SRCS) $(wildcard drivers/virtio/virtio_9p.c lib/9p/*.c \
	lib/vfs/fs_9p.c)
NET_SYMS := socket socketpair
EVENTS_SYMS := poll ppoll select pselect epoll_create epoll_create1 eventfd pipe pipe2
FS_SYMS := open openat creat fopen freopen opendir stat lstat fstatat access faccessat mkdir \
	mkdirat unlink unlinkat rmdir rename renameat truncate chdir readlink readlinkat symlink \
	link statfs statvfs realpath chmod utimensat utime utimes getcwd fsync fdatasync \
	ftruncate fchdir sendfile __fopen_rb_ca __map_file
# Goals that build no image do not derive the needs (which links the application).
IMAGE_GOALS := $(filter-out linux test bench unit format check-format deps clean musl, \
	$(or $(MAKECMDGOALS),all))
ifneq ($(IMAGE_GOALS),)
ifeq ($(KTEST),)
-include $(BUILD)/needs.mk
endif
endif
CERES_NEEDS := $(sort $(CERES_NEEDS))

KERNEL_DIRS := arch/x86_64 kernel sched drivers drivers/net drivers/virtio lib/kc lib/abi \
	lib/vfs lib/net lib/9p
KERNEL_SRCS := $(filter-out $(NET_SRCS) $(EVENTS_SRCS) $(FS_SRCS), \
		$(foreach d,$(KERNEL_DIRS),$(wildcard $(d)/*.c))) \
	$(sort $(if $(filter net,$(CERES_NEEDS)),$(NET_SRCS)) \
		$(if $(filter fs,$(CERES_NEEDS)),$(FS_SRCS))) \
	$(if $(filter events,$(CERES_NEEDS)),$(EVENTS_SRCS))
ASM_SRCS := $(wildcard boot/*.asm arch/x86_64/*.asm)
APP_SRCS := $(wildcard $(APP_DIR)/*.c)

KERNEL_C_OBJS := $(KERNEL_SRCS:%.c=$(OBJ)/%.o)
ifneq ($(KTEST),)
KERNEL_C_OBJS += $(APP_SRCS:%.c=$(OBJ)/%.o)
APP_OBJS :=
APP_LINK := $(LIBGCC)
else
APP_OBJS := $(APP_SRCS:%.c=$(OBJ)/%.o)
APP_LINK := $(MUSL_LIB)/crt1.o $(MUSL_LIB)/crti.o $(APP_OBJS) $(APP_EXTRA_OBJS) -L$(MUSL_LIB) \
	$(APP_LDLIBS) \
	-Wl,--start-group $(MUSL_LIB)/libc.a $(LIBGCC) -Wl,--end-group $(MUSL_LIB)/crtn.o
endif
KERNEL_OBJS := $(KERNEL_C_OBJS) $(ASM_SRCS:%.asm=$(OBJ)/%.o) \
	$(if $(APP_FILES),$(OBJ)/appfiles.o)

.PHONY: all linux run iso run-iso libvirt libvirt-xml debug gdb-threads gdb test test-long bench unit format check-format deps clean musl
all: $(BUILD)/ceres

$(OBJ)/%.o: %.asm
	$(call say,AS,$<)
	@mkdir -p $(@D)
	$(Q)$(NASM) $(NASMFLAGS) -MD $(@:.o=.d) -MP $< -o $@

$(KERNEL_C_OBJS): $(OBJ)/%.o: %.c
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(KERNEL_CPPFLAGS) $(KERNEL_CFLAGS) -DCERES_APP='"$(APP)"' \
		$(if $(APP_MAIN_STACK_KB),-DCERES_MAIN_STACK_KB=$(APP_MAIN_STACK_KB)) -c $< -o $@

$(APP_OBJS): $(OBJ)/%.o: %.c | musl
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(APP_CPPFLAGS) $(APP_ALL_CFLAGS) -c $< -o $@

$(OBJ)/appfiles.S: $(foreach f,$(APP_FILES),$(if $(findstring =,$(f)),$(word 2,$(subst =, ,$(f))))) \
		tools/appfiles.sh $(wildcard $(APP_DIR)/app.mk)
	@mkdir -p $(@D)
	$(Q)tools/appfiles.sh $(APP_FILES) > $@

# What the application needs of the optional subsystems, from the musl
# functions its Linux link pulls in (nm lists what is defined there).
$(BUILD)/needs.mk: $(BUILD)/$(APP).linux Makefile
	$(Q){ printf 'CERES_NEEDS +='; \
	syms=$$($(NM) --defined-only $< | awk '{print $$3}'); \
	for s in $(NET_SYMS); do echo "$$syms" | grep -qx "$$s" && { printf ' net'; break; }; done; \
	for s in $(EVENTS_SYMS); do echo "$$syms" | grep -qx "$$s" && { printf ' events'; break; }; done; \
	for s in $(FS_SYMS); do echo "$$syms" | grep -qx "$$s" && { printf ' fs'; break; }; done; \
	echo; } > $@.tmp && mv $@.tmp $@

# The kernel as one object that exports only its entry points
# (tools/kernel.exports): its memcpy, snprintf or __stack_chk_guard never
# meet musl's. Unikraft keeps an exportsyms.uk per library for the same end.
$(BUILD)/kernel.o: $(KERNEL_OBJS) $(EXPORTS) $(wildcard $(BUILD)/needs.mk)
	$(call say,LD,'$@$(if $(CERES_NEEDS), (with $(CERES_NEEDS)))')
	$(Q)$(LD) -r -o $(BUILD)/kernel-all.o $(KERNEL_OBJS)
	$(Q)$(OBJCOPY) --keep-global-symbols=$(EXPORTS) $(BUILD)/kernel-all.o $@

# With MALLOC=musl, the kernel exports its entry only.
$(BUILD)/kernel.exports: tools/kernel.exports
	@mkdir -p $(@D)
	$(Q)grep -x ceres_entry $< > $@

# Two links: the first finds the function addresses, the second carries them
# in .ksyms. .ksyms lies after .text, so the addresses cannot move; the
# comparison proves it.
$(OBJ)/ksyms0.S: tools/ksyms.sh
	@mkdir -p $(@D)
	$(Q)tools/ksyms.sh < /dev/null > $@

$(OBJ)/%.o: $(OBJ)/%.S
	$(Q)$(CC) -c $< -o $@

$(BUILD)/ceres.pass1.elf: $(BUILD)/kernel.o $(APP_OBJS) $(APP_EXTRA_OBJS) $(OBJ)/ksyms0.o linker.ld
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $(BUILD)/kernel.o $(APP_LINK) $(OBJ)/ksyms0.o -o $@

$(OBJ)/ksyms.S: $(BUILD)/ceres.pass1.elf tools/ksyms.sh
	$(Q)$(NM) -n --defined-only $< | tools/ksyms.sh > $@

# In ring 0 a hlt does not trap: musl's a_crash() (stack smashing, heap
# checks, abort's last resort) would halt until the next interrupt and then
# run on. Every hlt outside the kernel's own code becomes an int3, so the
# application crashing itself is reported (tools/trap-hlt.sh).
$(BUILD)/ceres.elf: $(BUILD)/kernel.o $(APP_OBJS) $(APP_EXTRA_OBJS) $(OBJ)/ksyms.o linker.ld \
		tools/trap-hlt.sh
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $(BUILD)/kernel.o $(APP_LINK) $(OBJ)/ksyms.o -o $@
	$(Q)$(NM) -n --defined-only $(BUILD)/ceres.pass1.elf | grep -i ' t ' > $(OBJ)/pass1.syms
	$(Q)$(NM) -n --defined-only $@ | grep -i ' t ' > $(OBJ)/pass2.syms
	$(Q)cmp -s $(OBJ)/pass1.syms $(OBJ)/pass2.syms || \
		{ echo "ksyms: function addresses moved between links"; rm -f $@; exit 1; }
	$(Q)tools/trap-hlt.sh $@ || { rm -f $@; exit 1; }

# QEMU's Multiboot loader takes only 32-bit ELF files: the same image,
# relabelled, without symbols.
$(BUILD)/ceres: $(BUILD)/ceres.elf
	$(call say,OBJCOPY,$@)
	$(Q)$(OBJCOPY) -O elf32-i386 --strip-all $< $@
	@printf '  %-7s %s: %s bytes\n' IMAGE $@ "$$(stat -c %s $@)"

# The same objects as a static Linux executable, with musl's own startup.
linux: $(BUILD)/$(APP).linux
$(BUILD)/$(APP).linux: $(APP_OBJS) $(APP_EXTRA_OBJS)
	$(if $(KTEST),$(error $(APP) is a kernel test: it has no Linux build))
	$(call say,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -nostdlib -static -no-pie -o $@ $(APP_LINK)

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

# The domain's settings, for tools/libvirt/ceres-xml (quoted for the shell).
# make cannot exit with the application's status: 'make libvirt' fails with
# "Error N" for a status N; tools/libvirt/run.sh itself exits with it.
shq = '$(subst ','\'',$(1))'
LIBVIRT_XML_ARGS = --image $(BUILD)/ceres --memory $(call shq,$(or $(MEM),128)) \
	--net $(call shq,$(or $(NET),none)) --append $(call shq,$(APPEND)) \
	$(if $(FS),--share $(call shq,$(FS)))

libvirt: $(BUILD)/ceres
	@tools/deps.sh libvirt
	@tools/libvirt/run.sh $(if $(filter 1,$(KEEP)),--keep) -- $(LIBVIRT_XML_ARGS)

# The XML alone on stdout: the build's messages go to stderr.
libvirt-xml:
	@$(MAKE) --no-print-directory $(BUILD)/ceres >&2
	@tools/libvirt/ceres-xml $(LIBVIRT_XML_ARGS)

debug: deps $(BUILD)/ceres
	tools/debug.sh $(APP)

gdb-threads: deps $(BUILD)/ceres
	tools/debug.sh --stub $(APP) $(or $(GDB_PORT),1234) $(if $(APPEND),--append $(call shq,$(APPEND)))

gdb: $(BUILD)/ceres
	gdb -q -x tools/gdb/ceres.gdb -ex 'ceres-attach $(BUILD)/ceres.elf $(or $(GDB_PORT),1234)'

deps:
	@tools/deps.sh run

# Applications build against Debian's musl; say so plainly when it is not there.
musl:
	@test -e $(MUSL_LIB)/libc.a || { echo "Debian's musl is missing ($(MUSL_LIB)/libc.a):" \
		"apt-get install musl-dev (make deps does it as root)" >&2; exit 1; }

test:
	@tools/deps.sh test
	@tests/run.sh

test-long:
	@tools/deps.sh test
	@tests/run.sh long

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
