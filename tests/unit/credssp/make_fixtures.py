#!/usr/bin/env python3
"""Generates the hand-built DER fixtures of credssp_test.cpp (stdlib only).

No cleartext SPNEGO/Kerberos capture exists in the project yet (the lab's FreeRDP peers send raw
NTLMSSP in negoTokens), so these tokens are encoded here from the ASN.1 of RFC 4178 4.2,
[MS-SPNG] 2.2.1, RFC 2743 3.1, RFC 4121 4.1 and RFC 4120 5.5.1 / 5.9.1. The NTLM messages inside
are the real ones from captures/nla-success/capture.pcap frames 13 and 14 (decrypted TLS).
Run it and paste the printed hex into the test when a fixture changes.
"""


def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + length + content


def seq(*items):
    return tlv(0x30, b"".join(items))


def ctx(n, inner):
    return tlv(0xA0 | n, inner)


def app(n, inner):
    return tlv(0x60 | n, inner) if n < 31 else bytes([0x7F, n]) + tlv(0x00, inner)[1:]


def integer(v):
    length = max(1, (v.bit_length() + 8) // 8)
    return tlv(0x02, v.to_bytes(length, "big", signed=True))


def octets(b):
    return tlv(0x04, b)


def gstr(s):
    return tlv(0x1B, s.encode())


def gtime(s):
    return tlv(0x18, s.encode())


def oid(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray([arcs[0] * 40 + arcs[1]])
    for a in arcs[2:]:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7F))
            a >>= 7
        out += bytes(reversed(chunk))
    return tlv(0x06, bytes(out))


SPNEGO = "1.3.6.1.5.5.2"
KRB5 = "1.2.840.113554.1.2.2"
MSKRB5 = "1.2.840.48018.1.2.2"
NEGOEX = "1.3.6.1.4.1.311.2.2.30"
NTLM = "1.3.6.1.4.1.311.2.2.10"

# captures/nla-success/capture.pcap frame 13 / 14: the NTLMSSP tokens inside the TSRequests.
NTLM_NEGOTIATE = bytes.fromhex(
    "4e544c4d5353500001000000b78208e2000000000000000000000000000000000601b11d0000000f")
NTLM_CHALLENGE = bytes.fromhex(
    "4e544c4d53535000020000000400040038000000b78288e2e997450b302e7e61000000000000000030003000"
    "3c0000000601b11d0000000f56004d000200040056004d000100040056004d000400040076006d0003000400"
    "76006d0007000800801a4f73e27cdd0100000000")


def principal(name_type, *names):
    return seq(ctx(0, integer(name_type)), ctx(1, seq(*[gstr(n) for n in names])))


def enc_data(etype, cipher):
    return seq(ctx(0, integer(etype)), ctx(2, octets(cipher)))


def gss(mech, inner):
    return app(0, oid(mech) + inner)


def neg_token_init(mechs, mech_token):
    return ctx(0, seq(ctx(0, seq(*[oid(m) for m in mechs])), ctx(2, octets(mech_token))))


def neg_token_resp(state, mech=None, token=None, mic=None):
    items = [ctx(0, tlv(0x0A, bytes([state])))]
    if mech:
        items.append(ctx(1, oid(mech)))
    if token is not None:
        items.append(ctx(2, octets(token)))
    if mic is not None:
        items.append(ctx(3, octets(mic)))
    return ctx(1, seq(*items))


ticket = app(1, seq(ctx(0, integer(5)), ctx(1, gstr("EXAMPLE.COM")),
                    ctx(2, principal(2, "TERMSRV", "rds.example.com")),
                    ctx(3, seq(ctx(0, integer(18)), ctx(1, integer(3)), ctx(2, octets(b"\x11" * 48))))))
ap_req = app(14, seq(ctx(0, integer(5)), ctx(1, integer(14)),
                     ctx(2, tlv(0x03, bytes([0, 0x20, 0, 0, 0]))),
                     ctx(3, ticket), ctx(4, enc_data(18, b"\x22" * 40))))
krb_error = app(30, seq(ctx(0, integer(5)), ctx(1, integer(30)),
                        ctx(4, gtime("20241125134002Z")), ctx(5, integer(12345)),
                        ctx(6, integer(37)), ctx(9, gstr("EXAMPLE.COM")),
                        ctx(10, principal(2, "TERMSRV", "rds.example.com"))))
ap_rep = app(15, seq(ctx(0, integer(5)), ctx(1, integer(15)), ctx(2, enc_data(18, b"\x33" * 32))))

fixtures = {
    "kSpnegoInitNtlm": gss(SPNEGO, neg_token_init([MSKRB5, KRB5, NEGOEX, NTLM], NTLM_NEGOTIATE)),
    "kSpnegoRespNtlmChallenge": neg_token_resp(1, NTLM, NTLM_CHALLENGE),
    "kSpnegoInitKerberos": gss(SPNEGO, neg_token_init(
        [MSKRB5, KRB5, NTLM], gss(KRB5, b"\x01\x00" + ap_req))),
    "kSpnegoRespKrbError": neg_token_resp(2, None, gss(KRB5, b"\x03\x00" + krb_error)),
    "kSpnegoRespApRep": neg_token_resp(0, MSKRB5, gss(KRB5, b"\x02\x00" + ap_rep), b"\x44" * 28),
    "kTsRequestErrorLogonFailure": seq(ctx(0, integer(6)), ctx(4, integer(-0x3FFFFF93))),
    "kTsRequestErrorPadded": seq(ctx(0, integer(4)), ctx(4, tlv(0x02, bytes.fromhex("00c000006d")))),
}
fixtures["kTsRequestSpnegoKerberos"] = seq(
    ctx(0, integer(6)), ctx(1, seq(seq(ctx(0, octets(fixtures["kSpnegoInitKerberos"]))))))
fixtures["kTsRequestSpnegoKrbError"] = seq(
    ctx(0, integer(6)), ctx(1, seq(seq(ctx(0, octets(fixtures["kSpnegoRespKrbError"]))))))

for name, value in fixtures.items():
    h = value.hex()
    print(f"const std::string {name} =")
    for i in range(0, len(h), 90):
        print(f'    "{h[i:i+90]}"' + (";" if i + 90 >= len(h) else ""))
