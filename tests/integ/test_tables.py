"""The netlink and packet tables (netlink_diag, packet_diag): sockets the
test makes, found with what it knows of them (inode, port id, protocol,
device), and counted as ss counts them."""

import json
import os
import re
import socket

from base import SockviewTestCase, sockview_json
from nsutil import in_netns, sockview, ss

NETLINK_ROUTE = 0
NETLINK_GENERIC = 16
ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800


def ino(sock):
    return os.fstat(sock.fileno()).st_ino


class TestNetlink(SockviewTestCase):

    @in_netns
    def test_netlink_sockets(self):
        a = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        a.bind((0, 0))
        b = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM,
                          NETLINK_GENERIC)
        b.bind((0, 0))
        # in a multicast group: the kernel dumps it twice, we show it once
        c = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        c.bind((0, 1))
        objs = sockview_json(self, "-A", "netlink", "-a")
        mine = {o["inode"]: o for o in objs}
        for sock, proto, typ in ((a, "route", "raw"), (b, "generic", "dgram"),
                                 (c, "route", "raw")):
            o = mine[ino(sock)]
            self.assertEqual(o["protocol"], "netlink")
            self.assertEqual(o["family"], "netlink")
            self.assertEqual(o["type"], typ)
            self.assertEqual(o["local"], {"protocol": proto,
                                          "portid": sock.getsockname()[0]})
            self.assertEqual(o["peer"], {"portid": 0, "group": 0})
            self.assertEqual(o["state"], "closed")
        self.assertEqual(sum(1 for o in objs if o["inode"] == ino(c)), 1)
        # ss lists the same sockets (the twice-dumped one twice)
        lines = ss("-HA", "netlink", "-a").splitlines()
        self.assertEqual(len(lines), len(objs) + 1, lines)
        # not in the default selection: unconnected, as in ss
        self.assertEqual(sockview_json(self, "-A", "netlink"), [])
        # the table: ss's netid and protocol:portid
        text = sockview("list", "-A", "netlink", "-aH").stdout.decode()
        self.assertRegex(text, r"(?m)^nl\s+UNCONN\s+\d+\s+\d+\s+route:%d\s"
                         % a.getsockname()[0])
        # -f netlink: the same table (sockview's own sock_diag socket
        # differs from run to run)
        got = sockview_json(self, "-f", "netlink", "-a")
        self.assertTrue({ino(a), ino(b), ino(c)} <=
                        {o["inode"] for o in got})
        self.assertEqual({o["protocol"] for o in got}, {"netlink"})


class TestPacket(SockviewTestCase):

    @in_netns
    def test_packet_sockets(self):
        r = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                          socket.htons(ETH_P_ALL))
        r.bind(("lo", 0))
        d = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM,
                          socket.htons(ETH_P_IP))
        objs = sockview_json(self, "-A", "packet", "-a")
        mine = {o["inode"]: o for o in objs}
        self.assertEqual(set(mine), {ino(r), ino(d)},
                         "the namespace's packet sockets are the test's")
        o = mine[ino(r)]
        self.assertEqual((o["type"], o["local"]),
                         ("raw", {"protocol": "all", "ethertype": ETH_P_ALL}))
        self.assertEqual((o["interface"], o["ifindex"]),
                         ("lo", socket.if_nametoindex("lo")))
        self.assertEqual(o["uid"], os.getuid())
        self.assertNotIn("peer", o)
        o = mine[ino(d)]
        self.assertEqual((o["type"], o["local"]),
                         ("dgram", {"protocol": "ip", "ethertype": ETH_P_IP}))
        self.assertNotIn("ifindex", o, "not bound to a device")
        # ss -0 agrees on how many and which inodes
        text = ss("-Ha0e")
        self.assertEqual(sorted(int(x) for x in
                                re.findall(r"ino:(\d+)", text)),
                         sorted(mine))
        # types, and the device filter
        self.assertEqual([o["inode"] for o in
                          sockview_json(self, "-A", "p_dgr", "-a")], [ino(d)])
        self.assertEqual([o["inode"] for o in
                          sockview_json(self, "-A", "packet_raw", "-a")],
                         [ino(r)])
        self.assertEqual([o["inode"] for o in
                          sockview_json(self, "-f", "link", "-a", "dev",
                                        "lo")], [ino(r)])
        text = sockview("list", "-A", "packet", "-aH").stdout.decode()
        self.assertRegex(text, r"(?m)^p_raw\s+UNCONN\s+\d+\s+\d+\s+all:lo\s")
        self.assertRegex(text, r"(?m)^p_dgr\s+UNCONN\s+\d+\s+\d+\s+ip:\*\s")

    @in_netns
    def test_summary_and_capture(self):
        r = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                          socket.htons(ETH_P_ALL))
        n = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        n.bind((0, 0))
        got = json.loads(sockview("list", "-s", "--json", "-A",
                                  "packet,netlink").stdout)
        self.assertEqual(got["protocols"]["packet"]["total"], 1)
        nl = len(sockview_json(self, "-A", "netlink", "-a"))
        self.assertEqual(got["protocols"]["netlink"]["total"], nl)
        # oracle: ss lists as many (none here is in a multicast group;
        # each tool sees its own sock_diag socket in place of the other's)
        lines = ss("-HA", "netlink", "-a").splitlines()
        self.assertEqual(len(lines), nl, lines)
        cap = os.path.join(self.make_tmpdir(), "t.cap")
        live = sockview_json(self, "-A", "packet,netlink", "-a", "--save",
                             cap)
        r.close()
        n.close()
        self.assertEqual(sockview_json(self, "-A", "packet,netlink", "-a",
                                       "--load", cap), live)


IPPROTO_MPTCP = 262


class TestMptcp(SockviewTestCase):

    @in_netns
    def test_mptcp_sockets(self):
        try:
            lsn = socket.socket(socket.AF_INET, socket.SOCK_STREAM,
                                IPPROTO_MPTCP)
        except OSError as e:
            self.skipTest("no MPTCP in this kernel: %s" % e)
        lsn.bind(("127.0.0.1", 7460))
        lsn.listen(2)
        cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
        cli.connect(("127.0.0.1", 7460))
        srv, _ = lsn.accept()
        cli.sendall(b"m" * 3000)
        got = 0
        while got < 3000:
            got += len(srv.recv(4096))
        objs = sockview_json(self, "-A", "mptcp", "-a")
        self.assertEqual({o["inode"] for o in objs},
                         {ino(lsn), ino(cli), ino(srv)})
        by = {o["inode"]: o for o in objs}
        c, s = by[ino(cli)], by[ino(srv)]
        self.assertEqual((c["protocol"], c["state"], c["peer"]["port"]),
                         ("mptcp", "established", 7460))
        self.assertEqual(by[ino(lsn)]["state"], "listening")
        self.assertEqual(c["mptcp"]["bytes_sent"], 3000)
        self.assertEqual(c["mptcp"]["bytes_acked"], 3000)
        self.assertEqual(s["mptcp"]["bytes_received"], 3000)
        # one side's data sequence is the other's expected one
        self.assertEqual(c["mptcp"]["write_seq"], s["mptcp"]["rcv_nxt"])
        # ss -M: token and sequence numbers, in hex
        text = ss("-HMni", "sport", "=", str(cli.getsockname()[1]))
        tok = re.search(r"token:([0-9a-f]+)", text)
        ws = re.search(r"write_seq:([0-9a-f]+)", text)
        self.assertEqual(c["mptcp"]["token"], int(tok.group(1), 16))
        self.assertEqual(c["mptcp"]["write_seq"], int(ws.group(1), 16))
        # its subflow is a TCP socket of its own; -A tcp lists no mptcp
        self.assertNotIn("mptcp", {o["protocol"] for o in
                                   sockview_json(self, "-A", "tcp", "-a")})
        # a filter goes to the kernel as for TCP
        self.assertEqual([o["inode"] for o in
                          sockview_json(self, "-A", "mptcp", "sport", "=",
                                        ":7460")], [ino(srv)])
