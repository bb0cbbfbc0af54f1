"""-r: reverse names through a DNS server the test runs on 127.0.0.53,
in a mount namespace whose /etc/resolv.conf points at it."""

import ctypes
import os
import socket
import time
import unittest

from base import SockviewTestCase, sockview_json
from dnsserver import DnsServer
from nsutil import in_netns, sockview, _libc

CLONE_NEWNS = 0x00020000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MS_BIND = 4096


def use_test_resolver(tmpdir):
    if _libc.unshare(ctypes.c_int(CLONE_NEWNS)) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    if _libc.mount(b"none", b"/", None, ctypes.c_ulong(MS_REC | MS_PRIVATE),
                   None) != 0:
        raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
    conf = os.path.join(tmpdir, "resolv.conf")
    with open(conf, "w") as f:
        f.write("nameserver 127.0.0.53\noptions timeout:10 attempts:1\n")
    if _libc.mount(conf.encode(), b"/etc/resolv.conf", None,
                   ctypes.c_ulong(MS_BIND), None) != 0:
        raise OSError(ctypes.get_errno(), "bind mount resolv.conf")


def peers(n, port, first=2):
    """n connections to 127.0.0.1:port from 127.0.0.<first>..: n distinct
    peer addresses as the listener's accepted sockets see them."""
    l = socket.socket()
    l.bind(("127.0.0.1", port))
    l.listen(n)
    keep = [l]
    for i in range(n):
        c = socket.socket()
        c.bind(("127.0.0.%d" % (first + i), 0))
        c.connect(("127.0.0.1", port))
        s, _ = l.accept()
        keep += [c, s]
    return keep


class TestResolve(SockviewTestCase):

    @in_netns(timeout=60)
    def test_parallel_lookups_names_and_services(self):
        use_test_resolver(self.make_tmpdir())
        names = {"127.0.0.%d" % i: b"peer%d.test" % i for i in range(2, 66)}
        names["127.0.0.1"] = b"me.test"
        dns = DnsServer("127.0.0.53", names, delay=0.2)
        keep = peers(64, 6300)
        try:
            t0 = time.monotonic()
            objs = sockview_json(self, "-t", "-r", "--resolver-threads", "16",
                                 "-4")
            took = time.monotonic() - t0
        finally:
            dns.stop()
        accepted = [o for o in objs if o["local"]["port"] == 6300]
        self.assertEqual(len(accepted), 64)
        for o in accepted:
            want = names[o["peer"]["addr"]].decode()
            self.assertEqual(o["peer"].get("host"), want, o["peer"])
        # 64 distinct addresses at 0.2 s each: one after another would be
        # 13 s; 16 at a time is about 0.8 s.
        self.assertLess(took, 2.5, "lookups did not run in parallel")
        # 127.0.0.1 is answered from /etc/hosts, the 64 peers by DNS
        self.assertGreaterEqual(len(dns.queries), 64)
        # ports map to service names from /etc/services where known
        ssh = socket.getservbyport(22, "tcp")
        self.assertEqual(ssh, "ssh", "oracle sanity")

    @in_netns(timeout=60)
    def test_timeout_leaves_numeric(self):
        use_test_resolver(self.make_tmpdir())
        names = {"127.0.0.2": b"fast.test", "127.0.0.3": b"slow.test",
                 "127.0.0.1": b"me.test"}
        dns = DnsServer("127.0.0.53", names,
                        delay={"127.0.0.3": 8.0, "127.0.0.2": 0.0,
                               "127.0.0.1": 0.0})
        keep = peers(2, 6301)
        try:
            t0 = time.monotonic()
            objs = sockview_json(self, "-t4", "-r", "--resolve-timeout",
                                 "0.5")
            took = time.monotonic() - t0
        finally:
            dns.stop()
        self.assertLess(took, 3.0, "the run waited for a slow answer")
        by_peer = {o["peer"]["addr"]: o for o in objs
                   if o["local"]["port"] == 6301}
        self.assertEqual(by_peer["127.0.0.2"]["peer"].get("host"),
                         "fast.test")
        self.assertNotIn("host", by_peer["127.0.0.3"]["peer"],
                         "no answer in time: stays numeric")
        # the table shows names where known, numbers elsewhere
        dns = DnsServer("127.0.0.53", names,
                        delay={"127.0.0.3": 8.0})
        try:
            p = sockview("list", "-t4", "-r", "--resolve-timeout", "0.5")
        finally:
            dns.stop()
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"fast.test:", p.stdout)
        self.assertIn(b"127.0.0.3:", p.stdout)

    @in_netns(timeout=60)
    def test_names_with_a_pid_filter(self):
        """A filter on owners (pid) applies to the pass that collects the
        addresses too: the sockets it keeps get their names."""
        use_test_resolver(self.make_tmpdir())
        names = {"127.0.0.%d" % i: b"owned%d.test" % i for i in range(2, 5)}
        names["127.0.0.1"] = b"me.test"
        dns = DnsServer("127.0.0.53", names)
        keep = peers(3, 6302)
        try:
            objs = sockview_json(self, "-t4", "-r", "pid", str(os.getpid()))
        finally:
            dns.stop()
        accepted = [o for o in objs if o["local"]["port"] == 6302]
        self.assertEqual(len(accepted), 3, "this process owns them")
        for o in accepted:
            self.assertEqual(o["peer"].get("host"),
                             names[o["peer"]["addr"]].decode(), o["peer"])
        del keep

    @in_netns(timeout=60)
    def test_hostile_dns_name(self):
        """A PTR answer with control bytes never reaches the terminal:
        glibc's resolver refuses such names, so the address stays numeric
        (the escaping of names that do get through is unit-tested)."""
        use_test_resolver(self.make_tmpdir())
        names = {"127.0.0.2": b"a\x1b[2Jb\xc2\x9b.test",
                 "127.0.0.3": b"good-name.test"}
        dns = DnsServer("127.0.0.53", names)
        keep = peers(2, 6302)
        try:
            p = sockview("list", "-t4", "-r")
            j = sockview_json(self, "-t4", "-r")
        finally:
            dns.stop()
        self.assertEqual(p.returncode, 0)
        for b in p.stdout:
            self.assertFalse(b < 0x20 and b != 0x0a, "raw control byte")
        self.assertNotIn(b"\xc2\x9b", p.stdout, "raw C1 control")
        by_peer = {o["peer"]["addr"]: o["peer"] for o in j
                   if o["local"]["port"] == 6302}
        self.assertNotIn("host", by_peer["127.0.0.2"])
        self.assertEqual(by_peer["127.0.0.3"].get("host"), "good-name.test")
        self.assertIn(b"good-name.test:", p.stdout)


if __name__ == "__main__":
    unittest.main()
