"""--all-netns: named and unnamed namespaces the test makes, each socket
labeled with the namespace it lives in (inode from stat(2), name from
/run/netns), and a container id taken from a cgroup the test makes."""

import ctypes
import json
import os
import signal
import socket
import subprocess
import time
import unittest

from base import SockviewTestCase
from nsutil import _libc, in_netns, sockview
from test_metrics import parse, promtool_check
from test_owners import private_mounts

CLONE_NEWNET = 0x40000000
CID = "5e2b7d9c1a3f4e6b8d0c2a4e6f8b0d1c3e5a7b9d1f3c5e7a9b1d3f5c7e9a1b3d"


def in_ns_listener(port, ns_path=None, cgroup=None):
    """A child that joins ns_path (or a new namespace), listens on
    127.0.0.1:port and waits.  Returns (pid, inode of its namespace)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            if cgroup:
                with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
                    f.write("0")
            if ns_path:
                fd = os.open(ns_path, os.O_RDONLY)
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    os._exit(3)
            elif _libc.unshare(CLONE_NEWNET) != 0:
                os._exit(4)
            subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
            s = socket.socket()
            s.bind(("127.0.0.1", port))
            s.listen(3)
            os.write(w, b"%d" % os.stat("/proc/self/ns/net").st_ino)
            os.close(w)
            while True:
                time.sleep(60)
        finally:
            os._exit(0)
    os.close(w)
    ino = os.read(r, 64)
    os.close(r)
    if not ino:
        raise AssertionError("the namespace child failed")
    return pid, int(ino)


def make_cgroup():
    """A cgroup named as Docker's systemd driver names a container's;
    None when cgroup v2 is not writable here."""
    root = None
    with open("/proc/mounts") as f:
        for line in f:
            dev, mnt, fstype = line.split()[:3]
            if fstype == "cgroup2":
                root = mnt
    if not root:
        return None
    path = os.path.join(root, "docker-%s.scope" % CID)
    try:
        os.mkdir(path)
    except OSError:
        return None
    return path


class TestAllNetns(SockviewTestCase):

    @in_netns
    def test_every_namespace_once_with_its_label(self):
        private_mounts()
        for n in ("svtA", "svtB"):
            subprocess.run(["ip", "netns", "add", n], check=True)
        kids = []
        cg = make_cgroup()
        try:
            kids.append(in_ns_listener(7001, "/run/netns/svtA"))
            kids.append(in_ns_listener(7002, "/run/netns/svtB"))
            kids.append(in_ns_listener(7003, None, cg))
            me = os.stat("/proc/self/ns/net").st_ino
            l = socket.socket()
            l.bind(("127.0.0.1", 7004))
            l.listen(3)
            want = {7001: (kids[0][1], "svtA"), 7002: (kids[1][1], "svtB"),
                    7003: (kids[2][1], None), 7004: (me, None)}
            for n, path in (("svtA", "/run/netns/svtA"),
                            ("svtB", "/run/netns/svtB")):
                self.assertEqual(os.stat(path).st_ino,
                                 want[7001 if n == "svtA" else 7002][0])
            p = sockview("list", "-tl", "--all-netns", "--json")
            self.assertEqual(p.returncode, 0, p.stderr)
            objs = json.loads(p.stdout)
            # the host has other namespaces (other tests' too): only
            # the four made here are judged
            mine = {ino for ino, _ in want.values()}
            objs = [o for o in objs if o["netns"]["inode"] in mine]
            for port, (ino, name) in want.items():
                hits = [o for o in objs if o["local"]["port"] == port]
                self.assertEqual(len(hits), 1, "port %d once: %r"
                                 % (port, hits))
                ns = hits[0]["netns"]
                self.assertEqual(ns["inode"], ino, port)
                self.assertEqual(ns.get("name"), name, port)
            # the unnamed namespace's first process is in the container
            c = [o for o in objs if o["local"]["port"] == 7003][0]
            if cg:
                self.assertEqual(c["container"],
                                 {"runtime": "docker", "id": CID})
            # without --all-netns: this namespace only, no labels
            objs = json.loads(sockview("list", "-tl", "--json").stdout)
            self.assertEqual({o["local"]["port"] for o in objs}, {7004})
            self.assertNotIn("netns", objs[0])
            # the table's column under -e
            p = sockview("list", "-tle", "--all-netns", "sport = :7001")
            lines = p.stdout.decode().splitlines()
            self.assertIn("Netns", lines[0].split())
            self.assertIn(str(want[7001][0]), lines[1].split())
            # metrics: the label, and the namespace's name beside it
            p = sockview("metrics", "-t", "--all-netns")
            self.assertEqual(p.returncode, 0, p.stderr)
            text = p.stdout.decode()
            promtool_check(self, text)
            s = parse(text)
            for port, (ino, name) in want.items():
                q = [lab["netns"] for n, lab, v in s
                     if n == "sockview_listener_accept_queue_limit" and
                     lab["local"] == "127.0.0.1:%d" % port and
                     int(lab["netns"]) in mine]
                self.assertEqual(q, [str(ino)], port)
            info = {lab["netns"]: lab for n, lab, v in s
                    if n == "sockview_netns_info"}
            self.assertEqual(info[str(want[7001][0])].get("name"), "svtA")
            if cg:
                self.assertEqual(info[str(want[7003][0])].get("container"),
                                 CID)
            if not cg:
                raise unittest.SkipTest("cgroup v2 is not writable here: "
                                        "the container label was not "
                                        "checked (all else was)")
        finally:
            for pid, _ in kids:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            for _ in range(100):
                try:
                    if cg:
                        os.rmdir(cg)
                    break
                except OSError:
                    time.sleep(0.02)
