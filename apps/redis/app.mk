# Redis, the real one: Debian bookworm's source package (upstream 7.0.15
# with Debian's patches), fetched at build time by tools/debsrc.sh and
# built with Redis's own Makefile and Debian's musl-gcc, as one would build
# it for a static Linux program: the libc allocator (MALLOC=libc, which is
# the kernel's heap here), no TLS, no systemd. Its objects become one
# relocatable object, linked after musl's crt1.o as the application. No
# Redis source is in this repository (docs/redis.md).
#
# The build happens once per source version, in build/redis-src/VERSION/:
# every image (build/redis, build/redis-mallocng) and the Linux executable
# link the same objects. REDIS_TARBALL=FILE builds from a local upstream
# tarball (tools/debsrc.sh).
REDIS_VERSION := 7.0.15
REDIS_SRC := build/redis-src/$(REDIS_VERSION)
REDIS_OBJ := $(REDIS_SRC)/ceres-redis.o
REDIS_DEPS := $(addprefix $(REDIS_SRC)/deps/,hiredis/libhiredis.a lua/src/liblua.a \
	hdr_histogram/libhdrhistogram.a)
# -fno-pie: the image is linked at fixed addresses, as the kernel's own
# applications are compiled. The ceiling keeps Redis's mkreleasehdr.sh from
# taking this repository's git commit for Redis's own (INFO's
# redis_git_sha1 is 00000000, as in Debian's build).
REDIS_MAKE := GIT_CEILING_DIRECTORIES=$(abspath $(REDIS_SRC)/..) $(MAKE) -C $(REDIS_SRC)/src MALLOC=libc CC=musl-gcc BUILD_TLS=no USE_SYSTEMD=no \
	CFLAGS=-fno-pie LDFLAGS='-static -no-pie'

APP_EXTRA_OBJS := $(REDIS_OBJ) $(REDIS_DEPS)
# SAVE's LZF compression keeps a 512 KiB table on the main thread's stack
# (Linux gives 8 MiB); 256 KiB, the kernel's default, overflows.
APP_MAIN_STACK_KB := 2048
# Redis links -lm -ldl -pthread -lrt; musl keeps all of them in libc.a.

$(REDIS_SRC)/.ceres-source:
	$(call say,FETCH,'redis $(REDIS_VERSION)')
	$(Q)tools/debsrc.sh redis $(REDIS_VERSION) $(REDIS_SRC)

# Redis's Makefile builds its dependencies and redis-server (a static musl
# program for Linux, which proves the objects link); its object list is
# read from the same Makefile, so nothing here repeats it.
$(REDIS_OBJ): $(REDIS_SRC)/.ceres-source | musl-gcc
	$(call say,MAKE,'redis-server $(REDIS_VERSION) (musl-gcc)')
	+$(Q)$(REDIS_MAKE) -s redis-server >$(REDIS_SRC)/ceres-build.log 2>&1 || \
		{ tail -20 $(REDIS_SRC)/ceres-build.log; echo "redis: build failed:" \
		"$(REDIS_SRC)/ceres-build.log"; exit 1; }
	+$(Q)objs=$$(printf 'ceres-objs:\n\t@echo $$(REDIS_SERVER_OBJ)\n' | \
		$(REDIS_MAKE) -s --no-print-directory -f Makefile -f - ceres-objs) && \
		cd $(REDIS_SRC)/src && $(LD) -r -o ../ceres-redis.o $$objs

$(REDIS_DEPS): $(REDIS_OBJ)

.PHONY: musl-gcc
musl-gcc:
	@command -v musl-gcc >/dev/null || { echo "redis: musl-gcc is missing:" \
		"apt-get install musl-tools (make deps does it as root)" >&2; exit 1; }
