#!/usr/bin/python3
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

Re-encryption (--keylog-out): a repeated TLS record with its original bytes would carry the
wrong record sequence number (TLS 1.3 nonce, TLS 1.2 AEAD additional data) and fail to
authenticate under the key log. So when --keylog-out is given, every protected record of a
replicated block copy, and of the rest of the session after the copies, is re-encrypted for the
sequence number it now has in its direction: decrypted with its original number, encrypted again
with the new one (same plaintext and length, so TCP and framing do not change). Supported: TLS 1.3
AES-GCM / ChaCha20-Poly1305 suites (RFC 8446 5.2, 5.3, 7.1) and TLS 1.2 AES-GCM (RFC 5288; the
explicit nonce becomes the new sequence number, as OpenSSL does) and ChaCha20-Poly1305 (RFC 7905),
with the session's keys in the scenario's keys.log. Original sequence numbers are found by
decrypting the original session's records in order (TLS 1.3: the first record that opens with the
application traffic key at 0 is number 0; TLS 1.2: the Finished after ChangeCipherSpec is 0).
Other sessions (CBC suites, no keys, Standard RDP Security) are replicated as they are, so their
copies after the first fail to authenticate (tls.decrypt.bad_record_mac). Re-encryption needs the
`cryptography` module (Debian: python3-cryptography, for /usr/bin/python3); --no-reencrypt
replicates the bytes unchanged as before.

Key log: replicated TLS connections keep their client random, so every copy of one lab session
uses the same key-log line; the combined key log (--keylog-out) is the union of the used
scenarios' keys.log files, duplicates removed (one line serves all copies).

Python 3 standard library, plus `cryptography` for the re-encryption. Same arguments and seed =>
byte-identical output.
"""

import argparse
import hashlib
import heapq
import hmac
import math
import os
import random
import struct
import sys

try:  # only for re-encrypting replicated TLS records (--keylog-out): Debian python3-cryptography
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
    from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
    CRYPTO_ERROR = None
except ImportError as e:  # pragma: no cover - depends on the interpreter
    CRYPTO_ERROR = e

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
        self.rekey = None  # TlsRekey when the replicated TLS records are re-encrypted
        self.rekey_note = ""  # why not, when not
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
        # Kept for the re-encryption: streams, packet start offsets, block byte range per direction.
        self.streams = [bytes(s) for s in streams]
        self.starts = start
        self.block_range = ((i_cut[1], j_cut[1]), (i_cut[2], j_cut[2]))


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


# ---- Re-encryption of replicated TLS records ---------------------------------------------------

# TLS 1.3 suites (RFC 8446 B.4): suite -> (AEAD, key length, HKDF hash). CCM suites: not supported.
TLS13_SUITES = {0x1301: ("gcm", 16, "sha256"), 0x1302: ("gcm", 32, "sha384"),
                0x1303: ("chacha", 32, "sha256")}
# TLS 1.2 AEAD suites: suite -> (AEAD, key length, PRF hash). AES-GCM: RFC 5288, 5289, 5487 (the
# *_SHA384 suites use SHA-384 for the PRF); ChaCha20-Poly1305: RFC 7905 (SHA-256).
TLS12_SUITES = {}
for _s in (0x009C, 0x009E, 0x00A0, 0x00A2, 0x00A4, 0x00A6, 0x00A8, 0x00AA, 0x00AC,
           0xC02B, 0xC02D, 0xC02F, 0xC031):
    TLS12_SUITES[_s] = ("gcm", 16, "sha256")
for _s in (0x009D, 0x009F, 0x00A1, 0x00A3, 0x00A5, 0x00A7, 0x00A9, 0x00AB, 0x00AD,
           0xC02C, 0xC02E, 0xC030, 0xC032):
    TLS12_SUITES[_s] = ("gcm", 32, "sha384")
for _s in range(0xCCA8, 0xCCAF):
    TLS12_SUITES[_s] = ("chacha", 32, "sha256")
# ServerHello.random of a HelloRetryRequest (RFC 8446 4.1.3).
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")


class Unsupported(Exception):
    pass


def hkdf_expand_label(hash_name, secret, label, length):
    """HKDF-Expand-Label(Secret, Label, "", Length), RFC 8446 7.1."""
    full = b"tls13 " + label
    info = struct.pack("!HB", length, len(full)) + full + b"\x00"
    algo = hashes.SHA384() if hash_name == "sha384" else hashes.SHA256()
    return HKDFExpand(algo, length, info).derive(secret)


def tls12_prf(hash_name, secret, label, seed, length):
    """PRF(secret, label, seed) = P_<hash>(secret, label + seed), RFC 5246 5."""
    seed = label + seed
    h = getattr(hashlib, hash_name)
    out = b""
    a = seed
    while len(out) < length:
        a = hmac.new(secret, a, h).digest()
        out += hmac.new(secret, a + seed, h).digest()
    return out[:length]


class Tls13Protection:
    """One direction's application traffic key (RFC 8446 5.2, 5.3, 7.3)."""

    def __init__(self, aead, key_len, hash_name, secret):
        key = hkdf_expand_label(hash_name, secret, b"key", key_len)
        self.iv = int.from_bytes(hkdf_expand_label(hash_name, secret, b"iv", 12), "big")
        self.aead = (AESGCM if aead == "gcm" else ChaCha20Poly1305)(key)

    def open(self, seq, hdr, body):
        try:  # additional data = the 5-byte record header
            return self.aead.decrypt((self.iv ^ seq).to_bytes(12, "big"), body, hdr)
        except InvalidTag:
            return None

    def seal(self, seq, hdr, plain):
        return self.aead.encrypt((self.iv ^ seq).to_bytes(12, "big"), plain, hdr)


class Tls12Protection:
    """One direction's TLS 1.2 AEAD write key: AES-GCM (RFC 5288 3: nonce = salt(4) ||
    explicit(8), sent before the ciphertext) or ChaCha20-Poly1305 (RFC 7905 2: nonce = IV(12) XOR
    sequence number). Additional data = seq(8) || type || version || plaintext length (RFC 5246
    6.2.3.3)."""

    def __init__(self, aead, key, iv):
        self.gcm = aead == "gcm"
        self.aead = (AESGCM if self.gcm else ChaCha20Poly1305)(key)
        self.iv = iv if self.gcm else int.from_bytes(iv, "big")

    def open(self, seq, hdr, body):
        over = 24 if self.gcm else 16
        if len(body) < over:
            return None
        aad = struct.pack("!Q", seq) + hdr[:3] + struct.pack("!H", len(body) - over)
        try:
            if self.gcm:
                return self.aead.decrypt(self.iv + body[:8], body[8:], aad)
            return self.aead.decrypt((self.iv ^ seq).to_bytes(12, "big"), body, aad)
        except InvalidTag:
            return None

    def seal(self, seq, hdr, plain):
        aad = struct.pack("!Q", seq) + hdr[:3] + struct.pack("!H", len(plain))
        if self.gcm:  # explicit nonce = the sequence number, as OpenSSL does: unique per record
            explicit = struct.pack("!Q", seq)
            return explicit + self.aead.encrypt(self.iv + explicit, plain, aad)
        return self.aead.encrypt((self.iv ^ seq).to_bytes(12, "big"), plain, aad)


def tls_start(stream):
    """Offset of the first TLS record: after the X.224 TPKTs ([MS-RDPBCGR] 5.4.5.1), if any."""
    pos = 0
    n = len(stream)
    while pos + 4 <= n and stream[pos] == 3 and stream[pos + 1] == 0:
        length = (stream[pos + 2] << 8) | stream[pos + 3]
        if length < 4:
            break
        pos += length
    if stream[pos:pos + 2] == b"\x16\x03":
        return pos
    k = stream.find(b"\x16\x03")
    return k if k >= 0 else None


def tls_records(stream, pos):
    """The complete TLS records from pos on: (offset, content type, length)."""
    out = []
    n = len(stream)
    while pos is not None and pos + 5 <= n:
        t = stream[pos]
        if not 20 <= t <= 24 or stream[pos + 1] != 3:
            break
        length = (stream[pos + 3] << 8) | stream[pos + 4]
        if pos + 5 + length > n:
            break
        out.append((pos, t, length))
        pos += 5 + length
    return out


def find_hello(stream, recs, want):
    """Body of the first handshake message of type `want` (1 ClientHello, 2 ServerHello that is
    not a HelloRetryRequest) in the cleartext handshake records."""
    buf = bytearray()
    for pos, t, length in recs:
        if t == 23:
            break
        if t != 22:
            continue
        buf += stream[pos + 5:pos + 5 + length]
        k = 0
        while k + 4 <= len(buf):
            mt = buf[k]
            ml = int.from_bytes(buf[k + 1:k + 4], "big")
            if k + 4 + ml > len(buf):
                break
            body = bytes(buf[k + 4:k + 4 + ml])
            if mt == want and len(body) >= 38 and not (want == 2 and body[2:34] == HRR_RANDOM):
                return body
            k += 4 + ml
    return None


def parse_server_hello(body):
    """(server random, cipher suite, TLS 1.3?) of a ServerHello (RFC 5246 7.4.1.3, RFC 8446 4.1.3)."""
    random_ = body[2:34]
    p = 35 + body[34]
    suite = int.from_bytes(body[p:p + 2], "big")
    p += 3
    tls13 = False
    if p + 2 <= len(body):
        end = min(len(body), p + 2 + int.from_bytes(body[p:p + 2], "big"))
        p += 2
        while p + 4 <= end:
            et = int.from_bytes(body[p:p + 2], "big")
            el = int.from_bytes(body[p + 2:p + 4], "big")
            if et == 43 and el == 2 and body[p + 4:p + 6] == b"\x03\x04":  # supported_versions
                tls13 = True
            p += 4 + el
    return random_, suite, tls13


class TlsRekey:
    """Re-encrypts the protected TLS records of a replicated session for their new sequence
    numbers: copy r of the block adds r * (records of the block) in each direction, the rest of
    the session after the copies adds reps * that. Raises Unsupported (with the reason) when the
    session cannot be handled."""

    def __init__(self, sc):
        streams = sc.streams
        recs = [tls_records(s, tls_start(s)) for s in streams]
        ch = find_hello(streams[0], recs[0], 1)
        sh = find_hello(streams[1], recs[1], 2)
        if ch is None or sh is None:
            raise Unsupported("no TLS ClientHello/ServerHello")
        client_random = ch[2:34]
        server_random, suite, tls13 = parse_server_hello(sh)
        secrets = {}
        for line in sc.keys:
            f = line.split()
            if len(f) == 3:
                try:
                    secrets[(f[0], bytes.fromhex(f[1]))] = bytes.fromhex(f[2])
                except ValueError:
                    pass
        if tls13:
            if suite not in TLS13_SUITES:
                raise Unsupported("TLS 1.3 suite 0x%04X not supported" % suite)
            aead, key_len, hash_name = TLS13_SUITES[suite]
            prot = []
            for label in ("CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"):
                secret = secrets.get((label, client_random))
                if secret is None:
                    raise Unsupported("no %s in keys.log" % label)
                prot.append(Tls13Protection(aead, key_len, hash_name, secret))
            self.version = "TLS 1.3"
        else:
            if suite not in TLS12_SUITES:
                raise Unsupported("TLS 1.2 suite 0x%04X is not AEAD" % suite)
            aead, key_len, hash_name = TLS12_SUITES[suite]
            master = secrets.get(("CLIENT_RANDOM", client_random))
            if master is None:
                raise Unsupported("no CLIENT_RANDOM in keys.log")
            iv_len = 4 if aead == "gcm" else 12
            kb = tls12_prf(hash_name, master, b"key expansion", server_random + client_random,
                           2 * (key_len + iv_len))  # AEAD: no MAC keys (RFC 5246 6.3)
            ck, sk = kb[:key_len], kb[key_len:2 * key_len]
            civ, siv = kb[2 * key_len:2 * key_len + iv_len], kb[2 * key_len + iv_len:]
            prot = [Tls12Protection(aead, ck, civ), Tls12Protection(aead, sk, siv)]
            self.version = "TLS 1.2"
        self.suite = suite
        self.prot = prot
        self.blk = [[], []]    # per direction: (header, plaintext, original seq) of the block
        self.n = [0, 0]        # protected records per block copy
        self.tail = [[], []]   # per direction: (offset from the block end, header, plaintext, seq)
        self.tail_base = [b"", b""]
        self.base = [0, 0]     # block start offset in the stream
        self.end = [0, 0]      # block end offset
        for d in (0, 1):
            s = streams[d]
            # Original sequence numbers: (offset -> (seq, plaintext)), checked by decryption.
            known = {}
            if tls13:  # protected records are type 23; the first one opening at 0 is number 0
                cand = [r for r in recs[d] if r[1] == 23]
                first = None
                for x, (pos, t, length) in enumerate(cand[:64]):
                    if prot[d].open(0, s[pos:pos + 5], s[pos + 5:pos + 5 + length]) is not None:
                        first = x
                        break
                cand = cand[first:] if first is not None else []
            else:  # everything after ChangeCipherSpec; the Finished is number 0
                ccs = next((x for x, r in enumerate(recs[d]) if r[1] == 20), None)
                cand = recs[d][ccs + 1:] if ccs is not None else []
            for seq, (pos, t, length) in enumerate(cand):
                plain = prot[d].open(seq, s[pos:pos + 5], s[pos + 5:pos + 5 + length])
                if plain is None:
                    break  # KeyUpdate, renegotiation, ...: the rest stays as it is
                known[pos] = (seq, plain)
            a, b = sc.block_range[d]
            self.base[d], self.end[d] = a, b
            pos = a
            for rp, t, length in recs[d]:
                if a <= rp < b:
                    if rp != pos or rp not in known:
                        raise Unsupported("block record at %d (direction %d) not decryptable" % (rp, d))
                    seq, plain = known[rp]
                    if self.blk[d] and seq != self.blk[d][-1][2] + 1:
                        raise Unsupported("block sequence numbers not consecutive")
                    self.blk[d].append((s[rp:rp + 5], plain, seq))
                    pos = rp + 5 + length
                elif rp >= b and rp in known:
                    seq, plain = known[rp]
                    self.tail[d].append((rp - b, s[rp:rp + 5], plain, seq))
            if pos != b:
                raise Unsupported("block (direction %d) is not whole TLS records" % d)
            self.n[d] = len(self.blk[d])
            self.tail_base[d] = s[b:]

    def block_bytes(self, d, r):
        """Direction d's stream bytes of block copy r (r >= 1)."""
        seal = self.prot[d].seal
        add = r * self.n[d]
        out = []
        for hdr, plain, seq in self.blk[d]:
            out.append(hdr)
            out.append(seal(seq + add, hdr, plain))
        return b"".join(out)

    def tail_bytes(self, d, reps):
        """Direction d's stream bytes after the block, behind reps copies."""
        if not self.tail[d]:
            return self.tail_base[d]
        seal = self.prot[d].seal
        add = reps * self.n[d]
        buf = bytearray(self.tail_base[d])
        for off, hdr, plain, seq in self.tail[d]:
            body = seal(seq + add, hdr, plain)
            buf[off + 5:off + 5 + len(body)] = body
        return bytes(buf)


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

    def rewrite(p, extra0, extra1, ts, payload=None):
        f = bytearray(p.frame)
        if payload is not None:  # re-encrypted TLS bytes, same length
            d = p.tcp_off + (f[p.tcp_off + 12] >> 4) * 4
            f[d:d + p.plen] = payload
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
    rk = sc.rekey
    starts = sc.starts
    for q in range(j):
        yield rewrite(pk[q], 0, 0, pk[q].ts)
    base = pk[j - 1].ts
    compress = 1.0 if span <= spacing * 0.8 or span == 0 else spacing * 0.8 / span
    for r in range(1, reps + 1):
        rbase = base + int(r * spacing)
        if rk is not None:
            data = (rk.block_bytes(0, r), rk.block_bytes(1, r))
            org = rk.base
        for q in range(i, j):
            p = pk[q]
            payload = None
            if rk is not None and p.plen > 0:
                o = starts[q] - org[p.dir]
                payload = data[p.dir][o:o + p.plen]
            yield rewrite(p, r * b0, r * b1, rbase + int((p.ts - pk[i].ts) * compress), payload)
    shift = int(reps * spacing)
    if rk is not None:
        data = (rk.tail_bytes(0, reps), rk.tail_bytes(1, reps))
        org = rk.end
    for q in range(j, len(pk)):
        p = pk[q]
        payload = None
        if rk is not None and p.plen > 0:
            o = starts[q] - org[p.dir]
            payload = data[p.dir][o:o + p.plen]
        yield rewrite(p, reps * b0, reps * b1, p.ts + shift, payload)


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
    ap.add_argument("--keylog-out", help="also write the combined key log here, and re-encrypt the "
                    "replicated TLS records for their new sequence numbers (needs `cryptography`)")
    ap.add_argument("--no-reencrypt", action="store_true",
                    help="with --keylog-out: replicate TLS records unchanged (copies after the first "
                    "then fail to authenticate)")
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
    if a.keylog_out and not a.no_reencrypt:
        if CRYPTO_ERROR is not None:
            raise SystemExit(
                f"gen_corpus.py: --keylog-out re-encrypts the replicated TLS records, which needs the "
                f"Python module 'cryptography' ({CRYPTO_ERROR}; interpreter {sys.executable}).\n"
                f"Install it (Debian: apt-get install python3-cryptography) and run with "
                f"/usr/bin/python3, or pass --no-reencrypt to replicate the records unchanged.")
        for n, _ in success:
            sc = scen[n]
            if not sc.keys:
                sc.rekey_note = "not re-encrypted: no keys.log"
                continue
            try:
                sc.rekey = TlsRekey(sc)
                sc.rekey_note = "re-encrypted: %s suite 0x%04X, %d+%d records per copy" % (
                    sc.rekey.version, sc.rekey.suite, sc.rekey.n[0], sc.rekey.n[1])
            except Unsupported as e:
                sc.rekey_note = "not re-encrypted: %s" % e
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
                                              f"({blk[2]}+{blk[3]} bytes)" if blk and n in dict(success) else "")
                  + (f"; {scen[n].rekey_note}" if scen[n].rekey_note and n in dict(success) else ""),
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
