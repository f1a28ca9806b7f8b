#!/usr/bin/env bash
# run-all.sh - regenerate the capture lab.
#   tools/lab/run-all.sh                 install packages, build helpers, run every scenario
#   tools/lab/run-all.sh NAME [NAME...]  only these scenarios
#   tools/lab/run-all.sh --list          list the scenarios
# Captures land in captures/<scenario>/ (capture.pcap, keys.log, peer logs).
set -uo pipefail
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$LAB_DIR/lib.sh"
source "$LAB_DIR/scenarios.sh"

if [ "${1:-}" = "--list" ]; then printf '%s\n' "${SCENARIOS[@]}"; exit 0; fi
[ "$(id -u)" = 0 ] || { echo "run as root (tcpdump, network namespaces)" >&2; exit 1; }

[ "${LAB_SKIP_INSTALL:-0}" = 1 ] || "$LAB_DIR/install.sh"
"$LAB_DIR/build.sh" || exit 1

todo=("$@"); [ ${#todo[@]} -gt 0 ] || todo=("${SCENARIOS[@]}")
failed=()
for s in "${todo[@]}"; do
    declare -F "scn_${s//-/_}" >/dev/null || { echo "unknown scenario $s" >&2; failed+=("$s"); continue; }
    (
        SCN=$s
        W=$WORK_ROOT/$s
        rm -rf "$W"; mkdir -p "$W"; chmod 755 "$W"
        trap cleanup EXIT
        trap 'exit 130' INT TERM
        log "=== $s"
        wait_free || true
        "scn_${s//-/_}" && cleanup && finish
    ) || failed+=("$s")
done
# Xvfb and everything else is per scenario; nothing is left running.
if [ ${#failed[@]} -gt 0 ]; then echo "FAILED: ${failed[*]}" >&2; exit 1; fi
echo "all ${#todo[@]} scenarios done"
