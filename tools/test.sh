#!/usr/bin/env bash
# Installs dependencies, builds rdpscope (normal and ASan+UBSan), and runs the whole test suite:
# unit tests, golden end-to-end tests over captures/, agreement tests against tshark and Zeek's
# baselines (read from ../shared when present), and the sanitizer run.
# Usage: tools/test.sh            (set RDPSCOPE_SKIP_SANITIZE=1 to skip the sanitizer build)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh --test
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRDPSCOPE_WERROR=OFF >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

if [[ "${RDPSCOPE_SKIP_SANITIZE:-0}" != "1" ]]; then
  echo "== ASan+UBSan build: unit and golden tests =="
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRDPSCOPE_SANITIZE=ON >/dev/null
  cmake --build build-asan -j"$jobs"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j"$jobs")
fi
