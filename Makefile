# sockview: see README.md.  `sh deps.sh && make`, then `make check`.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := libmnl libnl-3.0 libnl-route-3.0 libuv libmicrohttpd
# libmicrohttpd's header only: serve loads the library itself
# (src/serve/mhd.h says why)
LINK_PKGS := $(filter-out libmicrohttpd,$(PKGS))

# From git where this is a checkout, from VERSION in a release tarball.
VERSION := $(shell if [ -e .git ]; then git describe --tags --always --dirty 2>/dev/null; \
	else cat VERSION 2>/dev/null; fi || echo unknown)

# CPPFLAGS, CFLAGS and LDFLAGS are the packager's; ours come first so
# that theirs win.  Warnings are errors only where we choose the
# compiler: the sanitizer builds of `make check` and CI (WERROR=1).  A
# packager's newer compiler must not break `make`.
CFLAGS ?= -O2 -g
WERROR ?=
WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
SV_CPPFLAGS := -D_GNU_SOURCE -Isrc -MMD -MP
SV_CFLAGS := -std=gnu11 $(WARN) $(if $(filter 1,$(WERROR)),-Werror)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_CFLAGS := -std=gnu11 $(WARN) -Werror -O1 -g $(SAN)

# pkg-config runs when the first recipe needs it, not when this file is
# read: `make deps all` installs the libraries, then compiles with them.
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(shell $$(PKG_CONFIG) --cflags $$(PKGS)))$(PKG_CFLAGS)
PKG_LIBS = $(eval PKG_LIBS := $$(shell $$(PKG_CONFIG) --libs $$(LINK_PKGS)))$(PKG_LIBS)
CMOCKA_LIBS = $(eval CMOCKA_LIBS := $$(shell $$(PKG_CONFIG) --libs cmocka))$(CMOCKA_LIBS)

SRCS := $(wildcard src/*.c src/*/*.c)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
COMMON_SRCS := $(wildcard tests/common/*.c)

OBJS := $(SRCS:src/%.c=build/%.o)
ASAN_OBJS := $(SRCS:src/%.c=build-asan/%.o)
ASAN_LIB_OBJS := $(LIB_SRCS:src/%.c=build-asan/%.o)
ASAN_COMMON_OBJS := $(COMMON_SRCS:tests/common/%.c=build-asan/common/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build-asan/tests/%)
FUZZ_TARGETS := diag filter
FUZZ_REPLAY := $(FUZZ_TARGETS:%=build-asan/fuzz/replay_%)
GENDOCS := build-asan/gendocs

.PHONY: all check test unit integ lint deps clean install uninstall dist
.PHONY: fuzz fuzz-build fuzz-diag fuzz-filter fuzz-merge fuzz-replay static valgrind
.PHONY: fresh-check

all: sockview man/sockview.8

# `make deps all`: the packages are installed before anything compiles,
# whatever -j says.
ifneq ($(filter deps,$(MAKECMDGOALS)),)
.NOTPARALLEL:
endif

sockview: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(PKG_LIBS)

build/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(SV_CPPFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(SV_CFLAGS) $(CFLAGS) -c -o $@ $<

# Only main.c knows the version: a new commit rebuilds one file.
build/main.o build-asan/main.o: SV_CPPFLAGS += -DSV_VERSION='"$(VERSION)"'
build/main.o build-asan/main.o: build/version.stamp
build/version.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(VERSION)' | cmp -s - $@ || { echo '$(VERSION)' > $@.tmp && mv $@.tmp $@; }
.PHONY: FORCE

# ---- The sanitizer build the tests run (ASan+UBSan, warnings are errors) ----
UNIT_OBJS := $(UNIT_BINS:build-asan/tests/%=build-asan/unit/%.o)
REPLAY_OBJS := build-asan/fuzz/replay.o $(FUZZ_TARGETS:%=build-asan/fuzz/fuzz_%.o)

build-asan/sockview: $(ASAN_OBJS)
	$(CC) $(SAN_CFLAGS) $(LDFLAGS) -o $@ $(ASAN_OBJS) $(PKG_LIBS)

build-asan/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(SV_CPPFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(SAN_CFLAGS) -c -o $@ $<

# The unit tests find tests/fixtures from any working directory.
$(UNIT_OBJS): SV_CPPFLAGS += -DSV_FIXTURES='"$(CURDIR)/tests/fixtures"'
$(UNIT_OBJS): build-asan/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(SV_CPPFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(SAN_CFLAGS) -c -o $@ $<

$(ASAN_COMMON_OBJS): build-asan/common/%.o: tests/common/%.c
	@mkdir -p $(@D)
	$(CC) $(SV_CPPFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(SAN_CFLAGS) -c -o $@ $<

$(UNIT_BINS): build-asan/tests/%: build-asan/unit/%.o $(ASAN_COMMON_OBJS) $(ASAN_LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(LDFLAGS) -o $@ $< $(ASAN_COMMON_OBJS) $(ASAN_LIB_OBJS) \
		$(PKG_LIBS) $(CMOCKA_LIBS)

# ---- Tests ----
# make unit, make integ, make lint (the static analysers and the layer
# check), make test (everything but lint) and make check (everything).
# tests/run.sh ends with one "N passed, N failed, N skipped" line.
TEST_SUITES := tests/docs.sh tests/install.sh tests/integ/run.sh \
	tests/fuzz/run.sh tests/valgrind.sh
LINT_SUITES := tests/layers.sh tests/static.sh
TEST_BUILD := sockview man/sockview.8 build-asan/sockview $(UNIT_BINS) $(FUZZ_REPLAY) \
	$(GENDOCS)
RUN_TESTS = MAKE='$(MAKE)' SOCKVIEW=$(CURDIR)/build-asan/sockview \
	GENDOCS=$(CURDIR)/$(GENDOCS) tests/run.sh

check: $(TEST_BUILD)
	$(RUN_TESTS) $(UNIT_BINS) $(TEST_SUITES) $(LINT_SUITES)

test: $(TEST_BUILD)
	$(RUN_TESTS) $(UNIT_BINS) $(TEST_SUITES)

unit: $(UNIT_BINS)
	$(RUN_TESTS) $(UNIT_BINS)

integ: build-asan/sockview
	$(RUN_TESTS) tests/integ/run.sh

lint:
	$(RUN_TESTS) $(LINT_SUITES)

# The README's quick start, as written there, in a fresh Debian 12 root
# that has only git (root; debootstrap; FRESH_REV picks the commit).
fresh-check:
	tests/fresh-check.sh $(FRESH_REV)

# ---- Fuzzing (tests/fuzz/README) ----
# `make fuzz` runs each libFuzzer target for FUZZ_SECONDS; new inputs go
# to build-fuzz/corpus-*, crashes to build-fuzz/crash-*.  The checked-in
# seeds and regressions are read, never written.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS ?=
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 $(WARN) -Werror -O1 -g $(FUZZ_SAN)
FUZZ_LIB_OBJS := $(LIB_SRCS:src/%.c=build-fuzz/%.o)
FUZZ_COMMON_OBJS := $(COMMON_SRCS:tests/common/%.c=build-fuzz/common/%.o)
FUZZ_OBJS := $(FUZZ_TARGETS:%=build-fuzz/fuzz/fuzz_%.o)
FUZZ_BINS := $(FUZZ_TARGETS:%=build-fuzz/fuzz_%)

build-fuzz/%.o: src/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(SV_CPPFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_COMMON_OBJS): build-fuzz/common/%.o: tests/common/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(SV_CPPFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_OBJS): build-fuzz/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(SV_CPPFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

# Archives: a target links only the objects it uses.
build-fuzz/libsv.a: $(FUZZ_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

build-asan/libsv.a: $(ASAN_LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BINS): build-fuzz/fuzz_%: build-fuzz/fuzz/fuzz_%.o $(FUZZ_COMMON_OBJS) build-fuzz/libsv.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< \
		$(FUZZ_COMMON_OBJS) build-fuzz/libsv.a $(PKG_LIBS)

# The same targets without libFuzzer: tests/fuzz/replay.c runs each file
# once, under ASan+UBSan, with $(CC).
$(REPLAY_OBJS): build-asan/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(@D)
	$(CC) $(SV_CPPFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(SAN_CFLAGS) -c -o $@ $<

$(FUZZ_REPLAY): build-asan/fuzz/replay_%: build-asan/fuzz/fuzz_%.o build-asan/fuzz/replay.o $(ASAN_COMMON_OBJS) build-asan/libsv.a
	$(CC) $(SAN_CFLAGS) $(LDFLAGS) -o $@ $< build-asan/fuzz/replay.o \
		$(ASAN_COMMON_OBJS) build-asan/libsv.a $(PKG_LIBS)

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

# Build and test dependencies, Debian/Ubuntu or Fedora (deps.sh).
deps:
	sh deps.sh

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

# What the option and field tables generate, kept in the tree: `make docs`
# writes it (tools/gendocs.c, built as the tests are); `make check`
# (tests/docs.sh) fails, naming the file, while any of it is stale.
GENDOCS_MAN := man/options.roff man/fields.roff

# The man page's OPTIONS and FIELDS are spliced in from those files:
# building it runs nothing just compiled, so a cross build makes it too.
# Its date is SOURCE_DATE_EPOCH's, else the last commit's: rebuilding it
# gives the same bytes.  Written whole or not at all.
man/sockview.8: man/sockview.8.in $(GENDOCS_MAN)
	epoch=$${SOURCE_DATE_EPOCH:-$$( [ -e .git ] && git log -1 --format=%ct 2>/dev/null || date +%s)} && \
	sed -e 's/@VERSION@/$(VERSION)/' -e "s/@DATE@/$$(date -u -d @$$epoch +%Y-%m-%d)/" \
		-e '/^@OPTIONS@$$/{r man/options.roff' -e 'd}' \
		-e '/^@FIELDS@$$/{r man/fields.roff' -e 'd}' man/sockview.8.in > $@.tmp
	mv $@.tmp $@

.PHONY: docs
docs: $(GENDOCS)
	$(GENDOCS) .

build-asan/tools/gendocs.o: tools/gendocs.c
	@mkdir -p $(@D)
	$(CC) $(SV_CPPFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(SAN_CFLAGS) -c -o $@ $<

$(GENDOCS): build-asan/tools/gendocs.o build-asan/libsv.a
	$(CC) $(SAN_CFLAGS) $(LDFLAGS) -o $@ $< build-asan/libsv.a $(PKG_LIBS)

# Speed against ss and the kernel's floor on 120,000 sockets (root; a few
# minutes), metrics beside list there, then --all-netns on 50 namespaces
# of 1,000 sockets against 50 floors.  bench-smoke: the same, small.
.PHONY: bench bench-smoke
bench: sockview
	bench/run.sh
	BENCH_NS=50 BENCH_SOCKS=1000 BENCH_ROUNDS=3 \
		BENCH_JSON=bench/results-allnetns.json bench/allnetns.sh

bench-smoke: sockview
	BENCH_CONNS=1000 BENCH_ROUNDS=1 BENCH_JSON=build/bench-smoke.json bench/run.sh
	BENCH_NS=5 BENCH_SOCKS=100 BENCH_ROUNDS=1 \
		BENCH_JSON=build/bench-smoke-allnetns.json bench/allnetns.sh

# Header dependencies, written by the compiler (-MMD -MP).
-include $(OBJS:.o=.d) $(ASAN_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) \
	$(ASAN_COMMON_OBJS:.o=.d) $(REPLAY_OBJS:.o=.d) $(FUZZ_LIB_OBJS:.o=.d) \
	$(FUZZ_COMMON_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d) build-asan/tools/gendocs.d
