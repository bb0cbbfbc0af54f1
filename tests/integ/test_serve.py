"""serve: the HTTP surface seen through raw sockets, and a real
Prometheus server (Debian's prometheus package) scraping sockview serve
and answering queries through its HTTP API."""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import unittest
import urllib.parse
import urllib.request

from base import NOSYNCOOKIES, SockviewTestCase
from nsutil import _libc, in_netns, sockview_path, ss, fork_holder
from test_metrics import display, one, parse, promtool_check
from test_owners import private_mounts

CLONE_NEWNET = 0x40000000

PORT = 19153  # the documented default


def start_serve(tc, *args):
    """sockview serve ARGS in the background; waits for its listener."""
    log = open(os.path.join(tc.make_tmpdir(), "serve.log"), "w+b")
    p = subprocess.Popen([sockview_path(), "serve"] + list(args),
                         stdout=log, stderr=log)

    def stop():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    tc.addCleanup(stop)
    deadline = time.time() + 10
    while time.time() < deadline:
        log.seek(0)
        if b"serving http://" in log.read():
            return p, log
        if p.poll() is not None:
            break
        time.sleep(0.02)
    log.seek(0)
    raise AssertionError("serve did not start: %r" % log.read())


def http(port, raw, host="127.0.0.1"):
    """Send raw bytes, read the whole answer: (status, headers, body)."""
    s = socket.create_connection((host, port), timeout=30)  # ASan, a loaded machine
    try:
        s.sendall(raw)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


def get(port, path, extra=b""):
    return http(port, b"GET " + path + b" HTTP/1.1\r\nHost: t\r\n"
                b"Connection: close\r\n" + extra + b"\r\n")


def ns_holder(ns_path, port, conns):
    """A child in the namespace ns_path listening on 127.0.0.1:port with
    conns connections made and never accepted.  (pid, its inode)."""
    def setup():
        fd = os.open(ns_path, os.O_RDONLY)
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            os._exit(3)
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        l = socket.socket()
        l.bind(("127.0.0.1", port))
        l.listen(16)
        keep = [socket.create_connection(("127.0.0.1", port))
                for _ in range(conns)]
        return b"%d" % os.stat("/proc/self/ns/net").st_ino, (l, keep)

    pid, ino = fork_holder(setup, "the holder in %s" % ns_path)
    return pid, int(ino)


class TestServe(SockviewTestCase):

    @in_netns
    def test_http_surface(self):
        l = socket.socket()
        l.bind(("127.0.0.1", 6300))
        l.listen(5)
        start_serve(self)
        # the default: loopback only, on the documented port
        lines = ss("-Htln", "sport = :%d" % PORT).split("\n")
        locs = [x.split()[3] for x in lines if x.strip()]
        self.assertEqual(locs, ["127.0.0.1:%d" % PORT])

        st, h, body = get(PORT, b"/metrics")
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"],
                         "text/plain; version=0.0.4; charset=utf-8")
        text = body.decode()
        promtool_check(self, text)
        s = parse(text)
        self.assertIn(("sockview_listener_accept_queue_limit",
                       5.0), [(n, v) for n, lab, v in s
                              if lab.get("local") == "127.0.0.1:6300"])
        self.assertTrue([v for n, lab, v in s
                         if n == "sockview_scrape_duration_seconds"])

        st, h, body = get(PORT, b"/metrics",
                          b"Accept: application/openmetrics-text; "
                          b"version=1.0.0\r\n")
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith(
            "application/openmetrics-text; version=1.0.0"))
        self.assertTrue(body.endswith(b"\n# EOF\n"))

        st, h, body = get(PORT, b"/")
        self.assertEqual(st, 200)
        self.assertIn(b'href="/metrics"', body)
        st, _, _ = get(PORT, b"/metrics/../etc")
        self.assertEqual(st, 404)
        st, _, _ = get(PORT, b"/nothing")
        self.assertEqual(st, 404)
        for m in (b"POST", b"PUT", b"DELETE"):
            st, h, _ = http(PORT, m + b" /metrics HTTP/1.1\r\nHost: t\r\n"
                            b"Content-Length: 2\r\nConnection: close\r\n"
                            b"\r\nhi")
            self.assertEqual(st, 405, m)
            self.assertEqual(h.get("allow"), "GET, HEAD")
        # a request larger than the 8 KiB the server allows
        st, _, _ = get(PORT, b"/metrics", b"X-Big: " + b"a" * 20000 +
                       b"\r\n")
        self.assertIn(st, (413, 431), "oversized request refused")
        # and the server still answers
        st, _, _ = get(PORT, b"/metrics")
        self.assertEqual(st, 200)

    @in_netns
    def test_only_serve_loads_the_http_library(self):
        # serve has libmicrohttpd mapped; list, which starts once per
        # call, does not pay for loading it and GnuTLS
        p, _ = start_serve(self, "--listen", "127.0.0.1:6302")
        with open("/proc/%d/maps" % p.pid) as f:
            maps = f.read()
        self.assertIn("libmicrohttpd.so", maps)
        env = dict(os.environ, LD_DEBUG="libs")
        r = subprocess.run([sockview_path(), "list", "-ta"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr[-500:])
        loaded = r.stderr.decode(errors="replace")
        self.assertIn("libuv.so", loaded, "LD_DEBUG names what it loads")
        for lib in ("libmicrohttpd", "libgnutls"):
            self.assertFalse(lib in loaded, "list loaded %s" % lib)

    @in_netns
    def test_non_loopback_only_when_asked(self):
        p, log = start_serve(self, "--listen", "0.0.0.0:6301")
        log.seek(0)
        self.assertIn(b"not loopback", log.read())
        lines = ss("-Htln", "sport = :6301").split("\n")
        self.assertEqual([x.split()[3] for x in lines if x.strip()],
                         ["0.0.0.0:6301"])
        bad = subprocess.run([sockview_path(), "serve", "--listen",
                              "localhost"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=10)
        self.assertEqual(bad.returncode, 2)

    @in_netns(sysctls=NOSYNCOOKIES, timeout=120)
    def test_prometheus_scrapes_the_accept_queue(self):
        prom = shutil.which("prometheus")
        if not prom:
            raise unittest.SkipTest("prometheus is not installed (Debian "
                                    "package prometheus; make deps "
                                    "installs it)")
        d = self.make_tmpdir()
        # a listener with backlog 2 holds 3 connections nobody accepts
        l = socket.socket()
        l.bind(("127.0.0.1", 6302))
        l.listen(2)
        keep = [socket.create_connection(("127.0.0.1", 6302))
                for _ in range(3)]
        # and a UNIX listener whose path is hostile label text
        upath = d.encode() + b'/p"a\\t\nh\xfe'
        u = socket.socket(socket.AF_UNIX)
        u.bind(upath)
        u.listen(1)
        keep.append(u)
        start_serve(self, "--listen", "127.0.0.1:6303")
        cfg = os.path.join(d, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n"
                    "  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: sockview\n"
                    "    static_configs:\n"
                    "      - targets: ['127.0.0.1:6303']\n")
        plog = open(os.path.join(d, "prometheus.log"), "w+b")
        pp = subprocess.Popen([prom, "--config.file=" + cfg,
                               "--storage.tsdb.path=" + d + "/data",
                               "--web.listen-address=127.0.0.1:6304"],
                              stdout=plog, stderr=plog, cwd=d)

        def stop():
            pp.terminate()
            try:
                pp.wait(10)
            except subprocess.TimeoutExpired:
                pp.kill()
                pp.wait()
        self.addCleanup(stop)

        def api(path, **q):
            url = "http://127.0.0.1:6304/api/v1/%s?%s" % (
                path, urllib.parse.urlencode(q))
            with urllib.request.urlopen(url, timeout=5) as r:
                return json.loads(r.read())

        want = 'sockview_listener_accept_queue_length{local="127.0.0.1:6302"}'
        got = None
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                r = api("query", query=want)
                if r["status"] == "success" and r["data"]["result"]:
                    got = r["data"]["result"]
                    break
            except OSError:
                pass
            if pp.poll() is not None:
                break
            time.sleep(0.5)
        plog.seek(0)
        self.assertIsNotNone(got, "no series in Prometheus; its log:\n%s"
                             % plog.read()[-3000:].decode("utf-8", "replace"))
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0]["value"][1], "3", "three never accepted")
        self.assertEqual(got[0]["metric"]["job"], "sockview")
        lim = api("query", query='sockview_listener_accept_queue_limit'
                  '{local="127.0.0.1:6302"}')["data"]["result"]
        self.assertEqual(lim[0]["value"][1], "2")
        up = api("query", query='up{job="sockview"}')["data"]["result"]
        self.assertEqual(up[0]["value"][1], "1", "scrapes succeed")
        # the hostile path reached Prometheus as one intact label value
        ser = api("series", **{"match[]": 'sockview_listener_accept_queue_'
                               'length{protocol="unix"}'})["data"]
        self.assertIn(display(upath), [x["local"] for x in ser])
        # Prometheus asked for OpenMetrics and parsed it: there a counter
        # family is named without _total, and units are declared
        md = api("metadata", metric="sockview_listener_drops")["data"]
        self.assertEqual(md["sockview_listener_drops"][0]["type"], "counter",
                         "OpenMetrics family name: %r" % md)
        md = api("metadata", metric="sockview_recv_queue_bytes")["data"]
        self.assertEqual(md["sockview_recv_queue_bytes"][0]["unit"], "bytes")
        # and the scrape said how long it took
        dur = api("query", query="sockview_scrape_duration_seconds")
        self.assertTrue(0 < float(dur["data"]["result"][0]["value"][1]) < 1)

    @in_netns(timeout=120)  # every namespace on the host, each scrape
    def test_all_netns_scrape(self):
        """serve --all-netns while two named namespaces hold known
        sockets: each scrape reads them all, labeled apart, and reads
        them again at the next scrape."""
        private_mounts()
        for n in ("svsA", "svsB"):
            subprocess.run(["ip", "netns", "add", n], check=True)
        a_pid, a = ns_holder("/run/netns/svsA", 6321, 3)
        b_pid, b = ns_holder("/run/netns/svsB", 6322, 2)
        me = os.stat("/proc/self/ns/net").st_ino
        self.assertEqual(len({a, b, me}), 3)
        start_serve(self, "--all-netns", "--listen", "127.0.0.1:6320",
                    "--scrape-timeout", "120")

        def scrape():
            st, _, body = get(6320, b"/metrics")
            self.assertEqual(st, 200, body[:500])
            promtool_check(self, body.decode())
            return parse(body.decode())

        def established(s, ino):
            return sum(v for n, lab, v in s if n == "sockview_sockets" and
                       lab["netns"] == str(ino) and
                       lab["protocol"] == "tcp" and
                       lab["state"] == "established")

        def ss_in(name, *args):
            p = subprocess.run(["nsenter", "--net=/run/netns/" + name,
                                "ss", "-Htn"] + list(args),
                               stdout=subprocess.PIPE, check=True)
            return p.stdout.decode().splitlines()
        s = scrape()
        # each namespace's clients and their queued children
        self.assertEqual(len(ss_in("svsA", "state", "established")), 6)
        self.assertEqual(len(ss_in("svsB", "state", "established")), 4)
        self.assertEqual(established(s, a), 6)
        self.assertEqual(established(s, b), 4)
        for ino, local, n in ((a, "127.0.0.1:6321", 3),
                              (b, "127.0.0.1:6322", 2)):
            self.assertEqual(one(s, "sockview_listener_accept_queue_length",
                                 local=local, netns=str(ino)), n)
            self.assertEqual(one(s, "sockview_listener_accept_queue_limit",
                                 local=local, netns=str(ino)), 16)
        # each listener in its own namespace only
        self.assertEqual(len([1 for n, lab, v in s
                              if n == "sockview_listener_accept_queue_"
                              "length" and lab["local"] == "127.0.0.1:6321"
                              ]), 1)
        # serve's own listener, in the namespace serve runs in
        self.assertEqual(one(s, "sockview_listener_accept_queue_limit",
                             local="127.0.0.1:6320", netns=str(me)) > 0,
                         True)
        info = {lab["netns"]: lab for n, lab, v in s
                if n == "sockview_netns_info"}
        self.assertEqual(info[str(a)].get("name"), "svsA")
        self.assertEqual(info[str(b)].get("name"), "svsB")
        self.assertNotIn("name", info[str(me)])
        # the next scrape reads again: B's holder is gone, its
        # namespace (kept by /run/netns) has no socket left
        os.kill(b_pid, signal.SIGKILL)
        os.waitpid(b_pid, 0)
        deadline = time.time() + 5
        while ss_in("svsB", "-a") and time.time() < deadline:
            time.sleep(0.02)
        self.assertEqual(ss_in("svsB", "-a"), [])
        s = scrape()
        self.assertEqual(established(s, a), 6)
        self.assertEqual(established(s, b), 0)
        self.assertEqual([lab for n, lab, v in s
                          if n == "sockview_sockets" and
                          lab["netns"] == str(b)], [])
        self.assertIn(str(b), {lab["netns"] for n, lab, v in s
                               if n == "sockview_netns_info"})
        os.kill(a_pid, signal.SIGKILL)
        os.waitpid(a_pid, 0)

    @in_netns
    def test_scrape_budget(self):
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
        keep = [socket.socketpair() for _ in range(1500)]
        # 3,000 UNIX sockets cannot be read within a millisecond
        start_serve(self, "--listen", "127.0.0.1:6305", "-x",
                    "--scrape-timeout", "0.001")
        st, _, body = get(6305, b"/metrics")
        self.assertEqual(st, 503, body)
        self.assertIn(b"budget", body)
        start_serve(self, "--listen", "127.0.0.1:6306", "-x")
        st, _, body = get(6306, b"/metrics")
        self.assertEqual(st, 200)
        s = parse(body.decode())
        n = sum(v for name, lab, v in s if name == "sockview_sockets")
        self.assertGreaterEqual(n, 3000)
        self.assertEqual(len(keep), 1500)
