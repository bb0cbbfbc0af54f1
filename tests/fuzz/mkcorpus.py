#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/README):

corpus/diag    the recorded replies of tests/fixtures, whole, cut into
               single messages and cut short, and hand-made malformed
               replies built from them;
corpus/filter  filter expressions from the man page and the unit tests;
regressions/load/hostile-*.svc
               captures for `list --load` holding values no kernel sends:
               a state past 31, an error code of INT_MIN, process records
               whose fds are INT_MIN and INT_MAX for the same socket.

Deterministic: running it again rewrites the same files.
"""
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

NLMSG_ERROR, NLMSG_DONE, SOCK_DIAG_BY_FAMILY = 2, 3, 20
NLM_F_MULTI = 2
INET_HDR, UNIX_HDR = 72, 16
# attribute numbers, linux/inet_diag.h and linux/unix_diag.h
INET_DIAG_MEMINFO, INET_DIAG_INFO, INET_DIAG_CONG = 1, 2, 4
INET_DIAG_SKMEMINFO, INET_DIAG_SHUTDOWN = 7, 8
INET_DIAG_MARK, INET_DIAG_PROTOCOL, INET_DIAG_CGROUP_ID = 15, 17, 21
UNIX_DIAG_NAME, UNIX_DIAG_PEER, UNIX_DIAG_RQLEN = 0, 2, 4
UNIX_DIAG_MEMINFO, UNIX_DIAG_SHUTDOWN, UNIX_DIAG_UID = 5, 6, 7


def align(n):
    return (n + 3) & ~3


def messages(data):
    off, out = 0, []
    while off + 16 <= len(data):
        length = struct.unpack_from("<I", data, off)[0]
        if length < 16 or off + length > len(data):
            break
        out.append(data[off:off + length])
        off += align(length)
    return out


def nlmsg(mtype, payload, flags=NLM_F_MULTI, length=None):
    if length is None:
        length = 16 + len(payload)
    body = struct.pack("<IHHII", length, mtype, flags, 1, 0) + payload
    return body + b"\0" * (align(len(body)) - len(body))


def attr(atype, payload, length=None):
    if length is None:
        length = 4 + len(payload)
    a = struct.pack("<HH", length, atype) + payload
    return a + b"\0" * (align(len(a)) - len(a))


def split(msg, hdr):
    """(fixed header, [(type, payload)]) of a SOCK_DIAG_BY_FAMILY msg."""
    body = msg[16:]
    fixed, rest, attrs = body[:hdr], body[hdr:], []
    while len(rest) >= 4:
        alen, atype = struct.unpack_from("<HH", rest)
        if alen < 4 or alen > len(rest):
            break
        attrs.append((atype, rest[4:alen]))
        rest = rest[align(alen):]
    return fixed, attrs


def build(fixed, attrs):
    return nlmsg(SOCK_DIAG_BY_FAMILY,
                 fixed + b"".join(attr(t, p) for t, p in attrs))


def done():
    return nlmsg(NLMSG_DONE, struct.pack("<i", 0))


def error(errno):
    req = struct.pack("<IHHII", 16, SOCK_DIAG_BY_FAMILY, 0x301, 1, 0)
    return nlmsg(NLMSG_ERROR, struct.pack("<i", -errno) + req, flags=0)


def replace(attrs, atype, payload):
    return [(t, payload if t == atype else p) for t, p in attrs]


def diag_cases():
    fx = {}
    for name in ("tcp4", "tcp6", "unix", "netlink", "packet", "mptcp4"):
        with open(os.path.join(REPO, "tests/fixtures", name + ".bin"),
                  "rb") as f:
            fx[name] = f.read()
    cases = {}
    for name, data in fx.items():
        cases["fixture-" + name] = data
        for i, m in enumerate(messages(data)):
            cases["%s-msg%d" % (name, i)] = m
        for cut in (17, 88, 100, 300, len(data) // 2, len(data) - 3):
            cases["%s-cut%d" % (name, cut)] = data[:cut]

    tcp = messages(fx["tcp4"])
    tfixed, tattrs = split(tcp[1], INET_HDR)
    ufixed, uattrs = split(messages(fx["unix"])[0], UNIX_HDR)
    info = dict(tattrs)[INET_DIAG_INFO]

    # a message too short for its fixed header, and one of 0 payload
    cases["short-inet"] = nlmsg(SOCK_DIAG_BY_FAMILY, tfixed[:40])
    cases["short-unix"] = nlmsg(SOCK_DIAG_BY_FAMILY, ufixed[:10])
    cases["empty-payload"] = nlmsg(SOCK_DIAG_BY_FAMILY, b"")
    # nlmsg_len says more than there is
    m = build(tfixed, tattrs)
    cases["nlmsg-len-past-end"] = (struct.pack("<I", len(m) + 64) + m[4:])
    # an nlmsg_len that is not a multiple of 4, the attributes flush
    m = nlmsg(SOCK_DIAG_BY_FAMILY, tfixed + attr(INET_DIAG_SHUTDOWN, b"\x03")[:5])
    cases["nlmsg-len-unaligned"] = m[:16 + INET_HDR + 5]
    m = nlmsg(SOCK_DIAG_BY_FAMILY, tfixed + b"\x04\x00")
    cases["nlmsg-len-unaligned-attr-hdr"] = m[:16 + INET_HDR + 2]
    # the last attribute runs past the message
    cases["attr-past-end"] = nlmsg(
        SOCK_DIAG_BY_FAMILY,
        tfixed + attr(INET_DIAG_SHUTDOWN, b"\x01") +
        struct.pack("<HH", 300, INET_DIAG_INFO) + info[:40])
    cases["attr-len-under-header"] = nlmsg(
        SOCK_DIAG_BY_FAMILY, tfixed + struct.pack("<HH", 2, INET_DIAG_CONG))
    # every attribute present with no payload at all
    cases["inet-zero-len-attrs"] = build(
        tfixed, [(t, b"") for t in range(0, 24)])
    cases["unix-zero-len-attrs"] = build(
        ufixed, [(t, b"") for t in range(0, 10)])
    # tcp_info shorter and longer than the 280 bytes of 6.18
    for n in (0, 1, 3, 7, 104, 232, 279):
        cases["tcpinfo-%d" % n] = build(
            tfixed, replace(tattrs, INET_DIAG_INFO, info[:n]))
    for n in (281, 300, 512):
        cases["tcpinfo-%d" % n] = build(
            tfixed, replace(tattrs, INET_DIAG_INFO,
                            info + bytes(range(256))[:n - len(info)]))
    # unknown attributes, a nested flag, and repeats (the last one wins)
    cases["inet-unknown-attrs"] = build(
        tfixed, tattrs + [(200, b"xyz"), (0x8000 | 5, b"\0" * 8),
                          (0x4000 | INET_DIAG_CONG, b"reno\0"),
                          (INET_DIAG_CONG, b"cubic\0")])
    cases["unix-unknown-attrs"] = build(
        ufixed, uattrs + [(99, b"\1" * 33), (UNIX_DIAG_NAME, b"/x\0")])
    # odd payloads of known attributes
    cases["cong-unterminated"] = build(
        tfixed, replace(tattrs, INET_DIAG_CONG, b"A" * 40))
    cases["cong-control"] = build(
        tfixed, replace(tattrs, INET_DIAG_CONG, b"\x1b[2J\"\\\n\0"))
    cases["skmem-12"] = build(
        tfixed, replace(tattrs, INET_DIAG_SKMEMINFO, b"\xff" * 48))
    cases["skmem-3-bytes"] = build(
        tfixed, replace(tattrs, INET_DIAG_SKMEMINFO, b"\1\2\3"))
    cases["inet-extras"] = build(
        tfixed, tattrs + [(INET_DIAG_MARK, b"\x2a\0\0\0"),
                          (INET_DIAG_PROTOCOL, b"\x06"),
                          (INET_DIAG_MEMINFO, b"\0" * 16)])
    for proto in (0, 1, 2, 10, 255):
        f = bytes([proto]) + tfixed[1:]
        cases["inet-family-%d" % proto] = build(f, tattrs)
    for st in (0, 6, 10, 12, 13, 255):
        f = tfixed[:1] + bytes([st]) + tfixed[2:]
        cases["inet-state-%d" % st] = build(f, tattrs)
    # UNIX names: abstract with NULs, the longest, control characters
    for tag, name in (("abstract", b"\0a\0b\x1b[1m"), ("long", b"/" + b"p" * 120),
                      ("ctl", b"/tmp/\x07\n\x7f\"\\\xff\xc3\0"),
                      ("autobind", b"\0" + b"1a2b3"), ("nul", b"\0"),
                      ("utf8-bidi", b"/tmp/\xe2\x80\xae\xf0\x9f\x92\xa9\0")):
        cases["unix-name-" + tag] = build(
            ufixed, replace(uattrs, UNIX_DIAG_NAME, name))
    cases["unix-short-rqlen"] = build(
        ufixed, replace(uattrs, UNIX_DIAG_RQLEN, b"\1\2\3\4\5"))
    cases["unix-family-inet"] = build(b"\x02" + ufixed[1:], uattrs)
    # an NLMSG_ERROR and other types in the middle of a dump
    allm = messages(fx["tcp4"])
    cases["error-mid-dump"] = allm[0] + error(22) + allm[1] + done()
    cases["done-mid-dump"] = allm[0] + done() + allm[1]
    cases["noop-overrun"] = (nlmsg(1, b"") + nlmsg(4, b"\0" * 8) +
                             allm[2])
    cases["mixed-families"] = (messages(fx["unix"])[0] + allm[0] +
                               messages(fx["tcp6"])[0] + done())
    return cases


FILTER_SEEDS = [
    "", "all", "state established", "state connected", "state synchronized",
    "state bucket", "state big", "exclude listen", "excl time-wait",
    "state syn-rcv and exclude close", "state listen state established",
    "( dport = :443 or src 10.0.0.0/8 )", "dport = :ssh", "sport eq 80",
    "dport != :1", "sport lt :1024", "sport le 1024", "dport gt :1024",
    "dport ge 0", "sport > :65535", "dport == *:443", "sport = *",
    "src 127.0.0.1", "src 127.0.0.0/8:5001", "dst [::1]:5002",
    "src [::]/0", "src inet:*", "src inet6:*", "src *:5002", "dst ::2",
    "dst ::ffff:10.1.2.3/104", "src inet:10.0.0.0/8", "src inet6:[fe80::1]",
    "src localhost", "dst localhost:80", "src some.host", "src many",
    "dst nowhere.invalid", "src unix:/run/*", "src @sv-fixture",
    "src /tmp/sv-fixture.sock", "dst *", "src '/path with space'",
    "dev lo", "not dev lo", "dev 1", "dev = 4294967295",
    "dev lo or sport = :5003", "fwmark 0x11", "fwmark 0x1/0x1",
    "not fwmark 0/0xffffffff", "fwmark 0x5 or fwmark 0x11", "cgroup /",
    "not cgroup /", "cgroup /nonexistent", "autobound", "not autobound",
    "pid 1", "pid != 1", "comm sshd", "comm 'we[i]rd*'", "uid 0",
    "uid root", "uid neq 65534", "inode 12345", "inode 18446744073709551615",
    "src 127.0.0.1 and uid 0", "not inode 1 and sport = :5001",
    "dst 127.0.0.1 and not dport = :5001",
    "( sport = :5001 or sport = :5002 ) and not dst 0.0.0.0",
    "not ( src 127.0.0.1 or src ::1 )", "! sport = :22 && dport = :80",
    "sport = :22 || dport = :80", "sport = :1 dport = :2",
    "not dport = :1 or not dport = :2 and not dport = :3",
    "((((((((sport = :1))))))))", "not not not autobound",
    "# a comment\nsport = :22 # another\n and dst ::1",
    "state established ( dport = :ssh or sport = :ssh )",
    # edges around the ports of fuzz_filter's fixed sockets
    "sport > :4999", "sport >= :5000", "sport < :5001", "sport <= :4999",
    "dport > :49847", "dport lt :49849", "dport > :65534", "dport < :1",
    "sport gt :442", "sport lt :23", "sport > :0", "dport ge :65535",
    "not sport > :21 or dport != :0",
    # errors
    "(", ")", "sport", "sport =", "and", "not", "src", "state nosuch",
    "state listen or sport = :1", "not state listen", "dport = :99999",
    "src 1.2.3.4/33", "src [::1", "src ::1/129", "'unterminated",
    "fwmark 1/2/3", "sport & dport", "a | b", "src 1.2.3.4:http",
    "inode -1", "dev", "pid x",
]


def filter_cases():
    cases = {"seed-%03d" % i: s.encode() for i, s in enumerate(FILTER_SEEDS)}
    src = open(os.path.join(REPO, "tests/unit/test_filter.c")).read()
    words = ("state", "exclude", "excl", "src", "dst", "sport", "dport",
             "dev", "fwmark", "cgroup", "autobound", "pid", "comm", "uid",
             "inode", "not", "(", "!")
    seen = set(FILTER_SEEDS)
    n = 0
    for lit in re.findall(r'"((?:[^"\\\n]|\\.)*)"', src):
        s = bytes(lit, "utf-8").decode("unicode_escape")
        if s in seen or not s.split() or s.split()[0] not in words:
            continue
        seen.add(s)
        cases["unit-%03d" % n] = s.encode()
        n += 1
    return cases


def cap_rec(rtype, payload):
    r = struct.pack("<II", rtype, len(payload)) + payload
    return r + b"\0" * (align(len(r)) - len(r))


def capture(records):
    CAP_END = 6
    return (b"sockview capture" + struct.pack("<II", 1, 0) +
            b"".join(cap_rec(t, p) for t, p in records) + cap_rec(CAP_END, b""))


def inet_msg(state, inode):
    ident = struct.pack(">HH", 8080, 40000) + bytes([127, 0, 0, 1]) + \
        b"\0" * 12 + bytes([127, 0, 0, 2]) + b"\0" * 12
    ident += struct.pack("<III", 0, 7, 0)
    return struct.pack("<BBBB", 2, state, 0, 0) + ident + \
        struct.pack("<IIIII", 0, 0, 0, 0, inode)


def load_cases():
    CAP_REQ, CAP_NL, CAP_PROC = 1, 2, 5
    req = struct.pack("<BBBBI", 0, 2, 0, 0, 0xfff)
    proc = [(CAP_PROC, struct.pack("<QiI", 4242, 7, fd & 0xffffffff) + name)
            for fd, name in ((-2 ** 31, b"a"), (2 ** 31 - 1, b"b"),
                             (0, b"c"))]
    return {
        "hostile-state.svc": capture(
            [(CAP_REQ, req),
             (CAP_NL, nlmsg(SOCK_DIAG_BY_FAMILY, inet_msg(40, 4242)) +
              done())] + proc),
        "hostile-errno.svc": capture(
            [(CAP_REQ, req),
             (CAP_NL, nlmsg(NLMSG_ERROR, struct.pack("<i", -2 ** 31) +
                            struct.pack("<IHHII", 16, 20, 0x301, 1, 0),
                            flags=0))]),
        "hostile-done.svc": capture(
            [(CAP_REQ, req),
             (CAP_NL, nlmsg(NLMSG_DONE, struct.pack("<i", -2 ** 31)))]),
        "hostile-fds.svc": capture(
            [(CAP_REQ, req),
             (CAP_NL, nlmsg(SOCK_DIAG_BY_FAMILY, inet_msg(1, 4242)) +
              done())] + proc),
    }


def write(dirname, cases):
    os.makedirs(dirname, exist_ok=True)
    for name, data in sorted(cases.items()):
        with open(os.path.join(dirname, name), "wb") as f:
            f.write(data)
    print("%s: %d files" % (os.path.relpath(dirname, REPO), len(cases)))


def main():
    write(os.path.join(HERE, "corpus/diag"), diag_cases())
    write(os.path.join(HERE, "corpus/filter"), filter_cases())
    write(os.path.join(HERE, "regressions/load"), load_cases())
    return 0


if __name__ == "__main__":
    sys.exit(main())
