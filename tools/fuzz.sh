#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time over
# its seed corpus (from captures/, see tests/fuzz/make_seeds.py) and its kept regression inputs
# (tests/fuzz/regressions/<target>/). Exits non-zero when any target crashes, leaks, hits UB or
# times out; the offending input is left in $BUILD/artifacts/<target>/ - fix the bug, then copy
# the input to tests/fuzz/regressions/<target>/ (replayed by the normal unit suite too).
#
# Usage: tools/fuzz.sh [SECONDS_PER_TARGET=30] [TARGET...]
# Env:   RDPSCOPE_FUZZ_BUILD (default build-fuzz), FUZZ_JOBS (parallel targets, default 2).
# Budget on 2 cores: build ~5-6 min from scratch, runs 13 x 30 s / 2 parallel ~ 3.5 min.
set -u -o pipefail
SRC="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${RDPSCOPE_FUZZ_BUILD:-$SRC/build-fuzz}"
SECS="${1:-30}"
shift || true
JOBS="${FUZZ_JOBS:-2}"
ALL=(fuzz_rdp_connection fuzz_tpkt_x224 fuzz_mcs fuzz_gcc fuzz_tls fuzz_credssp fuzz_spnego
     fuzz_ntlm fuzz_kerberos fuzz_licensing fuzz_rules fuzz_keylog fuzz_pcap_pipeline)
if [ $# -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL[@]}"); fi

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not installed (apt-get install clang libclang-rt-14-dev)"; exit 77; }

echo "== configure + build ($BUILD)"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DRDPSCOPE_FUZZ=ON -DRDPSCOPE_TESTS=OFF >/dev/null || exit 1
fi
cmake --build "$BUILD" --target rdpscope_fuzz -j2 >"$BUILD/fuzz-build.log" 2>&1 || {
  tail -40 "$BUILD/fuzz-build.log"; echo "fuzz.sh: build failed"; exit 1; }

echo "== seeds"
if [ ! -d "$BUILD/seeds" ]; then
  python3 "$SRC/tests/fuzz/make_seeds.py" "$SRC" "$BUILD/seeds.tmp" && mv "$BUILD/seeds.tmp" "$BUILD/seeds"
fi

export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:allocator_may_return_null=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"

run_one() {
  local t="$1" secs="$2"
  local bin="$BUILD/tests/fuzz/$t" reg="$SRC/tests/fuzz/regressions/$t"
  local corpus="$BUILD/corpus/$t" art="$BUILD/artifacts/$t/" log="$BUILD/logs/$t.log"
  mkdir -p "$corpus" "$art" "$BUILD/logs" "$reg" "$BUILD/seeds/$t"
  local maxlen=16384
  case "$t" in fuzz_rdp_connection|fuzz_tls|fuzz_pcap_pipeline) maxlen=65536 ;; esac
  # Regression inputs first, one by one: each must pass.
  local f
  for f in "$reg"/*; do
    [ -f "$f" ] || continue
    if ! "$bin" -timeout=10 -rss_limit_mb=2048 "$f" >>"$log" 2>&1; then
      echo "FAIL $t: regression input $f"; return 1
    fi
  done
  if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len="$maxlen" \
       -artifact_prefix="$art" -print_final_stats=1 "$corpus" "$BUILD/seeds/$t" "$reg" \
       >"$log" 2>&1; then
    echo "ok   $t: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$') execs, corpus $(ls "$corpus" | wc -l)"
  else
    echo "FAIL $t (log $log, input in $art):"; grep -m5 -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log"
    return 1
  fi
}
export -f run_one
export BUILD SRC

echo "== run ${#TARGETS[@]} targets, ${SECS}s each, $JOBS at a time"
printf '%s\n' "${TARGETS[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one {} '"$SECS"
rc=$?
if [ $rc -ne 0 ]; then
  echo "fuzz.sh: FAILED (see above)"; exit 1
fi
echo "fuzz.sh: all targets ok"
