"""`sockview watch PID`: events, samples and exit codes against target
processes whose sockets the test drives (targets/sockctl.py, a Node.js
HTTP server in targets/http_server.js).

Expected values come from what the test did (bytes sent, connections
opened and closed, the moment it acted), from /proc/PID/fd and from the
target's own epoll sets in /proc/PID/fdinfo, never from sockview itself.

Readiness that the target consumes at once (a listener whose connection
it accepts, a request node reads) may be missed by design (epoll reports
the state at the time sockview looks), so the tests assert readiness only
where the target leaves the data or the condition in place."""

import calendar
import json
import os
import re
import select
import signal
import socket
import subprocess
import threading
import time
import unittest

from base import SockviewTestCase
from nsutil import HERE, in_netns, nobody_copy, sockview, sockview_path

PYTHON = "/usr/bin/python3"
NODE = "/usr/bin/node"
SOCKCTL = os.path.join(HERE, "targets", "sockctl.py")
HTTP_SERVER = os.path.join(HERE, "targets", "http_server.js")
NOSYNCOOKIES = {"net.ipv4.tcp_syncookies": 0}

EPOLLIN = 0x001

TIME_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})Z$")

# how late an event may be stamped after the test caused it (seconds)
SLACK = 0.3


def parse_time(text):
    """Seconds since the epoch of an RFC 3339 UTC time with exactly six
    fractional digits; AssertionError when it is not that."""
    m = TIME_RE.match(text)
    if not m:
        raise AssertionError("time %r is not RFC 3339 UTC with "
                             "microseconds" % text)
    secs = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    return secs + int(m.group(2)) / 1e6


def interest_names(mask):
    """The epoll interest of an fdinfo "events:" mask as sockview names it
    (EPOLLIN, PRI, OUT, RDHUP, ONESHOT, ET; not EPOLLERR and EPOLLHUP,
    which the kernel adds to every registration)."""
    names = [(0x001, "in"), (0x002, "pri"), (0x004, "out"),
             (0x2000, "rdhup"), (1 << 30, "oneshot"), (1 << 31, "et")]
    return [n for bit, n in names if mask & bit]


def epoll_interest(pid):
    """inode -> events mask over every epoll instance of pid, read from
    /proc/pid/fdinfo (the oracle for "interest")."""
    out = {}
    fddir = "/proc/%d/fd" % pid
    for fd in os.listdir(fddir):
        try:
            link = os.readlink(os.path.join(fddir, fd))
            if link != "anon_inode:[eventpoll]":
                continue
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                text = f.read()
        except OSError:
            continue
        for m in re.finditer(r"tfd:\s*(\d+)\s+events:\s*([0-9a-f]+)\s+"
                             r"data:\s*[0-9a-f]+\s+pos:\d+\s+ino:([0-9a-f]+)",
                             text):
            ino = int(m.group(3), 16)
            out[ino] = out.get(ino, 0) | int(m.group(2), 16)
    return out


def socket_fds(pid):
    """fd -> socket inode from /proc/pid/fd."""
    out = {}
    fddir = "/proc/%d/fd" % pid
    for fd in os.listdir(fddir):
        try:
            link = os.readlink(os.path.join(fddir, fd))
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]$", link)
        if m:
            out[int(fd)] = int(m.group(1))
    return out


def deny_pidfd_getfd_fn():
    """A preexec_fn installing a seccomp filter under which pidfd_getfd(2)
    fails with EPERM and every other system call is allowed."""
    import ctypes
    import platform
    arch = {"x86_64": 0xc000003e, "aarch64": 0xc00000b7}.get(
        platform.machine())
    if arch is None:
        raise unittest.SkipTest("seccomp filter written for x86_64 and "
                                "aarch64 only")
    nr_pidfd_getfd = 438
    ret_allow, ret_errno, eperm = 0x7fff0000, 0x00050000, 1
    ld_abs, jeq_k, ret_k = 0x20, 0x15, 0x06

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8),
                    ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort),
                    ("filter", ctypes.POINTER(SockFilter))]

    insns = [(ld_abs, 0, 0, 4),                 # seccomp_data.arch
             (jeq_k, 0, 3, arch),
             (ld_abs, 0, 0, 0),                 # seccomp_data.nr
             (jeq_k, 0, 1, nr_pidfd_getfd),
             (ret_k, 0, 0, ret_errno | eperm),
             (ret_k, 0, 0, ret_allow)]
    arr = (SockFilter * len(insns))(*[SockFilter(*i) for i in insns])
    prog = SockFprog(len(insns), arr)
    libc = ctypes.CDLL(None, use_errno=True)

    def fn():
        keep = (arr, prog)      # noqa: F841  alive until exec
        if libc.prctl(38, 1, 0, 0, 0) != 0:           # PR_SET_NO_NEW_PRIVS
            os._exit(120)
        if libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:
            os._exit(121)                   # PR_SET_SECCOMP, MODE_FILTER
    return fn


class LineReader:
    """Lines of a pipe, read by a thread, each with the time it arrived."""

    def __init__(self, stream):
        self.stream = stream
        self.lines = []
        self.cond = threading.Condition()
        self.eof = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        for raw in iter(self.stream.readline, b""):
            with self.cond:
                self.lines.append((time.time(), raw))
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def wait(self, pred, timeout):
        """First line (arrival, bytes) for which pred(bytes) holds."""
        deadline = time.time() + timeout
        i = 0
        with self.cond:
            while True:
                while i < len(self.lines):
                    if pred(self.lines[i][1]):
                        return self.lines[i]
                    i += 1
                left = deadline - time.time()
                if left <= 0 or self.eof:
                    return None
                self.cond.wait(left)


class Target:
    """targets/sockctl.py under optional wrapper argv (setpriv, unshare)."""

    def __init__(self, tc, prefix=()):
        # under a wrapper the target may run as another user
        script = nobody_copy(tc, SOCKCTL) if prefix else SOCKCTL
        self.p = subprocess.Popen(list(prefix) + [PYTHON, script],
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)
        tc.addCleanup(self.kill)
        self.buf = b""
        info = self.cmd("ping", timeout=10)
        self.pid = info["pid"]
        self.uid = info["uid"]
        if not prefix:
            assert self.pid == self.p.pid

    def cmd(self, line, timeout=5.0):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()
        deadline = time.time() + timeout
        fd = self.p.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("target: no answer to %r" % line)
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise AssertionError("target died on %r" % line)
                self.buf += chunk
        one, self.buf = self.buf.split(b"\n", 1)
        rep = json.loads(one)
        if "error" in rep:
            raise AssertionError("target: %s" % rep["error"])
        return rep

    def send_only(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait(timeout=5)
        for f in (self.p.stdin, self.p.stdout):
            try:
                f.close()
            except OSError:
                pass


class Watch:
    """`sockview watch` running in the background; stdout lines are
    collected with the time each arrived."""

    def __init__(self, tc, pid, *opts, json_mode=True, prefix=(),
                 interval=150, duration=6, env=None, preexec_fn=None):
        self.tc = tc
        self.json_mode = json_mode
        argv = list(prefix) + [sockview_path(), "watch", "--interval",
                               str(interval), "--duration", str(duration)]
        argv += list(opts)
        if json_mode:
            argv.append("--json")
            # these tests read every tick's samples; --samples changed
            # (the default) has its own test
            if not any(str(o).startswith("--samples") for o in opts):
                argv += ["--samples", "all"]
        argv.append(str(pid))
        self.argv = argv
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env,
                                  preexec_fn=preexec_fn)
        tc.addCleanup(self.kill)
        self.out = LineReader(self.p.stdout)
        self.err = LineReader(self.p.stderr)
        self.rc = None

    def cmdline(self):
        return " ".join(self.argv)

    def objs(self):
        """Every JSON object so far (checked: valid JSON, time, event)."""
        with self.out.cond:
            lines = list(self.out.lines)
        res = []
        for arrived, raw in lines:
            try:
                o = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as e:
                raise AssertionError("%s: line is not JSON (%s): %r"
                                     % (self.cmdline(), e, raw))
            self.tc.assertIsInstance(o, dict, raw)
            self.tc.assertIn("event", o, raw)
            self.tc.assertIn("time", o, raw)
            o["_t"] = parse_time(o["time"])
            o["_arrived"] = arrived
            res.append(o)
        return res

    def wait_obj(self, pred, timeout, what):
        """The first JSON object satisfying pred, waiting up to timeout."""
        def match(raw):
            try:
                o = json.loads(raw.decode("utf-8"))
            except ValueError:
                return False
            return pred(o)
        hit = self.out.wait(match, timeout)
        if hit is None:
            raise AssertionError("%s: no %s within %.1fs; output:\n%s\n"
                                 "stderr: %s"
                                 % (self.cmdline(), what, timeout,
                                    self.dump(), self.stderr()))
        o = json.loads(hit[1].decode())
        o["_t"] = parse_time(o["time"])
        o["_arrived"] = hit[0]
        return o

    def ready(self, timeout=5):
        """Wait for the first tick (the fd table has been scanned and the
        sockets registered by then)."""
        if self.json_mode:
            self.wait_obj(lambda o: o.get("event") == "sample", timeout,
                          "first sample")
        else:
            if not self.out.wait(lambda raw: raw.startswith(b"Netid"),
                                 timeout):
                raise AssertionError("%s: no table within %ss: %r"
                                     % (self.cmdline(), timeout,
                                        self.dump()))

    def finish(self, timeout=10):
        try:
            self.rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("%s did not stop within %ss"
                                 % (self.cmdline(), timeout))
        self.out.thread.join(5)
        self.err.thread.join(5)
        return self.rc

    def stderr(self):
        with self.err.cond:
            return b"".join(l for _, l in self.err.lines).decode("utf-8",
                                                                 "replace")

    def dump(self, limit=80):
        """The output for a failure message: events in full, samples
        shortened to fd, inode, state, queues and interest."""
        with self.out.cond:
            lines = [l for _, l in self.out.lines]
        text = []
        for raw in lines:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            try:
                o = json.loads(line)
            except ValueError:
                text.append(line[:200])
                continue
            if isinstance(o, dict) and o.get("event") == "sample":
                line = "%s sample fd=%s inode=%s %s recv_q=%s send_q=%s " \
                       "interest=%s" % (o.get("time"), o.get("fd"),
                                        o.get("inode"), o.get("state"),
                                        o.get("recv_q"), o.get("send_q"),
                                        o.get("interest"))
            text.append(line[:400])
        if len(text) > limit:
            text = text[:20] + ["..."] + text[-(limit - 20):]
        return "\n".join(text)

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait(timeout=5)


def events(objs, name, **match):
    return [o for o in objs if o.get("event") == name and
            all(o.get(k) == v for k, v in match.items())]


def recv_all(sock, n, timeout=5):
    sock.settimeout(timeout)
    got = 0
    while got < n:
        b = sock.recv(min(65536, n - got))
        if not b:
            raise AssertionError("peer closed after %d of %d bytes"
                                 % (got, n))
        got += len(b)
    return got


class WatchCase(SockviewTestCase):

    def accepted_pair(self, target, port):
        """A connection from the test to a listener of the target, accepted
        by the target: (target's listener reply, target's accepted socket
        reply, the test's client socket)."""
        l = target.cmd("listen %d 8" % port)
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.addCleanup(c.close)
        a = target.cmd("accept %d" % l["fd"])
        self.assertEqual(a["port"], port)
        return l, a, c

    def assert_sock_event(self, o, fd, inode, port=None, what=""):
        self.assertEqual(o.get("fd"), fd, "%s: fd of %r" % (what, o))
        self.assertEqual(o.get("inode"), inode, "%s: inode of %r" % (what, o))
        if port is not None:
            self.assertEqual(o.get("protocol"), "tcp", "%s: %r" % (what, o))
            self.assertEqual(o.get("local", {}).get("port"), port,
                             "%s: local port of %r" % (what, o))

    def assert_times(self, objs):
        """Times never go backwards (they are stamped when written),
        except an event that says where its earlier time is from
        ("time_from": "kernel": data that came before we looked; "fd
        table": an open and close held for a destroy message, at the
        look that showed them; "wakeup": a readiness wakeup that waited
        while later lines were written), which is checked to be no later
        than when its line was written."""
        last = 0
        for o in objs:
            if o.get("time_from") in ("kernel", "fd table", "wakeup"):
                self.assertLessEqual(o["_t"], o["_arrived"], o)
                continue
            self.assertGreaterEqual(o["_t"] + 0.001, last,
                                    "time went backwards at %r" % o)
            self.assertLess(abs(o["_arrived"] - o["_t"]), SLACK,
                            "time %s is not when the line was written "
                            "(arrived %.6f)" % (o["time"], o["_arrived"]))
            last = o["_t"]


class TestWatchReadiness(WatchCase):

    @in_netns
    def test_unread_data_readable_recv_q_no_interest(self):
        target = Target(self)
        _, a, c = self.accepted_pair(target, 7101)
        w = Watch(self, target.pid, "-n", duration=2.0)
        w.ready()
        n = 1234
        t_send = time.time()
        c.sendall(b"d" * n)
        ev = w.wait_obj(lambda o: o.get("event") == "readable" and
                        o.get("fd") == a["fd"], 2, "readable event")
        self.assertEqual(ev.get("source"), "epoll", ev)
        self.assert_sock_event(ev, a["fd"], a["inode"], 7101, "readable")
        self.assertEqual(ev.get("state"), "established", ev)
        self.assertEqual(ev.get("peer", {}).get("port"),
                         c.getsockname()[1], ev)
        self.assertGreaterEqual(ev["_t"], t_send - 0.005,
                                "readable stamped before the data was sent")
        self.assertLess(ev["_t"] - t_send, SLACK,
                        "readable stamped %.3fs after the send"
                        % (ev["_t"] - t_send))
        sample = w.wait_obj(lambda o: o.get("event") == "sample" and
                            o.get("fd") == a["fd"] and
                            parse_time(o["time"]) > t_send + 0.01,
                            2, "sample after the send")
        self.assertEqual(sample.get("recv_q"), n, sample)
        self.assertEqual(sample.get("inode"), a["inode"])
        self.assertNotIn("interest", sample,
                         "the target has no epoll: no interest")
        self.assertIn("rates", sample)
        for k in ("bytes_in", "bytes_out", "segs_in", "segs_out", "retrans"):
            self.assertIsInstance(sample["rates"].get(k), int, sample)
        self.assertEqual(w.finish(), 0, w.stderr())
        objs = w.objs()
        self.assert_times(objs)
        # the target never reads: every sample after the send has it queued
        later = [o for o in events(objs, "sample", fd=a["fd"])
                 if o["_t"] > sample["_t"]]
        self.assertTrue(later)
        for o in later:
            self.assertEqual(o.get("recv_q"), n, o)
            self.assertNotIn("interest", o)

    @in_netns
    def test_interest_from_targets_epoll(self):
        target = Target(self)
        l, a, c = self.accepted_pair(target, 7102)
        target.cmd("epoll %d %d" % (a["fd"], EPOLLIN))
        oracle = epoll_interest(target.pid)
        self.assertIn(a["inode"], oracle, "oracle sanity: fdinfo lists it")
        want = interest_names(oracle[a["inode"]])
        self.assertEqual(want, ["in"], "oracle sanity")
        w = Watch(self, target.pid, "-n", duration=1.0)
        w.ready()
        c.sendall(b"q" * 10)
        w.wait_obj(lambda o: o.get("event") == "readable" and
                   o.get("fd") == a["fd"], 2, "readable event")
        self.assertEqual(w.finish(), 0, w.stderr())
        self.assertEqual(epoll_interest(target.pid), oracle, "stable")
        samples = events(w.objs(), "sample", fd=a["fd"])
        self.assertGreaterEqual(len(samples), 3)
        for o in samples:
            self.assertEqual(o.get("interest"), want, o)
        for o in events(w.objs(), "sample", fd=l["fd"]):
            self.assertNotIn("interest", o, "listener is in no epoll set")

    @in_netns
    def test_full_send_buffer_becomes_writable(self):
        target = Target(self)
        l = socket.socket()
        self.addCleanup(l.close)
        # a small receive buffer on the peer: the window closes early
        l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        l.bind(("127.0.0.1", 7103))
        l.listen(1)
        conn = target.cmd("connect 7103")
        peer, _ = l.accept()
        self.addCleanup(peer.close)
        time.sleep(0.05)
        w = Watch(self, target.pid, "-n", duration=3.0)
        w.ready()
        filled = target.cmd("fill %d 4096" % conn["fd"], timeout=8)
        sent = filled["sent"]
        self.assertTrue(filled["full"], "oracle sanity: buffer full")
        t_full = time.time()
        time.sleep(0.3)
        full = [o for o in events(w.objs(), "sample", fd=conn["fd"])
                if o["_t"] > time.time() - 0.2]
        self.assertTrue(full and full[-1].get("send_q", 0) > 0, w.dump())
        # the target's send queue is full: it stays so while peer is idle
        t_read = time.time()
        recv_all(peer, sent)
        ev = w.wait_obj(lambda o: o.get("event") == "writable" and
                        o.get("fd") == conn["fd"] and
                        parse_time(o["time"]) >= t_read - 0.005,
                        2, "writable event after the peer read")
        self.assertEqual(ev.get("source"), "epoll", ev)
        self.assert_sock_event(ev, conn["fd"], conn["inode"], conn["port"],
                               "writable")
        self.assertLess(ev["_t"] - t_read, SLACK)
        self.assertEqual(w.finish(), 0, w.stderr())
        # and it was not writable while full: no writable between the
        # end of the fill and the read
        during = [o for o in events(w.objs(), "writable", fd=conn["fd"])
                  if t_full < o["_t"] < t_read]
        self.assertEqual(during, [], "writable while the buffer was full")

    @in_netns
    def test_peer_hangup_rdhup(self):
        target = Target(self)
        _, a, c = self.accepted_pair(target, 7104)
        w = Watch(self, target.pid, "-n", duration=1.5)
        w.ready()
        t_close = time.time()
        c.close()
        got = {}
        for name in ("rdhup", "readable"):
            got[name] = w.wait_obj(
                lambda o, name=name: o.get("event") == name and
                o.get("fd") == a["fd"], 2, name + " after the peer closed")
        for name, ev in got.items():
            self.assertEqual(ev.get("source"), "epoll", ev)
            self.assert_sock_event(ev, a["fd"], a["inode"], 7104, name)
            self.assertGreaterEqual(ev["_t"], t_close - 0.005, ev)
            self.assertLess(ev["_t"] - t_close, SLACK, ev)
        st = w.wait_obj(lambda o: o.get("event") == "state" and
                        o.get("fd") == a["fd"], 2, "state event")
        self.assertEqual((st.get("from"), st.get("to")),
                         ("established", "close-wait"), st)
        self.assertEqual(w.finish(), 0, w.stderr())
        objs = w.objs()
        self.assertEqual(len(events(objs, "rdhup", fd=a["fd"])), 1,
                         "rdhup is reported once, when it appears")


class TestWatchLifecycle(WatchCase):

    @in_netns
    def test_unix_open_before_the_tick(self):
        """UNIX sockets found between ticks (a listening target's fd
        table is read every 50 ms) get their open at once, with the
        state and name the duplicate gives (getpeername, SO_ACCEPTCONN,
        getsockname), not only once sock_diag has answered."""
        target = Target(self)
        target.cmd("listen 7140 4")   # a listener: the 50 ms looks
        path = os.path.join(self.make_tmpdir(), "u")
        w = Watch(self, target.pid, "-n", duration=3.0, interval=2500)
        w.ready()
        t0 = time.time()
        pair = target.cmd("unixpair")
        lst = target.cmd("unixlisten %s" % path)
        opens = {}
        for ino in pair["inodes"] + [lst["inode"]]:
            opens[ino] = w.wait_obj(lambda o, ino=ino: o.get("event") ==
                                    "open" and o.get("inode") == ino, 1.5,
                                    "open of UNIX inode %d" % ino)
        self.assertEqual(w.finish(), 0, w.stderr())
        for ino, o in opens.items():
            # the tick is 2.5 s away: this open came from a look
            self.assertLess(o["_t"] - t0, 0.5, o)
            self.assertEqual(o.get("protocol"), "unix", o)
        for ino in pair["inodes"]:
            self.assertEqual(opens[ino].get("state"), "established",
                             opens[ino])
        self.assertEqual(opens[lst["inode"]].get("state"), "listening",
                         opens[lst["inode"]])
        self.assertEqual(opens[lst["inode"]].get("local", {}).get("path"),
                         path, opens[lst["inode"]])

    @in_netns
    def test_priority_raised_unless_set(self):
        """Started at nice 0 (as root), watch runs its loop at nice -20 so
        its looks keep their times on a busy machine; started with a nice
        value of its own, it keeps that one."""
        if os.geteuid() != 0:
            self.skipTest("needs root: raising a priority is privileged")
        target = Target(self)
        target.cmd("listen 7142 4")

        def nice_of(pid):
            with open("/proc/%d/stat" % pid) as f:
                # field 19 (nice), counted after the ")" ending comm
                return int(f.read().rsplit(")", 1)[1].split()[16])

        for start, want in ((0, -20), (5, 5)):
            w = Watch(self, target.pid, "-n", duration=1.0,
                      preexec_fn=lambda start=start: os.nice(start))
            w.ready()
            self.assertEqual(nice_of(w.p.pid), want,
                             "started at nice %d" % start)
            self.assertEqual(w.finish(), 0, w.stderr())

    @in_netns
    def test_sockets_connected_late(self):
        """A TCP and a UNIX stream socket made now and connected later.
        Unconnected, the kernel polls each as hung up (TCP_CLOSE), but
        nothing hung up: no hup.  The TCP one has no address until its
        connect; its open comes when the connect wakes it, with the
        addresses, not at the tick 2.5 s later."""
        target = Target(self)
        target.cmd("listen 7141 4")   # a listener: the 50 ms looks
        path = os.path.join(self.make_tmpdir(), "u")
        target.cmd("unixlisten %s" % path)
        w = Watch(self, target.pid, "-n", duration=3.0, interval=2500)
        w.ready()
        tcp = target.cmd("socket tcp")
        unix = target.cmd("socket unix")
        time.sleep(0.3)               # found and registered unconnected
        t_conn = time.time()
        conn = target.cmd("connectfd %d 7141" % tcp["fd"])
        target.cmd("connectfd %d %s" % (unix["fd"], path))
        op = w.wait_obj(lambda o: o.get("event") == "open" and
                        o.get("inode") == tcp["inode"], 2,
                        "open of the late TCP socket")
        self.assertEqual(w.finish(), 0, w.stderr())
        self.assertLess(op["_t"] - t_conn, 0.5, "open waited: %s" % op)
        self.assertEqual(op.get("local", {}).get("port"), conn["port"], op)
        self.assertEqual(op.get("peer", {}).get("port"), 7141, op)
        objs = w.objs()
        for s in (tcp, unix):
            bad = [o for o in objs if o.get("inode") == s["inode"] and
                   o.get("event") in ("hup", "error")]
            self.assertEqual(bad, [], "a hangup that never happened")

    @in_netns
    def test_socket_bound_late(self):
        """A TCP socket made now and only bound later: a bind wakes
        nothing, so the look that finds its port says its open, with
        the port, not the tick 2.5 s later."""
        target = Target(self)
        target.cmd("listen 7143 4")   # a listener: the 50 ms looks
        w = Watch(self, target.pid, "-n", duration=3.0, interval=2500)
        w.ready()
        tcp = target.cmd("socket tcp")
        time.sleep(0.3)               # found and registered unbound
        t_bind = time.time()
        target.cmd("bindfd %d 7144" % tcp["fd"])
        op = w.wait_obj(lambda o: o.get("event") == "open" and
                        o.get("inode") == tcp["inode"], 2,
                        "open of the socket bound late")
        self.assertEqual(w.finish(), 0, w.stderr())
        self.assertLess(op["_t"] - t_bind, 0.5, "open waited: %s" % op)
        self.assertEqual(op.get("local", {}).get("port"), 7144, op)
        opens = [o for o in w.objs() if o.get("event") == "open" and
                 o.get("inode") == tcp["inode"]]
        self.assertEqual(len(opens), 1, opens)

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_syn_retransmit(self):
        target = Target(self)
        l = socket.socket()
        self.addCleanup(l.close)
        l.bind(("127.0.0.1", 7105))
        l.listen(0)
        # one connection fills the accept queue of listen(0)
        filler = socket.create_connection(("127.0.0.1", 7105), timeout=5)
        self.addCleanup(filler.close)
        time.sleep(0.05)
        t_conn = time.time()
        conn = target.cmd("connect 7105")
        self.assertEqual(conn["err"], 115, "EINPROGRESS")
        w = Watch(self, target.pid, "-n", duration=2.5, interval=200)
        w.ready()
        first = events(w.objs(), "sample", fd=conn["fd"])
        self.assertTrue(first, "the SYN-SENT socket is sampled")
        self.assertEqual(first[0].get("state"), "syn-sent", first[0])
        self.assertEqual(first[0]["tcp"].get("total_retrans"), 0, first[0])
        # the first SYN retransmission: after the initial RTO of 1 s
        ev = w.wait_obj(lambda o: o.get("event") == "retransmit" and
                        o.get("fd") == conn["fd"], 2.3, "retransmit event")
        self.assert_sock_event(ev, conn["fd"], conn["inode"], conn["port"],
                               "retransmit")
        self.assertGreaterEqual(ev.get("total_retrans", 0), 1, ev)
        self.assertEqual(ev.get("state"), "syn-sent", ev)
        self.assertGreater(ev["_t"] - t_conn, 0.9, "before the RTO")
        self.assertEqual(w.finish(), 0, w.stderr())
        after = [o for o in events(w.objs(), "sample", fd=conn["fd"])
                 if o["_t"] >= ev["_t"] - 0.001]
        self.assertTrue(after)
        for o in after:
            self.assertGreaterEqual(o["tcp"].get("total_retrans", 0), 1, o)
            self.assertEqual(o.get("timer", {}).get("name"), "on", o)
            self.assertGreaterEqual(o["timer"].get("retrans", 0), 1, o)

    @in_netns
    def test_close_while_watched_peer_sees_eof(self):
        target = Target(self)
        _, a, c = self.accepted_pair(target, 7106)
        w = Watch(self, target.pid, "-n", duration=2.0)
        w.ready()
        # sockview keeps no descriptor of the target's socket
        mine = socket_fds(w.p.pid)
        self.assertNotIn(a["inode"], mine.values(),
                         "sockview holds the target's socket")
        c.settimeout(2)
        t0 = time.time()
        target.cmd("close %d" % a["fd"])
        data = c.recv(10)
        took = time.time() - t0
        self.assertEqual(data, b"", "EOF after the target's close")
        self.assertLess(took, 0.2, "EOF only %.3fs after the close" % took)
        ev = w.wait_obj(lambda o: o.get("event") == "close" and
                        o.get("inode") == a["inode"], 1.5, "close event")
        self.assertEqual(ev.get("fd"), a["fd"], ev)
        self.assertGreaterEqual(ev["_t"], t0)
        self.assertLess(ev["_t"] - t0, 0.15 + SLACK, "close event late")
        self.assertEqual(w.finish(), 0, w.stderr())
        objs = w.objs()
        self.assertEqual(len(events(objs, "close", inode=a["inode"])), 1)
        # no sample of it after its close event
        for o in events(objs, "sample", inode=a["inode"]):
            self.assertLess(o["_t"], ev["_t"], o)

    @in_netns
    def test_fd_number_reused(self):
        """The target closes a socket and at once opens another that gets
        the same descriptor number: a close of the old inode and an open
        of the new one, both with that fd."""
        target = Target(self)
        _, a, c = self.accepted_pair(target, 7109)
        w = Watch(self, target.pid, "-n", duration=1.5)
        w.ready()
        t0 = time.time()
        new = target.cmd("reopen %d 7119" % a["fd"])
        self.assertEqual(new["fd"], a["fd"], "oracle sanity: fd reused")
        self.assertNotEqual(new["inode"], a["inode"])
        closed = w.wait_obj(lambda o: o.get("event") == "close" and
                            o.get("inode") == a["inode"], 1.2,
                            "close of the replaced socket")
        opened = w.wait_obj(lambda o: o.get("event") == "open" and
                            o.get("inode") == new["inode"], 1.2,
                            "open of the new socket on the same fd")
        for ev in (closed, opened):
            self.assertEqual(ev.get("fd"), a["fd"], ev)
            self.assertLess(ev["_t"] - t0, 0.15 + SLACK, ev)
        self.assertEqual(opened.get("state"), "listening", opened)
        self.assertEqual(opened.get("local", {}).get("port"), 7119, opened)
        self.assertEqual(w.finish(), 0, w.stderr())
        for o in events(w.objs(), "sample", fd=a["fd"]):
            if o["_t"] > opened["_t"]:
                self.assertEqual(o.get("inode"), new["inode"], o)

    @in_netns
    def test_fd_number_reused_large_table(self):
        """The same in a table of more than 1024 descriptors, where a look
        reads only the links that may have changed.  A UNIX socket has no
        destroy message and its close here no edge: it is missing from
        the next full pass, so its link is read again and the close and
        the open come within a full pass (about a second), not the 10 s
        after which every link is read."""
        target = Target(self)
        got = target.cmd("unixpairs 600", timeout=20)
        self.assertGreater(got["fds"], 1024, "oracle sanity: a large table")
        pair = target.cmd("unixpair")
        fd, inode = pair["fds"][0], pair["inodes"][0]
        w = Watch(self, target.pid, "-n", interval=100, duration=6)
        w.ready()
        t0 = time.time()
        new = target.cmd("reopen %d 7149" % fd)
        self.assertEqual(new["fd"], fd, "oracle sanity: fd reused")
        closed = w.wait_obj(lambda o: o.get("event") == "close" and
                            o.get("inode") == inode, 4.5,
                            "close of the replaced socket")
        opened = w.wait_obj(lambda o: o.get("event") == "open" and
                            o.get("inode") == new["inode"], 4.5,
                            "open of the new socket on the same fd")
        for ev in (closed, opened):
            self.assertEqual(ev.get("fd"), fd, ev)
            self.assertLess(ev["_t"] - t0, 4.0, ev)
        self.assertEqual(opened.get("local", {}).get("port"), 7149, opened)
        self.assertEqual(w.finish(), 0, w.stderr())

    @in_netns
    def test_target_exit(self):
        target = Target(self)
        self.accepted_pair(target, 7107)
        w = Watch(self, target.pid, "-n", duration=8)
        w.ready()
        t0 = time.time()
        target.send_only("exit 0")
        target.p.wait(timeout=5)
        rc = w.finish(timeout=3)
        took = time.time() - t0
        self.assertEqual(rc, 0, w.stderr())
        self.assertLess(took, 1.5, "watch ran on after the target exited")
        objs = w.objs()
        self.assertEqual(objs[-1].get("event"), "exit", w.dump())
        self.assertEqual(objs[-1].get("pid"), target.pid)
        self.assertGreaterEqual(objs[-1]["_t"], t0)
        self.assertLess(objs[-1]["_t"] - t0, SLACK)
        self.assertEqual(len(events(objs, "exit")), 1)
        self.assertEqual(w.stderr(), "")

    @in_netns
    def test_count_and_signal_stop(self):
        target = Target(self)
        # a listener that never accepts: each connection is one readable
        # edge (and at start it is not ready: no event)
        l = target.cmd("listen 7108 8")
        w = Watch(self, target.pid, "-n", "--count", "2", duration=8)
        w.ready()
        c1 = socket.create_connection(("127.0.0.1", 7108), timeout=5)
        self.addCleanup(c1.close)
        w.wait_obj(lambda o: o.get("event") == "readable", 2, "readable")
        time.sleep(0.4)   # ticks meanwhile: samples are not events
        self.assertIsNone(w.p.poll(), "stopped before the second event: "
                          + w.dump())
        c2 = socket.create_connection(("127.0.0.1", 7108), timeout=5)
        self.addCleanup(c2.close)
        self.assertEqual(w.finish(timeout=3), 0, w.stderr())
        objs = w.objs()
        # samples and the target's loop figures are per tick, not events
        non_samples = [o for o in objs
                       if o["event"] not in ("sample", "loop")]
        self.assertEqual([(o["event"], o.get("fd")) for o in non_samples],
                         [("readable", l["fd"])] * 2, w.dump())
        self.assertEqual(objs[-1]["event"], "readable",
                         "nothing after the last counted event")
        # SIGINT and SIGTERM stop it with status 0
        for sig in (signal.SIGINT, signal.SIGTERM):
            w = Watch(self, target.pid, "-n", duration=8)
            w.ready()
            w.p.send_signal(sig)
            self.assertEqual(w.finish(timeout=3), 0,
                             "after %s: %s" % (sig, w.stderr()))


class TestWatchErrors(WatchCase):

    @in_netns
    def test_few_file_descriptors(self):
        """A tight RLIMIT_NOFILE: a clear error or a working watch, never
        a signal."""
        import resource
        s = socket.socket()
        s.bind(("127.0.0.1", 7140))
        s.listen(1)
        me = str(os.getpid())
        for soft, hard in ((6, 6), (9, 9), (12, 12), (16, 16), (9, 4096),
                           (64, 64)):
            def limit(lim=(soft, hard)):
                resource.setrlimit(resource.RLIMIT_NOFILE, lim)
            r = subprocess.run([sockview_path(), "watch", "--json",
                                "--duration", "0.5", me],
                               capture_output=True, timeout=30,
                               preexec_fn=limit)
            self.assertGreaterEqual(r.returncode, 0, "limit %d/%d: killed "
                                    "by signal %d" % (soft, hard,
                                                      -r.returncode))
            if hard >= 64:
                self.assertEqual(r.returncode, 0, (soft, hard, r.stderr))
                events = [json.loads(l)["event"]
                          for l in r.stdout.decode().splitlines()]
                self.assertIn("sample", events, (soft, hard))
            else:
                self.assertEqual(r.returncode, 1, (soft, hard, r.stderr))
                self.assertIn(b"RLIMIT_NOFILE", r.stderr)

    @in_netns
    def test_no_such_pid(self):
        # a pid that existed and is gone, and one above pid_max
        p = subprocess.Popen(["/bin/true"])
        p.wait()
        with open("/proc/sys/kernel/pid_max") as f:
            pid_max = int(f.read())
        gone = [p.pid]
        if pid_max < 4194304:
            gone.append(4194304)
        for pid in gone:
            if os.path.exists("/proc/%d" % pid):
                continue   # reused meanwhile
            r = sockview("watch", "--json", "--duration", "1", str(pid),
                         timeout=10)
            self.assertEqual(r.returncode, 1, (pid, r.stderr))
            self.assertIn(str(pid).encode(), r.stderr)
            self.assertEqual(r.stdout, b"")

    @in_netns
    def test_usage_errors(self):
        target = Target(self)
        pid = str(target.pid)
        cases = [
            ["--interval", "0", pid],
            ["--interval", "abc", pid],
            ["--count", "0", pid],
            ["--duration", "0", pid],
            ["--duration", "-1", pid],
            ["0"],
            ["abc"],
            ["12x"],
            ["-5"],
            [],
            ["--bogus", pid],
            ["-z", pid],
            [pid, pid],
            ["--interval"],
            ["--samples", "some", pid],
            ["--events", "open,bogus", pid],
            ["--events", "", pid],
            ["--events", ",", pid],
        ]
        for args in cases:
            r = sockview("watch", "--json", *args, timeout=10)
            self.assertEqual(r.returncode, 2, "watch %s: %r"
                             % (" ".join(args), r.stderr))
            self.assertTrue(r.stderr.strip(), "a message for %r" % args)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1,
                             "one line for %r: %r" % (args, r.stderr))
            self.assertEqual(r.stdout, b"", args)
        r = sockview("watch", "--json", "abc")
        self.assertIn(b"abc", r.stderr)
        r = sockview("watch", "--bogus", pid)
        self.assertIn(b"--bogus", r.stderr)
        r = sockview("watch", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"--interval", r.stdout)


class TestWatchOptions(WatchCase):

    @in_netns
    def test_samples_changed_by_default(self):
        """--samples changed: every socket at the first tick, later only
        the ones whose numbers moved."""
        target = Target(self)
        _, a, c = self.accepted_pair(target, 7131)
        w = Watch(self, target.pid, "-n", "--samples", "changed",
                  duration=1.6)
        w.ready()
        time.sleep(0.5)
        t_send = time.time()
        c.sendall(b"q" * 1000)   # unread: recv_q of the target's socket
        self.assertEqual(w.finish(), 0, w.stderr())
        objs = w.objs()
        first = min(o["_t"] for o in events(objs, "sample"))
        inodes = {o["inode"] for o in events(objs, "sample")
                  if o["_t"] < first + 0.05}
        self.assertIn(a["inode"], inodes, "a first sample of each socket")
        self.assertGreaterEqual(len(inodes), 2, "listener and connection")
        later = [o for o in events(objs, "sample") if o["_t"] > first + 0.05]
        idle = [o for o in later if o["_t"] < t_send]
        self.assertEqual(idle, [], "no sample of an idle socket")
        moved = [o for o in later if o["inode"] == a["inode"]]
        self.assertTrue(moved, "a sample once data arrived: %s" % w.dump())
        self.assertEqual(moved[0].get("recv_q"), 1000, moved[0])
        # all: a sample of every socket at every tick
        w = Watch(self, target.pid, "-n", "--samples", "all", duration=1.0)
        self.assertEqual(w.finish(), 0, w.stderr())
        per = {}
        for o in events(w.objs(), "sample"):
            per[o["inode"]] = per.get(o["inode"], 0) + 1
        self.assertGreaterEqual(min(per.values()), 4, per)
        w = Watch(self, target.pid, "-n", "--samples", "none", duration=0.6)
        self.assertEqual(w.finish(), 0, w.stderr())
        self.assertEqual(events(w.objs(), "sample"), [])

    @in_netns
    def test_events_list(self):
        """--events open,close: nothing else is printed."""
        target = Target(self)
        l = target.cmd("listen 7132 8")
        w = Watch(self, target.pid, "-n", "--events", "open,close",
                  duration=1.5)
        time.sleep(0.5)   # no sample to wait for: --events leaves them out
        c = socket.create_connection(("127.0.0.1", 7132), timeout=5)
        a = target.cmd("accept %d" % l["fd"])
        c.sendall(b"x")
        time.sleep(0.2)
        target.cmd("close %d" % a["fd"])
        c.close()
        self.assertEqual(w.finish(), 0, w.stderr())
        objs = w.objs()
        kinds = {o["event"] for o in objs}
        self.assertEqual(kinds, {"open", "close"}, w.dump())
        self.assertEqual(len(events(objs, "open", inode=a["inode"])), 1)
        self.assertEqual(len(events(objs, "close", inode=a["inode"])), 1)

    @in_netns
    def test_process_without_sockets(self):
        """A process holding no socket is watched like any other (its
        empty socket list once made the sanitizer build stop)."""
        p = subprocess.Popen(["sleep", "30"])
        self.addCleanup(p.wait)
        self.addCleanup(p.kill)
        r = sockview("watch", "--json", "--duration", "0.5", str(p.pid),
                     timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(b"runtime error", r.stderr)
        events = [json.loads(x).get("event") for x in r.stdout.splitlines()]
        self.assertNotIn("sample", events, r.stdout)

    def test_thread_id_is_its_process(self):
        """A thread id: a note names the process, which is watched."""
        code = ("import socket, threading, time\n"
                "l = socket.socket(); l.bind(('127.0.0.1', 7133)); "
                "l.listen()\n"
                "def f():\n"
                "    print(threading.get_native_id(), flush=True)\n"
                "    time.sleep(30)\n"
                "threading.Thread(target=f, daemon=True).start()\n"
                "time.sleep(30)\n")
        p = subprocess.Popen([PYTHON, "-c", code], stdout=subprocess.PIPE)
        self.addCleanup(p.wait)
        self.addCleanup(p.kill)
        tid = int(p.stdout.readline())
        self.assertNotEqual(tid, p.pid, "oracle sanity: a thread")
        r = sockview("watch", "--json", "--duration", "0.5", str(tid),
                     timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(("%d is a thread of process %d" % (tid, p.pid))
                      .encode(), r.stderr)
        samples = [json.loads(x) for x in r.stdout.splitlines()]
        ports = {o.get("local", {}).get("port") for o in samples
                 if o.get("event") == "sample"}
        self.assertIn(7133, ports, r.stdout)


class TestWatchNamespacesAndPermissions(WatchCase):

    @in_netns
    def test_target_in_other_netns(self):
        # the same port in our namespace, held by us: it must not show up
        mine = socket.socket()
        self.addCleanup(mine.close)
        mine.bind(("127.0.0.1", 7110))
        mine.listen(1)
        target = Target(self, prefix=[
            "unshare", "-n", "sh", "-c",
            'ip link set lo up && exec "$0" "$@"'])
        ns_t = os.stat("/proc/%d/ns/net" % target.pid).st_ino
        self.assertNotEqual(ns_t, os.stat("/proc/self/ns/net").st_ino)
        l = target.cmd("listen 7110 4")
        c = target.cmd("connect 7110")
        a = target.cmd("accept %d" % l["fd"])
        target.cmd("send %d 77" % c["fd"])
        w = Watch(self, target.pid, "-n", duration=0.8)
        self.assertEqual(w.finish(), 0, w.stderr())
        objs = w.objs()
        samples = events(objs, "sample")
        by_fd = {}
        for o in samples:
            by_fd.setdefault(o["fd"], o)
        truth = {l["fd"]: (l["inode"], "listening", 7110, None),
                 c["fd"]: (c["inode"], "established", c["port"], 7110),
                 a["fd"]: (a["inode"], "established", 7110, c["port"])}
        self.assertEqual(sorted(by_fd), sorted(truth), w.dump())
        for fd, (ino, state, lport, pport) in truth.items():
            o = by_fd[fd]
            self.assertEqual(o.get("inode"), ino, o)
            self.assertEqual(o.get("state"), state, o)
            self.assertEqual(o["local"]["port"], lport, o)
            if pport is not None:
                self.assertEqual(o["peer"]["port"], pport, o)
        recvq = [o.get("recv_q") for o in samples if o["fd"] == a["fd"]]
        self.assertEqual(set(recvq), {77}, "unread bytes of the accepted "
                         "socket in the other namespace")
        mine_ino = os.fstat(mine.fileno()).st_ino
        self.assertFalse([o for o in objs if o.get("inode") == mine_ino],
                         "a socket of our namespace was reported")

    @in_netns
    def test_no_pidfd_getfd_permission_inferred(self):
        """sockview may read the target's fd table but pidfd_getfd fails
        with EPERM, as under a container runtime's default seccomp
        profile: one note, and readiness inferred from queue changes."""
        target = Target(self)
        _, a, c = self.accepted_pair(target, 7111)
        w = Watch(self, target.pid, "-n", duration=1.5,
                  preexec_fn=deny_pidfd_getfd_fn())
        w.ready()
        time.sleep(0.2)
        t_send = time.time()
        c.sendall(b"z" * 300)
        ev = w.wait_obj(lambda o: o.get("event") == "readable" and
                        o.get("fd") == a["fd"], 2, "inferred readable")
        self.assertEqual(ev.get("source"), "inferred", ev)
        self.assert_sock_event(ev, a["fd"], a["inode"], 7111, "inferred")
        # inferred at the next tick after the data arrived
        self.assertGreaterEqual(ev["_t"], t_send)
        self.assertLess(ev["_t"] - t_send, 0.15 + SLACK)
        t_close = time.time()
        c.close()
        st = w.wait_obj(lambda o: o.get("event") == "rdhup" and
                        o.get("fd") == a["fd"], 1, "inferred rdhup")
        self.assertEqual(st.get("source"), "inferred", st)
        self.assertLess(st["_t"] - t_close, 0.15 + SLACK)
        self.assertEqual(w.finish(), 0, w.stderr())
        objs = w.objs()
        self.assertFalse([o for o in objs if o.get("source") == "epoll"],
                         "epoll events without pidfd_getfd permission")
        err = w.stderr().strip().splitlines()
        self.assertEqual(len(err), 1, "one note: %r" % err)
        self.assertIn("note", err[0])
        self.assertIn("pidfd_getfd", err[0])
        self.assertIn(str(target.pid), err[0])
        # samples from the tick that inferred readable on: the 300 unread
        # bytes, and after the peer's close one more, as the kernel counts
        # the FIN in Recv-Q (rcv_nxt - copied_seq)
        s = [o for o in events(objs, "sample", fd=a["fd"])
             if parse_time(ev["time"]) <= parse_time(o["time"])]
        self.assertTrue(s, "no sample after the inferred readable")
        self.assertEqual(s[0].get("recv_q"), 300, s[0])
        self.assertTrue(all(o.get("recv_q") in (300, 301) for o in s),
                        [o.get("recv_q") for o in s])

    @in_netns
    def test_non_dumpable_target(self):
        """Target and sockview both run as nobody, the target made itself
        non-dumpable: the kernel then closes /proc/PID/fd to nobody as
        well, so watch cannot see the fd table and must say so."""
        nobody = ["setpriv", "--reuid=65534", "--regid=65534",
                  "--clear-groups"]
        target = Target(self, prefix=nobody)
        self.accepted_pair(target, 7112)
        target.cmd("nodump")
        probe = subprocess.run(nobody + ["ls", "/proc/%d/fd" % target.pid],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=10)
        r = subprocess.run(nobody + [nobody_copy(self, sockview_path()),
                                     "watch", "--json",
                                     "--duration", "1", "--interval", "150",
                                     str(target.pid)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=10)
        if probe.returncode == 0:
            # fd table readable: the inferred mode must apply
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(b"pidfd_getfd", r.stderr)
            return
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout, b"")
        msg = r.stderr.decode()
        self.assertIn(str(target.pid), msg)
        self.assertRegex(msg, r"(?i)permi|ptrace|denied|not readable")
        self.assertEqual(len(msg.strip().splitlines()), 1, msg)


class TestWatchPlain(WatchCase):

    @in_netns
    def test_plain_lines_and_tables(self):
        target = Target(self)
        l, a, c = self.accepted_pair(target, 7113)
        w = Watch(self, target.pid, "-n", json_mode=False, duration=1.2)
        w.ready()
        c.sendall(b"p" * 5)
        time.sleep(0.3)
        c.close()
        self.assertEqual(w.finish(), 0, w.stderr())
        lines = [x.decode("utf-8").rstrip("\n")
                 for _, x in w.out.lines]
        headers = [x for x in lines if x.startswith("Netid")]
        self.assertGreaterEqual(len(headers), 5, w.dump())
        for h in headers:
            self.assertEqual(h.split()[:4],
                             ["Netid", "State", "Recv-Q", "Send-Q"], h)
        for name in ("readable", "rdhup"):
            hit = [x for x in lines
                   if re.match(r"\d{4}-\d\d-\d\dT[\d:.]+Z %s " % name, x)
                   and "fd=%d " % a["fd"] in x]
            self.assertTrue(hit, "no %s line for fd %d:\n%s"
                            % (name, a["fd"], w.dump()))
            self.assertIn("inode=%d" % a["inode"], hit[0])
            self.assertIn("127.0.0.1:7113", hit[0])
        state = [x for x in lines if " state " in x and
                 "fd=%d " % a["fd"] in x]
        self.assertTrue(state, w.dump())
        self.assertNotIn("{", "\n".join(lines), "no JSON in plain mode")
        # each tick's table lists the target's sockets by address
        tables = "\n".join(lines)
        self.assertIn("127.0.0.1:7113", tables)


class TestWatchNode(WatchCase):

    def start_node(self, port):
        p = subprocess.Popen([NODE, HTTP_SERVER, str(port)],
                             stdout=subprocess.PIPE)

        def stop():
            if p.poll() is None:
                p.kill()
            p.wait(timeout=5)
            p.stdout.close()
        self.addCleanup(stop)
        r, _, _ = select.select([p.stdout], [], [], 10)
        self.assertTrue(r, "node did not start")
        line = p.stdout.readline().decode()
        self.assertEqual(line.split()[0], "listening", line)
        self.assertEqual(int(line.split()[1]), p.pid)
        return p

    def request(self, c, path="/"):
        c.sendall(("GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path).encode())

    def response(self, c):
        c.settimeout(5)
        buf = b""
        while not buf.endswith(b"\r\n\r\nok"):
            b = c.recv(4096)
            if not b:
                raise AssertionError("server closed: %r" % buf)
            buf += b
        self.assertTrue(buf.startswith(b"HTTP/1.1 200"), buf)

    @in_netns(timeout=40)
    def test_node_http_server(self):
        port = 7120
        node = self.start_node(port)
        listeners = {i: fd for fd, i in socket_fds(node.pid).items()}
        w = Watch(self, node.pid, "-n", duration=8, interval=150)
        w.ready()
        first = w.objs()
        lsamples = [o for o in first if o["event"] == "sample" and
                    o.get("state") == "listening"]
        self.assertEqual(len(lsamples), 1, w.dump())
        lis = lsamples[0]
        self.assertEqual(lis["local"], {"addr": "127.0.0.1", "port": port})
        self.assertEqual(listeners.get(lis["inode"]), lis["fd"],
                         "listener fd and inode as /proc/PID/fd has them")

        # phase 1: four keep-alive connections, one request each
        conns = []
        for _ in range(4):
            c = socket.create_connection(("127.0.0.1", port), timeout=5)
            self.addCleanup(c.close)
            conns.append(c)
            self.request(c)
            self.response(c)
        cports = [c.getsockname()[1] for c in conns]
        opens = {}
        for cp in cports:
            o = w.wait_obj(lambda o, cp=cp: o.get("event") == "open" and
                           o.get("peer", {}).get("port") == cp, 2,
                           "open event of the connection from port %d" % cp)
            self.assertEqual(o.get("protocol"), "tcp", o)
            self.assertEqual(o["local"], {"addr": "127.0.0.1", "port": port})
            self.assertEqual(o.get("state"), "established", o)
            opens[cp] = o
        fds = socket_fds(node.pid)
        for cp, o in opens.items():
            self.assertEqual(fds.get(o["fd"]), o["inode"],
                             "open event's fd/inode vs /proc/PID/fd")

        # phase 2: node blocked in a handler on conn 0; the requests on the
        # others stay unread meanwhile, so their readable edge is certain
        self.request(conns[0], "/block?ms=700")
        time.sleep(0.25)
        t_req = time.time()
        for c in conns[1:]:
            self.request(c)
        for cp in cports[1:]:
            ino = opens[cp]["inode"]
            ev = w.wait_obj(lambda o, ino=ino: o.get("event") == "readable"
                            and o.get("inode") == ino and
                            parse_time(o["time"]) >= t_req - 0.005,
                            2, "readable on the connection from %d" % cp)
            self.assertEqual(ev.get("source"), "epoll", ev)
            self.assertEqual(ev.get("fd"), opens[cp]["fd"])
            self.assertLess(ev["_t"] - t_req, SLACK, ev)
        for c in conns:
            self.response(c)

        # phase 3: idle; the interest of node's epoll vs fdinfo
        time.sleep(0.2)
        oracle = epoll_interest(node.pid)
        t_or = time.time()
        w.wait_obj(lambda o: o.get("event") == "sample" and
                   parse_time(o["time"]) > t_or + 0.2, 2, "later samples")
        oracle2 = epoll_interest(node.pid)
        self.assertEqual(oracle, oracle2, "node's epoll interest is stable")
        self.assertIn(lis["inode"], oracle, "node polls its listener")
        self.assertIn("in", interest_names(oracle[lis["inode"]]))
        window = [o for o in w.objs() if o["event"] == "sample" and
                  t_or < o["_t"] < t_or + 0.2]
        self.assertTrue(window)
        checked = 0
        for o in window:
            if o["inode"] in oracle:
                self.assertEqual(o.get("interest"),
                                 interest_names(oracle[o["inode"]]), o)
                checked += 1
            else:
                self.assertNotIn("interest", o, o)
        self.assertGreaterEqual(checked, 5, "listener and 4 connections")

        # phase 4: the client closes: node closes its side
        t_close = time.time()
        for c in conns:
            c.close()
        for cp in cports:
            ino = opens[cp]["inode"]
            ev = w.wait_obj(lambda o, ino=ino: o.get("event") == "close" and
                            o.get("inode") == ino, 2,
                            "close of the connection from %d" % cp)
            self.assertEqual(ev.get("fd"), opens[cp]["fd"])
            self.assertLess(ev["_t"] - t_close, 0.15 + SLACK, ev)
        w.p.send_signal(signal.SIGINT)
        self.assertEqual(w.finish(timeout=3), 0, w.stderr())
        objs = w.objs()
        self.assert_times(objs)
        self.assertEqual(len(events(objs, "open")), 4, "one open each")
        self.assertEqual(len(events(objs, "close")), 4, "one close each")
        self.assertFalse(events(objs, "exit"), "node did not exit")


if __name__ == "__main__":
    unittest.main()
