"""Minimal, deterministic pcap reading/writing for the hostile-capture generator and the fuzz seed
script (python3 stdlib only). Classic pcap (microsecond or nanosecond), Ethernet / Linux SLL /
raw IPv4 / IPv6, TCP only."""
import struct

PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D


class Record:
    __slots__ = ("offset", "ts_sec", "ts_frac", "caplen", "wirelen", "data")

    def __init__(self, offset, ts_sec, ts_frac, caplen, wirelen, data):
        self.offset = offset      # file offset of the 16-byte record header
        self.ts_sec = ts_sec
        self.ts_frac = ts_frac
        self.caplen = caplen
        self.wirelen = wirelen
        self.data = data


def read_pcap(path):
    """Returns (endian, global_header_bytes, linktype, [Record])."""
    raw = open(path, "rb").read()
    magic = struct.unpack("<I", raw[:4])[0]
    if magic in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
        e = "<"
    else:
        e = ">"
    linktype = struct.unpack(e + "I", raw[20:24])[0]
    recs = []
    off = 24
    while off + 16 <= len(raw):
        s, f, cl, wl = struct.unpack(e + "IIII", raw[off:off + 16])
        data = raw[off + 16:off + 16 + cl]
        recs.append(Record(off, s, f, cl, wl, data))
        off += 16 + cl
    return e, raw[:24], linktype, recs


def global_header(linktype=1, snaplen=65535, magic=PCAP_MAGIC_US, major=2, minor=4):
    return struct.pack("<IHHiIII", magic, major, minor, 0, 0, snaplen, linktype)


def record(ts_us, data, caplen=None, wirelen=None):
    cl = len(data) if caplen is None else caplen
    wl = len(data) if wirelen is None else wirelen
    return struct.pack("<IIII", ts_us // 1_000_000, ts_us % 1_000_000, cl, wl) + data


def ip_checksum(header):
    if len(header) % 2:
        header += b"\0"
    s = sum(struct.unpack("!%dH" % (len(header) // 2), header))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


ETH = b"\x00\x11\x22\x33\x44\x55" + b"\x66\x77\x88\x99\xaa\xbb" + b"\x08\x00"
SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10


def tcp_packet(src, dst, sport, dport, seq, ack, flags, payload=b"", ident=0):
    """Ethernet + IPv4 + TCP (checksum left 0: the analyzer does not verify it, like tshark)."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags,
                      64240, 0, 0) + payload
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ident & 0xFFFF, 0x4000, 64,
                               6, 0, bytes(src), bytes(dst)))
    struct.pack_into("!H", ip, 10, ip_checksum(bytes(ip)))
    return ETH + bytes(ip) + tcp


def decode_tcp(linktype, data):
    """Returns (src, dst, sport, dport, seq, ack, flags, payload) or None."""
    if linktype == 1:
        if len(data) < 14:
            return None
        etype = struct.unpack("!H", data[12:14])[0]
        off = 14
        while etype == 0x8100 and len(data) >= off + 4:
            etype = struct.unpack("!H", data[off + 2:off + 4])[0]
            off += 4
    elif linktype == 113:
        if len(data) < 16:
            return None
        etype = struct.unpack("!H", data[14:16])[0]
        off = 16
    elif linktype in (101, 12):
        etype = 0x0800 if data and data[0] >> 4 == 4 else 0x86DD
        off = 0
    else:
        return None
    if etype == 0x0800:
        if len(data) < off + 20:
            return None
        ihl = (data[off] & 0xF) * 4
        total = struct.unpack("!H", data[off + 2:off + 4])[0]
        if data[off + 9] != 6:
            return None
        src, dst = data[off + 12:off + 16], data[off + 16:off + 20]
        end = min(len(data), off + total)
        off += ihl
    elif etype == 0x86DD:
        if len(data) < off + 40 or data[off + 6] != 6:
            return None
        plen = struct.unpack("!H", data[off + 4:off + 6])[0]
        src, dst = data[off + 8:off + 24], data[off + 24:off + 40]
        end = min(len(data), off + 40 + plen)
        off += 40
    else:
        return None
    if len(data) < off + 20:
        return None
    sport, dport, seq, ack, doff, flags = struct.unpack("!HHIIBB", data[off:off + 14])
    payload = data[off + (doff >> 4) * 4:end]
    return src, dst, sport, dport, seq, ack, flags, payload


def tcp_streams(path):
    """Reassembles each TCP connection of a capture, naively (in order of first appearance of
    each sequence number, retransmissions dropped). Returns a list of connections, each a list of
    (direction, payload) chunks in capture order: direction 0 = client to server (SYN sender, or
    the side not on the lower port), 1 = server to client."""
    _, _, lt, recs = read_pcap(path)
    conns = {}
    order = []
    for r in recs:
        t = decode_tcp(lt, r.data)
        if t is None:
            continue
        src, dst, sport, dport, seq, ack, flags, payload = t
        key = tuple(sorted([(src, sport), (dst, dport)]))
        c = conns.get(key)
        if c is None:
            if flags & SYN and not flags & ACK:
                client = (src, sport)
            else:
                client = (src, sport) if sport > dport else (dst, dport)
            c = {"client": client, "next": {}, "chunks": []}
            conns[key] = c
            order.append(key)
        d = 0 if (src, sport) == c["client"] else 1
        if flags & SYN:
            c["next"][d] = (seq + 1) & 0xFFFFFFFF
            continue
        if not payload:
            continue
        nxt = c["next"].get(d)
        if nxt is None:
            nxt = seq
        delta = (seq - nxt) & 0xFFFFFFFF
        if delta >= 0x80000000:  # starts before what we have: keep only the new tail
            back = (nxt - seq) & 0xFFFFFFFF
            if back >= len(payload):
                continue
            payload = payload[back:]
            seq = nxt
        elif delta != 0:
            continue  # out of order / gap: the naive reader drops it
        c["chunks"].append((d, payload))
        c["next"][d] = (seq + len(payload)) & 0xFFFFFFFF
    return [conns[k]["chunks"] for k in order]


def chunk_encode(chunks, limit=16384):
    """Encodes (direction, bytes) chunks in the fuzz_common.h driveSession format."""
    out = bytearray()
    for d, data in chunks:
        while data:
            piece = data[:8191]
            data = data[8191:]
            n = len(piece)
            out += bytes([(d & 1) | ((n & 0x1F) << 3), n >> 5]) + piece
            if len(out) >= limit:
                return bytes(out[:limit])
    return bytes(out)
