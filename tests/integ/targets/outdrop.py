#!/usr/bin/python3
"""A writer that stops asking for EPOLLOUT with its buffer full:
outdrop.py PORT

Connects to 127.0.0.1:PORT with a small send buffer and, as libuv does
with a write queue, waits in a level-triggered epoll for EPOLLIN and
EPOLLOUT, filling the buffer at each EPOLLOUT.  It prints one JSON line
{"pid": N, "fd": F, "port": LOCAL_PORT} once connected.  A line
"disarm" on standard input makes it stop asking for EPOLLOUT (epoll_ctl
MOD to EPOLLIN, as libuv does once its queue is empty) without writing
again: its buffer stays full, and space the peer frees later is a
wakeup its loop never gets.  It answers {"disarmed": TIME}.  At the end
of standard input it prints {"wakeups": [TIME, ...]}, the wall-clock
times its epoll returned EPOLLOUT, and exits."""

import json
import os
import select
import socket
import sys
import time


def fill(s):
    chunk = b"o" * 65536
    while True:
        try:
            s.send(chunk)
        except BlockingIOError:
            return


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
    s.connect(("127.0.0.1", int(sys.argv[1])))
    s.setblocking(False)
    ep = select.epoll()
    ep.register(s.fileno(), select.EPOLLIN | select.EPOLLOUT)
    ep.register(sys.stdin.fileno(), select.EPOLLIN)
    out = json.dumps({"pid": os.getpid(), "fd": s.fileno(),
                      "port": s.getsockname()[1]})
    sys.stdout.write(out + "\n")
    sys.stdout.flush()
    wakeups, armed = [], True
    fill(s)
    while True:
        for fd, ev in ep.poll(1.0):
            if fd == s.fileno() and ev & select.EPOLLOUT and armed:
                wakeups.append(time.time())
                fill(s)
            elif fd == sys.stdin.fileno():
                line = sys.stdin.readline()
                if not line:
                    sys.stdout.write(json.dumps({"wakeups": wakeups}) + "\n")
                    sys.stdout.flush()
                    return
                if line.strip() == "disarm":
                    ep.modify(s.fileno(), select.EPOLLIN)
                    armed = False
                    sys.stdout.write(json.dumps(
                        {"disarmed": time.time()}) + "\n")
                    sys.stdout.flush()


if __name__ == "__main__":
    main()
