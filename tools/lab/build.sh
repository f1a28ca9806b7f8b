#!/usr/bin/env bash
# build.sh - compile the lab helpers into $LAB_BUILD_DIR (default /tmp/rdplab-build)
set -euo pipefail
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${LAB_BUILD_DIR:-/tmp/rdplab-build}
mkdir -p "$BUILD_DIR"
gcc -shared -fPIC -O2 -Wall -o "$BUILD_DIR/keylog_preload.so" "$LAB_DIR/keylog_preload.c" -ldl
if [ -f "$LAB_DIR/errinfo_server.c" ]; then
    gcc -O2 -Wall -o "$BUILD_DIR/errinfo-server" "$LAB_DIR/errinfo_server.c" \
        $(pkg-config --cflags --libs freerdp-server2 freerdp2 winpr2)
fi
