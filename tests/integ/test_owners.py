"""-p (owning processes) and --netns / --netns-pid, with real processes
whose pids, names and descriptors the test knows."""

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest

from base import SockviewTestCase, sockview_json
from nsutil import in_netns, sockview, _libc, fork_holder

CLONE_NEWNS = 0x00020000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
PR_SET_NAME = 15


def private_mounts():
    """A mount namespace of our own with a fresh tmpfs on /run/netns: what
    `ip netns add` makes there vanishes with the test."""
    if _libc.unshare(ctypes.c_int(CLONE_NEWNS)) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    if _libc.mount(b"none", b"/", None, ctypes.c_ulong(MS_REC | MS_PRIVATE),
                   None) != 0:
        raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
    os.makedirs("/run/netns", exist_ok=True)
    if _libc.mount(b"tmpfs", b"/run/netns", b"tmpfs", ctypes.c_ulong(0),
                   None) != 0:
        raise OSError(ctypes.get_errno(), "mount tmpfs /run/netns")


def holder(sock, name):
    """Fork a child that holds sock under the command name `name` and
    waits; returns (pid, fd of sock in the child)."""
    def setup():
        _libc.prctl(PR_SET_NAME, ctypes.c_char_p(name), 0, 0, 0)

    return fork_holder(setup, "the holder %r" % name)[0], sock.fileno()


class TestProcesses(SockviewTestCase):

    @in_netns
    def test_shared_socket_lists_every_holder(self):
        l = socket.socket()
        l.bind(("127.0.0.1", 6100))
        l.listen(4)
        kids = [holder(l, b"svholder-a"), holder(l, b"svholder-b")]
        # made after the forks: only this process holds it
        lone = socket.socket()
        lone.bind(("127.0.0.1", 6101))
        lone.listen(4)
        me = (os.getpid(), l.fileno())
        mycomm = open("/proc/self/comm").read().strip()
        try:
            objs = sockview_json(self, "-tlp")
            ino = os.fstat(l.fileno()).st_ino
            o = self.by_inode(objs, ino, "shared listener")
            got = sorted((p["pid"], p["comm"], p["fd"])
                         for p in o["processes"])
            want = sorted([(kids[0][0], "svholder-a", kids[0][1]),
                           (kids[1][0], "svholder-b", kids[1][1]),
                           (me[0], mycomm, me[1])])
            self.assertEqual(got, want, "every process holding the socket")
            o2 = self.by_inode(objs, os.fstat(lone.fileno()).st_ino, "lone")
            self.assertEqual([(p["pid"], p["fd"]) for p in o2["processes"]],
                             [(os.getpid(), lone.fileno())], "one holder")
            # without -p there is no processes member at all
            for o in sockview_json(self, "-tl"):
                self.assertNotIn("processes", o)
            # the table shows ss's users:(...) form
            p = sockview("list", "-tlp")
            self.assertEqual(p.returncode, 0)
            line = [x for x in p.stdout.decode().splitlines()
                    if "127.0.0.1:6100" in x][0]
            self.assertIn('("svholder-a",pid=%d,fd=%d)' % kids[0], line)
        finally:
            for pid, _ in kids:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)

    @in_netns
    def test_hostile_process_name_is_escaped(self):
        l = socket.socket()
        l.bind(("127.0.0.1", 6102))
        l.listen(1)
        evil = b"ev\x1b[2Jil\x07"
        kid = holder(l, evil)
        try:
            p = sockview("list", "-tlp")
            self.assertEqual(p.returncode, 0)
            out = p.stdout
            for b in out:
                self.assertFalse(b < 0x20 and b not in (0x0a, 0x09) or
                                 b == 0x7f, "raw control byte %#x in the "
                                 "table" % b)
            self.assertIn(b"ev\\x1b[2Jil\\x07", out)
            objs = sockview_json(self, "-tlp")
            o = self.by_inode(objs, os.fstat(l.fileno()).st_ino)
            comms = [x["comm"] for x in o["processes"]]
            self.assertIn(evil.decode(), comms, "exact name in JSON")
        finally:
            os.kill(kid[0], signal.SIGKILL)
            os.waitpid(kid[0], 0)

    @in_netns
    def test_unreadable_processes_one_note(self):
        l = socket.socket()
        l.bind(("127.0.0.1", 6103))
        l.listen(1)
        # root's processes (this test among them) are closed to nobody
        p = sockview_as_nobody(self, "list", "-tlp", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        err = p.stderr.decode()
        self.assertEqual(len(err.strip().splitlines()), 1,
                         "one note, not one per process: %r" % err)
        self.assertRegex(err, r"note: \d+ process(es)? could not be read")
        objs = json.loads(p.stdout)
        o = self.by_inode(objs, os.fstat(l.fileno()).st_ino)
        self.assertEqual(o["processes"], [], "owner not visible to nobody")


def sockview_as_nobody(tc, *args):
    """sockview run as user nobody (uid 65534), as a user without rights
    over root's processes and namespaces would run it."""
    from nsutil import nobody_copy, sockview_path
    return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534",
                           "--clear-groups",
                           nobody_copy(tc, sockview_path())] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=30)


class TestNetns(SockviewTestCase):

    def start_in(self, ns, port):
        """A listener on port inside netns `ns`, held by a child process."""
        code = ("import socket,time,sys\n"
                "s=socket.socket();s.bind(('127.0.0.1',%d));s.listen(1)\n"
                "print(s.fileno(),flush=True)\n"
                "time.sleep(60)\n" % port)
        p = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable,
                              "-c", code], stdout=subprocess.PIPE)
        fd = int(p.stdout.readline())
        return p, fd

    @in_netns
    def test_netns_name_and_pid(self):
        private_mounts()
        subprocess.run(["ip", "netns", "add", "svtest"], check=True)
        subprocess.run(["ip", "-n", "svtest", "link", "set", "lo", "up"],
                       check=True)
        mine = socket.socket()
        mine.bind(("127.0.0.1", 6200))
        mine.listen(1)
        p, fd = self.start_in("svtest", 6201)
        try:
            ports = {o["local"]["port"]
                     for o in sockview_json(self, "-tl", "--netns", "svtest")}
            self.assertEqual(ports, {6201}, "only the namespace's socket")
            ports = {o["local"]["port"]
                     for o in sockview_json(self, "-tl", "-N", "svtest")}
            self.assertEqual(ports, {6201}, "-N is --netns, as in ss")
            ports = {o["local"]["port"] for o in sockview_json(self, "-tl")}
            self.assertEqual(ports, {6200}, "without --netns: our own")
            objs = sockview_json(self, "-tlp", "--netns-pid", str(p.pid))
            self.assertEqual([o["local"]["port"] for o in objs], [6201])
            procs = [(x["pid"], x["fd"]) for x in objs[0]["processes"]]
            self.assertEqual(procs, [(p.pid, fd)],
                             "-p finds the owner in the other namespace")
        finally:
            p.kill()
            p.wait()

    @in_netns
    def test_netns_errors(self):
        private_mounts()
        p = sockview("list", "--netns", "no-such-ns")
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"no-such-ns", p.stderr)
        self.assertIn(b"not found", p.stderr)
        p = sockview("list", "--netns-pid", "999999999")
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"999999999", p.stderr)
        p = sockview("list", "--netns", "../../proc/1/ns/net")
        self.assertEqual(p.returncode, 2, "a path is not a name")
        p = sockview("list", "--netns-pid", "abc")
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"abc", p.stderr)
        # not permitted: nobody may not setns into our namespace
        subprocess.run(["ip", "netns", "add", "svtest2"], check=True)
        p = sockview_as_nobody(self, "list", "--netns", "svtest2")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(b"not permitted", p.stderr)


CLONE_FILES = 0x00000400
PROC_PID_INIT_INO = 0xEFFFFFFC


def iterator_possible():
    """Why the kernel's task_file iterator cannot be had here, or None."""
    eff = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                eff = int(line.split()[1], 16)
    # CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON
    if not (eff >> 21 & 1 or (eff >> 39 & 1 and eff >> 38 & 1)):
        return "neither CAP_SYS_ADMIN nor CAP_BPF and CAP_PERFMON"
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        return "the kernel has no BTF"
    if os.stat("/proc/self/ns/pid").st_ino != PROC_PID_INIT_INO:
        return "not in the first pid namespace"
    return None


def owners_of(objs):
    """inode -> sorted (pid, comm, fd) of every owner in a JSON list."""
    return {o["inode"]: sorted((p["pid"], p["comm"], p["fd"])
                               for p in o.get("processes", []))
            for o in objs}


def syscalls(argv, env=None):
    """(exit status, strace's lines) of argv's bpf and readlinkat calls."""
    env = dict(env or os.environ)
    # LeakSanitizer cannot run under ptrace
    env["ASAN_OPTIONS"] = ":".join(
        x for x in (env.get("ASAN_OPTIONS"), "detect_leaks=0") if x)
    p = subprocess.run(["strace", "-f", "-e", "trace=bpf,readlinkat",
                        "-o", "/dev/stderr"] + argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=60, env=env)
    return p.returncode, p.stderr.decode(errors="replace")


class TestOwnerSources(SockviewTestCase):
    """-p's owners from the kernel's iterator, and from /proc when asked
    (SOCKVIEW_OWNERS=proc) or when the iterator cannot be had."""

    def population(self, n):
        """n connections on a listener, held by this process and by two
        children with names of their own; returns (listener, children)."""
        l = socket.socket()
        l.bind(("127.0.0.1", 6110))
        l.listen(n)
        keep = []
        for _ in range(n):
            c = socket.create_connection(("127.0.0.1", 6110))
            s, _ = l.accept()
            keep += [c, s]
        self.keep = keep
        kids = [holder(l, b"svown-a"), holder(l, b"svown-b")]

        def reap():
            for pid, _ in kids:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        self.addCleanup(reap)
        return l, kids

    def need_iterator(self):
        why = iterator_possible()
        if why:
            self.skipTest("the kernel's iterator cannot be had: " + why)

    @in_netns
    def test_iterator_and_proc_agree_with_the_truth(self):
        self.need_iterator()
        l, kids = self.population(300)
        mycomm = open("/proc/self/comm").read().strip()
        # the truth: every descriptor this test and its children hold
        want = {}
        for pid, comm in [(os.getpid(), mycomm), (kids[0][0], "svown-a"),
                          (kids[1][0], "svown-b")]:
            for s in [l] + self.keep:
                want.setdefault(os.fstat(s.fileno()).st_ino, []).append(
                    (pid, comm, s.fileno()))
        want = {k: sorted(v) for k, v in want.items()}
        got = owners_of(sockview_json(self, "-tap"))
        p = sockview("list", "-tap", "--json",
                     env=dict(os.environ, SOCKVIEW_OWNERS="proc"))
        self.assertEqual(p.returncode, 0, p.stderr)
        walked = owners_of(json.loads(p.stdout))
        self.assertEqual(len(got), 601, "300 connections, a listener")
        self.assertEqual(got, want, "the iterator's owners are the truth")
        self.assertEqual(walked, want, "the walk of /proc's are too")

    @in_netns
    def test_iterator_used_instead_of_the_walk(self):
        self.need_iterator()
        if not shutil.which("strace"):
            self.skipTest("strace not installed: cannot see the calls")
        self.population(20)
        from nsutil import sockview_path
        rc, trace = syscalls([sockview_path(), "list", "-tap"])
        self.assertEqual(rc, 0, trace[-500:])
        self.assertIn("BPF_ITER_CREATE", trace)
        self.assertNotRegex(trace, r'readlinkat\(\d+, "\d+"',
                            "no descriptor link read")
        rc, trace = syscalls([sockview_path(), "list", "-tap"],
                             env=dict(os.environ, SOCKVIEW_OWNERS="proc"))
        self.assertEqual(rc, 0, trace[-500:])
        self.assertNotIn("BPF_PROG_LOAD", trace)
        self.assertRegex(trace, r'readlinkat\(\d+, "\d+", "socket:\[')

    @in_netns
    def test_thread_with_a_table_of_its_own(self):
        """A thread that unshared its descriptor table holds a socket its
        process's /proc/PID/fd does not list; the iterator finds it, under
        its process's command name, not the thread's."""
        self.need_iterator()
        mycomm = open("/proc/self/comm").read().strip()
        import threading
        got = {}
        ready = threading.Event()
        stop = threading.Event()

        def thread():
            _libc.prctl(PR_SET_NAME, ctypes.c_char_p(b"svworker"), 0, 0, 0)
            if _libc.unshare(ctypes.c_int(CLONE_FILES)) != 0:
                got["err"] = ctypes.get_errno()
                ready.set()
                return
            s = socket.socket()
            s.bind(("127.0.0.1", 6111))
            s.listen(1)
            got["ino"] = os.fstat(s.fileno()).st_ino
            got["fd"] = s.fileno()
            ready.set()
            stop.wait(30)
            s.close()

        t = threading.Thread(target=thread)
        t.start()
        self.addCleanup(t.join)
        self.addCleanup(stop.set)
        self.assertTrue(ready.wait(10))
        self.assertNotIn("err", got, "unshare(CLONE_FILES)")
        o = self.by_inode(sockview_json(self, "-tlp"), got["ino"])
        self.assertEqual([(p["pid"], p["comm"], p["fd"])
                          for p in o["processes"]],
                         [(os.getpid(), mycomm, got["fd"])])
        p = sockview("list", "-tlp", "--json",
                     env=dict(os.environ, SOCKVIEW_OWNERS="proc"))
        self.assertEqual(p.returncode, 0, p.stderr)
        o = self.by_inode(json.loads(p.stdout), got["ino"])
        self.assertEqual(o["processes"], [],
                         "/proc/PID/fd is the first thread's table")

    @in_netns
    def test_owners_in_a_pid_namespace_of_their_own(self):
        """In another pid namespace the iterator would number pids as the
        first one does: the owners come from that namespace's /proc."""
        from nsutil import sockview_path
        code = ("import json,os,socket,subprocess,sys\n"
                "s=socket.socket();s.bind(('127.0.0.1',6112));s.listen(1)\n"
                "p=subprocess.run([sys.argv[1],'list','-tlp','--json'],"
                "capture_output=True)\n"
                "print(json.dumps({'rc':p.returncode,'err':p.stderr.decode(),"
                "'pid':os.getpid(),'fd':s.fileno(),"
                "'ino':os.fstat(s.fileno()).st_ino,"
                "'out':json.loads(p.stdout or b'null')}))\n")
        p = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc",
                            sys.executable, "-c", code, sockview_path()],
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        r = json.loads(p.stdout)
        self.assertEqual(r["rc"], 0, r["err"])
        self.assertEqual(r["pid"], 1, "the first process of the namespace")
        o = self.by_inode(r["out"], r["ino"])
        self.assertEqual([(q["pid"], q["fd"]) for q in o["processes"]],
                         [(1, r["fd"])])


if __name__ == "__main__":
    unittest.main()
