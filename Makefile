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

# From git where this is a checkout, from VERSION in a release tarball.
VERSION := $(shell if [ -e .git ]; then git describe --tags --always --dirty 2>/dev/null; \
	else cat VERSION 2>/dev/null; fi || echo unknown)

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes -Werror
SV_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -Isrc \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
SV_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

SRCS := $(wildcard src/*.c src/*/*.c)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
HDRS := $(wildcard src/*.h src/*/*.h)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)

OBJS := $(SRCS:src/%.c=build/%.o)
ASAN_OBJS := $(SRCS:src/%.c=build-asan/%.o)
ASAN_LIB_OBJS := $(LIB_SRCS:src/%.c=build-asan/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build-asan/tests/%)
FUZZ_TARGETS := diag filter
FUZZ_REPLAY := $(FUZZ_TARGETS:%=build-asan/fuzz/replay_%)

.PHONY: all check unit integ deps clean install uninstall dist
.PHONY: fuzz fuzz-build fuzz-diag fuzz-filter fuzz-merge fuzz-replay static valgrind

all: sockview man/sockview.8

sockview: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(SV_LIBS)

build/%.o: src/%.c $(HDRS) | build
	@mkdir -p $(@D)
	$(CC) $(SV_CFLAGS) $(CFLAGS) -c -o $@ $<

# Only main.c knows the version: a new commit rebuilds one file.
build/main.o build-asan/main.o: SV_CFLAGS += -DSV_VERSION='"$(VERSION)"'
build/main.o build-asan/main.o: build/version.stamp
build/version.stamp: FORCE | build
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
.PHONY: FORCE

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

# Every test: unit tests and integration tests, both under ASan+UBSan,
# the fuzz corpora replayed, valgrind on the default build, then the
# static analysers.
check: sockview man/sockview.8 build-asan/sockview $(UNIT_BINS) $(FUZZ_REPLAY)
	SOCKVIEW=$(CURDIR)/build-asan/sockview tests/run.sh $(UNIT_BINS)

# ---- Fuzzing (tests/fuzz/README) ----
# `make fuzz` runs each libFuzzer target for FUZZ_SECONDS; new inputs go
# to build-fuzz/corpus-*, crashes to build-fuzz/crash-*.  The checked-in
# seeds and regressions are read, never written.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS ?=
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_LIB_OBJS := $(LIB_SRCS:src/%.c=build-fuzz/%.o)
FUZZ_BINS := $(FUZZ_TARGETS:%=build-fuzz/fuzz_%)

build-fuzz/%.o: src/%.c $(HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(SV_CFLAGS) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

# Archives: a target links only the objects it uses.
build-fuzz/libsv.a: $(FUZZ_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

build-asan/libsv.a: $(ASAN_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c build-fuzz/libsv.a $(HDRS)
	$(FUZZ_CC) $(SV_CFLAGS) -Isrc -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer \
		-o $@ $< build-fuzz/libsv.a $(SV_LIBS)

# The same targets without libFuzzer: tests/fuzz/replay.c runs each file
# once, under ASan+UBSan, with $(CC).
build-asan/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c build-asan/libsv.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(SV_CFLAGS) -Isrc -O1 -g $(SAN) -o $@ $< tests/fuzz/replay.c \
		build-asan/libsv.a $(SV_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-diag fuzz-filter

fuzz-diag fuzz-filter: fuzz-%: build-fuzz/fuzz_%
	@mkdir -p build-fuzz/corpus-$*
	build-fuzz/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix=build-fuzz/crash-$*- \
		$(if $(wildcard tests/fuzz/$*.dict),-dict=tests/fuzz/$*.dict) \
		$(FUZZ_FLAGS) build-fuzz/corpus-$* tests/fuzz/corpus/$* \
		$(wildcard tests/fuzz/regressions/$*)

# Folds what `make fuzz` found into the checked-in corpus: only inputs
# that add coverage are copied.
fuzz-merge: $(FUZZ_BINS)
	for t in $(FUZZ_TARGETS); do \
		build-fuzz/fuzz_$$t -merge=1 tests/fuzz/corpus/$$t \
			build-fuzz/corpus-$$t || exit 1; \
	done

fuzz-replay: $(FUZZ_REPLAY) build-asan/sockview
	tests/fuzz/run.sh

# ---- Static analysis and valgrind (also run by `make check`) ----
static:
	tests/static.sh

valgrind: sockview
	tests/valgrind.sh

# Build and test dependencies, Debian/Ubuntu or Fedora.
deps:
	@if command -v apt-get >/dev/null; then \
		$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) \
		apt-get install -y -qq build-essential pkg-config libmnl-dev \
			libnl-3-dev libnl-route-3-dev libuv1-dev libcmocka-dev \
			iproute2 jq python3 procps util-linux mandoc zsh fish \
			nodejs valgrind cppcheck clang-tidy clang libclang-rt-dev \
			net-tools prometheus; \
	elif command -v dnf >/dev/null; then \
		$(if $(filter 0,$(shell id -u)),,sudo) dnf install -y gcc make \
			pkgconf-pkg-config libmnl-devel libnl3-devel libuv-devel \
			libcmocka-devel iproute jq python3 procps-ng util-linux \
			mandoc zsh fish nodejs valgrind cppcheck clang-tools-extra \
			clang compiler-rt net-tools; \
	else echo "make deps: no apt-get or dnf here; install libmnl, libnl-3, libnl-route-3, libuv and cmocka development files" >&2; exit 1; fi

# A release tarball of what is committed, with its VERSION, that builds
# without git.
DISTDIR ?= .
dist:
	rm -rf build/dist && mkdir -p build/dist/sockview-$(VERSION)
	git archive --format=tar HEAD | tar -x -C build/dist/sockview-$(VERSION)
	echo '$(VERSION)' > build/dist/sockview-$(VERSION)/VERSION
	tar -C build/dist -czf $(DISTDIR)/sockview-$(VERSION).tar.gz sockview-$(VERSION)
	rm -rf build/dist

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
	rm -rf build build-asan build-fuzz sockview man/sockview.8

# The man page's field list comes from the field table.
man/sockview.8: man/sockview.8.in src/core/fields.c sockview
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
