"""Independent sources of truth for the sockview integration tests:
`ss` output, /proc/net/* tables, and getsockopt() on the test's own
sockets.  Nothing here looks at sockview's output."""

import ipaddress
import os
import re
import socket
import struct

SO_COOKIE = 57
TCP_INFO = 11
TCP_CONGESTION = 13

SS_STATE = {
    "ESTAB": "established", "SYN-SENT": "syn-sent", "SYN-RECV": "syn-recv",
    "FIN-WAIT-1": "fin-wait-1", "FIN-WAIT-2": "fin-wait-2",
    "TIME-WAIT": "time-wait", "UNCONN": "closed", "CLOSE-WAIT": "close-wait",
    "LAST-ACK": "last-ack", "LISTEN": "listening", "CLOSING": "closing",
    "CLOSED": "closed",
}

# Kernel TCP_* state numbers as printed in /proc/net/{tcp,udp,raw}
PROC_STATE = {
    1: "established", 2: "syn-sent", 3: "syn-recv", 4: "fin-wait-1",
    5: "fin-wait-2", 6: "time-wait", 7: "closed", 8: "close-wait",
    9: "last-ack", 10: "listening", 11: "closing", 12: "syn-recv",
}

CA_STATE = {0: "open", 1: "disorder", 2: "cwr", 3: "recovery", 4: "loss"}


# ---------------------------------------------------------------- helpers

def inode_of(sock):
    return os.fstat(sock.fileno()).st_ino


def cookie_of(sock):
    return struct.unpack("=Q", sock.getsockopt(socket.SOL_SOCKET,
                                               SO_COOKIE, 8))[0]


def norm_addr(a):
    """Canonical text form of an IP address (as inet_ntop prints it)."""
    return str(ipaddress.ip_address(a))


# ---------------------------------------------------------------- tcp_info

# name -> (offset, struct format) in struct tcp_info (linux/tcp.h)
_TI_FIELDS = [
    ("state", 0, "B"), ("ca_state", 1, "B"), ("retransmits", 2, "B"),
    ("probes", 3, "B"), ("backoff", 4, "B"), ("options_bits", 5, "B"),
    ("wscale_byte", 6, "B"),
    ("rto", 8, "I"), ("ato", 12, "I"), ("snd_mss", 16, "I"),
    ("rcv_mss", 20, "I"), ("unacked", 24, "I"), ("sacked", 28, "I"),
    ("lost", 32, "I"), ("retrans", 36, "I"), ("fackets", 40, "I"),
    ("last_data_sent", 44, "I"), ("last_ack_sent", 48, "I"),
    ("last_data_recv", 52, "I"), ("last_ack_recv", 56, "I"),
    ("pmtu", 60, "I"), ("rcv_ssthresh", 64, "I"), ("rtt", 68, "I"),
    ("rttvar", 72, "I"), ("snd_ssthresh", 76, "I"), ("snd_cwnd", 80, "I"),
    ("advmss", 84, "I"), ("reordering", 88, "I"), ("rcv_rtt", 92, "I"),
    ("rcv_space", 96, "I"), ("total_retrans", 100, "I"),
    ("pacing_rate", 104, "Q"), ("max_pacing_rate", 112, "Q"),
    ("bytes_acked", 120, "Q"), ("bytes_received", 128, "Q"),
    ("segs_out", 136, "I"), ("segs_in", 140, "I"),
    ("notsent_bytes", 144, "I"), ("min_rtt", 148, "I"),
    ("data_segs_in", 152, "I"), ("data_segs_out", 156, "I"),
    ("delivery_rate", 160, "Q"), ("busy_time", 168, "Q"),
    ("rwnd_limited", 176, "Q"), ("sndbuf_limited", 184, "Q"),
    ("delivered", 192, "I"), ("delivered_ce", 196, "I"),
    ("bytes_sent", 200, "Q"), ("bytes_retrans", 208, "Q"),
    ("dsack_dups", 216, "I"), ("reord_seen", 220, "I"),
    ("rcv_ooopack", 224, "I"), ("snd_wnd", 228, "I"), ("rcv_wnd", 232, "I"),
    ("rehash", 236, "I"), ("total_rto", 240, "H"),
    ("total_rto_recoveries", 242, "H"), ("total_rto_time", 244, "I"),
]

OPT_BITS = {"ts": 1, "sack": 2, "wscale": 4, "ecn": 8}


def tcp_info(sock):
    raw = sock.getsockopt(socket.IPPROTO_TCP, TCP_INFO, 512)
    d = {}
    for name, off, fmt in _TI_FIELDS:
        size = struct.calcsize("=" + fmt)
        if off + size <= len(raw):
            d[name] = struct.unpack_from("=" + fmt, raw, off)[0]
    d["snd_wscale"] = d["wscale_byte"] & 0x0F
    d["rcv_wscale"] = d["wscale_byte"] >> 4
    d["_len"] = len(raw)
    return d


def tcp_cong(sock):
    raw = sock.getsockopt(socket.IPPROTO_TCP, TCP_CONGESTION, 16)
    return raw.split(b"\0", 1)[0].decode()


# ---------------------------------------------------------------- ss

_TIMER_RE = re.compile(r"^(?:(\d+)min)?(?:(\d+)(sec|\.))?(?:(\d+)ms)?$")


def ss_timer_range(text):
    """ss prints timer expiry with lossy formatting (print_ms_timer).
    Return (low_ms, high_ms) bounds of the real value."""
    m = _TIMER_RE.match(text)
    if not m or text == "":
        raise ValueError("bad ss timer %r" % text)
    mins = int(m.group(1) or 0)
    secs = int(m.group(2) or 0)
    ms = int(m.group(4) or 0)
    low = mins * 60000 + secs * 1000 + ms
    if mins > 9:
        return low, low + 60000
    if mins:
        return low, low + 1000
    if secs > 9:
        return low, low + 1000
    return low, low + 1


def split_hostport(s):
    """'127.0.0.1:80' '[::1]:80' '127.0.0.1%lo:80' '*:*' -> (addr, iface, port)"""
    host, _, port = s.rpartition(":")
    iface = None
    if host.startswith("["):
        host = host[1:]
        host, _, rest = host.partition("]")
        if rest.startswith("%"):
            iface = rest[1:]
    elif "%" in host:
        host, _, iface = host.partition("%")
    if port == "*":
        port = 0
    else:
        port = int(port)
    if host == "*":
        host = None
    return host, iface, port


def parse_ss(text, netid_col=False, unix=False):
    """Parse `ss ... -H` output into a list of dicts."""
    recs = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        if line[0] in " \t" and recs:
            recs[-1]["_rest"] += " " + line.strip()
            continue
        toks = line.split()
        rec = {}
        if netid_col:
            rec["netid"] = toks.pop(0)
        rec["ss_state"] = toks[0]
        rec["state"] = SS_STATE.get(toks[0], toks[0].lower())
        rec["recv_q"] = int(toks[1])
        rec["send_q"] = int(toks[2])
        if unix:
            rec["local_path"] = toks[3]
            rec["inode"] = int(toks[4])
            rec["peer_path"] = toks[5]
            rec["peer_inode"] = int(toks[6])
            rest = toks[7:]
        else:
            rec["local"] = split_hostport(toks[3])
            rec["peer"] = split_hostport(toks[4])
            rest = toks[5:]
        rec["_rest"] = " ".join(rest)
        recs.append(rec)
    for rec in recs:
        rest = rec.pop("_rest").split()
        kv, flags = {}, []
        i = 0
        while i < len(rest):
            t = rest[i]
            if t in ("send", "pacing_rate", "delivery_rate") and i + 1 < len(rest):
                kv[t] = rest[i + 1]
                i += 2
                continue
            if ":" in t:
                k, _, v = t.partition(":")
                kv.setdefault(k, v)
            else:
                flags.append(t)
            i += 1
        rec["kv"], rec["flags"] = kv, flags
        if "timer" in kv:
            name, when, retr = kv["timer"].strip("()").split(",")
            rec["timer"] = (name, ss_timer_range(when), int(retr))
        if "skmem" in kv:
            sk = {}
            for part in kv["skmem"].strip("()").split(","):
                m = re.match(r"([a-z]+)(\d+)$", part)
                sk[m.group(1)] = int(m.group(2))
            rec["skmem"] = {
                "rmem_alloc": sk["r"], "rcvbuf": sk["rb"],
                "wmem_alloc": sk["t"], "sndbuf": sk["tb"],
                "fwd_alloc": sk["f"], "wmem_queued": sk["w"],
                "optmem": sk["o"], "backlog": sk["bl"], "drops": sk.get("d"),
            }
        if "ino" in kv:
            rec["ino"] = int(kv["ino"])
        if "sk" in kv:
            rec["cookie"] = int(kv["sk"], 16)
        if "uid" in kv:
            rec["uid"] = int(kv["uid"])
    return recs


# ---------------------------------------------------------------- /proc

def _hex_ip(h):
    if len(h) == 8:
        return socket.inet_ntop(socket.AF_INET, struct.pack("<I", int(h, 16)))
    b = b"".join(struct.pack("<I", int(h[i:i + 8], 16))
                 for i in range(0, 32, 8))
    return socket.inet_ntop(socket.AF_INET6, b)


def _hex_hostport(s):
    h, p = s.split(":")
    return _hex_ip(h), int(p, 16)


def proc_inet(name):
    """Parse /proc/net/{tcp,tcp6,udp,udp6,raw,raw6}."""
    out = []
    try:
        f = open("/proc/net/" + name)
    except FileNotFoundError:
        return out
    with f:
        lines = f.read().splitlines()[1:]
    for line in lines:
        t = line.split()
        if len(t) < 10:
            continue
        tx, rx = t[4].split(":")
        tr, when = t[5].split(":")
        out.append({
            "local": _hex_hostport(t[1]), "peer": _hex_hostport(t[2]),
            "st": int(t[3], 16), "state": PROC_STATE[int(t[3], 16)],
            "tx_queue": int(tx, 16), "rx_queue": int(rx, 16),
            "timer_active": int(tr, 16), "timer_jiffies": int(when, 16),
            "retrnsmt": int(t[6], 16), "uid": int(t[7]), "inode": int(t[9]),
            "drops": int(t[12]) if len(t) > 12 else None,
            "family": "inet6" if name.endswith("6") else "inet",
        })
    return out


def proc_unix():
    out = []
    with open("/proc/net/unix", "rb") as f:
        lines = f.read().split(b"\n")[1:]
    for line in lines:
        t = line.split(None, 7)
        if len(t) < 7:
            continue
        out.append({
            "refcount": int(t[1], 16), "flags": int(t[3], 16),
            "type": int(t[4], 16), "st": int(t[5], 16), "inode": int(t[6]),
            "path": t[7].decode("utf-8", "surrogateescape") if len(t) > 7
            else None,
        })
    return out
