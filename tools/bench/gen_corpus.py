#!/usr/bin/env python3
"""Builds a large, realistic, deterministic benchmark corpus from the lab captures.

Every connection in the output is a real lab connection (captures/<scenario>/capture.pcap) with
its addresses, ports, TCP sequence numbers and timestamps rewritten, interleaved in time with
thousands of others. The mix is mostly successful sessions whose bulk traffic (TLS application
data / fast-path output) is stretched by repeating a real block of segments of the session with
advancing sequence numbers, plus a minority of every failure kind.

How the bulk is stretched (TCP and framing stay consistent):
  * for each success scenario a "block" of packets [i, j) is chosen once: no SYN/FIN/RST, no
    retransmission, and at both cut points both directions' byte streams sit exactly on a PDU
    boundary (TLS record, TPKT or fast-path PDU), so the repeated bytes are whole PDUs;
  * the block is emitted again `reps` times right after itself, every copy shifted by the block's
    byte length in each direction (seq and ack), and the rest of the connection (the close) is
    shifted by reps * block bytes. Reassembly therefore sees gap-free in-order streams.
  * timestamps: copies are spread evenly over the session's duration (lognormal, about
    --mean-session seconds), so long sessions overlap and the number of connections open at
    once stays about connections * mean_session / duration.

Caveat for --keylog runs: a repeated TLS record carries the same bytes as the original, so its
record sequence number (TLS 1.3 nonce, TLS 1.2 AEAD additional data) no longer matches: with the
key log, the handshake and the first copy of the block decrypt; later copies fail to
authenticate (tls.decrypt.bad_record_mac once per direction, then metadata only).

Key log: replicated TLS connections keep their client random, so every copy of one lab session
uses the same key-log line; the combined key log (--keylog-out) is the union of the used
scenarios' keys.log files, duplicates removed (one line serves all copies).

Python 3 standard library only. Same arguments and seed => byte-identical output.
"""

import argparse
import heapq
import math
import os
import random
import struct
import sys

PCAP_HDR = struct.Struct("<IHHiIII")
REC_HDR = struct.Struct("<IIII")

# Scenario mix: (name, weight). Successes get bulk stretching; failures are copied as they are.
SUCCESS = [
    ("tls13-success", 30),
    ("nla-success", 30),
    ("tls12-success", 20),
    ("tls-nonstandard-port", 6),
    ("rdp-security-success", 7),
    ("rdp-security-noencryption", 7),
]


class Packet:
    __slots__ = ("ts", "frame", "flow", "dir", "flags", "seq", "ack", "plen", "ip_off", "tcp_off")


class Scenario:
    def __init__(self, name, path):
        self.name = name
        self.packets = []
        self.flows = []  # per flow: dict(client_port, server_port)
        self.block = None  # (i, j, bytes_c2s, bytes_s2c, span_us)
        self.keys = []
        self._load(path)

    def _load(self, path):
        with open(path, "rb") as f:
            data = f.read()
        magic, _, _, _, _, _, linktype = PCAP_HDR.unpack_from(data, 0)
        if magic != 0xA1B2C3D4 or linktype != 1:
            raise SystemExit(f"{path}: only little-endian microsecond Ethernet pcap is supported")
        pos = PCAP_HDR.size
        flow_of = {}
        t0 = None
        while pos + REC_HDR.size <= len(data):
            sec, usec, caplen, _wirelen = REC_HDR.unpack_from(data, pos)
            frame = data[pos + 16:pos + 16 + caplen]
            pos += 16 + caplen
            if frame[12:14] != b"\x08\x00":
                continue
            ihl = (frame[14] & 0x0F) * 4
            if frame[23] != 6:
                continue  # the lab captures are TCP only
            tcp = 14 + ihl
            sport, dport, seq, ack = struct.unpack_from("!HHII", frame, tcp)
            doff = (frame[tcp + 12] >> 4) * 4
            flags = frame[tcp + 13]
            total = struct.unpack_from("!H", frame, 16)[0]
            plen = total - ihl - doff
            key = (min(sport, dport), max(sport, dport))
            if key not in flow_of:
                # Server = destination of the first SYN; otherwise the lower / well-known port.
                if flags & 0x02 and not flags & 0x10:
                    server = dport
                elif flags & 0x02:
                    server = sport
                else:
                    server = dport if dport in (3389, 13389) else sport
                flow_of[key] = len(self.flows)
                self.flows.append({"server_port": server,
                                   "client_port": sport if server == dport else dport})
            p = Packet()
            ts = sec * 1_000_000 + usec
            if t0 is None:
                t0 = ts
            p.ts = ts - t0
            p.frame = frame
            p.flow = flow_of[key]
            p.dir = 0 if sport == self.flows[p.flow]["client_port"] else 1
            p.flags = flags
            p.seq = seq
            p.ack = ack
            p.plen = plen
            p.ip_off = 14
            p.tcp_off = tcp
            self.packets.append(p)
        self.duration = self.packets[-1].ts if self.packets else 0
        self.bytes = sum(len(p.frame) + 16 for p in self.packets)
        keys = os.path.join(os.path.dirname(path), "keys.log")
        if os.path.exists(keys):
            with open(keys) as f:
                self.keys = [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")]

    def choose_block(self):
        """Finds the bulk block [i, j) of the (single-flow) success session."""
        if len(self.flows) != 1:
            return
        pk = self.packets
        # Per direction: the stream bytes placed at their offsets (the loopback captures hold a
        # few segments out of capture order), and each data packet's start offset.
        streams = [bytearray(), bytearray()]
        start = []
        isn = [None, None]
        for p in pk:
            if p.flags & 0x02:
                isn[p.dir] = (p.seq + 1) & 0xFFFFFFFF
            if p.plen > 0:
                if isn[p.dir] is None:
                    isn[p.dir] = p.seq
                rel = (p.seq - isn[p.dir]) & 0xFFFFFFFF
                if rel > 1 << 24:
                    return
                start.append(rel)
                s = streams[p.dir]
                if len(s) < rel + p.plen:
                    s.extend(bytes(rel + p.plen - len(s)))
                d = p.tcp_off + (p.frame[p.tcp_off + 12] >> 4) * 4
                s[rel:rel + p.plen] = p.frame[d:d + p.plen]
            else:
                start.append(None)
        bounds = [pdu_boundaries(bytes(s)) for s in streams]
        # A cut before packet q is clean when, in both directions, the packets before q hold
        # exactly the bytes [0, X), the packets from q on start at X or later, and X is a PDU
        # boundary.
        n = len(pk)
        pre = [[0] * (n + 1), [0] * (n + 1)]
        suf = [[1 << 62] * (n + 1), [1 << 62] * (n + 1)]
        for q, p in enumerate(pk):
            for d in (0, 1):
                pre[d][q + 1] = pre[d][q]
            if start[q] is not None:
                pre[p.dir][q + 1] = max(pre[p.dir][q], start[q] + p.plen)
        for q in range(n - 1, -1, -1):
            p = pk[q]
            for d in (0, 1):
                suf[d][q] = suf[d][q + 1]
            if start[q] is not None:
                suf[p.dir][q] = min(suf[p.dir][q + 1], start[q])
        cuts = []
        for q in range(n):
            ok = all(pre[d][q] <= suf[d][q] and pre[d][q] in bounds[d] for d in (0, 1))
            cuts.append((q, pre[0][q], pre[1][q], ok))
        close = next((q for q, p in enumerate(pk) if p.flags & 0x05), len(pk))
        clean = [c for c in cuts if c[3] and c[0] <= close]
        if len(clean) < 2:
            return
        j_cut = clean[-1]
        j = j_cut[0]
        want = j // 2
        for c in clean:
            if c[0] >= want and j - c[0] >= 8:
                i_cut = c
                break
        else:
            return
        i = i_cut[0]
        for q in range(i, j):
            p = pk[q]
            if p.flags & 0x07:
                return
        b0 = j_cut[1] - i_cut[1]
        b1 = j_cut[2] - i_cut[2]
        if b0 + b1 == 0:
            return
        span = pk[j - 1].ts - pk[i].ts
        self.block = (i, j, b0, b1, span)
        self.block_frame_bytes = sum(len(pk[q].frame) + 16 for q in range(i, j))


def pdu_boundaries(stream):
    """Offsets where an RDP-over-TCP PDU starts: TPKT, TLS record or fast-path PDU."""
    out = {0}
    pos = 0
    n = len(stream)
    while pos < n:
        b = stream[pos]
        if b == 0x03 and pos + 4 <= n:  # TPKT, [T.123] 8 / [MS-RDPBCGR] 2.2.1.1
            length = (stream[pos + 2] << 8) | stream[pos + 3]
        elif 20 <= b <= 24 and pos + 5 <= n and stream[pos + 1] == 3:  # TLS record (RFC 8446 5.1)
            length = 5 + ((stream[pos + 3] << 8) | stream[pos + 4])
        elif b & 0x03 == 0 and pos + 2 <= n:  # fast-path, [MS-RDPBCGR] 2.2.9.1.2
            l1 = stream[pos + 1]
            if l1 & 0x80:
                if pos + 3 > n:
                    break
                length = ((l1 & 0x7F) << 8) | stream[pos + 2]
            else:
                length = l1
        else:
            break
        if length <= 0:
            break
        pos += length
        out.add(pos)
    return out


def ip_checksum(hdr):
    s = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def connection_packets(sc, conn):
    """Yields (ts_us, frame) of one rewritten connection, in time order."""
    cip, sip = conn["client_ip"], conn["server_ip"]
    ports = conn["ports"]          # per flow: new client port
    offs = conn["seq_off"]         # per flow: [c2s, s2c]
    t0 = conn["start"]
    reps = conn["reps"]
    spacing = conn["spacing"]
    block = sc.block if reps > 0 else None

    def rewrite(p, extra0, extra1, ts):
        f = bytearray(p.frame)
        fl = sc.flows[p.flow]
        if p.dir == 0:
            src, dst = cip, sip
            sp, dp = ports[p.flow], fl["server_port"]
            ex_self, ex_peer = extra0, extra1
        else:
            src, dst = sip, cip
            sp, dp = fl["server_port"], ports[p.flow]
            ex_self, ex_peer = extra1, extra0
        f[26:30] = src
        f[30:34] = dst
        f[24:26] = b"\x00\x00"
        ihl = (f[14] & 0x0F) * 4
        f[24:26] = struct.pack("!H", ip_checksum(bytes(f[14:14 + ihl])))
        t = p.tcp_off
        o = offs[p.flow]
        seq = (p.seq + o[p.dir] + ex_self) & 0xFFFFFFFF
        ack = p.ack
        if p.flags & 0x10:
            ack = (ack + o[1 - p.dir] + ex_peer) & 0xFFFFFFFF
        struct.pack_into("!HHII", f, t, sp, dp, seq, ack)
        return (t0 + ts, bytes(f))

    pk = sc.packets
    if block is None:
        for p in pk:
            yield rewrite(p, 0, 0, p.ts)
        return
    i, j, b0, b1, span = block
    for q in range(j):
        yield rewrite(pk[q], 0, 0, pk[q].ts)
    base = pk[j - 1].ts
    compress = 1.0 if span <= spacing * 0.8 or span == 0 else spacing * 0.8 / span
    for r in range(1, reps + 1):
        rbase = base + int(r * spacing)
        for q in range(i, j):
            p = pk[q]
            yield rewrite(p, r * b0, r * b1, rbase + int((p.ts - pk[i].ts) * compress))
    shift = int(reps * spacing)
    for q in range(j, len(pk)):
        yield rewrite(pk[q], reps * b0, reps * b1, pk[q].ts + shift)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output", help="pcap file to write")
    ap.add_argument("--captures", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "captures"))
    ap.add_argument("--connections", type=int, default=10000)
    ap.add_argument("--bytes", default="2G", help="target file size (K/M/G suffixes), reached by stretching bulk")
    ap.add_argument("--duration", type=float, default=7200.0, help="capture time span in seconds")
    ap.add_argument("--mean-session", type=float, default=300.0, help="mean success session length, s")
    ap.add_argument("--success-share", type=float, default=0.8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keylog-out", help="also write the combined key log here")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()

    target = parse_size(a.bytes)
    rng = random.Random(a.seed)
    cap_dir = os.path.normpath(a.captures)
    names = sorted(d for d in os.listdir(cap_dir) if os.path.exists(os.path.join(cap_dir, d, "capture.pcap")))
    if not names:
        raise SystemExit(f"no captures under {cap_dir}")
    scen = {n: Scenario(n, os.path.join(cap_dir, n, "capture.pcap")) for n in names}
    success = [(n, w) for n, w in SUCCESS if n in scen]
    for n, _ in success:
        scen[n].choose_block()
    success = [(n, w) for n, w in success if scen[n].block is not None]
    failures = [n for n in names if n not in dict(SUCCESS)]
    if not success:
        raise SystemExit("no success scenario with a usable bulk block")

    # Plan the connections.
    conns = []
    total_w = sum(w for _, w in success)
    for k in range(a.connections):
        if rng.random() < a.success_share or not failures:
            x = rng.random() * total_w
            for n, w in success:
                x -= w
                if x < 0:
                    break
            is_success = True
        else:
            n = failures[rng.randrange(len(failures))]
            is_success = False
        sc = scen[n]
        length = rng.lognormvariate(math.log(a.mean_session) - 0.5, 1.0) if is_success else 0.0
        length = min(length, a.duration * 0.5)
        conns.append({"k": k, "scenario": n, "success": is_success, "length": length})

    base = sum(scen[c["scenario"]].bytes for c in conns) + PCAP_HDR.size
    budget = max(0, target - base)
    weights = [c["length"] if c["success"] else 0.0 for c in conns]
    wsum = sum(weights) or 1.0
    for c, w in zip(conns, weights):
        sc = scen[c["scenario"]]
        reps = 0
        if c["success"]:
            reps = int(round(budget * w / wsum / sc.block_frame_bytes))
        c["reps"] = reps
        c["spacing"] = (c["length"] * 1e6 / reps) if reps > 0 else 0.0
        total_len = sc.duration + reps * c["spacing"]
        c["start"] = int(rng.random() * max(1.0, a.duration * 1e6 - total_len))
        # Addresses: clients 10.0.0.0/8 (one per connection), servers 192.168.x.y (a pool of 64).
        c["client_ip"] = bytes([10, (k >> 16) & 0xFF, (k >> 8) & 0xFF, (k & 0xFF) or 1])
        srv = rng.randrange(64)
        c["server_ip"] = bytes([192, 168, 10 + srv // 16, 10 + srv % 16])
        base_port = 1024 + rng.randrange(60000)
        c["ports"] = [1024 + (base_port - 1024 + 7 * f) % 64000 for f in range(len(sc.flows))]
        c["seq_off"] = [[rng.getrandbits(32), rng.getrandbits(32)] for _ in sc.flows]

    # Stream the merge: one lazy generator per connection, a heap keyed by (time, connection).
    out = open(a.output, "wb", buffering=8 << 20)
    out.write(PCAP_HDR.pack(0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
    heap = []
    gens = []
    for c in conns:
        g = connection_packets(scen[c["scenario"]], c)
        gens.append(g)
        first = next(g, None)
        if first is not None:
            heap.append((first[0], c["k"], first[1]))
    heapq.heapify(heap)
    packets = 0
    written = PCAP_HDR.size
    pack = REC_HDR.pack
    write = out.write
    while heap:
        ts, k, frame = heap[0]
        n = len(frame)
        write(pack(ts // 1_000_000, ts % 1_000_000, n, n))
        write(frame)
        packets += 1
        written += 16 + n
        nxt = next(gens[k], None)
        if nxt is None:
            heapq.heappop(heap)
        else:
            heapq.heapreplace(heap, (nxt[0], k, nxt[1]))
        if not a.quiet and packets % 500000 == 0:
            print(f"  {packets} packets, {written / 1e6:.0f} MB", file=sys.stderr)
    out.close()

    if a.keylog_out:
        seen = set()
        lines = []
        for n in sorted({c["scenario"] for c in conns}):
            for line in scen[n].keys:
                if line not in seen:
                    seen.add(line)
                    lines.append(line)
        fd = os.open(a.keylog_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("# combined key log of the lab sessions replicated in %s\n" % os.path.basename(a.output))
            f.write("# every replicated connection keeps its client random: one line serves all copies\n")
            for line in lines:
                f.write(line + "\n")

    mix = {}
    for c in conns:
        mix[c["scenario"]] = mix.get(c["scenario"], 0) + 1
    # Concurrency estimate: connections open at the midpoint of the capture.
    mid = a.duration * 1e6 / 2
    open_mid = sum(1 for c in conns
                   if c["start"] <= mid <= c["start"] + scen[c["scenario"]].duration + c["reps"] * c["spacing"])
    if not a.quiet:
        print(f"{a.output}: {packets} packets, {written} bytes, {len(conns)} connections "
              f"({sum(1 for c in conns if c['success'])} successes), about {open_mid} open at mid-capture",
              file=sys.stderr)
        for n in sorted(mix):
            blk = scen[n].block
            print(f"  {n:40s} {mix[n]:6d}" + (f"  bulk block packets {blk[0]}..{blk[1]} "
                                              f"({blk[2]}+{blk[3]} bytes)" if blk and n in dict(success) else ""),
                  file=sys.stderr)


def parse_size(s):
    s = s.strip().upper()
    mult = 1
    for suf, m in (("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30)):
        if s.endswith(suf):
            s, mult = s[:-1], m
    return int(float(s) * mult)


if __name__ == "__main__":
    main()
