#!/usr/bin/env bash
# Runs every test: the unit test binaries given as arguments, then the
# integration suite against $SOCKVIEW.  Ends with one "N passed, N failed"
# line and a non-zero status if anything failed.
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0

for t in "$@"; do
	out=$("$t" 2>&1); rc=$?
	printf '%s\n' "$out" | grep -E '^\[  (PASSED|FAILED|  OK|SKIPPED) |^\[==========\]' | sed "s|^|$(basename "$t"): |"
	p=$(printf '%s\n' "$out" | grep -c '^\[       OK \]')
	f=$(printf '%s\n' "$out" | grep -c '^\[  FAILED  \] [a-z_]')
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		printf '%s\n' "$out" | tail -20
		f=1
	fi
	passed=$((passed + p)); failed=$((failed + f))
done

if [ -x tests/integ/run.sh ]; then
	out=$(tests/integ/run.sh 2>&1); rc=$?
	printf '%s\n' "$out"
	last=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
	if [ -n "$last" ]; then
		p=${last%% passed*}
		f=${last#*passed, }; f=${f%% failed*}
		s=0
		case "$last" in *skipped*) s=${last#*failed, }; s=${s%% skipped*} ;; esac
		passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	fi
	if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
fi

printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
[ "$failed" = 0 ]
