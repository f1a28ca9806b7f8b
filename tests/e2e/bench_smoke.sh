#!/usr/bin/env bash
# Keeps the benchmark tooling working in CI (seconds): generates a tiny corpus with
# tools/bench/gen_corpus.py from the lab captures (twice, to check it is deterministic), runs
# tools/bench/bench.sh on it (tcpdump floor, rdpscope with and without the key log; tshark too
# when installed), checks rdpscope analysed every generated connection and that, with the key log,
# no replicated TLS record fails to authenticate (gen_corpus.py re-encrypts them).
# Env: RDPSCOPE_BIN, RDPSCOPE_SOURCE_DIR (set by ctest). Exit 77 = skipped.
set -u
BIN=${RDPSCOPE_BIN:?RDPSCOPE_BIN not set}
SRC=${RDPSCOPE_SOURCE_DIR:?RDPSCOPE_SOURCE_DIR not set}
# The system Python: gen_corpus.py needs Debian's python3-cryptography for the re-encryption.
PY=/usr/bin/python3

for tool in "$PY" tcpdump /usr/bin/time; do
  command -v "$tool" > /dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
if ! "$PY" -c 'import cryptography' 2> /dev/null; then
  echo "SKIP: $PY cannot import cryptography (apt-get install python3-cryptography)"; exit 77
fi
if ! ls "$SRC"/captures/*/capture.pcap > /dev/null 2>&1; then
  echo "SKIP: no lab captures under $SRC/captures"; exit 77
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail=0
check() {  # check NAME CONDITION-EXIT-CODE
  if [ "$2" -eq 0 ]; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi
}

gen() {
  "$PY" "$SRC/tools/bench/gen_corpus.py" "$1" --captures "$SRC/captures" --connections 40 \
    --bytes 2M --duration 120 --mean-session 20 --seed 7 --keylog-out "$2" --quiet
}
gen "$WORK/a.pcap" "$WORK/a.keys"; check "gen_corpus.py runs" $?
gen "$WORK/b.pcap" "$WORK/b.keys"
cmp -s "$WORK/a.pcap" "$WORK/b.pcap"; check "gen_corpus.py is deterministic" $?
[ "$(stat -c %a "$WORK/a.keys")" = 600 ]; check "combined key log is mode 0600" $?
tcpdump -r "$WORK/a.pcap" -w /dev/null 2> /dev/null; check "corpus is a valid pcap (tcpdump)" $?

tshark_opt=(--no-tshark)
command -v tshark > /dev/null && tshark_opt=()
RDPSCOPE_BIN="$BIN" bash "$SRC/tools/bench/bench.sh" "$WORK/a.pcap" --keylog "$WORK/a.keys" --threads 2 \
  "${tshark_opt[@]}" > "$WORK/bench.txt" 2>&1
check "bench.sh runs" $?
cat "$WORK/bench.txt"
grep -q "rdpscope/floor throughput" "$WORK/bench.txt"; check "bench.sh prints the floor ratio" $?
grep -q -- "--threads 2 vs 1" "$WORK/bench.txt"; check "bench.sh --threads adds the parallel rows" $?

"$BIN" analyze "$WORK/a.pcap" --format json --no-progress > "$WORK/out.json" 2> /dev/null
conns=$(grep -c '"client":' "$WORK/out.json")
[ "$conns" -ge 40 ]; check "rdpscope reports all generated connections ($conns >= 40)" $?

# With the key log: every replicated record authenticates, whether bulk records are skipped
# (the default) or all decrypted (--decrypt-all), and skipping never breaks what follows it.
for mode in default --decrypt-all; do
  extra=()
  [ "$mode" = default ] || extra=("$mode")
  "$BIN" analyze "$WORK/a.pcap" --format json --no-progress --keylog "$WORK/a.keys" \
    "${extra[@]}" > "$WORK/keys.json" 2> /dev/null
  bad=$(grep -c bad_record_mac "$WORK/keys.json")
  dec=$(grep -c '"decrypted": *true' "$WORK/keys.json")
  [ "$bad" -eq 0 ] && [ "$dec" -gt 0 ]
  check "with the key log ($mode), replicated TLS records authenticate ($bad bad_record_mac, $dec decrypted)" $?
done

if [ $fail -eq 0 ]; then echo "1 passed, 0 failed"; exit 0; fi
echo "0 passed, 1 failed"; exit 1
