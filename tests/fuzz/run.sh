#!/usr/bin/env bash
# Replays the fuzz corpora and every regression input through the fuzz
# targets built without libFuzzer (build-asan/fuzz/replay_*, ASan+UBSan),
# and the saved captures of regressions/load through
# `$SOCKVIEW list --load`.  Prints "fuzz: N passed, N failed" last.
set -u
cd "$(dirname "$0")/../.."
SOCKVIEW=${SOCKVIEW:-build-asan/sockview}
pass=0 fail=0

for t in diag filter; do
	bin=build-asan/fuzz/replay_$t
	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz $t: $bin not built (make $bin)"
		fail=$((fail + 1))
		continue
	fi
	for dir in tests/fuzz/corpus/$t tests/fuzz/regressions/$t; do
		[ -d "$dir" ] || continue
		n=$(find "$dir" -maxdepth 1 -type f | wc -l)
		if out=$("$bin" "$dir" 2>&1); then
			echo "ok fuzz $t: $n inputs of $dir"
			pass=$((pass + 1))
		else
			printf '%s\n' "$out" | grep -v '^replay: tests/' | tail -40
			echo "FAIL fuzz $t: $dir, last input: $(printf '%s\n' "$out" | grep '^replay: tests/' | tail -1 | cut -d' ' -f2)"
			fail=$((fail + 1))
		fi
	done
done

# A capture is untrusted input to `list --load`: none may crash it or
# reach undefined behaviour, with or without its process records (-p),
# as a table or as JSON.  UBSan reports "runtime error" and exits 1, the
# same status as a refused capture, so the report is what tells.
for f in tests/fuzz/regressions/load/*; do
	[ -f "$f" ] || continue
	for opts in "-tuwxa" "-tuwxap" "-tuwxap --json"; do
		# shellcheck disable=SC2086
		out=$("$SOCKVIEW" list $opts --load "$f" 2>&1 >/dev/null)
		rc=$?
		if [ "$rc" -ge 128 ] || printf '%s' "$out" |
			grep -qE 'Sanitizer|runtime error'; then
			printf '%s\n' "$out" | head -20
			echo "FAIL fuzz load: $opts $f (status $rc)"
			fail=$((fail + 1))
		else
			echo "ok fuzz load: $opts $f (status $rc)"
			pass=$((pass + 1))
		fi
	done
done

echo "fuzz: $pass passed, $fail failed"
[ "$fail" = 0 ]
