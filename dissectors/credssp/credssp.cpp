// CredSSP TSRequest / TSCredentials grammar ([MS-CSSP] 2.2.1). See credssp.h.
#include "credssp/credssp.h"

#include "asn1/ber.h"

namespace rdpscope::credssp {

namespace {
using asn1::TagClass;
using asn1::Tlv;
namespace tag = asn1::tag;

Result<ByteView> octets(const Tlv& t, const char* field) {
  if (!t.is(TagClass::Universal, tag::kOctetString) || t.constructed) {
    return parseError(ErrorKind::Malformed, t.offset, field);
  }
  return t.content.rest();
}

Result<std::int64_t> integer(const Tlv& t, const char* field) {
  if (!t.is(TagClass::Universal, tag::kInteger) || t.constructed) {
    return parseError(ErrorKind::Malformed, t.offset, field);
  }
  return asn1::decodeInteger(t.content.rest(), t.content.offset(), field);
}

std::uint32_t len32(ByteView v) { return static_cast<std::uint32_t>(v.size()); }
}  // namespace

Result<std::size_t> tsRequestLength(ByteView data) {
  ByteReader r(data);
  RDPSCOPE_TRY(asn1::TlvHeader h, asn1::readHeader(r));
  if (!h.is(TagClass::Universal, tag::kSequence) || !h.constructed) {
    return parseError(ErrorKind::Malformed, 0, "ts_request.sequence");
  }
  if (h.totalLength() > kMaxTsRequest) {
    return parseError(ErrorKind::LimitExceeded, 0, "ts_request.length");
  }
  return h.totalLength();
}

Result<TsRequest> parseTsRequest(ByteView data, std::uint32_t base_offset) {
  ByteReader r(data, base_offset);
  RDPSCOPE_TRY(Tlv seq, asn1::expectTag(r, TagClass::Universal, tag::kSequence, 0,
                                        "ts_request.sequence"));
  if (!seq.constructed) {
    return parseError(ErrorKind::Malformed, seq.offset, "ts_request.sequence");
  }
  if (auto e = r.expectEnd("ts_request.trailing"); !e) {
    return tl::unexpected(e.error());
  }
  TsRequest req;
  ByteReader body = seq.content;
  // version [0] INTEGER is mandatory.
  RDPSCOPE_TRY(Tlv ver, asn1::readExplicit(body, 0, 1, "ts_request.version"));
  RDPSCOPE_TRY(req.version, integer(ver, "ts_request.version"));
  std::uint32_t last = 0;
  while (!body.empty()) {
    const std::uint32_t at = body.offset();
    ByteReader peek = body;
    RDPSCOPE_TRY(asn1::TlvHeader h, asn1::readHeader(peek));
    if (h.tag_class != TagClass::ContextSpecific || h.tag_number <= last || h.tag_number > 5) {
      // DER: components in tag order; [MS-CSSP] 2.2.1 defines [0]..[5] only.
      return parseError(ErrorKind::Malformed, at, "ts_request.field");
    }
    last = h.tag_number;
    switch (h.tag_number) {
      case 1: {
        // negoTokens [1] NegoData ::= SEQUENCE OF SEQUENCE { negoToken [0] OCTET STRING }.
        RDPSCOPE_TRY(Tlv list, asn1::readExplicit(body, 1, 1, "ts_request.nego_tokens"));
        if (!list.is(TagClass::Universal, tag::kSequence) || !list.constructed) {
          return parseError(ErrorKind::Malformed, list.offset, "ts_request.nego_tokens");
        }
        while (!list.content.empty()) {
          RDPSCOPE_TRY(Tlv item, asn1::expectTag(list.content, TagClass::Universal,
                                                 tag::kSequence, 3, "ts_request.nego_data"));
          RDPSCOPE_TRY(Tlv tok, asn1::readExplicit(item.content, 0, 4, "ts_request.nego_token"));
          if (auto e = item.content.expectEnd("ts_request.nego_data"); !e) {
            return tl::unexpected(e.error());
          }
          RDPSCOPE_TRY(ByteView raw, octets(tok, "ts_request.nego_token"));
          if (req.nego_tokens.size() >= kMaxNegoTokens) {
            return parseError(ErrorKind::LimitExceeded, item.offset, "ts_request.nego_tokens");
          }
          req.nego_tokens.push_back(NegoToken{raw, tok.content.offset()});
        }
        break;
      }
      case 2: {
        RDPSCOPE_TRY(Tlv t, asn1::readExplicit(body, 2, 1, "ts_request.auth_info"));
        RDPSCOPE_TRY(ByteView raw, octets(t, "ts_request.auth_info"));
        req.auth_info_length = len32(raw);
        break;
      }
      case 3: {
        RDPSCOPE_TRY(Tlv t, asn1::readExplicit(body, 3, 1, "ts_request.pub_key_auth"));
        RDPSCOPE_TRY(ByteView raw, octets(t, "ts_request.pub_key_auth"));
        req.pub_key_auth_length = len32(raw);
        break;
      }
      case 4: {
        // errorCode [4] INTEGER: an NTSTATUS; peers encode it signed (4 bytes, negative) or
        // with a 0x00 pad (5 bytes): both map to the same 32-bit code.
        RDPSCOPE_TRY(Tlv t, asn1::readExplicit(body, 4, 1, "ts_request.error_code"));
        RDPSCOPE_TRY(std::int64_t v, integer(t, "ts_request.error_code"));
        if (v < INT32_MIN || v > static_cast<std::int64_t>(UINT32_MAX)) {
          return parseError(ErrorKind::Malformed, t.offset, "ts_request.error_code");
        }
        req.error_code = static_cast<std::uint32_t>(v);
        break;
      }
      case 5: {
        RDPSCOPE_TRY(Tlv t, asn1::readExplicit(body, 5, 1, "ts_request.client_nonce"));
        RDPSCOPE_TRY(ByteView raw, octets(t, "ts_request.client_nonce"));
        req.client_nonce_length = len32(raw);
        break;
      }
      default: return parseError(ErrorKind::Malformed, at, "ts_request.field");
    }
  }
  return req;
}

Result<TsCredentials> parseTsCredentials(ByteView data, std::uint32_t base_offset) {
  // [MS-CSSP] 2.2.1.2 TSCredentials ::= SEQUENCE { credType [0] INTEGER,
  // credentials [1] OCTET STRING }.
  ByteReader r(data, base_offset);
  RDPSCOPE_TRY(Tlv seq, asn1::expectTag(r, TagClass::Universal, tag::kSequence, 0,
                                        "ts_credentials.sequence"));
  if (auto e = r.expectEnd("ts_credentials.trailing"); !e) {
    return tl::unexpected(e.error());
  }
  TsCredentials c;
  RDPSCOPE_TRY(Tlv type, asn1::readExplicit(seq.content, 0, 1, "ts_credentials.cred_type"));
  RDPSCOPE_TRY(c.cred_type, integer(type, "ts_credentials.cred_type"));
  RDPSCOPE_TRY(Tlv creds, asn1::readExplicit(seq.content, 1, 1, "ts_credentials.credentials"));
  RDPSCOPE_TRY(ByteView raw, octets(creds, "ts_credentials.credentials"));
  c.credentials_length = len32(raw);
  if (auto e = seq.content.expectEnd("ts_credentials.trailing"); !e) {
    return tl::unexpected(e.error());
  }
  return c;
}

}  // namespace rdpscope::credssp
