"""--save / --load: a capture renders the same sockets later, anywhere,
with any options; broken captures are refused with a reason."""

import json
import os
import socket
import struct
import subprocess
import unittest

from base import SockviewTestCase, sockview_json
import nsutil
from nsutil import in_netns, sockview


class TestCapture(SockviewTestCase):

    def zoo(self):
        keep = []
        l = socket.socket()
        l.bind(("127.0.0.1", 5600))
        l.listen(4)
        c = socket.create_connection(("127.0.0.1", 5600))
        s, _ = l.accept()
        c.sendall(b"q" * 1234)
        s.sendall(b"r" * 77)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 5601))
        x = socket.socket(socket.AF_UNIX)
        x.bind(b"\0sv-capture-test")
        x.listen(2)
        w = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                          socket.IPPROTO_ICMP)
        keep += [l, c, s, u, x, w]
        return keep

    @in_netns
    def test_load_renders_what_was_saved(self):
        keep = self.zoo()
        cap = os.path.join(self.make_tmpdir(), "zoo.cap")
        live = sockview_json(self, "-ap", "--save", cap)
        self.assertTrue(os.path.getsize(cap) > 24)
        # close every socket: what --load shows comes from the file
        ports = {o["local"].get("port") for o in live}
        self.assertIn(5600, ports)
        for k in keep:
            k.close()
        self.assertEqual(sockview_json(self, "-t"), [])
        loaded = sockview_json(self, "-ap", "--load", cap)
        # a cgroup path is named from this host's hierarchy at the time:
        # a capture keeps the id only
        self.assertTrue(any("cgroup" in o for o in live))
        self.assertFalse(any("cgroup" in o for o in loaded))
        for o in live:
            o.pop("cgroup", None)
        self.assertEqual(loaded, live, "the same sockets, field by field")
        # and what the test made, not only what the live run said
        me = os.getpid()
        by_port = {}
        for o in loaded:
            if o.get("family") in ("inet", "inet6"):
                by_port.setdefault(o["local"]["port"], []).append(o)
        want = {(p, s, q) for p, s, q in ((5600, "listening", 0),
                                          (5600, "established", 1234))}
        got = {(5600, o["state"], o["recv_q"]) for o in by_port[5600]}
        self.assertEqual(got, want)
        self.assertEqual([o["protocol"] for o in by_port[5601]], ["udp"])
        client = [o for o in loaded if o.get("peer", {}).get("port") == 5600]
        self.assertEqual([o["recv_q"] for o in client], [77])
        for o in by_port[5600] + by_port[5601]:
            self.assertIn(me, [q["pid"] for q in o.get("processes", [])],
                          "the owner, saved with -p")
        # any options: protocol, state selection, filter, table
        tcp = sockview_json(self, "-t", "--load", cap)
        self.assertTrue(tcp)
        self.assertTrue(all(o["protocol"] == "tcp" and
                            o["state"] == "established" for o in tcp))
        f = sockview_json(self, "-a", "--load", cap, "sport = :5600")
        self.assertEqual(sorted((o["state"], o["recv_q"]) for o in f),
                         [("established", 1234), ("listening", 0)])
        self.assertEqual(
            [o["local"]["path"] for o in sockview_json(self, "-xl", "--load",
                                                       cap)],
            ["@sv-capture-test"])
        p = sockview("list", "-tanoiem", "--load", cap)
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"127.0.0.1:5600", p.stdout)

    @in_netns
    def test_save_when_the_reader_goes_away(self):
        """`--save F | head -1`: the capture is whole, or an error."""
        n = 3000
        keep = []
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            keep.append(s)
        d = self.make_tmpdir()
        exe = nsutil.sockview_path()
        for opts, whole in ((["-tl"], True), (["-tl", "--json"], False)):
            cap = os.path.join(d, "x.cap")
            # a reader that takes one line and leaves
            p = subprocess.run(
                ["/bin/sh", "-c", '"$0" "$@" | head -n 1 >/dev/null; '
                 'exit $(cat "%s.rc")' % cap, "/bin/sh", "-c",
                 '"$@"; echo $? > "%s.rc"' % cap, "sh", exe, "list"] +
                opts + ["--save", cap],
                capture_output=True, timeout=30)
            if whole:
                # the table is written after the dump: the capture is done
                self.assertEqual(p.returncode, 0, p.stderr)
                loaded = sockview_json(self, "-tl", "--load", cap)
                self.assertEqual(len(loaded), n)
                os.unlink(cap)
            else:
                # JSON streams: the dump was cut short with the output
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertIn(b"not saved", p.stderr)
                self.assertFalse(os.path.exists(cap),
                                 "no truncated capture is left behind")
        for s in keep:
            s.close()

    @in_netns
    def test_broken_captures(self):
        keep = self.zoo()
        d = self.make_tmpdir()
        cap = os.path.join(d, "ok.cap")
        sockview_json(self, "-a", "--save", cap)
        data = open(cap, "rb").read()

        def load(name, blob):
            path = os.path.join(d, name)
            with open(path, "wb") as f:
                f.write(blob)
            return sockview("list", "--load", path)

        for cut in (10, 30, len(data) // 2, len(data) - 4):
            p = load("cut%d" % cut, data[:cut])
            self.assertEqual(p.returncode, 1, cut)
            self.assertIn(b"truncated" if cut >= 16 else b"not a sockview",
                          p.stderr, cut)
        newer = data[:16] + struct.pack("<I", 2) + data[20:]
        p = load("newer", newer)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"newer", p.stderr)
        p = load("other", b"GIF89a" + b"\0" * 100)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"not a sockview capture", p.stderr)
        p = sockview("list", "--load", os.path.join(d, "missing"))
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"missing", p.stderr)
        p = sockview("list", "--load", cap, "--netns", "x")
        self.assertEqual(p.returncode, 2)
        # not files one should hand it: refused at once, with the reason
        fifo = os.path.join(d, "fifo")
        os.mkfifo(fifo)  # no writer: must not block
        big = os.path.join(d, "big")
        with open(big, "wb") as f:
            f.truncate(2 << 30)  # sparse: 2 GB of zeros, no magic
        for path, why in (("/dev/zero", b"not a sockview capture"),
                          (d, b"a directory"),
                          (fifo, b"not a sockview capture"),
                          (big, b"not a sockview capture")):
            p = sockview("list", "--load", path, timeout=10)
            self.assertEqual(p.returncode, 1, (path, p.stderr))
            self.assertIn(why, p.stderr, path)

        # a reply the kernel marked NLM_F_DUMP_INTR (the table changed
        # during the dump): reported, not printed as if whole
        blob = bytearray(data)
        off = 24
        while off + 8 <= len(blob):
            rtype, rlen = struct.unpack_from("<II", blob, off)
            if rtype == 2 and rlen >= 16:
                flags = struct.unpack_from("<H", blob, off + 8 + 6)[0]
                struct.pack_into("<H", blob, off + 8 + 6, flags | 0x10)
                break
            off += 8 + (rlen + 3) // 4 * 4
        else:
            self.fail("no netlink reply in the capture")
        p = load("intr", bytes(blob))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(b"changed while the kernel dumped", p.stderr)



def ip(*args):
    subprocess.run(["ip"] + list(args), check=True, capture_output=True)


def ifindex(name):
    return socket.if_nametoindex(name)


class TestCaptureDevices(SockviewTestCase):

    @in_netns
    def test_dev_names_come_from_the_capture(self):
        ip("link", "add", "svd0", "type", "bridge")
        ip("link", "add", "svd1", "type", "bridge")
        saved_index = ifindex("svd0")
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"svd0")
        u.bind(("0.0.0.0", 5700))
        other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        other.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"svd1")
        other.bind(("0.0.0.0", 5701))
        cap = os.path.join(self.make_tmpdir(), "dev.cap")
        live = sockview_json(self, "-ul", "--save", cap)
        self.assertEqual(sorted(o["local"]["port"] for o in live),
                         [5700, 5701])
        live = sockview_json(self, "-ul", "dev", "svd0")
        self.assertEqual([o["local"]["port"] for o in live], [5700])
        u.close()
        other.close()
        # the names now mean other devices here, or none at all
        ip("link", "del", "svd0")
        ip("link", "del", "svd1")
        ip("link", "add", "svd9", "type", "bridge")
        ip("link", "add", "svd0", "type", "bridge")
        self.assertNotEqual(ifindex("svd0"), saved_index)

        got = sockview_json(self, "-ul", "--load", cap, "dev", "svd0")
        self.assertEqual([(o["local"]["port"], o["ifindex"]) for o in got],
                         [(5700, saved_index)],
                         "svd0 as the capture's table names it")
        self.assertEqual(got[0]["interface"], "svd0")
        got = sockview_json(self, "-ul", "--load", cap, "dev", "svd1",
                            "or", "dev", "svd0")
        self.assertEqual(sorted(o["local"]["port"] for o in got),
                         [5700, 5701])
        got = sockview_json(self, "-ul", "--load", cap, "not", "dev",
                            "svd1")
        self.assertEqual([o["local"]["port"] for o in got], [5700])
        # a device this host has but the capture lacks is an error
        p = sockview("list", "-ul", "--load", cap, "dev", "svd9")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(b"no device 'svd9' in the capture", p.stderr)
        # and live, the names are this host's: svd1 is gone
        p = sockview("list", "-ul", "dev", "svd1")
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"no such device 'svd1'", p.stderr)


if __name__ == "__main__":
    unittest.main()
