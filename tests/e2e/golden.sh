#!/usr/bin/env bash
# Golden end-to-end tests over every lab capture in captures/: text and JSON output must equal the
# checked-in expected files byte for byte (and be identical across two runs), and the verdicts
# must match tests/golden/truth.tsv, which records what the lab says really happened (with the key
# log, and without it: the stage must survive losing decryption).
set -euo pipefail
exec python3 "$(dirname "$0")/golden.py" "$@"
