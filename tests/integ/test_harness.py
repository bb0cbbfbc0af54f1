"""Self-checks of the namespace harness: isolation, outcome reporting and
clean-up of every process a test started."""

import os
import socket
import subprocess
import time
import unittest

import nsutil
from nsutil import in_netns, ss


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return False
    return st[st.rfind(")") + 2] != "Z"


class TestHarness(unittest.TestCase):

    def test_fresh_private_namespace(self):
        outer = os.readlink("/proc/self/ns/net")

        @in_netns
        def body(tc):
            tc.assertNotEqual(os.readlink("/proc/self/ns/net"), outer,
                              "the test body runs in another namespace")
            tc.assertEqual(ss("-tuwxanH").strip(), "",
                           "a new namespace starts without sockets")
            with open("/sys/class/net/lo/operstate") as f:
                tc.assertIn(f.read().strip(), ("unknown", "up"))
            s = socket.socket()
            s.bind(("127.0.0.1", 9))        # a fixed port: no one else here
            s.listen(1)
            c = socket.create_connection(("127.0.0.1", 9))
            tc.assertTrue(c)
        body(self)
        body(self)      # a second namespace: port 9 is free again

    def test_processes_started_by_a_test_are_killed(self):
        pidfile = "/tmp/svt-harness-%d" % os.getpid()
        self.addCleanup(lambda: os.path.exists(pidfile) and
                        os.unlink(pidfile))

        nap = "300.%d" % os.getpid()       # unique to this run

        @in_netns
        def body(tc):
            a = subprocess.Popen(["sleep", nap])
            b = subprocess.Popen(["setsid", "sleep", nap])
            c = subprocess.Popen(["sh", "-c", "sleep %s & sleep %s"
                                  % (nap, nap)])
            time.sleep(0.2)
            with open(pidfile, "w") as f:
                f.write("%d %d %d" % (a.pid, b.pid, c.pid))
        body(self)
        with open(pidfile) as f:
            pids = [int(x) for x in f.read().split()]
        deadline = time.time() + 3
        while time.time() < deadline and any(map(_alive, pids)):
            time.sleep(0.05)
        self.assertEqual([p for p in pids if _alive(p)], [],
                         "processes left running after the test")
        out = subprocess.run(["pgrep", "-f", "^sleep %s$" % nap],
                             stdout=subprocess.PIPE).stdout.split()
        self.assertEqual(out, [], "stray 'sleep %s' processes" % nap)

    def test_failures_errors_and_skips_are_reported(self):
        @in_netns
        def failing(tc):
            tc.assertEqual(1, 2)

        @in_netns
        def erroring(tc):
            raise KeyError("boom")

        @in_netns
        def skipping(tc):
            raise unittest.SkipTest("harness self-check: expected skip")

        with self.assertRaises(AssertionError):
            failing(self)
        with self.assertRaisesRegex(RuntimeError, "boom"):
            erroring(self)
        with self.assertRaisesRegex(unittest.SkipTest, "expected skip"):
            skipping(self)

    def test_timeout_kills_the_child(self):
        @in_netns(timeout=1)
        def hangs(tc):
            time.sleep(60)
        t0 = time.time()
        with self.assertRaisesRegex(AssertionError, "timed out"):
            hangs(self)
        self.assertLess(time.time() - t0, 10)

    def test_binary_under_test_is_configurable(self):
        old = os.environ.get("SOCKVIEW")
        try:
            os.environ["SOCKVIEW"] = "relative/sv"
            self.assertEqual(nsutil.sockview_path(),
                             os.path.abspath("relative/sv"))
            del os.environ["SOCKVIEW"]
            self.assertEqual(nsutil.sockview_path(),
                             os.path.join(nsutil.REPO, "sockview"))
        finally:
            if old is None:
                os.environ.pop("SOCKVIEW", None)
            else:
                os.environ["SOCKVIEW"] = old


if __name__ == "__main__":
    unittest.main()
