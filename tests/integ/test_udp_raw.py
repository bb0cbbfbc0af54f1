"""UDP and RAW sockets: sockview vs ss, /proc/net/{udp,udp6,raw,raw6} and
the ground truth of the sockets the test created."""

import os
import socket
import struct
import time
import unittest

import oracles
import zoo as zoomod
from base import (SockviewTestCase, inet_key, proc_key, ss_family, ss_key,
                  sockview_json, truth_key)
from nsutil import in_netns, ss


def icmp_echo(ident=0x1234, seq=1, payload=b"sockview"):
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    data = hdr + payload
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    csum = ~s & 0xFFFF
    return struct.pack("!BBHHH", 8, 0, csum, ident, seq) + payload


class TestUdp(SockviewTestCase):

    def build(self):
        z = zoomod.Zoo(self.make_tmpdir())
        zoomod.build_udp_zoo(z)
        return z

    @in_netns
    def test_udp_ground_truth(self):
        z = self.build()
        objs = sockview_json(self, "-uaem")
        udp = [o for o in objs if o.get("protocol") == "udp"]
        self.assertEqual(len(udp), len(z.recs), "only the zoo's UDP sockets")
        self.assertEqual(udp, [o for o in objs], "-u selects only UDP")
        for rec in z.recs:
            o = self.find_truth(objs, rec)
            ctx = rec["name"]
            self.assertField(o, "protocol", "udp", ctx)
            self.assertField(o, "family", rec["family"], ctx)
            self.assertField(o, "type", "dgram", ctx)
            self.assertField(o, "state", rec["state"], ctx)
            self.assertEqual(inet_key(o), truth_key(rec), ctx)
            self.assertField(o, "inode", rec["inode"], ctx)
            self.assertField(o, "cookie", oracles.cookie_of(rec["sock"]), ctx)
            self.assertField(o, "uid", os.geteuid(), ctx)
            if rec.get("datagrams"):
                # unread datagrams: Recv-Q is the receive memory in use
                self.assertGreater(o["recv_q"], 0, ctx)
                self.assertIn("skmem", o, ctx)
                self.assertEqual(o["recv_q"], o["skmem"]["rmem_alloc"], ctx)
                # FIONREAD gives the size of the first datagram
                import fcntl
                import termios
                buf = fcntl.ioctl(rec["sock"].fileno(), termios.FIONREAD,
                                  b"\0\0\0\0")
                self.assertGreater(struct.unpack("i", buf)[0], 0)
            else:
                self.assertField(o, "recv_q", 0, ctx)
            self.assertField(o, "send_q", 0, ctx)
            self.assertNotIn("tcp", o, ctx + ": no tcp_info for UDP")
            self.assertNotIn("seq", o, ctx + ": no seq for UDP")

    @in_netns
    def test_udp_vs_ss(self):
        z = self.build()
        objs = sockview_json(self, "-uanem")
        recs = oracles.parse_ss(ss("-uanemH"))
        self.assertEqual(len(recs), len(z.recs), "oracle sanity")
        self.assertEqual(len(objs), len(recs), "count vs ss -ua")
        keyed = {inet_key(o): o for o in objs}
        for r in recs:
            k = ss_key(r, ss_family(r))
            self.assertIn(k, keyed, "ss socket %r missing" % (k,))
            o = keyed[k]
            ctx = "udp %r" % (k,)
            self.assertField(o, "state", r["state"], ctx)
            self.assertField(o, "recv_q", r["recv_q"], ctx)
            self.assertField(o, "send_q", r["send_q"], ctx)
            self.assertField(o, "inode", r["ino"], ctx)
            self.assertField(o, "cookie", r["cookie"], ctx)
            self.assertEqual(o.get("uid"), r.get("uid", 0), ctx + ": uid")
            for f, v in r["skmem"].items():
                if v is not None:
                    self.assertField(o["skmem"], f, v, ctx + " skmem")

    @in_netns
    def test_udp_vs_proc(self):
        z = self.build()
        objs = sockview_json(self, "-uanem")
        proc = oracles.proc_inet("udp") + oracles.proc_inet("udp6")
        self.assertEqual(len(proc), len(z.recs), "oracle sanity")
        self.assertEqual(len(objs), len(proc), "count vs /proc/net/udp{,6}")
        keyed = {inet_key(o): o for o in objs}
        for e in proc:
            k = proc_key(e)
            self.assertIn(k, keyed, "/proc socket %r missing" % (k,))
            o = keyed[k]
            ctx = "udp %r" % (k,)
            self.assertField(o, "state", e["state"], ctx)
            self.assertField(o, "recv_q", e["rx_queue"], ctx)
            self.assertField(o, "send_q", e["tx_queue"], ctx)
            self.assertField(o, "inode", e["inode"], ctx)
            self.assertField(o, "uid", e["uid"], ctx)


    @in_netns
    def test_udp_drops(self):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)   # minimum
        u.bind(("127.0.0.1", 6100))
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sent = 60
        for _ in range(sent):
            tx.sendto(b"d" * 1000, ("127.0.0.1", 6100))
        time.sleep(0.05)
        objs = sockview_json(self, "-uaem")
        recs = oracles.parse_ss(ss("-uanemH", "sport", "=", ":6100"))
        proc = [e for e in oracles.proc_inet("udp")
                if e["inode"] == oracles.inode_of(u)]
        u.setblocking(False)
        queued = 0
        while True:
            try:
                u.recv(2000)
                queued += 1
            except BlockingIOError:
                break
        drops = sent - queued
        self.assertGreater(drops, 0, "oracle sanity: the buffer overflowed")
        o = self.by_inode(objs, oracles.inode_of(u), "overflowing udp")
        self.assertIn("skmem", o)
        self.assertEqual(o["skmem"].get("drops"), drops,
                         "skmem.drops: %d datagrams sent, %d were queued"
                         % (sent, queued))
        self.assertEqual(recs[0]["skmem"]["drops"], drops, "ss agrees")
        self.assertEqual(proc[0]["drops"], drops, "/proc agrees")
        self.assertGreater(o["recv_q"], 0)


class TestRaw(SockviewTestCase):

    def build(self):
        z = zoomod.Zoo(self.make_tmpdir())
        r_unbound = z.raw("raw4.any")
        z.raw("raw4.lo", bind="127.0.0.1")
        z.raw("raw6.any", v6=True)
        # one ICMP echo request to 127.0.0.1: every ICMP raw socket gets a
        # copy of the request and of the reply -> non-zero receive queues
        r_unbound.sendto(icmp_echo(), ("127.0.0.1", 0))
        time.sleep(0.05)
        return z

    @in_netns
    def test_raw_lacking_facts(self):
        """/proc/net/raw has no mark and no bind flags: a condition on
        them is false for its sockets, so "x and not x" lists nothing."""
        z = self.build()
        r = z.raw("raw4.marked")
        r.setsockopt(socket.SOL_SOCKET, 36, 1)  # SO_MARK
        n = len(sockview_json(self, "-wa"))
        self.assertGreaterEqual(n, 4)
        for expr in ("fwmark = 1 and not fwmark = 1", "fwmark = 1",
                     "autobound", "autobound and not autobound"):
            self.assertEqual(sockview_json(self, "-wa", *expr.split()), [],
                             expr)
        self.assertEqual(len(sockview_json(self, "-wa", "not", "fwmark",
                                           "=", "1")), n)

    @in_netns
    def test_raw_vs_proc(self):
        z = self.build()
        objs = sockview_json(self, "-wanem")
        proc = oracles.proc_inet("raw") + oracles.proc_inet("raw6")
        self.assertEqual(len(proc), 3, "oracle sanity")
        raw = [o for o in objs if o.get("protocol") == "raw"]
        self.assertEqual(len(raw), len(objs), "-w selects only RAW")
        self.assertEqual(len(raw), len(proc), "count vs /proc/net/raw{,6}")
        for e in proc:
            o = self.by_inode(objs, e["inode"], "raw")
            ctx = "raw inode %d" % e["inode"]
            self.assertField(o, "protocol", "raw", ctx)
            self.assertField(o, "type", "raw", ctx)
            self.assertField(o, "family", e["family"], ctx)
            self.assertField(o, "state", e["state"], ctx)
            self.assertField(o, "recv_q", e["rx_queue"], ctx)
            self.assertField(o, "send_q", e["tx_queue"], ctx)
            self.assertField(o, "uid", e["uid"], ctx)
            self.assertIn("local", o, ctx)
            self.assertEqual(o["local"]["addr"], e["local"][0],
                             ctx + ": local addr")
            # /proc/net/raw has no cookie and no socket memory counters
            # (only drops): such fields must be omitted, never 0
            self.assertNotIn("cookie", o, ctx + ": not reported by /proc")
            self.assertNotIn("tcp", o, ctx)
            sk = o.get("skmem", {})
            self.assertEqual(set(sk) - {"drops"}, set(),
                             ctx + ": /proc/net/raw reports only drops")
            if "drops" in sk:
                self.assertEqual(sk["drops"], e["drops"], ctx + ": drops")
            if "port" in o["local"]:
                self.assertEqual(o["local"]["port"], e["local"][1],
                                 ctx + ": local port (= protocol number)")
        # ground truth
        for rec in z.recs:
            o = self.by_inode(objs, rec["inode"], rec["name"])
            self.assertField(o, "family", rec["family"], rec["name"])
            self.assertEqual(oracles.norm_addr(o["local"]["addr"]),
                             oracles.norm_addr(rec["local"][0]), rec["name"])
        lo4 = self.by_inode(objs, z.by_name("raw4.lo")["inode"])
        any4 = self.by_inode(objs, z.by_name("raw4.any")["inode"])
        self.assertGreater(any4["recv_q"], 0, "echo request+reply queued")
        self.assertGreater(lo4["recv_q"], 0, "echo request+reply queued")

    @in_netns
    def test_raw_vs_ss(self):
        z = self.build()
        objs = sockview_json(self, "-wanem")
        recs = oracles.parse_ss(ss("-wanH"))
        self.assertEqual(len(recs), len(z.recs), "oracle sanity")
        self.assertEqual(len(objs), len(recs), "count vs ss -wa")
        for r in recs:
            la, _, lp = r["local"]
            # ss prints the IPv6 wildcard of a raw socket as "*": tell the
            # families apart by the protocol (ICMPv6 sockets are IPv6 here)
            fam = "inet6" if lp == socket.IPPROTO_ICMPV6 else ss_family(r)
            hits = [o for o in objs if o.get("family") == fam
                    and oracles.norm_addr(o["local"]["addr"])
                    == oracles.norm_addr(la or ("::" if fam == "inet6"
                                                else "0.0.0.0"))]
            self.assertEqual(len(hits), 1, "ss raw %r" % (r["local"],))
            o = hits[0]
            self.assertField(o, "state", r["state"], "raw")
            self.assertField(o, "recv_q", r["recv_q"], "raw")
            self.assertField(o, "send_q", r["send_q"], "raw")


if __name__ == "__main__":
    unittest.main()
