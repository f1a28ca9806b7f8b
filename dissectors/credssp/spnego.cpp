// GSS-API wrapper, SPNEGO and Kerberos grammar (RFC 2743 3.1, RFC 4178 4.2, [MS-SPNG] 2.2.1,
// RFC 4120 5.5 / 5.9, RFC 4121 4.1). See spnego.h: only metadata is kept.
#include "credssp/spnego.h"

#include <array>

#include "asn1/ber.h"
#include "core/text.h"

namespace rdpscope::credssp {

namespace {

using asn1::TagClass;
using asn1::Tlv;
namespace tag = asn1::tag;

// Upper bound on list lengths we keep (mechTypes, name-string): real tokens carry < 8.
constexpr std::size_t kMaxListItems = 32;
// SPNEGO inside SPNEGO is not legal; one level of inner token is all RFC 4178 allows.
constexpr int kMaxTokenNesting = 2;

// OIDs (RFC 4178 4.1, RFC 4121 1, [MS-KILE] 3.1.5.1, [MS-NLMP] 1.9, [MS-NEGOEX] 1.9, PKU2U).
constexpr const char* kOidSpnego = "1.3.6.1.5.5.2";
constexpr const char* kOidKrb5 = "1.2.840.113554.1.2.2";
constexpr const char* kOidMsKrb5 = "1.2.840.48018.1.2.2";
constexpr const char* kOidKrb5U2u = "1.2.840.113554.1.2.2.3";
constexpr const char* kOidNtlm = "1.3.6.1.4.1.311.2.2.10";
constexpr const char* kOidNegoex = "1.3.6.1.4.1.311.2.2.30";
constexpr const char* kOidPku2u = "1.3.6.1.5.2.7";

using TaggedFields = std::array<std::optional<Tlv>, 16>;

// Reads the [n] EXPLICIT components of a SEQUENCE body in DER order (ascending, no repeats);
// components numbered >= 16 are bounds-checked and dropped.
Result<TaggedFields> readTaggedFields(ByteReader content, int depth, const char* field) {
  TaggedFields out;
  std::int64_t last = -1;
  while (!content.empty()) {
    RDPSCOPE_TRY(Tlv outer, asn1::readTlv(content, depth));
    if (outer.tag_class != TagClass::ContextSpecific || !outer.constructed ||
        static_cast<std::int64_t>(outer.tag_number) <= last) {
      return parseError(ErrorKind::Malformed, outer.offset, field);
    }
    last = outer.tag_number;
    RDPSCOPE_TRY(Tlv inner, asn1::readTlv(outer.content, depth + 1));
    if (!outer.content.empty()) {
      return parseError(ErrorKind::Malformed, outer.content.offset(), field);
    }
    if (outer.tag_number < out.size()) {
      out[outer.tag_number] = inner;
    }
  }
  return out;
}

Result<void> expectUniversal(const Tlv& t, std::uint32_t number, const char* field) {
  if (!t.is(TagClass::Universal, number) || t.constructed) {
    return parseError(ErrorKind::Malformed, t.offset, field);
  }
  return {};
}

Result<std::int64_t> asInteger(const Tlv& t, const char* field) {
  if (auto e = expectUniversal(t, tag::kInteger, field); !e) {
    return tl::unexpected(e.error());
  }
  return asn1::decodeInteger(t.content.rest(), t.content.offset(), field);
}

Result<std::int64_t> asEnumerated(const Tlv& t, const char* field) {
  if (auto e = expectUniversal(t, tag::kEnumerated, field); !e) {
    return tl::unexpected(e.error());
  }
  return asn1::decodeInteger(t.content.rest(), t.content.offset(), field);
}

Result<std::string> asOid(const Tlv& t, const char* field) {
  if (auto e = expectUniversal(t, tag::kOid, field); !e) {
    return tl::unexpected(e.error());
  }
  return asn1::decodeOid(t.content.rest(), t.content.offset(), field);
}

Result<ByteView> asOctets(const Tlv& t, const char* field) {
  if (auto e = expectUniversal(t, tag::kOctetString, field); !e) {
    return tl::unexpected(e.error());
  }
  return t.content.rest();
}

// KerberosString is GeneralString (RFC 4120 5.2.1); KerberosTime is GeneralizedTime (5.2.3).
Result<std::string> asText(const Tlv& t, std::uint32_t number, const char* field) {
  if (auto e = expectUniversal(t, number, field); !e) {
    return tl::unexpected(e.error());
  }
  ByteView raw = t.content.rest();
  return sanitizeUtf8(std::string(raw.begin(), raw.end()));
}

Result<TaggedFields> sequenceFields(const Tlv& t, int depth, const char* field) {
  if (!t.is(TagClass::Universal, tag::kSequence) || !t.constructed) {
    return parseError(ErrorKind::Malformed, t.offset, field);
  }
  return readTaggedFields(t.content, depth + 1, field);
}

// RFC 4120 5.2.2 PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF
// KerberosString }.
Result<KerberosPrincipal> asPrincipal(const Tlv& t, int depth, const char* field) {
  RDPSCOPE_TRY(TaggedFields f, sequenceFields(t, depth, field));
  if (!f[0] || !f[1]) {
    return parseError(ErrorKind::Malformed, t.offset, field);
  }
  KerberosPrincipal p;
  RDPSCOPE_TRY(p.name_type, asInteger(*f[0], field));
  if (!f[1]->is(TagClass::Universal, tag::kSequence) || !f[1]->constructed) {
    return parseError(ErrorKind::Malformed, f[1]->offset, field);
  }
  ByteReader names = f[1]->content;
  while (!names.empty()) {
    RDPSCOPE_TRY(Tlv s, asn1::readTlv(names, depth + 4));
    if (p.names.size() >= kMaxListItems) {
      return parseError(ErrorKind::LimitExceeded, s.offset, field);
    }
    RDPSCOPE_TRY(std::string name, asText(s, tag::kGeneralString, field));
    p.names.push_back(std::move(name));
  }
  return p;
}

// RFC 4120 5.2.9 EncryptedData ::= SEQUENCE { etype [0] Int32, kvno [1] UInt32 OPTIONAL,
// cipher [2] OCTET STRING } — only etype is read.
Result<std::int64_t> encryptedDataEtype(const Tlv& t, int depth, const char* field) {
  RDPSCOPE_TRY(TaggedFields f, sequenceFields(t, depth, field));
  if (!f[0] || !f[2]) {
    return parseError(ErrorKind::Malformed, t.offset, field);
  }
  return asInteger(*f[0], field);
}

Result<KerberosMessage> parseKrbBody(ByteReader& r, int depth, KerberosMessage m) {
  RDPSCOPE_TRY(Tlv app, asn1::readTlv(r, depth));
  if (app.tag_class != TagClass::Application || !app.constructed) {
    return parseError(ErrorKind::Malformed, app.offset, "kerberos.message");
  }
  m.msg_type = app.tag_number;
  switch (m.msg_type) {
    case krb_msg::kApReq:
    case krb_msg::kApRep:
    case krb_msg::kError:
    case krb_msg::kAsReq:
    case krb_msg::kAsRep:
    case krb_msg::kTgsReq:
    case krb_msg::kTgsRep:
      break;
    default: return parseError(ErrorKind::Unsupported, app.offset, "kerberos.message");
  }
  RDPSCOPE_TRY(Tlv seq, asn1::expectTag(app.content, TagClass::Universal, tag::kSequence,
                                        depth + 1, "kerberos.message"));
  if (!app.content.empty()) {
    return parseError(ErrorKind::Malformed, app.content.offset(), "kerberos.message");
  }
  RDPSCOPE_TRY(TaggedFields f, readTaggedFields(seq.content, depth + 2, "kerberos.fields"));
  const int d = depth + 3;
  if (m.msg_type == krb_msg::kApReq) {
    // RFC 4120 5.5.1 AP-REQ: pvno [0], msg-type [1], ap-options [2], ticket [3],
    // authenticator [4].
    if (!f[2] || !f[3] || !f[4]) {
      return parseError(ErrorKind::Malformed, seq.offset, "kerberos.ap_req");
    }
    if (auto e = expectUniversal(*f[2], tag::kBitString, "kerberos.ap_req.ap_options"); !e) {
      return tl::unexpected(e.error());
    }
    ByteView opts = f[2]->content.rest();
    // APOptions bit 2 = mutual-required (RFC 4120 5.5.1); byte 0 is the unused-bits count.
    m.mutual_required = opts.size() >= 2 && (opts[1] & 0x20) != 0;
    // Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1], sname [2], enc-part [3] }.
    Tlv ticket = *f[3];
    if (!ticket.is(TagClass::Application, 1) || !ticket.constructed) {
      return parseError(ErrorKind::Malformed, ticket.offset, "kerberos.ticket");
    }
    RDPSCOPE_TRY(Tlv tseq, asn1::expectTag(ticket.content, TagClass::Universal, tag::kSequence,
                                           d, "kerberos.ticket"));
    RDPSCOPE_TRY(TaggedFields tf, readTaggedFields(tseq.content, d + 1, "kerberos.ticket"));
    if (!tf[1] || !tf[2] || !tf[3]) {
      return parseError(ErrorKind::Malformed, tseq.offset, "kerberos.ticket");
    }
    RDPSCOPE_TRY(m.realm, asText(*tf[1], tag::kGeneralString, "kerberos.ticket.realm"));
    RDPSCOPE_TRY(m.sname, asPrincipal(*tf[2], d + 2, "kerberos.ticket.sname"));
    RDPSCOPE_TRY(m.ticket_etype, encryptedDataEtype(*tf[3], d + 2, "kerberos.ticket.enc_part"));
    RDPSCOPE_TRY(m.enc_etype, encryptedDataEtype(*f[4], d, "kerberos.ap_req.authenticator"));
  } else if (m.msg_type == krb_msg::kApRep) {
    // RFC 4120 5.5.2 AP-REP: pvno [0], msg-type [1], enc-part [2].
    if (!f[2]) {
      return parseError(ErrorKind::Malformed, seq.offset, "kerberos.ap_rep");
    }
    RDPSCOPE_TRY(m.enc_etype, encryptedDataEtype(*f[2], d, "kerberos.ap_rep.enc_part"));
  } else if (m.msg_type == krb_msg::kError) {
    // RFC 4120 5.9.1 KRB-ERROR: stime [4], error-code [6], realm [9], sname [10] required;
    // e-text [11] optional. crealm/cname (client identity) are not kept.
    if (!f[6] || !f[9] || !f[10]) {
      return parseError(ErrorKind::Malformed, seq.offset, "kerberos.krb_error");
    }
    RDPSCOPE_TRY(m.error_code, asInteger(*f[6], "kerberos.krb_error.error_code"));
    RDPSCOPE_TRY(m.realm, asText(*f[9], tag::kGeneralString, "kerberos.krb_error.realm"));
    RDPSCOPE_TRY(m.sname, asPrincipal(*f[10], d, "kerberos.krb_error.sname"));
    if (f[4]) {
      RDPSCOPE_TRY(m.stime, asText(*f[4], tag::kGeneralizedTime, "kerberos.krb_error.stime"));
    }
    if (f[11]) {
      RDPSCOPE_TRY(m.e_text, asText(*f[11], tag::kGeneralString, "kerberos.krb_error.e_text"));
    }
  }
  return m;
}

// PKU2U (draft-zhu-pku2u) is recognised by its OID only: its tokens carry AS exchanges whose
// framing differs between implementations, so they are not decoded.
bool isKerberosOid(const std::string& oid) {
  return oid == kOidKrb5 || oid == kOidMsKrb5 || oid == kOidKrb5U2u;
}

// RFC 2743 3.1 InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE { thisMech MechType,
// innerContextToken ANY }. Returns the OID and a reader over the inner token.
struct GssWrapper {
  std::string oid;
  ByteReader inner;
};
Result<GssWrapper> readGssWrapper(ByteReader& r, int depth) {
  RDPSCOPE_TRY(Tlv app, asn1::expectTag(r, TagClass::Application, 0, depth, "gss.wrapper"));
  if (!app.constructed) {
    return parseError(ErrorKind::Malformed, app.offset, "gss.wrapper");
  }
  RDPSCOPE_TRY(std::string oid, asn1::readOid(app.content, depth + 1, "gss.this_mech"));
  return GssWrapper{std::move(oid), app.content};
}

Result<SpnegoToken> parseSpnegoImpl(ByteView data, std::uint32_t base, int nesting);

Result<KerberosMessage> parseKerberosImpl(ByteView data, std::uint32_t base) {
  ByteReader r(data, base);
  KerberosMessage m;
  if (!data.empty() && data[0] == 0x60) {
    RDPSCOPE_TRY(GssWrapper w, readGssWrapper(r, 0));
    if (!isKerberosOid(w.oid)) {
      return parseError(ErrorKind::Malformed, base, "kerberos.gss_oid");
    }
    m.gss_wrapped = true;
    m.gss_oid = w.oid;
    // RFC 4121 4.1: TOK_ID (2 bytes: 01 00 AP-REQ, 02 00 AP-REP, 03 00 KRB-ERROR); the
    // message's own application tag says the same, so it is what we trust.
    if (auto s = w.inner.skip(2, "kerberos.tok_id"); !s) {
      return tl::unexpected(s.error());
    }
    RDPSCOPE_TRY(KerberosMessage out, parseKrbBody(w.inner, 1, std::move(m)));
    if (!w.inner.empty()) {
      return parseError(ErrorKind::Malformed, w.inner.offset(), "kerberos.trailing");
    }
    return out;
  }
  RDPSCOPE_TRY(KerberosMessage out, parseKrbBody(r, 0, std::move(m)));
  if (!r.empty()) {
    return parseError(ErrorKind::Malformed, r.offset(), "kerberos.trailing");
  }
  return out;
}

Result<GssToken> parseGssTokenImpl(ByteView data, std::uint32_t base, int nesting) {
  if (nesting > kMaxTokenNesting) {
    return parseError(ErrorKind::LimitExceeded, base, "gss.nesting");
  }
  GssToken t;
  if (looksLikeNtlm(data)) {
    RDPSCOPE_TRY(NtlmMessage m, parseNtlmMessage(data, base));
    t.mechanism = Mechanism::Ntlm;
    t.ntlm = std::move(m);
    return t;
  }
  if (data.empty()) {
    return t;
  }
  const std::uint8_t first = data[0];
  if (first == 0xA0 || first == 0xA1) {
    RDPSCOPE_TRY(SpnegoToken s, parseSpnegoImpl(data, base, nesting));
    t.spnego = std::move(s);
  } else if (first == 0x60) {
    ByteReader r(data, base);
    RDPSCOPE_TRY(GssWrapper w, readGssWrapper(r, 0));
    t.oid = w.oid;
    if (w.oid == kOidSpnego) {
      RDPSCOPE_TRY(SpnegoToken s, parseSpnegoImpl(data, base, nesting));
      t.spnego = std::move(s);
    } else if (isKerberosOid(w.oid)) {
      RDPSCOPE_TRY(KerberosMessage k, parseKerberosImpl(data, base));
      t.kerberos = std::move(k);
      t.mechanism = mechanismFromOid(w.oid);
      return t;
    } else {
      t.mechanism = mechanismFromOid(w.oid);  // NEGOEX or unknown: OID only
      return t;
    }
  } else if (first == 0x6A || first == 0x6B || first == 0x6C || first == 0x6D ||
             first == 0x6E || first == 0x6F || first == 0x7E) {
    // Bare Kerberos messages: [APPLICATION 10..15] and [APPLICATION 30] (RFC 4120 5.10).
    RDPSCOPE_TRY(KerberosMessage k, parseKerberosImpl(data, base));
    t.kerberos = std::move(k);
    t.mechanism = Mechanism::Kerberos;
    return t;
  } else {
    return t;  // Unknown mechanism: recorded as such by the caller
  }
  // SPNEGO: the mechanism is the inner token's, else the selected one, else the first offered.
  const SpnegoToken& s = *t.spnego;
  if (!s.inner.empty() && s.inner[0].mechanism != Mechanism::Unknown) {
    t.mechanism = s.inner[0].mechanism;
  } else if (s.supported_mech) {
    t.mechanism = mechanismFromOid(*s.supported_mech);
  } else if (!s.mech_types.empty()) {
    t.mechanism = mechanismFromOid(s.mech_types.front());
  } else {
    t.mechanism = Mechanism::Spnego;
  }
  return t;
}

Result<SpnegoToken> parseSpnegoImpl(ByteView data, std::uint32_t base, int nesting) {
  ByteReader r(data, base);
  SpnegoToken s;
  ByteReader body = r;
  if (!data.empty() && data[0] == 0x60) {
    RDPSCOPE_TRY(GssWrapper w, readGssWrapper(r, 0));
    if (w.oid != kOidSpnego) {
      return parseError(ErrorKind::Malformed, base, "spnego.oid");
    }
    s.gss_wrapped = true;
    body = w.inner;
  }
  // RFC 4178 4.2 NegotiationToken ::= CHOICE { negTokenInit [0], negTokenResp [1] }.
  RDPSCOPE_TRY(Tlv choice, asn1::readTlv(body, 2));
  if (!body.empty() || choice.tag_class != TagClass::ContextSpecific || !choice.constructed ||
      choice.tag_number > 1) {
    return parseError(ErrorKind::Malformed, choice.offset, "spnego.negotiation_token");
  }
  s.kind = choice.tag_number == 0 ? SpnegoToken::Kind::Init : SpnegoToken::Kind::Resp;
  RDPSCOPE_TRY(Tlv seq, asn1::expectTag(choice.content, TagClass::Universal, tag::kSequence, 3,
                                        "spnego.negotiation_token"));
  if (!choice.content.empty()) {
    return parseError(ErrorKind::Malformed, choice.content.offset(), "spnego.negotiation_token");
  }
  RDPSCOPE_TRY(TaggedFields f, readTaggedFields(seq.content, 4, "spnego.fields"));
  std::optional<Tlv> token;
  if (s.kind == SpnegoToken::Kind::Init) {
    // NegTokenInit: mechTypes [0], reqFlags [1], mechToken [2], mechListMIC [3];
    // [MS-SPNG] 2.2.1 NegTokenInit2: negHints [3] (a SEQUENCE), mechListMIC [4].
    if (f[0]) {
      if (!f[0]->is(TagClass::Universal, tag::kSequence) || !f[0]->constructed) {
        return parseError(ErrorKind::Malformed, f[0]->offset, "spnego.mech_types");
      }
      ByteReader list = f[0]->content;
      while (!list.empty()) {
        if (s.mech_types.size() >= kMaxListItems) {
          return parseError(ErrorKind::LimitExceeded, list.offset(), "spnego.mech_types");
        }
        RDPSCOPE_TRY(std::string oid, asn1::readOid(list, 6, "spnego.mech_types"));
        s.mech_types.push_back(std::move(oid));
      }
    }
    token = f[2];
    s.mech_list_mic = (f[3] && f[3]->is(TagClass::Universal, tag::kOctetString)) || f[4];
  } else {
    // NegTokenResp: negState [0], supportedMech [1], responseToken [2], mechListMIC [3].
    if (f[0]) {
      RDPSCOPE_TRY(s.neg_state, asEnumerated(*f[0], "spnego.neg_state"));
    }
    if (f[1]) {
      RDPSCOPE_TRY(s.supported_mech, asOid(*f[1], "spnego.supported_mech"));
    }
    token = f[2];
    s.mech_list_mic = f[3].has_value();
  }
  if (token) {
    RDPSCOPE_TRY(ByteView raw, asOctets(*token, "spnego.mech_token"));
    s.inner_length = static_cast<std::uint32_t>(raw.size());
    const std::uint32_t at = token->content.offset();
    RDPSCOPE_TRY(GssToken inner, parseGssTokenImpl(raw, at, nesting + 1));
    s.inner.push_back(std::move(inner));
  }
  return s;
}

}  // namespace

const char* mechanismKey(Mechanism m) noexcept {
  switch (m) {
    case Mechanism::Ntlm: return "ntlm";
    case Mechanism::Kerberos: return "kerberos";
    case Mechanism::Pku2u: return "pku2u";
    case Mechanism::Negoex: return "negoex";
    case Mechanism::Spnego: return "spnego";
    case Mechanism::Unknown: return "unknown";
  }
  return "unknown";
}

Mechanism mechanismFromOid(const std::string& oid) noexcept {
  if (oid == kOidNtlm) {
    return Mechanism::Ntlm;
  }
  if (oid == kOidKrb5 || oid == kOidMsKrb5 || oid == kOidKrb5U2u) {
    return Mechanism::Kerberos;
  }
  if (oid == kOidPku2u) {
    return Mechanism::Pku2u;
  }
  if (oid == kOidNegoex) {
    return Mechanism::Negoex;
  }
  if (oid == kOidSpnego) {
    return Mechanism::Spnego;
  }
  return Mechanism::Unknown;
}

std::string KerberosPrincipal::text() const {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) {
      out += '/';
    }
    out += n;
  }
  return out;
}

Result<SpnegoToken> parseSpnego(ByteView data, std::uint32_t base_offset) {
  return parseSpnegoImpl(data, base_offset, 0);
}

Result<KerberosMessage> parseKerberos(ByteView data, std::uint32_t base_offset) {
  return parseKerberosImpl(data, base_offset);
}

Result<GssToken> parseGssToken(ByteView data, std::uint32_t base_offset, int nesting) {
  return parseGssTokenImpl(data, base_offset, nesting);
}

}  // namespace rdpscope::credssp
