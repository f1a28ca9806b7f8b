#!/usr/bin/env bash
# Installs dependencies, then runs the whole rdpscope test suite (what CI runs):
#   1. the profile-guided build users get (tools/build.sh) + ctest: unit tests, golden end-to-end
#      tests over captures/, agreement with tshark and Zeek's baselines (../shared, skipped when
#      absent), HTML report in Chromium, annotated pcapng round trip, live capture in a network
#      namespace, hostile captures, secret hygiene, output safety, benchmark smoke test;
#   2. ASan+UBSan build: the unit and golden tests again under the sanitizers;
#   3. Valgrind memcheck on a few captures;
#   4. libFuzzer: every fuzz target for a bounded time (tools/fuzz.sh).
# Env: RDPSCOPE_SKIP_SANITIZE=1, RDPSCOPE_SKIP_FUZZ=1 to skip stages 2-4 locally;
#      RDPSCOPE_FUZZ_SECONDS (default 15) per fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh --test
jobs=2
stages=0

echo "== 1/4 build and test"
# The profile-guided build users get from tools/run.sh (tools/build.sh), with the tests.
# BENCH: the micro-benchmarks must keep compiling.
bash tools/build.sh build all -DCMAKE_BUILD_TYPE=Release -DRDPSCOPE_BENCH=ON
(cd build && ctest --output-on-failure -j"$jobs" --timeout 900)
stages=$((stages + 1))

if [[ "${RDPSCOPE_SKIP_SANITIZE:-0}" != "1" ]]; then
  echo "== 2/4 ASan+UBSan build: unit and golden tests"
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRDPSCOPE_SANITIZE=ON >/dev/null
  cmake --build build-asan -j"$jobs"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure -j"$jobs" --timeout 900 \
       -E 'e2e\.(html_report|live_capture|bench_smoke|hostile_captures|secrets|tshark_conv_agreement)')
  stages=$((stages + 1))

  echo "== 3/4 Valgrind memcheck"
  for scenario in errinfo-denied-tls nla-wrong-password rdp-security-success; do
    keys=()
    [[ -f captures/$scenario/keys.log ]] && keys=(--keylog "captures/$scenario/keys.log")
    valgrind -q --soname-synonyms=somalloc=*jemalloc* --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
      build/rdpscope analyze "captures/$scenario/capture.pcap" "${keys[@]}" \
      --format json --no-progress >/dev/null 2>/tmp/vg.$$ \
      || { cat /tmp/vg.$$; echo "valgrind: $scenario failed"; exit 1; }
    echo "valgrind: $scenario clean"
  done
  rm -f /tmp/vg.$$
  stages=$((stages + 1))
fi

if [[ "${RDPSCOPE_SKIP_FUZZ:-0}" != "1" ]]; then
  echo "== 4/4 fuzzing"
  bash tools/fuzz.sh "${RDPSCOPE_FUZZ_SECONDS:-15}"
  stages=$((stages + 1))
fi
echo "test stages: $stages passed, 0 failed"
