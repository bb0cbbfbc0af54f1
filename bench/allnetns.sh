#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --all-netns against the floor: N namespaces of about M TCP sockets each,
# made in a private mount, pid and network namespace (its /proc and
# /run/netns show only them), then `sockview list -ta --all-netns` timed
# against the sum of N single-namespace floors (bench/floor under
# nsenter) and of N `sockview list -ta --netns NAME` runs.
#
#   BENCH_NS=50 BENCH_SOCKS=1000 BENCH_ROUNDS=5 bench/allnetns.sh   # the issue's size
#   BENCH_NS=10 BENCH_SOCKS=200 BENCH_ROUNDS=3 bench/allnetns.sh    # small
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 1; }
[ -x "${SOCKVIEW:-./sockview}" ] || { echo "bench: build sockview first" >&2; exit 1; }
mkdir -p bench/build
for prog in floor timeit; do
	if [ ! -x "bench/build/$prog" ] || [ "bench/$prog.c" -nt "bench/build/$prog" ]; then
		${CC:-cc} -O2 -Wall -Wextra -o "bench/build/$prog" "bench/$prog.c"
	fi
done
exec unshare --mount --net --pid --fork --mount-proc -- \
	/usr/bin/python3 bench/allnetns.py
