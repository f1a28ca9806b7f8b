#!/usr/bin/env bash
# Output safety (issue 9): captures/hostile/hostile-strings.pcap has a routing cookie and a
# client name holding <script>alert(1)</script>, ANSI escape sequences, BEL, invalid UTF-8 and a
# lone UTF-16 surrogate. Checks: text output (and -v stderr) has no raw ESC / BEL / other C0
# control byte except newline and tab, and is valid UTF-8; JSON parses, is valid UTF-8 and keeps
# the strings (escaped); the HTML report has no unescaped <script>alert and is valid UTF-8; the
# annotated pcapng comments carry no raw ESC.
set -u
SRC="${RDPSCOPE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
BIN="${RDPSCOPE_BIN:-}"
[ -x "$BIN" ] || { echo "skip: RDPSCOPE_BIN not set"; exit 77; }
command -v python3 >/dev/null || { echo "skip: python3 missing"; exit 77; }
CAP="$SRC/captures/hostile/hostile-strings.pcap"
[ -f "$CAP" ] || { echo "skip: $CAP missing"; exit 77; }
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0
check() {  # check NAME COMMAND...
  local name="$1"; shift
  if msg=$("$@" 2>&1); then pass=$((pass + 1)); echo "ok   $name"; else fail=$((fail + 1)); echo "FAIL $name: $msg"; fi
}

"$BIN" analyze "$CAP" -v --format text >"$TMP/text.out" 2>"$TMP/text.err"
"$BIN" analyze "$CAP" -v --format text --color always >"$TMP/color.out" 2>/dev/null
"$BIN" analyze "$CAP" --format json >"$TMP/out.json" 2>/dev/null
"$BIN" analyze "$CAP" --format html --output "$TMP/report.html" 2>/dev/null
"$BIN" analyze "$CAP" --format text --write-annotated "$TMP/ann.pcapng" >/dev/null 2>&1

no_controls() {  # no C0 control byte other than \n, \t (and \r) in the file; valid UTF-8
  python3 - "$1" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
bad = sorted({b for b in data if (b < 0x20 and b not in (9, 10, 13)) or b == 0x7f})
if bad:
    sys.exit("raw control bytes %s in %s" % ([hex(b) for b in bad], sys.argv[1]))
data.decode("utf-8")
PY
}
check "text output: no raw ESC/BEL/control bytes, valid UTF-8" no_controls "$TMP/text.out"
check "text -v stderr: no raw control bytes" no_controls "$TMP/text.err"
check "text output mentions the cookie (escaped)" grep -q 'script>alert' "$TMP/text.out"
# With --color always the tool's own colour codes are allowed (ESC [ digits m); nothing else.
check "colour output: only SGR colour sequences" python3 - "$TMP/color.out" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
rest = re.sub(rb"\x1b\[[0-9;]*m", b"", data)
# The wire's "\x1b[31m" must have been escaped: the only raw ESCs are the tool's own.
if any((b < 0x20 and b not in (9, 10, 13)) for b in rest):
    sys.exit("raw control bytes outside SGR sequences")
if b"\x1b[2J" in data:
    sys.exit("the wire's clear-screen sequence reached the terminal")
PY
check "JSON parses, valid UTF-8, strings kept" python3 - "$TMP/out.json" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
text = raw.decode("utf-8")
conns = [json.loads(l) for l in text.splitlines() if l.strip()]
c = [o for o in conns if o.get("type") == "connection"][0]
def strings(o):
    if isinstance(o, dict):
        for v in o.values():
            yield from strings(v)
    elif isinstance(o, list):
        for v in o:
            yield from strings(v)
    elif isinstance(o, str):
        yield o
cookies = [s for s in strings(c) if "<script>alert(1)</script>" in s]
assert cookies, "cookie not kept"
assert any("\x1b" in s for s in cookies), "the ESC char should survive as a JSON \\u001b escape"
assert b"\x1b" not in raw, "raw ESC byte in JSON"
PY
check "HTML: no unescaped <script>alert, valid UTF-8" python3 - "$TMP/report.html" <<'PY'
import re, sys
raw = open(sys.argv[1], "rb").read()
html = raw.decode("utf-8")
low = html.lower()
if "<script>alert" in low:
    sys.exit("unescaped <script>alert in the report")
assert "&lt;script&gt;alert" in html or "\\u003cscript\\u003ealert" in html or "\\x3cscript" in low \
    or "&lt;script&gt;" in html, "the cookie does not appear escaped in the report"
# The hostile strings must not open a script element anywhere: every <script ...> tag the
# report has is the tool's own (fixed), so count them against a clean capture would be nicer;
# here: no '<script' directly followed by '>alert' or by the client-name payload.
if re.search(r"<script[^>]*>\s*alert", low):
    sys.exit("script element with alert")
if b"\x1b" in raw:
    sys.exit("raw ESC in HTML")
PY
check "annotated pcapng comments: no raw ESC" python3 - "$TMP/ann.pcapng" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
# Walk pcapng blocks; look at the options of Enhanced Packet Blocks (comments, code 1).
off = 0
comments = []
while off + 12 <= len(data):
    btype, blen = struct.unpack("<II", data[off:off + 8])
    if blen < 12 or off + blen > len(data):
        break
    if btype == 6:
        caplen = struct.unpack("<I", data[off + 20:off + 24])[0]
        o = off + 28 + ((caplen + 3) & ~3)
        while o + 4 <= off + blen - 4:
            code, ln = struct.unpack("<HH", data[o:o + 4])
            if code == 0:
                break
            if code == 1:
                comments.append(data[o + 4:o + 4 + ln])
            o += 4 + ((ln + 3) & ~3)
    off += blen
if not comments:
    sys.exit("no packet comments found")
for c in comments:
    if any(b < 0x20 and b not in (9, 10, 13) for b in c):
        sys.exit("raw control byte in a packet comment: %r" % c[:80])
    c.decode("utf-8")
PY
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
