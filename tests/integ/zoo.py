"""Builds "the zoo": real sockets in every interesting state, created by
the test process itself inside its private network namespace, together
with the ground truth the test knows about each of them."""

import os
import socket
import time

import oracles

# kernel TCP states (include/net/tcp_states.h)
TCP_ESTABLISHED, TCP_SYN_SENT, TCP_FIN_WAIT2, TCP_CLOSE_WAIT = 1, 2, 5, 8


def wait_for(pred, timeout=5.0, what="condition"):
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.005)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise AssertionError("peer closed early")
        buf += chunk
    return buf


def tcp_idle(*socks):
    """All data sent by these sockets has been acked."""
    for s in socks:
        ti = oracles.tcp_info(s)
        if ti["unacked"] != 0 or ti.get("notsent_bytes", 0) != 0:
            return False
    return True


def tcp_state(sock):
    return oracles.tcp_info(sock)["state"]


def proc_tcp_state(family, local, peer):
    name = "tcp6" if family == socket.AF_INET6 else "tcp"
    for e in oracles.proc_inet(name):
        if e["local"] == local and e["peer"] == peer:
            return e["state"]
    return None


class Zoo:
    """Container of live sockets plus ground-truth records.

    Each record is a dict with keys among: name, sock, protocol, family,
    type, state, local (addr, port) or path, peer, recv_q, send_q."""

    def __init__(self, tmpdir=None):
        self.keep = []
        self.recs = []
        self.tmpdir = tmpdir

    def _rec(self, **kw):
        if kw.get("sock") is not None:
            kw.setdefault("inode", oracles.inode_of(kw["sock"]))
        self.recs.append(kw)
        return kw

    def by_name(self, name):
        for r in self.recs:
            if r["name"] == name:
                return r
        raise KeyError(name)

    def _sock(self, *a):
        s = socket.socket(*a)
        self.keep.append(s)
        return s

    @staticmethod
    def _fam(addr):
        return socket.AF_INET6 if ":" in addr else socket.AF_INET

    @staticmethod
    def _famname(fam):
        return "inet6" if fam == socket.AF_INET6 else "inet"

    # ------------------------------------------------------------ TCP
    def tcp_listener(self, name, addr, port, backlog, pending=0):
        fam = self._fam(addr)
        l = self._sock(fam, socket.SOCK_STREAM)
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind((addr, port))
        l.listen(backlog)
        clients = []
        for _ in range(pending):
            c = self._sock(fam, socket.SOCK_STREAM)
            c.connect((addr, port))
            clients.append(c)
        for c in clients:
            wait_for(lambda: tcp_state(c) == TCP_ESTABLISHED,
                     what="pending client established")
        self._rec(name=name, sock=l, protocol="tcp",
                  family=self._famname(fam), type="stream",
                  state="listening", local=(addr, port), recv_q=pending,
                  send_q=backlog)
        return l, clients

    def tcp_pair(self, name, addr, port, c2s=0, s2c=0, rcvbuf=None,
                 keepalive_idle=None):
        """An ESTABLISHED pair with c2s bytes unread at the server and
        s2c bytes unread at the client."""
        fam = self._fam(addr)
        l = socket.socket(fam, socket.SOCK_STREAM)
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if rcvbuf:
            l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        l.bind((addr, port))
        l.listen(4)
        c = self._sock(fam, socket.SOCK_STREAM)
        if rcvbuf:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        c.connect((addr, port))
        s, _ = l.accept()
        self.keep.append(s)
        l.close()
        if keepalive_idle:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE,
                         keepalive_idle)
        if c2s:
            c.sendall(b"c" * c2s)
        if s2c:
            s.sendall(b"s" * s2c)
        wait_for(lambda: tcp_idle(c, s), what="pair idle")
        cport = c.getsockname()[1]
        fname = self._famname(fam)
        self._rec(name=name + ".client", sock=c, protocol="tcp",
                  family=fname, type="stream", state="established",
                  local=(addr, cport), peer=(addr, port), recv_q=s2c,
                  send_q=0, bytes_received=s2c)
        self._rec(name=name + ".server", sock=s, protocol="tcp",
                  family=fname, type="stream", state="established",
                  local=(addr, port), peer=(addr, cport), recv_q=c2s,
                  send_q=0, bytes_received=c2s)
        return c, s

    def tcp_syn_sent(self, name, addr, port):
        """listen(0) listener whose accept queue is full (one un-accepted
        connection) so a further non-blocking connect stays in SYN-SENT.
        Needs net.ipv4.tcp_syncookies=0 in the namespace."""
        fam = self._fam(addr)
        l, _ = self.tcp_listener(name + ".listener", addr, port, 0, pending=1)
        c = self._sock(fam, socket.SOCK_STREAM)
        c.setblocking(False)
        err = c.connect_ex((addr, port))
        assert err in (115, 11), "connect_ex: %d" % err   # EINPROGRESS
        time.sleep(0.05)
        st = tcp_state(c)
        assert st == TCP_SYN_SENT, "client not in SYN-SENT (state %d)" % st
        self._rec(name=name, sock=c, protocol="tcp", family=self._famname(fam),
                  type="stream", state="syn-sent",
                  local=(addr, c.getsockname()[1]), peer=(addr, port),
                  recv_q=0, created=time.time())
        return c

    def tcp_time_wait(self, name, addr, port):
        """Active closer ends in TIME-WAIT after a finished exchange."""
        fam = self._fam(addr)
        l = socket.socket(fam, socket.SOCK_STREAM)
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind((addr, port))
        l.listen(1)
        c = socket.socket(fam, socket.SOCK_STREAM)
        c.connect((addr, port))
        s, _ = l.accept()
        l.close()
        c.sendall(b"hello")
        assert recv_exact(s, 5) == b"hello"
        s.sendall(b"world")
        assert recv_exact(c, 5) == b"world"
        local = (addr, c.getsockname()[1])
        c.close()                       # active close first
        assert s.recv(10) == b""
        s.close()
        wait_for(lambda: proc_tcp_state(fam, local, (addr, port))
                 == "time-wait", what="TIME-WAIT")
        self._rec(name=name, sock=None, protocol="tcp",
                  family=self._famname(fam), type="stream",
                  state="time-wait", local=local, peer=(addr, port),
                  recv_q=0, send_q=0, created=time.time())

    def tcp_fin_wait2_orphan(self, name, addr, port):
        """Client close()s (orphaned socket), server acks the FIN but
        keeps its side open: the client ends as a timewait socket in
        substate FIN-WAIT-2 (no inode), the server is in CLOSE-WAIT."""
        fam = self._fam(addr)
        l = socket.socket(fam, socket.SOCK_STREAM)
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind((addr, port))
        l.listen(1)
        c = socket.socket(fam, socket.SOCK_STREAM)
        c.connect((addr, port))
        s, _ = l.accept()
        self.keep.append(s)
        l.close()
        local = (addr, c.getsockname()[1])
        c.close()
        assert s.recv(10) == b""
        wait_for(lambda: proc_tcp_state(fam, local, (addr, port))
                 == "fin-wait-2", what="orphaned FIN-WAIT-2")
        fname = self._famname(fam)
        self._rec(name=name + ".client", sock=None, protocol="tcp",
                  family=fname, type="stream", state="fin-wait-2",
                  local=local, peer=(addr, port), recv_q=0, send_q=0,
                  created=time.time())
        self._rec(name=name + ".server", sock=s, protocol="tcp",
                  family=fname, type="stream", state="close-wait",
                  local=(addr, port), peer=local, recv_q=0, send_q=0)

    def tcp_fin_wait2(self, name, addr, port):
        """Client shuts down its write side; server acks but keeps its
        side open: client FIN-WAIT-2, server CLOSE-WAIT."""
        fam = self._fam(addr)
        l = socket.socket(fam, socket.SOCK_STREAM)
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind((addr, port))
        l.listen(1)
        c = self._sock(fam, socket.SOCK_STREAM)
        c.connect((addr, port))
        s, _ = l.accept()
        self.keep.append(s)
        l.close()
        c.shutdown(socket.SHUT_WR)
        assert s.recv(10) == b""
        wait_for(lambda: tcp_state(c) == TCP_FIN_WAIT2, what="FIN-WAIT-2")
        wait_for(lambda: tcp_state(s) == TCP_CLOSE_WAIT, what="CLOSE-WAIT")
        cport = c.getsockname()[1]
        fname = self._famname(fam)
        self._rec(name=name + ".client", sock=c, protocol="tcp",
                  family=fname, type="stream", state="fin-wait-2",
                  local=(addr, cport), peer=(addr, port), recv_q=0,
                  send_q=0)
        self._rec(name=name + ".server", sock=s, protocol="tcp",
                  family=fname, type="stream", state="close-wait",
                  local=(addr, port), peer=(addr, cport), recv_q=0,
                  send_q=0)
        return c, s

    # ------------------------------------------------------------ UDP
    def udp_unconnected(self, name, addr, port):
        fam = self._fam(addr)
        u = self._sock(fam, socket.SOCK_DGRAM)
        u.bind((addr, port))
        self._rec(name=name, sock=u, protocol="udp", family=self._famname(fam),
                  type="dgram", state="closed", local=(addr, port))
        return u

    def udp_connected(self, name, addr, port, peer_port):
        fam = self._fam(addr)
        u = self._sock(fam, socket.SOCK_DGRAM)
        u.bind((addr, port))
        u.connect((addr, peer_port))
        self._rec(name=name, sock=u, protocol="udp", family=self._famname(fam),
                  type="dgram", state="established", local=(addr, port),
                  peer=(addr, peer_port))
        return u

    # ------------------------------------------------------------ RAW
    def raw(self, name, v6=False, bind=None):
        fam = socket.AF_INET6 if v6 else socket.AF_INET
        proto = socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP
        r = self._sock(fam, socket.SOCK_RAW, proto)
        if bind:
            r.bind((bind, 0))
        self._rec(name=name, sock=r, protocol="raw", family=self._famname(fam),
                  type="raw", state="closed",
                  local=(bind or ("::" if v6 else "0.0.0.0"), proto))
        return r

    # ------------------------------------------------------------ UNIX
    def unix_path(self, leaf):
        return os.path.join(self.tmpdir, leaf)

    def unix_stream(self, name, path, backlog=5, pending=1, data=0):
        """A listener on `path` with `pending` un-accepted connections,
        plus one accepted pair holding `data` unread bytes at the
        accepted (server) end."""
        l = self._sock(socket.AF_UNIX, socket.SOCK_STREAM)
        l.bind(path)
        l.listen(backlog)
        c = self._sock(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(path)
        s, _ = l.accept()
        self.keep.append(s)
        for _ in range(pending):
            p = self._sock(socket.AF_UNIX, socket.SOCK_STREAM)
            p.connect(path)
        if data:
            c.sendall(b"u" * data)
        shown = "@" + path[1:] if path.startswith("\0") else path
        self._rec(name=name + ".listener", sock=l, protocol="unix",
                  family="unix", type="stream", state="listening",
                  path=shown, recv_q=pending, send_q=backlog)
        self._rec(name=name + ".server", sock=s, protocol="unix",
                  family="unix", type="stream", state="established",
                  path=shown, peer_sock=c, recv_q=data)
        self._rec(name=name + ".client", sock=c, protocol="unix",
                  family="unix", type="stream", state="established",
                  path=None, peer_sock=s, recv_q=0)
        return l, c, s

    def unix_seqpacket_listener(self, name, path, backlog=3):
        l = self._sock(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        l.bind(path)
        l.listen(backlog)
        self._rec(name=name, sock=l, protocol="unix", family="unix",
                  type="seqpacket", state="listening", path=path, recv_q=0,
                  send_q=backlog)
        return l

    def unix_dgram(self, name, path):
        d = self._sock(socket.AF_UNIX, socket.SOCK_DGRAM)
        d.bind(path)
        self._rec(name=name, sock=d, protocol="unix", family="unix",
                  type="dgram", state="closed", path=path)
        return d

    def unix_socketpair(self, name, data=0):
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.keep += [a, b]
        if data:
            a.sendall(b"p" * data)
        self._rec(name=name + ".a", sock=a, protocol="unix", family="unix",
                  type="stream", state="established", path=None, peer_sock=b,
                  recv_q=0)
        self._rec(name=name + ".b", sock=b, protocol="unix", family="unix",
                  type="stream", state="established", path=None, peer_sock=a,
                  recv_q=data)
        return a, b


def build_tcp_zoo(zoo):
    """TCP part of the zoo on 127.0.0.1 and ::1 (needs syncookies=0)."""
    zoo.tcp_listener("lst4", "127.0.0.1", 5001, 16, pending=2)
    zoo.tcp_listener("lst6", "::1", 5002, 7, pending=1)
    zoo.tcp_pair("est4", "127.0.0.1", 5003, c2s=3000, s2c=1200)
    zoo.tcp_pair("est6", "::1", 5004, c2s=777, s2c=4321)
    zoo.tcp_syn_sent("syn4", "127.0.0.1", 5005)
    zoo.tcp_syn_sent("syn6", "::1", 5006)
    zoo.tcp_time_wait("tw4", "127.0.0.1", 5007)
    zoo.tcp_time_wait("tw6", "::1", 5008)
    zoo.tcp_fin_wait2("fw4", "127.0.0.1", 5009)
    zoo.tcp_fin_wait2("fw6", "::1", 5010)
    zoo.tcp_fin_wait2_orphan("fwo4", "127.0.0.1", 5011)
    return zoo


def build_udp_zoo(zoo):
    u = zoo.udp_unconnected("udp4.unconn", "127.0.0.1", 6001)
    zoo.udp_connected("udp4.conn", "127.0.0.1", 6002, 6001)
    u6 = zoo.udp_unconnected("udp6.unconn", "::1", 6003)
    zoo.udp_connected("udp6.conn", "::1", 6004, 6003)
    # queue unread datagrams on the unconnected sockets
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(3):
        tx.sendto(b"x" * 100, ("127.0.0.1", 6001))
    tx.close()
    tx6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    tx6.sendto(b"y" * 10, ("::1", 6003))
    tx6.close()
    time.sleep(0.02)
    zoo.by_name("udp4.unconn")["datagrams"] = 3
    zoo.by_name("udp6.unconn")["datagrams"] = 1
    return zoo


def build_unix_zoo(zoo):
    zoo.unix_stream("ustr", zoo.unix_path("stream.sock"), backlog=5,
                    pending=1, data=77)
    zoo.unix_stream("uabs", "\0sockview-test-abstract", backlog=9, pending=0,
                    data=0)
    zoo.unix_seqpacket_listener("useq", zoo.unix_path("seq.sock"), backlog=3)
    zoo.unix_dgram("udg", zoo.unix_path("dgram.sock"))
    zoo.unix_socketpair("upair", data=10)
    return zoo
