"""`sockview watch PID` under load, at the default --interval 1000, as
issue 11's "Done means" states it: every connection gets open and close,
close on time, readable for every connection that lived long enough,
nothing reported that did not happen, writable wakeups recalled, and a
reader that pauses does not stall sockview.

The targets are a Node.js HTTP server (targets/load_server.js) and a
process that only sends (targets/writeonly.py).  The oracles are the
client's own log (when it connected, sent, saw EOF and closed; each
connection is known by its local port, which the client binds itself so
that no two connections share one) and, in TestWatchLoadStrace, strace
of the Node.js server: its accept4(2) and close(2) calls and
what its epoll_pwait(2) returned.  Nothing expected is taken from
sockview's output.

Each test gathers every measure before it judges, so a failure lists
them all (e.g. "FAIL  open: 28 of 2000 (1.4%; want >= 100%)").  With
WATCH_LOAD_REPORT=1 the measures are printed for passing tests too.
They judge sockview's latency, so they run last and one at a time
(RUN_ALONE, tests/integ/run.py): on 2 cores three other test processes
beside them are load they would measure.  A test that still fails some
runs is skipped with a reason that names issue 11;
WATCH_LOAD_PENDING=1 runs it."""

import fcntl
import json
import os
import random
import re
import select
import signal
import socket
import subprocess
import threading
import time
import unittest

from base import SockviewTestCase
from nsutil import HERE, in_netns, sockview_path
from test_watch import parse_time

NODE = os.environ.get("SOCKVIEW_TEST_NODE", "/usr/bin/node")
STRACE = "/usr/bin/strace"
LOAD_SERVER = os.path.join(HERE, "targets", "load_server.js")
WRITE_ONLY = os.path.join(HERE, "targets", "writeonly.py")
OUT_DROP = os.path.join(HERE, "targets", "outdrop.py")
PYTHON = "/usr/bin/python3"

INTERVAL = 1000         # ms: sockview's default, what a user runs
CLOSE_WITHIN = 0.050    # s: close event vs the real close
LONG_LIVED = 0.020      # s: connections this old must have their readable
SLACK = 0.005           # s: the client reads its clock before it acts
# s: an inferred event carries the kernel's time (tcp_info's last_data_recv
# in milliseconds ago, counted in jiffies: 10 ms at HZ=100)
KERNEL_SLACK = 0.010
# s: an event that says "time_from": "kernel" is good to a jiffy either way
# and its jiffies can lag after idle (this NO_HZ VM: stamps 10-16 ms early
# at HZ=250, a few runs in a hundred): two jiffies at HZ=100
KERNEL_TIME_SLACK = 0.020


def slack_of(o):
    """How far from the truth an event's time may be: wider for one the
    kernel's jiffies timed."""
    return KERNEL_TIME_SLACK if o.get("time_from") == "kernel" \
        else KERNEL_SLACK

# client ports: bound explicitly, one per connection, below the ephemeral
# range so that a port names one connection for the whole test
CLIENT_PORT_BASE = 20000

F_SETPIPE_SZ = 1031


# ------------------------------------------------------------------ verdicts

class Verdict:
    """Measures and their judgement, gathered before the test fails so
    that one run reports every shortfall."""

    def __init__(self, tc, title):
        self.tc = tc
        self.title = title
        self.lines = []
        self.failed = 0

    def measure(self, ok, text):
        self.lines.append(("ok  " if ok else "FAIL") + "  " + text)
        if not ok:
            self.failed += 1

    def note(self, text):
        self.lines.append("      " + text)

    def ratio(self, name, have, total, want=1.0):
        """have of total as a share, judged against want (a fraction)."""
        share = have / total if total else 0.0
        self.measure(total > 0 and share >= want,
                     "%s: %d of %d (%.1f%%; want >= %.0f%%)"
                     % (name, have, total, 100 * share, 100 * want))

    def finish(self):
        text = "%s\n%s" % (self.title, "\n".join(self.lines))
        if os.environ.get("WATCH_LOAD_REPORT"):
            print("\n" + text, flush=True)
        if self.failed:
            self.tc.fail(text)


def pct(values, q):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


# ------------------------------------------------------------- the client

class Conn:
    """One connection as the client lived it (times from time.time())."""

    def __init__(self, lport):
        self.lport = lport
        self.t_connect = None   # just before connect(2)
        self.t_sent = None      # just before the request was sent
        self.t_shut = None      # just before the client's FIN (keep-alive)
        self.t_eof = None       # recv(2) returned 0: the server's FIN
        self.t_close = None     # just after close(2)
        self.requests = []      # (sent, response read) of each request

    def life(self):
        return self.t_close - self.t_connect


def bound_socket(lport, rcvbuf=None):
    c = socket.socket()
    if rcvbuf:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    c.bind(("127.0.0.1", lport))
    return c


def read_response(c, until_eof):
    """The response's bytes; with until_eof, read on to the server's FIN
    and return (bytes, time of EOF)."""
    buf = b""
    while True:
        b = c.recv(65536)
        if not b:
            if not until_eof:
                raise AssertionError("server closed early: %r" % buf[:200])
            return buf, time.time()
        buf += b
        if not until_eof and b"\r\n\r\n" in buf:
            head, body = buf.split(b"\r\n\r\n", 1)
            m = re.search(rb"Content-Length: (\d+)", head)
            if m and len(body) >= int(m.group(1)):
                return buf, None


class KeepAlive(Conn):
    """A keep-alive connection the caller drives: request() as often as
    it likes, then finish(): the client's FIN, the server's FIN, close."""

    def __init__(self, port, lport):
        super().__init__(lport)
        self.sock = bound_socket(lport)
        self.sock.settimeout(10)
        self.t_connect = time.time()
        try:
            self.sock.connect(("127.0.0.1", port))
        except OSError:
            self.sock.close()
            raise

    def request(self):
        t = time.time()
        if self.t_sent is None:
            self.t_sent = t
        self.sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        read_response(self.sock, False)
        self.requests.append((t, time.time()))

    def finish(self):
        try:
            self.t_shut = time.time()
            self.sock.shutdown(socket.SHUT_WR)
            _, self.t_eof = read_response(self.sock, True)
        finally:
            self.sock.close()
            self.t_close = time.time()


def keepalive_conn(port, lport, life):
    """connect, one keep-alive request, stay until `life` seconds after
    connecting, then the client's FIN, the server's FIN, close."""
    k = KeepAlive(port, lport)
    try:
        k.request()
        left = k.t_connect + life - time.time()
        if left > 0:
            time.sleep(left)
    finally:
        k.finish()
    return k


def close_request(port, lport, wait=0.0):
    """connect, wait seconds, one `Connection: close` request, read to
    the server's FIN, close."""
    k = Conn(lport)
    c = bound_socket(lport)
    c.settimeout(10)
    try:
        k.t_connect = time.time()
        c.connect(("127.0.0.1", port))
        if wait:
            time.sleep(wait)
        k.t_sent = time.time()
        c.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        _, k.t_eof = read_response(c, True)
        k.requests.append((k.t_sent, k.t_eof))
    finally:
        c.close()
        k.t_close = time.time()
    return k


def slow_download(port, lport, nbytes, chunk=16384, pause=0.005):
    """A keep-alive GET /big read slowly through a small receive buffer:
    the server's send buffer fills and drains over and over."""
    k = Conn(lport)
    c = bound_socket(lport, rcvbuf=4096)
    c.settimeout(10)
    try:
        k.t_connect = time.time()
        c.connect(("127.0.0.1", port))
        k.t_sent = time.time()
        c.sendall(("GET /big?bytes=%d HTTP/1.1\r\nHost: t\r\n\r\n"
                   % nbytes).encode())
        got, head = 0, b""
        while b"\r\n\r\n" not in head:
            head += c.recv(chunk)
        got = len(head.split(b"\r\n\r\n", 1)[1])
        while got < nbytes:
            b = c.recv(chunk)
            if not b:
                raise AssertionError("server closed after %d bytes" % got)
            got += len(b)
            time.sleep(pause)
        k.t_shut = time.time()
        c.shutdown(socket.SHUT_WR)
        _, k.t_eof = read_response(c, True)
    finally:
        c.close()
        k.t_close = time.time()
    return k


def run_sequential(port, lives, first_port):
    return [keepalive_conn(port, first_port + i, life)
            for i, life in enumerate(lives)]


def run_concurrent(port, clients, per_client, first_port, wait=0.0):
    """clients threads, each making per_client `Connection: close`
    requests one after the other (each wait seconds after its connect)."""
    logs = [[] for _ in range(clients)]
    errors = []

    def worker(n):
        try:
            for i in range(per_client):
                lport = first_port + n * per_client + i
                logs[n].append(close_request(port, lport, wait))
        except Exception as e:    # noqa: BLE001  reported below
            errors.append("client %d: %r" % (n, e))
    threads = [threading.Thread(target=worker, args=(n,))
               for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    if errors:
        raise AssertionError("client errors: %s" % errors[:5])
    return [k for log in logs for k in log]


# ------------------------------------------------------------ the targets

def start_node(tc, port, strace_log=None, close_log=None):
    """Node.js running load_server.js, optionally under strace, and
    with close_log, logging each connection's close there (read it with
    server_closes).  Returns (Popen, pid of node)."""
    argv = [NODE, LOAD_SERVER, str(port)]
    env = dict(os.environ)
    if close_log:
        env["LOAD_SERVER_LOG"] = close_log
    # -ttt: seconds since the epoch, the clock of time.time() and of
    # sockview's "time"; -T: how long each call took, so a return time
    # is known; -yy: the addresses of each socket fd, so accept4 and
    # close name the client's port
    if strace_log:
        if not os.access(STRACE, os.X_OK):
            raise unittest.SkipTest("strace is not installed "
                                    "(apt-get install strace)")
        argv = [STRACE, "-f", "-ttt", "-T", "-yy", "-o", strace_log,
                "-e", "trace=epoll_wait,epoll_pwait,close,accept4"] + argv
    if not os.access(NODE, os.X_OK):
        raise unittest.SkipTest("Node.js is not installed (%s)" % NODE)
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env)

    def stop():
        if p.poll() is None:
            if hasattr(p, "node_pid"):
                stop_node(p)
            else:
                p.kill()
                p.wait(timeout=5)
        p.stdout.close()
    tc.addCleanup(stop)
    r, _, _ = select.select([p.stdout], [], [], 20)
    tc.assertTrue(r, "node did not start")
    line = p.stdout.readline().decode()
    tc.assertEqual(line.split()[:1], ["listening"], line)
    p.node_pid = int(line.split()[1])
    return p, p.node_pid


def stop_node(p):
    """SIGTERM to node itself (under strace, p is strace, which then
    exits and has written its whole log)."""
    pid = p.node_pid
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=5)


def server_closes(node, close_log):
    """Stops node and returns its close log: client port -> the time of
    its 'close' event, no earlier than the server's close(2) of that
    connection and at most one loop iteration of node later.  Under a
    loaded machine node's close(2) can come hundreds of milliseconds
    after its FIN (the client's EOF), so the EOF alone is no measure of
    when the server closed."""
    stop_node(node)
    with open(close_log) as f:
        return {int(port): float(t) for port, t in json.load(f)}


# ------------------------------------------------------------ sockview

class WatchRun:
    """`sockview watch --json` on pid; its lines are read by a thread
    that can be told to stop reading for a while (a slow consumer), into
    (arrival time, line) pairs."""

    def __init__(self, tc, pid, *opts, pipe_size=None, duration=120):
        self.tc = tc
        self.argv = [sockview_path(), "watch", "--json", "--interval",
                     str(INTERVAL), "--duration", str(duration)]
        self.argv += list(opts) + [str(pid)]
        # the times judged are sockview's own latency: it raises its
        # own priority (nice -20) to run ahead of other work, and is
        # started here at nice 0, as a user would start it
        self.p = subprocess.Popen(self.argv, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        tc.addCleanup(self.kill)
        if pipe_size:
            fcntl.fcntl(self.p.stdout.fileno(), F_SETPIPE_SZ, pipe_size)
        self.lines = []
        self.cond = threading.Condition()
        self.reading = threading.Event()
        self.reading.set()
        self.eof = False
        self.err = b""
        self.t_out = threading.Thread(target=self._read_out, daemon=True)
        self.t_err = threading.Thread(target=self._read_err, daemon=True)
        self.t_out.start()
        self.t_err.start()

    def _read_out(self):
        fd = self.p.stdout.fileno()
        part = b""
        while True:
            self.reading.wait()
            b = os.read(fd, 65536)
            now = time.time()
            if not b:
                if part:
                    self.lines.append((now, part))
                break
            part += b
            *done, part = part.split(b"\n")
            with self.cond:
                self.lines.extend((now, l) for l in done)
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def _read_err(self):
        self.err = self.p.stderr.read()

    def pause(self):
        self.reading.clear()

    def resume(self):
        self.reading.set()

    def wait_for(self, pred, timeout, what):
        deadline = time.time() + timeout
        i = 0
        with self.cond:
            while True:
                while i < len(self.lines):
                    try:
                        o = json.loads(self.lines[i][1])
                    except ValueError:
                        o = None
                    if isinstance(o, dict) and pred(o):
                        return o
                    i += 1
                left = deadline - time.time()
                if left <= 0 or self.eof:
                    raise AssertionError("%s: no %s within %ss; stderr: %r"
                                         % (" ".join(self.argv), what,
                                            timeout, self.err[-500:]))
                self.cond.wait(left)

    def ready(self):
        """The first sample: the fd table was read by then."""
        self.wait_for(lambda o: o.get("event") == "sample", 10,
                      "first sample")

    def stop(self, settle=0.3):
        """SIGINT after settle seconds (events still in flight arrive),
        then every object, checked to be JSON with time and event."""
        time.sleep(settle)
        self.resume()
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
        try:
            rc = self.p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("sockview did not stop after SIGINT")
        self.t_out.join(10)
        self.t_err.join(10)
        self.tc.assertEqual(rc, 0, "sockview exited %d: %r"
                            % (rc, self.err[-2000:]))
        dump = os.environ.get("WATCH_LOAD_DUMP")
        if dump:
            with open(dump, "ab") as f:
                f.writelines(raw + b"\n" for _, raw in self.lines)
        objs = []
        for arrived, raw in self.lines:
            try:
                o = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as e:
                raise AssertionError("not JSON (%s): %r" % (e, raw[:300]))
            self.tc.assertIsInstance(o, dict, raw[:300])
            self.tc.assertIn("event", o, raw[:300])
            self.tc.assertIn("time", o, raw[:300])
            o["_t"] = parse_time(o["time"])
            o["_arrived"] = arrived
            objs.append(o)
        return objs

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait(timeout=5)


# ------------------------------------------------- matching events to conns

def peer_port(o):
    p = o.get("peer")
    return p.get("port") if isinstance(p, dict) else None


def local_port(o):
    a = o.get("local")
    return a.get("port") if isinstance(a, dict) else None


class ConnEvents:
    """sockview's events on the server's end of the client's connections,
    by the client's port: port -> event name -> [objects, in time order].
    Socket events without addresses cannot be matched and are counted."""

    SOCKET_EVENTS = ("open", "close", "readable", "writable", "rdhup",
                     "hup", "error", "pri", "state")

    def __init__(self, objs, server_port, conns):
        self.by_port = {k.lport: {} for k in conns}
        self.unaddressed = {}
        for o in objs:
            name = o.get("event")
            if name not in self.SOCKET_EVENTS:
                continue
            lp, pp = local_port(o), peer_port(o)
            if lp is None or pp is None:
                self.unaddressed[name] = self.unaddressed.get(name, 0) + 1
                continue
            if lp == server_port and pp in self.by_port:
                self.by_port[pp].setdefault(name, []).append(o)
        for names in self.by_port.values():
            for lst in names.values():
                lst.sort(key=lambda o: o["_t"])

    def of(self, k, name):
        return self.by_port[k.lport].get(name, [])

    def unaddressed_text(self):
        if not self.unaddressed:
            return "socket events without addresses: none"
        return "socket events without addresses (unmatchable): %s" % \
            ", ".join("%s %d" % kv for kv in sorted(self.unaddressed.items()))


def judge_open_close(v, conns, ev):
    """Every connection has an open and a close event, and none has a
    second pair without addresses (a socket gone before sockview could
    duplicate it, whose destroy message reports it with them)."""
    v.ratio("open", sum(1 for k in conns if ev.of(k, "open")), len(conns))
    v.ratio("close", sum(1 for k in conns if ev.of(k, "close")), len(conns))
    v.measure(not ev.unaddressed.get("open"), "opens without addresses "
              "(a connection reported twice): %d"
              % ev.unaddressed.get("open", 0))
    for name in ("open", "close"):
        dup = [k for k in conns if len(ev.of(k, name)) > 1]
        example = ""
        if dup:
            example = "; port %d: %s" % (dup[0].lport, ", ".join(
                "%s fd=%s inode=%s source=%s" % (
                    o["time"], o.get("fd"), o.get("inode"), o.get("source"))
                for o in ev.of(dup[0], name)))
        v.measure(not dup, "at most one %s per connection: %d with more%s"
                  % (name, len(dup), example))


def judge_readable(v, conns, ev):
    """Connections that lived LONG_LIVED or more have a readable event
    for the request: stamped after the request was sent and before the
    client's FIN (or, without one, the server's)."""
    long_lived = [k for k in conns if k.life() >= LONG_LIVED]
    have = []
    for k in long_lived:
        end = k.t_shut if k.t_shut is not None else k.t_eof
        if any(k.t_sent - slack_of(o) <= o["_t"] <= end + slack_of(o)
               for o in ev.of(k, "readable")):
            have.append(k)
    v.ratio("readable (the request) on connections that lived >= %d ms"
            % (LONG_LIVED * 1000), len(have), len(long_lived))
    for k in [k for k in long_lived if k not in have][:3]:
        # what the connection without one did get, relative to its send
        got = sorted((o["_t"] - k.t_sent, name, o.get("source", ""))
                     for name, lst in ev.by_port.get(k.lport, {}).items()
                     for o in lst)
        v.note("port %d, lived %.1f ms, no readable; its events: %s" % (
            k.lport, 1000 * k.life(), ", ".join(
                "%s/%s %+.1f ms" % (n, src, 1000 * t) for t, n, src in got)
            or "none"))


def kernel_was_late(o, real, limit):
    """A close from a destroy message that came late because the kernel
    built it late: sock_diag_broadcast_destroy() leaves the record to a
    kworker, which a loaded machine runs late.  The record's own
    tcp_info says how long before it was built the last ACK came (the
    peer's FIN or the ACK of ours, which precede the close); it was read
    on time if its time less that is within limit of the real close."""
    tcp = o.get("tcp") if o.get("source") == "destroy" else None
    ago = tcp.get("last_ack_recv") if isinstance(tcp, dict) else None
    return isinstance(ago, int) and o["_t"] - ago / 1000.0 <= real + limit


def events_text(ev, k):
    """A connection's events in time order, with what each carried, for
    a failure to be read."""
    objs = sorted((o for lst in ev.by_port[k.lport].values() for o in lst),
                  key=lambda o: o["_t"])
    return "; ".join("%s %.1f (%s)" % (
        o["event"], 1000 * (o["_t"] - k.t_connect), ", ".join(
            "%s=%s" % (key, o[key]) for key in sorted(o)
            if key not in ("_t", "event", "local", "peer", "pid", "time",
                           "protocol")))
        for o in objs)


def events_near(ev, k, windows, i):
    """The events of connection k from request i - 1 to request i + 1,
    with what each carried, in ms from request i's send."""
    sent = windows[i][0] + KERNEL_SLACK
    lo = windows[i - 1][0] if i > 0 else sent - 0.1
    hi = windows[i + 1][1] if i + 1 < len(windows) else sent + 0.1
    objs = sorted((o for lst in ev.by_port[k.lport].values() for o in lst
                   if lo <= o["_t"] <= hi), key=lambda o: o["_t"])
    return "; ".join("%s %.1f (%s)" % (
        o["event"], 1000 * (o["_t"] - sent), ", ".join(
            "%s=%s" % (key, o[key]) for key in sorted(o)
            if key in ("source", "time_from", "interested", "count",
                       "before_registration")))
        for o in objs) or "none"


def judge_close_time(v, conns, ev, real_close, oracle):
    """close events no later than CLOSE_WITHIN after the real close and
    not before the request was sent (the client's EOF is no lower
    bound: a loaded client thread sees it late).  A connection
    real_close knows nothing of (None) counts as late.  A close the
    kernel reported late (kernel_was_late) is counted apart, with how
    late the kernel was."""
    limit = CLOSE_WITHIN
    deltas, bad, kernel_late, why = [], [], [], []
    for k in conns:
        closes = ev.of(k, "close")
        if not closes:
            continue
        real = real_close(k)
        if real is None:
            bad.append(k)
            why.append("port %d: no real close known" % k.lport)
            continue
        d = closes[0]["_t"] - real
        deltas.append(d)
        if closes[0]["_t"] < k.t_sent - SLACK:
            bad.append(k)
            why.append("port %d: close %.1f ms before the request was "
                       "sent; its events, ms from the connect: %s"
                       % (k.lport, 1000 * (k.t_sent - closes[0]["_t"]),
                          events_text(ev, k)))
        elif d > limit and kernel_was_late(closes[0], real, limit):
            kernel_late.append(d)
        elif d > limit:
            bad.append(k)
            why.append("port %d: %.1f ms late" % (k.lport, 1000 * d))
    if kernel_late:
        v.note("closes late because the kernel sent their destroy "
               "message late (its record's last_ack_recv says so): %d, "
               "up to %.1f ms" % (len(kernel_late),
                                  1000 * max(kernel_late)))
    n = len(deltas)
    n = len(deltas) + sum(1 for k in bad if real_close(k) is None)
    v.measure(n > 0 and not bad,
              "close within %d ms of the real close (%s): %d of %d close "
              "events on time; delay p50 %.1f ms, p95 %.1f ms, max %.1f ms"
              % (CLOSE_WITHIN * 1000, oracle, n - len(bad), n,
                 1000 * pct(deltas, 0.5), 1000 * pct(deltas, 0.95),
                 1000 * max(deltas) if deltas else float("nan")))
    if why:
        v.note("not on time: " + "; ".join(why[:6]))


def edge_count(o):
    """How many readiness edges one event stands for: "count" when
    sockview summarises them, else 1."""
    n = o.get("count", 1)
    return n if isinstance(n, int) and n > 0 else 1


def judge_readable_times(v, conns, ev):
    """Each readable event on a connection is stamped while data was on
    its way to the server: between a request's send and its response,
    or from the client's FIN on (after the server's FIN, for a
    `Connection: close` request), give or take slack_of() the event.  A
    summary of several edges ("count" above 1) has no one true time and
    is left out."""
    true = false = summaries = 0
    misfits = []
    for k in conns:
        fin = k.t_shut if k.t_shut is not None else k.t_eof
        for o in ev.of(k, "readable"):
            t, sl = o["_t"], slack_of(o)
            windows = [(a - sl, b + sl) for a, b in k.requests]
            if edge_count(o) > 1:
                summaries += 1
            elif any(a <= t <= b for a, b in windows) or t >= fin - sl:
                true += 1
            else:
                false += 1
                # how far outside the nearest window, and what it was
                off = min([t - (b - sl) if t > b else
                           t - (a + sl) for a, b in windows] +
                          [t - fin], key=abs)
                misfits.append("%+.1f ms %s%s%s" % (
                    1000 * off, o.get("source", "?"),
                    " kernel time" if o.get("time_from") == "kernel"
                    else "",
                    " before registration"
                    if o.get("before_registration") else ""))
    v.measure(false == 0, "readable events stamped while a request or "
              "FIN was arriving: %d of %d not (%d summaries left out)%s"
              % (false, true + false, summaries,
                 "; off by " + ", ".join(misfits[:6]) if misfits else ""))


def judge_fin_readables(v, conns, ev):
    """A FIN is one readable wakeup: at most one readable after the
    client's FIN per connection (issue 11: "two readables per FIN")."""
    fins = [k for k in conns if k.t_shut is not None]
    extra = 0
    for k in fins:
        after = [o for o in ev.of(k, "readable") if o["_t"] >= k.t_shut]
        if len(after) > 1:
            extra += 1
    v.measure(extra == 0, "at most one readable per client FIN: %d of %d "
              "connections had more" % (extra, len(fins)))
    # and at least one: node's loop is woken by the FIN to read its end
    # of file, between the client's shutdown and the server's FIN
    # reaching the client
    missed = [k for k in fins if not any(
        k.t_shut - slack_of(o) <= o["_t"] <= k.t_eof + slack_of(o)
        for o in ev.of(k, "readable"))]
    v.ratio("readable (the end of file) at the client's FIN",
            len(fins) - len(missed), len(fins))
    for k in missed[:3]:
        v.note("port %d, FIN at +%.1f ms, no readable for it; its "
               "events, ms from the connect: %s" % (
                   k.lport, 1000 * (k.t_shut - k.t_connect),
                   events_text(ev, k)))


def judge_one_readable_per_request(v, conns, ev):
    """Node's loop is woken once for a request sent in one segment: one
    readable each before the client's FIN, never two (one from the
    registration's counters and one from the wakeup they had counted)."""
    one = [k for k in conns if len(k.requests) == 1 and k.t_shut]
    more = [k for k in one if len([o for o in ev.of(k, "readable")
                                   if o["_t"] < k.t_shut]) > 1]
    v.measure(not more, "at most one readable per request: %d of %d "
              "connections had more" % (len(more), len(one)))
    for k in more[:3]:
        v.note("port %d: %s" % (k.lport, events_text(ev, k)))


# -------------------------------------------------------------- strace

class Strace:
    """What strace -f -ttt -T -yy saw the Node.js server do: per client
    port the accept4 and close(2) times and fd, and every epoll_pwait
    return of the main thread with its (fd, event names) pairs."""

    TCP = r"<TCP:\[127\.0\.0\.1:(\d+)->127\.0\.0\.1:(\d+)\]>"
    LINE = re.compile(r"^(\d+)\s+(\d+\.\d+)\s+(.*?)(?:\s+<(\d+\.\d+)>)?$")

    def __init__(self, path, node_pid, server_port):
        self.accepted = {}     # client port -> (time, fd)
        self.closed = {}       # client port -> (time close(2) returned, fd)
        self.wakeups = []      # (return time, [(fd, set of names)])
        self.raw = []          # (return time, tid, text): for a failure
        pending = {}
        with open(path) as f:
            for line in f:
                m = self.LINE.match(line.rstrip("\n"))
                if not m:
                    continue
                tid, ts, text, dur = m.groups()
                ts = float(ts)
                if text.endswith("<unfinished ...>"):
                    pending[tid] = text
                    continue
                if text.startswith("<... "):
                    # resumed: printed when the call returned
                    head = pending.pop(tid, "")
                    text, ret = head + text, ts
                else:
                    ret = ts + float(dur or 0)
                self.raw.append((ret, int(tid), text))
                self._one(int(tid), text, ret, node_pid, server_port)

    def near(self, t, before=0.012, after=0.012):
        """What returned from before seconds before t to after after, as
        lines of ms from t, thread and call."""
        return ["%+.1f ms tid %d: %s" % ((r - t) * 1000, tid, text[:160])
                for r, tid, text in sorted(self.raw)
                if t - before <= r <= t + after]

    def _one(self, tid, text, ret, node_pid, server_port):
        if text.startswith("accept4("):
            m = re.search(r"= (\d+)" + self.TCP, text)
            if m and int(m.group(2)) == server_port:
                self.accepted[int(m.group(3))] = (ret, int(m.group(1)))
        elif text.startswith("close("):
            m = re.match(r"close\((\d+)" + self.TCP, text)
            if m and int(m.group(2)) == server_port:
                self.closed[int(m.group(3))] = (ret, int(m.group(1)))
        elif "epoll_" in text and tid == node_pid:
            evs = [(int(fd), set(names.split("|"))) for names, fd in
                   re.findall(r"\{events=([A-Z|]+), data=\{u32=(\d+)", text)]
            if evs:
                self.wakeups.append((ret, evs))

    def conn_wakeups(self, lport, name):
        """Return times of the main thread's epoll returns that carried
        `name` (EPOLLOUT, EPOLLHUP...) for the fd of that connection while
        it was open."""
        if lport not in self.accepted or lport not in self.closed:
            return []
        t0, fd = self.accepted[lport]
        t1, _ = self.closed[lport]
        return [t for t, evs in self.wakeups if t0 <= t <= t1 and
                any(f == fd and name in names for f, names in evs)]


def match_in_order(truth, seen, start, lead, lag, unused=None,
                   missed=None):
    """How many of the times in truth have their own time in seen: in
    time order, each truth time t takes the first unused seen time in
    (previous truth time - lead, t + lag], the first in (start, t + lag].
    The seen times left over are appended to unused, and the indexes of
    the truth times without one to missed, if given."""
    truth, seen = sorted(truth), sorted(seen)
    j, hits, prev = 0, 0, start + lead
    for i, t in enumerate(truth):
        while j < len(seen) and seen[j] <= prev - lead:
            if unused is not None:
                unused.append(seen[j])
            j += 1
        if j < len(seen) and seen[j] <= t + lag:
            hits += 1
            j += 1
        elif missed is not None:
            missed.append(i)
        prev = t
    if unused is not None:
        unused.extend(seen[j:])
    return hits


def misfit_text(times, truth, events):
    """Says where each time in times lies against the truth times, and
    what the event of that time carried, so a failure can be read."""
    out = []
    for t in times:
        before = [x for x in truth if x <= t]
        after = [x for x in truth if x > t]
        o = next((e for e in events if e["_t"] == t), {})
        out.append("%s (%s after the last wakeup, %s before the next; %s)"
                   % ("%.6f" % t,
                      "%.1f ms" % ((t - before[-1]) * 1000) if before
                      else "none", "%.1f ms" % ((after[0] - t) * 1000)
                      if after else "none",
                      ", ".join("%s=%s" % (k, o[k]) for k in sorted(o)
                                if k not in ("_t", "event", "fd", "inode",
                                             "local", "remote", "pid"))))
    return "; ".join(out)


# --------------------------------------------------------------- the tests

def pending(reason):
    """Skip a test that fails some runs until issue 11 is fixed, saying
    so; WATCH_LOAD_PENDING=1 runs it anyway (to measure a fix)."""
    if os.environ.get("WATCH_LOAD_PENDING"):
        return lambda fn: fn
    return unittest.skip("pending issue 11: " + reason)


class WatchLoadCase(SockviewTestCase):
    RUN_ALONE = True

    def watch_node(self, port, strace_log=None, close_log=None):
        node, pid = start_node(self, port, strace_log, close_log)
        w = WatchRun(self, pid)
        w.ready()
        return node, pid, w

    def close_log(self):
        return os.path.join(self.make_tmpdir(), "closes.json")

    @staticmethod
    def judge_close_log(v, conns, ev, closes):
        """close on time against the server's own close log; how late
        node's close(2) came after its FIN, as a note."""
        judge_close_time(v, conns, ev, lambda k: closes.get(k.lport),
                         "the server's log of its close, no earlier "
                         "than its close(2)")
        gaps = [closes[k.lport] - k.t_eof for k in conns
                if k.lport in closes and k.t_eof is not None]
        v.note("the server's close logged after the client's EOF: p50 "
               "%.1f ms, max %.1f ms" % (1000 * pct(gaps, 0.5),
                                         1000 * max(gaps or [0])))


class TestWatchLoad(WatchLoadCase):

    @in_netns(timeout=60)
    def test_sequential_keepalive_connections(self):
        """50 sequential keep-alive connections living 5-150 ms each."""
        port = 7401
        log = self.close_log()
        node, _, w = self.watch_node(port, close_log=log)
        rnd = random.Random(11)
        lives = [rnd.uniform(0.005, 0.150) for _ in range(50)]
        conns = run_sequential(port, lives, CLIENT_PORT_BASE)
        objs = w.stop(settle=INTERVAL / 1000 + 0.3)
        closes = server_closes(node, log)
        ev = ConnEvents(objs, port, conns)
        v = Verdict(self, "50 sequential keep-alive connections, 5-150 ms")
        judge_open_close(v, conns, ev)
        judge_readable(v, conns, ev)
        judge_readable_times(v, conns, ev)
        self.judge_close_log(v, conns, ev, closes)
        judge_fin_readables(v, conns, ev)
        judge_one_readable_per_request(v, conns, ev)
        v.note(ev.unaddressed_text())
        v.finish()

    @in_netns(timeout=90)
    def test_connection_close_requests_concurrent(self):
        """2,000 `Connection: close` requests from 20 concurrent clients.

        Most requests are read by node before sockview registers the new
        socket: those readables carry the kernel's time (tcp_info
        last_data_recv, in jiffies, counted from when tcp_info was read).
        Seen failing before: twice in some 27 runs a burst of readables
        stamped 10-16 ms early (this NO_HZ kernel's jiffies lag after
        idle), and under a compile beside it, readables stamped late by
        the time between the tcp_info read and the registration's own
        clock (fixed: the read carries its time)."""
        self.close_requests(7402, 100, 0.0, 0.3,
                            "2,000 Connection: close requests, 20 clients")

    def close_requests(self, port, per_client, wait, settle, what):
        """20 clients' `Connection: close` requests, judged whole."""
        log = self.close_log()
        node, _, w = self.watch_node(port, close_log=log)
        t0 = time.time()
        conns = run_concurrent(port, 20, per_client, CLIENT_PORT_BASE, wait)
        took = time.time() - t0
        objs = w.stop(settle=INTERVAL / 1000 + settle)
        closes = server_closes(node, log)
        ev = ConnEvents(objs, port, conns)
        v = Verdict(self, "%s (%.1f s, %.0f requests/s)"
                    % (what, took, len(conns) / took))
        judge_open_close(v, conns, ev)
        judge_readable(v, conns, ev)
        judge_readable_times(v, conns, ev)
        self.judge_close_log(v, conns, ev, closes)
        v.note(ev.unaddressed_text())
        v.finish()

    @in_netns(timeout=90)
    def test_requests_after_registration_while_edges_summed(self):
        """400 `Connection: close` requests from 20 clients, each sent
        30 ms after its connect: sockview has registered the socket by
        then, and its listener is past --edge-rate, so its waiting
        thread takes wakeups BATCH_MS apart.  Node reads each request,
        answers and closes within a millisecond or two, often before
        the thread takes the request's wakeup, which then goes with the
        socket: the readable must come from the destroy message's final
        count (seen failing: 1 of 503 in one run of the test above)."""
        # the settle covers the closes held for their destroy messages
        self.close_requests(7408, 20, 0.030, 0.6,
                            "400 Connection: close requests sent 30 ms "
                            "after the connect, 20 clients")

    @in_netns(timeout=40)
    def test_write_only_sockets_never_readable(self):
        """A process that only sends on UDP, UNIX stream and UNIX
        datagram sockets whose peers never send: nothing is readable."""
        tmp = self.make_tmpdir()
        spath, dpath = os.path.join(tmp, "s"), os.path.join(tmp, "d")
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 7403))
        lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lst.bind(spath)
        lst.listen(1)
        lst.settimeout(10)
        dg = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        dg.bind(dpath)
        for s in (udp, lst, dg):
            self.addCleanup(s.close)
        p = subprocess.Popen([PYTHON, WRITE_ONLY, "7403", spath, dpath],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.addCleanup(p.wait, 5)
        self.addCleanup(p.kill)
        acc, _ = lst.accept()
        self.addCleanup(acc.close)
        info = json.loads(p.stdout.readline())
        stop = threading.Event()
        received = {"n": 0}

        def drain():
            # the test reads what the target sends and never answers
            while not stop.is_set():
                r, _, _ = select.select([udp, acc, dg], [], [], 0.1)
                for s in r:
                    if s.recv(65536):
                        received["n"] += 1
        t = threading.Thread(target=drain, daemon=True)
        t.start()
        w = WatchRun(self, info["pid"])
        w.ready()
        time.sleep(3.2)
        objs = w.stop()
        stop.set()
        t.join(5)
        v = Verdict(self, "write-only UDP, UNIX stream, UNIX datagram "
                    "(%d messages received from the target)"
                    % received["n"])
        v.measure(received["n"] > 300, "the target sent (%d messages)"
                  % received["n"])
        for name in ("udp", "stream", "dgram"):
            ino = info[name]["inode"]
            mine = [o for o in objs if o.get("inode") == ino]
            v.measure(bool(mine), "%s socket (inode %d) is watched: %d "
                      "lines about it" % (name, ino, len(mine)))
            false = [o for o in mine if o["event"] in
                     ("readable", "rdhup", "hup", "error", "pri")]
            kinds = sorted({"%s/%s" % (o["event"], o.get("source"))
                            for o in false})
            v.measure(not false, "%s socket: no readable, rdhup, hup, "
                      "error or pri event (%d: %s)"
                      % (name, len(false), ", ".join(kinds) or "none"))
        v.finish()

    @in_netns(timeout=40)
    def test_no_writable_after_target_stops_asking(self):
        """A writer whose loop, like libuv's, waits for EPOLLOUT while its
        buffer is full (long enough for sockview's looks to see it ask),
        then stops asking with the buffer still full.  The space the
        reader frees afterwards wakes the socket (the failed send set
        the kernel's no-space flag), but the writer's loop never gets
        it: no writable event may follow the change.  Its own EPOLLOUT
        wakeups before it, logged by the writer, each have one."""
        lst = socket.socket()
        lst.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        lst.bind(("127.0.0.1", 7407))
        lst.listen(1)
        lst.settimeout(10)
        self.addCleanup(lst.close)
        p = subprocess.Popen([PYTHON, OUT_DROP, "7407"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.addCleanup(p.wait, 5)
        self.addCleanup(p.kill)
        acc, _ = lst.accept()
        self.addCleanup(acc.close)
        acc.setblocking(False)
        info = json.loads(p.stdout.readline())
        w = WatchRun(self, info["pid"])
        w.ready()

        def read_for(seconds, pause):
            end = time.time() + seconds
            while time.time() < end:
                try:
                    acc.recv(4096)
                except BlockingIOError:
                    pass
                time.sleep(pause)
        read_for(0.6, 0.01)       # wakeups the writer gets
        time.sleep(1.5)           # full and asking: looks see EPOLLOUT
        p.stdin.write(b"disarm\n")
        p.stdin.flush()
        t_off = json.loads(p.stdout.readline())["disarmed"]
        time.sleep(0.1)
        read_for(0.6, 0.01)       # space its loop no longer asks for
        objs = w.stop(settle=INTERVAL / 1000 + 0.3)
        p.stdin.close()
        truth = json.loads(p.stdout.readline())["wakeups"]
        mine = [o["_t"] for o in objs if o["event"] == "writable" and
                local_port(o) == info["port"]]
        v = Verdict(self, "a writer that stops asking for EPOLLOUT with "
                    "its buffer full")
        v.measure(len(truth) >= 5, "the writer got EPOLLOUT wakeups "
                  "before the change: %d" % len(truth))
        after = [t for t in mine if t > t_off]
        v.measure(not after, "writable events after it stopped asking: %d%s"
                  % (len(after), "".join(" (%.1f ms after)" % (
                      (t - t_off) * 1000) for t in after)))
        before = [t for t in mine if t <= t_off]
        unused = []
        hits = match_in_order(truth, before, truth[0] - 0.1 if truth else 0,
                              lead=0.020, lag=CLOSE_WITHIN, unused=unused)
        v.measure(not unused, "writable events before it matched to no "
                  "wakeup of the writer: %d of %d" % (len(unused),
                                                      len(before)))
        v.note("writable events for the writer's %d wakeups: %d matched"
               % (len(truth), hits))
        v.finish()

    @in_netns(timeout=60)
    def test_reader_pauses_two_seconds(self):
        """sockview's stdout is a 4 KiB pipe whose reader stops for 2 s
        while 8 kept-alive connections make requests (output that fills
        the pipe) and new connections come and go: events keep their
        true times, no open or close is lost, what is lost is counted in
        a dropped field, and sockview's loop never sits in write(2)."""
        port = 7404
        log = self.close_log()
        node, pid = start_node(self, port, close_log=log)
        w = WatchRun(self, pid, pipe_size=4096)
        w.ready()
        rnd = random.Random(12)
        held = [KeepAlive(port, CLIENT_PORT_BASE + i) for i in range(8)]
        for k in held:
            k.request()
        before = run_sequential(port, [0.03] * 5, CLIENT_PORT_BASE + 10)
        time.sleep(0.2)
        w.pause()
        t_pause = time.time()
        stuck, looks = [], []
        watcher = threading.Thread(target=self.sample_wchan,
                                   args=(w.p.pid, t_pause + 2.0, stuck,
                                         looks), daemon=True)
        watcher.start()
        during, n = [], 0
        while time.time() < t_pause + 1.8:
            for k in held:
                k.request()
            during.append(keepalive_conn(port, CLIENT_PORT_BASE + 100 + n,
                                         rnd.uniform(0.02, 0.06)))
            n += 1
        watcher.join(5)
        time.sleep(max(0.0, t_pause + 2.0 - time.time()))
        w.resume()
        after = run_sequential(port, [0.03] * 5, CLIENT_PORT_BASE + 500)
        for k in held:
            k.finish()
        objs = w.stop(settle=INTERVAL / 1000 + 0.3)
        closes = server_closes(node, log)
        conns = held + before + during + after
        ev = ConnEvents(objs, port, conns)
        v = Verdict(self, "reader paused 2 s; %d requests on 8 kept-alive "
                    "connections and %d new connections during the pause"
                    % (sum(len(k.requests) - 1 for k in held), len(during)))
        v.measure(not stuck, "sockview's loop not in pipe_write during "
                  "the pause: %d of %d looks at its wchan found it there"
                  % (len(stuck), len(looks)))
        judge_open_close(v, conns, ev)
        judge_close_time(v, during, ev, lambda k: closes.get(k.lport),
                         "connections during the pause; the server's "
                         "log of its close, no earlier than its close(2)")
        drops = [o["dropped"] for o in objs if "dropped" in o]
        v.measure(all(isinstance(d, int) and d > 0 for d in drops),
                  "dropped counts are positive integers: %s"
                  % (drops[:10] or "no drops reported"))
        judge_readable_times(v, conns, ev)
        self.judge_pause_readables(v, held, ev, t_pause,
                                   sum(d for d in drops
                                       if isinstance(d, int)))
        stamped = [o for o in objs if t_pause <= o["_t"] <= t_pause + 2.0]
        v.note("lines stamped during the pause: %d, read up to %.2f s "
               "after their time" % (len(stamped), max(
                   [o["_arrived"] - o["_t"] for o in stamped] or [0])))
        v.note(ev.unaddressed_text())
        v.finish()

    @in_netns(timeout=60)
    def test_edges_summed_beyond_edge_rate(self):
        """--edge-rate 20: one kept-alive connection making a request
        every 5 ms for 2.5 s.  Past 20 readiness events in an interval
        (one second) its edges are summed into lines with a count; the
        edges said and summed together are no more than the requests the
        server received (the client's log counts them); open and close
        are one line each."""
        port = 7407
        node, pid = start_node(self, port)
        w = WatchRun(self, pid, "--edge-rate", "20")
        w.ready()
        k = KeepAlive(port, CLIENT_PORT_BASE)
        t_end = k.t_connect + 2.5
        while time.time() < t_end:
            k.request()
            time.sleep(0.005)
        k.finish()
        objs = w.stop(settle=INTERVAL / 1000 + 0.3)
        ev = ConnEvents(objs, port, [k])
        v = Verdict(self, "--edge-rate 20; %d requests on one kept-alive "
                    "connection in %.1f s" % (len(k.requests), k.life()))
        reads = ev.of(k, "readable")
        single = [o for o in reads if edge_count(o) == 1]
        summed = [o for o in reads if edge_count(o) > 1]
        total = sum(edge_count(o) for o in reads)
        # each interval holds at most 20 single lines; the connection's
        # life spans at most ceil(life) + 1 intervals
        windows = int(k.life()) + 2
        v.measure(len(k.requests) > 20 * windows,
                  "the client made more requests (%d) than %d intervals "
                  "allow single lines for" % (len(k.requests), windows))
        v.measure(len(single) <= 20 * windows,
                  "single readable lines: %d (at most 20 in each of %d "
                  "intervals)" % (len(single), windows))
        v.measure(bool(summed) and all(
            k.t_connect - KERNEL_SLACK <= o["_t"] <= k.t_close for o in summed),
            "summed readable lines, stamped while the connection lived: "
            "%d (counts %s)" % (len(summed),
                                [edge_count(o) for o in summed]))
        # a readable edge needs bytes that came: the requests and the FIN
        v.measure(total <= len(k.requests) + 1,
                  "readable edges said or summed: %d, no more than the "
                  "requests and the FIN (%d)" % (total, len(k.requests) + 1))
        # (fewer when two requests came between two drains of sockview's
        # epoll: an edge-triggered entry already ready is not readied
        # again)
        v.note("readable edges said or summed: %d for %d requests"
               % (total, len(k.requests)))
        for name in ("open", "close"):
            lst = ev.of(k, name)
            v.measure(len(lst) == 1 and "count" not in lst[0],
                      "one %s line, without a count: %d" % (name, len(lst)))
        v.finish()

    @staticmethod
    def judge_pause_readables(v, held, ev, t_pause, dropped):
        """Requests on the kept-alive connections during the pause
        without a readable event of their own: no more than the drops
        counted and the edges summarised ("count": N stands for N).  A
        readable is a request's when it lies in the request's window
        give or take slack_of() the event, as judge_readable_times()
        has it (one the kernel's jiffies timed is allowed more)."""
        missed, total, summarised, why = 0, 0, 0, []
        for k in held:
            windows = [(a - KERNEL_SLACK, b + KERNEL_SLACK)
                       for a, b in k.requests]
            reads = [(o["_t"], slack_of(o) - KERNEL_SLACK)
                     for o in ev.of(k, "readable")]
            summarised += sum(edge_count(o) - 1
                              for o in ev.of(k, "readable"))
            for i, (a, b) in enumerate(windows):
                if a < t_pause:
                    continue
                total += 1
                if not any(a - more <= t <= b + more
                           for t, more in reads):
                    missed += 1
                    why.append("port %d request %d (sent %.1f ms after "
                               "the pause, answered %.1f ms later); its "
                               "events from the request before to the "
                               "one after, ms from this one's send: %s"
                               % (k.lport, i, 1000 * (a + KERNEL_SLACK -
                                                      t_pause),
                                  1000 * (b - a - 2 * KERNEL_SLACK),
                                  events_near(ev, k, windows, i)))
        v.measure(missed <= dropped + summarised, "requests during the "
                  "pause without a readable event: %d of %d; dropped "
                  "counted: %d, edges summarised: %d"
                  % (missed, total, dropped, summarised))
        for w in why[:4]:
            v.note(w)

    @staticmethod
    def sample_wchan(pid, until, stuck, looks):
        """Where sockview's loop thread sleeps, every 100 ms until
        `until`: in pipe_write it is blocked writing its output."""
        while time.time() < until:
            try:
                with open("/proc/%d/wchan" % pid) as f:
                    looks.append(time.time())
                    # pipe_write, anon_pipe_write (6.16 on)
                    if "pipe_write" in f.read():
                        stuck.append(time.time())
            except OSError:
                return
            time.sleep(0.1)


class TestWatchLoadStrace(WatchLoadCase):
    """Slow: the Node.js server runs under strace."""

    @in_netns(timeout=60)
    def test_close_time_and_hup_against_strace(self):
        port = 7405
        log = os.path.join(self.make_tmpdir(), "strace")
        node, pid, w = self.watch_node(port, strace_log=log)
        rnd = random.Random(13)
        conns = run_sequential(port, [rnd.uniform(0.005, 0.150)
                                      for _ in range(25)],
                               CLIENT_PORT_BASE)
        conns += [close_request(port, CLIENT_PORT_BASE + 100 + i)
                  for i in range(25)]
        objs = w.stop(settle=INTERVAL / 1000 + 0.3)
        stop_node(node)
        st = Strace(log, pid, port)
        ev = ConnEvents(objs, port, conns)
        v = Verdict(self, "25 keep-alive and 25 Connection: close "
                    "connections, node under strace")
        v.measure(len(st.closed) == len(conns) and
                  len(st.accepted) == len(conns),
                  "strace saw %d accept4 and %d close of %d connections"
                  % (len(st.accepted), len(st.closed), len(conns)))
        judge_open_close(v, conns, ev)
        judge_readable(v, conns, ev)
        judge_readable_times(v, conns, ev)

        def real_close(k):
            return st.closed[k.lport][0] if k.lport in st.closed \
                else float("nan")
        known = [k for k in conns if k.lport in st.closed]
        judge_close_time(v, known, ev, real_close,
                         "the target's close(2) in strace")
        early = [k.lport for k in known if ev.of(k, "close") and
                 ev.of(k, "close")[0]["_t"] < real_close(k) - CLOSE_WITHIN]
        v.measure(not early, "no close event more than %d ms before the "
                  "target's close(2): %d" % (CLOSE_WITHIN * 1000,
                                             len(early)))
        hup_after, hup_unseen, n_hup = [], [], 0
        for k in known:
            for o in ev.of(k, "hup"):
                n_hup += 1
                if o["_t"] > real_close(k):
                    hup_after.append(k.lport)
                if not st.conn_wakeups(k.lport, "EPOLLHUP"):
                    hup_unseen.append(k.lport)
        v.measure(not hup_after, "no hup after the target's close(2): "
                  "%d of %d hup events were" % (len(hup_after), n_hup))
        v.measure(not hup_unseen, "no hup the target's loop never got "
                  "(no EPOLLHUP in its epoll_pwait returns before its "
                  "close): %d of %d hup events" % (len(hup_unseen), n_hup))
        judge_fin_readables(v, conns, ev)
        v.note(ev.unaddressed_text())
        v.finish()

    @in_netns(timeout=60,
              sysctls={"net.ipv4.tcp_wmem": "4096\t16384\t65536"})
    def test_writable_recall_against_strace(self):
        """Two slow downloads through a 64 KiB send buffer (tcp_wmem of
        this namespace): the server's send buffer fills and drains.
        Every writable event is one of its loop's EPOLLOUT wakeups, and
        each connection has them.  Up to 2% may match none: about one
        run in 30 here has two space wakeups 8 ms apart where strace
        shows one epoll_pwait return of node, 0.8 ms after the second.
        Not explained yet; a guess: node, stopped by strace at each of
        its system calls, was not waiting when the first came, and its
        ready list held one report for both.

        epoll reports state: node, woken by the same wakeup, writes at
        once and fills the buffer again, and when that happens before
        sockview collects the wakeup, the kernel drops it as not ready
        (ep_send_events re-checks readiness); no trace of it remains
        anywhere sockview can see without tracing the target.  Each of
        node's EPOLLOUT wakeups here follows a partial write (strace
        shows no epoll_ctl between them: POLLOUT stays armed), so each
        is a fresh kernel wakeup that reaches sockview's output entries
        too.  sockview registers each TCP output entry in two epoll
        instances, each collected by a thread of real-time priority
        that only waits in epoll_wait: on 2 cores one of them runs
        first.  Recall is judged (>= 95%) unless sockview said it could
        not get that priority.  Alone on the idle machine (ASan build):
        with one thread 86.4-100% (2 of 11 runs under 95%); with the
        two, 100% in every run."""
        port = 7406
        log = os.path.join(self.make_tmpdir(), "strace")
        node, pid, w = self.watch_node(port, strace_log=log)
        conns = [slow_download(port, CLIENT_PORT_BASE + i, 600000)
                 for i in range(2)]
        objs = w.stop(settle=INTERVAL / 1000 + 0.3)
        stop_node(node)
        st = Strace(log, pid, port)
        ev = ConnEvents(objs, port, conns)
        v = Verdict(self, "2 slow downloads of 600,000 bytes, node under "
                    "strace")
        total = hits = extra = 0
        for k in conns:
            truth = st.conn_wakeups(k.lport, "EPOLLOUT")
            seen = [o["_t"] for o in ev.of(k, "writable")]
            start = st.accepted.get(k.lport, (0, 0))[0]
            unused, missed = [], []
            h = match_in_order(truth, seen, start, lead=0.020,
                               lag=CLOSE_WITHIN, unused=unused,
                               missed=missed)
            if missed:
                v.note("port %d: wakeups without a writable event: %s of "
                       "%d (1 is the first)" % (k.lport, ", ".join(
                           str(i + 1) for i in missed), len(truth)))
            if unused:
                # the greedy match leaves the last one over: the extra is
                # the one without which every other one is matched
                extras = [x for x in seen if match_in_order(
                    truth, [y for y in seen if y != x], start, lead=0.020,
                    lag=CLOSE_WITHIN) == h and len(seen) - 1 == h] or unused
                v.note("port %d: writable events matched to no wakeup: %s"
                       % (k.lport, misfit_text(extras, truth,
                                               ev.of(k, "writable"))))
                for t in extras:
                    v.note("strace near %.6f:\n        %s" % (
                        t, "\n        ".join(st.near(t) or ["nothing"])))
                v.note("port %d: wakeups (W) and writable events (w), ms "
                       "from the accept: %s" % (k.lport, " ".join(
                           "%s%.1f" % (c, (t - start) * 1000) for t, c in
                           sorted([(t, "W") for t in truth] +
                                  [(t, "w") for t in seen]))))
            v.note("port %d: %d EPOLLOUT wakeups, %d writable events, %d "
                   "matched; other events: %s" % (
                       k.lport, len(truth), len(seen), h, ", ".join(
                           "%s %d" % (name, len(lst)) for name, lst in
                           sorted(ev.by_port[k.lport].items())
                           if name != "writable") or "none"))
            total, hits = total + len(truth), hits + h
            extra += max(0, len(seen) - h)
        v.measure(total >= 40, "the target got EPOLLOUT wakeups: %d"
                  % total)
        v.measure(all(ev.of(k, "writable") for k in conns),
                  "each download has writable events: %s"
                  % [len(ev.of(k, "writable")) for k in conns])
        n_writable = len([o for o in objs if o["event"] == "writable"])
        v.measure(extra <= n_writable // 50, "writable events matched to "
                  "no wakeup of the target: %d of %d (at most 2%%)"
                  % (extra, n_writable))
        if "at normal priority" in w.err.decode("utf-8", "replace"):
            v.note("writable recall of the target's EPOLLOUT wakeups: %d "
                   "of %d (%.1f%%; not judged: sockview got no real-time "
                   "priority)" % (hits, total, 100.0 * hits / max(1, total)))
        else:
            v.ratio("writable recall of the target's EPOLLOUT wakeups",
                    hits, total, 0.95)
        v.note(ev.unaddressed_text())
        v.finish()


if __name__ == "__main__":
    unittest.main()
