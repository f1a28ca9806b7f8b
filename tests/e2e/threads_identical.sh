#!/usr/bin/env bash
# `analyze --threads N` (flows sharded across worker threads) must write exactly what
# `--threads 1` writes, with the same exit code (2 threads; 3 too for the larger inputs): every
# lab capture (with its keys.log), the hostile captures, all lab captures merged in one run, a
# truncated file (exit 6), and a small generated corpus (200 connections interleaved over 10
# minutes, with and without keys; with every held connection spilled to the temporary file and
# with none; spilled texts sent to a file, a pipe and an appended file, and standard output full:
# exit 5). Also checks that --threads > 1 is refused, with one line, where it is not supported.
# ~15 s of CPU.
# Env: RDPSCOPE_BIN, RDPSCOPE_SOURCE_DIR (set by ctest). Exit 77 = skipped.
set -u
BIN=${RDPSCOPE_BIN:?RDPSCOPE_BIN not set}
SRC=${RDPSCOPE_SOURCE_DIR:?RDPSCOPE_SOURCE_DIR not set}

if ! ls "$SRC"/captures/*/capture.pcap > /dev/null 2>&1; then
  echo "SKIP: no lab captures under $SRC/captures"; exit 77
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
passed=0
failed=0
check() {  # check NAME CONDITION-EXIT-CODE
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else echo "FAIL: $1"; failed=$((failed + 1)); fi
}

# same NAME ARGS...: --threads 1 and each of $COUNTS (default 2 3) give byte-identical JSON and
# the same exit code.
same() {
  local name="$1"; shift
  "$BIN" analyze "$@" --format json --no-progress --threads 1 > "$WORK/t1.json" 2> /dev/null
  local rc1=$?
  for n in ${COUNTS:-2 3}; do
    "$BIN" analyze "$@" --format json --no-progress --threads "$n" > "$WORK/tn.json" 2> "$WORK/tn.err"
    local rcn=$?
    if [ "$rc1" -ne "$rcn" ]; then
      echo "exit code $rc1 with --threads 1, $rcn with --threads $n: $name"; head -3 "$WORK/tn.err"
      check "$name --threads $n" 1
    elif ! cmp -s "$WORK/t1.json" "$WORK/tn.json"; then
      diff "$WORK/t1.json" "$WORK/tn.json" | head -5
      check "$name --threads $n (output differs)" 1
    else
      check "$name --threads $n" 0
    fi
  done
}

for cap in "$SRC"/captures/*/capture.pcap; do
  dir=$(dirname "$cap")
  name=$(basename "$dir")
  if [ -f "$dir/keys.log" ]; then
    COUNTS=2 same "$name (keys)" "$cap" --keylog "$dir/keys.log"
  else
    COUNTS=2 same "$name" "$cap"
  fi
done
for cap in "$SRC"/captures/hostile/*.pcap*; do
  COUNTS=2 same "hostile/$(basename "$cap")" "$cap"
done
# Every lab capture in one run (merged by time): many flows, the non-RDP-port ones included.
same "all lab captures merged" "$SRC"/captures/*/capture.pcap
same "all lab captures merged, --only-failed --redact-identities" "$SRC"/captures/*/capture.pcap \
  --only-failed --redact-identities
same "--connection 3 of all" "$SRC"/captures/*/capture.pcap --connection 3

if command -v python3 > /dev/null; then
  python3 "$SRC/tools/bench/gen_corpus.py" "$WORK/corpus.pcap" --captures "$SRC/captures" \
    --connections 200 --bytes 20M --duration 600 --seed 3 --keylog-out "$WORK/corpus.keys" --quiet
  check "gen_corpus.py runs" $?
  same "generated corpus" "$WORK/corpus.pcap"
  same "generated corpus (keys)" "$WORK/corpus.pcap" --keylog "$WORK/corpus.keys"
  # Connections waiting for an older one are held as JSON text, beyond RDPSCOPE_HOLD_MB in a
  # temporary file: every text spilled and read back (0), or none (4096), must give the same
  # output, one thread or two.
  for hold in 0 4096; do
    RDPSCOPE_HOLD_MB=$hold same "generated corpus, RDPSCOPE_HOLD_MB=$hold" "$WORK/corpus.pcap"
    RDPSCOPE_HOLD_MB=$hold "$BIN" analyze "$WORK/corpus.pcap" --format json --no-progress \
      > "$WORK/hold.json" 2> /dev/null
    "$BIN" analyze "$WORK/corpus.pcap" --format json --no-progress > "$WORK/default.json" 2> /dev/null
    cmp -s "$WORK/hold.json" "$WORK/default.json"
    check "generated corpus: RDPSCOPE_HOLD_MB=$hold writes what the default writes" $?
  done
  # Spilled texts go from the temporary file to the output inside the kernel (sendfile), or are
  # read back where it cannot (an O_APPEND output): every way must write the same bytes.
  export RDPSCOPE_HOLD_MB=0
  "$BIN" analyze "$WORK/corpus.pcap" --format json --no-progress -o "$WORK/spill-o.json" 2> /dev/null
  cmp -s "$WORK/spill-o.json" "$WORK/default.json"; check "spilled, sent to --output FILE" $?
  "$BIN" analyze "$WORK/corpus.pcap" --format json --no-progress 2> /dev/null | cat > "$WORK/spill-p.json"
  cmp -s "$WORK/spill-p.json" "$WORK/default.json"; check "spilled, sent to a pipe" $?
  printf '' > "$WORK/spill-a.json"
  "$BIN" analyze "$WORK/corpus.pcap" --format json --no-progress >> "$WORK/spill-a.json" 2> /dev/null
  cmp -s "$WORK/spill-a.json" "$WORK/default.json"; check "spilled, appended (read back)" $?
  # A full disk behind standard output: exit 5 and one line, as for --output.
  if [ -w /dev/full ]; then
    "$BIN" analyze "$WORK/corpus.pcap" --format json --no-progress > /dev/full 2> "$WORK/full.err"
    rc=$?
    [ "$rc" -eq 5 ] && [ "$(wc -l < "$WORK/full.err")" -eq 1 ]
    check "spilled, standard output full: exit 5 ($rc), one line" $?
  fi
  unset RDPSCOPE_HOLD_MB
  # Cut part-way through a record: exit 6, everything before the damage reported.
  size=$(stat -c %s "$WORK/corpus.pcap")
  head -c $((size / 2 + 7)) "$WORK/corpus.pcap" > "$WORK/truncated.pcap"
  same "truncated corpus (exit 6)" "$WORK/truncated.pcap"
  same "corpus + truncated merged" "$WORK/corpus.pcap" "$WORK/truncated.pcap"
else
  echo "note: python3 missing, generated corpus skipped"
fi

# Unsupported combinations are refused with one line and the usage exit code.
for extra in "--format text" "--format html --output $WORK/r.html" \
             "--format json --write-annotated $WORK/a.pcapng"; do
  # shellcheck disable=SC2086
  "$BIN" analyze "$SRC/captures/nla-success/capture.pcap" --threads 2 $extra \
    > /dev/null 2> "$WORK/err"
  rc=$?
  [ "$rc" -eq 1 ] && [ "$(wc -l < "$WORK/err")" -eq 1 ] && grep -q -- "--threads" "$WORK/err"
  check "--threads 2 $extra is refused (exit $rc)" $?
done
"$BIN" analyze "$SRC/captures/nla-success/capture.pcap" --threads 0 > /dev/null 2>&1
[ $? -eq 1 ]; check "--threads 0 is refused" $?

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
