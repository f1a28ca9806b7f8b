#include "x224/x224.h"

#include <string_view>

#include "tpkt/parse_util.h"

namespace rdpscope::x224 {
namespace {

// X.224 13.2.1: the length indicator counts the header octets after itself; for the RDP TPDUs
// (CR/CC carry the cookie and negotiation structure inside the "header") it covers the rest of
// the TPKT payload, so a different value means the framing lies.
Result<ByteReader> readLengthIndicator(ByteReader& r, const char* li_field,
                                       const char* mismatch_field) {
  RDPSCOPE_TRY(const std::uint8_t li, r.u8(li_field));
  if (li != r.remaining()) {
    return parseError(ErrorKind::Malformed, r.offset() - 1, mismatch_field);
  }
  return r.sub(li, li_field);
}

// [MS-RDPBCGR] 2.2.1.1.1: requestedProtocols etc. follow after the routingToken / cookie.
Result<NegReq> parseNegReq(ByteReader& r) {
  NegReq neg;
  RDPSCOPE_TRY(const std::uint8_t type, r.u8("x224.neg_req.type"));
  if (type != kTypeNegReq) {
    return parseError(ErrorKind::Malformed, r.offset() - 1, "x224.neg_req.bad_type");
  }
  RDPSCOPE_TRY(neg.flags, r.u8("x224.neg_req.flags"));
  RDPSCOPE_TRY(const std::uint16_t length, r.u16le("x224.neg_req.length"));
  if (length != 8) {  // 2.2.1.1.1: "This field MUST be set to 0x0008 (8 bytes)"
    return parseError(ErrorKind::Malformed, r.offset() - 2, "x224.neg_req.bad_length");
  }
  RDPSCOPE_TRY(neg.requested_protocols, r.u32le("x224.neg_req.requested_protocols"));
  if ((neg.flags & kCorrelationInfoPresent) != 0) {
    // [MS-RDPBCGR] 2.2.1.1.2 RDP Correlation Info (RDP_NEG_CORRELATION_INFO), 36 bytes.
    RDPSCOPE_TRY(const std::uint8_t ctype, r.u8("x224.correlation_info.type"));
    if (ctype != kTypeCorrelationInfo) {
      return parseError(ErrorKind::Malformed, r.offset() - 1, "x224.correlation_info.bad_type");
    }
    RDPSCOPE_TRY(const std::uint8_t cflags, r.u8("x224.correlation_info.flags"));
    (void)cflags;  // MUST be 0; not worth failing the PDU over.
    RDPSCOPE_TRY(const std::uint16_t clen, r.u16le("x224.correlation_info.length"));
    if (clen != 36) {
      return parseError(ErrorKind::Malformed, r.offset() - 2,
                        "x224.correlation_info.bad_length");
    }
    RDPSCOPE_TRY(const ByteView id, r.bytes(16, "x224.correlation_info.correlation_id"));
    std::array<std::uint8_t, 16> cid{};
    for (std::size_t i = 0; i < cid.size(); ++i) {
      cid[i] = id[i];
    }
    neg.correlation_id = cid;
    RDPSCOPE_TRY(const ByteView reserved, r.bytes(16, "x224.correlation_info.reserved"));
    (void)reserved;
  }
  return neg;
}

std::string asciiOf(ByteView b) {
  std::string s;
  s.reserve(b.size());
  for (const std::uint8_t c : b) {
    s.push_back(static_cast<char>(c));
  }
  return s;
}

}  // namespace

Result<std::uint8_t> peekTpduCode(const ByteReader& r) {
  RDPSCOPE_TRY(const ByteView two, r.peek(2, "x224.code"));
  return two[1];
}

Result<ConnectionRequest> parseConnectionRequest(ByteReader& outer) {
  ConnectionRequest cr;
  RDPSCOPE_TRY(ByteReader r, readLengthIndicator(outer, "x224.cr.length_indicator",
                                                 "x224.cr.bad_length_indicator"));
  cr.length_indicator = static_cast<std::uint8_t>(r.remaining());
  RDPSCOPE_TRY(const std::uint8_t code, r.u8("x224.cr.code"));
  if ((code & 0xF0) != kTpduCr) {
    return parseError(ErrorKind::Malformed, r.offset() - 1, "x224.cr.bad_code");
  }
  cr.credit = static_cast<std::uint8_t>(code & 0x0F);
  RDPSCOPE_TRY(cr.dst_ref, r.u16be("x224.cr.dst_ref"));
  RDPSCOPE_TRY(cr.src_ref, r.u16be("x224.cr.src_ref"));
  RDPSCOPE_TRY(cr.class_option, r.u8("x224.cr.class_option"));
  if (r.empty()) {
    return cr;
  }
  // [MS-RDPBCGR] 2.2.1.1: optional routingToken or cookie, each terminated by CR LF (0x0D0A),
  // then the optional RDP_NEG_REQ. A negotiation structure starts with type 0x01, which never
  // starts a token ("Cookie: ..."), so the first byte tells which comes first.
  RDPSCOPE_TRY(const ByteView first, r.peek(1, "x224.cr.variable"));
  if (first[0] != kTypeNegReq) {
    const ByteView rest = r.rest();
    std::size_t crlf = rest.size();
    for (std::size_t i = 0; i + 1 < rest.size(); ++i) {
      if (rest[i] == 0x0D && rest[i + 1] == 0x0A) {
        crlf = i;
        break;
      }
    }
    if (crlf == rest.size()) {
      return parseError(ErrorKind::Malformed, r.offset(), "x224.cr.token_unterminated");
    }
    RDPSCOPE_TRY(const ByteView token, r.bytes(crlf, "x224.cr.token"));
    RDPSCOPE_TRY(const ByteView crlf_bytes, r.bytes(2, "x224.cr.token_crlf"));
    (void)crlf_bytes;
    static constexpr std::string_view kCookiePrefix = "Cookie: mstshash=";
    const std::string text = asciiOf(token);
    if (text.size() >= kCookiePrefix.size() &&
        std::string_view(text).substr(0, kCookiePrefix.size()) == kCookiePrefix) {
      cr.cookie = text.substr(kCookiePrefix.size());
    } else {
      cr.routing_token = text;
    }
  }
  if (r.empty()) {
    return cr;
  }
  RDPSCOPE_TRY(cr.neg, parseNegReq(r));
  RDPSCOPE_CHECK(r.expectEnd("x224.cr.trailing_bytes"));
  return cr;
}

Result<ConnectionConfirm> parseConnectionConfirm(ByteReader& outer) {
  ConnectionConfirm cc;
  RDPSCOPE_TRY(ByteReader r, readLengthIndicator(outer, "x224.cc.length_indicator",
                                                 "x224.cc.bad_length_indicator"));
  cc.length_indicator = static_cast<std::uint8_t>(r.remaining());
  RDPSCOPE_TRY(const std::uint8_t code, r.u8("x224.cc.code"));
  if ((code & 0xF0) != kTpduCc) {
    return parseError(ErrorKind::Malformed, r.offset() - 1, "x224.cc.bad_code");
  }
  RDPSCOPE_TRY(cc.dst_ref, r.u16be("x224.cc.dst_ref"));
  RDPSCOPE_TRY(cc.src_ref, r.u16be("x224.cc.src_ref"));
  RDPSCOPE_TRY(cc.class_option, r.u8("x224.cc.class_option"));
  if (r.empty()) {
    return cc;  // [MS-RDPBCGR] 2.2.1.2: no rdpNegData => standard RDP security
  }
  RDPSCOPE_TRY(const std::uint8_t type, r.u8("x224.cc.neg_type"));
  RDPSCOPE_TRY(const std::uint8_t flags, r.u8("x224.cc.neg_flags"));
  RDPSCOPE_TRY(const std::uint16_t length, r.u16le("x224.cc.neg_length"));
  if (type == kTypeNegRsp) {
    if (length != 8) {  // 2.2.1.2.1: "This field MUST be set to 0x0008 (8 bytes)"
      return parseError(ErrorKind::Malformed, r.offset() - 2, "x224.neg_rsp.bad_length");
    }
    NegRsp rsp;
    rsp.flags = flags;
    RDPSCOPE_TRY(rsp.selected_protocol, r.u32le("x224.neg_rsp.selected_protocol"));
    cc.rsp = rsp;
  } else if (type == kTypeNegFailure) {
    if (length != 8) {  // 2.2.1.2.2: "This field MUST be set to 0x0008 (8 bytes)"
      return parseError(ErrorKind::Malformed, r.offset() - 2, "x224.neg_failure.bad_length");
    }
    NegFailure failure;
    failure.flags = flags;
    RDPSCOPE_TRY(failure.failure_code, r.u32le("x224.neg_failure.failure_code"));
    cc.failure = failure;
  } else {
    return parseError(ErrorKind::Malformed, r.offset() - 4, "x224.cc.bad_neg_type");
  }
  RDPSCOPE_CHECK(r.expectEnd("x224.cc.trailing_bytes"));
  return cc;
}

Result<DisconnectRequest> parseDisconnectRequest(ByteReader& outer) {
  DisconnectRequest dr;
  RDPSCOPE_TRY(ByteReader r, readLengthIndicator(outer, "x224.dr.length_indicator",
                                                 "x224.dr.bad_length_indicator"));
  RDPSCOPE_TRY(const std::uint8_t code, r.u8("x224.dr.code"));
  if ((code & 0xF0) != kTpduDr) {
    return parseError(ErrorKind::Malformed, r.offset() - 1, "x224.dr.bad_code");
  }
  RDPSCOPE_TRY(dr.dst_ref, r.u16be("x224.dr.dst_ref"));
  RDPSCOPE_TRY(dr.src_ref, r.u16be("x224.dr.src_ref"));
  RDPSCOPE_TRY(dr.reason, r.u8("x224.dr.reason"));
  // X.224 13.5.3: optional variable part (additional information parameter) may follow.
  return dr;
}

Result<ErrorTpdu> parseErrorTpdu(ByteReader& outer) {
  ErrorTpdu er;
  RDPSCOPE_TRY(ByteReader r, readLengthIndicator(outer, "x224.er.length_indicator",
                                                 "x224.er.bad_length_indicator"));
  RDPSCOPE_TRY(const std::uint8_t code, r.u8("x224.er.code"));
  if ((code & 0xF0) != kTpduEr) {
    return parseError(ErrorKind::Malformed, r.offset() - 1, "x224.er.bad_code");
  }
  RDPSCOPE_TRY(er.dst_ref, r.u16be("x224.er.dst_ref"));
  RDPSCOPE_TRY(er.reject_cause, r.u8("x224.er.reject_cause"));
  // X.224 13.12.3: the variable part carries the invalid TPDU; not needed.
  return er;
}

Result<DataTpdu> parseData(ByteReader& r) {
  DataTpdu dt;
  RDPSCOPE_TRY(const std::uint8_t li, r.u8("x224.dt.length_indicator"));
  if (li != 2) {  // X.224 13.7 class 0: LI = 2 (code + EOT/NR octet)
    return parseError(ErrorKind::Malformed, r.offset() - 1, "x224.dt.bad_length_indicator");
  }
  RDPSCOPE_TRY(const std::uint8_t code, r.u8("x224.dt.code"));
  if ((code & 0xF0) != kTpduDt) {
    return parseError(ErrorKind::Malformed, r.offset() - 1, "x224.dt.bad_code");
  }
  RDPSCOPE_TRY(const std::uint8_t eot, r.u8("x224.dt.eot"));
  dt.eot = (eot & 0x80) != 0;
  dt.user_data_offset = r.offset();
  dt.user_data = r.rest();
  RDPSCOPE_CHECK(r.skip(r.remaining(), "x224.dt.user_data"));
  return dt;
}

}  // namespace rdpscope::x224
