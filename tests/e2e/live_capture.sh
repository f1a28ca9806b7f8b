#!/usr/bin/env bash
# Live capture: replays lab captures with tcpreplay on a veth pair inside a network namespace of
# our own while `rdpscope live` captures the other end; the connections (5-tuples, stages,
# diagnoses) must equal offline analysis of the same files. Also checks that live mode, started
# as root, drops to `nobody` after opening the interface.
set -euo pipefail
BIN=${RDPSCOPE_BIN:?}
SRC=${RDPSCOPE_SOURCE_DIR:?}
if [[ $(id -u) -ne 0 ]]; then echo "SKIP: needs root for network namespaces"; exit 77; fi
command -v tcpreplay >/dev/null || { echo "SKIP: tcpreplay not installed"; exit 77; }
ns=rdpscope-live-$$
if ! ip netns add "$ns" 2>/dev/null; then echo "SKIP: cannot create a network namespace here"; exit 77; fi
work=$(mktemp -d)
chmod 1777 "$work"
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ip -n "$ns" link add cap0 type veth peer name rep0
ip -n "$ns" link set cap0 up
ip -n "$ns" link set rep0 up
ip -n "$ns" link set lo up

fail=0
for scenario in nla-wrong-password ssl-not-allowed errinfo-denied-tls; do
  pcap="$SRC/captures/$scenario/capture.pcap"
  [[ -f $pcap ]] || continue
  out="$work/$scenario.live.jsonl"
  ip netns exec "$ns" "$BIN" live -i cap0 --duration 6 --format json --output "$out" --no-progress \
    2>"$work/live.err" &
  pid=$!
  sleep 1.5
  user=$(ps -o user= -p "$pid" | tr -d ' ')
  if [[ $user != nobody ]]; then echo "FAIL: live capture runs as '$user', expected nobody"; fail=1; fi
  ip netns exec "$ns" tcpreplay -q -i rep0 --topspeed "$pcap" >/dev/null 2>&1
  wait "$pid" || { echo "FAIL: rdpscope live exited with $?: $(cat "$work/live.err")"; fail=1; continue; }
  "$BIN" analyze "$pcap" --format json --no-progress >"$work/$scenario.offline.jsonl"
  summarize() {
    python3 -c '
import json, sys
rows = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("type") != "connection":
        continue
    d = r.get("diagnosis") or {}
    rows.append((r["client"]["port"], r["server"]["port"], r["packets"]["to_server"],
                 r["packets"]["to_client"], r["stage_reached"], d.get("rule")))
for row in sorted(rows):
    print(*row)' "$1"
  }
  if ! diff <(summarize "$work/$scenario.offline.jsonl") <(summarize "$out") >"$work/diff"; then
    echo "FAIL: $scenario: live differs from offline:"; cat "$work/diff"; fail=1
  else
    echo "ok: $scenario: $(summarize "$out" | wc -l) connection(s) identical live and offline"
  fi
done
if [[ $fail -ne 0 ]]; then echo "0 passed, 1 failed"; exit 1; fi
echo "1 passed, 0 failed"
