"""Fields beyond tcp_info: the congestion control's own record, the send
rate, v6only, tos/tclass/class_id, the inet sockopt flags, the cgroup
path, and a UNIX socket's file and pending connections.  Oracles: what
each test set with setsockopt, stat() of the socket file, the
connections it made, and ss."""

import os
import re
import socket
import subprocess
import time

from base import SockviewTestCase, sockview_json
from nsutil import in_netns, ss
from test_allnetns import make_cgroups

TCP_CONGESTION = getattr(socket, "TCP_CONGESTION", 13)
IP_FREEBIND = 15
IP_RECVERR = 11
IP_TRANSPARENT = 19
IP_BIND_ADDRESS_NO_PORT = 24
IP_MULTICAST_LOOP = 34


def pair(port, cc=None, family=socket.AF_INET, addr="127.0.0.1"):
    lsn = socket.socket(family, socket.SOCK_STREAM)
    lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if cc:
        lsn.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, cc.encode())
    lsn.bind((addr, port))
    lsn.listen(4)
    cli = socket.socket(family, socket.SOCK_STREAM)
    if cc:
        cli.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, cc.encode())
    cli.connect((addr, port))
    srv, _ = lsn.accept()
    return lsn, cli, srv


def cc_available(tc, name):
    """Select name on a socket, loading its module if need be; skip with
    the reason when this kernel has neither."""
    s = socket.socket()
    try:
        s.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, name.encode())
        return
    except OSError as e:
        first = e
    finally:
        s.close()
    p = subprocess.run(["modprobe", "tcp_" + name], capture_output=True,
                       text=True)
    s = socket.socket()
    try:
        s.setsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, name.encode())
    except OSError:
        tc.skipTest("congestion control %s not in this kernel (%s; "
                    "modprobe tcp_%s: %s)"
                    % (name, first, name,
                       (p.stderr or p.stdout).strip() or p.returncode))
    finally:
        s.close()


def by_port(objs, port, local=True):
    key = "local" if local else "peer"
    return [o for o in objs if o.get(key, {}).get("port") == port]


class TestCongestionRecord(SockviewTestCase):

    @in_netns
    def test_bbr_record(self):
        cc_available(self, "bbr")
        lsn, cli, srv = pair(7401, "bbr")
        cli.sendall(b"x" * 200000)
        got = 0
        while got < 200000:
            got += len(srv.recv(65536))
        time.sleep(0.05)
        objs = by_port(sockview_json(self, "-t"), 7401, local=False)
        self.assertEqual(len(objs), 1)
        o = objs[0]
        self.assertEqual(o["tcp"]["cong"], "bbr")
        self.assertEqual(set(o["bbr"]),
                         {"bw", "min_rtt", "pacing_gain", "cwnd_gain"})
        self.assertNotIn("dctcp", o)
        self.assertNotIn("vegas", o)
        # ss: bbr:(bw:...,mrtt:MS[,pacing_gain:G][,cwnd_gain:G])
        text = ss("-tni", "dport", "=", "7401")
        m = re.search(r"bbr:\(bw:[^,]*,mrtt:([\d.]+)", text)
        self.assertIsNotNone(m, text)
        self.assertEqual(o["bbr"]["min_rtt"], round(float(m.group(1)) * 1000))
        self.assertGreater(o["bbr"]["min_rtt"], 0)
        for key, name in (("pacing_gain", "pacing_gain"),
                          ("cwnd_gain", "cwnd_gain")):
            m = re.search(name + r":([\d.]+)", text)
            want = round(float(m.group(1)) * 256) if m else 0
            self.assertEqual(o["bbr"][key], want, key)
        # a cubic socket carries no bbr record
        cc_available(self, "cubic")
        held = pair(7402, "cubic")
        o = by_port(sockview_json(self, "-t"), 7402, local=False)[0]
        self.assertEqual(o["tcp"]["cong"], "cubic")
        self.assertNotIn("bbr", o)
        del held, lsn

    @in_netns
    def test_dctcp_record(self):
        cc_available(self, "dctcp")
        held = pair(7403, "dctcp")
        o = by_port(sockview_json(self, "-t"), 7403, local=False)[0]
        self.assertEqual(o["tcp"]["cong"], "dctcp")
        self.assertEqual(set(o["dctcp"]), {"enabled", "ce_state", "alpha",
                                           "ab_ecn", "ab_tot"})
        del held

    @in_netns
    def test_vegas_record(self):
        cc_available(self, "vegas")
        held = pair(7404, "vegas")
        o = by_port(sockview_json(self, "-t"), 7404, local=False)[0]
        self.assertEqual(o["tcp"]["cong"], "vegas")
        self.assertEqual(set(o["vegas"]),
                         {"enabled", "rttcnt", "rtt", "min_rtt"})
        del held


class TestSendRate(SockviewTestCase):

    @in_netns
    def test_send_rate_as_ss_computes_it(self):
        lsn, cli, srv = pair(7410)
        cli.sendall(b"y" * 50000)
        got = 0
        while got < 50000:
            got += len(srv.recv(65536))
        # rtt moves while delayed ACKs arrive: compare with ss once the
        # connection is idle, and retry a moving sample
        time.sleep(0.3)
        for _ in range(20):
            o = by_port(sockview_json(self, "-t"), 7410, local=False)[0]
            m = re.search(r"send (\d+)bps", ss("-tni", "dport", "=", "7410"))
            t = o["tcp"]
            want = round(t["snd_cwnd"] * t["snd_mss"] * 8000000 / t["rtt"])
            if m and int(m.group(1)) == o["tcp"]["send"]:
                break
            time.sleep(0.1)
        self.assertIsNotNone(m)
        self.assertEqual(o["tcp"]["send"], int(m.group(1)))
        self.assertEqual(o["tcp"]["send"], want)
        # a listener has no rtt: no rate, not 0
        o = by_port(sockview_json(self, "-tl"), 7410)[0]
        self.assertNotIn("send", o["tcp"])
        del lsn, cli, srv


class TestSocketOptions(SockviewTestCase):

    @in_netns
    def test_v6only(self):
        on = socket.socket(socket.AF_INET6)
        on.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        on.bind(("::", 7420))
        on.listen(1)
        off = socket.socket(socket.AF_INET6)
        off.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        off.bind(("::", 7421))
        off.listen(1)
        v4 = socket.socket()
        v4.bind(("127.0.0.1", 7422))
        v4.listen(1)
        objs = sockview_json(self, "-tl")
        self.assertEqual(by_port(objs, 7420)[0]["v6only"], 1)
        self.assertEqual(by_port(objs, 7421)[0]["v6only"], 0)
        self.assertNotIn("v6only", by_port(objs, 7422)[0],
                         "an IPv4 socket has no v6only")
        text = ss("-tlne", "sport", "=", "7420")
        self.assertIn("v6only:1", text)

    @in_netns
    def test_tos_tclass_class_id(self):
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        a.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0x28)
        a.setsockopt(socket.SOL_SOCKET, socket.SO_PRIORITY, 5)
        a.bind(("127.0.0.1", 7430))
        b = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        b.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, 0x48)
        b.bind(("::1", 7431))
        objs = sockview_json(self, "-ul")
        oa = by_port(objs, 7430)[0]
        self.assertEqual((oa["tos"], oa["class_id"]), (0x28, 5))
        self.assertNotIn("tclass", oa, "tclass is an IPv6 socket's")
        ob = by_port(objs, 7431)[0]
        self.assertEqual((ob["tclass"], ob["class_id"]), (0x48, 0))
        self.assertEqual(ob["tos"], 0)

    @in_netns
    def test_inet_sockopt_flags(self):
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for opt in (IP_FREEBIND, IP_RECVERR, IP_TRANSPARENT,
                    IP_BIND_ADDRESS_NO_PORT):
            a.setsockopt(socket.IPPROTO_IP, opt, 1)
        a.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_LOOP, 0)
        a.bind(("127.0.0.1", 7440))
        plain = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        plain.bind(("127.0.0.1", 7441))
        t = socket.socket()
        t.bind(("127.0.0.1", 7442))
        t.listen(1)
        objs = sockview_json(self, "-ul")
        got = set(by_port(objs, 7440)[0]["sockopt"])
        self.assertTrue({"freebind", "recverr", "transparent",
                         "bind_address_no_port"} <= got, got)
        self.assertNotIn("mc_loop", got)
        got = set(by_port(objs, 7441)[0]["sockopt"])
        self.assertIn("mc_loop", got, "on by default")
        self.assertFalse({"freebind", "recverr", "transparent",
                          "bind_address_no_port", "is_icsk"} & got, got)
        got = set(by_port(sockview_json(self, "-tl"), 7442)[0]["sockopt"])
        self.assertIn("is_icsk", got, "TCP is connection-oriented")


class TestCgroupPath(SockviewTestCase):

    @in_netns
    def test_cgroup_path_of_the_creator(self):
        name = "svtest-%s" % os.urandom(4).hex()
        made = make_cgroups(self, name)
        if not made:
            self.skipTest("cgroup v2 is not writable here")
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                with open(os.path.join(made[0], "cgroup.procs"), "w") as f:
                    f.write("0")
                s = socket.socket()
                s.bind(("127.0.0.1", 7450))
                s.listen(1)
                os.write(w, b"x")
                time.sleep(60)
            finally:
                os._exit(0)
        os.close(w)
        os.read(r, 1)
        try:
            o = by_port(sockview_json(self, "-tl"), 7450)[0]
            self.assertEqual(o["cgroup"], "/" + name)
            self.assertIn("cgroup:/%s " % name,
                          ss("-tlne", "sport", "=", "7450"))
            mine = socket.socket()
            mine.bind(("127.0.0.1", 7451))
            mine.listen(1)
            with open("/proc/self/cgroup") as f:
                want = [l.split(":", 2)[2].strip() for l in f
                        if l.startswith("0::")][0]
            o = by_port(sockview_json(self, "-tl"), 7451)[0]
            self.assertEqual(o["cgroup"], want)
        finally:
            os.kill(pid, 9)
            os.waitpid(pid, 0)


class TestUnixFileAndQueue(SockviewTestCase):

    @in_netns
    def test_vfs_and_pending(self):
        path = os.path.join(self.make_tmpdir(), "sock")
        lsn = socket.socket(socket.AF_UNIX)
        lsn.bind(path)
        lsn.listen(8)
        clients = [socket.socket(socket.AF_UNIX) for _ in range(3)]
        for c in clients:
            c.connect(path)
        abstract = socket.socket(socket.AF_UNIX)
        abstract.bind("\0svtest-%d" % os.getpid())
        abstract.listen(1)

        objs = sockview_json(self, "-xl")
        o = [x for x in objs if x.get("local", {}).get("path") == path][0]
        st = os.stat(path)
        self.assertEqual(o["vfs"], {"inode": st.st_ino,
                                    "dev_major": os.major(st.st_dev),
                                    "dev_minor": os.minor(st.st_dev)})
        want = sorted(os.fstat(c.fileno()).st_ino for c in clients)
        self.assertEqual(sorted(o["pending"]), want)
        a = [x for x in objs if x.get("local", {}).get("path", "")
             .startswith("@svtest-")][0]
        self.assertNotIn("vfs", a, "an abstract name has no file")
        self.assertEqual(a["pending"], [])
        # ss -e agrees on the file
        text = ss("-xlne", "src", path)
        m = re.search(r"ino:(\d+) dev:(\d+)/(\d+)", text)
        if m:
            self.assertEqual(int(m.group(1)), st.st_ino)
        # accepted: the queue is empty again
        held = [lsn.accept()[0] for _ in clients]
        o = [x for x in sockview_json(self, "-xl")
             if x.get("local", {}).get("path") == path][0]
        self.assertEqual(o["pending"], [])
        # connected sockets are no listeners: no queue at all
        for x in sockview_json(self, "-x"):
            self.assertNotIn("pending", x)
        del held
