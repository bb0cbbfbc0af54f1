#!/usr/bin/env bash
# Runs the tests named as arguments: unit test binaries
# (build-asan/tests/*) and suites (tests/*.sh, each printing its own
# "N passed, N failed[, N skipped]" last).  `make unit`, `make integ`,
# `make lint`, `make test` and `make check` call it.
#
# The integration tests run alongside the others (SV_TEST_SERIAL=1: all
# one after another): they mostly wait on sockets and timers while the
# others compile and analyse.  The others run one after another at the
# lowest priority (nice 19), so that the integration tests' timing
# stays as if alone.  Each one's output is printed whole, in the order
# given, then how long each took, then one "N passed, N failed,
# N skipped" line; the status is non-zero if anything failed.
set -u
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# unit_test BIN: prints cmocka's lines and "passed failed skipped" to fd 3
unit_test() {
	local t=$1 out rc p f s
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
	echo "$p $f $s" >&3
}

# suite SCRIPT: prints its output and "passed failed skipped" to fd 3
suite() {
	local suite=$1 out rc last p=0 f=0 s=0
	if [ ! -x "$suite" ]; then
		echo "missing test suite $suite"
		echo "0 1 0" >&3
		return
	fi
	out=$("$suite" 2>&1); rc=$?
	printf '%s\n' "$out"
	last=$(printf '%s\n' "$out" | grep -oE '[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?' | tail -1)
	if [ -n "$last" ]; then
		p=${last%% passed*}
		f=${last#*passed, }; f=${f%% failed*}
		case "$last" in *skipped*) s=${last#*failed, }; s=${s%% skipped*} ;; esac
	fi
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
	echo "$p $f $s" >&3
}

# run_one N TEST: output to $tmp/N.out, counts to $tmp/N.res, and the
# milliseconds it took to $tmp/N.ms
run_one() {
	local t0=${EPOCHREALTIME/./}
	case $2 in
	*.sh) suite "$2" >"$tmp/$1.out" 2>&1 3>"$tmp/$1.res" ;;
	*) unit_test "$2" >"$tmp/$1.out" 2>&1 3>"$tmp/$1.res" ;;
	esac
	echo $(((${EPOCHREALTIME/./} - t0) / 1000)) >"$tmp/$1.ms"
}

# the rest, one after another
rest() {
	local n=0 t
	for t in "$@"; do
		n=$((n + 1))
		[ "$t" = tests/integ/run.sh ] || run_one "$n" "$t"
	done
}

n=0 integ=
for t in "$@"; do
	n=$((n + 1))
	[ "$t" = tests/integ/run.sh ] && integ=$n
done
if [ "${SV_TEST_SERIAL:-0}" = 1 ] || [ -z "$integ" ]; then
	rest "$@"
	[ -n "$integ" ] && run_one "$integ" tests/integ/run.sh
else
	run_one "$integ" tests/integ/run.sh &
	(renice -n 19 -p "$BASHPID" >/dev/null; rest "$@") &
	wait
fi

passed=0 failed=0 skipped=0 times=
n=0
for t in "$@"; do
	n=$((n + 1))
	cat "$tmp/$n.out"
	read -r p f s <"$tmp/$n.res" 2>/dev/null || { p=0 f=1 s=0; echo "$t: no result"; }
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	ms=$(cat "$tmp/$n.ms" 2>/dev/null || echo 0)
	times="$times$(printf '%4d.%d s  %s' $((ms / 1000)) $((ms % 1000 / 100)) "$t")
"
done
[ $# -gt 1 ] && printf 'time:\n%s' "$times"
printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
[ "$failed" = 0 ]
