# SPDX-License-Identifier: MIT
"""Run by bench/allnetns.sh inside its private namespaces."""

import ctypes
import json
import os
import resource
import socket
import statistics
import subprocess
import sys

N = int(os.environ.get("BENCH_NS", "10"))
M = int(os.environ.get("BENCH_SOCKS", "200"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SV = os.path.abspath(os.environ.get("SOCKVIEW", "./sockview"))
BUILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "build")
libc = ctypes.CDLL("libc.so.6", use_errno=True)
CLONE_NEWNET = 0x40000000
MS_REC, MS_PRIVATE = 0x4000, 1 << 18


def sh(*argv):
    subprocess.run(argv, check=True)


def timeit(*argv):
    """Wall milliseconds of one run, through bench/build/timeit."""
    p = subprocess.run([os.path.join(BUILD, "timeit"), "--"] + list(argv),
                       stderr=subprocess.PIPE, check=True)
    f = p.stderr.decode().strip().splitlines()[-1].split()
    if f[4] != "0":
        sys.exit("bench: %s exited %s" % (" ".join(argv), f[4]))
    return int(f[0]) / 1e6


def hold(name, stop_r, stop_w):
    """A child in namespace name holding a listener and (M - 1) // 2
    connections, both ends; it writes how many sockets, then waits for
    stop_r's end of file.  (pid, the read end of its report pipe)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid:
        os.close(w)
        return pid, r
    code = 1
    try:
        # no holder may keep the stop pipe's write end open
        os.close(stop_w)
        os.close(r)
        fd = os.open("/run/netns/" + name, os.O_RDONLY)
        if libc.setns(fd, CLONE_NEWNET) != 0:
            os._exit(2)
        os.close(fd)
        l = socket.socket()
        l.bind(("127.0.0.1", 5000))
        l.listen(4096)
        keep = [l]
        for _ in range((M - 1) // 2):
            c = socket.create_connection(("127.0.0.1", 5000))
            a, _ = l.accept()
            keep += [c, a]
        os.write(w, b"%d" % len(keep))
        os.close(w)
        os.read(stop_r, 1)
        code = 0
    finally:
        os._exit(code)


def main():
    libc.mount(b"none", b"/", None, ctypes.c_ulong(MS_REC | MS_PRIVATE), None)
    os.makedirs("/run/netns", exist_ok=True)
    if libc.mount(b"tmpfs", b"/run/netns", b"tmpfs", 0, None) != 0:
        sys.exit("bench: cannot mount a private /run/netns")
    # one holder process per namespace, as a container holds its own
    # sockets: no process needs more than M descriptors, and the owner
    # scan of --json and metrics reads N processes
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < M + 64:
        sys.exit("bench: RLIMIT_NOFILE's hard limit %d is below %d"
                 % (hard, M + 64))
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, M + 64), hard))
    names = ["bench%d" % i for i in range(N)]
    stop_r, stop_w = os.pipe()
    kids, nsocks = [], 0
    for name in names:
        sh("ip", "netns", "add", name)
        sh("ip", "-n", name, "link", "set", "lo", "up")
        kids.append(hold(name, stop_r, stop_w))
    os.close(stop_r)
    for pid, r in kids:
        got = os.read(r, 32)
        if not got:
            sys.exit("bench: a holder failed")
        nsocks += int(got)
        os.close(r)
    floor = os.path.join(BUILD, "floor")
    all_ms, floors, bares, singles, js, ms = [], [], [], [], [], []
    for _ in range(ROUNDS):
        all_ms.append(timeit(SV, "list", "-ta", "--all-netns"))
        floors.append(sum(timeit("nsenter", "--net=/run/netns/" + n, floor)
                          for n in names))
        # the plain table's own dumps: no extension (floor -b)
        bares.append(sum(timeit("nsenter", "--net=/run/netns/" + n, floor,
                                "-b") for n in names))
        singles.append(sum(timeit(SV, "list", "-ta", "--netns", n)
                           for n in names))
        # with each socket's container: the owners' /proc scan and
        # cgroup reads come in
        js.append(timeit(SV, "list", "-ta", "--all-netns", "--json"))
        ms.append(timeit(SV, "metrics", "-t", "--all-netns"))
    # the cost of nsenter's own exec, to read the floors without it
    enter = statistics.median(timeit("nsenter", "--net=/run/netns/bench0",
                                     "/bin/true") for _ in range(5))
    a, f, b, s, j, m = (statistics.median(x)
                        for x in (all_ms, floors, bares, singles, js, ms))
    fl = f - N * enter
    bl = b - N * enter
    print("namespaces %d, sockets each %d (total %d), rounds %d"
          % (N, M, nsocks, ROUNDS))
    print("list -ta --all-netns              %8.1f ms" % a)
    print("sum of %d floors (nsenter floor)  %8.1f ms  all-netns/floors %.2f"
          % (N, f, a / f))
    print("  less nsenter's exec (%.2f ms each) %6.1f ms  ratio %.2f"
          % (enter, fl, a / fl))
    print("sum of %d floors -b (no extension) %7.1f ms  less nsenter's exec "
          "%.1f ms, ratio %.2f" % (N, b, bl, a / bl))
    print("sum of %d list -ta --netns NAME   %8.1f ms  all-netns/singles %.2f"
          % (N, s, a / s))
    print("list -ta --all-netns --json       %8.1f ms  over the floors %.2f"
          % (j, j / fl))
    print("metrics -t --all-netns            %8.1f ms  over the floors %.2f"
          % (m, m / fl))
    # the table asks for no extension: its floor is floor -b's
    ok = a / bl <= 1.5
    print("target: list -ta --all-netns within 1.5x of the summed floors -b "
          "(less nsenter's exec): %.2f, %s" % (a / bl, "met" if ok
                                               else "NOT MET"))
    out = os.environ.get("BENCH_JSON")
    if out:
        with open(out, "w") as fp:
            json.dump({"namespaces": N, "sockets_each": M,
                       "sockets": nsocks, "rounds": ROUNDS,
                       "all_netns_ms": a, "floors_ms": f,
                       "nsenter_exec_ms": enter, "floors_less_exec_ms": fl,
                       "floors_bare_ms": b, "floors_bare_less_exec_ms": bl,
                       "singles_ms": s, "all_netns_json_ms": j,
                       "metrics_all_netns_ms": m,
                       "ratio": round(a / bl, 3),
                       "ratio_full_floors": round(a / fl, 3), "met": ok},
                      fp, indent=1)
            fp.write("\n")
    os.close(stop_w)  # end of file: the holders exit
    for pid, _ in kids:
        os.waitpid(pid, 0)


main()
