"""The JSON contract itself: value types, the allowed words, objects that
belong together, and no nulls / zero-filled placeholders."""

import json
import socket
import unittest

import zoo as zoomod
from base import NOSYNCOOKIES, SockviewTestCase, sockview_json
from nsutil import in_netns, sockview

PROTOCOLS = {"tcp", "udp", "raw", "unix"}
FAMILIES = {"inet", "inet6", "unix"}
TYPES = {"stream", "dgram", "seqpacket", "raw"}
STATES = {"established", "syn-sent", "syn-recv", "fin-wait-1", "fin-wait-2",
          "time-wait", "closed", "close-wait", "last-ack", "listening",
          "closing"}
SKMEM = {"rmem_alloc", "rcvbuf", "wmem_alloc", "sndbuf", "fwd_alloc",
         "wmem_queued", "optmem", "backlog", "drops"}
TIMERS = {"on", "keepalive", "timewait", "persist"}
CA_STATES = {"open", "disorder", "cwr", "recovery", "loss"}
SEQ = {"snd_una", "snd_nxt", "write_seq", "copied_seq", "rcv_nxt"}


def is_uint(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


class TestJsonContract(SockviewTestCase):

    def no_nulls(self, v, where):
        if v is None:
            self.fail("null at %s: absent fields must be omitted" % where)
        if isinstance(v, dict):
            for k, x in v.items():
                self.assertIsInstance(k, str)
                self.no_nulls(x, where + "." + k)
        if isinstance(v, list):
            for i, x in enumerate(v):
                self.no_nulls(x, "%s[%d]" % (where, i))

    def check_object(self, o):
        ctx = json.dumps(o)[:300]
        self.no_nulls(o, "")
        self.assertIn(o.get("protocol"), PROTOCOLS, ctx)
        self.assertIn(o.get("family"), FAMILIES, ctx)
        self.assertIn(o.get("type"), TYPES, ctx)
        self.assertIn(o.get("state"), STATES, ctx)
        proto, fam = o["protocol"], o["family"]
        self.assertEqual(fam == "unix", proto == "unix", ctx)
        want_type = {"tcp": "stream", "udp": "dgram", "raw": "raw"}
        if proto in want_type:
            self.assertEqual(o["type"], want_type[proto], ctx)
        for f in ("recv_q", "send_q", "inode", "uid", "cookie"):
            if f in o:
                self.assertTrue(is_uint(o[f]), "%s: %s=%r" % (ctx, f, o[f]))
        for f in ("recv_q", "send_q"):
            self.assertIn(f, o, ctx)
        self.assertIsInstance(o.get("local"), dict, ctx)
        if fam == "unix":
            self.assertLessEqual(set(o["local"]), {"path"}, ctx)
            if "path" in o["local"]:
                self.assertIsInstance(o["local"]["path"], str, ctx)
                self.assertNotEqual(o["local"]["path"], "", ctx)
            if "peer" in o:
                self.assertEqual(set(o["peer"]), {"inode"}, ctx)
                self.assertTrue(is_uint(o["peer"]["inode"]) and
                                o["peer"]["inode"] > 0, ctx)
        else:
            fa = socket.AF_INET6 if fam == "inet6" else socket.AF_INET
            for k in ("local", "peer"):
                if k not in o:
                    continue
                a = o[k]
                self.assertIsInstance(a.get("addr"), str, ctx)
                # exactly the inet_ntop text
                self.assertEqual(a["addr"], socket.inet_ntop(
                    fa, socket.inet_pton(fa, a["addr"])), ctx)
                if "port" in a:
                    self.assertTrue(is_uint(a["port"]) and a["port"] < 65536,
                                    ctx)
        if "interface" in o:
            self.assertIsInstance(o["interface"], str, ctx)
            self.assertNotEqual(o["interface"], "", ctx)
        if "skmem" in o:
            self.assertLessEqual(set(o["skmem"]), SKMEM, ctx)
            for k, v in o["skmem"].items():
                self.assertTrue(is_uint(v), "%s: skmem.%s=%r" % (ctx, k, v))
        if "timer" in o:
            t = o["timer"]
            self.assertIn(t.get("name"), TIMERS, ctx)
            self.assertTrue(is_uint(t.get("expires_ms")), ctx)
            self.assertTrue(is_uint(t.get("retrans")), ctx)
        if "tcp" in o:
            self.assertEqual(proto, "tcp", ctx)
            for k, v in o["tcp"].items():
                if k == "cong":
                    self.assertIsInstance(v, str)
                    self.assertNotEqual(v, "")
                elif k == "ca_state":
                    self.assertIn(v, CA_STATES, ctx)
                elif k == "options":
                    self.assertIsInstance(v, list, ctx)
                    for w in v:
                        self.assertIsInstance(w, str, ctx)
                    self.assertEqual(len(v), len(set(v)), ctx)
                else:
                    self.assertTrue(is_uint(v), "%s: tcp.%s=%r" % (ctx, k, v))
        if "seq" in o:
            self.assertEqual(proto, "tcp", ctx)
            self.assertLessEqual(set(o["seq"]), SEQ, ctx)
            for k, v in o["seq"].items():
                self.assertTrue(is_uint(v), "%s: seq.%s=%r" % (ctx, k, v))

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_every_object_follows_the_contract(self):
        z = zoomod.Zoo(self.make_tmpdir())
        zoomod.build_tcp_zoo(z)
        zoomod.build_udp_zoo(z)
        zoomod.build_unix_zoo(z)
        z.raw("raw4")
        z.raw("raw6", v6=True)
        objs = sockview_json(self, "-a", "-e", "-m", "-i", "-o")
        self.assertGreaterEqual(len(objs), len(z.recs))
        for o in objs:
            self.check_object(o)
        # the same objects through --jsonl
        p = sockview("list", "-a", "-e", "-m", "-i", "-o", "--jsonl")
        self.assertEqual(p.returncode, 0, p.stderr)
        for line in p.stdout.decode().splitlines():
            self.check_object(json.loads(line))
        # established TCP sockets carry the documented groups
        est = [o for o in objs if o["protocol"] == "tcp"
               and o["state"] == "established" and o.get("inode")]
        self.assertTrue(est)
        for o in est:
            for k in ("skmem", "tcp", "seq", "cookie", "uid", "inode"):
                self.assertIn(k, o, "established TCP socket lacks %r" % k)
            self.assertEqual(set(o["seq"]), SEQ)
            self.assertIn("cong", o["tcp"])
            self.assertIn("ca_state", o["tcp"])

    @in_netns
    def test_empty_namespace(self):
        p = sockview("list", "-a", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout.decode()), [],
                         "a fresh namespace has no sockets")
        p = sockview("list", "-a", "--jsonl")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), b"")
        p = sockview("list", "-a")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.decode().strip("\n").split("\n")
        self.assertEqual(len(lines), 1, "only the header: %r" % lines)
        self.assertRegex(lines[0], r"(?i)state")


if __name__ == "__main__":
    unittest.main()
