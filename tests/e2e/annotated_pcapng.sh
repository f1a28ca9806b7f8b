#!/usr/bin/env bash
# Annotated pcapng round trip, for every lab capture: `analyze --write-annotated` must keep every
# packet's bytes and timestamp, put a comment on every packet carrying an event of the JSON
# timeline (naming the connection and the event kind), none on other packets, and the diagnosis
# rule on a packet of each failed connection. Comments are read back with tshark.
# Env: RDPSCOPE_BIN, RDPSCOPE_SOURCE_DIR (set by ctest). Exit 77 = skipped.
set -u
BIN=${RDPSCOPE_BIN:?RDPSCOPE_BIN not set}
SRC=${RDPSCOPE_SOURCE_DIR:?RDPSCOPE_SOURCE_DIR not set}
command -v tshark >/dev/null || { echo "SKIP: tshark is not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is needed"; exit 77; }
shopt -s nullglob
captures=("$SRC"/captures/*/capture.pcap)
[ ${#captures[@]} -gt 0 ] || { echo "SKIP: no lab captures under $SRC/captures"; exit 77; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK"  # keep tshark from reading or writing a user profile

# The packet comment field is frame.comment (tshark >= 4.2 names it so; 4.0 calls it
# pkt_comment or frame.comment depending on the build): use the first one tshark accepts.
COMMENT_FIELD=
for f in frame.comment pkt_comment; do
  if tshark -G fields 2>/dev/null | awk -F'\t' -v f="$f" '$3 == f {found=1} END {exit !found}'; then
    COMMENT_FIELD=$f; break
  fi
done
[ -n "$COMMENT_FIELD" ] || { echo "SKIP: this tshark has no packet comment field"; exit 77; }

failures=0
for cap in "${captures[@]}"; do
  dir=$(dirname "$cap")
  name=$(basename "$dir")
  keyargs=()
  [ -f "$dir/keys.log" ] && keyargs=(--keylog "$dir/keys.log")
  out="$WORK/$name.pcapng"
  if ! "$BIN" analyze "$cap" "${keyargs[@]}" --write-annotated "$out" --format json \
      >"$WORK/$name.jsonl" 2>"$WORK/$name.err"; then
    echo "FAIL $name: rdpscope failed: $(tail -1 "$WORK/$name.err")"; failures=$((failures + 1)); continue
  fi
  # Bytes and timestamps unchanged: compare time, lengths and an MD5 of every frame.
  fields=(-o frame.generate_md5_hash:TRUE -T fields -e frame.number -e frame.time_epoch
          -e frame.len -e frame.cap_len -e frame.md5_hash)
  tshark -r "$cap" "${fields[@]}" >"$WORK/$name.orig.txt" 2>/dev/null
  # One read of the annotated copy gives both: the frame fields (1-5) and the comments (6-).
  tshark -r "$out" "${fields[@]}" -e "$COMMENT_FIELD" -E separator=/t \
    >"$WORK/$name.copy_all.txt" 2>"$WORK/$name.tshark.err"
  cut -f1-5 "$WORK/$name.copy_all.txt" >"$WORK/$name.copy.txt"
  cut -f1,6- "$WORK/$name.copy_all.txt" >"$WORK/$name.comments.txt"
  if ! cmp -s "$WORK/$name.orig.txt" "$WORK/$name.copy.txt"; then
    echo "FAIL $name: packets differ from the input (time, length or bytes)"
    diff "$WORK/$name.orig.txt" "$WORK/$name.copy.txt" | head -5
    failures=$((failures + 1)); continue
  fi
  if ! python3 - "$WORK/$name.jsonl" "$WORK/$name.comments.txt" "$name" <<'PY'
import json, sys
jsonl, comments_path, name = sys.argv[1:4]
comments = {}
for line in open(comments_path, encoding="utf-8", errors="replace"):
    parts = line.rstrip("\n").split("\t", 1)
    if len(parts) == 2 and parts[1]:
        comments[int(parts[0])] = parts[1]
expected = {}   # frame -> [(conn id, kind)]
diagnosed = []  # (conn id, rule)
for line in open(jsonl, encoding="utf-8"):
    if not line.strip():
        continue
    c = json.loads(line)
    if c.get("type", "connection") != "connection":
        continue
    for e in c.get("events", []):
        if e.get("frame"):
            expected.setdefault(e["frame"], []).append((c["id"], e["kind"]))
    if c.get("outcome") == "failed" and c.get("diagnosis") and c.get("events"):
        diagnosed.append((c["id"], c["diagnosis"]["rule"]))
errors = []
for frame, evs in sorted(expected.items()):
    text = comments.get(frame)
    if text is None:
        errors.append(f"frame {frame}: no comment, expected {evs[0][1]}"); continue
    for cid, kind in evs:
        marker = f"rdpscope #{cid} "
        if marker not in text or kind not in text:
            errors.append(f"frame {frame}: comment lacks '{marker}... {kind}': {text[:120]}")
for frame in sorted(set(comments) - set(expected)):
    errors.append(f"frame {frame}: unexpected comment {comments[frame][:80]}")
for cid, rule in diagnosed:
    if not any(f"rdpscope #{cid} DIAGNOSIS {rule}" in t for t in comments.values()):
        errors.append(f"connection {cid}: no packet carries the diagnosis {rule}")
for e in errors[:10]:
    print(f"FAIL {name}: {e}")
if len(errors) > 10:
    print(f"FAIL {name}: ... {len(errors) - 10} more")
print(f"{name}: {len(expected)} annotated frames checked" if not errors else "", end="")
sys.exit(1 if errors else 0)
PY
  then
    failures=$((failures + 1))
  fi
  echo
done
[ "$failures" -eq 0 ] && echo "annotated_pcapng: all ${#captures[@]} captures passed"
[ "$failures" -eq 0 ]
