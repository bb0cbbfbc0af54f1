#!/usr/bin/env bash
# make install / uninstall into a temporary DESTDIR, honouring PREFIX,
# BINDIR and MANDIR; make dist builds a tarball that builds on its own.
# Prints one "N passed, N failed" line.
set -u
cd "$(dirname "$0")/.."
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the make that runs us (make check sets MAKE), else the first in PATH
MAKE=${MAKE:-make}

d=$tmp/root
if $MAKE -s install DESTDIR="$d" PREFIX=/usr >"$tmp/log" 2>&1; then
	ok "make install DESTDIR PREFIX=/usr"
else
	bad "make install: $(tail -3 "$tmp/log")"
fi
for f in usr/bin/sockview usr/share/man/man8/sockview.8 \
	usr/share/bash-completion/completions/sockview \
	usr/share/zsh/site-functions/_sockview \
	usr/share/fish/vendor_completions.d/sockview.fish; do
	[ -f "$d/$f" ] && ok "installed $f" || bad "missing $f"
done
[ -x "$d/usr/bin/sockview" ] && ok "binary is executable" || bad "binary not executable"
want=$(./sockview --version)
got=$("$d/usr/bin/sockview" --version 2>&1)
[ "$got" = "$want" ] && ok "installed binary runs: $got" || bad "installed binary says '$got', want '$want'"
extra=$(cd "$d" && find . -type f | grep -v -e usr/bin/sockview -e sockview.8 -e completions/sockview -e _sockview -e sockview.fish)
[ -z "$extra" ] && ok "nothing else installed" || bad "unexpected files: $extra"

$MAKE -s uninstall DESTDIR="$d" PREFIX=/usr >"$tmp/log" 2>&1 || bad "make uninstall failed"
left=$(find "$d" -type f)
[ -z "$left" ] && ok "make uninstall removes every file" || bad "left after uninstall: $left"

d2=$tmp/root2
$MAKE -s install DESTDIR="$d2" BINDIR=/opt/sv/bin MANDIR=/opt/sv/man >"$tmp/log" 2>&1
[ -x "$d2/opt/sv/bin/sockview" ] && ok "BINDIR honoured" || bad "BINDIR not honoured"
[ -f "$d2/opt/sv/man/man8/sockview.8" ] && ok "MANDIR honoured" || bad "MANDIR not honoured"

# a release tarball builds outside this repository and knows its version
if $MAKE -s dist DISTDIR="$tmp" >"$tmp/log" 2>&1; then
	tarball=$(ls "$tmp"/sockview-*.tar.gz 2>/dev/null | head -1)
	[ -n "$tarball" ] && ok "make dist: $(basename "$tarball")" || bad "make dist made no tarball"
	if [ -n "$tarball" ]; then
		mkdir "$tmp/x" && tar -xzf "$tarball" -C "$tmp/x"
		src=$(ls -d "$tmp"/x/sockview-*)
		[ -f "$src/VERSION" ] && ok "tarball has VERSION" || bad "tarball lacks VERSION"
		[ ! -e "$src/.git" ] && ok "tarball has no .git" || bad "tarball has .git"
		# as a packager builds: their CFLAGS, a fixed SOURCE_DATE_EPOCH
		if SOURCE_DATE_EPOCH=86400 $MAKE -s -C "$src" -j2 CFLAGS="-O0 -Wno-error" \
			sockview man/sockview.8 >"$tmp/log" 2>&1; then
			ok "tarball builds on its own"
			v=$("$src/sockview" --version)
			[ "$v" = "sockview $(cat "$src/VERSION")" ] && ok "built from tarball: $v" ||
				bad "tarball build says '$v', VERSION says '$(cat "$src/VERSION")'"
			th=$(grep '^\.TH' "$src/man/sockview.8")
			case $th in
			*'"1970-01-02"'*) ok "man page dated by SOURCE_DATE_EPOCH" ;;
			*) bad "SOURCE_DATE_EPOCH=86400 gave the man page '$th'" ;;
			esac
			cmds=$($MAKE -s -C "$src" -n -B CPPFLAGS=-DSV_PKG_CPP \
				CFLAGS=-DSV_PKG_C LDFLAGS=-Wl,-O1,-zSV_PKG_LD sockview)
			for f in CPPFLAGS:-DSV_PKG_CPP CFLAGS:-DSV_PKG_C LDFLAGS:-zSV_PKG_LD; do
				grep -q -- "${f#*:}" <<<"$cmds" && ok "${f%%:*} honoured" ||
					bad "${f%%:*} is not on make's command lines"
			done
		else
			bad "tarball does not build: $(tail -5 "$tmp/log")"
		fi
	fi
else
	bad "make dist failed: $(tail -3 "$tmp/log")"
fi

echo "install: $pass passed, $fail failed"
[ "$fail" = 0 ]
