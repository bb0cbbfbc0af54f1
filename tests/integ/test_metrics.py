"""metrics: the exposition checked by promtool (Debian's prometheus
package), and its numbers against the sockets the test made, ss and the
kernel's own counters."""

import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import unittest

from base import NOSYNCOOKIES, SockviewTestCase
from nsutil import _libc, in_netns, sockview, ss

PR_SET_NAME = 15

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def unescape(v):
    """A label value as the exposition format defines its escapes."""
    out, i = [], 0
    while i < len(v):
        c = v[i]
        if c == "\\":
            n = v[i + 1]
            out.append({"\\": "\\", '"': '"', "n": "\n"}[n])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse(text):
    """[(name, {label: value}, float)] of every sample; asserts each
    line is a comment or a sample the grammar allows."""
    out = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        labels = {}
        rest = m.group(3) or ""
        pos = 0
        while pos < len(rest):
            lm = LABEL.match(rest, pos)
            assert lm, "bad labels at %d in %r" % (pos, line)
            labels[lm.group(1)] = unescape(lm.group(2))
            pos = lm.end()
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def display(raw):
    """How sockview shows untrusted bytes anywhere (the man page's rule):
    control bytes, DEL and invalid UTF-8 as \\xHH, a backslash doubled."""
    out = []
    s = raw.decode("utf-8", "surrogateescape")
    for ch in s:
        o = ord(ch)
        if 0xdc80 <= o <= 0xdcff:
            out.append("\\x%02x" % (o - 0xdc00))
        elif o < 0x20 or o == 0x7f or 0x80 <= o < 0xa0:
            out.append("".join("\\x%02x" % b for b in ch.encode()))
        elif ch == "\\":
            out.append("\\\\")
        else:
            out.append(ch)
    return "".join(out)


def metrics(tc, *args):
    p = sockview("metrics", *args)
    tc.assertEqual(p.returncode, 0, "sockview metrics %s: %r"
                   % (" ".join(args), p.stderr))
    return p.stdout.decode("utf-8")


def promtool_check(tc, text):
    if not shutil.which("promtool"):
        raise unittest.SkipTest("promtool is not installed (Debian package "
                                "prometheus; make deps installs it)")
    p = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    tc.assertEqual(p.returncode, 0, "promtool check metrics: %s%s\n%s"
                   % (p.stdout.decode(), p.stderr.decode(), text[:3000]))


def one(samples, name, **labels):
    hits = [v for n, l, v in samples if n == name and
            all(l.get(k) == w for k, w in labels.items())]
    assert len(hits) == 1, "%s %r: %d samples" % (name, labels, len(hits))
    return hits[0]


def holder(sock, name):
    """A child holding sock under the command name `name`."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            _libc.prctl(PR_SET_NAME, ctypes.c_char_p(name), 0, 0, 0)
            os.write(w, b"x")
            while True:
                time.sleep(60)
        finally:
            os._exit(0)
    os.close(w)
    os.read(r, 1)
    os.close(r)
    return pid


def listen_drops():
    with open("/proc/net/netstat") as f:
        lines = [l.split() for l in f if l.startswith("TcpExt:")]
    return int(lines[1][lines[0].index("ListenDrops")])


def drop_acks_to(ports):
    """Drop the pure ACKs (TCP flags exactly ACK) sent on lo to these
    ports: an htb root whose class 1:2, where a u32 filter sends them,
    ends in a pfifo of limit 0.  Needs only tc and the kernel's htb,
    u32 and fifo; this namespace's lo only."""
    tc = shutil.which("tc")
    if not tc:
        raise unittest.SkipTest("tc (iproute2) is not installed")
    cmds = [["qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb",
             "default", "1", "r2q", "100000"],
            ["class", "add", "dev", "lo", "parent", "1:", "classid", "1:1",
             "htb", "rate", "10gbit"],
            ["class", "add", "dev", "lo", "parent", "1:", "classid", "1:2",
             "htb", "rate", "10gbit"],
            ["qdisc", "add", "dev", "lo", "parent", "1:2", "handle", "20:",
             "pfifo", "limit", "0"]]
    for port in ports:
        # a 20-byte IPv4 header: the TCP flags are byte 33
        cmds.append(["filter", "add", "dev", "lo", "parent", "1:",
                     "protocol", "ip", "prio", "1", "u32",
                     "match", "ip", "protocol", "6", "0xff",
                     "match", "ip", "dport", str(port), "0xffff",
                     "match", "u8", "0x10", "0xff", "at", "33",
                     "flowid", "1:2"])
    for c in cmds:
        p = subprocess.run([tc] + c, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        if p.returncode:
            raise AssertionError("tc %s: %s" % (" ".join(c),
                                                p.stderr.decode()))


def half_open(port):
    """A client whose connect() completes on its side; the listener,
    whose last ACK never arrives, keeps the request in SYN-RECV."""
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    return c


class TestMetrics(SockviewTestCase):

    @in_netns
    def test_hostile_labels_keep_the_exposition_valid(self):
        d = self.make_tmpdir().encode()
        path = d + b'/q"u\\o\nte\xfe'
        u = socket.socket(socket.AF_UNIX)
        u.bind(path)
        u.listen(8)
        clients = []
        for _ in range(2):
            c = socket.socket(socket.AF_UNIX)
            c.connect(path)
            clients.append(c)
        evil = b'ev"\\\n\xffl'
        t = socket.socket()
        t.bind(("127.0.0.1", 6200))
        t.listen(4)
        kid = holder(t, evil)
        try:
            text = metrics(self, "--top", "50")
            promtool_check(self, text)
            s = parse(text)
            self.assertEqual(one(s, "sockview_listener_accept_queue_length",
                                 protocol="unix", local=display(path)), 2,
                             "two connections wait on the UNIX listener")
            self.assertEqual(one(s, "sockview_listener_accept_queue_limit",
                                 protocol="unix", local=display(path)), 8)
            fds = "/proc/%d/fd" % kid
            held = {os.readlink(os.path.join(fds, f)) for f in os.listdir(fds)}
            held = {h for h in held if h.startswith("socket:")}
            self.assertGreaterEqual(len(held), 4, "it inherited them all")
            self.assertEqual(one(s, "sockview_process_sockets",
                                 comm=display(evil)), len(held),
                             "the sockets the hostile-named holder holds")
        finally:
            os.kill(kid, signal.SIGKILL)
            os.waitpid(kid, 0)

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_accept_queue_backlog_drops_and_states(self):
        l = socket.socket()
        l.bind(("127.0.0.1", 6201))
        l.listen(3)
        # the queue takes backlog + 1 before the kernel drops SYNs
        keep = []
        for _ in range(4):
            c = socket.socket()
            c.connect(("127.0.0.1", 6201))
            keep.append(c)
        before = listen_drops()
        for _ in range(2):
            c = socket.socket()
            c.setblocking(False)
            try:
                c.connect(("127.0.0.1", 6201))
            except BlockingIOError:
                pass
            keep.append(c)
        deadline = time.time() + 5
        while listen_drops() == before and time.time() < deadline:
            time.sleep(0.01)
        low = listen_drops()
        self.assertGreater(low, before, "the full queue dropped SYNs")
        text = metrics(self, "-t")
        high = listen_drops()
        promtool_check(self, text)
        s = parse(text)
        local = "127.0.0.1:6201"
        ssl = [x.split() for x in ss("-Htln", "sport = :6201").splitlines()]
        self.assertEqual(len(ssl), 1)
        self.assertEqual(one(s, "sockview_listener_accept_queue_length",
                             protocol="tcp", local=local), 4)
        self.assertEqual(int(ssl[0][1]), 4, "ss agrees on Recv-Q")
        self.assertEqual(one(s, "sockview_listener_accept_queue_limit",
                             protocol="tcp", local=local), 3)
        drops = one(s, "sockview_listener_drops_total", protocol="tcp",
                    local=local)
        # the only listener of a fresh namespace: its drops are the
        # namespace's ListenDrops, read before and after
        self.assertTrue(low <= drops <= high, "drops %d not in [%d, %d]"
                        % (drops, low, high))
        # sockets by state, against ss's count of the same namespace
        est = ss("-Htn", "state", "established").splitlines()
        got = sum(v for n, lab, v in s if n == "sockview_sockets" and
                  lab["protocol"] == "tcp" and lab["state"] == "established")
        self.assertEqual(got, len(est))
        self.assertEqual(got, 8, "4 clients and their 4 queued children")
        ino = os.stat("/proc/self/ns/net").st_ino
        self.assertEqual({lab["netns"] for n, lab, v in s
                          if n == "sockview_sockets"}, {str(ino)})
        self.assertEqual(one(s, "sockview_listener_syn_recv",
                             protocol="tcp", local=local), 0)

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_syn_recv_per_listener(self):
        """Half-open connections the test makes: the clients' last ACKs
        of the handshake are dropped on lo (an htb class whose leaf
        queue holds nothing), so each listener keeps its requests in
        SYN-RECV.  Counts against what was made, and against ss."""
        drop_acks_to((7100, 7102))
        exact = socket.socket()
        exact.bind(("127.0.0.1", 7100))
        exact.listen(16)
        quiet = socket.socket()
        quiet.bind(("127.0.0.1", 7101))
        quiet.listen(16)
        wild = socket.socket()
        wild.bind(("0.0.0.0", 7102))
        wild.listen(16)
        keep = [half_open(7100) for _ in range(4)]
        keep += [half_open(7102) for _ in range(3)]
        keep.append(socket.create_connection(("127.0.0.1", 7101)))
        want = {7100: 4, 7101: 0, 7102: 3}

        def ss_counts():
            out = {}
            for line in ss("-Htn", "state", "syn-recv").splitlines():
                port = int(line.split()[2].rsplit(":", 1)[1])
                out[port] = out.get(port, 0) + 1
            return out
        deadline = time.time() + 5
        while ss_counts() != {7100: 4, 7102: 3} and time.time() < deadline:
            time.sleep(0.01)
        self.assertEqual(ss_counts(), {7100: 4, 7102: 3},
                         "the kernel holds the requests made")
        text = metrics(self, "-t")
        promtool_check(self, text)
        s = parse(text)
        for port, local in ((7100, "127.0.0.1:7100"),
                            (7101, "127.0.0.1:7101"),
                            (7102, "0.0.0.0:7102")):
            self.assertEqual(one(s, "sockview_listener_syn_recv",
                                 protocol="tcp", local=local), want[port],
                             local)
        # by state: the 7 requests are syn-recv; established are the 7
        # clients (whose side completed) and 7101's pair, as ss says
        def by_state(state):
            return sum(v for n, lab, v in s if n == "sockview_sockets" and
                       lab["protocol"] == "tcp" and lab["state"] == state)
        self.assertEqual(by_state("syn-recv"), 7)
        est = ss("-Htn", "state", "established").splitlines()
        self.assertEqual(len(est), 9)
        self.assertEqual(by_state("established"), len(est))
        self.assertEqual(ss_counts(), {7100: 4, 7102: 3}, "still held")

    @in_netns
    def test_per_socket_series_of_sockets_without_rtt(self):
        # a listener has queues but no RTT, a netlink socket neither
        # ports nor tcp_info: their families are empty, not an error
        l = socket.socket()
        l.bind(("127.0.0.1", 6203))
        l.listen(8)
        text = metrics(self, "-tl", "--per-socket", "sport = :6203",
                       "--max-series", "5")
        s = parse(text)
        rq = [l for n, l, v in s if n == "sockview_socket_recv_queue_bytes"]
        self.assertEqual([x["local"] for x in rq], ["127.0.0.1:6203"])
        self.assertFalse([n for n, _, _ in s
                          if n == "sockview_socket_rtt_seconds"])
        metrics(self, "-A", "all", "-a", "--per-socket", "not inode 1",
                "--max-series", "50")

    @in_netns
    def test_per_socket_series_need_a_cap_and_keep_it(self):
        l = socket.socket()
        l.bind(("127.0.0.1", 6202))
        l.listen(8)
        keep = [socket.create_connection(("127.0.0.1", 6202))
                for _ in range(3)]
        p = sockview("metrics", "--per-socket", "dport = :6202")
        self.assertEqual(p.returncode, 2, "no cap: a usage error")
        self.assertIn(b"--max-series", p.stderr)
        text = metrics(self, "-t", "--per-socket", "dport = :6202",
                       "--max-series", "2")
        promtool_check(self, text)
        s = parse(text)
        rq = [l for n, l, v in s if n == "sockview_socket_recv_queue_bytes"]
        self.assertEqual(len(rq), 2, "two series kept")
        want = {"127.0.0.1:%d" % c.getsockname()[1] for c in keep}
        self.assertTrue({x["local"] for x in rq} <= want)
        self.assertEqual({x["peer"] for x in rq}, {"127.0.0.1:6202"})
        self.assertEqual(one(s, "sockview_per_socket_omitted"), 1)
        # without the option there is no per-socket series at all
        s = parse(metrics(self, "-t"))
        self.assertFalse([n for n, _, _ in s if n.startswith(
            "sockview_socket_")])
