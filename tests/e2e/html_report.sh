#!/usr/bin/env bash
# HTML report, tested for real: renders the report of every lab capture in headless Chromium and
# checks the DOM after the script ran (every connection has a ladder diagram, the failing PDU
# carries the diagnosis rule, no console errors or CSP violations), and takes a screenshot.
# Env: RDPSCOPE_BIN, RDPSCOPE_SOURCE_DIR (set by ctest). Optional: RDPSCOPE_SCREENSHOT_CAPTURE
# (scenario for the screenshot, default license-error-alert-rdp), RDPSCOPE_SCREENSHOT_SIZE
# (default 1400,1000), RDPSCOPE_SCREENSHOT_OUT (copy the PNG there). The docs screenshot is made
# with RDPSCOPE_SCREENSHOT_SIZE=1400,2300 RDPSCOPE_SCREENSHOT_OUT=docs/report-screenshot.png.
# Exit 77 = skipped.
set -u
BIN=${RDPSCOPE_BIN:?RDPSCOPE_BIN not set}
SRC=${RDPSCOPE_SOURCE_DIR:?RDPSCOPE_SOURCE_DIR not set}
SHOT_CAPTURE=${RDPSCOPE_SCREENSHOT_CAPTURE:-license-error-alert-rdp}
SHOT_SIZE=${RDPSCOPE_SCREENSHOT_SIZE:-1400,1000}

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  echo "SKIP: chromium is not installed (apt-get install chromium)"; exit 77
fi
if ! command -v python3 >/dev/null; then
  echo "SKIP: python3 is needed to check the DOM"; exit 77
fi
shopt -s nullglob
captures=("$SRC"/captures/*/capture.pcap)
if [ ${#captures[@]} -eq 0 ]; then
  echo "SKIP: no lab captures under $SRC/captures"; exit 77
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

chrome() {  # chrome OUT_ARGS... URL ; a fresh profile each time, no network services
  local profile
  profile=$(mktemp -d "$WORK/profile.XXXX")
  timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --disable-extensions \
    --user-data-dir="$profile" --enable-logging=stderr --v=0 "$@"
}

failures=0
checked=0
for cap in "${captures[@]}"; do
  dir=$(dirname "$cap")
  name=$(basename "$dir")
  keyargs=()
  [ -f "$dir/keys.log" ] && keyargs=(--keylog "$dir/keys.log")
  html="$WORK/$name.html"
  if ! "$BIN" analyze "$cap" "${keyargs[@]}" --format html --output "$html" 2>"$WORK/$name.err"; then
    echo "FAIL $name: rdpscope --format html failed: $(tail -1 "$WORK/$name.err")"
    failures=$((failures + 1)); continue
  fi
  "$BIN" analyze "$cap" "${keyargs[@]}" --format json >"$WORK/$name.jsonl" 2>/dev/null
  chrome --dump-dom "file://$html" >"$WORK/$name.dom" 2>"$WORK/$name.log"
  if [ ! -s "$WORK/$name.dom" ]; then
    echo "FAIL $name: chromium produced no DOM"; failures=$((failures + 1)); continue
  fi
  if grep -E "Uncaught|ERROR:CONSOLE|Refused to|Content Security Policy" "$WORK/$name.log"; then
    echo "FAIL $name: console errors in the report"; failures=$((failures + 1)); continue
  fi
  if ! python3 - "$WORK/$name.dom" "$WORK/$name.jsonl" "$name" <<'PY'
import json, sys
from html.parser import HTMLParser

dom_path, jsonl_path, name = sys.argv[1:4]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}

class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth = 0
        self.conn = None          # (id, depth) of the open section.conn
        self.sections = {}        # id -> {"ladder": bool, "kinds": int, "fatal": [(rule, text)]}
        self.fatal = None         # [rule, depth, text parts]
        self.rows = set()         # connection-table rows
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag not in VOID:
            self.depth += 1
        cid = a.get("data-connection-id")
        if tag == "section" and cid is not None:
            self.conn = (cid, self.depth)
            self.sections[cid] = {"ladder": False, "kinds": 0, "fatal": []}
        elif tag == "tr" and cid is not None:
            self.rows.add(cid)
        if self.conn:
            s = self.sections[self.conn[0]]
            if "ladder" in (a.get("class") or "").split():
                s["ladder"] = True
            if "data-kind" in a:
                s["kinds"] += 1
            if a.get("data-fatal") == "true":
                self.fatal = [a.get("data-rule", ""), self.depth, []]
    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.fatal and self.depth == self.fatal[1]:
            self.sections[self.conn[0]]["fatal"].append((self.fatal[0], "".join(self.fatal[2])))
            self.fatal = None
        if self.conn and self.depth == self.conn[1] and tag == "section":
            self.conn = None
        self.depth -= 1
    def handle_data(self, data):
        if self.fatal:
            self.fatal[2].append(data)

dom = Dom()
dom.feed(open(dom_path, encoding="utf-8").read())
conns = []
for line in open(jsonl_path, encoding="utf-8"):
    line = line.strip()
    if line:
        obj = json.loads(line)
        if obj.get("type", "connection") == "connection" and "id" in obj:
            conns.append(obj)
errors = []
if not conns:
    errors.append("no connections in the JSON output")
for c in conns:
    cid = str(c["id"])
    s = dom.sections.get(cid)
    if s is None:
        errors.append(f"connection {cid}: no section in the report"); continue
    if cid not in dom.rows:
        errors.append(f"connection {cid}: not in the connections table")
    if not s["ladder"]:
        errors.append(f"connection {cid}: no ladder diagram")
    if c.get("events") and s["kinds"] == 0:
        errors.append(f"connection {cid}: ladder has no arrows")
    diag = c.get("diagnosis") or {}
    if c.get("outcome") == "failed" and c.get("events"):
        if len(s["fatal"]) != 1:
            errors.append(f"connection {cid}: {len(s['fatal'])} fatal arrows, expected 1")
        else:
            rule, text = s["fatal"][0]
            if diag.get("rule") and (rule != diag["rule"] or diag["rule"] not in text):
                errors.append(f"connection {cid}: fatal arrow carries '{rule}', diagnosis is "
                              f"'{diag['rule']}'")
    elif s["fatal"]:
        errors.append(f"connection {cid}: outcome {c.get('outcome')} but a fatal arrow")
for e in errors:
    print(f"FAIL {name}: {e}")
sys.exit(1 if errors else 0)
PY
  then
    failures=$((failures + 1)); continue
  fi
  checked=$((checked + 1))
  if [ "$name" = "$SHOT_CAPTURE" ]; then
    chrome --screenshot="$WORK/report.png" --window-size="$SHOT_SIZE" "file://$html" \
      >/dev/null 2>"$WORK/shot.log"
    size=$(stat -c %s "$WORK/report.png" 2>/dev/null || echo 0)
    if [ "$size" -lt 20000 ]; then
      echo "FAIL $name: screenshot missing or blank ($size bytes)"; failures=$((failures + 1))
    elif [ -n "${RDPSCOPE_SCREENSHOT_OUT:-}" ]; then
      cp "$WORK/report.png" "$RDPSCOPE_SCREENSHOT_OUT"
    fi
  fi
done

echo "html_report: $checked of ${#captures[@]} reports passed"
[ "$failures" -eq 0 ]
