# lib.sh - helpers shared by the capture-lab scenarios (sourced by run-all.sh).
# Everything runs on 127.0.0.1 (or inside network namespaces the lab creates).
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$LAB_DIR/../.." && pwd)
BUILD_DIR=${LAB_BUILD_DIR:-/tmp/rdplab-build}
WORK_ROOT=${LAB_WORK_DIR:-/tmp/rdplab-work}
CAPTURES_DIR=${LAB_CAPTURES_DIR:-$REPO_DIR/captures}
KEYLOG_SO=$BUILD_DIR/keylog_preload.so
ERRINFO_SERVER=$BUILD_DIR/errinfo-server
DISP=${LAB_DISPLAY:-:99}
PORT=3389
# Throwaway lab credentials (not secrets, used only on loopback).
LAB_USER=labuser
LAB_PASS=LabPass-123

BG_PIDS=()
TCPDUMP_PID=

log() { echo "[lab $(date +%T)] $*" >&2; }

# start a background process and remember its pid for cleanup
bg() { "$@" & BG_PIDS+=($!); }

cleanup() {
    local p i
    if [ -n "$TCPDUMP_PID" ]; then kill -INT "$TCPDUMP_PID" 2>/dev/null; fi
    for ((i=${#BG_PIDS[@]}-1; i>=0; i--)); do kill -TERM "${BG_PIDS[i]}" 2>/dev/null; done
    sleep 0.3
    for ((i=${#BG_PIDS[@]}-1; i>=0; i--)); do kill -KILL "${BG_PIDS[i]}" 2>/dev/null; done
    wait 2>/dev/null
    BG_PIDS=()
    # scenario-specific extra cleanup (namespaces ...)
    if declare -F scn_cleanup >/dev/null; then scn_cleanup; fi
    if [ -n "${NS:-}" ]; then ip netns del "$NS" 2>/dev/null; NS=; fi
    true
}

# run a command with the key-log shim: every TLS secret goes to $W/keys.log.
# It exec()s, so "bg keyed prog" records prog's own pid; use it only under bg.
keyed() {
    if [ -n "${NS:-}" ]; then
        exec ip netns exec "$NS" env SSLKEYLOGFILE="$W/keys.log" LD_PRELOAD="$KEYLOG_SO" "$@"
    fi
    exec env SSLKEYLOGFILE="$W/keys.log" LD_PRELOAD="$KEYLOG_SO" "$@"
}
# run a command inside the scenario's network namespace when there is one
nsx() { if [ -n "${NS:-}" ]; then ip netns exec "$NS" "$@"; else "$@"; fi; }

# ns_setup : private network namespace with only its own loopback; client,
# server and tcpdump all run inside it, so tc/iptables rules touch nothing else
NS=
ns_setup() {
    NS=rdplab-$$
    ip netns add "$NS"
    ip -n "$NS" link set lo up
}
KEYED_ENV() { echo "SSLKEYLOGFILE=$W/keys.log LD_PRELOAD=$KEYLOG_SO"; }

wait_listen() { # wait_listen PORT [tcp|udp]
    local port=$1 proto=${2:-tcp} ns=${NS:-} i flag=-ltn
    [ "$proto" = udp ] && flag=-lun
    for i in $(seq 1 50); do
        if [ -n "$ns" ]; then ip netns exec "$ns" ss $flag | grep -q ":$port\b" && return 0
        else ss $flag | grep -q ":$port\b" && return 0; fi
        sleep 0.1
    done
    log "nothing listens on $port"; return 1
}

wait_free() { # make sure no leftover listener from a previous scenario
    local i
    for i in $(seq 1 50); do ss -ltn | grep -q ":$PORT\b" || return 0; sleep 0.1; done
    log "port $PORT still busy: $(ss -ltnp | grep ":$PORT\b")"; return 1
}

cap_start() { # cap_start [filter] [iface]
    local filter=${1:-"tcp port $PORT or udp port $PORT"} ns=${NS:-} ifc=${2:-lo}
    if [ -n "$ns" ]; then
        ip netns exec "$ns" tcpdump --immediate-mode -B 32768 -i "$ifc" -s 0 -U -w "$W/capture.pcap" "$filter" 2>"$W/tcpdump.log" &
    else
        tcpdump --immediate-mode -B 32768 -i "$ifc" -s 0 -U -w "$W/capture.pcap" "$filter" 2>"$W/tcpdump.log" &
    fi
    TCPDUMP_PID=$!
    local i; for i in $(seq 1 30); do grep -q "listening on" "$W/tcpdump.log" 2>/dev/null && break; sleep 0.1; done
    sleep 0.5
}

cap_stop() {
    sleep 0.5
    if [ -n "$TCPDUMP_PID" ]; then kill -INT "$TCPDUMP_PID" 2>/dev/null; wait "$TCPDUMP_PID" 2>/dev/null; fi
    TCPDUMP_PID=
}

xvfb_start() {
    if [ ! -e "/tmp/.X11-unix/X${DISP#:}" ]; then
        bg Xvfb "$DISP" -noreset -nolisten tcp -screen 0 1024x768x24
        local i; for i in $(seq 1 50); do [ -e "/tmp/.X11-unix/X${DISP#:}" ] && break; sleep 0.1; done
    fi
    export DISPLAY=$DISP
}

make_cert() { # make_cert NAME [extra openssl req args] -> $W/NAME.crt $W/NAME.key
    local n=$1; shift
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/$n.key" -out "$W/$n.crt" \
        -days 3650 -subj "/CN=rdplab-$n" "$@" 2>/dev/null
}

# xrdp_conf KEY=VALUE ... : writes $W/xrdp.ini from the packaged file with overrides
xrdp_conf() {
    [ -f "$W/server.crt" ] || make_cert server
    sed -e "s#^port=.*#port=tcp://127.0.0.1:$PORT#" \
        -e 's/^fork=.*/fork=false/' \
        -e "s#^certificate=.*#certificate=$W/server.crt#" \
        -e "s#^key_file=.*#key_file=$W/server.key#" \
        -e "s#^LogFile=.*#LogFile=$W/xrdp.log#" \
        -e 's/^EnableSyslog=.*/EnableSyslog=false/' \
        -e 's/^LogLevel=.*/LogLevel=DEBUG/' \
        /etc/xrdp/xrdp.ini > "$W/xrdp.ini"
    local kv k v
    for kv in "$@"; do
        k=${kv%%=*}; v=${kv#*=}
        if grep -q "^$k=" "$W/xrdp.ini"; then
            sed -i "0,/^$k=/s#^$k=.*#$k=$v#" "$W/xrdp.ini"
        else   # key absent (commented out) in the packaged file: add it to [Globals]
            sed -i "0,/^\[Globals\]/s#^\[Globals\]#[Globals]\n$k=$v#" "$W/xrdp.ini"
        fi
    done
}

xrdp_start() { # xrdp_start KEY=VALUE ...
    xrdp_conf "$@"
    bg keyed xrdp --nodaemon -c "$W/xrdp.ini" >"$W/server.out" 2>&1
    wait_listen $PORT
}

shadow_start() { # shadow_start ARGS... (freerdp-shadow-cli on 127.0.0.1:$PORT)
    xvfb_start
    bg keyed freerdp-shadow-cli /bind-address:127.0.0.1 /port:$PORT "$@" >"$W/server.out" 2>&1
    wait_listen $PORT
}

# client SECONDS ARGS... : bounded xfreerdp run (output in $W/client.log)
client() {
    local t=$1; shift
    xvfb_start
    log "xfreerdp $*"
    nsx env SSLKEYLOGFILE="$W/keys.log" LD_PRELOAD="$KEYLOG_SO" timeout -k 2 "$t" xfreerdp /v:127.0.0.1:$PORT /size:800x600 -grab-keyboard "$@" >>"$W/client.log" 2>&1
    echo "exit=$?" >>"$W/client.log"
}

# copy results into captures/<scenario>/
finish() {
    local out=$CAPTURES_DIR/$SCN
    rm -rf "$out"; mkdir -p "$out"
    cp "$W/capture.pcap" "$out/capture.pcap"
    if [ -s "$W/keys.log" ]; then cp "$W/keys.log" "$out/keys.log"; fi
    # peer logs without FreeRDP's signal backtraces, kept short
    local f
    for f in client.log server.out xrdp.log; do
        [ -s "$W/$f" ] || continue
        grep -v -e 'com.freerdp.utils\] - [0-9]*:' -e '^\s*$' "$W/$f" | cut -c1-300 | head -150 > "$out/${f%.*}.log"
    done
    [ -s "$out/server.log" ] || rm -f "$out/server.log"
    chmod 644 "$out"/*
    log "$SCN: $(stat -c %s "$out/capture.pcap") bytes, $(tshark -r "$out/capture.pcap" 2>/dev/null | wc -l) packets"
}
