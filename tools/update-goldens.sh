#!/usr/bin/env bash
# Rewrites tests/golden/expected/* from the current build; review the diff before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
RDPSCOPE_BIN=${RDPSCOPE_BIN:-build/rdpscope} RDPSCOPE_SOURCE_DIR=$PWD python3 tests/e2e/golden.py --update
