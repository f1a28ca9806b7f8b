#!/usr/bin/env python3
"""Builds the libFuzzer seed corpora from the lab captures (captures/*/capture.pcap) and the
built-in rules. Deterministic; every seed is small (<= 16 KiB). Not committed: tools/fuzz.sh
regenerates them into the build directory.

Usage: make_seeds.py SOURCE_DIR OUT_DIR
Writes OUT_DIR/<target>/<name> for every fuzz target (see tests/fuzz/CMakeLists.txt). Decrypted
CredSSP / SPNEGO / NTLM seeds are added when tshark is installed (it decrypts with keys.log)."""
import hashlib
import os
import re
import shutil
import subprocess
import sys

SRC = sys.argv[1]
OUT = sys.argv[2]
sys.path.insert(0, os.path.join(SRC, "tools", "hostile"))
import pcaplib  # noqa: E402

MAX = 16384


def put(target, data, limit=MAX):
    data = bytes(data[:limit])
    if not data:
        return
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def tpkt_frames(stream):
    """Splits one direction's bytes into TPKT frames (stops at the first non-TPKT byte)."""
    frames = []
    pos = 0
    while pos + 4 <= len(stream) and stream[pos] == 3:
        n = (stream[pos + 2] << 8) | stream[pos + 3]
        if n < 4 or pos + n > len(stream):
            break
        frames.append(stream[pos:pos + n])
        pos += n
    return frames, pos


def per_length(b, i):
    if b[i] & 0x80:
        return ((b[i] & 0x3F) << 8) | b[i + 1], i + 2
    return b[i], i + 1


def main():
    caps = sorted(os.path.join(SRC, "captures", d, "capture.pcap")
                  for d in os.listdir(os.path.join(SRC, "captures"))
                  if os.path.isfile(os.path.join(SRC, "captures", d, "capture.pcap")))
    for cap in caps:
        # Whole pipeline: small captures whole, larger ones cut to 16 KiB (a damaged file, too).
        put("fuzz_pcap_pipeline", open(cap, "rb").read())
        for conn in pcaplib.tcp_streams(cap):
            if not conn:
                continue
            put("fuzz_rdp_connection", pcaplib.chunk_encode(conn))
            streams = [b"".join(p for d, p in conn if d == k) for k in (0, 1)]
            # TLS: each direction from its first handshake record on.
            tls = []
            for d, p in conn:
                tls.append((d, p))
            for k in (0, 1):
                i = streams[k].find(b"\x16\x03")
                if i >= 0:
                    rest = streams[k][i:]
                    put("fuzz_tls", pcaplib.chunk_encode([(k, rest[:MAX])]))
            both = []
            for k in (0, 1):
                i = streams[k].find(b"\x16\x03")
                if i >= 0:
                    both.append((k, streams[k][i:i + 6000]))
            if len(both) == 2:
                put("fuzz_tls", pcaplib.chunk_encode(both))
            for k in (0, 1):
                frames, _ = tpkt_frames(streams[k])
                for fr in frames[:40]:
                    code = fr[5] & 0xF0 if len(fr) > 5 else 0
                    sel = {0xE0: 0, 0xD0: 1, 0x80: 2, 0x70: 3}.get(code, 4)
                    put("fuzz_tpkt_x224", bytes([sel]) + fr[4:])
                    put("fuzz_tpkt_x224", bytes([sel]) + fr)
                    if code != 0xF0 or len(fr) < 8:
                        continue
                    mcs = fr[7:]
                    if mcs[:2] == b"\x7f\x65":
                        put("fuzz_mcs", b"\x00" + mcs)
                        put("fuzz_mcs", b"\x07" + mcs)
                    elif mcs[:2] == b"\x7f\x66":
                        put("fuzz_mcs", b"\x01" + mcs)
                    else:
                        put("fuzz_mcs", b"\x02" + mcs)
                    j = mcs.find(b"\x00\x05\x00\x14\x7c\x00\x01")
                    if j >= 0:
                        put("fuzz_gcc", (b"\x00" if mcs[1] == 0x65 else b"\x01") + mcs[j:])
                        # User data blocks after the H.221 key ("Duca" / "McDn") and PER length.
                        for key in (b"Duca", b"McDn"):
                            h = mcs.find(key, j)
                            if h < 0:
                                continue
                            try:
                                _, p = per_length(mcs, h + 4)
                            except IndexError:
                                continue
                            while p + 4 <= len(mcs):
                                t = mcs[p] | (mcs[p + 1] << 8)
                                n = mcs[p + 2] | (mcs[p + 3] << 8)
                                if n < 4:
                                    break
                                blk = mcs[p:p + n]
                                sel = {0xC001: 2, 0xC002: 3, 0xC003: 4, 0xC004: 5, 0xC005: 6,
                                       0x0C01: 8, 0x0C02: 9, 0x0C03: 10, 0x0C04: 11}.get(t, 7)
                                put("fuzz_gcc", bytes([sel]) + blk)
                                put("fuzz_gcc", bytes([sel]) + blk[4:])
                                if t == 0x0C02 and len(blk) > 20:
                                    put("fuzz_gcc", b"\x0c" + blk[20:])
                                p += n
                    # Licensing: SEC_LICENSE_PKT on an MCS Send Data Request/Indication.
                    if mcs and mcs[0] in (0x64, 0x68) and len(mcs) > 8:
                        try:
                            _, p = per_length(mcs, 6)
                        except IndexError:
                            continue
                        if p + 4 <= len(mcs) and mcs[p] & 0x80 and not mcs[p] & 0x08:
                            put("fuzz_licensing", (b"\x01" if mcs[0] == 0x64 else b"\x00") +
                                mcs[p + 4:])
    # Rules: the built-in file, whole and in rule-sized pieces.
    rules = open(os.path.join(SRC, "rules", "rdp.rules"), "rb").read()
    for i, piece in enumerate(re.split(rb"\n(?=rule )", rules)):
        if i < 200:
            put("fuzz_rules", piece)
    put("fuzz_rules", rules)
    # Key logs (lab secrets only) and a key-log line shape for each label.
    for d in sorted(os.listdir(os.path.join(SRC, "captures"))):
        kl = os.path.join(SRC, "captures", d, "keys.log")
        if os.path.isfile(kl):
            put("fuzz_keylog", open(kl, "rb").read())
    put("fuzz_keylog", b"# comment\nCLIENT_RANDOM " + b"ab" * 32 + b" " + b"cd" * 48 + b"\n")
    put("fuzz_keylog", b"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
    # Decrypted CredSSP (needs tshark and a key log): TSRequests, NTLM messages.
    if shutil.which("tshark"):
        for d in sorted(os.listdir(os.path.join(SRC, "captures"))):
            cap = os.path.join(SRC, "captures", d, "capture.pcap")
            kl = os.path.join(SRC, "captures", d, "keys.log")
            if not (os.path.isfile(cap) and os.path.isfile(kl)) or not re.search("nla|hybrid", d):
                continue
            try:
                out = subprocess.run(
                    ["tshark", "-r", cap, "-o", "tls.keylog_file:" + kl, "-d",
                     "tcp.port==3389,tls", "-Y", "credssp", "-x"],
                    capture_output=True, text=True, timeout=60).stdout
            except (OSError, subprocess.TimeoutExpired):
                out = ""
            # "Decrypted TLS (N bytes):" blocks of the hex dump.
            plain = []
            cur = None
            for line in out.splitlines():
                if line.startswith("Decrypted TLS"):
                    cur = bytearray()
                    plain.append(cur)
                    continue
                m = re.match(r"^[0-9a-f]{4}  ((?:[0-9a-f]{2} )*[0-9a-f]{2})", line)
                if cur is not None and m:
                    cur += bytes.fromhex(m.group(1).replace(" ", ""))
                else:
                    cur = None
            plain = [bytes(p) for p in plain]
            for p in plain:
                if p[:1] == b"\x30":
                    put("fuzz_credssp", p)
                    put("fuzz_spnego", p)
                i = p.find(b"NTLMSSP\x00")
                if i >= 0:
                    put("fuzz_ntlm", p[i:])
                    put("fuzz_spnego", p[i:])
    # Kerberos: no KDC in the lab; minimal hand-made shapes ([RFC 4120] 5.5.1 AP-REQ, 5.9.1 KRB-ERROR).
    put("fuzz_kerberos", bytes.fromhex("6e0f300da003020105a10302010ea2020500"))
    put("fuzz_kerberos", bytes.fromhex("7e1b3019a003020105a10302011ea411180f32303234303130313030303030305a"))
    put("fuzz_kerberos", bytes.fromhex("601306092a864886f71201020201006e05300302010e"))
    put("fuzz_spnego", bytes.fromhex("6020 06062b0601050502 a0163014a00e300c060a2b06010401823702020a".replace(" ", "")))
    for t in ("fuzz_rdp_connection", "fuzz_tls", "fuzz_tpkt_x224", "fuzz_mcs", "fuzz_gcc",
              "fuzz_credssp", "fuzz_spnego", "fuzz_ntlm", "fuzz_kerberos", "fuzz_licensing",
              "fuzz_rules", "fuzz_keylog", "fuzz_pcap_pipeline"):
        os.makedirs(os.path.join(OUT, t), exist_ok=True)
        d = os.path.join(OUT, t)
        print("%-22s %4d seeds" % (t, len(os.listdir(d))))


if __name__ == "__main__":
    main()
