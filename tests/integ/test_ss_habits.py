"""ss's habits under `sockview list`: -H, -O, -s, -A, -f, -V.  Oracles:
the sockets each test makes in its private namespace, and ss itself."""

import json
import re
import socket

from base import SockviewTestCase, sockview_json
from nsutil import in_netns, sockview, ss


def listener(family, addr, port):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(8)
    return s


def connection(port):
    """A connected pair on 127.0.0.1:port, accepted: (lsn, cli, srv)."""
    lsn = listener(socket.AF_INET, "127.0.0.1", port)
    cli = socket.create_connection(("127.0.0.1", port))
    srv, _ = lsn.accept()
    return lsn, cli, srv


def udp(family, addr, port):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((addr, port))
    return s


def run_ok(tc, *args):
    p = sockview(*args)
    tc.assertEqual(p.returncode, 0, "sockview %s: %r" % (args, p.stderr))
    return p.stdout.decode()


def ss_transport(text):
    """ss -s's Transport table: {name: (total, ipv4, ipv6)}."""
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^(TCP|UDP|RAW)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", line)
        if m:
            rows[m.group(1)] = tuple(int(x) for x in m.group(2, 3, 4))
    return rows


class TestHeaderAndOneline(SockviewTestCase):

    @in_netns
    def test_no_header(self):
        held = [listener(socket.AF_INET, "127.0.0.1", 7301 + i)
                for i in range(3)]
        with_header = run_ok(self, "list", "-tl").splitlines()
        bare = run_ok(self, "list", "-tl", "-H").splitlines()
        self.assertTrue(with_header[0].startswith("Netid"))
        self.assertEqual(len(bare), len(held),
                         "one line per listener the test made: %r" % bare)
        self.assertFalse(any(line.startswith("Netid") for line in bare))
        ports = sorted(int(re.search(r"127\.0\.0\.1:(\d+)", line).group(1))
                       for line in bare)
        self.assertEqual(ports, [7301, 7302, 7303])
        # ss -H agrees on how many rows there are
        self.assertEqual(len(ss("-Htln").splitlines()), len(bare))
        self.assertEqual(run_ok(self, "list", "-tl", "--no-header"),
                         "\n".join(bare) + "\n")

    @in_netns
    def test_oneline_puts_details_on_the_row(self):
        held = connection(7310)
        two = run_ok(self, "list", "-ti", "-H").splitlines()
        one = run_ok(self, "list", "-ti", "-H", "-O").splitlines()
        self.assertEqual(len(two), 4, "two sockets, two lines each")
        self.assertEqual(len(one), 2, "-O: one line per socket: %r" % one)
        for line in one:
            self.assertRegex(line, r"^tcp\s+ESTAB .* tcp: cong:\S+ ")
            self.assertIn(" seq: snd_una:", line)
        # the same details (times move between runs: compare the keys),
        # only the line break before them differs
        def keys(text):
            return re.findall(r"(\S+):\S", text)
        self.assertEqual(sorted(keys(l.split(" tcp: ")[1]) for l in one),
                         sorted(keys(l.strip()[len("tcp: "):])
                                for l in two if l.startswith("\t")))
        self.assertEqual(sum(1 for l in two if l.startswith("\t")), 2)
        self.assertEqual(
            len(run_ok(self, "list", "-ti", "-H", "--oneline").splitlines()),
            2)
        del held


class TestSummary(SockviewTestCase):

    def zoo(self):
        z = [connection(7320)]                                  # 3 TCP v4
        z.append(listener(socket.AF_INET6, "::1", 7321))       # 1 TCP v6
        z += [udp(socket.AF_INET, "127.0.0.1", 7330 + i)       # 3 UDP v4
              for i in range(3)]
        z.append(udp(socket.AF_INET6, "::1", 7340))            # 1 UDP v6
        z.append(socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM))
        z.append(socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM))
        return z

    @in_netns
    def test_summary_counts_the_sockets_made(self):
        z = self.zoo()
        p = sockview("list", "-s", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        got = json.loads(p.stdout)
        protos = got["protocols"]
        self.assertEqual(protos["tcp"]["total"], 4)
        self.assertEqual((protos["tcp"]["inet"], protos["tcp"]["inet6"]),
                         (3, 1))
        self.assertEqual(protos["tcp"]["states"],
                         {"established": 2, "listening": 2})
        self.assertEqual(protos["udp"]["total"], 4)
        self.assertEqual((protos["udp"]["inet"], protos["udp"]["inet6"]),
                         (3, 1))
        self.assertEqual(protos["udp"]["states"], {"closed": 4})
        self.assertEqual(protos["raw"]["total"], 0)
        self.assertEqual(protos["unix"]["total"], 4)
        self.assertEqual(protos["unix"]["states"], {"established": 4})
        self.assertNotIn("inet", protos["unix"])
        self.assertEqual(got["total"], 12)

        # ss -s reads /proc/net/sockstat: its transport table agrees
        want = ss_transport(ss("-s"))
        self.assertEqual(want["TCP"], (4, 3, 1))
        self.assertEqual(want["UDP"], (4, 3, 1))
        text = run_ok(self, "list", "-s")
        mine = ss_transport(text)
        self.assertEqual(mine["TCP"], want["TCP"])
        self.assertEqual(mine["UDP"], want["UDP"])
        self.assertIn("Total: 12\n", text)
        self.assertIn("TCP:   4 (established 2, listening 2)\n", text)
        self.assertRegex(text, r"\nUNIX\s+4\s+-\s+-\n")
        del z

    @in_netns
    def test_summary_counts_what_is_selected(self):
        z = self.zoo()
        got = json.loads(run_ok(self, "list", "-s", "--json", "-t",
                                "state", "listening"))
        self.assertEqual(list(got["protocols"]), ["tcp"])
        self.assertEqual(got["protocols"]["tcp"]["states"], {"listening": 2})
        self.assertEqual(got["total"], 2)
        got = json.loads(run_ok(self, "list", "-s", "--json", "-4", "-u"))
        self.assertEqual(got["total"], 3)
        # -s alone counts every state; -s with -a or -l as asked
        got = json.loads(run_ok(self, "list", "-s", "--json", "-t", "-l"))
        self.assertEqual(got["protocols"]["tcp"]["states"], {"listening": 2})
        p = sockview("metrics", "-s")
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"-s", p.stderr)
        del z


class TestQueryAndFamily(SockviewTestCase):

    def zoo(self):
        return [connection(7350), udp(socket.AF_INET, "127.0.0.1", 7351),
                udp(socket.AF_INET6, "::1", 7352),
                socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM),
                socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM),
                socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)]

    def kinds(self, *args):
        return sorted({(o["protocol"], o["type"], o["family"])
                       for o in sockview_json(self, "-a", *args)})

    @in_netns
    def test_query_words(self):
        z = self.zoo()
        cases = {
            ("-A", "unix_dgram"): [("unix", "dgram", "unix")],
            ("-A", "u_str,unix_seqpacket"): [("unix", "seqpacket", "unix"),
                                             ("unix", "stream", "unix")],
            ("-A", "tcp"): [("tcp", "stream", "inet")],
            ("-A", "inet"): [("tcp", "stream", "inet"),
                             ("udp", "dgram", "inet"),
                             ("udp", "dgram", "inet6")],
            ("-A", "all,!unix,!udp,!netlink,!packet"):
                [("tcp", "stream", "inet")],
            ("-A", "unix,!unix_stream"): [("unix", "dgram", "unix"),
                                          ("unix", "seqpacket", "unix")],
            ("--query", "udp", "-6"): [("udp", "dgram", "inet6")],
        }
        for args, want in cases.items():
            self.assertEqual(self.kinds(*args), want, args)
        # ss's own answer for the UNIX types, counted
        for word, typ in (("unix_dgram", "dgram"),
                          ("unix_stream", "stream")):
            n = len(ss("-Ha", "-A", word).splitlines())
            got = [o for o in sockview_json(self, "-a", "-A", word)]
            self.assertEqual(len(got), n, word)
            self.assertTrue(all(o["type"] == typ for o in got))
        del z

    @in_netns
    def test_tables_sockview_lacks_are_refused(self):
        for word in ("sctp", "dccp", "vsock", "tipc", "xdp",
                     "tcp,sctp"):
            p = sockview("list", "-A", word)
            self.assertEqual(p.returncode, 2, word)
            self.assertRegex(p.stderr.decode(), r"cannot list \w+ sockets")
            self.assertEqual(p.stdout, b"")
        p = sockview("list", "-A", "bogus")
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"'bogus'", p.stderr)
        p = sockview("list", "-A", "!tcp")
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"no table", p.stderr)
        for fam in ("vsock", "tipc", "xdp"):
            p = sockview("list", "-f", fam)
            self.assertEqual(p.returncode, 2, fam)
            self.assertIn(b"cannot list", p.stderr)
        p = sockview("list", "-f", "bogus")
        self.assertEqual(p.returncode, 2)

    @in_netns
    def test_family_words(self):
        z = self.zoo()
        self.assertEqual(self.kinds("-f", "inet"),
                         [("tcp", "stream", "inet"),
                          ("udp", "dgram", "inet")])
        self.assertEqual(self.kinds("-f", "inet6"),
                         [("udp", "dgram", "inet6")])
        self.assertEqual(self.kinds("-f", "unix"),
                         [("unix", "dgram", "unix"),
                          ("unix", "seqpacket", "unix"),
                          ("unix", "stream", "unix")])
        self.assertEqual(self.kinds("-f", "inet", "-f", "unix", "-A",
                                    "udp"),
                         [("udp", "dgram", "inet")])
        self.assertEqual(self.kinds("--family", "unix", "-f", "inet6"),
                         [("udp", "dgram", "inet6"),
                          ("unix", "dgram", "unix"),
                          ("unix", "seqpacket", "unix"),
                          ("unix", "stream", "unix")])
        del z

    @in_netns
    def test_version_under_list(self):
        want = run_ok(self, "--version")
        self.assertRegex(want, r"^sockview \S+\n$")
        self.assertEqual(run_ok(self, "list", "-V"), want)
        self.assertEqual(run_ok(self, "list", "-t", "--version"), want)
