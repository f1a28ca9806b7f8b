#!/usr/bin/env bash
# Builds rdpscope with profile-guided optimization, the way tools/run.sh and tools/test.sh (CI)
# build it (docs/performance.md, ninth round):
#   1. BUILD_DIR/pgo/generate: an instrumented rdpscope (RDPSCOPE_PGO=GENERATE);
#   2. tools/pgo-train.sh runs it over the lab captures and a small generated corpus, writing
#      counters to BUILD_DIR/pgo/profile (again only when the instrumented binary or the
#      training script changed);
#   3. BUILD_DIR: TARGET compiled with those counters and -flto (RDPSCOPE_PGO=USE).
# The first build compiles the sources twice (a few minutes more); later builds are incremental.
#   tools/build.sh BUILD_DIR TARGET [cmake -D options...]
# RDPSCOPE_PGO=0 builds without the profile: one compile, and about a fifth more instructions per
# run on the benchmark corpus (1,235 M against 1,018 M without keys).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -lt 2 ]]; then
  echo "usage: tools/build.sh BUILD_DIR TARGET [cmake -D options...]" >&2
  exit 1
fi
build="$(realpath -m "$1")"
target="$2"
shift 2
jobs="$(nproc 2>/dev/null || echo 2)"

# configure_and_build DIR TARGET [cmake -D options...]
configure_and_build() {
  local dir="$1" what="$2"
  shift 2
  cmake -S . -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j"$jobs" --target "$what"
}

if [[ "${RDPSCOPE_PGO:-1}" == "0" ]]; then
  configure_and_build "$build" "$target" "$@" -DRDPSCOPE_PGO=OFF
  exit 0
fi

generate="$build/pgo/generate"
profile="$build/pgo/profile"
echo "build: instrumented rdpscope for the profile (RDPSCOPE_PGO=0 skips this)"
configure_and_build "$generate" rdpscope "$@" -DRDPSCOPE_TESTS=OFF -DRDPSCOPE_BENCH=OFF \
  -DRDPSCOPE_PGO=GENERATE -DRDPSCOPE_PGO_DIR="$profile"
# Trained again when the instrumented binary or the training itself changed.
if [[ ! -f "$profile/trained" || "$generate/rdpscope" -nt "$profile/trained" ||
      tools/pgo-train.sh -nt "$profile/trained" ]]; then
  echo "build: training run (tools/pgo-train.sh)"
  rm -rf "$profile"
  mkdir -p "$profile"
  bash tools/pgo-train.sh "$generate/rdpscope" "$build/pgo/train"
  touch "$profile/trained"
fi
echo "build: $target with the profile"
configure_and_build "$build" "$target" "$@" -DRDPSCOPE_PGO=USE -DRDPSCOPE_PGO_DIR="$profile"
