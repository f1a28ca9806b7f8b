#!/usr/bin/env bash
# Issues 4 and 5 acceptance: every X.224, MCS, GCC, licensing, TLS (cipher, certificate CNs),
# CredSSP and NTLM field that tshark decodes in
# the lab captures (decrypting with their key logs) is decoded by rdpscope with the same value
# in the same frame.
set -euo pipefail
command -v tshark >/dev/null || { echo "SKIP: tshark not installed"; exit 77; }
exec python3 "$(dirname "$0")/tshark_fields_agreement.py"
