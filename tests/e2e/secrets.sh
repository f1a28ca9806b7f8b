#!/usr/bin/env bash
# Secret hygiene (issue 9): every output format (text, json, html, annotated pcapng) at the most
# verbose level (-v), over every lab capture in captures/*/, with and without its keys.log. None of
# the lab passwords (plain, UTF-16LE hex, plain hex) and none of the secrets of any keys.log (3rd
# column, hex, case-insensitive) may appear in stdout, stderr or any output file.
set -u
SRC="${RDPSCOPE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
BIN="${RDPSCOPE_BIN:-}"
[ -x "$BIN" ] || { echo "skip: RDPSCOPE_BIN not set"; exit 77; }
command -v python3 >/dev/null || { echo "skip: python3 missing"; exit 77; }
ls "$SRC"/captures/*/capture.pcap >/dev/null 2>&1 || { echo "skip: no lab captures"; exit 77; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0

# The needles: lab passwords in every encoding, every key-log secret (lower-case hex).
python3 - "$SRC" >"$TMP/needles.txt" <<'PY'
import glob, os, sys
src = sys.argv[1]
needles = set()
for pw in ("LabPass-123", "WrongPass-999"):
    needles.add(pw.lower())
    needles.add(pw.encode().hex())
    needles.add(pw.encode("utf-16-le").hex())
    # UTF-16LE as text with NULs shown by a viewer is covered by the hex forms above.
for kl in glob.glob(os.path.join(src, "captures", "*", "keys.log")):
    for line in open(kl, errors="replace"):
        parts = line.split()
        if len(parts) >= 3 and not line.startswith("#"):
            needles.add(parts[2].lower())
for n in sorted(needles):
    print(n)
PY
echo "$(wc -l <"$TMP/needles.txt") needles (passwords in 3 encodings + key-log secrets)"

# scan FILE...: fails when any needle occurs (case-insensitive; binary files are scanned as raw
# bytes, as hex of their bytes, and as UTF-16LE-decoded text).
scan() {
  python3 - "$TMP/needles.txt" "$@" <<'PY'
import sys
needles = [l.strip() for l in open(sys.argv[1]) if l.strip()]
hits = []
for path in sys.argv[2:]:
    data = open(path, "rb").read()
    views = [data.lower(), data.hex().encode()]
    try:
        for start in (0, 1):
            views.append(data[start:].decode("utf-16-le", errors="ignore").lower().encode("utf-8", "ignore"))
    except Exception:
        pass
    for n in needles:
        nb = n.encode()
        if any(nb in v for v in views):
            hits.append("%s: %s..." % (path, n[:12]))
if hits:
    print("\n".join(hits[:10]))
    sys.exit(1)
PY
}

# Positive control: the scanner must find a planted password (UTF-16LE) and a key-log secret.
printf 'x L\0a\0b\0P\0a\0s\0s\0-\x001\x002\x003\0 y' >"$TMP/control1.bin"
sed -n '$p' "$TMP/needles.txt" | tr 'a-f' 'A-F' >"$TMP/control2.txt"
if ! scan "$TMP/control1.bin" >/dev/null && ! scan "$TMP/control2.txt" >/dev/null; then
  pass=$((pass + 1))
else
  fail=$((fail + 1)); echo "FAIL: the scanner misses planted secrets"
fi
rm -f "$TMP"/control*

for dir in "$SRC"/captures/*/; do
  cap="$dir/capture.pcap"
  [ -f "$cap" ] || continue
  name=$(basename "$dir")
  variants=(nokeys)
  [ -f "$dir/keys.log" ] && variants+=(keys)
  for v in "${variants[@]}"; do
    args=(-v)
    [ "$v" = keys ] && args+=(--keylog "$dir/keys.log")
    out="$TMP/$name-$v"
    mkdir -p "$out"
    # Capture files are read-only inputs; --keylog files are never copied (checked below).
    "$BIN" analyze "$cap" "${args[@]}" --format text >"$out/text.out" 2>"$out/text.err"
    "$BIN" analyze "$cap" "${args[@]}" --format json >"$out/json.out" 2>"$out/json.err"
    "$BIN" analyze "$cap" "${args[@]}" --format html --output "$out/report.html" >"$out/html.out" 2>"$out/html.err"
    "$BIN" analyze "$cap" "${args[@]}" --format text --write-annotated "$out/annotated.pcapng" \
      >"$out/ann.out" 2>"$out/ann.err"
    files=("$out"/*)
    if hits=$(scan "${files[@]}"); then
      pass=$((pass + 1))
    else
      fail=$((fail + 1))
      echo "FAIL: $name ($v): secret in output:"
      echo "$hits" | sed 's/^/    /'
    fi
    [ -s "$out/json.out" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: $name ($v): no JSON output"; }
    rm -rf "$out"
  done
done
# A crash message must not carry secrets either: a key log given with a damaged capture.
kl=$(ls "$SRC"/captures/*/keys.log | head -1)
head -c 3000 "$SRC/captures/nla-success/capture.pcap" >"$TMP/cut.pcap"
"$BIN" analyze "$TMP/cut.pcap" -v --keylog "$kl" --format json >"$TMP/cut.out" 2>"$TMP/cut.err"
if scan "$TMP/cut.out" "$TMP/cut.err" >/dev/null; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: damaged capture + keys: secret in output"; fi
# An unusable key log: the error names the file and line, never its content.
printf 'CLIENT_RANDOM %s %s extra\nGARBAGE %s\n' "$(printf 'ab%.0s' $(seq 32))" "$(printf 'cd%.0s' $(seq 48))" "$(printf 'ef%.0s' $(seq 48))" >"$TMP/bad.keys"
"$BIN" analyze "$SRC/captures/nla-success/capture.pcap" -v --keylog "$TMP/bad.keys" --format json >"$TMP/bad.out" 2>"$TMP/bad.err"
if grep -qi "cdcdcdcdcd\|efefefefef" "$TMP/bad.out" "$TMP/bad.err"; then fail=$((fail + 1)); echo "FAIL: malformed key log echoed its secrets"; else pass=$((pass + 1)); fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
