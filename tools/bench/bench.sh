#!/usr/bin/env bash
# Benchmarks rdpscope against the read floor (tcpdump) and tshark on one capture, in one run.
#
#   tools/bench/bench.sh CORPUS [--keylog FILE] [--runs N] [--threads N] [--no-tshark] [--markdown]
#
# For each tool: wall time, packets/s, MB/s and peak RSS (GNU time -v), best wall time of N runs
# (default 1; the runs go round by round, every tool once per round) with the file in the page
# cache first. Then the ratios the performance targets use:
#   rdpscope/floor = floor wall time / rdpscope wall time (throughput share of the read floor)
#   tshark/rdpscope = tshark wall time / rdpscope wall time (how many times faster than tshark)
# --threads N adds rows for `rdpscope --threads N` (parallel analysis; with --keylog too) and
# the speed-up over one thread. The binary is $RDPSCOPE_BIN, else build/rdpscope (the profile-
# guided build of tools/run.sh and tools/build.sh), else build-perf/rdpscope.
set -euo pipefail

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-1}"; }

corpus=""
keylog=""
runs=1
tshark=1
markdown=0
threads=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keylog) keylog="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --no-tshark) tshark=0; shift ;;
    --markdown) markdown=1; shift ;;
    -h|--help) usage 0 ;;
    -*) echo "bench.sh: unknown option $1" >&2; usage ;;
    *) corpus="$1"; shift ;;
  esac
done
[[ -n "$corpus" && -r "$corpus" ]] || { echo "bench.sh: need a readable CORPUS" >&2; usage; }
[[ -z "$threads" || "$threads" =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --threads needs a number" >&2; usage; }

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${RDPSCOPE_BIN:-}"
if [[ -z "$bin" ]]; then
  for c in "$root/build/rdpscope" "$root/build-perf/rdpscope"; do
    [[ -x "$c" ]] && { bin="$c"; break; }
  done
fi
[[ -x "$bin" ]] || { echo "bench.sh: rdpscope binary not found (set RDPSCOPE_BIN)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench.sh: needs GNU time at /usr/bin/time" >&2; exit 2; }
command -v tcpdump >/dev/null || { echo "bench.sh: needs tcpdump" >&2; exit 2; }
if [[ $tshark -eq 1 ]] && ! command -v tshark >/dev/null; then tshark=0; fi

bytes=$(stat -L -c %s "$corpus")
# Page cache first (twice: the second pass proves it is cached).
cat "$corpus" > /dev/null; cat "$corpus" > /dev/null
if command -v capinfos >/dev/null; then
  packets=$(capinfos -M -T -r -c "$corpus" 2>/dev/null | awk -F'\t' 'NF>=2 {print $2; exit}')
else
  packets=$(tcpdump -r "$corpus" -nn -q 2>/dev/null | wc -l)
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# measure NAME CMD... : one run; keeps the best wall seconds of NAME so far and that run's peak
# RSS and CPU seconds in $tmp/NAME.
measure() {
  local name="$1"; shift
  local best="" wall kb c
  [[ -s "$tmp/$name" ]] && read -r best _ _ < "$tmp/$name"
  /usr/bin/time -v -o "$tmp/time" "$@" > /dev/null 2> "$tmp/$name.stderr" || {
    echo "bench.sh: '$*' failed:" >&2; tail -5 "$tmp/$name.stderr" >&2; exit 3; }
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$tmp/time")
  kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/time")
  c=$(awk -F': ' '/User time|System time/ {s+=$2} END {print s}' "$tmp/time")
  if [[ -z "$best" ]] || awk -v a="$wall" -v b="$best" 'BEGIN{exit !(a<b)}'; then
    echo "$wall $kb $c" > "$tmp/$name"
  fi
}

# The tools, listed once: each_tool CALLBACK calls `CALLBACK NAME COMMAND...` for every tool.
each_tool() {
  local callback="$1"
  "$callback" floor tcpdump -r "$corpus" -w /dev/null
  if [[ $tshark -eq 1 ]]; then
    "$callback" tshark tshark -r "$corpus" -T fields -e frame.number -e rdp.neg_type \
      -e tls.handshake.type
  fi
  "$callback" rdpscope "$bin" analyze "$corpus" --format json --no-progress
  if [[ -n "$keylog" ]]; then
    "$callback" rdpscope_keylog "$bin" analyze "$corpus" --format json --no-progress \
      --keylog "$keylog"
  fi
  if [[ -n "$threads" ]]; then
    "$callback" "rdpscope_t$threads" "$bin" analyze "$corpus" --format json --no-progress \
      --threads "$threads"
    if [[ -n "$keylog" ]]; then
      "$callback" "rdpscope_keylog_t$threads" "$bin" analyze "$corpus" --format json --no-progress \
        --keylog "$keylog" --threads "$threads"
    fi
  fi
}

# Names and command lines for the report.
declare -a names=() cmds=()
add() {
  local name="$1"
  shift
  names+=("$name")
  cmds+=("$*")
}
each_tool add

# Round after round, every tool once per round: this VM's speed drifts by tens of percent over
# minutes, and a ratio of two best times is fair only if both tools had the same chances.
for ((round = 0; round < runs; round++)); do
  each_tool measure
done

echo "corpus: $corpus ($bytes bytes, $packets packets), best of $runs run(s), $(nproc) CPUs"
if [[ $markdown -eq 1 ]]; then
  echo
  echo "| tool | command (stdout to /dev/null) | wall s | CPU s | packets/s | MB/s | peak RSS MB |"
  echo "|---|---|---:|---:|---:|---:|---:|"
fi
for i in "${!names[@]}"; do
  n="${names[$i]}"
  read -r wall kb cpu < "$tmp/$n"
  awk -v n="$n" -v c="${cmds[$i]}" -v w="$wall" -v kb="$kb" -v cpu="$cpu" -v p="$packets" -v b="$bytes" -v md="$markdown" 'BEGIN {
    w2 = (w > 0) ? w : 0.001
    if (md) printf("| %s | `%s` | %.2f | %.2f | %.0f | %.1f | %.1f |\n", n, c, w, cpu, p / w2, b / w2 / 1e6, kb / 1024)
    else printf("%-16s wall %8.2f s  cpu %8.2f s  %12.0f packets/s  %8.1f MB/s  peak RSS %8.1f MB   (%s)\n",
                n, w, cpu, p / w2, b / w2 / 1e6, kb / 1024, c)
  }'
done
read -r fw _ fc < "$tmp/floor"
read -r rw _ rc < "$tmp/rdpscope"
echo
awk -v f="$fw" -v r="$rw" -v fc="$fc" -v rc="$rc" 'BEGIN { printf("rdpscope/floor throughput: %.1f%% by wall time, %.1f%% by CPU time   (target >= 50%%)\n", 100 * f / (r > 0 ? r : 0.001), 100 * fc / (rc > 0 ? rc : 0.001)) }'
if [[ -n "$keylog" ]]; then
  read -r kw _ kc < "$tmp/rdpscope_keylog"
  awk -v f="$fw" -v r="$kw" -v fc="$fc" -v kc="$kc" 'BEGIN { printf("rdpscope --keylog/floor throughput: %.1f%% by wall time, %.1f%% by CPU time   (target >= 30%%)\n", 100 * f / (r > 0 ? r : 0.001), 100 * fc / (kc > 0 ? kc : 0.001)) }'
fi
if [[ $tshark -eq 1 ]]; then
  read -r tw _ _ < "$tmp/tshark"
  awk -v t="$tw" -v r="$rw" 'BEGIN { printf("tshark/rdpscope: %.1fx faster   (target >= 30x)\n", t / (r > 0 ? r : 0.001)) }'
fi
if [[ -n "$threads" ]]; then
  read -r tw _ _ < "$tmp/rdpscope_t$threads"
  awk -v n="$threads" -v a="$rw" -v b="$tw" 'BEGIN { printf("--threads %s vs 1: %.2fx by wall time\n", n, a / (b > 0 ? b : 0.001)) }'
  if [[ -n "$keylog" ]]; then
    read -r kw _ _ < "$tmp/rdpscope_keylog"
    read -r ktw _ _ < "$tmp/rdpscope_keylog_t$threads"
    awk -v n="$threads" -v a="$kw" -v b="$ktw" 'BEGIN { printf("--threads %s vs 1 with --keylog: %.2fx by wall time\n", n, a / (b > 0 ? b : 0.001)) }'
  fi
fi
