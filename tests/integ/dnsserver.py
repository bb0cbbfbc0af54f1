"""A small DNS server for the -r tests: answers PTR queries for
127.0.0.0/8 addresses from a table, each answer after a delay, every
query in its own thread so a slow answer never holds up the others (the
point is to see whether the client asks in parallel)."""

import socket
import struct
import threading
import time


def _qname(data, off):
    labels = []
    while True:
        n = data[off]
        off += 1
        if n == 0:
            return labels, off
        labels.append(data[off:off + n])
        off += n


def _encode(name):
    out = b""
    for label in name.rstrip(b".").split(b"."):
        out += bytes([len(label)]) + label
    return out + b"\0"


class DnsServer:
    """names: {"127.0.0.2": b"host2.test"}; delay: seconds per answer,
    or a dict address -> seconds."""

    def __init__(self, addr, names, delay=0.0):
        self.names = names
        self.delay = delay
        self.queries = []  # (time, address) as asked
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, 53))
        self.stopped = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopped:
            try:
                data, peer = self.sock.recvfrom(2048)
            except OSError:
                return
            threading.Thread(target=self._answer, args=(data, peer),
                             daemon=True).start()

    def _answer(self, data, peer):
        try:
            qid, flags, qd = struct.unpack("!HHH", data[:6])
            labels, end = _qname(data, 12)
            qtype, qclass = struct.unpack("!HH", data[end:end + 4])
        except (struct.error, IndexError):
            return
        question = data[12:end + 4]
        addr = None
        if (len(labels) == 6 and labels[4:] == [b"in-addr", b"arpa"]):
            addr = ".".join(x.decode() for x in reversed(labels[:4]))
        with self.lock:
            self.queries.append((time.monotonic(), addr))
        delay = self.delay.get(addr, 0) if isinstance(self.delay, dict) \
            else self.delay
        if delay:
            time.sleep(delay)
        name = self.names.get(addr) if qtype == 12 else None
        if name is None:
            # NXDOMAIN
            hdr = struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0)
            reply = hdr + question
        else:
            hdr = struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0)
            rdata = _encode(name)
            answer = (b"\xc0\x0c" + struct.pack("!HHIH", 12, 1, 60,
                                                len(rdata)) + rdata)
            reply = hdr + question + answer
        try:
            self.sock.sendto(reply, peer)
        except OSError:
            pass

    def stop(self):
        self.stopped = True
        try:
            # wakes the thread blocked in recvfrom, which close() won't
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(5)
        self.sock.close()
