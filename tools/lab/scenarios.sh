# scenarios.sh - one function per capture: scn_<name with _ for ->.
# Each runs in its own subshell with $W (work dir) and $SCN set; lib.sh's
# cleanup() kills every background process when it returns.
SCENARIOS=()
scenario() { SCENARIOS+=("$1"); }

# ---------------------------------------------------------------- successes
scenario tls13-success
scn_tls13_success() {
    xrdp_start security_layer=tls "ssl_protocols=TLSv1.3"
    cap_start
    client 6 /sec:tls /cert:ignore
    cap_stop
}

scenario tls12-success
scn_tls12_success() {
    xrdp_start security_layer=tls "ssl_protocols=TLSv1.2"
    cap_start
    client 6 /sec:tls /cert:ignore
    cap_stop
}

sam_file() { winpr-hash -u "$LAB_USER" -p "$LAB_PASS" -f sam > "$W/sam"; }

scenario nla-success
scn_nla_success() {
    sam_file
    shadow_start /sec:nla /sam-file:"$W/sam" -auth
    cap_start
    client 6 /sec:nla /cert:ignore /u:"$LAB_USER" /p:"$LAB_PASS"
    cap_stop
}

scenario rdp-security-success
scn_rdp_security_success() {
    # crypt_level=fips: FIPS 140-1 (3DES + SHA-1 MAC). With low/medium/high
    # xrdp 0.9.21 rejects the FreeRDP 2.11 Client Info MAC (rdp-security-mac-error).
    xrdp_start security_layer=rdp crypt_level=fips
    cap_start
    client 6 /sec:rdp
    cap_stop
}

scenario rdp-security-mac-error
scn_rdp_security_mac_error() {
    xrdp_start security_layer=rdp crypt_level=high
    cap_start
    client 6 /sec:rdp
    cap_stop
}

# FreeRDP's shadow server with Standard RDP Security: it selects encryption
# method NONE, so everything after the X.224 exchange is cleartext.
scenario rdp-security-noencryption
scn_rdp_security_noencryption() {
    shadow_start /sec:rdp -auth
    cap_start
    client 6 /sec:rdp
    cap_stop
}

# ------------------------------------------------------------ NLA failures
scenario nla-wrong-password
scn_nla_wrong_password() {
    sam_file
    shadow_start /sec:nla /sam-file:"$W/sam" -auth
    cap_start
    client 8 /sec:nla /cert:ignore /u:"$LAB_USER" /p:WrongPass-999
    cap_stop
}

scenario nla-unknown-user
scn_nla_unknown_user() {
    sam_file
    shadow_start /sec:nla /sam-file:"$W/sam" -auth
    cap_start
    client 8 /sec:nla /cert:ignore /u:nosuchuser /p:"$LAB_PASS"
    cap_stop
}

# ------------------------------------------------- RDP_NEG_FAILURE codes
# a client that sends no RDP_NEG_REQ (xfreerdp /sec:rdp) to a TLS-only xrdp:
# no RDP_NEG_FAILURE is possible, xrdp answers with a bare CC then drops at MCS.
scenario tls-only-server-legacy-client
scn_tls_only_server_legacy_client() {
    xrdp_start security_layer=tls
    cap_start
    client 8 /sec:rdp
    cap_stop
}

scenario ssl-not-allowed
scn_ssl_not_allowed() {       # SSL_NOT_ALLOWED_BY_SERVER (0x2)
    shadow_start /sec:rdp -auth
    cap_start
    client 8 /sec:tls /cert:ignore
    cap_stop
}

# xrdp with security_layer=rdp does not send SSL_NOT_ALLOWED: it answers a
# TLS-only request with RDP_NEG_RSP selecting Standard RDP Security.
scenario xrdp-selects-rdp-client-tls-only
scn_xrdp_selects_rdp_client_tls_only() {
    xrdp_start security_layer=rdp
    cap_start
    client 8 /sec:tls /cert:ignore
    cap_stop
}

scenario ssl-cert-not-on-server
scn_ssl_cert_not_on_server() { # SSL_CERT_NOT_ON_SERVER (0x3): xrdp cannot read its certificate
    xrdp_start security_layer=tls certificate=$W/missing.crt key_file=$W/missing.key
    cap_start
    client 8 /sec:tls /cert:ignore
    cap_stop
}

scenario hybrid-required
scn_hybrid_required() {       # HYBRID_REQUIRED_BY_SERVER (0x5)
    sam_file
    shadow_start /sec:nla /sam-file:"$W/sam" -auth
    cap_start
    client 8 /sec:tls /cert:ignore
    cap_stop
}

# ------------------------------------------------------------ TCP level
listener() { # listener MODE SECONDS : python3 TCP listener on 127.0.0.1:$PORT
    bg python3 "$LAB_DIR/tcp_listener.py" "$1" "$PORT" "$2" >"$W/server.out" 2>&1
    wait_listen $PORT
}

scenario port-closed
scn_port_closed() {           # nothing listens: SYN answered by RST
    cap_start
    client 8 /sec:tls /cert:ignore
    cap_stop
}

scenario accepted-then-closed
scn_accepted_then_closed() {
    listener close 15
    cap_start
    client 8 /sec:tls /cert:ignore
    cap_stop
}

scenario accepted-then-reset
scn_accepted_then_reset() {
    listener reset 15
    cap_start
    client 8 /sec:tls /cert:ignore
    cap_stop
}

scenario accepted-never-answered
scn_accepted_never_answered() {
    listener silent 30
    cap_start
    client 12 /sec:tls /cert:ignore
    cap_stop
}

scenario ssl-required
scn_ssl_required() {          # SSL_REQUIRED_BY_SERVER (0x1)
    shadow_start /sec:tls -auth
    cap_start
    client 8 /sec:rdp
    cap_stop
}

# ------------------------------------- Set Error Info / server disconnects
# errinfo_run SEC CODE [AT] : lab server (tools/lab/errinfo_server.c) closes the
# session 1 s after activation (or post-connect) with this error info code.
errinfo_run() {
    local sec=$1 code=$2 at=${3:-activate} lic=${4:--1} redir=${5:-}
    make_cert server
    bg keyed "$ERRINFO_SERVER" --cert "$W/server.crt" --key "$W/server.key" --port $PORT \
        --license-error "$lic" ${redir:+--redirect "$redir"} \
        --sec "$sec" --code "$code" --at "$at" --delay-ms "$([ "$at" = activate ] && echo 1000 || echo 0)" --lifetime 20 >"$W/server.out" 2>&1
    wait_listen $PORT
    cap_start
    client 10 /sec:"$sec" /cert:ignore
    cap_stop
}

scenario errinfo-denied-tls
scn_errinfo_denied_tls() { errinfo_run tls 0x7; }          # ERRINFO_DENIED
scenario errinfo-logoff-tls
scn_errinfo_logoff_tls() { errinfo_run tls 0xC; }          # ERRINFO_LOGOFF_BY_USER
scenario errinfo-idle-timeout-tls
scn_errinfo_idle_timeout_tls() { errinfo_run tls 0x3; }    # ERRINFO_IDLE_TIMEOUT
scenario errinfo-license-tls
scn_errinfo_license_tls() { errinfo_run tls 0x100; }       # ERRINFO_LICENSE_INTERNAL
scenario errinfo-denied-rdp
scn_errinfo_denied_rdp() { errinfo_run rdp 0x7; }
scenario errinfo-logoff-rdp
scn_errinfo_logoff_rdp() { errinfo_run rdp 0xC; }
scenario errinfo-license-rdp
scn_errinfo_license_rdp() { errinfo_run rdp 0x100; }
scenario errinfo-denied-before-activation
scn_errinfo_denied_before_activation() { errinfo_run tls 0x7 postconnect; }
scenario server-disconnect-dpum
scn_server_disconnect_dpum() { errinfo_run tls 0; }       # Deactivate All + DPUm, no error info

# ---------------------------------------------------------- TLS failures
# ossl_conf PROTOCOL-LINE : OpenSSL config for the client that disables TLS
# versions (FreeRDP sets Min/MaxProtocol itself, but a Protocol line applies)
ossl_conf() {
    cat >"$W/openssl-client.cnf" <<EOC
openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
Protocol = $1
EOC
    echo "$W/openssl-client.cnf"
}

scenario tls-version-server-too-old
scn_tls_version_server_too_old() {  # server TLS 1.2 only, client TLS 1.3 only
    xrdp_start security_layer=tls "ssl_protocols=TLSv1.2"
    local cnf; cnf=$(ossl_conf "-TLSv1.2")
    cap_start
    OPENSSL_CONF=$cnf client 8 /sec:tls /cert:ignore
    cap_stop
}

scenario tls-version-client-too-old
scn_tls_version_client_too_old() {  # server TLS 1.3 only, client TLS 1.2 only
    xrdp_start security_layer=tls "ssl_protocols=TLSv1.3"
    local cnf; cnf=$(ossl_conf "-TLSv1.3")
    cap_start
    OPENSSL_CONF=$cnf client 8 /sec:tls /cert:ignore
    cap_stop
}

scenario tls-no-common-cipher
scn_tls_no_common_cipher() {        # TLS 1.2, disjoint cipher lists
    xrdp_start security_layer=tls "ssl_protocols=TLSv1.2" "tls_ciphers=AES256-GCM-SHA384"
    cap_start
    client 8 /sec:tls /cert:ignore /tls-ciphers:ECDHE-RSA-CHACHA20-POLY1305
    cap_stop
}

scenario tls-server-key-mismatch
scn_tls_server_key_mismatch() {     # xrdp certificate and private key do not match
    make_cert server
    make_cert other
    xrdp_start security_layer=tls key_file=$W/other.key
    cap_start
    client 8 /sec:tls /cert:ignore
    cap_stop
}

scenario tls-client-rejects-cert
scn_tls_client_rejects_cert() {     # self-signed server certificate, client /cert:deny
    xrdp_start security_layer=tls
    cap_start
    client 8 /sec:tls /cert:deny
    cap_stop
}

# ------------------------------------ network trouble (private namespace)
scenario syn-unanswered
scn_syn_unanswered() {          # a firewall silently drops the SYN
    ns_setup
    nsx iptables -I INPUT -p tcp --dport $PORT --syn -j DROP
    cap_start
    client 10 /sec:tls /cert:ignore
    cap_stop
}

scenario tls-packet-loss
scn_tls_packet_loss() {         # 10% random loss each way, the session still gets up
    # (this kernel has no sch_netem; iptables' statistic match drops instead)
    ns_setup
    nsx iptables -I INPUT -p tcp -m statistic --mode random --probability 0.10 -j DROP
    xrdp_start security_layer=tls
    cap_start
    client 10 /sec:tls /cert:ignore
    cap_stop
}

scenario mid-session-cut
scn_mid_session_cut() {         # active session, then every packet on port 3389 is dropped
    ns_setup
    xrdp_start security_layer=tls
    cap_start
    ( sleep 4
      nsx iptables -I INPUT -p tcp --dport $PORT -j DROP
      nsx iptables -I INPUT -p tcp --sport $PORT -j DROP ) &
    BG_PIDS+=($!)
    client 12 /sec:tls /cert:ignore
    cap_stop
}

scenario tls-nonstandard-port
scn_tls_nonstandard_port() {    # the same TLS session on port 13389 (detection by heuristic)
    PORT=13389
    xrdp_start security_layer=tls
    cap_start
    client 6 /sec:tls /cert:ignore
    cap_stop
}

# NLA-only client against xrdp (which has no CredSSP): what xrdp answers
scenario nla-client-xrdp
scn_nla_client_xrdp() {
    xrdp_start security_layer=negotiate
    cap_start
    client 8 /sec:nla /cert:ignore /u:"$LAB_USER" /p:"$LAB_PASS"
    cap_stop
}

# licensing Error Alert (ERR_INVALID_CLIENT 0x8, ST_TOTAL_ABORT) instead of
# STATUS_VALID_CLIENT, then Set Error Info ERRINFO_LICENSE_NO_LICENSE (0x102)
scenario license-error-alert-rdp
scn_license_error_alert_rdp() { errinfo_run rdp 0x102 activate 0x8; }
# the same alert with no Set Error Info: the server just drops the connection
scenario license-error-alert-only-rdp
scn_license_error_alert_only_rdp() { errinfo_run rdp 0 activate 0x8; }


# Server Redirection PDU (load balancing) after activation: the client
# reconnects with the routing token in its X.224 CR; that second session is
# then ended with Set Error Info logoff (0xC)
scenario server-redirection
scn_server_redirection() { errinfo_run tls 0xC activate -1 "tsv://MS Terminal Services Plugin.1.Sessions"; }

# ------------------------------------------------------------------ extras
# server configured for HYBRID_EX (NLA + Early User Authorization Result)
# only: FreeRDP 2.11's server cannot select HYBRID_EX and refuses the request
scenario hybrid-ex-only-server
scn_hybrid_ex_only_server() {
    sam_file
    shadow_start /sec:ext /sam-file:"$W/sam" -auth
    cap_start
    client 6 /sec:ext /cert:ignore /u:"$LAB_USER" /p:"$LAB_PASS"
    cap_stop
}

# TLS 1.2: the rejected certificate is visible in clear
scenario tls12-client-rejects-cert
scn_tls12_client_rejects_cert() {
    xrdp_start security_layer=tls "ssl_protocols=TLSv1.2"
    cap_start
    client 8 /sec:tls /cert:deny
    cap_stop
}

scenario nla-client-rejects-cert
scn_nla_client_rejects_cert() {
    sam_file
    shadow_start /sec:nla /sam-file:"$W/sam" -auth
    cap_start
    client 8 /sec:nla /cert:deny /u:"$LAB_USER" /p:"$LAB_PASS"
    cap_stop
}

# something else than RDP answers on 3389 (an HTTP server)
scenario wrong-service-on-port
scn_wrong_service_on_port() {
    listener http 15
    cap_start
    client 8 /sec:tls /cert:ignore
    cap_stop
}
