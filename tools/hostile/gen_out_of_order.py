#!/usr/bin/env python3
"""Writes a pcap with ONE RDP connection whose client sends MEGABYTES of data out of order: after
a normal X.224 Connection Request / Confirm, the first 1400-byte segment of the next data is held
back and every later segment arrives first (ascending), so everything is out-of-order until the
held segment finally arrives at the end. Tests the reassembler's out-of-order caps (issue 9's
"1 GB of out-of-order data", scaled: the size is the argument). Deterministic, stdlib only.

Usage: gen_out_of_order.py OUT.pcap [MEGABYTES=64]"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcaplib  # noqa: E402
from pcaplib import ACK, PSH, SYN, FIN  # noqa: E402


def main():
    out = sys.argv[1]
    mb = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    total = mb * 1024 * 1024
    cli, srv = [10, 8, 0, 2], [10, 8, 0, 1]
    cp, sp = 49999, 3389
    cseq, sseq = 100, 9000
    t = 1_700_000_000_000_000
    mss = 1400
    with open(out, "wb") as f:
        f.write(pcaplib.global_header())

        def pkt(d, seq, ack, flags, payload=b""):
            nonlocal t
            t += 10
            a, b, pa, pb = (cli, srv, cp, sp) if d == 0 else (srv, cli, sp, cp)
            f.write(pcaplib.record(t, pcaplib.tcp_packet(a, b, pa, pb, seq, ack, flags, payload)))

        pkt(0, cseq, 0, SYN)
        pkt(1, sseq, cseq + 1, SYN | ACK)
        cseq += 1
        sseq += 1
        pkt(0, cseq, sseq, ACK)
        body = b"\xe0\x00\x00\x00\x00\x00Cookie: mstshash=ooo\r\n" + struct.pack("<BBHI", 1, 0, 8, 0)
        cr = struct.pack("!BBH", 3, 0, len(body) + 5) + bytes([len(body)]) + body
        pkt(0, cseq, sseq, PSH | ACK, cr)
        cseq += len(cr)
        cbody = b"\xd0\x00\x00\x12\x34\x00" + struct.pack("<BBHI", 2, 0, 8, 0)
        cc = struct.pack("!BBH", 3, 0, len(cbody) + 5) + bytes([len(cbody)]) + cbody
        pkt(1, sseq, cseq, PSH | ACK, cc)
        sseq += len(cc)
        # Data: TPKT-framed X.224 DT PDUs of arbitrary filler (valid framing, junk MCS).
        seg = bytes((i * 131 + 7) & 0xFF for i in range(mss))
        nseg = total // mss
        for i in range(1, nseg):
            pkt(0, cseq + i * mss, sseq, PSH | ACK, seg)
        pkt(0, cseq, sseq, PSH | ACK, seg)  # the held-back first segment, last
        cseq += nseg * mss
        pkt(0, cseq, sseq, FIN | ACK)
        pkt(1, sseq, cseq + 1, FIN | ACK)


if __name__ == "__main__":
    main()
