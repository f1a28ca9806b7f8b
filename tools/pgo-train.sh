#!/usr/bin/env bash
# The training run of the profile-guided build (tools/build.sh): runs an instrumented rdpscope
# over what it meets in use, so the compiler learns which paths are hot. Not the benchmark
# corpus: every lab capture in captures/ (the handshakes and failures, with their keys where the
# lab kept them; text, JSON and HTML output; the damaged files of captures/hostile), then a small
# corpus made by tools/bench/gen_corpus.py with its own seed (bulk session traffic, interleaved
# connections, with and without keys; the proportions of a real capture of a network).
#   tools/pgo-train.sh INSTRUMENTED_RDPSCOPE WORK_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$1"
work="$2"
mkdir -p "$work"

analyze() {
  # Failures are part of the training (damaged files exit non-zero); only a crash stops it.
  local rc=0
  "$bin" analyze "$@" --no-progress >/dev/null 2>&1 || rc=$?
  if (( rc > 6 )); then
    echo "pgo-train: rdpscope analyze $* exited with $rc" >&2
    exit 1
  fi
}

for capture in captures/*/capture.pcap captures/*/capture.pcapng; do
  [[ -f "$capture" ]] || continue
  dir=$(dirname "$capture")
  keys=()
  [[ -f "$dir/keys.log" ]] && keys=(--keylog "$dir/keys.log")
  analyze "$capture" "${keys[@]}" --format json -o /dev/null
  analyze "$capture" "${keys[@]}" -o /dev/null
  # The same capture as an admin without the keys sees it (once: without keys.log, the run
  # above was already this one).
  if (( ${#keys[@]} > 0 )); then
    analyze "$capture" --format json -o /dev/null
  fi
done
analyze captures/nla-success/capture.pcap --keylog captures/nla-success/keys.log \
  --format html -o "$work/report.html"
for capture in captures/hostile/*.pcap*; do
  analyze "$capture" --format json -o /dev/null
done

# 300 connections, 40 MB: seconds to make and to analyse, instrumented.
/usr/bin/python3 tools/bench/gen_corpus.py "$work/corpus.pcap" --connections 300 --bytes 40M \
  --duration 1800 --seed 97 --keylog-out "$work/corpus.keys" --quiet
analyze "$work/corpus.pcap" --format json -o /dev/null
analyze "$work/corpus.pcap" --keylog "$work/corpus.keys" --format json -o /dev/null
analyze "$work/corpus.pcap" --format json --threads 2 -o /dev/null
rm -f "$work/corpus.pcap" "$work/corpus.keys"
