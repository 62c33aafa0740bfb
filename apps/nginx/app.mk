# nginx, the real one: Debian bookworm's source package (upstream 1.22.1
# with Debian's patches), with PCRE2 (the rewrite module's regular
# expressions) and zlib (gzip) from Debian's source packages too, all
# fetched at build time by tools/debsrc.sh and built with musl-gcc as one
# would build them for a static Linux program. nginx's objects become one
# relocatable object, linked after musl's crt1.o as the application, with
# the two libraries' archives after it. No third-party source is in this
# repository (docs/nginx.md).
#
# Each build happens once per source version, in build/NAME-src/VERSION/:
# the image and the Linux executable link the same objects.
# NGINX_TARBALL=FILE (PCRE2_TARBALL, ZLIB_TARBALL) builds from a local
# upstream tarball (tools/debsrc.sh).
NGINX_VERSION := 1.22.1
PCRE2_VERSION := 10.42
ZLIB_VERSION := 1.2.13.dfsg
NGINX_SRC := build/nginx-src/$(NGINX_VERSION)
PCRE2_SRC := build/pcre2-src/$(PCRE2_VERSION)
ZLIB_SRC := build/zlib-src/$(ZLIB_VERSION)
NGINX_OBJ := $(NGINX_SRC)/ceres-nginx.o
PCRE2_LIB := $(PCRE2_SRC)/.libs/libpcre2-8.a
ZLIB_LIB := $(ZLIB_SRC)/libz.a

APP_EXTRA_OBJS := $(NGINX_OBJ) $(PCRE2_LIB) $(ZLIB_LIB)

# The image's own files (docs/nginx.md), each directory a ramfs where the
# share has none: the configuration nginx reads without -c and the page
# it serves when the share has no index.html; the passwd and group entries
# that nginx, running as root, looks up for its default user (nobody,
# nogroup) even when it never switches to it; and a /tmp for the pid file
# and request bodies.
APP_FILES := ceres/nginx.conf=apps/nginx/nginx.conf ceres/index.html=apps/nginx/index.html \
	etc/passwd=apps/nginx/passwd etc/group=apps/nginx/group tmp/

# -fno-pie: the image is linked at fixed addresses. Configure scripts run
# their test programs, so those link statically (Debian's musl-tools has
# no dynamic loader installed).
NGINX_CFLAGS := -O2 -fno-pie
NGINX_LDFLAGS := -static -no-pie
# What a recipe's build says goes to a log beside it; a failure shows its end.
nginx_log = >$(1) 2>&1 || { tail -20 $(1); echo "nginx: $(2) failed: $(1)"; exit 1; }

$(NGINX_SRC)/.ceres-source:
	$(call say,FETCH,'nginx $(NGINX_VERSION)')
	$(Q)tools/debsrc.sh nginx $(NGINX_VERSION) $(NGINX_SRC)

$(PCRE2_SRC)/.ceres-source:
	$(call say,FETCH,'pcre2 $(PCRE2_VERSION)')
	$(Q)tools/debsrc.sh pcre2 $(PCRE2_VERSION) $(PCRE2_SRC)

$(ZLIB_SRC)/.ceres-source:
	$(call say,FETCH,'zlib $(ZLIB_VERSION)')
	$(Q)tools/debsrc.sh zlib $(ZLIB_VERSION) $(ZLIB_SRC)

# The 8-bit library only, without JIT (nginx's pcre_jit stays off).
$(PCRE2_LIB): $(PCRE2_SRC)/.ceres-source | musl-gcc
	$(call say,MAKE,'libpcre2-8 $(PCRE2_VERSION) (musl-gcc)')
	$(Q)cd $(PCRE2_SRC) && ./configure CC=musl-gcc CFLAGS='$(NGINX_CFLAGS)' \
		LDFLAGS='$(NGINX_LDFLAGS)' --disable-shared --enable-static --disable-jit \
		$(call nginx_log,ceres-configure.log,pcre2 configure)
	+$(Q)$(MAKE) -s --no-print-directory -C $(PCRE2_SRC) libpcre2-8.la \
		$(call nginx_log,$(PCRE2_SRC)/ceres-build.log,pcre2 build)

$(ZLIB_LIB): $(ZLIB_SRC)/.ceres-source | musl-gcc
	$(call say,MAKE,'libz $(ZLIB_VERSION) (musl-gcc)')
	$(Q)cd $(ZLIB_SRC) && CC=musl-gcc CFLAGS='$(NGINX_CFLAGS)' ./configure --static \
		$(call nginx_log,ceres-configure.log,zlib configure)
	+$(Q)$(MAKE) -s --no-print-directory -C $(ZLIB_SRC) libz.a \
		$(call nginx_log,$(ZLIB_SRC)/ceres-build.log,zlib build)

# Paths for Ceres: the prefix is the root (the 9p share); the configuration
# nginx reads without -c is the image's own (/ceres/, docs/nginx.md); errors
# go to stderr and the access log to /dev/stdout, both the console; the pid
# file and request bodies go to /tmp. Left out: the modules that need what
# Debian's musl does not have (auth_basic: crypt()) and the proxying ones,
# whose temporary directories nginx would make in the share at start.
NGINX_CONFIGURE := --with-cc=musl-gcc \
	--with-cc-opt='$(NGINX_CFLAGS) -I$(abspath $(NGINX_SRC))/ceres-include \
		-I$(abspath $(PCRE2_SRC))/src -I$(abspath $(ZLIB_SRC))' \
	--with-ld-opt='$(NGINX_LDFLAGS) -L$(abspath $(PCRE2_SRC))/.libs -L$(abspath $(ZLIB_SRC))' \
	--user=nobody --group=nogroup --prefix=/ --sbin-path=/nginx \
	--conf-path=/ceres/nginx.conf --error-log-path=stderr --http-log-path=/dev/stdout \
	--pid-path=/tmp/nginx.pid --lock-path=/tmp/nginx.lock \
	--http-client-body-temp-path=/tmp/client_body_temp \
	--without-http_auth_basic_module --without-http_proxy_module \
	--without-http_fastcgi_module --without-http_uwsgi_module --without-http_scgi_module \
	--without-http_grpc_module --without-http_memcached_module

# The configure options as last used: rewritten (and nginx built again)
# only when this recipe changes them.
$(NGINX_SRC)/ceres-configure.args: $(NGINX_SRC)/.ceres-source FORCE
	$(Q)echo "$(NGINX_CONFIGURE)" | cmp -s - $@ || echo "$(NGINX_CONFIGURE)" >$@

# nginx's Linux configuration includes <crypt.h>, which Debian's musl-dev
# does not ship (its libc.a has no crypt()): an empty stand-in is enough
# without auth_basic. nginx's make builds the static Linux program (which
# proves the objects link); the object list is the prerequisites of
# objs/nginx in its generated objs/Makefile, read from make's own database.
$(NGINX_OBJ): $(NGINX_SRC)/.ceres-source $(NGINX_SRC)/ceres-configure.args $(PCRE2_LIB) \
		$(ZLIB_LIB) | musl-gcc
	$(call say,MAKE,'nginx $(NGINX_VERSION) (musl-gcc)')
	$(Q)mkdir -p $(NGINX_SRC)/ceres-include && \
		printf '/* Debian musl-dev has no crypt.h (apps/nginx/app.mk). */\n' \
		>$(NGINX_SRC)/ceres-include/crypt.h
	$(Q)cd $(NGINX_SRC) && ./configure $(NGINX_CONFIGURE) \
		$(call nginx_log,ceres-configure.log,nginx configure)
	+$(Q)$(MAKE) -s --no-print-directory -C $(NGINX_SRC) -f objs/Makefile \
		$(call nginx_log,$(NGINX_SRC)/ceres-build.log,nginx build)
	+$(Q)objs=$$($(MAKE) -pq --no-print-directory -C $(NGINX_SRC) -f objs/Makefile objs/nginx | \
		sed -n 's|^objs/nginx:||p') && [ -n "$$objs" ] && \
		cd $(NGINX_SRC) && $(LD) -r -o ceres-nginx.o $$objs

.PHONY: musl-gcc FORCE
FORCE:
musl-gcc:
	@command -v musl-gcc >/dev/null || { echo "nginx: musl-gcc is missing:" \
		"apt-get install musl-tools (make deps does it as root)" >&2; exit 1; }
