#!/usr/bin/env python3
"""Writes a pcap of N SYN-only TCP flows to port 3389 (distinct client address/port each),
1 microsecond apart: the memory-bound test of the flow table (issue 2, issue 9).

Usage: gen_syn_flood.py OUT.pcap [N=1000000]
"""
import struct
import sys


def ip_checksum(header: bytes) -> int:
    s = sum(struct.unpack("!10H", header))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main() -> None:
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # Ethernet
        eth = b"\x00\x11\x22\x33\x44\x55" + b"\x66\x77\x88\x99\xaa\xbb" + b"\x08\x00"
        dst = bytes([10, 0, 0, 1])
        for i in range(n):
            src = bytes([10, 1 + (i >> 24) % 200, (i >> 16) & 0xFF, (i >> 8) & 0xFF])
            sport = 1024 + (i & 0xFF) * 200 + (i >> 8) % 200
            ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i & 0xFFFF, 0x4000, 64, 6, 0,
                                       src, dst))
            struct.pack_into("!H", ip, 10, ip_checksum(bytes(ip)))
            tcp = struct.pack("!HHIIBBHHH", sport, 3389, i * 7919 & 0xFFFFFFFF, 0, 0x50, 0x02,
                              64240, 0, 0)
            pkt = eth + bytes(ip) + tcp
            ts = 1_700_000_000_000_000 + i
            f.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(pkt), len(pkt)))
            f.write(pkt)


if __name__ == "__main__":
    main()
