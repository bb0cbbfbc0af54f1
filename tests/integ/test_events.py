"""list -E: sockets as the kernel destroys them, with their final record.
Oracle: the sockets each test makes and closes, and what it sent."""

import json
import signal
import socket
import subprocess
import time

from base import SockviewTestCase
from nsutil import in_netns, sockview, sockview_path


class Follower:
    """sockview list -E ARGS, started before the test's sockets."""

    def __init__(self, tc, *args):
        self.p = subprocess.Popen([sockview_path(), "list", "-E"] +
                                  list(args), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        tc.addCleanup(self.kill)
        time.sleep(0.4)  # subscribed before anything is destroyed

    def stop(self, tc):
        time.sleep(0.4)
        self.p.send_signal(signal.SIGINT)
        out, err = self.p.communicate(timeout=10)
        tc.assertEqual(self.p.returncode, 0, err)
        return out.decode()

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def exchange(port, family=socket.AF_INET, addr="127.0.0.1"):
    """A connection that carries 500 bytes one way and 70 the other,
    then closes on both sides; the listener closes too."""
    lsn = socket.socket(family)
    lsn.bind((addr, port))
    lsn.listen(1)
    cli = socket.socket(family)
    cli.connect((addr, port))
    srv, _ = lsn.accept()
    cli.sendall(b"a" * 500)
    got = 0
    while got < 500:
        got += len(srv.recv(1000))
    srv.sendall(b"b" * 70)
    got = 0
    while got < 70:
        got += len(cli.recv(1000))
    cport = cli.getsockname()[1]
    cli.close()
    srv.close()
    lsn.close()
    return cport


class TestEvents(SockviewTestCase):

    @in_netns
    def test_destroyed_sockets_with_their_final_record(self):
        f = Follower(self, "--json", "sport", "=", ":7700", "or", "dport",
                     "=", ":7700", "or", "sport", "=", ":7701")
        cport = exchange(7700)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 7701))
        u.close()
        other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        other.bind(("127.0.0.1", 7702))
        other.close()
        objs = [json.loads(line) for line in f.stop(self).splitlines()]
        key = {(o["protocol"], o["local"]["port"], o["peer"]["port"]): o
               for o in objs}
        self.assertEqual(set(key), {("tcp", cport, 7700),
                                    ("tcp", 7700, cport),
                                    ("tcp", 7700, 0),
                                    ("udp", 7701, 0)},
                         "what the test closed, filtered: %r" % objs)
        c = key[("tcp", cport, 7700)]["tcp"]
        s = key[("tcp", 7700, cport)]["tcp"]
        # the final counters: 500 bytes and a FIN acked one way, 70 the
        # other, and the SYN on the active side
        self.assertEqual(c["bytes_received"], 70 + 1)
        self.assertEqual(s["bytes_received"], 500 + 1)
        self.assertEqual(c["bytes_acked"], 500 + 2)
        self.assertEqual(s["bytes_acked"], 70 + 1)

    @in_netns
    def test_selection_and_table(self):
        f = Follower(self, "-u")
        exchange(7710)
        u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        u.bind(("::1", 7711))
        u.close()
        text = f.stop(self)
        lines = text.splitlines()
        self.assertTrue(lines[0].startswith("Netid"), text)
        self.assertEqual(len(lines), 2, text)
        self.assertRegex(lines[1], r"^udp\s+UNCONN\s.*\[::1\]:7711\s")

        f = Follower(self, "-t", "-6", "-H")
        exchange(7712)
        exchange(7713, socket.AF_INET6, "::1")
        lines = f.stop(self).splitlines()
        self.assertEqual(len(lines), 3, "the IPv6 connection only: %r"
                         % lines)
        self.assertTrue(all("[::1]:" in line for line in lines))

    @in_netns
    def test_what_it_does_not_take(self):
        for args in (["-x"], ["--load", "/dev/null"], ["-s"], ["-r"],
                     ["--all-netns"], ["-p"], ["comm", "x"]):
            p = sockview("list", "-E", *args)
            self.assertEqual(p.returncode, 2, (args, p.stderr))
            self.assertIn(b"-E", p.stderr)
        p = sockview("metrics", "-E")
        self.assertEqual(p.returncode, 2)
