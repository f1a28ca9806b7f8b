#!/usr/bin/env bash
# Installs everything rdpscope needs to build and test on Debian 12. Idempotent; run as root
# (or with sudo available). Usage: tools/install-deps.sh [--test]   (--test adds test-only tools)
set -euo pipefail
want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

build_pkgs=(build-essential cmake pkg-config libpcap-dev libssl-dev libboost-program-options-dev
            libspdlog-dev libfmt-dev nlohmann-json3-dev libexpected-dev libjemalloc-dev libgtest-dev libgmock-dev libbenchmark-dev
            python3 python3-cryptography)  # the profile-guided build's training (tools/pgo-train.sh)
test_pkgs=(tshark tcpdump tcpreplay iproute2 clang libclang-rt-14-dev time valgrind chromium
           procps)

pkgs=("${build_pkgs[@]}")
(( want_test )) && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} == 0 )); then
  echo "install-deps: all ${#pkgs[@]} packages already installed"
  exit 0
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
