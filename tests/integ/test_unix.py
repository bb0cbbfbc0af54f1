"""UNIX sockets: sockview vs ss -xa, /proc/net/unix and ground truth,
plus a socket path full of control bytes."""

import ctypes
import json
import os
import socket
import struct
import unittest

import oracles
import zoo as zoomod
from base import SockviewTestCase, sockview_json
from nsutil import _libc, in_netns, sockview, ss

SS_NETID = {"u_str": "stream", "u_dgr": "dgram", "u_seq": "seqpacket"}
PROC_TYPE = {1: "stream", 2: "dgram", 5: "seqpacket"}
ACCEPTCON = 0x10000


def j_path(o):
    """The socket name sockview reports: str, or None when unnamed."""
    loc = o.get("local")
    if loc is None:
        return None
    return loc.get("path")


class TestUnix(SockviewTestCase):

    def build(self):
        z = zoomod.Zoo(self.make_tmpdir())
        zoomod.build_unix_zoo(z)
        return z

    @in_netns
    def test_unix_ground_truth(self):
        z = self.build()
        objs = sockview_json(self, "-xaem")
        for o in objs:
            self.assertEqual(o.get("protocol"), "unix", "-x selects only "
                             "UNIX sockets, got %r" % o)
            self.assertEqual(o.get("family"), "unix")
        for rec in z.recs:
            o = self.by_inode(objs, rec["inode"], rec["name"])
            ctx = rec["name"]
            self.assertField(o, "type", rec["type"], ctx)
            if "state" in rec:
                self.assertField(o, "state", rec["state"], ctx)
            if rec["path"] is None:
                self.assertIn("local", o, ctx + ": local must be {} when "
                              "unnamed")
                self.assertEqual(o["local"], {}, ctx + ": unnamed socket")
            else:
                self.assertEqual(j_path(o), rec["path"], ctx + ": path")
            if rec.get("peer_sock") is not None:
                self.assertIn("peer", o, ctx)
                self.assertEqual(o["peer"].get("inode"),
                                 oracles.inode_of(rec["peer_sock"]),
                                 ctx + ": peer inode")
            elif rec.get("state") == "listening":
                self.assertFalse(o.get("peer", {}).get("inode"),
                                 ctx + ": a listener has no peer")
            if "recv_q" in rec:
                self.assertField(o, "recv_q", rec["recv_q"], ctx)
            if "send_q" in rec:
                self.assertField(o, "send_q", rec["send_q"], ctx)
            self.assertNotIn("tcp", o, ctx)

    @in_netns
    def test_unix_vs_ss(self):
        z = self.build()
        objs = sockview_json(self, "-xam")
        recs = oracles.parse_ss(ss("-xamH"), netid_col=True, unix=True)
        self.assertEqual(len(recs), len(z.recs) + 1, "oracle sanity "
                         "(zoo + the pending client)")
        self.assertEqual(len(objs), len(recs), "count vs ss -xa")
        for r in recs:
            o = self.by_inode(objs, r["inode"], "ss -xa")
            ctx = "unix inode %d" % r["inode"]
            self.assertField(o, "type", SS_NETID[r["netid"]], ctx)
            self.assertField(o, "state", r["state"], ctx)
            self.assertField(o, "recv_q", r["recv_q"], ctx)
            self.assertField(o, "send_q", r["send_q"], ctx)
            want_path = None if r["local_path"] == "*" else r["local_path"]
            self.assertEqual(j_path(o), want_path, ctx + ": path")
            if r["peer_inode"]:
                self.assertEqual(o.get("peer", {}).get("inode"),
                                 r["peer_inode"], ctx + ": peer inode")
            else:
                self.assertFalse(o.get("peer", {}).get("inode"),
                                 ctx + ": no peer")
            self.assertIn("skmem", r, "oracle sanity")
            self.assertIn("skmem", o, ctx)
            for f, v in r["skmem"].items():
                self.assertField(o["skmem"], f, v, ctx + " skmem")

    @in_netns
    def test_unix_vs_proc(self):
        z = self.build()
        objs = sockview_json(self, "-xa")
        # /proc also lists the server end of a not yet accepted connection
        # (inode 0, queued on the listener); sock_diag has no entry for it.
        proc = [e for e in oracles.proc_unix() if e["inode"]]
        self.assertEqual(len(proc), len(z.recs) + 1, "oracle sanity")
        self.assertEqual(len(objs), len(proc), "count vs /proc/net/unix")
        for e in proc:
            o = self.by_inode(objs, e["inode"], "/proc/net/unix")
            ctx = "unix inode %d" % e["inode"]
            self.assertField(o, "type", PROC_TYPE[e["type"]], ctx)
            self.assertEqual(o.get("state") == "listening",
                             bool(e["flags"] & ACCEPTCON),
                             ctx + ": listening iff __SO_ACCEPTCON")
            self.assertEqual(j_path(o), e["path"], ctx + ": path")

    @in_netns
    def test_longest_names(self):
        d = self.make_tmpdir()
        path = d + "/" + "L" * (108 - len(d) - 1)   # fills sun_path, no NUL
        self.assertEqual(len(path), 108)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # Python refuses a sun_path without a terminating NUL: use libc
        addr = struct.pack("=H", socket.AF_UNIX) + path.encode()
        if _libc.bind(s.fileno(), ctypes.c_char_p(addr), len(addr)) != 0:
            raise OSError(ctypes.get_errno(), "bind 108-byte path")
        s.listen(1)
        abstract = "\0" + "A" * 107
        a = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        a.bind(abstract)
        short = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        short.bind("\0" + "s")
        objs = sockview_json(self, "-xa")
        o = self.by_inode(objs, oracles.inode_of(s), "108-byte path")
        self.assertEqual(j_path(o), path)
        oa = self.by_inode(objs, oracles.inode_of(a), "107-byte abstract")
        self.assertEqual(j_path(oa), "@" + "A" * 107)
        os_ = self.by_inode(objs, oracles.inode_of(short), "1-byte abstract")
        self.assertEqual(j_path(os_), "@s")
        recs = oracles.parse_ss(ss("-xaH"), netid_col=True, unix=True)
        self.assertIn(path, [r["local_path"] for r in recs], "ss agrees")

    @in_netns
    def test_control_bytes_in_path(self):
        d = self.make_tmpdir()
        name = "ev\x1b[31mil\x07\x01\x08\t\x7fend\x1b]0;title\x07\nx"
        path = d + "/" + name
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.listen(1)
        # abstract name with control bytes too
        a = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        a.bind("\0abs\x1b[2J\x00nul\r")
        objs = sockview_json(self, "-xa")
        o = self.by_inode(objs, oracles.inode_of(s), "control-byte path")
        self.assertEqual(j_path(o), path, "JSON must round-trip the path")
        oa = self.by_inode(objs, oracles.inode_of(a), "control-byte abstract")
        self.assertEqual(j_path(oa), "@abs\x1b[2J\x00nul\r",
                         "JSON must round-trip the abstract name")
        # jsonl too
        p = sockview("list", "-xa", "--jsonl")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = [json.loads(l) for l in p.stdout.decode().split("\n") if l]
        self.assertIn(path, [j_path(x) for x in lines])
        # table: no raw control byte at all
        for args in (["list", "-xa"], ["list", "-xae"], ["list", "-a"]):
            p = sockview(*args)
            self.assertEqual(p.returncode, 0, p.stderr)
            bad = sorted({b for b in p.stdout
                          if (b < 0x20 and b != 0x0a) or b == 0x7f})
            self.assertEqual(bad, [], "sockview %s: raw control bytes %r "
                             "in table output" % (" ".join(args), bad))
            self.assertIn(b"end", p.stdout, "the path is still shown")
        # one line per socket (the \n in the name did not split a row)
        p = sockview("list", "-xa")
        rows = [l for l in p.stdout.decode("utf-8", "replace").split("\n")
                if l.strip()]
        self.assertEqual(len(rows), len(objs) + 1,
                         "header + one row per socket: %r" % rows)

    @in_netns
    def test_relative_at_path_is_not_abstract(self):
        """A file bound as the relative path "@x" and the abstract name
        "x" must not look the same."""
        d = self.make_tmpdir()
        rel = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        cwd = os.getcwd()
        os.chdir(d)
        try:
            rel.bind("@sv-at")
        finally:
            os.chdir(cwd)
        rel.listen(1)
        ab = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ab.bind("\0sv-at")
        ab.listen(1)
        self.assertTrue(os.path.exists(os.path.join(d, "@sv-at")))
        objs = sockview_json(self, "-xl")
        orel = self.by_inode(objs, oracles.inode_of(rel), "relative @ path")
        oab = self.by_inode(objs, oracles.inode_of(ab), "abstract")
        self.assertEqual(j_path(oab), "@sv-at")
        self.assertEqual(j_path(orel), "./@sv-at")
        p = sockview("list", "-xl")
        self.assertEqual(p.returncode, 0, p.stderr)
        cells = [l.split()[4] for l in p.stdout.decode().splitlines()[1:]]
        self.assertIn("@sv-at", cells)
        self.assertIn("./@sv-at", cells)


if __name__ == "__main__":
    unittest.main()
