#!/usr/bin/env python3
"""Generates the committed hostile-capture set (issue 9) into OUT_DIR (default captures/hostile).
python3 stdlib only, deterministic (same bytes on every run). Each file is small; the large cases
(1,000,000 SYN-only flows, a connection with a huge amount of out-of-order data) are generated on
the fly by tests/e2e/hostile_captures.sh with gen_syn_flood.py and gen_out_of_order.py.

Usage: gen_hostile.py [SOURCE_DIR] [OUT_DIR]
The expected outcome of every file is in captures/hostile/README.md (written here too)."""
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pcaplib  # noqa: E402
from pcaplib import ACK, FIN, PSH, RST, SYN  # noqa: E402

SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(SRC, "captures", "hostile")
BASE = os.path.join(SRC, "captures", "license-error-alert-rdp", "capture.pcap")  # 2 connections

CLIENT = [10, 9, 0, 2]
SERVER = [10, 9, 0, 1]
T0 = 1_700_000_000_000_000
README = []


def write(name, data, expect):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    README.append((name, len(data), expect))


class Conn:
    """Builds one TCP connection as pcap records, with correct sequence numbers."""

    def __init__(self, cport, sport=3389, cisn=1000, sisn=5000, t=T0):
        self.c, self.s = cport, sport
        self.seq = [cisn, sisn]
        self.t = t
        self.recs = []

    def pkt(self, d, flags, payload=b"", seq=None):
        src, dst = (CLIENT, SERVER) if d == 0 else (SERVER, CLIENT)
        sp, dp = (self.c, self.s) if d == 0 else (self.s, self.c)
        s = self.seq[d] if seq is None else seq
        self.t += 1000
        self.recs.append(pcaplib.record(self.t, pcaplib.tcp_packet(
            src, dst, sp, dp, s, self.seq[1 - d], flags, payload, len(self.recs))))
        if seq is None:
            self.seq[d] = (self.seq[d] + len(payload) + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF

    def handshake(self):
        self.pkt(0, SYN)
        self.pkt(1, SYN | ACK)
        self.pkt(0, ACK)
        return self

    def send(self, d, data, mss=1400):
        for i in range(0, len(data), mss):
            self.pkt(d, PSH | ACK, data[i:i + mss])
        return self

    def close(self):
        self.pkt(0, FIN | ACK)
        self.pkt(1, FIN | ACK)
        self.pkt(0, ACK)
        return self


def pcap(*conns):
    recs = []
    for c in conns:
        recs += c.recs
    return pcaplib.global_header() + b"".join(recs)


def tpkt(payload):
    return struct.pack("!BBH", 3, 0, len(payload) + 4) + payload


def x224_cr(cookie=b"Cookie: mstshash=labuser\r\n", protocols=0x3):
    # [MS-RDPBCGR] 2.2.1.1 X.224 Connection Request: LI, CR CDT, DST-REF, SRC-REF, class, cookie,
    # RDP_NEG_REQ (2.2.1.1.1).
    body = b"\xe0\x00\x00\x00\x00\x00" + cookie + struct.pack("<BBHI", 1, 0, 8, protocols)
    return tpkt(bytes([len(body)]) + body)


def x224_cc(selected=0):
    # [MS-RDPBCGR] 2.2.1.2 X.224 Connection Confirm with RDP_NEG_RSP (2.2.1.2.1).
    body = b"\xd0\x00\x00\x12\x34\x00" + struct.pack("<BBHI", 2, 0, 8, selected)
    return tpkt(bytes([len(body)]) + body)


def ber_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def mcs_ci(body):
    # [T.125] 11.1 Connect-Initial: [APPLICATION 101] = 7F 65 + BER length.
    return tpkt(b"\x02\xf0\x80" + b"\x7f\x65" + ber_len(len(body)) + body)


def tls_record(ctype, body, version=0x0303, length=None):
    # [RFC 5246] 6.2.1 TLSPlaintext.
    n = len(body) if length is None else length
    return struct.pack("!BHH", ctype, version, n) + body


def client_hello(extra_len=0):
    # [RFC 5246] 7.4.1.2 minimal ClientHello (one cipher suite, null compression).
    body = struct.pack("!H", 0x0303) + bytes(range(32)) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
    return b"\x01" + (len(body) + extra_len).to_bytes(3, "big") + body


def first_conn_chunks():
    return pcaplib.tcp_streams(BASE)[0]


def rebuild(chunks, cport=50001, cisn=1000, sisn=5000):
    c = Conn(cport, cisn=cisn, sisn=sisn).handshake()
    for d, p in chunks:
        c.send(d, p)
    return c.close()


def utf16(s):
    return s.encode("utf-16-le")


def main():
    os.makedirs(OUT, exist_ok=True)
    endian, ghdr, lt, recs = pcaplib.read_pcap(BASE)
    raw = open(BASE, "rb").read()
    # --- truncated files: representative cuts of a real 2-connection lab capture ------------
    # First packet of the second TCP connection (its SYN).
    second = None
    seen = set()
    for i, r in enumerate(recs):
        t = pcaplib.decode_tcp(lt, r.data)
        if t and t[6] & SYN and not t[6] & ACK:
            key = (t[0], t[2])
            seen.add(key)
            if len(seen) == 2:
                second = i
                break
    assert second is not None
    mid1 = recs[second // 2]
    r2 = recs[second + 6]
    write("truncated-global-header.pcap", raw[:10],
          "exit 2: not a capture (global header cut)")
    write("truncated-after-global-header.pcap", raw[:24], "exit 0: zero packets, zero connections")
    write("truncated-boundary-conn1.pcap", raw[:mid1.offset],
          "exit 0: cut at a record boundary mid connection 1; connection 1 reported, incomplete")
    write("truncated-record-header-conn1.pcap", raw[:mid1.offset + 7],
          "exit 6: cut inside a record header; connection 1 still reported")
    write("truncated-record-data-conn1.pcap", raw[:mid1.offset + 16 + mid1.caplen // 2],
          "exit 6: cut inside a record's data; connection 1 still reported")
    write("truncated-record-data-conn2.pcap", raw[:r2.offset + 16 + r2.caplen // 2],
          "exit 6: cut inside connection 2; connection 1 complete in the output")
    # --- bad file headers ---------------------------------------------------------------------
    write("bad-magic.pcap", b"\xde\xad\xbe\xef" + raw[4:2000], "exit 2: not a capture (bad magic)")
    write("bad-magic-text.pcap", b"this is not a capture file, it is text\n" * 4,
          "exit 2: not a capture")
    write("empty.pcap", b"", "exit 2: empty file")
    write("absurd-snaplen.pcap", struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 0xFFFFFFFF, 1) +
          raw[24:], "exit 0 (libpcap clamps the snaplen): both connections reported")
    write("bad-version.pcap", struct.pack("<IHHiIII", 0xA1B2C3D4, 99, 99, 0, 0, 65535, 1) + raw[24:],
          "exit 2: unsupported pcap version")
    write("unknown-linktype.pcap", struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 0xFFFF) +
          raw[24:], "exit 0: packets counted as unsupported link type, no connections")
    # An absurd record length (caplen 2 GiB) after connection 1.
    cut = recs[second].offset
    write("absurd-record-length.pcap", raw[:cut] + struct.pack("<IIII", 1, 0, 0x7FFFFFFF, 0x7FFFFFFF) +
          b"\0" * 64, "exit 6: record bigger than the snaplen; connection 1 still reported")
    write("caplen-gt-wirelen.pcap", raw[:cut] + struct.pack("<IIII", 1, 0, 60, 20) + b"\0" * 60 +
          raw[cut:], "exit 0: inconsistent record lengths tolerated; both connections reported")
    write("zero-length-records.pcap", raw[:cut] + struct.pack("<IIII", 1, 0, 0, 0) * 100 + raw[cut:],
          "exit 0: empty records counted as undecodable; both connections reported")
    # Snaplen-cut packets: every record cut to 64 bytes (wire length kept), as tcpdump -s 64.
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 64, 1))
    for r in recs:
        d = r.data[:64]
        out += struct.pack("<IIII", r.ts_sec, r.ts_frac, len(d), r.wirelen) + d
    write("snaplen-64.pcap", bytes(out),
          "exit 0: payload missing: per-connection gap/truncation note, never a crash")
    # --- corrupted TPKT lengths: one connection per corruption ----------------------------------
    cr = x224_cr()
    conns = []
    for i, n in enumerate([0, 3, 4, len(cr) - 1, len(cr) + 1, 0xFFFF]):
        bad = cr[:2] + struct.pack("!H", n) + cr[4:]
        conns.append(Conn(51000 + i, t=T0 + i * 10_000_000).handshake().send(0, bad).close())
    write("tpkt-lengths.pcap", pcap(*conns),
          "exit 0: 6 connections (TPKT length 0, 3, 4, one short, one long, 65535): each an "
          "anomaly or an incomplete-PDU note")
    # X.224 length indicator corruptions.
    conns = []
    for i, li in enumerate([0, 1, 0x0d, 0x0f, 0xff]):
        bad = cr[:4] + bytes([li]) + cr[5:]
        conns.append(Conn(51100 + i, t=T0 + i * 10_000_000).handshake().send(0, bad).close())
    write("x224-lengths.pcap", pcap(*conns), "exit 0: 5 connections, X.224 LI corrupted: anomalies")
    # --- corrupted BER lengths in MCS Connect-Initial ------------------------------------------
    body = b"\x04\x01\x01" + b"\x04\x01\x01" + b"\x01\x01\xff" + b"\x30\x00" * 3 + b"\x04\x00"
    conns = []
    variants = [
        b"\x7f\x65\x00" + body,                        # zero
        b"\x7f\x65" + ber_len(len(body) - 1) + body,   # one short
        b"\x7f\x65" + ber_len(len(body) + 1) + body,   # one long
        b"\x7f\x65\x84\xff\xff\xff\xff" + body,        # maximal (4-byte length)
        b"\x7f\x65\x88\xff\xff\xff\xff\xff\xff\xff\xff" + body,  # 8-byte length
        b"\x7f\x65\x80" + body,                        # indefinite (not DER)
        b"\x7f\x65\x82\x00\x10" + body,                # non-minimal
    ]
    for i, v in enumerate(variants):
        c = Conn(52000 + i, t=T0 + i * 10_000_000).handshake()
        c.send(0, x224_cr(protocols=0)).send(1, x224_cc(0))
        c.send(0, tpkt(b"\x02\xf0\x80" + v)).close()
        conns.append(c)
    write("ber-lengths.pcap", pcap(*conns),
          "exit 0: 7 connections, MCS Connect-Initial BER length zero / short / long / maximal / "
          "8-byte / indefinite / non-minimal: each an anomaly")
    # Deep BER nesting: 20,000 nested SEQUENCEs (indefinite and definite) in Connect-Initial.
    deep_def = b""
    for _ in range(12000):
        deep_def = b"\x30" + ber_len(len(deep_def)) + deep_def
        if len(deep_def) > 60000:
            break
    deep_indef = b"\x30\x80" * 20000
    conns = []
    for i, v in enumerate([b"\x7f\x65\x82" + struct.pack("!H", len(deep_def)) + deep_def[:65000],
                           b"\x7f\x65\x80" + deep_indef]):
        c = Conn(52100 + i, t=T0 + i * 10_000_000).handshake()
        c.send(0, x224_cr(protocols=0)).send(1, x224_cc(0))
        pdu = b"\x02\xf0\x80" + v
        c.send(0, tpkt(pdu[:65531])).close()
        conns.append(c)
    write("ber-deep-nesting.pcap", pcap(*conns),
          "exit 0: 2 connections with thousands of nested SEQUENCEs: depth-cap anomaly, bounded time")
    # --- corrupted TLS record / handshake lengths ----------------------------------------------
    hello = client_hello()
    conns = []
    tls_variants = [
        tls_record(0x16, hello, length=0),
        tls_record(0x16, hello, length=len(hello) - 1),
        tls_record(0x16, hello, length=len(hello) + 1),
        tls_record(0x16, hello, length=0xFFFF),
        tls_record(0x16, client_hello(extra_len=-1)),
        tls_record(0x16, client_hello(extra_len=1)),
        tls_record(0x16, b"\x01\xff\xff\xff" + hello[4:]),
        tls_record(0x16, b"", length=0) * 50,
    ]
    for i, v in enumerate(tls_variants):
        c = Conn(53000 + i, t=T0 + i * 10_000_000).handshake()
        c.send(0, x224_cr(protocols=1)).send(1, x224_cc(1)).send(0, v).close()
        conns.append(c)
    write("tls-lengths.pcap", pcap(*conns),
          "exit 0: 8 connections, TLS record / handshake lengths zero, short, long, maximal: anomalies")
    # --- TCP overlap with conflicting bytes ----------------------------------------------------
    c = Conn(54000).handshake()
    good = x224_cr()
    evil = bytearray(good)
    evil[10:20] = b"XXXXXXXXXX"
    s0 = c.seq[0]
    c.pkt(0, PSH | ACK, good[:20], seq=s0)                 # first copy wins
    c.pkt(0, PSH | ACK, bytes(evil[10:30]), seq=s0 + 10)   # overlaps with different bytes
    c.pkt(0, PSH | ACK, good[30:], seq=s0 + 30)
    c.pkt(0, PSH | ACK, bytes(evil[5:len(good)]), seq=s0 + 5)  # full conflicting retransmission
    c.seq[0] = s0 + len(good)
    c.send(1, x224_cc(0)).close()
    write("tcp-overlap-conflict.pcap", pcap(c),
          "exit 0: overlapping segments with conflicting bytes: counted (overlaps/conflicts), "
          "first copy wins, the Connection Request still parses")
    # --- sequence-number wrap -----------------------------------------------------------------
    chunks = first_conn_chunks()
    c = rebuild(chunks, cport=55000, cisn=0xFFFFFF00, sisn=0xFFFFFFF0)
    write("seq-wrap.pcap", pcap(c),
          "exit 0: both directions' sequence numbers wrap past 2^32 mid-stream; the connection "
          "is dissected exactly as the original")
    # --- the capture clock steps back mid-connection (an NTP correction while capturing) ------
    c = Conn(55500).handshake()
    for i, (d, p) in enumerate(chunks):
        if i == 4:  # after the MCS Connect Response: the rest is stamped before the SYN
            c.t -= 3_000_000
        c.send(d, p)
    write("clock-step-back.pcap", pcap(c.close()),
          "exit 0: the capture clock steps back 3 s after the MCS Connect Response; the "
          "connection is dissected exactly as the original, and the events after the step are "
          "shown before the start (negative t in JSON, -2.99...s in text)")
    # --- hostile strings for output safety (cookie, client name) ------------------------------
    evil_cookie = (b"Cookie: mstshash=<script>alert(1)</script>\x1b[31mRED\x1b[0m\x07\xff\xfe\xc0\xaf"
                   b"\r\n")
    out_chunks = []
    for d, p in chunks:
        if d == 0 and p[:1] == b"\x03" and len(p) > 5 and p[5] == 0xE0:
            # Rebuild the Connection Request with the hostile cookie (keep its negotiation).
            li = p[4]
            x = p[5:5 + li]
            neg = x[-8:] if len(x) >= 14 and x[-8] == 1 else b""
            body = x[:6] + evil_cookie + neg
            p = tpkt(bytes([len(body)]) + body)
        elif d == 0 and b"\x7f\x65" in p[:12] and re.search(rb"\x01\xc0..[\x01-\x0f]\x00\x08\x00", p, re.S):
            # Client Core Data ([MS-RDPBCGR] 2.2.1.3.2): clientName at offset 24 of the block,
            # 32 bytes UTF-16LE. Put <script>, an ESC sequence and a lone surrogate in it.
            p = bytearray(p)
            m = re.search(rb"\x01\xc0..[\x01-\x0f]\x00\x08\x00", p, re.S)  # type, length, version
            i = m.start()
            name = (utf16("<script>") + b"\x1b\x00" + utf16("[2J") + b"\x00\xd8" + utf16("\"&'x"))[:30]
            name += b"\x00" * (32 - len(name))
            p[i + 24:i + 56] = name
            p = bytes(p)
        out_chunks.append((d, p))
    write("hostile-strings.pcap", pcap(rebuild(out_chunks, cport=56000)),
          "exit 0: cookie and client name with <script>, ANSI escapes, BEL, invalid UTF-8 and a "
          "lone UTF-16 surrogate: escaped in every output (tests/e2e/output_safety.sh)")
    # --- garbage after the handshake on the RDP port, and a mid-stream start --------------------
    c = Conn(57000).handshake()
    c.send(0, bytes((i * 37 + 11) & 0xFF for i in range(4000))).send(1, b"\x03\x00\x00").close()
    write("garbage-payload.pcap", pcap(c), "exit 0: not RDP: an anomaly / not-RDP note")
    # README
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("# Hostile captures (generated, do not edit)\n\n"
                "Written by `tools/hostile/gen_hostile.py` (deterministic; rerun it to regenerate), "
                "checked by `tests/e2e/hostile_captures.sh`; see docs/robustness.md.\n"
                "The two big cases (1,000,000 SYN-only flows; one connection with a large amount of\n"
                "out-of-order data) are generated on the fly by the test.\n\n"
                "| File | Bytes | Expected |\n|---|---|---|\n")
        for name, n, expect in README:
            f.write("| `%s` | %d | %s |\n" % (name, n, expect))


if __name__ == "__main__":
    main()
