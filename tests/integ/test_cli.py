"""Command line behaviour: exit codes, output errors, option parsing,
state / family / protocol selection, JSON lines, the table layout."""

import json
import os
import re
import resource
import socket
import subprocess
import unittest

import oracles
import zoo as zoomod
from base import NOSYNCOOKIES, SockviewTestCase, inet_key, sockview_json, \
    truth_key
from nsutil import in_netns, sockview, sockview_path

CONNECTED = {"established", "syn-sent", "fin-wait-1", "fin-wait-2",
             "close-wait", "last-ack", "closing"}
NOT_DEFAULT = {"listening", "closed", "time-wait", "syn-recv"}


def full_zoo(tc):
    z = zoomod.Zoo(tc.make_tmpdir())
    zoomod.build_tcp_zoo(z)
    zoomod.build_udp_zoo(z)
    zoomod.build_unix_zoo(z)
    return z


def identity(o):
    if o.get("family") == "unix" or o.get("inode"):
        return ("ino", o.get("inode"))
    return ("key", inet_key(o))


def rec_identity(rec):
    if rec.get("sock") is not None:
        return ("ino", rec["inode"])
    return ("key", truth_key(rec))


def tokens(line):
    return [(m.start(), m.group()) for m in re.finditer(r"\S+", line)]


class TestExitCodes(SockviewTestCase):

    @in_netns
    def test_bad_arguments_exit_2_naming_the_argument(self):
        cases = [(["list", "--bogus-option"], "--bogus-option"),
                 (["list", "-Z"], "Z"),
                 (["list", "-t", "--json", "--no-such"], "--no-such"),
                 (["frobnicate"], "frobnicate"),
                 (["list", "unexpected-arg"], "unexpected-arg"),
                 # missing values, values out of range, bad pids
                 (["list", "--netns"], "--netns"),
                 (["list", "--resolve-timeout"], "--resolve-timeout"),
                 (["list", "-F"], "-F"),
                 (["list", "--resolver-threads", "0"], "0"),
                 (["list", "--resolver-threads", "513"], "513"),
                 (["list", "--resolve-timeout", "-1"], "-1"),
                 (["list", "--netns-pid", "0"], "0"),
                 (["list", "--netns-pid", "-3"], "-3"),
                 (["list", "--netns-pid", "x1"], "x1"),
                 (["list", "(", "sport", "=", ":1"], "("),
                 (["watch", "--interval", "0", "1"], "0"),
                 (["help", "nosuch"], "nosuch")]
        for argv, needle in cases:
            p = sockview(*argv)
            self.assertEqual(p.returncode, 2, "sockview %s: exit %d, want 2; "
                             "stderr=%r" % (" ".join(argv), p.returncode,
                                            p.stderr))
            err = p.stderr.decode("utf-8", "replace")
            self.assertIn(needle, err, "sockview %s: stderr must name the "
                          "bad argument: %r" % (" ".join(argv), err))
            self.assertEqual(len(err.strip().splitlines()), 1,
                             "one line: %r" % err)
            self.assertEqual(p.stdout, b"", "nothing on stdout on usage error")

    @in_netns
    def test_option_errors_one_clean_line(self):
        # what getopt reports, said once, in words: never an internal
        # option code or a NUL byte
        hint = " (see 'sockview --help')"
        cases = [
            (["list", "--tcp=1"],
             "list: option '--tcp' doesn't allow an argument"),
            (["list", "-t", "--json=yes"],
             "list: option '--json' doesn't allow an argument"),
            (["--jsonl=1"],
             "list: option '--jsonl' doesn't allow an argument"),
            (["watch", "--json=x", "1"],
             "watch: option '--json' doesn't allow an argument"),
            (["watch", "--numeric=0", "1"],
             "watch: option '--numeric' doesn't allow an argument"),
            (["fields", "--roff=1"],
             "fields: option '--roff' doesn't allow an argument"),
            (["list", "--help=1"],
             "list: option '--help' doesn't allow an argument"),
            (["list", "--no-such"], "list: unknown option '--no-such'"),
            (["list", "--no-such=3"], "list: unknown option '--no-such'"),
            (["list", "-tZ"], "list: unknown option '-Z'"),
            (["list", "--tcp", "-Zt"], "list: unknown option '-Z'"),
            (["watch", "-q", "1"], "watch: unknown option '-q'"),
            (["list", "--netns"], "list: option '--netns' needs a value"),
            (["list", "-tF"], "list: option '-F' needs a value"),
            (["list", "--filter-file"],
             "list: option '--filter-file' needs a value"),
            (["watch", "--interval"],
             "watch: option '--interval' needs a value"),
            (["list", "--resolve-t"], "list: option '--resolve-t"),
            (["list", "--re"], "list: option '--re' is ambiguous"),
        ]
        for argv, want in cases:
            p = sockview(*argv)
            self.assertEqual(p.returncode, 2, "sockview %s: exit %d, want 2"
                             % (" ".join(argv), p.returncode))
            self.assertEqual(p.stdout, b"")
            self.assertNotIn(b"\0", p.stderr)
            err = p.stderr.decode("ascii")
            self.assertTrue(err.isprintable() or err[:-1].isprintable(),
                            "printable: %r" % err)
            self.assertEqual(err.count("\n"), 1, "one line: %r" % err)
            self.assertTrue(err.startswith("sockview: " + want),
                            "sockview %s: %r, want %r"
                            % (" ".join(argv), err, want))
            self.assertTrue(err.endswith(hint + "\n"), repr(err))

    @in_netns
    def test_long_option_values_both_ways(self):
        # --name=value and --name value mean the same
        s = socket.socket()
        s.bind(("127.0.0.1", 7102))
        s.listen(1)
        for argv in (["list", "-tl", "--resolve-timeout=1.5", "--json"],
                     ["list", "-tl", "--resolve-timeout", "1.5", "--json"]):
            p = sockview(*argv)
            self.assertEqual(p.returncode, 0, p.stderr)
            objs = json.loads(p.stdout.decode())
            self.assertEqual([o["local"]["port"] for o in objs], [7102])

    @in_netns
    def test_good_run_exits_0(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 7100))
        s.listen(1)
        for argv in (["list"], ["list", "-a"], ["list", "-tanoiem"],
                     ["list", "-a", "--json"], ["list", "-a", "--jsonl"]):
            p = sockview(*argv)
            self.assertEqual(p.returncode, 0, "sockview %s: %r"
                             % (" ".join(argv), p.stderr))
            self.assertEqual(p.stderr, b"", "sockview %s: stderr %r"
                             % (" ".join(argv), p.stderr))
        p = sockview("list", "-tl", "--json")
        objs = json.loads(p.stdout.decode())
        self.assertEqual([o["local"]["port"] for o in objs], [7100])

    @in_netns
    def test_write_error_dev_full_exits_1(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 7101))
        s.listen(1)
        for argv in (["list", "-a", "--json"], ["list", "-a"],
                     ["list", "-a", "--jsonl"]):
            with open("/dev/full", "wb") as full:
                p = subprocess.run([sockview_path()] + argv, stdout=full,
                                   stderr=subprocess.PIPE, timeout=30)
            self.assertEqual(p.returncode, 1, "sockview %s > /dev/full: exit "
                             "%d, want 1" % (" ".join(argv), p.returncode))
            self.assertNotEqual(p.stderr.strip(), b"", "sockview %s > "
                                "/dev/full: an error message is expected"
                                % " ".join(argv))

    @in_netns
    def test_closed_pipe_ends_quietly(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 4096), hard))
        pairs = [socket.socketpair() for _ in range(700)]
        p = sockview("list", "-a", "--json")
        self.assertEqual(p.returncode, 0)
        total = len(p.stdout)
        self.assertGreater(total, 256 * 1024,
                           "output must be much larger than a pipe buffer")
        self.assertEqual(len(json.loads(p.stdout.decode())), 2 * len(pairs))
        for args in ("list -a --json", "list -a --jsonl", "list -a -e -m"):
            script = ('"$SV" %s 2>"$ERRF" | head -c 10 >/dev/null; '
                      'echo "${PIPESTATUS[0]}"' % args)
            errf = os.path.join(self.make_tmpdir(), "err")
            r = subprocess.run(["bash", "-c", script], stdout=subprocess.PIPE,
                               env=dict(os.environ, SV=sockview_path(),
                                        ERRF=errf), timeout=30)
            status = int(r.stdout.decode().strip())
            with open(errf, "rb") as f:
                err = f.read()
            self.assertEqual(err, b"", "sockview %s | head -c 10: stderr "
                             "must stay empty, got %r" % (args, err))
            self.assertEqual(status, 0, "sockview %s | head -c 10: exit "
                             "status %d, want 0" % (args, status))
        self.assertEqual(len(pairs), 700)


class TestHostileSetup(SockviewTestCase):
    """What a careless script or a tight limit hands sockview."""

    @in_netns
    def test_filter_file_empty_or_with_nul(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 7102))
        s.listen(1)
        d = self.make_tmpdir()
        for name, body, needle in (("empty", b"", "no filter"),
                                   ("blank", b"  \n\t\n", "no filter"),
                                   ("nul", b"sport = :22\0 or sport = :7102",
                                    "NUL")):
            path = os.path.join(d, name)
            with open(path, "wb") as f:
                f.write(body)
            p = sockview("list", "-tl", "-F", path)
            self.assertEqual(p.returncode, 2, "%s: %r" % (name, p.stderr))
            self.assertIn(needle, p.stderr.decode())
            self.assertEqual(p.stdout, b"")

    @in_netns
    def test_closed_stdout_is_a_write_error(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 7103))
        s.listen(1)
        for argv in (["list", "-tl"], ["list", "-tl", "--json"]):
            p = subprocess.run([sockview_path()] + argv, stdout=None,
                               stderr=subprocess.PIPE, timeout=30,
                               pass_fds=(), close_fds=True,
                               preexec_fn=lambda: os.close(1))
            self.assertEqual(p.returncode, 1, "%s with stdout closed: %r"
                             % (argv, p.stderr))
            self.assertIn(b"Bad file descriptor", p.stderr)

    def test_help_write_errors(self):
        for argv in (["--help"], ["help", "list"], ["list", "--help"],
                     ["watch", "--help"], ["--version"], ["fields"]):
            with open("/dev/full", "wb") as full:
                p = subprocess.run([sockview_path()] + argv, stdout=full,
                                   stderr=subprocess.PIPE, timeout=30)
            self.assertEqual(p.returncode, 1, "sockview %s > /dev/full: %r"
                             % (" ".join(argv), p.stderr))
            self.assertIn(b"write error", p.stderr)

    @in_netns
    def test_owners_with_few_file_descriptors(self):
        """-p out of fds: an error naming the cause, never owners missing
        without a word."""
        s = socket.socket()
        s.bind(("127.0.0.1", 7104))
        s.listen(1)
        me = os.getpid()
        for lim in (4, 5, 6, 8, 16, 64):
            def limit(n=lim):
                resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
            p = subprocess.run([sockview_path(), "list", "-tlp", "--json"],
                               capture_output=True, timeout=30,
                               preexec_fn=limit)
            if p.returncode == 0:
                objs = json.loads(p.stdout.decode())
                pids = [q["pid"] for o in objs for q in o.get("processes", [])]
                self.assertIn(me, pids, "limit %d: exit 0, so the owner must "
                              "be there: %r" % (lim, objs))
            else:
                self.assertEqual(p.returncode, 1, "limit %d: %r" % (lim, p))
                self.assertIn(b"Too many open files", p.stderr,
                              "limit %d: %r" % (lim, p.stderr))


class TestSelection(SockviewTestCase):

    @in_netns
    def test_bound_tcp_socket_one_answer(self):
        """A TCP socket bound but neither listening nor connecting is
        closed to the kernel: every selection of closed sockets finds it,
        live and loaded; the connected-only default does not."""
        b = socket.socket()
        b.bind(("127.0.0.1", 7300))
        ino = oracles.inode_of(b)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 7301))
        path = os.path.join(self.make_tmpdir(), "cap")
        sockview_json(self, "-ta", "--save", path)

        def found(*args):
            objs = sockview_json(self, *args)
            return [o for o in objs if o.get("inode") == ino]

        for args in (("-ta",), ("-tl",), ("-t", "state", "closed"),
                     ("-t", "state", "all"), ("-ta", "sport", "=", ":7300"),
                     ("-t", "exclude", "listening")):
            for src in ((), ("--load", path)):
                hits = found(*(args + src))
                self.assertEqual(len(hits), 1, "%r finds the bound socket" %
                                 ((args + src),))
                self.assertEqual(hits[0]["state"], "closed")
                self.assertEqual(hits[0]["local"],
                                 {"addr": "127.0.0.1", "port": 7300})
        for args in (("-t",), ("-t", "state", "listening"),
                     ("-ta", "exclude", "closed")):
            for src in ((), ("--load", path)):
                self.assertEqual(found(*(args + src)), [], args + src)
        # UDP's closed sockets are unchanged by it
        objs = sockview_json(self, "-ul")
        self.assertEqual([o["local"]["port"] for o in objs], [7301])

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_combined_short_flags(self):
        z = full_zoo(self)
        a = sockview_json(self, "-tanoiem")
        b = sockview_json(self, "-t", "-a", "-n", "-o", "-i", "-e", "-m")
        ida = sorted(map(repr, map(identity, a)))
        idb = sorted(map(repr, map(identity, b)))
        self.assertEqual(ida, idb, "-tanoiem must select the same sockets "
                         "as -t -a -n -o -i -e -m")
        self.assertEqual({o["protocol"] for o in a}, {"tcp"}, "-t in -tanoiem")
        states = {o["state"] for o in a}
        self.assertTrue({"listening", "time-wait", "established"} <= states,
                        "-a in -tanoiem: states %r" % states)
        for rec in z.recs:
            if rec["protocol"] == "tcp":
                self.find_truth(a, rec)
        for o in a:
            if o["state"] == "syn-sent":
                self.assertIn("timer", o, "-o in -tanoiem")
            if o["state"] == "established":
                self.assertIn("tcp", o, "-i in -tanoiem")
                self.assertIn("skmem", o, "-m in -tanoiem")
        p = sockview("list", "-tanoiem")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"TIME-WAIT", p.stdout)

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_default_state_selection_connected_only(self):
        z = full_zoo(self)
        objs = sockview_json(self)
        for o in objs:
            self.assertNotIn(o.get("state"), NOT_DEFAULT, "default selection "
                             "must only show connected sockets: %r" % o)
        ids = {identity(o) for o in objs}
        for rec in z.recs:
            st = rec.get("state")
            if st is None:
                continue
            want = st in CONNECTED
            self.assertEqual(rec_identity(rec) in ids, want, "%s (%s): "
                             "shown by default? expected %s"
                             % (rec["name"], st, want))

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_listening_selection(self):
        z = full_zoo(self)
        objs = sockview_json(self, "-l")
        for o in objs:
            self.assertIn(o.get("state"), ("listening", "closed"),
                          "-l shows only listening/unconnected: %r" % o)
        ids = {identity(o) for o in objs}
        for rec in z.recs:
            st = rec.get("state")
            if st is None:
                continue
            want = st in ("listening", "closed")
            self.assertEqual(rec_identity(rec) in ids, want, "%s (%s): "
                             "shown with -l? expected %s"
                             % (rec["name"], st, want))

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_all_selection(self):
        z = full_zoo(self)
        objs = sockview_json(self, "-a")
        ids = {identity(o) for o in objs}
        for rec in z.recs:
            self.assertIn(rec_identity(rec), ids, "%s missing from -a"
                          % rec["name"])
        self.assertEqual({"tcp", "udp", "unix"}, {o["protocol"] for o in objs},
                         "no protocol flag: all protocols")

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_family_filters(self):
        z = full_zoo(self)
        for flag, fam in (("-4", "inet"), ("-6", "inet6")):
            objs = sockview_json(self, flag, "-a")
            self.assertEqual({o.get("family") for o in objs}, {fam},
                             "sockview list %s -a" % flag)
            ids = {identity(o) for o in objs}
            for rec in z.recs:
                if rec["protocol"] in ("tcp", "udp"):
                    self.assertEqual(rec_identity(rec) in ids,
                                     rec["family"] == fam,
                                     "%s with %s" % (rec["name"], flag))
            self.assertEqual({o["protocol"] for o in objs}, {"tcp", "udp"})
        objs = sockview_json(self, "-4", "-t", "-l")
        self.assertEqual({(o["local"]["port"]) for o in objs},
                         {5001, 5005}, "IPv4 TCP listeners")

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_protocol_selection(self):
        z = full_zoo(self)
        for flags, protos in ((["-t"], {"tcp"}), (["-u"], {"udp"}),
                              (["-x"], {"unix"}), (["-t", "-u"],
                                                   {"tcp", "udp"}),
                              (["-tx"], {"tcp", "unix"})):
            objs = sockview_json(self, "-a", *flags)
            self.assertEqual({o.get("protocol") for o in objs}, protos,
                             "sockview list -a %s" % " ".join(flags))
            ids = {identity(o) for o in objs}
            for rec in z.recs:
                self.assertEqual(rec_identity(rec) in ids,
                                 rec["protocol"] in protos,
                                 "%s with %s" % (rec["name"], flags))

    @in_netns
    def test_raw_selection(self):
        z = zoomod.Zoo(self.make_tmpdir())
        r4 = z.raw("raw4", bind="127.0.0.1")
        r6 = z.raw("raw6", v6=True)
        z.udp_unconnected("udp", "127.0.0.1", 7200)
        i4, i6 = oracles.inode_of(r4), oracles.inode_of(r6)
        for flags, want in ((["-w", "-a"], {i4, i6}), (["-w", "-l"], {i4, i6}),
                            (["-w"], set()), (["-w", "-4", "-a"], {i4}),
                            (["-w", "-6", "-a"], {i6}),
                            (["-a"], {i4, i6}), (["-t", "-u", "-x", "-a"],
                                                 set())):
            objs = sockview_json(self, *flags)
            got = {o.get("inode") for o in objs if o.get("protocol") == "raw"}
            self.assertEqual(got, want, "raw sockets shown by sockview list %s"
                             % " ".join(flags))
            if "-w" in flags:
                self.assertEqual({o.get("protocol") for o in objs} - {"raw"},
                                 set(), "-w selects only raw sockets")

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_jsonl_matches_json(self):
        z = full_zoo(self)
        arr = sockview_json(self, "-a")
        p = sockview("list", "-a", "--jsonl")
        self.assertEqual(p.returncode, 0, p.stderr)
        text = p.stdout.decode()
        self.assertTrue(text.endswith("\n"))
        lines = text[:-1].split("\n")
        objs = [json.loads(l) for l in lines]
        for o in objs:
            self.assertIsInstance(o, dict, "--jsonl: one object per line")
        self.assertEqual(sorted(map(repr, map(identity, objs))),
                         sorted(map(repr, map(identity, arr))))
        self.assertGreaterEqual(len(objs), len(z.recs))
        # and not only the same as --json: what the test made, as made
        for rec in z.recs:
            o = self.find_truth(objs, rec)
            for k in ("protocol", "state", "recv_q"):
                if k in rec:
                    self.assertField(o, k, rec[k], rec["name"])


class TestTable(SockviewTestCase):

    def table(self, *args):
        p = sockview("list", *args)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.decode("utf-8").rstrip("\n").split("\n")
        return lines[0], lines[1:]

    @in_netns
    def test_listener_queue_names(self):
        """On a listener the kernel's tcp_info unacked and sacked are the
        accept queue and the backlog: the -i line says so."""
        l = socket.socket()
        l.bind(("127.0.0.1", 7400))
        l.listen(17)
        cs = [socket.create_connection(("127.0.0.1", 7400))
              for _ in range(2)]
        a, _ = l.accept()  # one accepted: it shows the ordinary names
        _, rows = self.table("-tai")
        det = {}
        for head, line in zip(rows, rows[1:]):
            if line.startswith("\t"):
                det[head.split()[1]] = line
        lst = [v for k, v in det.items() if k == "LISTEN"]
        self.assertEqual(len(lst), 1, rows)
        self.assertIn(" accept_queue:1 backlog:17 ", lst[0])
        self.assertNotIn(" unacked:", lst[0])
        for k, v in det.items():
            if k != "LISTEN":
                self.assertIn(" unacked:", v)
                self.assertNotIn("accept_queue", v)
        # JSON keeps the kernel's names; ss shows the same queue
        o = [o for o in sockview_json(self, "-tli")
             if o["state"] == "listening"][0]
        self.assertEqual((o["tcp"]["unacked"], o["tcp"]["sacked"]), (1, 17))
        self.assertEqual((o["recv_q"], o["send_q"]), (1, 17))
        p = subprocess.run(["ss", "-tlnH"], capture_output=True, text=True)
        self.assertEqual(p.stdout.split()[1:3], ["1", "17"])
        del cs, a

    def check_aligned(self, header, rows, ncols, what):
        starts = None
        htoks = {pos for pos, _ in tokens(header)}
        for r in rows:
            t = tokens(r)
            self.assertGreaterEqual(len(t), ncols, "%s: short row %r"
                                    % (what, r))
            s = [pos for pos, _ in t[:ncols]]
            if starts is None:
                starts = s
            self.assertEqual(s, starts, "%s: column starts differ:\n%s\n%s"
                             % (what, rows[0], r))
        for pos in starts or []:
            self.assertIn(pos, htoks, "%s: a column starting at %d has no "
                          "header above it:\n%s\n%s" % (what, pos, header,
                                                        rows[0]))

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_header_rows_and_alignment(self):
        z = full_zoo(self)
        objs = sockview_json(self, "-a")
        header, rows = self.table("-a")
        self.assertRegex(header, r"(?i)\bstate\b", "header line first")
        self.assertRegex(header, r"(?i)recv-q", "header names Recv-Q")
        self.assertRegex(header, r"(?i)send-q", "header names Send-Q")
        self.assertEqual(len(rows), len(objs), "one row per socket")
        self.check_aligned(header, rows, 6, "list -a")
        # every row's token count is the same: no empty cells
        self.assertEqual({len(tokens(r)) for r in rows}, {6},
                         "list -a: 6 default columns, absent -> '-'")
        # the queue numbers in the table are the ones the kernel has
        est = z.by_name("est4.server")
        row = [r for r in rows if ":5003 " in r + " "
               and tokens(r)[4][1].endswith(":5003")]
        self.assertEqual(len(row), 1, rows)
        self.assertEqual(int(tokens(row[0])[2][1]), est["recv_q"])
        for args in (["-a", "-e"], ["-a", "-m"], ["-t", "-a", "-e", "-o"]):
            header, rows = self.table(*args)
            n = {len(tokens(r)) for r in rows}
            self.assertEqual(len(n), 1, "list %s: every row has the same "
                             "number of cells (absent -> '-'): %r"
                             % (" ".join(args), n))
            self.check_aligned(header, rows, n.pop(), "list " +
                               " ".join(args))

    @in_netns
    def test_alignment_with_many_rows(self):
        """More rows than any read-ahead: a wide cell late in the output
        must still leave every row's columns lined up."""
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 4096), hard))
        keep = []
        for i in range(700):
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind(("127.0.0.1", 20000 + i))
            keep.append(u)
        keep += [s for _ in range(300) for s in socket.socketpair()]
        d = self.make_tmpdir()
        wide = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        wide.bind(d + "/" + "w" * (100 - len(d)))
        wide.listen(1)
        keep.append(wide)
        objs = sockview_json(self, "-a")
        self.assertEqual(len(objs), len(keep))
        header, rows = self.table("-a")
        self.assertEqual(len(rows), len(keep), "one row per socket")
        self.check_aligned(header, rows, 6, "list -a with %d rows"
                           % len(rows))

    @in_netns
    def test_absent_fields_are_dashes(self):
        d = self.make_tmpdir()
        u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        u.bind(d + "/listener.sock")
        u.listen(1)
        a = socket.socket()
        a.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
        a.bind(("127.0.0.1", 7301))
        a.listen(1)
        b = socket.socket()
        b.bind(("127.0.0.1", 7302))
        b.listen(1)
        objs = sockview_json(self, "-a", "-x")
        o = self.by_inode(objs, oracles.inode_of(u))
        self.assertFalse(o.get("peer"), "unix listener has no peer")
        header, rows = self.table("-a", "-x")
        row = [r for r in rows if "listener.sock" in r]
        self.assertEqual(len(row), 1, rows)
        t = [tok for _, tok in tokens(row[0])]
        self.assertEqual(len(t), 6, row[0])
        self.assertEqual(t[5], "-", "absent peer shown as '-': %r" % row[0])
        # -e: the interface cell is '-' unless bound to a device
        header, rows = self.table("-t", "-l", "-e")
        ra = [r for r in rows if ":7301" in r]
        rb = [r for r in rows if ":7302" in r]
        self.assertEqual((len(ra), len(rb)), (1, 1), rows)
        ta = [tok for _, tok in tokens(ra[0])]
        tb = [tok for _, tok in tokens(rb[0])]
        self.assertEqual(len(ta), len(tb), "same cells: %r %r" % (ta, tb))
        cols = [i for i, tok in enumerate(ta) if tok == "lo"]
        self.assertTrue(cols, "interface 'lo' shown for the bound socket: "
                        "%r" % ra[0])
        for i in cols:
            self.assertEqual(tb[i], "-", "no interface -> '-': %r" % rb[0])


if __name__ == "__main__":
    unittest.main()
