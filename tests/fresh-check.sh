#!/bin/sh
# make fresh-check: the README's quick start, exactly as written there,
# on a fresh Debian 12 (bookworm) root that has git and nothing else, as
# someone who just cloned the repository would run it.
#
#   tests/fresh-check.sh [COMMIT]     (default HEAD: what is committed)
#
# Needs root, debootstrap and Debian's mirror.  The root is a chroot in
# private mount and PID namespaces, a mount of its own with /proc, /sys
# (and cgroup2), /dev, /dev/pts, /dev/shm and /run mounted, so that
# network namespaces and the integration tests work in it; every mount and process goes away with
# the namespaces, and the script unmounts them itself first.
#
# Caches, in build/fresh: base.tar (debootstrap plus git; made again
# after a week or with FRESH_REBUILD=1) and apt/ (the .debs apt-get
# downloads; apt-get still installs them).  FRESH_CACHE=0 uses neither.
# FRESH_KEEP=1 keeps the root.  Prints "fresh-check: N passed, N failed"
# last, as the other suites do.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
SUITE=bookworm
MIRROR=${FRESH_MIRROR:-http://deb.debian.org/debian}
cache=$top/build/fresh
t0=$(date +%s)

say() { echo "fresh-check: $*"; }
fail() {
	say "FAIL $*"
	say "0 passed, 1 failed"
	exit 1
}
since() { echo "$(($(date +%s) - $1)) s"; }

if [ "$(id -u)" != 0 ]; then
	say "skip: needs root (debootstrap, chroot, mounts)"
	say "0 passed, 0 failed, 1 skipped"
	exit 0
fi
command -v debootstrap >/dev/null || fail "no debootstrap (apt-get install debootstrap)"
commit=$(git rev-parse --verify "${1:-HEAD}^{commit}") || fail "no commit ${1:-HEAD}"

# Private mount and PID namespaces: nothing mounted here is seen
# outside, and every process of the root dies with this script.
if [ "${FRESH_IN_NS:-}" != 1 ]; then
	FRESH_IN_NS=1 exec unshare --mount --pid --fork --kill-child \
		--propagation private \
		"$0" "$commit"
fi

mkdir -p "$cache"
root=

# The base: a default debootstrap of bookworm, and git, as after
# `apt-get install git` and a clone.  Kept as a tarball; every run
# unpacks a new root from it.
make_base() {
	b=$cache/base.tmp
	rm -rf --one-file-system "$b"
	say "debootstrap $SUITE from $MIRROR"
	debootstrap "$SUITE" "$b" "$MIRROR" >"$cache/debootstrap.log" 2>&1 ||
		{ tail -20 "$cache/debootstrap.log"; fail "debootstrap failed"; }
	chroot "$b" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git \
		>"$cache/git.log" 2>&1 ||
		{ tail -20 "$cache/git.log"; fail "apt-get install git failed"; }
	chroot "$b" apt-get clean
	tar -C "$b" -cf "$cache/base.tar.tmp" .
	mv "$cache/base.tar.tmp" "$cache/base.tar"
	rm -rf --one-file-system "$b"
}

mounts_under() {
	# $1 and what is under it, deepest first
	awk -v r="$1" '$2 == r || index($2, r "/") == 1 { print $2 }' \
		/proc/self/mounts | sort -r
}

cleanup() {
	rc=$?
	set +e
	# as PID 1 of the namespace, -1 is every other process in it (and
	# only then: outside it, -1 would be every process of the machine)
	[ "$$" = 1 ] && kill -9 -1 2>/dev/null
	if [ -d "$root" ]; then
		for m in $(mounts_under "$root"); do
			umount "$m" 2>/dev/null || umount -l "$m"
		done
		if [ -n "$(mounts_under "$root")" ]; then
			say "mounts left under $root; not removing it"
		elif [ "${FRESH_KEEP:-0}" = 1 ]; then
			say "root kept in $root"
		else
			rm -rf --one-file-system "$root"
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t=$(date +%s)
if [ "${FRESH_CACHE:-1}" = 0 ] || [ "${FRESH_REBUILD:-0}" = 1 ] ||
	[ -z "$(find "$cache/base.tar" -mtime -7 2>/dev/null)" ]; then
	make_base
	say "base made in $(since "$t")"
else
	say "base from $cache/base.tar ($(date -u -r "$cache/base.tar" +%Y-%m-%d))"
fi
root=$(mktemp -d "$cache/root.XXXXXX")
chmod 755 "$root"
tar -C "$root" -xf "$cache/base.tar"
[ "${FRESH_CACHE:-1}" = 0 ] && rm -f "$cache/base.tar"
cp /etc/resolv.conf "$root/etc/resolv.conf"

# The committed tree, as `git clone` gives it.
git clone -q --no-hardlinks --no-checkout "$top" "$root/root/sockview"
git -C "$root/root/sockview" checkout -q --detach "$commit"
say "tree $(git -C "$root/root/sockview" log -1 --format='%h %s')"

# As on a Debian 12 machine: / is a mount (tests make it private in
# mount namespaces of their own), and the cgroup2 hierarchy is mounted
# on /sys/fs/cgroup (the filter's `cgroup` finds it there).
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
if grep -qw cgroup2 /proc/filesystems; then
	mount -t cgroup2 cgroup2 "$root/sys/fs/cgroup"
fi
mount --bind /dev "$root/dev"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
mount -t tmpfs -o mode=0755 tmpfs "$root/run"
if [ "${FRESH_CACHE:-1}" != 0 ]; then
	mkdir -p "$cache/apt/partial"
	mount --bind "$cache/apt" "$root/var/cache/apt/archives"
fi

# The commands: the README's quick start, from the tree under test.
cmds=$(tests/quickstart.sh "$root/root/sockview/README.md")
[ -n "$cmds" ] || fail "no commands under the README's '## Quick start'"

# Each runs in the background and is waited for, so that a signal
# reaches the trap at once, not when make check is over.
n=0
while IFS= read -r cmd; do
	n=$((n + 1))
	say "\$ $cmd"
	t=$(date +%s)
	chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/bash -c "cd /root/sockview && $cmd" </dev/null &
	if ! wait $!; then
		say "FAIL command $n, after $(since "$t"): $cmd"
		fail "the README's quick start fails on a fresh $SUITE root (in $(since "$t0"))"
	fi
	say "ok command $n, $(since "$t"): $cmd"
done <<EOF
$cmds
EOF

say "the README's quick start works on a fresh $SUITE root ($(since "$t0"))"
say "1 passed, 0 failed"
