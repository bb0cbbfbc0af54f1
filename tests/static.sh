#!/usr/bin/env bash
# Static analysis of src/ and tools/: cppcheck with the options in
# .cppcheck and clang-tidy with .clang-tidy.  Any finding fails.  Prints
# "static: N passed, N failed[, N skipped]" last, as the other suites do.
#
# Results are kept in build/static-cache (STATIC_CACHE; empty: none), so
# a second run analyses only what changed: cppcheck through its own
# build directory, clang-tidy per file, keyed by the file's preprocessed
# text with its comments (NOLINT), its path, the flags, .clang-tidy and
# the clang-tidy version.  Only a clean file's key is kept: a finding is
# reported on every run.
set -u
cd "$(dirname "$0")/.."
pass=0 fail=0 skip=0
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
CLANG_TIDY=${CLANG_TIDY:-$(command -v clang-tidy-14 || command -v clang-tidy || true)}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
CACHE=${STATIC_CACHE-build/static-cache}
[ -z "$CACHE" ] || mkdir -p "$CACHE/cppcheck" "$CACHE/tidy" || CACHE=

if command -v cppcheck >/dev/null; then
	mapfile -t opts < <(sed -e 's/[[:space:]]*#.*//' -e '/^$/d' .cppcheck)
	[ -n "$CACHE" ] && opts+=("--cppcheck-build-dir=$CACHE/cppcheck")
	if cppcheck -q "${opts[@]}" \
		--template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
		src tools >"$out/cppcheck" 2>&1; then
		echo "ok cppcheck: src/ tools/ clean"
		pass=$((pass + 1))
	else
		cat "$out/cppcheck"
		echo "FAIL cppcheck: $(grep -c '\[[A-Za-z0-9_]*\]$' "$out/cppcheck") finding(s)"
		fail=$((fail + 1))
	fi
else
	echo "skip cppcheck: not installed"
	skip=$((skip + 1))
fi

if [ -n "$CLANG_TIDY" ]; then
	cflags="-std=gnu11 -D_GNU_SOURCE -DSV_VERSION=\"sockview\" -Isrc $($PKG_CONFIG --cflags libmnl libnl-3.0 libnl-route-3.0 libuv 2>/dev/null)"
	# one file per run, JOBS at a time; each writes its own report
	tidy_one() {
		local r="$OUT/$(echo "$1" | tr / _).txt" key=
		if [ -n "$CACHE" ]; then
			# shellcheck disable=SC2086
			key=$({ echo "$1 $CFLAGS $TIDY_VERSION"; cat .clang-tidy
				cc -E -C $CFLAGS "$1" 2>&1; } | sha256sum | cut -c1-64)
			[ -e "$CACHE/tidy/$key" ] && return
		fi
		# shellcheck disable=SC2086
		if "$CLANG_TIDY" --quiet "$1" -- $CFLAGS >"$r" 2>&1; then
			[ -z "$key" ] || : >"$CACHE/tidy/$key"
		else
			touch "$r.failed"
		fi
	}
	export -f tidy_one
	TIDY_VERSION=$("$CLANG_TIDY" --version 2>&1 | tr '\n' ' ')
	export OUT="$out" CLANG_TIDY CFLAGS="$cflags" CACHE TIDY_VERSION
	find src tools -name '*.c' | sort | xargs -P "$JOBS" -n 1 bash -c 'tidy_one "$1"' _
	if ls "$out"/*.failed >/dev/null 2>&1; then
		# the same finding in a header shows once per file including it
		grep -hE '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$out"/*.txt | sort -u
		n=$(grep -hE '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$out"/*.txt | sort -u | wc -l)
		if [ "$n" = 0 ]; then
			cat "$out"/*.txt
		fi
		echo "FAIL clang-tidy: $n finding(s)"
		fail=$((fail + 1))
	else
		echo "ok clang-tidy: src/ tools/ clean"
		pass=$((pass + 1))
	fi
else
	echo "skip clang-tidy: not installed"
	skip=$((skip + 1))
fi

echo "static: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
