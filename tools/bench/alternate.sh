#!/usr/bin/env bash
# Compares two rdpscope builds on one capture by alternated runs (A, B, A, B, ...), so that a
# machine whose speed drifts affects both alike; prints the best and median wall and CPU
# (user+sys) time of each. Issue 8: how each step of docs/performance.md was judged.
#   tools/bench/alternate.sh BIN_A BIN_B [RUNS] [-- extra rdpscope options, e.g. --keylog F]
# CORPUS (environment) is the capture, default /tmp/perf/big-rekeyed.pcap.
set -euo pipefail
if [[ $# -lt 2 ]]; then
  echo "usage: tools/bench/alternate.sh BIN_A BIN_B [RUNS] [-- rdpscope options]" >&2
  exit 1
fi
a="$1"
b="$2"
shift 2
runs=5
if [[ $# -gt 0 && "$1" != "--" ]]; then
  runs="$1"
  shift
fi
[[ $# -gt 0 && "$1" == "--" ]] && shift
corpus="${CORPUS:-/tmp/perf/big-rekeyed.pcap}"
times_a=()
times_b=()
for _ in $(seq "$runs"); do
  for which in a b; do
    bin="$a"
    [[ "$which" == b ]] && bin="$b"
    t=$({ /usr/bin/time -f "%e %U %S" "$bin" analyze "$corpus" --format json --no-progress \
          -o /dev/null "$@" >/dev/null; } 2>&1 | tail -1)
    if [[ "$which" == a ]]; then times_a+=("$t"); else times_b+=("$t"); fi
  done
done
summary() {
  printf '%s\n' "$@" | python3 -c '
import statistics, sys
rows = [line.split() for line in sys.stdin if line.strip()]
wall = sorted(float(r[0]) for r in rows)
cpu = sorted(float(r[1]) + float(r[2]) for r in rows)
print(f"best wall {wall[0]:.2f} s  median wall {statistics.median(wall):.2f} s  "
      f"best cpu {cpu[0]:.2f} s  median cpu {statistics.median(cpu):.2f} s")'
}
echo "A ($a): $(summary "${times_a[@]}")"
echo "B ($b): $(summary "${times_b[@]}")"
