#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# sockview benchmark (`make bench`): builds bench/*.c, then runs
# bench/run.py inside a private network namespace that disappears with it.
#
#   BENCH_CONNS=60000 BENCH_ROUNDS=7 bench/run.sh     # the full run
#   BENCH_CONNS=1000 BENCH_ROUNDS=1 bench/run.sh      # a few seconds
#
# See bench/README.md for every knob.
set -eu
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (a private network namespace, 120,000 sockets)" >&2
	exit 1
fi
for tool in cc unshare ip ss /usr/bin/python3; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
done
[ -x "${SOCKVIEW:-./sockview}" ] || { echo "bench: ${SOCKVIEW:-./sockview} not built: run make" >&2; exit 1; }
command -v netstat >/dev/null ||
	echo "bench: netstat not found (apt-get install net-tools): its row is left out" >&2

mkdir -p bench/build
for prog in floor procfloor holder timeit httpd; do
	libs=
	[ "$prog" = httpd ] && libs=$(pkg-config --cflags --libs libuv)
	[ "$prog" = floor ] && libs=-pthread
	if [ ! -x "bench/build/$prog" ] || [ "bench/$prog.c" -nt "bench/build/$prog" ]; then
		# shellcheck disable=SC2086
		${CC:-cc} -O2 -Wall -Wextra -o "bench/build/$prog" "bench/$prog.c" $libs
	fi
done

# Everything below, holders and timed commands alike, lives in the new
# namespace; when run.py exits, its holders exit and the namespace goes.
exec unshare --net -- /usr/bin/python3 bench/run.py
