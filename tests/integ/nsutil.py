"""Network-namespace isolation and process helpers for the sockview
integration tests.

Every test method decorated with @in_netns runs in a forked child that
has unshared a fresh network namespace (CLONE_NEWNET), brought `lo` up,
and optionally set sysctls inside that namespace.  The child reports
pass / fail / error / skip (with the traceback) back to the parent over a
pipe, kills every process it started, and exits.  The parent turns the
report into the matching unittest outcome.
"""

import ctypes
import ctypes.util
import functools
import json
import os
import signal
import subprocess
import sys
import time
import traceback
import unittest

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
PR_SET_CHILD_SUBREAPER = 36
PR_SET_PDEATHSIG = 1

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# Per-test wall clock limit (seconds).
TEST_TIMEOUT = float(os.environ.get("SOCKVIEW_TEST_TIMEOUT", "40"))

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6",
                    use_errno=True)


def nobody_copy(tc, path):
    """A copy of path that user nobody can read and run, removed when the
    test ends.  The checkout may sit where others may not look (root's
    clone in /root, mode 0700), and tests that drop to nobody must not
    depend on where it is."""
    import shutil
    import tempfile
    d = tempfile.mkdtemp(prefix="svt-nobody.")
    tc.addCleanup(shutil.rmtree, d, True)
    os.chmod(d, 0o755)
    dst = os.path.join(d, os.path.basename(path))
    shutil.copyfile(path, dst)
    os.chmod(dst, 0o755)
    return dst


def sockview_path():
    """Binary under test: $SOCKVIEW, default ./sockview in the repo root."""
    env = os.environ.get("SOCKVIEW")
    if env:
        return os.path.abspath(env)
    return os.path.join(REPO, "sockview")


def _write(path, data):
    with open(path, "w") as f:
        f.write(data)


def _unshare(flags):
    if _libc.unshare(ctypes.c_int(flags)) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "unshare(0x%x): %s" % (flags, os.strerror(e)))


def enter_private_netns():
    """Move the calling process into a fresh network namespace.

    As root: unshare(CLONE_NEWNET).  Otherwise try an unprivileged user
    namespace mapping the caller to root (what `unshare -rn` does).
    Returns a short description of the mode, raises unittest.SkipTest
    (with the reason) when neither is possible.
    """
    if os.geteuid() == 0:
        _unshare(CLONE_NEWNET)
        return "root"
    uid, gid = os.geteuid(), os.getegid()
    try:
        _unshare(CLONE_NEWUSER | CLONE_NEWNET)
        try:
            _write("/proc/self/setgroups", "deny")
        except OSError:
            pass
        _write("/proc/self/uid_map", "0 %d 1\n" % uid)
        _write("/proc/self/gid_map", "0 %d 1\n" % gid)
    except OSError as e:
        raise unittest.SkipTest(
            "needs root or unprivileged user namespaces to create a private "
            "network namespace (%s)" % e)
    return "userns"


# "root" or "userns" inside a test child (how the namespace was made)
NS_MODE = None


def require_real_root(what):
    """Skip (visibly, with the reason) when the test runs as the root of
    an unprivileged user namespace rather than as real root."""
    if NS_MODE != "root":
        raise unittest.SkipTest("%s needs real root (running in an "
                                "unprivileged user namespace)" % what)


def set_sysctl(name, value):
    path = "/proc/sys/" + name.replace(".", "/")
    try:
        _write(path, str(value))
    except OSError:
        subprocess.run(["sysctl", "-qw", "%s=%s" % (name, value)], check=True)
    with open(path) as f:
        got = f.read().strip()
    if got != str(value):
        raise RuntimeError("sysctl %s: wanted %s, got %s" % (name, value, got))


def bring_lo_up():
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True,
                   stdout=subprocess.DEVNULL)
    # Wait for ::1 to become usable (no DAD on lo, but be safe).
    deadline = time.time() + 3
    while time.time() < deadline:
        with open("/proc/net/if_inet6") as f:
            if any(l.split()[-1] == "lo" for l in f if l.strip()):
                return
        time.sleep(0.01)


def _descendants_and_group(me):
    """PIDs that are in our process group or descend from us (not us)."""
    parent = {}
    pgrp = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        rest = st[st.rfind(")") + 2:].split()
        parent[int(d)] = int(rest[1])
        pgrp[int(d)] = int(rest[2])
    out = set()
    for pid in parent:
        if pid == me:
            continue
        if pgrp.get(pid) == me:
            out.add(pid)
            continue
        p, seen = parent.get(pid), 0
        while p and p != 1 and seen < 64:
            if p == me:
                out.add(pid)
                break
            p, seen = parent.get(p), seen + 1
    return out


def kill_started_processes():
    """SIGKILL every process this (child) process started, then reap."""
    me = os.getpid()
    for _ in range(5):
        pids = _descendants_and_group(me)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break


def _child_main(fn, testcase, sysctls, wfd):
    global NS_MODE
    status, msg = "error", ""
    # cleanups the parent registered before the fork stay the parent's
    testcase._cleanups = []
    try:
        os.setpgid(0, 0)
        _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        NS_MODE = enter_private_netns()
        bring_lo_up()
        for k, v in (sysctls or {}).items():
            set_sysctl(k, v)
        fn(testcase)
        status = "pass"
    except unittest.SkipTest as e:
        status, msg = "skip", str(e)
    except AssertionError:
        status, msg = "fail", traceback.format_exc()
    except BaseException:
        status, msg = "error", traceback.format_exc()
    try:
        kill_started_processes()
    except BaseException:
        pass
    try:
        # cleanups registered inside the child (temporary directories...)
        # exist only in this process: run them here
        testcase.doCleanups()
    except BaseException:
        if status == "pass":
            status, msg = "error", traceback.format_exc()
    try:
        data = json.dumps({"status": status, "msg": msg}).encode()
        while data:
            n = os.write(wfd, data)
            data = data[n:]
        os.close(wfd)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def in_netns(sysctls=None, timeout=None):
    """Decorator: run the test method in a forked child inside a fresh
    private network namespace.  `sysctls` maps names to values to set in
    the namespace (e.g. {"net.ipv4.tcp_syncookies": 0})."""
    if callable(sysctls):          # used as @in_netns without arguments
        return in_netns()(sysctls)

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(self):
            sys.stdout.flush()
            sys.stderr.flush()
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                _child_main(fn, self, sysctls, w)
            os.close(w)
            limit = timeout or TEST_TIMEOUT
            deadline = time.time() + limit
            chunks = []
            timed_out = False
            import select
            while True:
                left = deadline - time.time()
                if left <= 0:
                    timed_out = True
                    break
                rl, _, _ = select.select([r], [], [], left)
                if not rl:
                    continue
                b = os.read(r, 65536)
                if not b:
                    break
                chunks.append(b)
            os.close(r)
            if timed_out:
                for target in (lambda: os.killpg(pid, signal.SIGKILL),
                               lambda: os.kill(pid, signal.SIGKILL)):
                    try:
                        target()
                    except OSError:
                        pass
            os.waitpid(pid, 0)
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            if timed_out:
                self.fail("test timed out after %.0fs (child killed)" % limit)
            raw = b"".join(chunks)
            if not raw:
                self.fail("test child died without reporting a result")
            rep = json.loads(raw.decode())
            if rep["status"] == "pass":
                return
            if rep["status"] == "skip":
                print("\nSKIP %s: %s" % (self.id(), rep["msg"]), flush=True)
                raise unittest.SkipTest(rep["msg"])
            if rep["status"] == "fail":
                self.fail("in netns child:\n" + rep["msg"])
            raise RuntimeError("error in netns child:\n" + rep["msg"])
        return wrapper
    return deco


# --------------------------------------------------------------------------
# Running the binary under test and the oracles

def fork_holder(setup, what="the child"):
    """Forks a child that runs setup() (it may enter a namespace or a
    cgroup and make sockets), reports and then sleeps, holding what
    setup() returned, until it is killed.  setup() returns the bytes to
    report (None: b"x") or a pair (bytes, objects to keep).  Returns
    (pid, the bytes); a child that failed before reporting is an
    AssertionError naming what."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            got = setup()
            token, keep = got if isinstance(got, tuple) else (got, None)
            os.write(w, token or b"x")
            os.close(w)
            while True:
                time.sleep(60)
        finally:
            os._exit(0)
    os.close(w)
    token = os.read(r, 64)
    os.close(r)
    if not token:
        raise AssertionError("%s failed" % what)
    return pid, token


def run(argv, timeout=30, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, **kw)


def sockview(*args, timeout=30, env=None):
    exe = sockview_path()
    if not os.access(exe, os.X_OK):
        raise AssertionError("binary under test not found/executable: %s "
                             "(set $SOCKVIEW or build it)" % exe)
    return run([exe] + list(args), timeout=timeout, env=env)


def sockview_json(testcase, *args):
    """Run `sockview list ARGS --json`, assert success, json.loads it."""
    argv = ["list"] + list(args) + ["--json"]
    p = sockview(*argv)
    testcase.assertEqual(
        p.returncode, 0, "sockview %s exited %d, stderr=%r"
        % (" ".join(argv), p.returncode, p.stderr[:2000]))
    try:
        data = json.loads(p.stdout.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise AssertionError("sockview %s: output is not valid JSON: %s\n%r"
                             % (" ".join(argv), e, p.stdout[:2000]))
    testcase.assertIsInstance(data, list,
                              "sockview --json must print one JSON array")
    for o in data:
        testcase.assertIsInstance(o, dict, "array elements must be objects")
    return data


def ss(*args):
    p = run(["ss"] + list(args))
    if p.returncode != 0:
        raise RuntimeError("ss %s failed: %r" % (" ".join(args), p.stderr))
    return p.stdout.decode("utf-8", "replace")
