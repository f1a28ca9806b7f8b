#!/usr/bin/env bash
# Issue 6 acceptance on real third-party captures (Zeek's test suite, read from ../shared): the
# verdicts must be sensible. Skips when ../shared is absent.
set -euo pipefail
Z="${RDPSCOPE_SHARED_DIR:-${RDPSCOPE_SOURCE_DIR:?}/../shared}/captures/zeek"
[[ -d $Z ]] || { echo "SKIP: $Z not present"; exit 77; }
exec python3 - "$Z" <<'PY'
import json, subprocess, sys, os
z = sys.argv[1]
BIN = os.environ["RDPSCOPE_BIN"]
# capture, connection id, (stage_reached, outcome, diagnosis rule or None)
EXPECT = [
    ("rdp-proprietary-encryption.pcap", 1, ("negotiation", "failed", "neg-ssl-not-allowed")),
    ("rdp-proprietary-encryption.pcap", 2, ("active", "success", None)),
    ("rdp-to-ssl.pcap", 2, ("active", "success", None)),
    ("rdpeudp-handshake-success.pcap", 1, (None, "success", "udp-transport-established")),
    ("rdpeudp2-handshake-success.pcap", 1, (None, "success", "udp-transport-established")),
    ("rdpeudp-handshake-fail.pcap", 1, (None, "failed", "udp-no-answer")),
]
passed = failed = 0
def run(name):
    out = subprocess.run([BIN, "analyze", os.path.join(z, name), "--format", "json", "--no-progress"],
                         capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if '"type":"connection"' in l]
for name, cid, (stage, outcome, rule) in EXPECT:
    conns = {c["id"]: c for c in run(name)}
    c = conns.get(cid)
    got = (c["stage_reached"] if stage else None, c["outcome"], (c["diagnosis"] or {}).get("rule") if rule else None) if c else None
    want = (stage, outcome, rule)
    if got == want:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name} #{cid}: got {got}, want {want}")
# The fallback retry belongs to the same attempt as the refused connection.
conns = run("rdp-proprietary-encryption.pcap")
if len(conns) == 2 and conns[0]["attempt"] == conns[1]["attempt"]:
    passed += 1
else:
    failed += 1
    print("FAIL rdp-proprietary-encryption: refusal and retry are not one attempt")
# Zeek's malformed-input capture: the bad RDP_NEG_RSP length is an anomaly, not a crash.
ids = [e["fields"]["id"] for c in run("rdp-invalid-length.pcap") for e in c["events"] if e["kind"] == "anomaly"]
if "x224.neg_rsp.bad_length" in ids:
    passed += 1
else:
    failed += 1
    print(f"FAIL rdp-invalid-length: anomalies {ids}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
