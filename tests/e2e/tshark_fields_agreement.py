"""Field-by-field agreement with tshark 4.0 on the lab captures; see tshark_fields_agreement.sh.

tshark decodes the cleartext X.224 exchange only without a "decode as TLS" rule and the
decrypted MCS/GCC/licensing PDUs only with one, so each keyed capture is read twice and the
fields merged per frame. Each mapping names the rdpscope event kind and field that must carry
the value tshark shows in that frame.
"""
import glob
import json
import os
import subprocess
import sys

BIN = os.environ["RDPSCOPE_BIN"]
SRC = os.environ["RDPSCOPE_SOURCE_DIR"]

# tshark field -> (rdpscope event kinds, event field, value converter for tshark's text)
def num(v):
    return int(v, 16) if v.startswith("0x") else int(v)

def cookie(v):
    v = v.strip()
    prefix = "Cookie: mstshash="
    return v[len(prefix):] if v.startswith(prefix) else v

MAP = {
    "rdp.rt_cookie": (["x224.connection_request"], "cookie", cookie),
    "rdp.negFailure.failureCode": (["x224.neg_failure"], "failure_code_value", num),
    "rdp.client.build": (["gcc.client_core"], "client_build", num),
    "rdp.client.name": (["gcc.client_core"], "client_name", str),
    "rdp.keyboardLayout": (["gcc.client_core"], "keyboard_layout_value", num),
    "rdp.encryptionMethod": (["gcc.server_security"], "encryption_method_value", num),
    "rdp.encryptionLevel": (["gcc.server_security"], "encryption_level_value", num),
    "t125.result": (["mcs.connect_response", "mcs.attach_user_confirm", "mcs.channel_join_confirm"],
                    "result_value", num),
    "rdp.errorCode": (["rdp.license_error"], "error_code_value", num),
    "rdp.stateTransition": (["rdp.license_error"], "state_transition_value", num),
    "tls.handshake.ciphersuite": (["tls.server_hello"], "cipher_value", num),
    # Decrypted CredSSP / NTLM (issue 5).
    "credssp.version": (["credssp.ts_request"], "version", num),
    "ntlmssp.auth.username": (["ntlm.authenticate"], "user", str),
    "ntlmssp.auth.hostname": (["ntlm.authenticate"], "workstation", str),
    "ntlmssp.challenge.target_name": (["ntlm.challenge"], "target_name", str),
    # Certificate subject/issuer common names (UTF8String CNs of the lab's certificates).
    "x509sat.uTF8String": (["tls.certificate"], None, str),
}
# Fields whose meaning depends on the PDU: requested (CR) vs selected (CC) protocol.
NEG = {"rdp.negReq.requestedProtocols": ("x224.connection_request", "requested_protocols_value"),
       "rdp.negReq.selectedProtocol": ("x224.connection_confirm", "selected_protocol_value")}


def tshark(path, extra):
    fields = list(MAP) + list(NEG)
    cmd = ["tshark", "-r", path, *extra, "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=|", "-e", "frame.number"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = {}
    for line in out.splitlines():
        cols = line.split("\t")
        frame = int(cols[0])
        for name, value in zip(fields, cols[1:]):
            if value:
                rows.setdefault(frame, {})[name] = value.split("|")
    return rows


def main():
    caps = sorted(glob.glob(os.path.join(SRC, "captures", "*", "capture.pcap")))
    caps = [c for c in caps if "/hostile/" not in c]
    if not caps:
        print("SKIP: no lab captures")
        return 77
    passed = failed = 0
    for cap in caps:
        d = os.path.dirname(cap)
        keys = os.path.join(d, "keys.log")
        port = "13389" if "nonstandard-port" in d else "3389"
        runs = [[]]
        ours_args = [cap, "--format", "json", "--no-progress"]
        if os.path.exists(keys):
            runs.append(["-o", f"tls.keylog_file:{keys}", "-d", f"tcp.port=={port},tls",
                         "-d", f"tls.port=={port},tpkt"])
            ours_args += ["--keylog", keys]
        theirs = {}
        for extra in runs:
            for frame, fields in tshark(cap, extra).items():
                for k, v in fields.items():
                    theirs.setdefault(frame, {}).setdefault(k, v)
        res = subprocess.run([BIN, "analyze", *ours_args], capture_output=True, text=True)
        events = {}
        for line in res.stdout.splitlines():
            rec = json.loads(line)
            if rec.get("type") != "connection":
                continue
            for ev in rec["events"]:
                events.setdefault(ev["frame"], []).append(ev)
        for frame, fields in sorted(theirs.items()):
            evs = events.get(frame, [])
            for name, values in fields.items():
                if name in NEG:
                    kind, key = NEG[name]
                    got = [e["fields"].get(key) for e in evs if e["kind"] == kind]
                    want = [num(v) for v in values]
                    # tshark uses negReq.selectedProtocol for both the request and the response
                    # of some versions; compare against whichever PDU is in the frame.
                    if not got:
                        alt = [e["fields"].get("requested_protocols_value") for e in evs
                               if e["kind"] == "x224.connection_request"]
                        got = alt
                elif name == "tls.handshake.ciphersuite" and any(
                        e["kind"] == "tls.client_hello" for e in evs):
                    # ClientHello: the offered list, compared by length and order of names.
                    got = [len(e["fields"].get("cipher_suites", [])) for e in evs
                           if e["kind"] == "tls.client_hello"]
                    want = [len(values)]
                elif name == "rdp.rt_cookie" and values[0].startswith("Cookie: msts="):
                    # A routing token (load balancer / redirection), not an mstshash cookie.
                    tokens = [str(e["fields"].get("routing_token")) for e in evs
                              if e["kind"] == "x224.connection_request"]
                    want = [values[0].strip()[len("Cookie: msts="):]]
                    got = want if any(want[0] in t for t in tokens) else tokens
                elif name == "x509sat.uTF8String":
                    # Every CN tshark shows is a CN of a certificate rdpscope parsed.
                    names = [x for e in evs if e["kind"] == "tls.certificate"
                             for cert in e["fields"].get("certificates", [])
                             for x in (cert.get("subject", ""), cert.get("issuer", ""))]
                    want = values
                    got = [v for v in values if any(f"CN={v}" in n for n in names)]
                else:
                    kinds, key, conv = MAP[name]
                    got = [e["fields"].get(key) for e in evs if e["kind"] in kinds]
                    want = [conv(v) for v in values]
                if sorted(map(str, want)) == sorted(map(str, got)) or (
                        got and all(str(w) in map(str, got) for w in want)):
                    passed += 1
                else:
                    failed += 1
                    print(f"FAIL {os.path.basename(d)} frame {frame} {name}: tshark {want}, "
                          f"rdpscope {got}")
    print(f"tshark field agreement over {len(caps)} lab captures")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


sys.exit(main())
