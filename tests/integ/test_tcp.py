"""TCP: sockview vs ss, /proc/net/tcp{,6}, getsockopt() and the ground
truth of the sockets the test created."""

import json
import os
import re
import resource
import shutil
import socket
import time
import unittest

import oracles
import zoo as zoomod
from base import (NOSYNCOOKIES, SockviewTestCase, inet_key, proc_key,
                  ss_family, ss_key, sockview_json, truth_key)
from nsutil import (in_netns, require_real_root, run, sockview,
                    sockview_path, ss)

TCP_REQUIRED = ["rto", "ato", "snd_mss", "rcv_mss", "unacked", "rtt",
                "rttvar", "snd_cwnd", "snd_ssthresh", "pmtu", "bytes_acked",
                "bytes_received", "segs_out", "segs_in", "snd_wnd",
                "rcv_wnd", "total_retrans", "total_rto"]
# compared against getsockopt(TCP_INFO) when present in the JSON
TCP_OPTIONAL = ["retransmits", "probes", "backoff", "sacked", "lost",
                "retrans", "fackets", "rcv_ssthresh", "advmss",
                "reordering", "rcv_rtt", "rcv_space", "notsent_bytes",
                "min_rtt", "data_segs_in", "data_segs_out", "delivered",
                "delivered_ce", "bytes_sent", "bytes_retrans", "dsack_dups",
                "reord_seen", "rcv_ooopack", "rehash",
                "total_rto_recoveries"]
PROC_TIMER = {0: None, 1: "on", 2: "keepalive", 3: "timewait", 4: "persist"}


def build(tc):
    z = zoomod.Zoo(tc.make_tmpdir())
    zoomod.build_tcp_zoo(z)
    return z


class TestTcpGroundTruth(SockviewTestCase):

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_zoo_matches_what_was_created(self):
        z = build(self)
        objs = sockview_json(self, "-tanoiem")
        uid = os.geteuid()
        for rec in z.recs:
            o = self.find_truth(objs, rec)
            ctx = rec["name"]
            self.assertField(o, "protocol", "tcp", ctx)
            self.assertField(o, "family", rec["family"], ctx)
            self.assertField(o, "type", "stream", ctx)
            self.assertField(o, "state", rec["state"], ctx)
            self.assertEqual(inet_key(o), truth_key(rec), ctx + ": addresses")
            if "recv_q" in rec:
                self.assertField(o, "recv_q", rec["recv_q"], ctx)
            if "send_q" in rec:
                self.assertField(o, "send_q", rec["send_q"], ctx)
            if rec.get("sock") is not None:
                self.assertField(o, "inode", rec["inode"], ctx)
                self.assertField(o, "cookie", oracles.cookie_of(rec["sock"]),
                                 ctx)
                self.assertField(o, "uid", uid, ctx)
                self.assertNotIn("interface", o, ctx + ": not bound to a dev")
            if "bytes_received" in rec:
                self.assertEqual(o["tcp"]["bytes_received"],
                                 rec["bytes_received"], ctx)
        # the un-accepted children queued on the listeners are there too
        for name in ("lst4", "lst6"):
            rec = z.by_name(name)
            addr, port = rec["local"]
            kids = [o for o in objs if o.get("state") == "established"
                    and inet_key(o)[1:3] == (oracles.norm_addr(addr), port)]
            clients = [c for c in z.keep if c.family == rec["sock"].family
                       and c.type == socket.SOCK_STREAM and
                       _peer(c) == (addr, port) and
                       oracles.tcp_info(c)["state"] == 1]
            want = {(oracles.norm_addr(addr), c.getsockname()[1])
                    for c in clients}
            got = {inet_key(o)[3:5] for o in kids}
            self.assertEqual(len(want), rec["recv_q"], "oracle sanity")
            self.assertTrue(want <= got, "%s: queued children %r missing "
                            "from %r" % (name, want, got))

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_tcp_info_vs_getsockopt(self):
        z = build(self)
        fds = [r for r in z.recs if r.get("sock") is not None
               and r["state"] != "listening"]
        before = {r["name"]: oracles.tcp_info(r["sock"]) for r in fds}
        objs = sockview_json(self, "-tanoiem")
        after = {r["name"]: oracles.tcp_info(r["sock"]) for r in fds}
        for rec in fds:
            ctx = rec["name"]
            o = self.find_truth(objs, rec)
            self.assertIn("tcp", o, ctx)
            t = o["tcp"]
            b, a = before[ctx], after[ctx]
            for f in TCP_REQUIRED:
                if f not in b:       # kernel struct too short for it
                    continue
                self.assertIn(f, t, "%s: tcp.%s missing" % (ctx, f))
            for f in TCP_REQUIRED + TCP_OPTIONAL:
                if f not in t or f not in b:
                    continue
                lo, hi = min(b[f], a[f]), max(b[f], a[f])
                self.assertTrue(lo <= t[f] <= hi, "%s: tcp.%s=%r, "
                                "getsockopt(TCP_INFO) says %r..%r"
                                % (ctx, f, t[f], b[f], a[f]))
            self.assertEqual(t.get("cong"), oracles.tcp_cong(rec["sock"]),
                             ctx + ": tcp.cong")
            self.assertEqual(t.get("ca_state"),
                             oracles.CA_STATE[a["ca_state"]],
                             ctx + ": tcp.ca_state")
            opts = t.get("options")
            self.assertIsInstance(opts, list, ctx + ": tcp.options")
            for word, bit in oracles.OPT_BITS.items():
                self.assertEqual(word in opts, bool(a["options_bits"] & bit),
                                 "%s: option %r in %r (bits 0x%x)"
                                 % (ctx, word, opts, a["options_bits"]))
            if a["options_bits"] & 4:
                self.assertField(t, "snd_wscale", a["snd_wscale"], ctx)
                self.assertField(t, "rcv_wscale", a["rcv_wscale"], ctx)
            for f in ("snd_wscale", "rcv_wscale"):
                if f in t:
                    self.assertEqual(t[f], a[f], ctx + ": tcp." + f)


def _peer(s):
    try:
        return s.getpeername()[:2]
    except OSError:
        return None


class TestTcpVsSs(SockviewTestCase):

    def compare_with_ss(self, objs, recs, t_sv, t_ss):
        elapsed_ms = int((t_ss - t_sv) * 1000) + 50
        inet = [o for o in objs if o.get("protocol") == "tcp"]
        keyed = {}
        for o in inet:
            keyed.setdefault(inet_key(o), []).append(o)
        self.assertEqual(len(inet), len(recs),
                         "socket count: sockview %d, ss %d"
                         % (len(inet), len(recs)))
        for r in recs:
            k = ss_key(r, ss_family(r))
            self.assertIn(k, keyed, "ss socket %r not in sockview" % (k,))
            self.assertEqual(len(keyed[k]), 1, "duplicate %r" % (k,))
            o = keyed[k][0]
            ctx = "%s %s" % (r["ss_state"], k)
            self.assertField(o, "state", r["state"], ctx)
            self.assertField(o, "recv_q", r["recv_q"], ctx)
            self.assertField(o, "send_q", r["send_q"], ctx)
            if r.get("ino"):
                self.assertField(o, "inode", r["ino"], ctx)
            if "cookie" in r:
                self.assertField(o, "cookie", r["cookie"], ctx)
            if r["state"] != "time-wait":
                self.assertEqual(o.get("uid"), r.get("uid", 0), ctx + ": uid")
            # timer
            if "timer" in r:
                name, (low, high), retr = r["timer"]
                self.assertIn("timer", o, ctx + ": ss shows a timer")
                self.assertIn(o["timer"].get("retrans"), (retr, retr - 1),
                              ctx + ": timer.retrans vs ss %d" % retr)
                if o["timer"]["retrans"] == retr:
                    # sockview ran first: its countdown can only be longer
                    self.assertTimerClose(o["timer"], name, low - 20,
                                          high + elapsed_ms, ctx)
                else:   # the timer fired between the two runs
                    self.assertEqual(o["timer"].get("name"), name, ctx)
            else:
                self.assertNotIn("timer", o, ctx + ": ss shows no timer")
            # skmem
            if "skmem" in r:
                self.assertIn("skmem", o, ctx)
                for f, v in r["skmem"].items():
                    if v is None:
                        continue
                    self.assertField(o["skmem"], f, v, ctx + " skmem")
            else:
                self.assertNotIn("skmem", o, ctx + ": ss shows no skmem")
            self.compare_tcp_info(o, r, ctx)

    def compare_tcp_info(self, o, r, ctx):
        kv = r["kv"]
        if "rto" not in kv and "cwnd" not in kv:
            self.assertFalse(o.get("tcp", {}).get("rto"),
                             ctx + ": ss shows no tcp_info")
            return
        self.assertIn("tcp", o, ctx)
        t = o["tcp"]

        def ms(field, key):
            if key in kv:
                self.assertIn(field, t, ctx)
                want = float(kv[key]) * 1000
                self.assertLessEqual(abs(t[field] - want),
                                     max(1, want * 1e-5),
                                     "%s: tcp.%s=%r vs ss %s:%s"
                                     % (ctx, field, t[field], key, kv[key]))
        ms("rto", "rto")
        ms("ato", "ato")
        if "min_rtt" in t:
            ms("min_rtt", "minrtt")
        if "rtt" in kv:
            rtt, var = kv["rtt"].split("/")
            for f, v in (("rtt", rtt), ("rttvar", var)):
                self.assertLessEqual(abs(t[f] - float(v) * 1000), 1,
                                     "%s: tcp.%s=%r vs ss rtt:%s"
                                     % (ctx, f, t[f], kv["rtt"]))
        exact = [("snd_mss", "mss"), ("rcv_mss", "rcvmss"), ("pmtu", "pmtu"),
                 ("snd_cwnd", "cwnd"), ("snd_ssthresh", "ssthresh"),
                 ("advmss", "advmss"), ("rcv_space", "rcv_space"),
                 ("rcv_ssthresh", "rcv_ssthresh"), ("snd_wnd", "snd_wnd"),
                 ("rcv_wnd", "rcv_wnd")]
        # ss prints these only when non-zero
        zero_if_absent = [("bytes_acked", "bytes_acked"),
                          ("bytes_received", "bytes_received"),
                          ("bytes_sent", "bytes_sent"),
                          ("segs_out", "segs_out"), ("segs_in", "segs_in"),
                          ("data_segs_in", "data_segs_in"),
                          ("data_segs_out", "data_segs_out"),
                          ("unacked", "unacked"),
                          ("delivered", "delivered")]
        for f, key in exact:
            if key in kv and (f in t or f in ("snd_mss", "rcv_mss", "pmtu",
                                              "snd_cwnd", "snd_wnd")):
                self.assertIn(f, t, ctx)
                self.assertEqual(t[f], int(kv[key]), "%s: tcp.%s vs ss %s:%s"
                                 % (ctx, f, key, kv[key]))
        for f, key in zero_if_absent:
            if f in t or key in kv:
                self.assertIn(f, t, ctx + " (ss: %s)" % kv.get(key))
                self.assertEqual(t[f], int(kv.get(key, 0)),
                                 "%s: tcp.%s vs ss %s:%s"
                                 % (ctx, f, key, kv.get(key, "(0)")))
        if "retrans" in kv:
            _, total = kv["retrans"].split("/")
            self.assertEqual(t.get("total_retrans"), int(total), ctx)
        elif "total_retrans" in t:
            self.assertEqual(t["total_retrans"], 0, ctx)
        opts = t.get("options", [])
        for w in ("ts", "sack", "ecn"):
            self.assertEqual(w in opts, w in r["flags"],
                             "%s: option %s: sockview %r, ss flags %r"
                             % (ctx, w, opts, r["flags"]))
        if "wscale" in kv:
            s, rc = kv["wscale"].split(",")
            self.assertEqual((t.get("snd_wscale"), t.get("rcv_wscale")),
                             (int(s), int(rc)), ctx + ": wscale")
            self.assertIn("wscale", opts, ctx)
        self.assertIn(t.get("cong"), r["flags"],
                      ctx + ": congestion control name vs ss")

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_all_tcp_vs_ss_tanoiem(self):
        z = build(self)
        t0 = time.time()
        objs = sockview_json(self, "-tanoiem")
        t1 = time.time()
        recs = oracles.parse_ss(ss("-tanoiemH"))
        self.assertGreaterEqual(len(recs), 20, "zoo too small? ss sees %d"
                                % len(recs))
        self.compare_with_ss(objs, recs, t0, t1)
        self.assertEqual(len(z.recs), 18)      # zoo kept alive until here

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_all_tcp_vs_proc(self):
        z = build(self)
        objs = sockview_json(self, "-tanoiem")
        proc = oracles.proc_inet("tcp") + oracles.proc_inet("tcp6")
        self.assertEqual(len(proc), 28, "oracle sanity: zoo + queued kids")
        self.assertEqual(len(z.recs), 18)
        tcp = [o for o in objs if o.get("protocol") == "tcp"]
        self.assertEqual(len(tcp), len(proc), "count vs /proc/net/tcp{,6}")
        keyed = {inet_key(o): o for o in tcp}
        for e in proc:
            k = proc_key(e)
            self.assertIn(k, keyed, "/proc socket %r missing" % (k,))
            o = keyed[k]
            ctx = "%s %r" % (e["state"], k)
            self.assertField(o, "state", e["state"], ctx)
            self.assertField(o, "recv_q", e["rx_queue"], ctx)
            if e["state"] != "listening":
                self.assertField(o, "send_q", e["tx_queue"], ctx)
            if e["inode"]:
                self.assertField(o, "inode", e["inode"], ctx)
                self.assertField(o, "uid", e["uid"], ctx)
            else:
                self.assertIn(o.get("inode"), (None, 0), ctx)
            want_timer = PROC_TIMER.get(e["timer_active"])
            if want_timer is None:
                self.assertNotIn("timer", o, ctx)
            else:
                self.assertEqual(o.get("timer", {}).get("name"), want_timer,
                                 ctx)


def table_rows(text, skip):
    """The columns State, Recv-Q, Send-Q, Local, Peer of each row of a
    table (skip: leading columns before State)."""
    rows = []
    for line in text.splitlines():
        f = line.split()
        if len(f) >= skip + 5:
            rows.append(tuple(f[skip:skip + 5]))
    return sorted(rows)


def strace_requests(argv):
    """strace's lines for the sendto/sendmsg calls argv makes."""
    env = dict(os.environ)
    # LeakSanitizer cannot run under ptrace
    env["ASAN_OPTIONS"] = ":".join(
        x for x in (env.get("ASAN_OPTIONS"), "detect_leaks=0") if x)
    p = run(["strace", "-f", "-e", "trace=sendto,sendmsg", "-s", "256"]
            + argv, timeout=60, env=env)
    if p.returncode != 0:
        raise AssertionError("strace %r: %r" % (argv, p.stderr[-500:]))
    return p.stderr.decode(errors="replace")


def tcp_exts(argv):
    """idiag_ext of each TCP dump request argv sends."""
    return re.findall(r"sdiag_protocol=IPPROTO_TCP, idiag_ext=([^,]+),",
                      strace_requests(argv))


def tcp_senders(argv):
    """{family: (thread, fd)} of the TCP dump requests argv sends."""
    got = {}
    for line in strace_requests(argv).splitlines():
        m = re.match(r"(?:\[pid\s+(\d+)\] )?(?:\d+ )?sendto\((\d+), .*"
                     r"sdiag_family=(AF_INET6?), sdiag_protocol=IPPROTO_TCP",
                     line)
        if m:
            got[m.group(3)] = (m.group(1), int(m.group(2)))
    return got


class TestPlainTable(SockviewTestCase):
    """The plain table (default columns, with or without -p) asks the
    kernel for no extension: its columns come from the base message."""

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_plain_table_matches_truth_and_ss(self):
        z = build(self)
        text = sockview("list", "-tanH").stdout.decode()
        with_p = sockview("list", "-tanpH").stdout.decode()
        theirs = table_rows(ss("-tanH"), 0)
        ours = table_rows(text, 1)
        self.assertGreaterEqual(len(theirs), 20, "zoo too small?")
        self.assertEqual(ours, theirs, "list -tan against ss -tan")
        self.assertEqual(table_rows(with_p, 1), theirs, "-p's rows")
        # the zoo's own queues, from what it sent and left unread
        checked = 0
        for rec in z.recs:
            if rec["state"] != "established" or "recv_q" not in rec:
                continue
            la, lp = rec["local"]
            pa, pp = rec["peer"]
            loc = ("[%s]:%d" if ":" in la else "%s:%d") % (la, lp)
            peer = ("[%s]:%d" if ":" in pa else "%s:%d") % (pa, pp)
            row = [r for r in ours if r[3] == loc and r[4] == peer]
            self.assertEqual(len(row), 1, "%s %s in %r" % (loc, peer, ours))
            self.assertEqual(int(row[0][1]), rec["recv_q"], rec["name"])
            self.assertEqual(int(row[0][2]), rec["send_q"], rec["name"])
            checked += 1
        self.assertGreaterEqual(checked, 4)
        self.assertEqual(len(z.recs), 18)

    @in_netns
    def test_extensions_only_for_what_is_shown(self):
        if not shutil.which("strace"):
            self.skipTest("strace not installed: cannot see the requests")
        exe = sockview_path()
        for args in (["-ta"], ["-tap"], ["-t", "dport = :80"]):
            exts = tcp_exts([exe, "list"] + args)
            self.assertEqual(exts, ["0", "0"], "list %s" % " ".join(args))
        for args in (["-tai"], ["-tam"], ["-tae"], ["-ta", "--json"]):
            exts = tcp_exts([exe, "list"] + args)
            self.assertEqual(len(exts), 2, "list %s" % " ".join(args))
            for e in exts:
                self.assertIn("INET_DIAG_INFO", e, "list %s" % " ".join(args))
                self.assertIn("INET_DIAG_SKMEMINFO", e)

    @in_netns
    def test_both_families_dumped_at_once(self):
        if not shutil.which("strace"):
            self.skipTest("strace not installed: cannot see the requests")
        exe = sockview_path()
        # without a filter the IPv6 dump goes out on a socket of its own,
        # from another thread, while the IPv4 one is read
        for args in (["-ta"], ["-ta", "--json"]):
            got = tcp_senders([exe, "list"] + args)
            self.assertEqual(set(got), {"AF_INET", "AF_INET6"}, got)
            self.assertNotEqual(got["AF_INET"][1], got["AF_INET6"][1],
                                "two sockets: %r" % got)
            self.assertNotEqual(got["AF_INET"][0], got["AF_INET6"][0],
                                "two threads: %r" % got)
        # with one (its bytecode differs by family), one after the other
        got = tcp_senders([exe, "list", "-t", "dport = :80"])
        self.assertEqual(got["AF_INET"], got["AF_INET6"], got)

    @in_netns
    def test_both_families_whole_and_in_order(self):
        # enough IPv6 replies (about 1,500 bytes per connection with
        # every extension) to fill the second dump's 1 MiB ring while
        # the IPv4 one is read: it must wait, not lose or reorder
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 8192), hard))
        held = []
        for fam, addr, port, n in ((socket.AF_INET6, "::1", 7711, 1500),
                                   (socket.AF_INET, "127.0.0.1", 7712, 300)):
            lsn = socket.socket(fam)
            lsn.bind((addr, port))
            lsn.listen(4096)
            held.append(lsn)
            for _ in range(n):
                c = socket.socket(fam)
                c.connect((addr, port))
                s, _ = lsn.accept()
                held += [c, s]
        want = {4: 1 + 2 * 300, 6: 1 + 2 * 1500}
        for fam in (4, 6):
            self.assertEqual(len(ss("-H%dtan" % fam).splitlines()),
                             want[fam], "oracle sanity")
        p = sockview("list", "-ta", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        objs = json.loads(p.stdout)
        fams = [o["family"] for o in objs]
        self.assertEqual(fams.count("inet"), want[4])
        self.assertEqual(fams.count("inet6"), want[6])
        self.assertEqual(fams, sorted(fams), "IPv4 first, as ss")
        inodes = {os.fstat(x.fileno()).st_ino for x in held}
        self.assertEqual({o["inode"] for o in objs}, inodes)
        rows = sockview("list", "-tanH").stdout.decode().splitlines()
        six = [("[" in r.split()[4]) for r in rows]
        self.assertEqual(six.count(False), want[4])
        self.assertEqual(six.count(True), want[6])
        self.assertEqual(six, sorted(six), "IPv4 rows first")


class TestTcpTimers(SockviewTestCase):

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_syn_sent_retransmit_timer(self):
        z = zoomod.Zoo(self.make_tmpdir())
        c = z.tcp_syn_sent("syn", "127.0.0.1", 5100)
        b = oracles.tcp_info(c)
        objs = sockview_json(self, "-tanoiem")
        a = oracles.tcp_info(c)
        o = self.by_inode(objs, oracles.inode_of(c), "syn-sent")
        self.assertField(o, "state", "syn-sent")
        self.assertField(o, "send_q", 1, "SYN occupies one sequence number")
        self.assertIn("timer", o, "SYN-SENT must have its retransmit timer")
        self.assertTimerClose(o["timer"], "on", 0,
                              max(b["rto"], a["rto"]) // 1000, "syn-sent")
        self.assertTrue(b["retransmits"] <= o["timer"]["retrans"]
                        <= a["retransmits"], "timer.retrans %r vs kernel %r..%r"
                        % (o["timer"]["retrans"], b["retransmits"],
                           a["retransmits"]))

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_syn_sent_after_a_retransmit(self):
        z = zoomod.Zoo(self.make_tmpdir())
        c = z.tcp_syn_sent("syn", "127.0.0.1", 5104)
        zoomod.wait_for(lambda: oracles.tcp_info(c)["retransmits"] >= 1, 4,
                        "first SYN retransmission")
        b = oracles.tcp_info(c)
        objs = sockview_json(self, "-tanoiem")
        a = oracles.tcp_info(c)
        o = self.by_inode(objs, oracles.inode_of(c), "syn-sent")
        self.assertField(o, "state", "syn-sent")
        self.assertTimerClose(o["timer"], "on", 0,
                              max(b["rto"], a["rto"]) // 1000, "syn-sent")
        self.assertTrue(b["retransmits"] <= o["timer"]["retrans"]
                        <= a["retransmits"], "timer.retrans %r, kernel says "
                        "%r..%r" % (o["timer"]["retrans"], b["retransmits"],
                                    a["retransmits"]))
        self.assertGreaterEqual(o["timer"]["retrans"], 1)
        t = o["tcp"]
        for f in ("total_retrans", "total_rto", "backoff", "rto"):
            if f in t or f in ("total_retrans", "total_rto", "rto"):
                self.assertTrue(min(b[f], a[f]) <= t.get(f, -1)
                                <= max(b[f], a[f]), "tcp.%s=%r, kernel "
                                "%r..%r" % (f, t.get(f), b[f], a[f]))
        self.assertGreaterEqual(t["total_rto"], 1)

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_orphaned_fin_wait2_is_a_timewait_socket(self):
        z = zoomod.Zoo(self.make_tmpdir())
        z.tcp_fin_wait2_orphan("fwo", "127.0.0.1", 5105)
        rec = z.by_name("fwo.client")
        objs = sockview_json(self, "-tanoiem")
        age_ms = int((time.time() - rec["created"]) * 1000)
        o = self.by_key(objs, truth_key(rec), "orphaned fin-wait-2")
        self.assertField(o, "state", "fin-wait-2")
        self.assertIn("timer", o)
        self.assertTimerClose(o["timer"], "timewait", 60000 - age_ms - 1000,
                              60000, "orphaned fin-wait-2")
        srv = self.by_inode(objs, z.by_name("fwo.server")["inode"])
        self.assertField(srv, "state", "close-wait")
        # FIN-WAIT-2 is a connected state: the default selection shows it
        d = sockview_json(self, "-t")
        self.by_key(d, truth_key(rec), "FIN-WAIT-2 in default selection")

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_time_wait_timer(self):
        z = zoomod.Zoo(self.make_tmpdir())
        z.tcp_time_wait("tw", "127.0.0.1", 5101)
        rec = z.by_name("tw")
        objs = sockview_json(self, "-tanoiem")
        age_ms = int((time.time() - rec["created"]) * 1000)
        o = self.by_key(objs, truth_key(rec), "time-wait")
        self.assertField(o, "state", "time-wait")
        self.assertIn("timer", o)
        self.assertTimerClose(o["timer"], "timewait", 60000 - age_ms - 1000,
                              60000, "time-wait")
        self.assertEqual(o["timer"]["retrans"], 0)
        self.assertNotIn("skmem", o, "kernel reports no meminfo for TW")
        self.assertFalse({"rto", "rtt", "snd_cwnd"} & set(o.get("tcp", {})),
                         "kernel reports no tcp_info for TW: %r" % o)
        self.assertNotIn("seq", o, "no sequence numbers for TW")

    @in_netns
    def test_keepalive_timer(self):
        z = zoomod.Zoo(self.make_tmpdir())
        c, s = z.tcp_pair("ka", "127.0.0.1", 5102, keepalive_idle=600)
        objs = sockview_json(self, "-tanoiem")
        o = self.by_inode(objs, oracles.inode_of(c), "keepalive client")
        self.assertIn("timer", o)
        self.assertTimerClose(o["timer"], "keepalive", 590000, 600000,
                              "keepalive")
        self.assertEqual(o["timer"]["retrans"], 0)
        o2 = self.by_inode(objs, oracles.inode_of(s), "no-keepalive server")
        self.assertNotIn("timer", o2, "idle acked socket: no timer armed")

    @in_netns
    def test_persist_timer(self):
        l = socket.socket()
        l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        l.bind(("127.0.0.1", 5103))
        l.listen(1)
        c = socket.socket()
        c.connect(("127.0.0.1", 5103))
        s, _ = l.accept()
        c.setblocking(False)
        sent = 0
        deadline = time.time() + 3
        while time.time() < deadline:
            try:
                sent += c.send(b"z" * 65536)
            except BlockingIOError:
                time.sleep(0.05)
                try:
                    sent += c.send(b"z" * 65536)
                except BlockingIOError:
                    break
        cport = c.getsockname()[1]
        rec = None
        deadline = time.time() + 5
        while time.time() < deadline:
            recs = [r for r in oracles.parse_ss(ss("-tnoH", "sport", "=",
                                                   ":%d" % cport))]
            if recs and recs[0].get("timer", ("",))[0] == "persist":
                rec = recs[0]
                break
            time.sleep(0.05)
        if rec is None:
            raise unittest.SkipTest("could not get the kernel into a "
                                    "zero-window probe (persist) state")
        objs = sockview_json(self, "-tanoiem")
        o = self.by_inode(objs, oracles.inode_of(c), "zero-window sender")
        self.assertIn("timer", o)
        self.assertEqual(o["timer"]["name"], "persist")
        self.assertGreater(o["send_q"], 0)
        so = self.by_inode(objs, oracles.inode_of(s), "zero-window receiver")
        self.assertGreater(so["recv_q"], 0)
        # nothing was read: every byte sent is queued at one end or the other
        self.assertEqual(o["send_q"] + so["recv_q"], sent,
                         "send_q(sender) + recv_q(receiver) == bytes sent")


def _seq(snd, rcv=None, copied=None):
    d = {"snd_una": snd, "snd_nxt": snd, "write_seq": snd}
    if rcv is not None:
        d.update(rcv_nxt=rcv, copied_seq=copied)
    return d


class TestTcpSequenceSpace(SockviewTestCase):
    N, M, K, L = 100000, 30000, 5000, 1000

    @in_netns(sysctls=NOSYNCOOKIES)
    def test_seq_of_the_whole_zoo(self):
        z = build(self)
        want = {
            # unread data: c2s=3000 / s2c=1200 (v4), 777 / 4321 (v6)
            "est4.client": _seq(3001, 1201, 1),
            "est4.server": _seq(1201, 3001, 1),
            "est6.client": _seq(778, 4322, 1),
            "est6.server": _seq(4322, 778, 1),
            # the FIN takes one sequence number; the server read the EOF
            "fw4.client": _seq(2, 1, 1), "fw4.server": _seq(1, 2, 2),
            "fw6.client": _seq(2, 1, 1), "fw6.server": _seq(1, 2, 2),
            "fwo4.server": _seq(1, 2, 2),
        }
        objs = sockview_json(self, "-tanoiem")
        for name, w in want.items():
            o = self.find_truth(objs, z.by_name(name))
            self.assertEqual(o.get("seq"), w, name + ": seq")
        for name in ("syn4", "syn6"):
            o = self.find_truth(objs, z.by_name(name))
            q = o.get("seq", {})
            # SYN sent, not acked; nothing known about the peer's ISN
            self.assertEqual({k: q.get(k) for k in
                              ("snd_una", "snd_nxt", "write_seq")},
                             {"snd_una": 0, "snd_nxt": 1, "write_seq": 1},
                             name + ": seq")
        for name in ("tw4", "lst4", "lst6", "fwo4.client"):
            o = self.find_truth(objs, z.by_name(name))
            self.assertNotIn("seq", o, name + ": no sequence space")

    def run_seq(self, addr, port, client_sends_n):
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        l = socket.socket(fam, socket.SOCK_STREAM)
        l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        l.bind((addr, port))
        l.listen(1)
        c = socket.socket(fam, socket.SOCK_STREAM)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        c.connect((addr, port))
        s, _ = l.accept()
        l.close()
        big_tx, big_rx = (c, s) if client_sends_n else (s, c)
        small_tx, small_rx = big_rx, big_tx
        big_tx.sendall(b"N" * self.N)
        zoomod.recv_exact(big_rx, self.M)
        small_tx.sendall(b"K" * self.K)
        zoomod.recv_exact(small_rx, self.L)
        # wait until ss shows Send-Q 0 on both ends and all data arrived
        ports = {c.getsockname()[1], port}

        def settled():
            recs = [r for r in oracles.parse_ss(ss("-tnH"))
                    if r["local"][2] in ports]
            if len(recs) != 2 or any(r["send_q"] for r in recs):
                return False
            return sorted(r["recv_q"] for r in recs) == sorted(
                [self.N - self.M, self.K - self.L])
        zoomod.wait_for(settled, 10, "Send-Q 0 on both ends (ss)")
        objs = sockview_json(self, "-tanoiem")
        N, M, K, L = self.N, self.M, self.K, self.L
        for sock, role in ((big_tx, "sender of N"), (big_rx, "receiver of N")):
            o = self.by_inode(objs, oracles.inode_of(sock), role)
            ctx = "%s (%s, %s)" % (role, "client" if sock is c else
                                   "accepted server", addr)
            self.assertIn("seq", o, ctx + ": no seq object")
            q = o["seq"]
            if sock is big_tx:
                want = {"snd_una": N + 1, "snd_nxt": N + 1,
                        "write_seq": N + 1, "rcv_nxt": K + 1,
                        "copied_seq": L + 1}
                self.assertField(o, "recv_q", K - L, ctx)
            else:
                want = {"snd_una": K + 1, "snd_nxt": K + 1,
                        "write_seq": K + 1, "rcv_nxt": N + 1,
                        "copied_seq": M + 1}
                self.assertField(o, "recv_q", N - M, ctx)
            self.assertField(o, "send_q", 0, ctx)
            got = {k: q.get(k) for k in want}
            self.assertEqual(got, want, ctx + ": relative sequence numbers")

    @in_netns
    def test_seq_client_is_sender(self):
        self.run_seq("127.0.0.1", 5200, client_sends_n=True)

    @in_netns
    def test_seq_server_is_sender(self):
        self.run_seq("127.0.0.1", 5201, client_sends_n=False)

    @in_netns
    def test_seq_ipv6_server_is_sender(self):
        self.run_seq("::1", 5202, client_sends_n=False)


class TestTcpMisc(SockviewTestCase):

    @in_netns
    def test_v4_mapped_on_dual_stack_listener(self):
        l = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        l.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        l.bind(("::", 5500))
        l.listen(1)
        c = socket.create_connection(("127.0.0.1", 5500))
        s, peer = l.accept()
        c.sendall(b"m" * 11)
        zoomod.wait_for(lambda: zoomod.tcp_idle(c, s), what="idle")
        objs = sockview_json(self, "-tanoiem")
        ol = self.by_inode(objs, oracles.inode_of(l), "dual-stack listener")
        self.assertField(ol, "family", "inet6")
        self.assertEqual(ol["local"], {"addr": "::", "port": 5500})
        o = self.by_inode(objs, oracles.inode_of(s), "v4-mapped accepted")
        self.assertField(o, "family", "inet6")
        self.assertEqual(s.getsockname()[0], "::ffff:127.0.0.1")
        self.assertEqual(o["local"], {"addr": "::ffff:127.0.0.1",
                                      "port": 5500})
        self.assertEqual(o["peer"], {"addr": peer[0], "port": peer[1]})
        self.assertField(o, "recv_q", 11)
        oc = self.by_inode(objs, oracles.inode_of(c), "v4 client")
        self.assertField(oc, "family", "inet")
        self.assertEqual(oc["peer"], {"addr": "127.0.0.1", "port": 5500})
        # -4 / -6 follow the socket family, as ss does
        v4 = {x.get("inode") for x in sockview_json(self, "-4", "-ta")}
        v6 = {x.get("inode") for x in sockview_json(self, "-6", "-ta")}
        self.assertIn(oracles.inode_of(c), v4)
        self.assertIn(oracles.inode_of(s), v6)
        self.assertNotIn(oracles.inode_of(s), v4)

    @in_netns
    def test_uid_of_socket_owner(self):
        require_real_root("creating a socket as another uid")
        d = self.make_tmpdir()
        os.chmod(d, 0o777)
        os.seteuid(4321)
        try:
            l = socket.socket()
            l.bind(("127.0.0.1", 5300))
            l.listen(3)
            u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            u.bind(("::1", 5302))
            x = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            x.bind(d + "/uid.sock")
            x.listen(1)
        finally:
            os.seteuid(0)
        l0 = socket.socket()
        l0.bind(("127.0.0.1", 5301))
        l0.listen(3)
        objs = sockview_json(self, "-tanoiem")
        o = self.by_inode(objs, oracles.inode_of(l), "uid 4321 listener")
        self.assertField(o, "uid", 4321)
        proc = [e for e in oracles.proc_inet("tcp")
                if e["inode"] == oracles.inode_of(l)]
        self.assertEqual(proc[0]["uid"], 4321, "oracle sanity")
        objs_all = sockview_json(self, "-a")
        for sock, what in ((u, "udp6 socket"), (x, "unix listener")):
            o = self.by_inode(objs_all, oracles.inode_of(sock),
                              "uid 4321 " + what)
            self.assertField(o, "uid", 4321, what)
        proc = [e for e in oracles.proc_inet("udp6")
                if e["inode"] == oracles.inode_of(u)]
        self.assertEqual(proc[0]["uid"], 4321, "oracle sanity")
        o0 = self.by_inode(objs, oracles.inode_of(l0), "root listener")
        self.assertField(o0, "uid", 0)
        self.assertField(o0, "send_q", 3, "listener backlog")
        self.assertField(o0, "recv_q", 0, "listener accept queue")

    @in_netns
    def test_interface_only_when_bound_to_device(self):
        a = socket.socket()
        a.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
        a.bind(("127.0.0.1", 5400))
        a.listen(1)
        b = socket.socket()
        b.bind(("127.0.0.1", 5401))
        b.listen(1)
        objs = sockview_json(self, "-tanoiem")
        oa = self.by_inode(objs, oracles.inode_of(a), "bound to lo")
        self.assertField(oa, "interface", "lo")
        ob = self.by_inode(objs, oracles.inode_of(b), "not bound")
        self.assertNotIn("interface", ob)
        # oracle sanity: ss shows the device too
        self.assertIn("%lo:5400", ss("-tlnH"))


if __name__ == "__main__":
    unittest.main()
