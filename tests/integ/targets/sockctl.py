#!/usr/bin/python3
"""A process whose sockets the watch tests drive, one command per line on
standard input, one JSON reply per line on standard output.

    ping                      {"ok": true, "pid": N}
    listen PORT BACKLOG       {"fd": N, "port": P, "inode": I}
    connect PORT              non-blocking connect to 127.0.0.1:PORT
                              {"fd": N, "port": LOCAL, "inode": I, "err": E}
    accept FD                 blocking accept on listener FD
    epoll FD MASK             add FD to this process's epoll instance
                              (created on first use) with events MASK
    fill FD SNDBUF            SO_SNDBUF, then non-blocking sends until the
                              buffer stays full (EAGAIN three times in a
                              row, 50 ms apart) {"sent": BYTES, "full": B}
    send FD N                 send N bytes ("x")
    close FD                  close it
    reopen FD PORT            close FD, then listen on PORT with a socket
                              that gets the same descriptor number
    nodump                    prctl(PR_SET_DUMPABLE, 0)
    exit CODE                 exit at once

The process never reads from its sockets: the data the tests send stays
queued.  Every socket it made is kept referenced until it is closed.
"""

import ctypes
import errno
import json
import os
import select
import socket
import sys
import time

PR_SET_DUMPABLE = 4

socks = {}
ep = None


def reply(**kw):
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def info(s, **kw):
    kw.update(fd=s.fileno(), port=s.getsockname()[1],
              inode=os.fstat(s.fileno()).st_ino)
    return kw


def main():
    global ep
    for line in sys.stdin:
        w = line.split()
        if not w:
            continue
        cmd, args = w[0], w[1:]
        try:
            if cmd == "ping":
                reply(ok=True, pid=os.getpid(), uid=os.getuid())
            elif cmd == "listen":
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", int(args[0])))
                s.listen(int(args[1]))
                socks[s.fileno()] = s
                reply(**info(s))
            elif cmd == "connect":
                s = socket.socket()
                s.setblocking(False)
                err = s.connect_ex(("127.0.0.1", int(args[0])))
                socks[s.fileno()] = s
                reply(**info(s, err=err))
            elif cmd == "accept":
                c, _ = socks[int(args[0])].accept()
                socks[c.fileno()] = c
                reply(**info(c))
            elif cmd == "epoll":
                if ep is None:
                    ep = select.epoll()
                ep.register(int(args[0]), int(args[1], 0))
                reply(ok=True, epfd=ep.fileno())
            elif cmd == "fill":
                # until the send buffer stays full: the peer's window
                # closed, nothing more leaves however long we wait
                s = socks[int(args[0])]
                s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF,
                             int(args[1]))
                s.setblocking(False)
                sent, idle = 0, 0
                chunk = b"x" * 1024
                deadline = time.time() + 3
                while idle < 3 and time.time() < deadline:
                    before = sent
                    while True:
                        try:
                            sent += s.send(chunk)
                        except BlockingIOError:
                            break
                    idle = idle + 1 if sent == before else 0
                    time.sleep(0.05)
                reply(sent=sent, full=idle >= 3)
            elif cmd == "unixpair":
                a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
                for s in (a, b):
                    socks[s.fileno()] = s
                reply(fds=[a.fileno(), b.fileno()],
                      inodes=[os.fstat(a.fileno()).st_ino,
                              os.fstat(b.fileno()).st_ino])
            elif cmd == "unixpairs":
                # many descriptors at once: a large fd table
                for _ in range(int(args[0])):
                    a, b = socket.socketpair(socket.AF_UNIX,
                                             socket.SOCK_STREAM)
                    socks[a.fileno()] = a
                    socks[b.fileno()] = b
                reply(fds=len(os.listdir("/proc/self/fd")))
            elif cmd == "unixlisten":
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.bind(args[0])
                s.listen(1)
                socks[s.fileno()] = s
                reply(fd=s.fileno(), inode=os.fstat(s.fileno()).st_ino)
            elif cmd == "socket":
                # not bound, not connected: "connectfd" later
                s = socket.socket(socket.AF_UNIX if args[0] == "unix"
                                  else socket.AF_INET, socket.SOCK_STREAM)
                socks[s.fileno()] = s
                reply(fd=s.fileno(), inode=os.fstat(s.fileno()).st_ino)
            elif cmd == "bindfd":
                # a port and nothing else: no wakeup, no listen
                s = socks[int(args[0])]
                s.bind(("127.0.0.1", int(args[1])))
                reply(**info(s))
            elif cmd == "connectfd":
                s = socks[int(args[0])]
                s.connect(args[1] if s.family == socket.AF_UNIX
                          else ("127.0.0.1", int(args[1])))
                reply(**info(s) if s.family != socket.AF_UNIX else
                      dict(fd=s.fileno()))
            elif cmd == "send":
                socks[int(args[0])].sendall(b"x" * int(args[1]))
                reply(ok=True)
            elif cmd == "close":
                socks.pop(int(args[0])).close()
                reply(ok=True)
            elif cmd == "reopen":
                fd = int(args[0])
                socks.pop(fd).close()
                s = socket.socket()
                s.bind(("127.0.0.1", int(args[1])))
                s.listen(1)
                socks[s.fileno()] = s
                reply(**info(s))
            elif cmd == "nodump":
                libc = ctypes.CDLL(None, use_errno=True)
                if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
                    raise OSError(ctypes.get_errno(), "prctl")
                reply(ok=True)
            elif cmd == "exit":
                sys.stdout.flush()
                os._exit(int(args[0]) if args else 0)
            else:
                reply(error="unknown command %r" % cmd)
        except OSError as e:
            reply(error="%s: %s" % (cmd, e), errno=e.errno or errno.EIO)


if __name__ == "__main__":
    main()
