#!/usr/bin/env bash
# Idempotent: installs the Debian packages the capture lab needs.
set -euo pipefail
PKGS="xrdp freerdp2-x11 freerdp2-shadow-x11 freerdp2-dev libfreerdp-server2-2 winpr-utils
      xvfb tcpdump tshark iproute2 iptables openssl libssl-dev gcc pkg-config python3 socat"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get -o DPkg::Lock::Timeout=600 update
  apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends $missing
fi
# the lab runs its own xrdp instances; never leave the packaged service running
if command -v systemctl >/dev/null 2>&1; then systemctl stop xrdp xrdp-sesman 2>/dev/null || true; fi
