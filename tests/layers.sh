#!/bin/sh
# Includes point down the layers only:
#   core <- sys <- filter, out <- list, watch <- serve <- src/*.c (main)
# A file may include its own folder's headers and any lower layer's;
# filter and out are siblings, as are list and watch: neither includes
# the other.
cd "$(dirname "$0")/.." || exit 1

rank() {
	case "$1" in
	core) echo 0 ;; sys) echo 1 ;; filter | out) echo 2 ;;
	list | watch) echo 3 ;; serve) echo 4 ;; .) echo 5 ;; *) echo 99 ;;
	esac
}

fail=0
n=0
for f in src/*.[ch] src/*/*.[ch]; do
	dir=$(dirname "${f#src/}")
	own=$(rank "$dir")
	if [ "$own" = 99 ]; then
		echo "not ok layers: $f is in no known layer"
		fail=1
		continue
	fi
	for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
		n=$((n + 1))
		case "$inc" in
		*/*) idir=${inc%%/*} ;;
		*) idir=. ;;
		esac
		[ "$idir" = "$dir" ] && continue
		r=$(rank "$idir")
		if [ "$r" -ge "$own" ]; then
			echo "not ok layers: $f includes $inc (layer $idir is not below $dir)"
			fail=1
		fi
	done
done
[ "$n" -gt 0 ] || { echo "not ok layers: no include found"; exit 1; }
if [ "$fail" = 0 ]; then
	echo "ok layers: $n includes point down"
	echo "layers: 1 passed, 0 failed"
else
	echo "layers: 0 passed, 1 failed"
fi
exit "$fail"
