"""Shared helpers for the test files: locating sockets in sockview's JSON
and field-by-field comparison utilities."""

import os
import shutil
import tempfile
import unittest

import oracles
from nsutil import sockview_json  # noqa: F401  (re-exported)

NOSYNCOOKIES = {"net.ipv4.tcp_syncookies": 0}


def j_addr(o, key):
    """(addr, port) of o[key] for inet sockets, None when absent."""
    a = o.get(key)
    if not a:
        return None
    # no normalisation: the text must already be what inet_ntop prints
    return a.get("addr"), a.get("port")


def inet_key(o):
    """(family, local addr, local port, peer addr, peer port) with an
    all-zero peer normalised to (None, 0)."""
    la, lp = j_addr(o, "local") or (None, None)
    p = j_addr(o, "peer")
    pa, pp = p if p else (None, 0)
    if pa in ("0.0.0.0", "::") and not pp:
        pa = None
    return (o.get("family"), la, lp, pa, pp or 0)


def truth_key(rec):
    la, lp = rec["local"]
    la = oracles.norm_addr(la)
    if rec.get("peer"):
        pa, pp = rec["peer"]
        pa = oracles.norm_addr(pa)
    else:
        pa, pp = None, 0
    return (rec["family"], la, lp, pa, pp)


def ss_key(rec, family):
    la, _, lp = rec["local"]
    pa, _, pp = rec["peer"]
    la = oracles.norm_addr(la) if la else ("::" if family == "inet6"
                                           else "0.0.0.0")
    if pa is not None:
        pa = oracles.norm_addr(pa)
    if pa in ("0.0.0.0", "::") and not pp:
        pa = None
    return (family, la, lp, pa, pp or 0)


def ss_family(rec):
    host = rec["local"][0]
    return "inet6" if host and ":" in host else "inet"


def proc_key(e):
    la, lp = e["local"]
    pa, pp = e["peer"]
    if pa in ("0.0.0.0", "::") and not pp:
        pa = None
    return (e["family"], la, lp, pa, pp)


class SockviewTestCase(unittest.TestCase):
    maxDiff = None

    def make_tmpdir(self):
        d = tempfile.mkdtemp(prefix="svt.", dir="/tmp")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def by_inode(self, objs, inode, what=""):
        hits = [o for o in objs if o.get("inode") == inode]
        self.assertEqual(len(hits), 1, "expected exactly one socket with "
                         "inode %d (%s) in sockview output, found %d"
                         % (inode, what, len(hits)))
        return hits[0]

    def by_key(self, objs, key, what=""):
        hits = [o for o in objs
                if o.get("family") in ("inet", "inet6") and inet_key(o) == key]
        self.assertEqual(len(hits), 1, "expected exactly one socket %r (%s) "
                         "in sockview output, found %d"
                         % (key, what, len(hits)))
        return hits[0]

    def find_truth(self, objs, rec):
        if rec.get("sock") is not None:
            return self.by_inode(objs, rec["inode"], rec["name"])
        return self.by_key(objs, truth_key(rec), rec["name"])

    def assertField(self, o, field, expected, ctx=""):
        self.assertIn(field, o, "%s: field %r missing in %r"
                      % (ctx, field, o))
        self.assertEqual(o[field], expected, "%s: field %r" % (ctx, field))

    def assertTimerClose(self, timer, name, low_ms, high_ms, ctx=""):
        self.assertIsInstance(timer, dict, "%s: timer object" % ctx)
        self.assertEqual(timer.get("name"), name, "%s: timer name" % ctx)
        exp = timer.get("expires_ms")
        self.assertIsInstance(exp, int, "%s: timer.expires_ms" % ctx)
        self.assertTrue(low_ms <= exp <= high_ms,
                        "%s: timer.expires_ms=%d not in [%d, %d]"
                        % (ctx, exp, low_ms, high_ms))
        self.assertIsInstance(timer.get("retrans"), int,
                              "%s: timer.retrans" % ctx)

