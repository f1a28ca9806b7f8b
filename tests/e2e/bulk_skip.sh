#!/usr/bin/env bash
# Issue 8: with keys, the TLS records of an active session are counted, not decrypted, except its
# first and last few of each direction (tls.records.*.bulk_skipped). Over every lab capture with a key log, compare the default run
# with `--decrypt-all`: the verdict (stage, outcome, rule, client codes), every non-bulk event
# (Set Error Info, disconnects, alerts, anomalies...) and the TLS record counts must be the same;
# skipping must never break decryption of the records after it (no tls.decrypt_failed that
# --decrypt-all does not have); at least one capture must actually skip records.
set -euo pipefail
exec python3 - "${RDPSCOPE_SOURCE_DIR:?}/captures" <<'PY'
import glob, json, os, subprocess, sys

BIN = os.environ["RDPSCOPE_BIN"]
# events.suppressed: the marker that says how many were counted, which differs by design.
BULK = {"tls.application_data", "rdp.fastpath", "rdp.channel_data", "events.suppressed"}

def run(pcap, keys, *extra):
    out = subprocess.run([BIN, "analyze", pcap, "--keylog", keys, "--format", "json", "--no-progress", *extra],
                         capture_output=True, text=True, check=False).stdout
    return [json.loads(l) for l in out.splitlines() if '"type":"connection"' in l]

def verdict(c):
    d = c.get("diagnosis") or {}
    return (c["stage_reached"], c["outcome"], d.get("rule"), json.dumps(d.get("client_error")))

# Slow-path graphics, pointer and input data PDUs are bulk events too (emitBulk).
BULK_DATA_PDUS = {"PDUTYPE2_UPDATE", "PDUTYPE2_POINTER", "PDUTYPE2_INPUT"}

def is_bulk(e):
    return e["kind"] in BULK or (e["kind"] == "rdp.data_pdu" and e["fields"].get("type") in BULK_DATA_PDUS)

def key_events(c):
    return [(e["frame"], e["kind"], e["summary"]) for e in c["events"] if not is_bulk(e)]

def counts(c):
    rec = (c.get("tls") or {}).get("records") or {}
    return {d: (v.get("count"), v.get("bytes")) for d, v in rec.items()}

def skipped(c):
    rec = (c.get("tls") or {}).get("records") or {}
    return sum(v.get("bulk_skipped", 0) for v in rec.values())

passed = failed = total_skipped = 0
for keys in sorted(glob.glob(os.path.join(sys.argv[1], "*", "keys.log"))):
    pcap = os.path.join(os.path.dirname(keys), "capture.pcap")
    name = os.path.basename(os.path.dirname(keys))
    fast, full = run(pcap, keys), run(pcap, keys, "--decrypt-all")
    problems = []
    if len(fast) != len(full):
        problems.append(f"{len(fast)} connections vs {len(full)} with --decrypt-all")
    for a, b in zip(fast, full):
        if verdict(a) != verdict(b):
            problems.append(f"connection {a['id']}: verdict {verdict(a)} vs {verdict(b)}")
        if key_events(a) != key_events(b):
            problems.append(f"connection {a['id']}: non-bulk events differ")
        if counts(a) != counts(b):
            problems.append(f"connection {a['id']}: record counts {counts(a)} vs {counts(b)}")
        fails = lambda c: sum(e["kind"] == "tls.decrypt_failed" for e in c["events"])
        if fails(a) > fails(b):
            problems.append(f"connection {a['id']}: skipping broke decryption")
        if skipped(b) != 0:
            problems.append(f"connection {b['id']}: --decrypt-all still skipped records")
        total_skipped += skipped(a)
    if problems:
        failed += 1
        print(f"FAIL {name}: " + "; ".join(problems))
    else:
        passed += 1
if total_skipped == 0:
    failed += 1
    print("FAIL: no capture skipped any bulk record (the optimisation never ran)")
print(f"bulk skip: {passed} captures agree with --decrypt-all, {failed} failed, "
      f"{total_skipped} records skipped in all")
sys.exit(1 if failed else 0)
PY
