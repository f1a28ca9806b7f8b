#!/usr/bin/env bash
# Installs dependencies, builds rdpscope, and analyses a capture (default: a bundled lab capture
# of the "0x904 / extended 0x7" case). Extra arguments go to `rdpscope analyze`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh >&2
# Profile-guided (tools/build.sh): the first build takes a few minutes more, every analysis less.
bash tools/build.sh build rdpscope -DCMAKE_BUILD_TYPE=Release -DRDPSCOPE_TESTS=OFF >&2
exec ./build/rdpscope analyze "$@"
