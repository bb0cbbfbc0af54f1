"""Filter expressions through the binary, against sockets whose answers
the test knows; and a proof that the kernel did the filtering: the
replies saved with --save hold only the matching sockets."""

import os
import re
import socket
import struct
import subprocess
import unittest

from base import SockviewTestCase, sockview_json
from nsutil import in_netns, sockview

SO_MARK = 36


class Zoo:
    """Sockets with known ports, addresses, states, marks, devices."""

    def __init__(self):
        self.keep = []
        self.recs = []  # (inode, family, state, laddr, lport, raddr, rport, mark, dev)
        self.listen("127.0.0.1", 7000)
        self.listen("::1", 7001)
        lo = self.listen("127.0.0.1", 7002, dev=b"lo")
        self.listen("127.0.0.1", 7003, mark=0x11)
        for src in ("127.0.0.2", "127.0.0.3"):
            self.connect(src, "127.0.0.1", 7000)
        self.connect("::1", "::1", 7001)
        self.keep.append(lo)

    def add(self, s, state, mark=0, dev=None):
        la = s.getsockname()
        try:
            ra = s.getpeername()
        except OSError:
            ra = ("::" if s.family == socket.AF_INET6 else "0.0.0.0", 0)
        fam = "inet6" if s.family == socket.AF_INET6 else "inet"
        self.recs.append(dict(inode=os.fstat(s.fileno()).st_ino, family=fam,
                              state=state, laddr=la[0], lport=la[1],
                              raddr=ra[0], rport=ra[1], mark=mark, dev=dev))
        self.keep.append(s)

    def listen(self, addr, port, dev=None, mark=0):
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        s = socket.socket(fam)
        if dev:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev)
        if mark:
            s.setsockopt(socket.SOL_SOCKET, SO_MARK, mark)
        s.bind((addr, port))
        s.listen(8)
        self.add(s, "listening", mark, dev)
        return s

    def connect(self, src, dst, port):
        fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
        c = socket.socket(fam)
        c.bind((src, 0))
        c.connect((dst, port))
        l = [k for k in self.keep if k.getsockname()[1] == port][0]
        a, _ = l.accept()
        self.add(c, "established")
        self.add(a, "established")

    def where(self, pred):
        return sorted(r["inode"] for r in self.recs if pred(r))


def inodes(objs):
    return sorted(o["inode"] for o in objs if "inode" in o)


class TestFilter(SockviewTestCase):

    def check(self, z, expr, pred, opts="-ta", empty=False):
        got = inodes(sockview_json(self, opts, *expr.split()))
        want = z.where(pred)
        self.assertEqual(got, want, "filter %r" % expr)
        self.assertEqual(not want, empty,
                         "the expected set of %r is %r" % (expr, want))

    @in_netns
    def test_ports_and_operators(self):
        z = Zoo()
        self.check(z, "sport = :7000", lambda r: r["lport"] == 7000)
        self.check(z, "sport == 7000", lambda r: r["lport"] == 7000)
        self.check(z, "sport eq :7000", lambda r: r["lport"] == 7000)
        self.check(z, "sport != :7000", lambda r: r["lport"] != 7000)
        self.check(z, "sport ne :7000", lambda r: r["lport"] != 7000)
        self.check(z, "sport < :7002", lambda r: r["lport"] < 7002)
        self.check(z, "sport lt :7002", lambda r: r["lport"] < 7002)
        self.check(z, "sport <= :7002", lambda r: r["lport"] <= 7002)
        self.check(z, "sport le :7002", lambda r: r["lport"] <= 7002)
        self.check(z, "sport > :7001", lambda r: r["lport"] > 7001)
        self.check(z, "sport gt :7001", lambda r: r["lport"] > 7001)
        self.check(z, "sport >= :7001", lambda r: r["lport"] >= 7001)
        self.check(z, "sport ge :7001", lambda r: r["lport"] >= 7001)
        self.check(z, "dport = :7000", lambda r: r["rport"] == 7000)
        self.check(z, "dport > :7000", lambda r: r["rport"] > 7000)
        self.check(z, "sport = :9999", lambda r: False, empty=True)

    @in_netns
    def test_addresses_devices_marks(self):
        z = Zoo()
        self.check(z, "src 127.0.0.2", lambda r: r["laddr"] == "127.0.0.2")
        self.check(z, "src 127.0.0.0/30",
                   lambda r: r["laddr"] in ("127.0.0.1", "127.0.0.2",
                                            "127.0.0.3"))
        self.check(z, "dst 127.0.0.1:7000",
                   lambda r: r["raddr"] == "127.0.0.1" and r["rport"] == 7000)
        self.check(z, "dst [::1]:7001",
                   lambda r: r["raddr"] == "::1" and r["rport"] == 7001)
        self.check(z, "src inet6:[::1]", lambda r: r["laddr"] == "::1")
        self.check(z, "src *:7001", lambda r: r["lport"] == 7001)
        self.check(z, "dev lo", lambda r: r["dev"] == b"lo")
        idx = socket.if_nametoindex("lo")
        self.check(z, "dev %d" % idx, lambda r: r["dev"] == b"lo")
        self.check(z, "fwmark 0x11", lambda r: r["mark"] == 0x11)
        self.check(z, "fwmark 0x10/0x10", lambda r: r["mark"] & 0x10)
        self.check(z, "cgroup /", lambda r: True)

    @in_netns
    def test_boolean_and_states(self):
        z = Zoo()
        self.check(z, "sport = :7000 or dport = :7000",
                   lambda r: 7000 in (r["lport"], r["rport"]))
        self.check(z, "sport = :7000 || dport = :7000",
                   lambda r: 7000 in (r["lport"], r["rport"]))
        self.check(z, "src 127.0.0.1 sport = :7000",
                   lambda r: r["laddr"] == "127.0.0.1" and r["lport"] == 7000)
        self.check(z, "src 127.0.0.1 and not sport = :7000",
                   lambda r: r["laddr"] == "127.0.0.1" and r["lport"] != 7000)
        self.check(z, "! ( sport = :7000 || sport = :7001 )",
                   lambda r: r["lport"] not in (7000, 7001))
        self.check(z, "( sport = :7000 && dst 127.0.0.2 ) or sport = :7002",
                   lambda r: (r["lport"] == 7000 and r["raddr"] == "127.0.0.2")
                   or r["lport"] == 7002)
        self.check(z, "state established",
                   lambda r: r["state"] == "established", opts="-t")
        self.check(z, "state listening",
                   lambda r: r["state"] == "listening", opts="-t")
        for group in ("connected", "synchronized"):
            self.check(z, "state %s" % group,
                       lambda r: r["state"] == "established", opts="-t")
        # big: all but the bucket states (syn-recv, time-wait)
        self.check(z, "state big", lambda r: True, opts="-t")
        self.check(z, "state all", lambda r: True, opts="-t")
        self.check(z, "state bucket", lambda r: False, opts="-t", empty=True)
        self.check(z, "state all exclude listening",
                   lambda r: r["state"] != "listening", opts="-t")

    @in_netns
    def test_user_space_extensions(self):
        z = Zoo()
        me = os.getpid()
        self.check(z, "pid %d" % me, lambda r: True)
        self.check(z, "pid %d" % (me + 100000), lambda r: False, empty=True)
        comm = open("/proc/self/comm").read().strip()
        self.check(z, "comm %s" % comm, lambda r: True)
        self.check(z, "uid 0 and sport = :7003", lambda r: r["lport"] == 7003)
        ino = z.recs[0]["inode"]
        self.check(z, "inode %d" % ino, lambda r: r["inode"] == ino)
        path = os.path.join(self.make_tmpdir(), "f")
        with open(path, "w") as f:
            f.write("# the listeners\n( sport = :7000\n  or sport = :7001 )\n")
        got = inodes(sockview_json(self, "-tl", "-F", path))
        self.assertEqual(got, z.where(lambda r: r["state"] == "listening" and
                                      r["lport"] in (7000, 7001)))

    @in_netns
    def test_kernel_did_the_filtering(self):
        """With a filter, the kernel's replies (as --save keeps them) hold
        only the matching sockets, not every socket to be sorted out."""
        z = Zoo()
        for i in range(100):  # many sockets that do not match
            z.connect("127.0.0.%d" % (10 + i % 50), "127.0.0.1", 7000)
        d = self.make_tmpdir()

        def replies(path):
            data = open(path, "rb").read()
            off, internal, n = 24, 0, 0
            while off + 8 <= len(data):
                t, ln = struct.unpack_from("<II", data, off)
                body = data[off + 8:off + 8 + ln]
                if t == 1:
                    internal = body[2]
                elif t == 2 and not internal:
                    p = 0
                    while p + 16 <= len(body):
                        mlen, mtype = struct.unpack_from("<IH", body, p)
                        if mtype == 20:  # SOCK_DIAG_BY_FAMILY
                            n += 1
                        p += (mlen + 3) & ~3
                off += 8 + (ln + 3) // 4 * 4
            return n

        sockview_json(self, "-ta", "--save", os.path.join(d, "all"))
        sockview_json(self, "-ta", "--save", os.path.join(d, "f"),
                      "dport", "=", ":7001")
        self.assertGreater(replies(os.path.join(d, "all")), 200)
        self.assertEqual(replies(os.path.join(d, "f")),
                         len(z.where(lambda r: r["rport"] == 7001)))

    def ss_inodes(self, opts, expr):
        """What ss itself lists for expr: the oracle beside the test's own
        sockets."""
        p = subprocess.run(["ss", "-Hne" + opts.lstrip("-")] + expr.split(),
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 0, "ss %s: %s" % (expr, p.stderr))
        return sorted(int(m) for m in re.findall(r"\bino:(\d+)", p.stdout))

    @in_netns
    def test_ss_forms(self):
        """What ss accepts reads the same here: geq/leq, single & and |,
        short IPv4 prefixes, netmasks, brackets around IPv4, a trailing
        colon, hex ports, "*" ports; each against the test's own sockets
        and against ss."""
        z = Zoo()
        # a socket from 127.1.0.0: "127.1" is that address to iproute2
        z.connect("127.1.0.0", "127.0.0.1", 7000)
        forms = (
            ("sport geq :7001", lambda r: r["lport"] >= 7001),
            ("sport leq :7001", lambda r: r["lport"] <= 7001),
            ("sport = :7000 | dport = :7000",
             lambda r: 7000 in (r["lport"], r["rport"])),
            ("src 127.0.0.1 & sport != :7000",
             lambda r: r["laddr"] == "127.0.0.1" and r["lport"] != 7000),
            ("dst 127/8", lambda r: r["raddr"].startswith("127.")),
            ("src 127.0/16", lambda r: r["laddr"].startswith("127.0.")),
            ("src 127.0.0.0/255.255.255.252",
             lambda r: r["laddr"] in ("127.0.0.1", "127.0.0.2",
                                      "127.0.0.3")),
            ("dst 127.0.0.1:", lambda r: r["raddr"] == "127.0.0.1"),
            ("src [127.0.0.2]", lambda r: r["laddr"] == "127.0.0.2"),
            ("src [127.0.0.1]:7000",
             lambda r: r["laddr"] == "127.0.0.1" and r["lport"] == 7000),
            ("sport = :0x1b58", lambda r: r["lport"] == 7000),
            ("dport = 0x1b58", lambda r: r["rport"] == 7000),
            ("src 127.1", lambda r: r["laddr"] == "127.1.0.0"),
            ("src 127.0.0.1:*", lambda r: r["laddr"] == "127.0.0.1"),
        )
        for expr, pred in forms:
            self.check(z, expr, pred)
            self.assertEqual(self.ss_inodes("-ta", expr), z.where(pred),
                             "ss agrees on %r" % expr)
        # "*" as a port: every socket has one (ss takes it too)
        self.check(z, "sport = :*", lambda r: True)
        self.check(z, "dport = *", lambda r: True)
        self.check(z, "dport != *", lambda r: False, empty=True)

    @in_netns
    def test_family_prefix(self):
        """inet: and inet6: name the family, as ss's do: a v4-mapped IPv6
        socket is no IPv4 socket."""
        z = Zoo()
        l6 = socket.socket(socket.AF_INET6)
        l6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        l6.bind(("::", 7010))
        l6.listen(4)
        z.add(l6, "listening")
        c = socket.socket(socket.AF_INET)
        c.connect(("127.0.0.1", 7010))
        a, _ = l6.accept()
        z.add(c, "established")
        z.add(a, "established")
        self.check(z, "src inet:*", lambda r: r["family"] == "inet")
        self.check(z, "src inet6:*", lambda r: r["family"] == "inet6")
        self.check(z, "src inet:127.0.0.1",
                   lambda r: r["family"] == "inet" and
                   r["laddr"] == "127.0.0.1")
        # without the prefix an IPv4 address matches v4-mapped too
        self.check(z, "src 127.0.0.1 and sport = :7010",
                   lambda r: r["lport"] == 7010 and
                   r["laddr"] in ("127.0.0.1", "::ffff:127.0.0.1"))
        for expr in ("src inet:*", "src inet6:*"):
            fam = expr[4:-2]
            self.assertEqual(self.ss_inodes("-ta", expr),
                             z.where(lambda r: r["family"] == fam),
                             "ss agrees on %r" % expr)

    @in_netns
    def test_unix_names_and_ports(self):
        """UNIX globs ignore case (ss(8)); a UNIX socket has no port, so
        no port condition holds for it, not even !=."""
        d = self.make_tmpdir()
        path = os.path.join(d, "Ctl.SOCK")
        u = socket.socket(socket.AF_UNIX)
        u.bind(path)
        u.listen(1)
        ino = os.fstat(u.fileno()).st_ino
        got = inodes(sockview_json(self, "-xa", "src", d + "/ctl.sock"))
        self.assertEqual(got, [ino])
        got = inodes(sockview_json(self, "-xa", "src", "unix:*/CTL.*"))
        self.assertEqual(got, [ino])
        for expr in ("sport != :22", "sport >= :0", "dport < :65535",
                     "sport = :0", "src *:0", "sport = *"):
            got = sockview_json(self, "-xa", *expr.split())
            self.assertEqual(got, [], "UNIX sockets and %r" % expr)
        got = inodes(sockview_json(self, "-xa", "not", "sport", "=", ":22",
                                   "and", "src", path))
        self.assertEqual(got, [ino])
        u.close()

    @in_netns
    def test_bad_expressions(self):
        for expr, token in ((["sport", "=", ":7000", ")"], b"')'"),
                            (["(", "sport", "=", ":1"], b"("),
                            (["state", "bogus"], b"bogus"),
                            (["dport", ">"], b">"),
                            (["src", "300.1.1.1"], b"300.1.1.1"),
                            (["frobnicate"], b"frobnicate")):
            p = sockview("list", *expr)
            self.assertEqual(p.returncode, 2, expr)
            self.assertIn(token, p.stderr, expr)
            self.assertIn(b"position", p.stderr, expr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1,
                             "one line: %r" % p.stderr)


if __name__ == "__main__":
    unittest.main()
