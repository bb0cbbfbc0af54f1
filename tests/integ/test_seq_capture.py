"""Relative sequence numbers against a packet capture: tcpdump -S in the
test's namespace gives every segment's absolute numbers; the ISN of each
side comes from its SYN, and relative = absolute - ISN.  Some cases drop
one direction on lo (an htb class whose pfifo holds nothing: the sender
sees the refusal) so that a sender retransmits, or hold it (an htb class
of 8 bit/s: the segment counts as sent and stays in flight)."""

import os
import re
import signal
import socket
import subprocess
import time
import unittest

import oracles
import zoo as zoomod
from base import SockviewTestCase, sockview_json
from nsutil import in_netns, run

LINE = re.compile(r"IP (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[([^\]]*)\]"
                  r"(?:, seq (\d+)(?::(\d+))?)?(?:, ack (\d+))?")
M32 = 1 << 32


class Capture:
    """tcpdump -S on lo; segments as (src, dst, flags, seq, end, ack)."""

    def __init__(self, tmpdir, ports):
        self.path = os.path.join(tmpdir, "cap.txt")
        expr = " or ".join("port %d" % p for p in ports)
        self.out = open(self.path, "w")
        self.err = open(self.path + ".err", "w+")
        self.p = subprocess.Popen(
            ["tcpdump", "-i", "lo", "-S", "-n", "-l", "-U", "--immediate-mode",
             "tcp and (%s)" % expr],
            stdout=self.out, stderr=self.err)
        zoomod.wait_for(lambda: "listening on" in open(self.path + ".err")
                        .read(), 10, "tcpdump to start")

    def stop(self):
        # SIGINT lets tcpdump flush what it holds
        self.p.send_signal(signal.SIGINT)
        self.p.wait(10)
        self.out.close()
        self.err.close()
        segs = []
        for line in open(self.path):
            m = LINE.search(line)
            if not m:
                continue
            src, sp, dst, dp, flags, seq, end, ack = m.groups()
            if seq is not None:
                seq = int(seq)
                end = int(end) if end else seq
                # SYN and FIN take one sequence number each
                end += ("S" in flags) + ("F" in flags)
            segs.append(((src, int(sp)), (dst, int(dp)), flags, seq, end,
                         int(ack) if ack else None))
        return segs


def truth(segs, me, peer):
    """me's relative snd_una, snd_nxt and rcv_nxt from the capture."""
    isn = {}
    for s, d, flags, seq, end, ack in segs:
        if seq is not None and "S" in flags:
            isn[s] = seq
    assert me in isn and peer in isn, "both SYNs captured: %r" % (isn,)

    def rel(v, who):
        return (v - isn[who]) % M32

    nxt = max(rel(e, me) for s, d, f, q, e, a in segs
              if s == me and e is not None)
    una = max([rel(a, me) for s, d, f, q, e, a in segs
               if s == peer and a is not None and "." in f] + [0])
    rcv = max(rel(e, peer) for s, d, f, q, e, a in segs
              if s == peer and e is not None)
    return {"snd_una": una, "snd_nxt": nxt, "rcv_nxt": rcv}


class Drops:
    """Drops chosen segments on lo before they are sent (and captured)."""

    def __init__(self):
        self.prio = 0
        for cmd in ("qdisc add dev lo root handle 1: htb default 10",
                    "class add dev lo parent 1: classid 1:10 htb rate 10gbit",
                    "class add dev lo parent 1: classid 1:20 htb rate 10gbit",
                    "qdisc add dev lo parent 1:20 handle 20: pfifo limit 0",
                    "class add dev lo parent 1: classid 1:30 htb rate 8bit "
                    "ceil 8bit burst 1 cburst 1",
                    "qdisc add dev lo parent 1:30 handle 30: pfifo"):
            self.tc(cmd)

    def tc(self, cmd):
        p = run(["tc"] + cmd.split())
        if p.returncode:
            raise unittest.SkipTest("tc %s: %s" % (cmd, p.stderr.decode()))

    def add(self, what, port, hold=False):
        """Drop (or hold) segments whose source or destination port
        (what: "sport" or "dport") is port; returns the rule's number.
        The held class lets its first segment pass at once (its bucket
        starts full), then about one byte a second."""
        self.prio += 1
        self.tc("filter add dev lo parent 1: protocol ip prio %d u32 match "
                "ip %s %d 0xffff flowid 1:%d" % (self.prio, what, port,
                                                 30 if hold else 20))
        return self.prio

    def remove(self, prio):
        self.tc("filter del dev lo parent 1: prio %d" % prio)


def ports_of(sock):
    return sock.getsockname(), sock.getpeername()


class TestSeqCapture(SockviewTestCase):

    def seq_of(self, objs, sock, ctx):
        o = self.by_inode(objs, oracles.inode_of(sock), ctx)
        self.assertIn("seq", o, ctx + ": no seq object")
        return o

    def compare(self, o, segs, sock, ctx, extra=None):
        me, peer = ports_of(sock)
        want = truth(segs, me, peer)
        want.update(extra or {})
        got = {k: o["seq"].get(k) for k in want}
        self.assertEqual(got, want, ctx + ": relative numbers vs capture "
                         "(tcp %r)" % {k: o["tcp"].get(k) for k in
                                       ("bytes_sent", "bytes_retrans",
                                        "bytes_acked", "notsent_bytes")})

    def settle(self):
        # delayed ACKs on lo leave within 40 ms
        time.sleep(0.3)

    @in_netns
    def test_client_port_equal_to_a_listeners(self):
        """A client bound to 127.0.0.2:7106 while 127.0.0.1:7106 listens
        opened actively: a listener on its port proves nothing."""
        cap = Capture(self.make_tmpdir(), [7106])
        l = socket.socket()
        l.bind(("127.0.0.1", 7106))
        l.listen(1)
        c = socket.socket()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        c.bind(("127.0.0.2", 7106))
        c.connect(("127.0.0.1", 7106))
        s, _ = l.accept()
        c.sendall(b"c" * 70)
        s.sendall(b"s" * 30)
        zoomod.recv_exact(s, 20)
        zoomod.recv_exact(c, 10)
        self.settle()
        objs = sockview_json(self, "-tanoiem")
        segs = cap.stop()
        co = self.seq_of(objs, c, "client on a listener's port")
        so = self.seq_of(objs, s, "accepted server")
        self.compare(co, segs, c, "client", {"write_seq": 71,
                                             "copied_seq": 11})
        self.compare(so, segs, s, "server", {"write_seq": 31,
                                             "copied_seq": 21})
        self.assertEqual(co["seq"]["snd_una"], 71)

    @in_netns
    def test_retransmitting_sender(self):
        """The peer's ACKs are dropped: data stays in flight, the sender
        retransmits, and what it wrote after the loss waits unsent."""
        drops = Drops()
        cap = Capture(self.make_tmpdir(), [7107])
        l = socket.socket()
        l.bind(("127.0.0.1", 7107))
        l.listen(1)
        c = socket.socket()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        c.connect(("127.0.0.1", 7107))
        s, _ = l.accept()
        c.sendall(b"a" * 1000)
        s.sendall(b"b" * 500)
        zoomod.recv_exact(s, 1000)
        zoomod.recv_exact(c, 500)
        self.settle()
        drops.add("sport", 7107)  # the server's ACKs
        wrote = c.send(b"x" * 3000)
        # wait for a retransmission (RTO >= 200 ms), then queue more than
        # the collapsed window lets out
        zoomod.wait_for(lambda: oracles.tcp_info(c).get("total_retrans", 0)
                        > 0, 10, "a retransmission")
        wrote += c.send(b"y" * 200000)
        time.sleep(0.1)
        objs = sockview_json(self, "-tanoiem")
        segs = cap.stop()
        co = self.seq_of(objs, c, "retransmitting client")
        t = co["tcp"]
        self.assertGreater(t["bytes_retrans"], 0, "retransmitted")
        self.assertGreater(t["notsent_bytes"], 0, "data waits unsent")
        self.assertGreater(co["send_q"], t["notsent_bytes"], "in flight")
        self.assertGreater(wrote, 3000)
        self.compare(co, segs, c, "client", {"write_seq": 1 + 1000 + wrote,
                                             "copied_seq": 501})
        so = self.seq_of(objs, s, "server")
        # the server's own ACKs never left: its send side is all acked
        self.compare(so, segs, s, "server", {"write_seq": 501})

    @in_netns
    def test_last_ack_with_data_in_flight(self):
        """LAST-ACK: the server's data and FIN are sent, the client's
        ACKs are dropped."""
        drops = Drops()
        cap = Capture(self.make_tmpdir(), [7108])
        l = socket.socket()
        l.bind(("127.0.0.1", 7108))
        l.listen(1)
        c = socket.socket()
        c.connect(("127.0.0.1", 7108))
        s, _ = l.accept()
        l.close()  # no listener to tell who opened
        s.sendall(b"d" * 700)
        zoomod.recv_exact(c, 700)
        c.shutdown(socket.SHUT_WR)
        self.assertEqual(s.recv(10), b"")  # the client's FIN arrived
        self.settle()
        drops.add("dport", 7108)  # everything the client sends
        s.sendall(b"e" * 2000)
        s.shutdown(socket.SHUT_WR)
        # 9: TCP_LAST_ACK
        zoomod.wait_for(lambda: zoomod.tcp_state(s) == 9, 5,
                        "LAST-ACK")
        objs = sockview_json(self, "-tanoiem")
        segs = cap.stop()
        so = self.seq_of(objs, s, "server in LAST-ACK")
        self.assertEqual(so["state"], "last-ack")
        # 700 + 2000 bytes and the FIN sent; only the 700 acknowledged
        self.compare(so, segs, s, "server", {"write_seq": 2702})
        self.assertEqual((so["seq"]["snd_una"], so["seq"]["snd_nxt"]),
                         (701, 2702))

    @in_netns
    def test_closing(self):
        """CLOSING: both ends closed at once; the server got the client's
        FIN, its own is in flight (held on the way)."""
        drops = Drops()
        cap = Capture(self.make_tmpdir(), [7109])
        l = socket.socket()
        l.bind(("127.0.0.1", 7109))
        l.listen(1)
        c = socket.socket()
        c.connect(("127.0.0.1", 7109))
        s, _ = l.accept()
        l.close()  # no listener to tell who opened
        s.sendall(b"f" * 300)
        zoomod.recv_exact(c, 300)
        self.settle()
        drops.add("sport", 7109, hold=True)
        s.send(b"g")  # empties the held class's bucket
        zoomod.recv_exact(c, 1)
        zoomod.wait_for(lambda: zoomod.tcp_idle(s), 5, "the byte acked")
        to_srv = drops.add("dport", 7109)
        s.shutdown(socket.SHUT_WR)  # the FIN is held: sent, in flight
        c.shutdown(socket.SHUT_WR)  # the FIN is refused: unsent
        drops.remove(to_srv)  # the client's FIN goes out again
        # 11: TCP_CLOSING
        zoomod.wait_for(lambda: zoomod.tcp_state(s) == 11, 10, "CLOSING")
        objs = sockview_json(self, "-tanoiem")
        segs = cap.stop()
        so = self.seq_of(objs, s, "server in CLOSING")
        self.assertEqual(so["state"], "closing")
        self.assertEqual(so["tcp"]["notsent_bytes"], 0, "its FIN was sent")
        # 301 bytes acknowledged (the capture); the FIN in flight never
        # reached the capture, which taps after the qdisc: 301 + 1
        self.compare(so, segs, s, "server", {"snd_nxt": 303,
                                             "write_seq": 303})
        self.assertEqual(so["seq"]["snd_una"], 302)


if __name__ == "__main__":
    unittest.main()
