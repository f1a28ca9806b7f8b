"""Compares rdpscope's connection table with tshark's TCP conversations.

tshark's conv,tcp table prints bytes with units ("92 kB") once they are large, so frames are
compared from that table and exact byte counts from a per-frame tshark field dump of the same
file (frame.len summed per direction), which is what conv,tcp adds up.
"""
import glob
import json
import os
import re
import subprocess
import sys

BIN = os.environ["RDPSCOPE_BIN"]
SRC = os.environ["RDPSCOPE_SOURCE_DIR"]
SHARED = os.environ.get("RDPSCOPE_SHARED_DIR", os.path.join(SRC, "..", "shared"))

def tshark(args):
    return subprocess.run(["tshark", *args], check=True, capture_output=True, text=True).stdout

def conv_frames(path):
    """{(a, b): (frames a->b, frames b->a)} with a/b as 'ip:port' from conv,tcp."""
    out = {}
    for line in tshark(["-r", path, "-q", "-z", "conv,tcp"]).splitlines():
        m = re.match(r"^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+\S+\s+\S+\s+(\d+)\s+", line)
        if m:
            a, b, left, right = m.group(1), m.group(2), int(m.group(3)), int(m.group(4))
            out[(a, b)] = (right, left)  # "->" = A to B, "<-" = B to A
    return out

def field_bytes(path):
    out = {}
    text = tshark(["-r", path, "-Y", "tcp", "-T", "fields", "-E", "separator=\t",
                   "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport",
                   "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport", "-e", "frame.len"])
    for line in text.splitlines():
        f = line.split("\t")
        src = (f[0] or f[1]).split(",")[-1]
        dst = (f[3] or f[4]).split(",")[-1]
        key = (f"{src}:{f[2]}", f"{dst}:{f[5]}")
        out[key] = out.get(key, 0) + int(f[6])
    return out

def endpoint(e):
    ip = e["ip"]
    return f"[{ip}]:{e['port']}" if ":" in ip else f"{ip}:{e['port']}"

def main():
    files = sorted(glob.glob(os.path.join(SHARED, "captures", "zeek", "*.pcap")))
    files += sorted(glob.glob(os.path.join(SRC, "captures", "*", "capture.pcap")))  # lab only: hostile files are tested elsewhere
    if not files:
        print("SKIP: no captures found")
        return 77
    failures = 0
    checked = 0
    for path in files:
        res = subprocess.run([BIN, "analyze", path, "--format", "json", "--no-progress"],
                             capture_output=True, text=True)
        if res.returncode not in (0, 6):
            print(f"FAIL {path}: exit {res.returncode}: {res.stderr.strip()}")
            failures += 1
            continue
        ours = {}
        for line in res.stdout.splitlines():
            rec = json.loads(line)
            if rec.get("type") != "connection" or rec["transport"] != "tcp":
                continue
            c, s = endpoint(rec["client"]), endpoint(rec["server"])
            ours[frozenset((c, s))] = (c, s, rec["packets"], rec["frame_bytes"])
        theirs = conv_frames(path)
        bytes_by_dir = field_bytes(path)
        # tshark lists every TCP conversation; rdpscope only RDP ones (port 3389 or detected).
        for (a, b), (ab, ba) in theirs.items():
            key = frozenset((a, b))
            if key not in ours:
                if a.endswith(":3389") or b.endswith(":3389"):
                    print(f"FAIL {os.path.basename(path)}: missing connection {a} <-> {b}")
                    failures += 1
                continue
            c, s, pk, fb = ours.pop(key)
            want_ts, want_tc = (ab, ba) if a == c else (ba, ab)
            got = (pk["to_server"], pk["to_client"], fb["to_server"], fb["to_client"])
            want = (want_ts, want_tc, bytes_by_dir.get((c, s), 0), bytes_by_dir.get((s, c), 0))
            checked += 1
            if got != want:
                print(f"FAIL {os.path.basename(path)} {c}->{s}: rdpscope {got} tshark {want}")
                failures += 1
        for c, s, _, _ in ours.values():
            print(f"FAIL {os.path.basename(path)}: rdpscope has {c}->{s}, tshark does not")
            failures += 1
    print(f"tshark conv agreement: {checked} connections checked in {len(files)} captures")
    print(f"{checked - failures} passed, {failures} failed")
    return 1 if failures else 0

sys.exit(main())
