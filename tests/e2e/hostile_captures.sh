#!/usr/bin/env bash
# Hostile captures (issue 9): every file of captures/hostile/ (tools/hostile/gen_hostile.py), read
# and then mapped (RDPSCOPE_READ=map: the reader's way for large files, issue 8), a sweep of
# every truncation point of a real lab capture, 1,000,000 SYN-only flows and one connection
# with a large amount of out-of-order data (both generated on the fly). Each run is
# bounded by `timeout` and measured with /usr/bin/time -v. Checks: the exit code is a documented
# one (0; 2 = unusable file; 6 = damaged part-way), never a crash; time and peak RSS under the
# caps below; JSON output parses; connections analysed before the damage are still output; every
# connection of a corrupted-PDU file carries an anomaly (or, at least, a diagnosis).
# The two big cases run by default (HOSTILE_BIG=0 skips them): the JSON output streams (issue 8),
# so the SYN flood is bounded by the flow table (--max-flows, 200,000 open), ~420 MB and ~25 s.
# Caps (documented in docs/robustness.md):
CAP_SMALL_SECS=10        # any committed hostile file
CAP_SMALL_RSS_KB=262144  # 256 MiB
CAP_FLOOD_SECS=${HOSTILE_FLOOD_SECS:-120}     # 1,000,000 SYN-only flows
CAP_FLOOD_RSS_KB=${HOSTILE_FLOOD_RSS_KB:-655360}  # 640 MiB
OOO_MB=${HOSTILE_OOO_MB:-64}                  # out-of-order data, scaled down from 1 GB
CAP_OOO_SECS=60
CAP_OOO_RSS_KB=524288    # 512 MiB
set -u
SRC="${RDPSCOPE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
BIN="${RDPSCOPE_BIN:-}"
[ -x "$BIN" ] || { echo "skip: RDPSCOPE_BIN not set"; exit 77; }
[ -x /usr/bin/time ] || { echo "skip: /usr/bin/time missing"; exit 77; }
command -v python3 >/dev/null || { echo "skip: python3 missing"; exit 77; }
H="$SRC/captures/hostile"
[ -d "$H" ] || { echo "skip: $H missing"; exit 77; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# run FILE CAP_SECS CAP_RSS_KB [extra args]: sets RC, SECS, RSS_KB; output in $TMP/out.json.
run() {
  local f="$1" secs="$2" rss="$3"
  shift 3
  /usr/bin/time -v -o "$TMP/time.txt" timeout -s KILL "$((secs * 3))" "$BIN" analyze "$f" \
    --format json "$@" >"$TMP/out.json" 2>"$TMP/err.txt"
  RC=$?
  SECS=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$TMP/time.txt")
  RSS_KB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TMP/time.txt")
  if grep -q "Command terminated by signal" "$TMP/time.txt" || [ "$RC" -ge 128 ] || [ "$RC" = 124 ]; then
    bad "$(basename "$f"): crashed or killed (exit $RC)"; tail -3 "$TMP/err.txt"; RC=crash; return
  fi
  if awk -v s="$SECS" -v c="$secs" 'BEGIN{exit !(s > c)}'; then bad "$(basename "$f"): ${SECS}s > cap ${secs}s"; else ok; fi
  if [ "${RSS_KB:-0}" -gt "$rss" ]; then bad "$(basename "$f"): peak RSS ${RSS_KB} KB > cap $rss KB"; else ok; fi
}

# check_json MIN_CONNS MODE: MODE = any | anomaly (every connection has an anomaly event or a note)
#                            | explained (every connection has an anomaly, a note or a diagnosis)
check_json() {
  python3 - "$TMP/out.json" "$1" "$2" <<'PY'
import json, sys
path, min_conns, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
raw = open(path, "rb").read()
raw.decode("utf-8")  # must be valid UTF-8
conns = []
for line in raw.splitlines():
    if not line.strip():
        continue
    o = json.loads(line)
    if o.get("type") == "connection":
        conns.append(o)
if len(conns) < min_conns:
    sys.exit("only %d connections, expected >= %d" % (len(conns), min_conns))
for c in conns:
    anomalies = [e for e in c.get("events", []) if e.get("kind") == "anomaly"]
    explained = anomalies or c.get("notes") or c.get("diagnosis")
    if mode == "anomaly" and not (anomalies or c.get("notes")):
        sys.exit("connection %s:%s has no anomaly / note" % (c["client"]["ip"], c["client"]["port"]))
    if mode == "explained" and not explained:
        sys.exit("connection %s:%s has no anomaly / note / diagnosis" % (c["client"]["ip"], c["client"]["port"]))
PY
}

# expect FILE CODES MIN_CONNS MODE
expect() {
  local name="$1" codes="$2" min="$3" mode="$4"
  run "$H/$name" "$CAP_SMALL_SECS" "$CAP_SMALL_RSS_KB"
  [ "$RC" = crash ] && return
  if [[ " $codes " == *" $RC "* ]]; then ok; else bad "$name: exit $RC, expected one of: $codes"; head -2 "$TMP/err.txt"; fi
  if [ "$RC" = 2 ]; then
    # Unusable file: one clear line on stderr, nothing on stdout.
    if [ "$(wc -l <"$TMP/err.txt")" -ge 1 ] && [ ! -s "$TMP/out.json" ]; then ok; else bad "$name: exit 2 without a one-line error"; fi
    return
  fi
  if msg=$(check_json "$min" "$mode" 2>&1); then ok; else bad "$name: $msg"; fi
  if [ "$RC" = 6 ]; then
    grep -q "damaged\|truncated" "$TMP/err.txt" && ok || bad "$name: exit 6 without a clear message"
  fi
  printf '  %-36s exit %s  %6ss  %7s KB\n' "$name" "$RC" "$SECS" "$RSS_KB"
}

# Every committed hostile file; run twice: read (the default below 64 MiB) and mapped.
committed() {
  expect truncated-global-header.pcap "2" 0 any
  expect empty.pcap "2" 0 any
  expect bad-magic.pcap "2" 0 any
  expect bad-magic-text.pcap "2" 0 any
  expect bad-version.pcap "2" 0 any
  expect truncated-after-global-header.pcap "0" 0 any
  expect truncated-boundary-conn1.pcap "0" 1 explained
  expect truncated-record-header-conn1.pcap "6" 1 explained
  expect truncated-record-data-conn1.pcap "6" 1 explained
  expect truncated-record-data-conn2.pcap "6" 2 explained
  expect absurd-snaplen.pcap "0" 2 explained
  expect absurd-record-length.pcap "6" 1 explained
  expect caplen-gt-wirelen.pcap "0" 2 explained
  expect zero-length-records.pcap "0" 2 explained
  expect unknown-linktype.pcap "0" 0 any
  expect snaplen-64.pcap "0" 1 explained
  expect tpkt-lengths.pcap "0" 6 anomaly
  expect x224-lengths.pcap "0" 5 anomaly
  expect ber-lengths.pcap "0" 7 anomaly
  expect ber-deep-nesting.pcap "0" 2 anomaly
  expect tls-lengths.pcap "0" 8 explained
  expect tcp-overlap-conflict.pcap "0" 1 explained
  expect seq-wrap.pcap "0" 1 explained
  expect clock-step-back.pcap "0" 1 explained
  expect hostile-strings.pcap "0" 1 explained
  expect garbage-payload.pcap "0" 1 anomaly
}
echo "== committed hostile captures"
committed
echo "== the same, the capture mapped instead of read (RDPSCOPE_READ=map)"
export RDPSCOPE_READ=map
committed
unset RDPSCOPE_READ
# Specific checks.
run "$H/tcp-overlap-conflict.pcap" 10 "$CAP_SMALL_RSS_KB"
python3 - "$TMP/out.json" <<'PY' && ok || bad "tcp-overlap-conflict: overlaps not counted or CR not parsed"
import json, sys
c = [json.loads(l) for l in open(sys.argv[1]) if '"connection"' in l][0]
assert c["tcp"]["to_server"]["overlaps"] > 0, c["tcp"]
assert any(e["kind"] == "x224.connection_request" for e in c["events"])
PY
run "$H/seq-wrap.pcap" 10 "$CAP_SMALL_RSS_KB"
cp "$TMP/out.json" "$TMP/wrap.json"
"$BIN" analyze "$SRC/captures/license-error-alert-rdp/capture.pcap" --format json >"$TMP/orig.json" 2>/dev/null
python3 - "$TMP/wrap.json" "$TMP/orig.json" <<'PY' && ok || bad "seq-wrap: events differ from the original connection"
import json, sys
w = [json.loads(l) for l in open(sys.argv[1]) if '"connection"' in l][0]
o = [json.loads(l) for l in open(sys.argv[2]) if '"connection"' in l][0]
kinds = lambda c: [e["kind"] for e in c["events"] if not e["kind"].startswith("tcp.")]
assert kinds(w) == kinds(o), (kinds(w), kinds(o))
assert w["stage_reached"] == o["stage_reached"]
PY
run "$H/clock-step-back.pcap" 10 "$CAP_SMALL_RSS_KB"
"$BIN" analyze "$H/clock-step-back.pcap" --format text --color never >"$TMP/step.txt" 2>/dev/null
python3 - "$TMP/out.json" "$TMP/orig.json" "$TMP/step.txt" <<'PY' && ok || bad "clock-step-back: dissection changed, or the step is not reported"
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if '"connection"' in l][0]
o = [json.loads(l) for l in open(sys.argv[2]) if '"connection"' in l][0]
kinds = lambda c: [e["kind"] for e in c["events"] if not e["kind"].startswith("tcp.")]
assert kinds(s) == kinds(o), (kinds(s), kinds(o))
assert s["diagnosis"]["rule"] == o["diagnosis"]["rule"], (s["diagnosis"], o["diagnosis"])
# Generated: 1 ms per packet, 3 s back at the 8th packet (the first after the Connect Response).
notes = [n for n in s["notes"] if "time goes back" in n]
assert len(notes) == 1 and "time goes back 2.999000 s at frame 8:" in notes[0], s["notes"]
assert [e["t"] for e in s["events"] if e["frame"] == 8] == [-2.993], s["events"][:20]
assert "-2.993000s" in open(sys.argv[3]).read()
PY

echo "== truncation sweep (every record boundary, mid-header and mid-data cut)"
BASE="$SRC/captures/license-error-alert-rdp/capture.pcap"
if [ -f "$BASE" ]; then
  python3 - "$BASE" "$TMP/cuts" <<'PY'
import os, struct, sys
raw = open(sys.argv[1], "rb").read()
os.makedirs(sys.argv[2])
cuts = set(range(0, 25, 4))
off = 24
while off + 16 <= len(raw):
    cl = struct.unpack("<I", raw[off + 8:off + 12])[0]
    cuts |= {off, off + 7, off + 16 + cl // 2}
    off += 16 + cl
for c in sorted(cuts):
    open(os.path.join(sys.argv[2], "%06d.pcap" % c), "wb").write(raw[:c])
PY
  sweep_bad=0
  n=0
  worst=0
  for f in "$TMP"/cuts/*.pcap; do
    n=$((n + 1))
    timeout -s KILL 20 "$BIN" analyze "$f" --format json >"$TMP/out.json" 2>"$TMP/err.txt"
    rc=$?
    case "$rc" in
      0|6) check_json 0 any >/dev/null 2>&1 || { sweep_bad=$((sweep_bad + 1)); echo "  bad JSON at cut $(basename "$f")"; } ;;
      2) [ "$(basename "$f" .pcap | sed 's/^0*//')" -lt 24 ] 2>/dev/null || [ "$(basename "$f")" = 000000.pcap ] || { sweep_bad=$((sweep_bad + 1)); echo "  exit 2 at cut $(basename "$f")"; } ;;
      *) sweep_bad=$((sweep_bad + 1)); echo "  exit $rc at cut $(basename "$f")" ;;
    esac
  done
  if [ "$sweep_bad" -eq 0 ]; then ok; echo "  $n cuts: all exit 0/2/6 with valid JSON"; else bad "truncation sweep: $sweep_bad of $n cuts"; fi
fi

echo "== 1,000,000 SYN-only flows (generated on the fly)"
if [ "${HOSTILE_BIG:-1}" = 1 ]; then
  python3 "$SRC/tools/hostile/gen_syn_flood.py" "$TMP/flood.pcap" "${HOSTILE_FLOOD_N:-1000000}"
  echo "  file: $(du -m "$TMP/flood.pcap" | cut -f1) MB"
  run "$TMP/flood.pcap" "$CAP_FLOOD_SECS" "$CAP_FLOOD_RSS_KB" --brief
  if [ "$RC" != crash ]; then
    [ "$RC" = 0 ] && ok || bad "syn flood: exit $RC"
    printf '  syn-flood: exit %s  %ss  peak RSS %s KB\n' "$RC" "$SECS" "$RSS_KB"
  fi
  rm -f "$TMP/flood.pcap" "$TMP/out.json"

  echo "== one connection, ${OOO_MB} MB of out-of-order data (scaled from 1 GB)"
  python3 "$SRC/tools/hostile/gen_out_of_order.py" "$TMP/ooo.pcap" "$OOO_MB"
  run "$TMP/ooo.pcap" "$CAP_OOO_SECS" "$CAP_OOO_RSS_KB"
  if [ "$RC" != crash ]; then
    [ "$RC" = 0 ] && ok || bad "out-of-order: exit $RC"
    if msg=$(check_json 1 explained 2>&1); then ok; else bad "out-of-order: $msg"; fi
    printf '  out-of-order: exit %s  %ss  peak RSS %s KB\n' "$RC" "$SECS" "$RSS_KB"
  fi
  rm -f "$TMP/ooo.pcap"
fi

[ "${HOSTILE_BIG:-1}" = 1 ] || echo "== big cases skipped (HOSTILE_BIG=0; unset it for 1,000,000 SYN flows and out-of-order data)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
