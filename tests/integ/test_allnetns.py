"""--all-netns: named and unnamed namespaces the test makes, each socket
labeled with the namespace it lives in (inode from stat(2), name from
/run/netns), and each socket the container of the process holding it,
from cgroup v2 directories the test makes and moves its processes into."""

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import unittest

from base import SockviewTestCase
from nsutil import _libc, in_netns, sockview, fork_holder
from test_metrics import one, parse, promtool_check
from test_owners import private_mounts, sockview_as_nobody

CLONE_NEWNET = 0x40000000
# --all-netns visits every namespace on the host, other tests' too: on
# a loaded machine each run takes seconds, and a test cut short leaves
# its cgroups behind
ALL_NETNS_TIMEOUT = 120
# fresh ids per run: a cgroup another run left behind is not ours
CID = os.urandom(32).hex()
CID2 = os.urandom(32).hex()
POD = "%s-%s-%s-%s-%s" % tuple(os.urandom(n).hex() for n in (4, 2, 2, 2, 6))


def in_ns_listener(port, ns_path=None, cgroup=None):
    """A child that joins ns_path (or a new namespace), listens on
    127.0.0.1:port and waits.  Returns (pid, inode of its namespace)."""
    def setup():
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
        return b"%d" % os.stat("/proc/self/ns/net").st_ino, s

    pid, ino = fork_holder(setup, "the namespace child")
    return pid, int(ino)


def cgroup2_root():
    root = None
    with open("/proc/mounts") as f:
        for line in f:
            dev, mnt, fstype = line.split()[:3]
            if fstype == "cgroup2":
                root = mnt
    return root


def make_cgroups(tc, *rel):
    """cgroup v2 directories (paths under the root, made parents first,
    removed deepest first when the test ends); None when cgroup v2 is
    not writable here."""
    root = cgroup2_root()
    if not root:
        return None
    made = []

    def remove():
        for path in reversed(made):
            # a killed member leaves its cgroup a moment after waitpid,
            # longer on a loaded machine
            for _ in range(500):
                try:
                    os.rmdir(path)
                    break
                except OSError:
                    time.sleep(0.02)
    tc.addCleanup(remove)
    out = []
    for r in rel:
        path = root
        for part in r.split("/"):
            path = os.path.join(path, part)
            if os.path.isdir(path):
                continue
            try:
                os.mkdir(path)
            except OSError:
                return None
            made.append(path)
        out.append(path)
    return out


def make_cgroup(tc):
    """A cgroup named as Docker's systemd driver names a container's."""
    cg = make_cgroups(tc, "docker-%s.scope" % CID)
    return cg[0] if cg else None


def listener_in(cgroup, port):
    """A child in cgroup (moved there before it makes its socket) that
    listens on 127.0.0.1:port in this namespace and waits."""
    def setup():
        with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
            f.write("0")
        s = socket.socket()
        s.bind(("127.0.0.1", port))
        s.listen(5)
        return None, s

    return fork_holder(setup, "the child in %s" % cgroup)[0]


class TestAllNetns(SockviewTestCase):

    @in_netns(timeout=ALL_NETNS_TIMEOUT)
    def test_every_namespace_once_with_its_label(self):
        private_mounts()
        for n in ("svtA", "svtB"):
            subprocess.run(["ip", "netns", "add", n], check=True)
        kids = []
        cg = make_cgroup(self)
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
            # the listener's holder is in the container
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
                self.assertEqual(one(s, "sockview_listener_accept_queue_"
                                     "limit", local="127.0.0.1:7003",
                                     container_id=CID), 3)
            if not cg:
                raise unittest.SkipTest("cgroup v2 is not writable here: "
                                        "the container label was not "
                                        "checked (all else was)")
        finally:
            for pid, _ in kids:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)

    @in_netns(timeout=ALL_NETNS_TIMEOUT)
    def test_without_cap_sys_admin(self):
        """As nobody: its own namespace only, one note for the one it
        could not enter, and containers only of its own processes."""
        private_mounts()
        subprocess.run(["ip", "netns", "add", "svtN"], check=True)
        cg = make_cgroup(self)
        if not cg:
            raise unittest.SkipTest("cgroup v2 is not writable here")
        kids = [in_ns_listener(7031, "/run/netns/svtN")]
        try:
            l = socket.socket()
            l.bind(("127.0.0.1", 7032))
            l.listen(1)
            # nobody's own process, in the container's cgroup; exec'd
            # after setuid, so its /proc/PID/fd is nobody's to read
            code = ("import socket,sys,time\n"
                    "s=socket.socket();s.bind(('127.0.0.1',7033))\n"
                    "s.listen(1);print('ok',flush=True);time.sleep(60)\n")

            def enter():
                with open(os.path.join(cg, "cgroup.procs"), "w") as f:
                    f.write("0")
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            p = subprocess.Popen([sys.executable, "-c", code],
                                 stdout=subprocess.PIPE, preexec_fn=enter)
            self.assertEqual(p.stdout.readline(), b"ok\n")
            r = sockview_as_nobody(self, "list", "-tl", "--all-netns",
                                   "--json")
            self.assertEqual(r.returncode, 0, r.stderr)
            err = r.stderr.decode()
            self.assertRegex(err, r"note: 1 network namespace could not "
                             r"be entered \(needs CAP_SYS_ADMIN\)")
            objs = json.loads(r.stdout)
            ports = {o["local"]["port"]: o for o in objs}
            self.assertNotIn(7031, ports, "another namespace, not entered")
            self.assertIn(7032, ports)
            self.assertNotIn("container", ports[7032])
            self.assertEqual(ports[7033].get("container"),
                             {"runtime": "docker", "id": CID})
            # root sees the other namespace's socket
            r = sockview("list", "-tl", "--all-netns", "--json")
            self.assertIn(7031, {o["local"]["port"]
                                 for o in json.loads(r.stdout)})
            p.kill()
            p.wait()
        finally:
            for pid, _ in kids:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)

    @in_netns(timeout=ALL_NETNS_TIMEOUT)
    def test_container_per_socket_owner(self):
        """Two processes in one namespace, in two containers' cgroups (a
        Docker scope, a Kubernetes pod's containerd scope), and the test
        itself in none: each socket gets its own holder's container."""
        pod = POD.replace("-", "_")
        kube = ("kubepods.slice/kubepods-besteffort.slice/"
                "kubepods-besteffort-pod%s.slice" % pod)
        cgs = make_cgroups(self, "docker-%s.scope" % CID,
                           kube + "/cri-containerd-%s.scope" % CID2)
        if not cgs:
            raise unittest.SkipTest("cgroup v2 is not writable here")
        with open("/proc/self/cgroup") as f:
            v2 = [l for l in f.read().splitlines() if l.startswith("0::")]
        self.assertFalse(any(x in v2[0] for x in ("docker", "kubepods",
                                                  "containerd")),
                         "the test itself must hold no container: %r" % v2)
        kids = []
        try:
            kids.append(listener_in(cgs[0], 7011))
            kids.append(listener_in(cgs[1], 7012))
            me = os.stat("/proc/self/ns/net").st_ino
            l = socket.socket()
            l.bind(("127.0.0.1", 7013))
            l.listen(7)
            # the kernel's own word on who holds what, before sockview's
            for pid, cg in zip(kids, cgs):
                with open("/proc/%d/cgroup" % pid) as f:
                    self.assertIn(cg[len(cgroup2_root()):], f.read())
            want = {7011: {"runtime": "docker", "id": CID},
                    7012: {"runtime": "containerd", "id": CID2,
                           "pod_uid": POD},
                    7013: None}
            p = sockview("list", "-tl", "--all-netns", "--json")
            self.assertEqual(p.returncode, 0, p.stderr)
            objs = [o for o in json.loads(p.stdout)
                    if o["netns"]["inode"] == me]
            for port, c in want.items():
                hits = [o for o in objs if o["local"]["port"] == port]
                self.assertEqual(len(hits), 1, port)
                self.assertEqual(hits[0].get("container"), c, port)
            # the table: the short id under -e, per row
            p = sockview("list", "-tle", "--all-netns")
            self.assertEqual(p.returncode, 0, p.stderr)
            lines = p.stdout.decode().splitlines()
            col = lines[0].split().index("Container")
            rows = {}
            for line in lines[1:]:
                for port in want:
                    if "127.0.0.1:%d " % port in line + " ":
                        rows[port] = line
            self.assertIn(CID[:12], rows[7011].split())
            self.assertIn(CID2[:12], rows[7012].split())
            self.assertNotIn(CID[:12], rows[7013])
            self.assertNotIn(CID2[:12], rows[7013])
            self.assertGreater(col, 0)
            # without -e and JSON the table reads no cgroup and shows none
            p = sockview("list", "-tl", "--all-netns")
            self.assertNotIn(CID[:12], p.stdout.decode())
            # metrics: the labels per socket's container, same namespace
            p = sockview("metrics", "-t", "--all-netns")
            self.assertEqual(p.returncode, 0, p.stderr)
            text = p.stdout.decode()
            promtool_check(self, text)
            s = parse(text)
            ns = str(me)
            self.assertEqual(one(s, "sockview_listener_accept_queue_limit",
                                 local="127.0.0.1:7011", netns=ns,
                                 container_id=CID,
                                 container_runtime="docker"), 5)
            self.assertEqual(one(s, "sockview_listener_accept_queue_limit",
                                 local="127.0.0.1:7012", netns=ns,
                                 container_id=CID2, pod_uid=POD,
                                 container_runtime="containerd"), 5)
            mine = [lab for n, lab, v in s
                    if n == "sockview_listener_accept_queue_limit" and
                    lab.get("local") == "127.0.0.1:7013"]
            self.assertEqual(len(mine), 1)
            self.assertNotIn("container_id", mine[0])
            for cid in (CID, CID2):
                self.assertEqual(one(s, "sockview_sockets", netns=ns,
                                     state="listening",
                                     container_id=cid), 1)
        finally:
            for pid in kids:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
