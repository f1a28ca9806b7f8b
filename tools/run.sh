#!/usr/bin/env bash
# Installs dependencies, builds rdpscope, and analyses a capture (default: a bundled lab capture
# of the "0x904 / extended 0x7" case). Extra arguments go to `rdpscope analyze`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh >&2
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRDPSCOPE_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target rdpscope >&2
exec ./build/rdpscope analyze "$@"
