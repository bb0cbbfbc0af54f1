#!/usr/bin/python3
"""A process that only sends: writeonly.py UDP_PORT STREAM_PATH DGRAM_PATH

Connects a UDP socket to 127.0.0.1:UDP_PORT, a UNIX stream socket to
STREAM_PATH and a UNIX datagram socket to DGRAM_PATH, prints one JSON
line {"pid": N, "udp": {"fd": F, "inode": I}, "stream": ..., "dgram": ...}
and then sends 64 bytes on each every 20 ms until standard input closes.
It never reads and its peers never send: nothing ever becomes readable
on these sockets."""

import json
import os
import select
import socket
import sys


def main():
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.connect(("127.0.0.1", int(sys.argv[1])))
    stream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stream.connect(sys.argv[2])
    dgram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dgram.connect(sys.argv[3])
    socks = {"udp": udp, "stream": stream, "dgram": dgram}
    info = {"pid": os.getpid()}
    for name, s in socks.items():
        s.setblocking(False)
        info[name] = {"fd": s.fileno(), "inode": os.fstat(s.fileno()).st_ino}
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()
    payload = b"w" * 64
    while True:
        r, _, _ = select.select([sys.stdin], [], [], 0.02)
        if r and not os.read(sys.stdin.fileno(), 4096):
            return
        for s in socks.values():
            try:
                s.send(payload)
            except BlockingIOError:
                pass   # the peer is slow: skip a beat, never read


if __name__ == "__main__":
    main()
