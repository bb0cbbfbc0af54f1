#!/usr/bin/env bash
# Runs the tests named as arguments, in order: unit test binaries
# (build-asan/tests/*) and suites (tests/*.sh, each printing its own
# "N passed, N failed[, N skipped]" last).  `make unit`, `make integ`,
# `make lint`, `make test` and `make check` call it.  Ends with one
# "N passed, N failed, N skipped" line and a non-zero status if
# anything failed.
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0

unit_test() {
	t=$1
	out=$("$t" 2>&1); rc=$?
	printf '%s\n' "$out" | grep -E '^\[  (PASSED|FAILED|  OK|SKIPPED) |^\[==========\]' | sed "s|^|$(basename "$t"): |"
	p=$(printf '%s\n' "$out" | grep -c '^\[       OK \]')
	# cmocka names a failed or skipped test twice: when it runs and in
	# the summary; a skipped unit test is counted, not lost
	f=$(printf '%s\n' "$out" | grep '^\[  FAILED  \] [a-z_]' | sort -u | wc -l)
	s=$(printf '%s\n' "$out" | grep '^\[  SKIPPED \] [a-z_]' | sort -u | wc -l)
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		printf '%s\n' "$out" | tail -20
		f=1
	fi
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

suite() {
	suite=$1
	[ -x "$suite" ] || { echo "missing test suite $suite"; failed=$((failed + 1)); return; }
	out=$("$suite" 2>&1); rc=$?
	printf '%s\n' "$out"
	last=$(printf '%s\n' "$out" | grep -oE '[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?' | tail -1)
	p=0 f=0 s=0
	if [ -n "$last" ]; then
		p=${last%% passed*}
		f=${last#*passed, }; f=${f%% failed*}
		case "$last" in *skipped*) s=${last#*failed, }; s=${s%% skipped*} ;; esac
	fi
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

for t in "$@"; do
	case $t in
	*.sh) suite "$t" ;;
	*) unit_test "$t" ;;
	esac
done

printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
[ "$failed" = 0 ]
