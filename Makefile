# sockview: see README.md.  `make deps all`, then `make check`.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := libmnl libnl-3.0 libnl-route-3.0 libuv

VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || cat VERSION 2>/dev/null || echo unknown)

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes -Werror
SV_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -DSV_VERSION='"$(VERSION)"' \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
SV_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

SRCS := $(wildcard src/*.c src/watch/*.c)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
HDRS := $(wildcard src/*.h src/watch/*.h)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)

OBJS := $(SRCS:src/%.c=build/%.o)
ASAN_OBJS := $(SRCS:src/%.c=build-asan/%.o)
ASAN_LIB_OBJS := $(LIB_SRCS:src/%.c=build-asan/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build-asan/tests/%)

.PHONY: all check unit integ deps clean install uninstall

all: sockview man/sockview.8

sockview: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(SV_LIBS)

build/%.o: src/%.c $(HDRS) | build
	@mkdir -p $(@D)
	$(CC) $(SV_CFLAGS) $(CFLAGS) -c -o $@ $<

build-asan/sockview: $(ASAN_OBJS)
	$(CC) -O1 -g $(SAN) -o $@ $(ASAN_OBJS) $(SV_LIBS)

build-asan/%.o: src/%.c $(HDRS) | build-asan
	@mkdir -p $(@D)
	$(CC) $(SV_CFLAGS) -O1 -g $(SAN) -c -o $@ $<

build-asan/tests/%: tests/unit/%.c $(ASAN_LIB_OBJS) $(HDRS) | build-asan/tests
	$(CC) $(SV_CFLAGS) -Isrc -O1 -g $(SAN) -o $@ $< $(ASAN_LIB_OBJS) \
		$(SV_LIBS) $(shell $(PKG_CONFIG) --libs cmocka)

build build-asan build-asan/tests:
	mkdir -p $@

# Every test: unit tests and integration tests, both under ASan+UBSan.
check: sockview man/sockview.8 build-asan/sockview $(UNIT_BINS)
	SOCKVIEW=$(CURDIR)/build-asan/sockview tests/run.sh $(UNIT_BINS)

# Build and test dependencies, Debian/Ubuntu or Fedora.
deps:
	@if command -v apt-get >/dev/null; then \
		$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) \
		apt-get install -y -qq build-essential pkg-config libmnl-dev \
			libnl-3-dev libnl-route-3-dev libuv1-dev libcmocka-dev \
			iproute2 jq python3 procps mandoc zsh fish; \
	elif command -v dnf >/dev/null; then \
		$(if $(filter 0,$(shell id -u)),,sudo) dnf install -y gcc make \
			pkgconf-pkg-config libmnl-devel libnl3-devel libuv-devel \
			libcmocka-devel iproute jq python3 procps-ng mandoc zsh fish; \
	else echo "make deps: no apt-get or dnf here; install libmnl, libnl-3, libnl-route-3, libuv and cmocka development files" >&2; exit 1; fi

install: sockview man/sockview.8
	install -D -m 0755 sockview $(DESTDIR)$(BINDIR)/sockview
	install -D -m 0644 man/sockview.8 $(DESTDIR)$(MANDIR)/man8/sockview.8
	install -D -m 0644 completions/sockview.bash $(DESTDIR)$(BASHCOMPDIR)/sockview
	install -D -m 0644 completions/_sockview $(DESTDIR)$(ZSHCOMPDIR)/_sockview
	install -D -m 0644 completions/sockview.fish $(DESTDIR)$(FISHCOMPDIR)/sockview.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/sockview $(DESTDIR)$(MANDIR)/man8/sockview.8 \
		$(DESTDIR)$(BASHCOMPDIR)/sockview $(DESTDIR)$(ZSHCOMPDIR)/_sockview \
		$(DESTDIR)$(FISHCOMPDIR)/sockview.fish

clean:
	rm -rf build build-asan sockview man/sockview.8

# The man page's field list comes from the field table.
man/sockview.8: man/sockview.8.in src/fields.c sockview
	./sockview fields --roff > build/fields.roff
	sed -e 's/@VERSION@/$(VERSION)/' -e "s/@DATE@/$$(date -u -d @$$(git log -1 --format=%ct 2>/dev/null || date +%s) +%Y-%m-%d)/" \
		-e '/^@FIELDS@$$/{r build/fields.roff' -e 'd}' man/sockview.8.in > $@

# Speed against ss and the kernel's floor on 120,000 sockets (root; a few
# minutes).  bench-smoke: the same on 1,000 connections, in seconds.
.PHONY: bench bench-smoke
bench: sockview
	bench/run.sh

bench-smoke: sockview
	BENCH_CONNS=1000 BENCH_ROUNDS=1 BENCH_JSON=build/bench-smoke.json bench/run.sh
