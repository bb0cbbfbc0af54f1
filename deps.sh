#!/bin/sh
# Installs what building sockview and `make check` need, on Debian 12 (or
# Ubuntu) with apt-get, or on Fedora with dnf.  Plain POSIX sh on
# purpose: on a fresh machine it runs before make or a compiler exist.
# `make deps` runs it too.
set -eu

# git for `make dist` and the version; make and a compiler to build;
# the rest for `make check`: cmocka, the integration tests' ss, ip,
# Python and Node.js, the documentation checks (mandoc, zsh, fish),
# valgrind, the fuzz replay's clang, the static analysers and promtool
# and the server (in prometheus) for the metrics and serve tests;
# libmicrohttpd is serve's HTTP server; kmod for the tests that load a
# congestion control module.
APT_PKGS="git make gcc libc6-dev pkg-config libmnl-dev libnl-3-dev
	libnl-route-3-dev libuv1-dev libmicrohttpd-dev libcmocka-dev iproute2 jq python3
	procps util-linux mandoc zsh fish nodejs valgrind cppcheck clang-tidy
	clang libclang-rt-dev net-tools prometheus tcpdump strace kmod"
DNF_PKGS="git make gcc pkgconf-pkg-config libmnl-devel libnl3-devel
	libuv-devel libmicrohttpd-devel libcmocka-devel iproute jq python3 procps-ng util-linux
	mandoc zsh fish nodejs valgrind cppcheck clang-tools-extra clang
	compiler-rt net-tools tcpdump strace kmod"

if [ "$(id -u)" = 0 ]; then
	as_root=
elif command -v sudo >/dev/null 2>&1; then
	as_root=sudo
else
	echo "deps.sh: run as root, or install sudo" >&2
	exit 1
fi

if command -v apt-get >/dev/null 2>&1; then
	$as_root apt-get update -qq
	# shellcheck disable=SC2086
	$as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends $APT_PKGS
	# npm installs the Node 24 the watch loop tests need; NodeSource's
	# nodejs carries it and conflicts with the npm package
	command -v npm >/dev/null 2>&1 ||
		$as_root env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends npm
elif command -v dnf >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	$as_root dnf install -y $DNF_PKGS
else
	echo "deps.sh: no apt-get or dnf here; install git, make, a C" \
		"compiler, pkg-config and the development files of libmnl," \
		"libnl-3, libnl-route-3, libuv, libmicrohttpd and cmocka" >&2
	exit 1
fi
