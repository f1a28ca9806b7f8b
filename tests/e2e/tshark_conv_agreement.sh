#!/usr/bin/env bash
# Issue 2 acceptance: for every capture in ../shared/captures/zeek/ and captures/, rdpscope's TCP
# connections and per-direction packet and frame-byte counts equal tshark's `-z conv,tcp`.
set -euo pipefail
command -v tshark >/dev/null || { echo "SKIP: tshark not installed"; exit 77; }
exec python3 "$(dirname "$0")/tshark_conv_agreement.py"
